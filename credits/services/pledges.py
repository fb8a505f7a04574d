"""Every write about pledges and contributions: submit, confirm, receive, cancel, and the
technical contact's update.

Locks follow the documented order (foundation/transitions.py), extended for credits:
organization, pledge, contribution, invoice; an organization's sponsor year after the
organization. Status changes go through `transition` and are audited; e-mails and tasks run
after commit."""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.core.validators import URLValidator, validate_email
from django.db import transaction
from django.db.models import Prefetch, prefetch_related_objects
from django.dispatch import receiver
from django.http import Http404
from django.utils import timezone

from credits import dollars, programme_year, usd
from credits.models import MAX_AMOUNT, Contribution, Pledge, Provider
from credits.selectors import is_admin, standing
from credits.signals import contribution_received
from credits.words import contribution_words
from foundation import audit, emails, outbox
from foundation.accounts.models import Organization, OrganizationRole, Role, User
from foundation.billing import services as billing
from foundation.billing.signals import invoice_paid
from foundation.transitions import DomainError, transition
from foundation.validation import Errors

CONTRIBUTIONS = "contributions"  # the prefix of a contribution's error keys, as a formset's


@dataclass(frozen=True)
class ContributionInput:
    """One contribution as the sponsor gives it: credit (provider, service, face value,
    validity, redemption) or cash (an amount)."""

    kind: str
    provider: Provider | None = None
    service: str = ""
    face_value: Any = None
    valid_from: date | None = None
    valid_to: date | None = None
    redemption_method: str = ""
    redemption_note: str = ""
    cash_amount: Any = None


@dataclass(frozen=True)
class Contact:
    """The sponsor's technical point of contact and the SLA it answers within."""

    name: str
    email: str
    sla_hours: Any
    support_channel: str
    support_channel_value: str
    support_hours: str = ""


MAX_SLA_HOURS = 24 * 365




def _amount(value: Any, key: str, errors: Errors) -> Decimal | None:
    """A positive amount of US dollars to the cent, at most MAX_AMOUNT."""
    if value is None or value == "":
        errors.add(key, "Give the amount in US dollars.")
        return None
    amount = dollars(value)
    if amount is None:
        errors.add(key, "Give the amount in US dollars as a number, e.g. 250000.")
        return None
    if not amount.is_finite() or amount <= 0:
        errors.add(key, "Give an amount of more than $0.")
    elif amount > MAX_AMOUNT:
        errors.add(key, f"An amount over {usd(Decimal(MAX_AMOUNT))} is surely a typo: "
                        "please check it.")
    elif amount != amount.quantize(Decimal("0.01")):
        errors.add(key, "Give the amount to the cent at most.")
    else:
        return amount.quantize(Decimal("0.01"))
    return None


def _check_contribution(i: int, given: ContributionInput, today: date,
                        errors: Errors) -> Contribution | None:
    """The contribution to create, or None with its errors added."""
    def key(name: str) -> str:
        return f"{CONTRIBUTIONS}-{i}-{name}"

    before = sum(len(messages) for messages in errors.found.values())
    if given.kind == Contribution.Kind.CASH:
        cash = _amount(given.cash_amount, key("cash_amount"), errors)
        if cash is None:
            return None
        return Contribution(kind=Contribution.Kind.CASH, cash_amount=cash)
    if given.kind != Contribution.Kind.CREDIT:
        errors.add(key("kind"), "Choose credit or cash.")
        return None
    if given.provider is None:
        errors.add(key("provider"), "Choose the provider of the credit.")
    elif not given.provider.accepted:
        errors.add(key("provider"), f"The programme does not accept credits from "
                                    f"{given.provider} at present: choose another provider.")
    service = given.service.strip()
    if not service:
        errors.add(key("service"), "Name the service the credit is for.")
    face_value = _amount(given.face_value, key("face_value"), errors)
    if given.valid_from is None or given.valid_to is None:
        errors.add(key("valid_to"), "Give the dates the credit is valid from and to.")
    elif given.valid_to < given.valid_from:
        errors.add(key("valid_to"), "The validity ends before it starts: check the dates.")
    elif given.valid_to < today:
        errors.add(key("valid_to"), "This credit's validity has already ended.")
    method, note = given.redemption_method, given.redemption_note.strip()
    if method not in Contribution.Redemption.values:
        errors.add(key("redemption_method"), "Choose how the credit is redeemed.")
    elif method == Contribution.Redemption.OTHER and not note:
        errors.add(key("redemption_note"), "Say how the credit is redeemed.")
    if sum(len(messages) for messages in errors.found.values()) > before:
        return None
    return Contribution(kind=Contribution.Kind.CREDIT, provider=given.provider, service=service,
                        face_value=face_value, valid_from=given.valid_from,
                        valid_to=given.valid_to, redemption_method=method,
                        redemption_note=note)


