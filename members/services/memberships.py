"""The membership year: activation, terms and their invoices, renewals, reminders, lapse,
and the benefits checklist. Beat jobs find their work by window and are safe to run twice."""

import logging
from datetime import date, timedelta
from typing import Any

from django.db import transaction
from django.dispatch import receiver
from django.urls import reverse
from django.utils import timezone

from foundation import audit, emails
from foundation.accounts.models import Organization, OrganizationRole, Role, User
from foundation.billing import services as billing
from foundation.billing.models import Invoice
from foundation.billing.signals import invoice_paid
from foundation.checklists.services import ItemSpec, checklist_ensure, deliver_automatic
from foundation.transitions import DomainError, transition
from members.models import (
    GRACE,
    REMINDERS,
    RENEWAL_NOTICE,
    Application,
    Membership,
    MembershipTerm,
    Tier,
    add_year,
)

LOGO_BENEFIT = "logo"
logger = logging.getLogger(__name__)


def term_end(start: date) -> date:
    return add_year(start) - timedelta(days=1)


def _contacts(membership: Membership) -> list[str]:
    return billing.billing_emails(membership.organization)


def _mail(membership: Membership, kind: str, occurrence: str = "", template: str = "",
          to: list[str] | None = None, **context: Any) -> None:
    """Queue the e-mail to each of `to`, by default the membership's billing contacts."""
    for address in _contacts(membership) if to is None else to:
        emails.queue(kind=kind, obj=membership, to=address, occurrence=occurrence,
                     template=f"members/emails/{template or kind}",
                     context={"membership": membership, "organization":
                              membership.organization, "tier": membership.tier, **context})


def _invoice_term(term: MembershipTerm, *, actor: Any = None) -> None:
    membership = term.membership
    application = membership.application
    invoice = billing.invoice_create(
        organization=membership.organization,
        lines=[(f"{membership.tier} membership, {term.starts_on:%-d %b %Y} – "
                f"{term.ends_on:%-d %b %Y}", term.fee)],
        subject=term, po_number=application.po_number, tax_id=application.tax_id,
        billing_address=application.billing_address,
        billing_country=application.billing_country, extra_emails=[application.billing_email],
        actor=actor,
    )
    term.invoice = invoice
    term.save(update_fields=["invoice"])
    billing.invoice_issue(invoice_id=invoice.pk, actor=actor)


def membership_invoice_first_term(*, application: Application) -> Membership:
    """Called once the application is approved and signed (inside its transaction)."""
    membership = Membership.objects.create(
        organization=application.organization, tier=application.tier, application=application,
        board_representative=application.board_representative,
        tac_representative=application.tac_representative,
    )
    today = timezone.localdate()
    term = MembershipTerm.objects.create(membership=membership, starts_on=today,
                                         ends_on=term_end(today), fee=application.annual_fee)
    audit.record(membership, action="membership.create", new={"status": membership.status})
    _invoice_term(term)
    return membership


def membership_activate_free(*, application: Application) -> Membership:
    membership = Membership.objects.create(
        organization=application.organization, tier=application.tier, application=application)
    today = timezone.localdate()
    MembershipTerm.objects.create(membership=membership, starts_on=today,
                                  ends_on=term_end(today), fee=0, paid=True)
    _activate(membership, today)
    return membership


def _activate(membership: Membership, today: date, *, welcome: bool = True) -> None:
    """Start the first term today; end the membership it replaces (an upgrade)."""
    for previous in Membership.objects.select_for_update().filter(
        organization=membership.organization, status=Membership.Status.ACTIVE
    ):
        transition(previous, Membership.Status.ENDED, action="membership.ended",
                   note=f"Replaced by {membership.tier} membership")
        _void_unpaid_terms(previous, note=f"Replaced by the {membership.tier} membership")
    ends_on = term_end(today)
    transition(membership, Membership.Status.ACTIVE, action="membership.activate",
               starts_on=today, ends_on=ends_on)
    MembershipTerm.objects.filter(membership=membership).update(starts_on=today,
                                                                ends_on=ends_on)
    transition(membership.application, Application.Status.COMPLETED,
               action="application.completed")
    _create_checklist(membership, today)
    if welcome:
        _mail(membership, "welcome")


