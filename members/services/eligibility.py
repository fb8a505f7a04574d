"""Eligibility checks. An organization's type decides which tiers it may join and so its fee:
when the type changes while it is a member or applying, or shortly before it applies for a
tier only some types may join, staff confirm it instead of the portal deciding alone."""

from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from foundation import audit, emails
from foundation.accounts.models import Organization, User
from foundation.transitions import DomainError, transition
from members.models import TYPE_CHANGE_WINDOW, Application, EligibilityCheck, Membership
from members.models.eligibility import ELIGIBILITY_CHECK_DAYS


def type_changed_recently(organization: Organization) -> bool:
    since = timezone.now() - TYPE_CHANGE_WINDOW
    return audit.history(organization).filter(
        action="organization.update", new_value__has_key="type", created_at__gte=since,
    ).exists()


def check_open(*, organization: Organization, reason: str,
               application: Application | None = None) -> EligibilityCheck:
    """The organization's one open check, due in a few days; staff hear of a new one."""
    check = EligibilityCheck.objects.open().filter(organization=organization).first()
    if check is not None:
        if application is not None and check.application_id is None:
            check.application = application
            check.save(update_fields=["application"])
        return check
    check = EligibilityCheck.objects.create(
        organization=organization, application=application, reason=reason[:300],
        due_date=timezone.localdate() + timedelta(days=ELIGIBILITY_CHECK_DAYS),
    )
    audit.record(check, action="eligibility.open", new={"status": check.status}, note=reason)
    for address in emails.staff_emails():
        emails.queue(kind="eligibility_check", obj=check, to=address,
                     template="members/emails/eligibility_check", context={"check": check})
    return check


def organization_type_changed(*, organization: Organization, old: str, new: str) -> None:
    """Called by the organization's update: a member's or applicant's new type is checked."""
    application = Application.objects.filter(organization=organization).open().first()
    member = Membership.objects.filter(
        organization=organization,
        status__in=[Membership.Status.ACTIVE, Membership.Status.PENDING]).exists()
    if member or application:
        labels = Organization.Type
        check_open(organization=organization, application=application,
                   reason=f"Type changed from {labels(old).label.lower()} to "
                          f"{labels(new).label.lower()} while "
                          f"{'a member' if member else 'applying'}.")


@transaction.atomic
def check_decide(*, check_id: int, eligible: bool, actor: User, note: str = "") -> EligibilityCheck:
    """Staff's decision. An application waiting on the check is approved or rejected with
    it; a member found not eligible stays for staff to end or move in the admin."""
    from .applications import application_approve, application_reject

    Organization.objects.lock(
        EligibilityCheck.objects.values_list("organization_id", flat=True).get(pk=check_id))
    check = EligibilityCheck.objects.select_for_update().get(pk=check_id)
    if check.status != EligibilityCheck.Status.OPEN:
        return check
    note = note.strip()
    if not eligible and not note:
        raise DomainError("Say why the organization is not eligible; the applicant reads it.")
    new = EligibilityCheck.Status.CONFIRMED if eligible else EligibilityCheck.Status.REJECTED
    transition(check, new, action=f"eligibility.{new}", actor=actor, note=note,
               decision_note=note, decided_by=actor, decided_at=timezone.now())
    application = check.application
    if application is not None and application.is_open:
        if eligible:
            application_approve(application_id=application.pk, actor=actor,
                                note=note or "Eligibility confirmed.")
        else:
            application_reject(application_id=application.pk, actor=actor, reason=note)
    return check