def _check_contact(contact: Contact, errors: Errors) -> dict[str, Any]:
    """The contact's fields as stored, with every problem added to `errors`."""
    name, email = contact.name.strip(), contact.email.strip()
    value = contact.support_channel_value.strip()
    if not name:
        errors.add("contact_name", "Name the technical point of contact.")
    if not email:
        errors.add("contact_email", "Give the technical contact's e-mail address.")
    else:
        try:
            validate_email(email)
        except ValidationError:
            errors.add("contact_email", "Give a valid e-mail address for the technical "
                                        "contact.")
    sla_text = str(contact.sla_hours if contact.sla_hours is not None else "").strip()
    sla = int(sla_text) if sla_text.isascii() and sla_text.isdigit() else None
    if sla is None or sla <= 0 or sla > MAX_SLA_HOURS:
        errors.add("sla_hours", "Give the SLA response time as a positive whole number of "
                                "hours, e.g. 24.")
    if contact.support_channel not in Pledge.Channel.values:
        errors.add("support_channel", "Choose the support channel: e-mail, chat or a ticket "
                                      "URL.")
    elif not value:
        errors.add("support_channel_value", "Give the support address or URL.")
    elif contact.support_channel == Pledge.Channel.EMAIL:
        try:
            validate_email(value)
        except ValidationError:
            errors.add("support_channel_value", "Give a valid e-mail address for support.")
    elif contact.support_channel == Pledge.Channel.TICKET:
        try:
            URLValidator(schemes=["http", "https"])(value)
        except ValidationError:
            errors.add("support_channel_value", "Give the ticket URL, starting with https://.")
    return {"contact_name": name, "contact_email": email, "sla_hours": sla,
            "support_channel": contact.support_channel, "support_channel_value": value,
            "support_hours": contact.support_hours.strip()}


def _sponsor_emails(pledge: Pledge) -> list[str]:
    """The organization's admins, and whoever made the pledge."""
    admins = OrganizationRole.objects.filter(organization_id=pledge.organization_id,
                                             role=Role.ADMIN).values_list("user__email",
                                                                          flat=True)
    made_by = [pledge.created_by.email] if pledge.created_by else []
    return sorted({*admins, *made_by})


def mail_sponsor(pledge: Pledge, kind: str, obj: Any = None, occurrence: str = "",
                 **context: Any) -> None:
    for address in _sponsor_emails(pledge):
        emails.queue(kind=kind, obj=obj or pledge, to=address, occurrence=occurrence,
                     template=f"credits/emails/{kind}",
                     context={"pledge": pledge, "organization": pledge.organization,
                              "year": pledge.year, **context})


@transaction.atomic
def pledge_submit(
    *,
    organization: Organization,
    actor: User,
    contributions: list[ContributionInput],
    contact: Contact,
    listed_publicly: bool = False,
    offering_description: str = "",
    po_number: str = "",
    tax_id: str = "",
    billing_address: str = "",
) -> Pledge:
    """A pledge for the programme year, by an admin of the organization (anyone else gets a
    404). Every problem is raised at once as a ValidationError, and nothing is written."""
    Organization.objects.lock(organization.pk)
    if not is_admin(actor, organization):
        raise Http404("No such organization.")
    today, year = timezone.localdate(), programme_year()
    errors = Errors()
    if not contributions:
        errors.add(NON_FIELD_ERRORS, "Add at least one contribution: credit or cash.")
    checked = [_check_contribution(i, given, today, errors)
               for i, given in enumerate(contributions)]
    contact_fields = _check_contact(contact, errors)
    if not errors.found:
        pledged = sum((c.value for c in checked if c), Decimal("0.00"))
        reached = standing(organization, year, pledged)
        if reached.level is None:
            if reached.next_level is None:
                errors.add(NON_FIELD_ERRORS, "The programme has no levels yet: please come "
                                             "back once it has.")
            else:
                errors.add(NON_FIELD_ERRORS, (
                    f"This year's confirmed contributions and this pledge come to "
                    f"{usd(reached.total)}, below the lowest level, {reached.next_level}, at "
                    f"{usd(reached.next_level.threshold_usd)}: it needs {usd(reached.gap)} "
                    "more."))
    errors.raise_any()
    pledge = Pledge.objects.create(
        organization=organization, year=year, listed_publicly=listed_publicly,
        offering_description=offering_description.strip(), po_number=po_number.strip(),
        tax_id=tax_id.strip(), billing_address=billing_address.strip(), created_by=actor,
        **contact_fields)
    for contribution in checked:
        assert contribution is not None  # errors were raised otherwise
        contribution.pledge = pledge
    Contribution.objects.bulk_create([c for c in checked if c])
    # Read once for the audit and every e-mail (pledge.total among them).
    prefetch_related_objects([pledge], Prefetch(
        "contributions", queryset=Contribution.objects.select_related("provider")))
    added = list(pledge.contributions.all())
    audit.record(pledge, actor=actor, action="pledge.create",
                 new={"status": pledge.status, "total": str(pledge.total)})
    mail_sponsor(pledge, "pledge_received", standing=reached,
                 lines=[contribution_words(c) for c in added])
    staff_lines = [contribution_words(c, detail=False) for c in added]
    for address in emails.staff_emails():
        emails.queue(kind="pledge_received_staff", obj=pledge, to=address,
                     template="credits/emails/pledge_received_staff",
                     context={"pledge": pledge, "organization": organization,
                              "year": pledge.year, "standing": reached,
                              "lines": staff_lines})
    return pledge