def _void_unpaid_terms(membership: Membership, *, note: str) -> list[Invoice]:
    """A membership that ends no longer asks to be paid for its future terms. Returns the
    invoices voided."""
    voided = []
    for term in membership.terms.filter(paid=False).exclude(invoice=None).select_related(
            "invoice"):
        if term.invoice is not None and term.invoice.is_payable:
            voided.append(billing.invoice_void(invoice_id=term.invoice.pk, note=note))
    return voided


def membership_cancel_pending(*, application: Application, note: str) -> list[Invoice]:
    """Called under the application's lock: its membership awaiting payment ends. Returns
    the invoices voided."""
    membership = Membership.objects.select_for_update().filter(
        application=application, status=Membership.Status.PENDING).first()
    if membership is None:
        return []
    transition(membership, Membership.Status.ENDED, action="membership.ended", note=note)
    return _void_unpaid_terms(membership, note=note)


def _create_checklist(membership: Membership, today: date) -> None:
    benefits = membership.tier.benefits.filter(deliverable=True)
    checklist_ensure(holder=membership, items=[
        ItemSpec(key=b.key, title=b.name, due_date=today + timedelta(days=b.due_days),
                 member_must_provide=b.member_must_provide)
        for b in benefits
    ])
    if membership.organization.logo:
        deliver_automatic(holder=membership, key=LOGO_BENEFIT,
                          proof=f"Shown in the member directory: {reverse('member_directory')}")


def organization_logo_changed(*, organization) -> None:
    """The directory shows the new logo at once: that delivers the logo benefit."""
    membership = Membership.objects.active().filter(organization=organization).first()
    if membership and organization.logo:
        deliver_automatic(holder=membership, key=LOGO_BENEFIT,
                          proof=f"Shown in the member directory: {reverse('member_directory')}")


@receiver(invoice_paid, sender=MembershipTerm)
def term_paid(sender, invoice, subject: MembershipTerm, **kwargs) -> None:
    """The payment hook: the first term's payment activates; a later one renews."""
    term = MembershipTerm.objects.select_for_update().get(pk=subject.pk)
    if term.paid:
        return
    term.paid = True
    term.save(update_fields=["paid"])
    membership = Membership.objects.select_for_update().get(pk=term.membership_id)
    if membership.status == Membership.Status.PENDING:
        _activate(membership, timezone.localdate())
    elif membership.status == Membership.Status.ACTIVE and term.ends_on > membership.ends_on:
        old = membership.ends_on
        membership.ends_on = term.ends_on
        membership.save(update_fields=["ends_on"])
        audit.record(membership, action="membership.renewed", old={"ends_on": old.isoformat()},
                     new={"ends_on": term.ends_on.isoformat()}, note=str(invoice))
    else:
        note = (f"{invoice} was paid while the membership is {membership.get_status_display()}"
                ": decide on a refund or reinstatement.")
        audit.record(membership, action="membership.payment_after_end", note=note)
        billing.payment_flag(invoice_id=invoice.pk, note=note)


def _renewal_term(membership: Membership) -> MembershipTerm | None:
    if membership.renewal_date is None:
        return None
    return MembershipTerm.objects.filter(membership=membership,
                                         starts_on=membership.renewal_date).first()


def issue_renewal_invoices(*, today: date | None = None) -> int:
    """From 60 days before the end: one renewal term and invoice per membership year. A
    member that is leaving does not renew."""
    today = today or timezone.localdate()
    due = Membership.objects.active().filter(ends_on__lte=today + RENEWAL_NOTICE,
                                             leaves_on=None)
    count = 0
    for pk in due.values_list("pk", flat=True):
        try:
            count += _renew(pk)
        except (ValueError, DomainError) as exc:  # one bad record must not stop the rest
            logger.error("Renewal of membership %s failed: %s", pk, exc)
            with transaction.atomic():
                audit.record(Membership.objects.get(pk=pk), action="membership.renewal_failed",
                             note=str(exc))
    return count


