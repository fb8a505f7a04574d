"""Applying for membership: submission, the signatory's acceptance, the board's decision.
An application is invoiced or activated only once it is both approved and signed."""

from datetime import timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core import signing
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from foundation import audit, emails
from foundation.accounts.models import Organization, OrganizationRole, Role, User
from foundation.transitions import DomainError, transition
from members.models import (
    SIGNATURE_LINK_LIFETIME,
    TYPE_CHANGE_WINDOW,
    AgreementVersion,
    Application,
    EligibilityCheck,
    Membership,
    Tier,
)

from .eligibility import check_open, type_changed_recently

SIGNATURE_SALT = "members.signature"


def fee_for(tier: Tier, employees: int) -> Decimal:
    try:
        return tier.fee_for(employees)
    except ValueError as exc:
        raise DomainError(f"No {tier} fee covers {employees:,} employees; "
                          "please contact the membership team.") from exc


def current_agreement() -> AgreementVersion:
    agreement = AgreementVersion.objects.filter(published_at__lte=timezone.now()).first()
    if agreement is None:
        raise DomainError("No membership agreement is published yet.")
    return agreement


def check_eligibility(*, tier: Tier, organization_type: str, lf_silver_attested: bool) -> None:
    if not tier.eligible(organization_type):
        allowed = " and ".join(sorted(Organization.Type(t).label.lower()
                                      for t in tier.eligible_types))
        raise DomainError(f"{tier} membership is only for {allowed} organizations.")
    if tier.requires_lf_silver and not lf_silver_attested:
        raise DomainError(f"{tier} membership requires Linux Foundation Silver membership; "
                          "please attest to it.")


def _lock(application_id: int) -> Application:
    """The application under lock, its organization locked first (foundation/transitions.py)."""
    Organization.objects.lock(
        Application.objects.values_list("organization_id", flat=True).get(pk=application_id))
    return Application.objects.select_for_update().get(pk=application_id)


def signature_token(application: Application) -> str:
    """The link's credential: the application and the version of its latest link."""
    return signing.dumps([application.pk, application.signature_version], salt=SIGNATURE_SALT)


def signature_url(application: Application) -> str:
    path = reverse("membership_sign", kwargs={"token": signature_token(application)})
    return f"{settings.SITE_URL}{path}"


def _applicant_emails(application: Application) -> list[str]:
    admins = OrganizationRole.objects.filter(organization=application.organization,
                                             role=Role.ADMIN).values_list("user__email",
                                                                          flat=True)
    return sorted({application.submitted_by.email, *admins})


def _mail(application: Application, kind: str, to: list[str], occurrence: str = "",
          **context: Any) -> None:
    for address in to:
        emails.queue(kind=kind, obj=application, to=address, occurrence=occurrence,
                     template=f"members/emails/{kind}",
                     context={"application": application, "organization":
                              application.organization, "tier": application.tier, **context})


@transaction.atomic
def application_submit(
    *,
    organization: Organization,
    tier: Tier,
    actor: User,
    signatory_name: str,
    signatory_title: str,
    signatory_email: str,
    billing_email: str,
    billing_address: str,
    billing_country: str = "",
    agreement_accepted: bool,
    lf_silver_attested: bool = False,
    po_number: str = "",
    tax_id: str = "",
    motivation: str = "",
    planned_contributions: str = "",
    board_representative: str = "",
    tac_representative: str = "",
) -> Application:
    org = Organization.objects.select_for_update().get(pk=organization.pk)
    if not OrganizationRole.objects.filter(organization=org, user=actor,
                                           role=Role.ADMIN).exists():
        raise DomainError("Only an admin of the organization can apply for it.")
    check_eligibility(tier=tier, organization_type=org.type,
                      lf_silver_attested=lf_silver_attested)
    if not agreement_accepted:
        raise DomainError("Please accept the membership agreement.")
    if tier.has_questionnaire and not all([motivation, planned_contributions,
                                           board_representative, tac_representative]):
        raise DomainError(f"{tier} applications need the whole questionnaire.")
    if Application.objects.filter(organization=org).open().exists():
        raise DomainError(f"{org} has an application in progress already.")
    if Membership.objects.filter(organization=org, tier=tier).active().exists():
        raise DomainError(f"{org} is a {tier} member already.")
    needs_check = bool(tier.eligible_types) and type_changed_recently(org)
    board = tier.review == Tier.Review.BOARD or needs_check
    today = timezone.localdate()
    try:
        with transaction.atomic():
            application = Application.objects.create(
                organization=org, tier=tier, submitted_by=actor,
                status=Application.Status.UNDER_REVIEW if board else Application.Status.APPROVED,
                annual_fee=fee_for(tier, org.employees), employees=org.employees,
                signatory_name=signatory_name, signatory_title=signatory_title,
                signatory_email=signatory_email, billing_email=billing_email,
                billing_address=billing_address, billing_country=billing_country,
                po_number=po_number, tax_id=tax_id,
                lf_silver_attested=lf_silver_attested, agreement=current_agreement(),
                motivation=motivation, planned_contributions=planned_contributions,
                board_representative=board_representative,
                tac_representative=tac_representative,
                review_due=today + timedelta(days=tier.review_days) if board else None,
                decided_at=None if board else timezone.now(),
            )
    except IntegrityError as exc:
        raise DomainError(f"{org} has an application in progress already.") from exc
    audit.record(application, actor=actor, action="application.submit",
                 new={"status": application.status, "tier": tier.slug,
                      "fee": str(application.annual_fee)})
    if needs_check:
        check_open(organization=org, application=application,
                   reason=f"Applied for {tier} within {TYPE_CHANGE_WINDOW.days} days of a "
                          "change of its organization type.")
    _mail(application, "application_received", _applicant_emails(application))
    _mail(application, "application_received_staff", emails.staff_emails())
    emails.queue(kind="signature_request", obj=application, to=signatory_email,
                 template="members/emails/signature_request",
                 context={"application": application, "url": signature_url(application),
                          "expires_days": SIGNATURE_LINK_LIFETIME.days})
    return application