def _lock(pledge_id: int) -> Pledge:
    """The pledge under lock, its organization locked first."""
    Organization.objects.lock(
        Pledge.objects.values_list("organization_id", flat=True).get(pk=pledge_id))
    return Pledge.objects.select_for_update(of=("self",)).select_related("organization").get(
        pk=pledge_id)


def _invoice_cash(pledge: Pledge, contribution: Contribution, *, actor: Any) -> None:
    """Cash is invoiced like dues: the pledge's PO number and tax ID, net 30."""
    invoice = billing.invoice_create(
        organization=pledge.organization,
        lines=[(f"Cash contribution to the cloud credit programme, {pledge.year}",
                contribution.value)],
        subject=contribution, po_number=pledge.po_number, tax_id=pledge.tax_id,
        billing_address=pledge.billing_address, actor=actor,
    )
    contribution.invoice = invoice
    contribution.save(update_fields=["invoice"])
    billing.invoice_issue(invoice_id=invoice.pk, actor=actor)


@transaction.atomic
def pledge_confirm(*, pledge_id: int, actor: Any, agreement_signed_on: date | None) -> Pledge:
    """Staff record the signed agreement. Cash is invoiced; the benefits checklist of the
    organization's level is made by a task after commit, which then e-mails the sponsor."""
    from credits.tasks import pledge_confirmed

    pledge = _lock(pledge_id)
    if pledge.status in {Pledge.Status.CONFIRMED, Pledge.Status.FULFILLED}:
        return pledge
    if agreement_signed_on is None:
        raise DomainError("Give the date the sponsorship agreement was signed.")
    if agreement_signed_on > timezone.localdate():
        raise DomainError("The agreement's date is in the future: give the day it was signed.")
    transition(pledge, Pledge.Status.CONFIRMED, action="pledge.confirm", actor=actor,
               agreement_signed_on=agreement_signed_on, confirmed_at=timezone.now())
    for contribution in pledge.contributions.select_for_update().filter(
            kind=Contribution.Kind.CASH, invoice=None):
        _invoice_cash(pledge, contribution, actor=actor)
    outbox.enqueue(pledge_confirmed, pledge.pk)
    return pledge


def _receive(pledge: Pledge, contribution: Contribution, *, amount: Decimal,
             received_on: date, actor: Any, note: str = "") -> None:
    """Both contributions kinds end here: received, the one event sent, the sponsor thanked,
    and the pledge fulfilled once nothing is left to receive."""
    transition(contribution, Contribution.Status.RECEIVED, action="contribution.receive",
               actor=actor, note=note, amount_granted=amount, received_on=received_on)
    contribution_received.send(sender=Contribution, contribution=contribution)
    mail_sponsor(pledge, "contribution_received", obj=contribution, contribution=contribution)
    if not pledge.contributions.exclude(status=Contribution.Status.RECEIVED).exists():
        transition(pledge, Pledge.Status.FULFILLED, action="pledge.fulfilled", actor=actor)