def _renew(pk: int) -> int:
    """Create one membership's renewal term (and invoice), unless it exists."""
    with transaction.atomic():
        Organization.objects.lock(Membership.objects.get(pk=pk).organization_id)
        membership = Membership.objects.select_for_update().select_related(
            "tier", "organization", "application").get(pk=pk)
        if (membership.status != Membership.Status.ACTIVE or membership.leaves_on
                or _renewal_term(membership)):
            return 0
        start = membership.ends_on + timedelta(days=1)
        fee = membership.tier.fee_for(membership.organization.employees)
        term = MembershipTerm.objects.create(membership=membership, starts_on=start,
                                             ends_on=term_end(start), fee=fee,
                                             paid=fee == 0)
        if fee == 0:
            membership.ends_on = term.ends_on
            membership.save(update_fields=["ends_on"])
            audit.record(membership, action="membership.renewed",
                         new={"ends_on": term.ends_on.isoformat()}, note="No fee")
        else:
            _invoice_term(term)
        return 1


def send_renewal_reminders(*, today: date | None = None) -> int:
    """30 and 7 days before the end, while the renewal is unpaid: each once per year. A
    member that is leaving is not reminded. The memberships, their renewal terms and their
    contacts are read in three queries however many are due (5,000 at foundation scale)."""
    today = today or timezone.localdate()
    due = list(Membership.objects.active().filter(
        ends_on__gte=today, ends_on__lte=today + timedelta(days=max(REMINDERS)), leaves_on=None
    ).select_related("organization", "tier"))
    renewals = _renewal_terms(due)
    contacts = billing.billing_emails_of({m.organization_id for m in due})
    count = 0
    for membership in due:
        renewal = renewals.get(membership.pk)
        if renewal and renewal.paid:
            continue
        days_left = (membership.ends_on - today).days
        for days in REMINDERS:
            if days_left <= days:
                with transaction.atomic():
                    _mail(membership, f"renewal_reminder_{days}", template="renewal_reminder",
                          occurrence=membership.ends_on.isoformat(), renewal=renewal,
                          to=contacts[membership.organization_id])
                count += 1
    return count


def _renewal_terms(memberships: list[Membership]) -> dict[int, MembershipTerm]:
    """Each membership's renewal term (the one starting the day after its end), with its
    invoice, in one query."""
    wanted = {(m.pk, m.renewal_date) for m in memberships if m.renewal_date}
    terms = MembershipTerm.objects.filter(
        membership__in=[pk for pk, _ in wanted],
        starts_on__in={starts for _, starts in wanted}).select_related("invoice")
    return {t.membership_id: t for t in terms if (t.membership_id, t.starts_on) in wanted}


def lapse_memberships(*, today: date | None = None) -> int:
    """30 days of grace after the end; then the membership lapses. A member that is leaving
    ends instead (end_left_memberships)."""
    today = today or timezone.localdate()
    count = 0
    for pk, org_id in Membership.objects.active().filter(
            ends_on__lt=today - GRACE, leaves_on=None).values_list("pk", "organization_id"):
        with transaction.atomic():
            Organization.objects.lock(org_id)
            membership = Membership.objects.select_for_update().get(pk=pk)
            if membership.status != Membership.Status.ACTIVE or membership.leaves_on or (
                    membership.ends_on and membership.ends_on >= today - GRACE):
                continue  # renewed, or notice given, while we looked
            transition(membership, Membership.Status.LAPSED, action="membership.lapse",
                       note=f"Ended {membership.ends_on}; grace over")
            renewal = _renewal_term(membership)
            if renewal and renewal.invoice and renewal.invoice.status == "open":
                billing.invoice_mark_uncollectible(invoice_id=renewal.invoice.pk,
                                                   note="Membership lapsed")
            _mail(membership, "lapsed")
            count += 1
    return count