def _token_values(token: str) -> tuple[int, int]:
    try:
        value = signing.loads(token, salt=SIGNATURE_SALT, max_age=SIGNATURE_LINK_LIFETIME)
    except signing.SignatureExpired as exc:
        raise DomainError("This signature link has expired. Ask the applicant to send a "
                          "new one.") from exc
    except signing.BadSignature as exc:
        raise DomainError("This signature link is not valid.") from exc
    # A link e-mailed before links carried their version holds the id alone: the first link.
    return (value, 1) if isinstance(value, int) else (value[0], value[1])


def application_from_token(token: str, *, lock: bool = False) -> Application:
    """The application a signature link names. Refuses a forged or expired link, and one that
    a fresh link replaced. With `lock`, checked under the application's lock, so a fresh link
    sent at the same moment counts."""
    pk, version = _token_values(token)
    if not Application.objects.filter(pk=pk).exists():
        raise DomainError("This signature link is not valid.")
    application = _lock(pk) if lock else Application.objects.select_related(
        "organization", "tier", "agreement").get(pk=pk)
    if version != application.signature_version:
        raise DomainError("This link was replaced by a newer one: use the latest e-mail.")
    return application


def ensure_unsigned(application: Application) -> None:
    """Refuse a signature for an application signed, declined or closed; the signature page
    asks the same before it shows the form."""
    if application.signed_at or application.status == Application.Status.DECLINED:
        raise DomainError("This signature link has been used already.")
    if not application.is_open:
        raise DomainError("This application is closed; there is nothing to sign.")


@transaction.atomic
def signature_accept(*, token: str, name: str, ip: str | None) -> Application:
    """The signatory accepts the agreement version the application names."""
    application = application_from_token(token, lock=True)
    ensure_unsigned(application)
    if not name.strip():
        raise DomainError("Type your full name to sign.")
    application.signed_at = timezone.now()
    application.signed_name = name.strip()
    application.signed_ip = ip
    application.signed_version = application.agreement
    application.save(update_fields=["signed_at", "signed_name", "signed_ip", "signed_version"])
    audit.record(application, action="application.signed",
                 new={"signed_by": application.signed_name, "version":
                      application.agreement.version, "ip": ip},
                 note=f"{application.signatory_email}")
    advance(application)
    return application


@transaction.atomic
def signature_decline(*, token: str, reason: str, ip: str | None) -> Application:
    application = application_from_token(token, lock=True)
    ensure_unsigned(application)
    transition(application, Application.Status.DECLINED, action="application.declined",
               note=f"{reason.strip()} (from {ip})" if ip else reason.strip(),
               declined_reason=reason.strip())
    _mail(application, "signature_declined", _applicant_emails(application))
    return application


def advance(application: Application) -> None:
    """Once approved and signed: a free tier is active now; others are invoiced."""
    from .memberships import membership_activate_free, membership_invoice_first_term

    if application.status != Application.Status.APPROVED or not application.signed_at:
        return
    if Membership.objects.filter(application=application).exists():
        return
    if application.annual_fee == 0:
        membership_activate_free(application=application)
    else:
        membership_invoice_first_term(application=application)