@transaction.atomic
def contribution_receive(
    *, contribution_id: int, actor: Any, amount_granted: Any, redemption_reference: str,
    received_on: date | None,
) -> Contribution:
    """Staff record a credit received: the amount actually granted, the redemption reference
    (kept off public pages, the API and the audit log's values) and the date. Recording it
    again changes nothing."""
    pledge = _lock(Contribution.objects.values_list("pledge_id", flat=True)
                   .get(pk=contribution_id))
    contribution = Contribution.objects.select_for_update().get(pk=contribution_id)
    if contribution.status == Contribution.Status.RECEIVED:
        return contribution
    if contribution.kind == Contribution.Kind.CASH:
        raise DomainError("Cash is received when its invoice is paid: record the payment on "
                          f"invoice {contribution.invoice or 'of the pledge'}.")
    if pledge.status == Pledge.Status.CANCELLED:
        raise DomainError("This pledge was cancelled: nothing can be received for it.")
    if pledge.status != Pledge.Status.CONFIRMED:
        raise DomainError("Confirm the pledge before recording what was received.")
    errors = Errors()
    amount = _amount(amount_granted, "amount_granted", errors)
    reference = redemption_reference.strip()
    if not reference:
        errors.add("redemption_reference", "Give the redemption reference (the account, code "
                                           "batch or billing id).")
    if received_on is None:
        errors.add("received_on", "Give the date the credit was received.")
    elif received_on > timezone.localdate():
        errors.add("received_on", "The date is in the future: give the day it was received.")
    if errors.found:
        raise DomainError(" ".join(m for messages in errors.found.values() for m in messages))
    assert amount is not None and received_on is not None
    contribution.redemption_reference = reference
    contribution.save(update_fields=["redemption_reference"])
    _receive(pledge, contribution, amount=amount, received_on=received_on, actor=actor,
             note=audit.changed_note(["redemption_reference"]))
    return contribution


@receiver(invoice_paid, sender=Contribution)
def cash_paid(sender, invoice, subject: Contribution, **kwargs) -> None:
    """Billing's payment hook, under billing's locks (Contribution.lock_chain): the cash is
    received once, however often Stripe repeats the event."""
    contribution = Contribution.objects.select_for_update().get(pk=subject.pk)
    if contribution.status == Contribution.Status.RECEIVED:
        return
    pledge = Pledge.objects.select_for_update(of=("self",)).select_related("organization").get(
        pk=contribution.pledge_id)
    if pledge.status != Pledge.Status.CONFIRMED:
        note = (f"{invoice} was paid while the pledge is {pledge.get_status_display()}: "
                "decide on a refund.")
        audit.record(pledge, action="pledge.payment_after_cancel", note=note)
        billing.payment_flag(invoice_id=invoice.pk, note=note)
        return
    paid_at = invoice.paid_at or timezone.now()
    _receive(pledge, contribution, amount=invoice.total,
             received_on=timezone.localdate(paid_at), actor=None, note=f"Paid: {invoice}")


@transaction.atomic
def pledge_cancel(*, pledge_id: int, actor: Any, reason: str) -> Pledge:
    """Cancel with a reason, only while nothing was received; its open invoices are voided."""
    from credits.tasks import refresh_sponsor_year

    pledge = _lock(pledge_id)
    if pledge.status == Pledge.Status.CANCELLED:
        return pledge
    reason = reason.strip()
    if not reason:
        raise DomainError("Give the reason for cancelling the pledge.")
    received = list(pledge.contributions.filter(status=Contribution.Status.RECEIVED))
    if received:
        raise DomainError(f"{', '.join(map(str, received)).capitalize()} of this pledge "
                          f"{'was' if len(received) == 1 else 'were'} received already: it "
                          "can no longer be cancelled.")
    was = transition(pledge, Pledge.Status.CANCELLED, action="pledge.cancel", actor=actor,
                     note=reason, cancel_reason=reason)
    for contribution in pledge.contributions.exclude(invoice=None).select_related("invoice"):
        if contribution.invoice is not None and contribution.invoice.is_payable:
            billing.invoice_void(invoice_id=contribution.invoice.pk, actor=actor,
                                 note=f"Pledge cancelled: {reason}")
    if was == Pledge.Status.CONFIRMED:
        outbox.enqueue(refresh_sponsor_year, pledge.organization_id, pledge.year)
    return pledge


@transaction.atomic
def contact_update(*, pledge_id: int, actor: User, contact: Contact) -> Pledge:
    """The sponsor's admins (or staff) change the technical point of contact; each change
    is audited with its old and new value."""
    pledge = _lock(pledge_id)
    if not (actor.is_staff or is_admin(actor, pledge.organization)):
        raise Http404("No such pledge.")
    if pledge.status == Pledge.Status.CANCELLED:
        raise DomainError("This pledge was cancelled: its contact is no longer used.")
    errors = Errors()
    wanted = _check_contact(contact, errors)
    errors.raise_any()
    changed = {name: value for name, value in wanted.items() if getattr(pledge, name) != value}
    if not changed:
        return pledge
    old = {name: getattr(pledge, name) for name in changed}
    for name, value in changed.items():
        setattr(pledge, name, value)
    pledge.save(update_fields=list(changed))
    audit.record(pledge, actor=actor, action="pledge.update", old=old, new=changed)
    return pledge