@transaction.atomic
def membership_leave(*, membership_id: int, actor: User) -> Membership:
    """An admin gives notice: the membership stays active (and in the directory) until the end
    of its paid term, is not renewed, and ends the day after (end_left_memberships). An open
    renewal invoice is voided now. Sent twice, the second changes nothing."""
    Organization.objects.lock(
        Membership.objects.values_list("organization_id", flat=True).get(pk=membership_id))
    membership = Membership.objects.select_for_update().select_related(
        "organization", "tier").get(pk=membership_id)
    if not OrganizationRole.objects.filter(organization=membership.organization, user=actor,
                                           role=Role.ADMIN).exists():
        raise DomainError("Only an admin of the organization can end its membership.")
    if membership.leaves_on:
        return membership
    if membership.status == Membership.Status.PENDING:
        raise DomainError("This membership has not started: withdraw its application instead.")
    if membership.status != Membership.Status.ACTIVE:
        raise DomainError(f"This membership is {membership.get_status_display().lower()} "
                          "already.")
    membership.leaves_on = membership.last_day_if_leaving(timezone.localdate())
    membership.save(update_fields=["leaves_on"])
    audit.record(membership, actor=actor, action="membership.leave",
                 new={"leaves_on": membership.leaves_on.isoformat()})
    voided = _void_unpaid_terms(membership, note="The member is leaving")
    context = {"membership": membership, "organization": membership.organization,
               "tier": membership.tier, "actor": actor, "invoice": voided[0] if voided else None}
    for kind, to in [("leaving", sorted({actor.email, *_contacts(membership)})),
                     ("leaving_staff", emails.staff_emails())]:
        for address in to:
            emails.queue(kind=kind, obj=membership, to=address,
                         template=f"members/emails/{kind}", context=context)
    return membership


def end_left_memberships(*, today: date | None = None) -> int:
    """The day after a leaving member's last day, its membership ends (and it leaves the
    directory). By window: a missed run only makes it late."""
    today = today or timezone.localdate()
    count = 0
    for pk, org_id in Membership.objects.active().filter(
            leaves_on__lt=today).values_list("pk", "organization_id"):
        with transaction.atomic():
            Organization.objects.lock(org_id)
            membership = Membership.objects.select_for_update().get(pk=pk)
            if membership.status != Membership.Status.ACTIVE:
                continue  # ended while we looked
            transition(membership, Membership.Status.ENDED, action="membership.ended",
                       note=f"Left the foundation after {membership.leaves_on:%-d %B %Y}")
            _void_unpaid_terms(membership, note="The member left")
            count += 1
    return count


def board_representatives() -> list[Membership]:
    """Each active member of a tier with a guaranteed seat, with its representatives."""
    return list(Membership.objects.active().filter(tier__has_board_seat=True)
                .select_related("organization", "tier")
                .order_by("organization__display_name"))


def board_seats() -> dict[str, Any]:
    """Elected seats for tiers that share them: 1 per 10 active members, at most 3."""
    shared = {}
    for tier in Tier.objects.filter(shares_board_seats=True):
        members = Membership.objects.active().filter(tier=tier).count()
        shared[tier.name] = {"members": members, "seats": min(3, members // 10)}
    return shared


@transaction.atomic
def membership_import(
    *, organization, tier: Tier, starts_on: date, actor: Any, note: str = ""
) -> Membership:
    """Bring an existing member onto the portal (from the foundation's old records): an
    active membership from `starts_on`, with no application e-mails and no invoice."""
    from members.services.applications import current_agreement

    existing = Membership.objects.filter(organization=organization).active().first()
    if existing:
        return existing
    admin = organization.roles.filter(role="admin").select_related("user").first()
    submitter = admin.user if admin else actor  # the staff member who imports
    application = Application.objects.create(
        organization=organization, tier=tier, submitted_by=submitter,
        status=Application.Status.APPROVED, annual_fee=tier.fee_for(organization.employees),
        employees=organization.employees, signatory_name="On file",
        signatory_title="On file", signatory_email=submitter.email,
        billing_email=submitter.email, billing_address="On file",
        lf_silver_attested=tier.requires_lf_silver, agreement=current_agreement(),
        decided_at=timezone.now(), signed_at=timezone.now(), signed_name="On file",
        signed_version=current_agreement(),
    )
    audit.record(application, actor=actor, action="application.import",
                 new={"status": application.status}, note=note or "Imported member")
    membership = Membership.objects.create(organization=organization, tier=tier,
                                           application=application)
    MembershipTerm.objects.create(membership=membership, starts_on=starts_on,
                                  ends_on=term_end(starts_on), fee=application.annual_fee,
                                  paid=True)
    _activate(membership, starts_on, welcome=False)
    return membership