def _decide(application_id: int, new: str, actor: User, note: str) -> Application:
    application = _lock(application_id)
    if application.status == new:
        return application
    if application.eligibility_checks.filter(status=EligibilityCheck.Status.OPEN).exists():
        raise DomainError(f"{application} waits for its eligibility check; decide that first.")
    transition(application, new, action=f"application.{new}", actor=actor, note=note,
               decision_note=note, decided_at=timezone.now())
    _mail(application, "application_decision", _applicant_emails(application),
          occurrence=f"{new}-{application.decided_at:%Y%m%d%H%M%S}")
    return application


@transaction.atomic
def application_approve(*, application_id: int, actor: User, note: str = "") -> Application:
    """Record the board's approval; invoices at once if the agreement is signed."""
    application = _decide(application_id, Application.Status.APPROVED, actor, note)
    advance(application)
    return application


@transaction.atomic
def application_reject(*, application_id: int, actor: User, reason: str) -> Application:
    if not reason.strip():
        raise DomainError("Give the reason for the rejection; the applicant will read it.")
    return _decide(application_id, Application.Status.REJECTED, actor, reason.strip())


@transaction.atomic
def application_request_changes(*, application_id: int, actor: User, note: str) -> Application:
    if not note.strip():
        raise DomainError("Say which changes the board asks for.")
    return _decide(application_id, Application.Status.CHANGES_REQUESTED, actor, note.strip())


@transaction.atomic
def application_resubmit(
    *,
    application_id: int,
    actor: User,
    motivation: str,
    planned_contributions: str,
    board_representative: str,
    tac_representative: str,
) -> Application:
    """The applicant answers a request for changes; the board reviews it again. Sent twice
    (a repeated click), the second changes nothing."""
    application = _lock(application_id)
    if not OrganizationRole.objects.filter(organization=application.organization, user=actor,
                                           role=Role.ADMIN).exists():
        raise DomainError("Only an admin of the organization can change its application.")
    if application.status == Application.Status.UNDER_REVIEW:
        return application
    transition(application, Application.Status.UNDER_REVIEW, action="application.resubmit",
               actor=actor, motivation=motivation, planned_contributions=planned_contributions,
               board_representative=board_representative,
               tac_representative=tac_representative,
               review_due=timezone.localdate() + timedelta(days=application.tier.review_days))
    _mail(application, "application_received_staff", emails.staff_emails(),
          occurrence=f"resubmit-{timezone.now():%Y%m%d%H%M%S}")
    return application


@transaction.atomic
def signature_resend(*, application_id: int, actor: User) -> Application:
    """A fresh link (its 14 days start again) for a signatory who has not signed yet. It
    retires every earlier link: only the latest e-mail can be used."""
    application = _lock(application_id)
    ensure_unsigned(application)
    application.signature_version += 1
    application.save(update_fields=["signature_version"])
    audit.record(application, actor=actor, action="application.signature_resent",
                 new={"signature_version": application.signature_version},
                 note=application.signatory_email)
    emails.queue(kind="signature_request", obj=application, to=application.signatory_email,
                 occurrence=f"link-{application.signature_version}",
                 template="members/emails/signature_request",
                 context={"application": application, "url": signature_url(application),
                          "expires_days": SIGNATURE_LINK_LIFETIME.days, "replaces": True})
    return application


@transaction.atomic
def application_withdraw(*, application_id: int, actor: User, note: str = "") -> Application:
    """Close an open application (the applicant or staff); a membership still waiting for
    its first payment ends, and its invoice is voided. Staff hear of it when the application
    was approved or invoiced, which they count on."""
    from .memberships import membership_cancel_pending

    application = _lock(application_id)
    if application.status == Application.Status.WITHDRAWN:
        return application
    old = transition(application, Application.Status.WITHDRAWN, action="application.withdrawn",
                     actor=actor, note=note)
    voided = membership_cancel_pending(application=application, note="Application withdrawn")
    if old == Application.Status.APPROVED or voided:
        _mail(application, "application_withdrawn_staff", emails.staff_emails(), actor=actor,
              was_approved=old == Application.Status.APPROVED,
              invoice=voided[0] if voided else None)
    return application


def send_review_reminders(*, today=None) -> int:
    """Remind staff of board reviews due within 3 days or overdue: once a day each."""
    today = today or timezone.localdate()
    due = Application.objects.filter(status=Application.Status.UNDER_REVIEW,
                                     review_due__lte=today + timedelta(days=3))
    count = 0
    for application in due.select_related("organization", "tier"):
        with transaction.atomic():
            _mail(application, "review_reminder", emails.staff_emails(),
                  occurrence=today.isoformat())
        count += 1
    return count
