"""What is true of an application or a membership, said to the people who applied: what they
wait for, by when, and what withdrawing or leaving would change. Pages show these sentences
instead of a raw status, which can mislead ("Approved" while the signatory has not signed)."""

from datetime import date
from decimal import Decimal

from django.db.models import Prefetch
from django.utils import timezone

from foundation.audit import long_date
from foundation.billing.models import Invoice

from .models import GRACE, Application, Membership, MembershipTerm, Tier


def money(amount: Decimal) -> str:
    return f"${amount:,.2f}"


def _unpaid_terms():
    """Unpaid terms whose invoice asks to be paid, oldest first."""
    return (MembershipTerm.objects.filter(paid=False, invoice__status__in=[
        Invoice.Status.OPEN, Invoice.Status.UNCOLLECTIBLE])
        .select_related("invoice").order_by("starts_on"))


# Prefetched into `open_terms` when many memberships are described at once
# (selectors.membership_overviews).
OPEN_TERMS = Prefetch("terms", queryset=_unpaid_terms(), to_attr="open_terms")


def _open_invoice(membership: Membership) -> Invoice | None:
    """The invoice the membership still asks to be paid: its first term's, or a renewal's."""
    if hasattr(membership, "open_terms"):
        term = membership.open_terms[0] if membership.open_terms else None
    else:
        term = _unpaid_terms().filter(membership=membership).first()
    return term.invoice if term else None


def _invoice_words(invoice: Invoice) -> str:
    due = f", due {long_date(invoice.due_date)}" if invoice.due_date else ""
    return f"invoice {invoice.number} ({money(invoice.total)}{due})"


def _reviewer(application: Application) -> str:
    """Board tiers go to the Governing Board; another tier is reviewed only when staff check
    the organization's eligibility."""
    return ("the Governing Board" if application.tier.review == Tier.Review.BOARD
            else "our membership team")


def _signatory(application: Application) -> str:
    return f"{application.signatory_name} ({application.signatory_email})"


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def _sentence(text: str) -> str:
    return text.rstrip().rstrip(".") + "."


def state_in_words(obj: Application | Membership, *, today: date | None = None) -> str:
    """The state of an application or a membership in the applicant's words."""
    today = today or timezone.localdate()
    if isinstance(obj, Membership):
        return _membership_words(obj, today)
    return _application_words(obj, today)


def _application_words(application: Application, today: date) -> str:
    status, tier = application.status, application.tier
    signatory = (f"your signatory, {_signatory(application)}, to accept the membership "
                 "agreement")
    if status == Application.Status.UNDER_REVIEW:
        words = f"Under review by {_reviewer(application)}"
        if application.review_due:
            words += f"; decision due {long_date(application.review_due)}"
        also = f" Also waiting for {signatory}." if application.signed_at is None else ""
        return f"{words}.{also}"
    if status == Application.Status.CHANGES_REQUESTED:
        return _sentence(f"Changes requested by {_reviewer(application)}: "
                         f"{application.decision_note}")
    if status == Application.Status.APPROVED:
        approved = (f"Approved by {_reviewer(application)}. "
                    if application.review_due else "")
        if application.signed_at is None:
            return f"{approved}Waiting for {signatory}."
        signed_on = long_date(timezone.localtime(application.signed_at).date())
        return (f"{approved}Accepted by your signatory, {application.signed_name}, on "
                f"{signed_on}.")
    if status == Application.Status.REJECTED:
        return _sentence(f"Rejected by {_reviewer(application)}: {application.decision_note}")
    if status == Application.Status.DECLINED:
        reason = application.declined_reason or "no reason given"
        return _sentence(f"Declined: your signatory, {application.signatory_name}, did not "
                         f"accept the agreement ({reason})")
    if status == Application.Status.WITHDRAWN:
        return "Withdrawn."
    membership = application.membership  # a completed application started one
    if membership.status == Membership.Status.ENDED:
        return _membership_words(membership, today)
    started = f" on {long_date(membership.starts_on)}" if membership.starts_on else ""
    return f"Complete: your {tier} membership started{started}."


def _membership_words(membership: Membership, today: date) -> str:
    tier, status = membership.tier, membership.status
    if status == Membership.Status.PENDING:
        invoice = _open_invoice(membership)
        pay = f"payment of {_invoice_words(invoice)}" if invoice else "payment"
        return f"Waiting for {pay}: your {tier} membership starts when it is paid."
    if status == Membership.Status.LAPSED:
        ended = f" on {long_date(membership.ends_on)}" if membership.ends_on else ""
        return f"Lapsed: your {tier} membership ended{ended} and its renewal was not paid."
    if status == Membership.Status.ENDED:
        if membership.leaves_on:
            return (f"Ended: you left, and the last day of your {tier} membership was "
                    f"{long_date(membership.leaves_on)}.")
        if membership.starts_on is None:
            return f"Ended: your {tier} membership never started; its application was withdrawn."
        return f"Ended: your {tier} membership was replaced by a new one."
    assert membership.ends_on is not None and membership.renewal_date is not None
    if membership.leaves_on:
        return (f"Leaving on {long_date(membership.leaves_on)}: your {tier} membership is "
                "active until then and will not renew.")
    invoice = _open_invoice(membership)
    ends, renews = long_date(membership.ends_on), long_date(membership.renewal_date)
    if membership.ends_on < today:
        pay = f"Pay {_invoice_words(invoice)}" if invoice else "Renew it"
        return (f"Active, in its grace period: the term ended on {ends}. {pay} by "
                f"{long_date(membership.ends_on + GRACE)}, or the membership lapses.")
    if invoice:
        return f"Active until {ends}; renews on {renews} once {_invoice_words(invoice)} is paid."
    return f"Active until {ends}; renews on {renews}."


def withdrawal_consequences(application: Application) -> list[str]:
    """What withdrawing this application changes, for the page that asks to confirm it."""
    tier, reviewer = application.tier, _reviewer(application)
    lines = [f"Your {tier} application ends. You can apply again at any time, with a new "
             "application."]
    if application.status in {Application.Status.UNDER_REVIEW,
                              Application.Status.CHANGES_REQUESTED}:
        lines.append(f"{_capital(reviewer)} stops reviewing it; a new "
                     "application is reviewed from the start.")
    if application.status == Application.Status.APPROVED and application.decided_at \
            and application.review_due:
        lines.append(f"{_capital(reviewer)} approved it on "
                     f"{long_date(timezone.localtime(application.decided_at).date())}: that "
                     "approval is lost, and a new application needs a new decision.")
    if application.signed_at:
        lines.append(f"Your signatory's acceptance of the agreement, signed by "
                     f"{application.signed_name}, no longer counts.")
    else:
        lines.append(f"The link we e-mailed your signatory, {_signatory(application)}, stops "
                     "working.")
    pending = Membership.objects.filter(application=application,
                                        status=Membership.Status.PENDING).first()
    invoice = _open_invoice(pending) if pending else None
    if invoice:
        lines.append(f"Invoice {invoice.number} for {money(invoice.total)} is voided: do not "
                     "pay it.")
    if application.status == Application.Status.APPROVED or invoice:
        lines.append("We let our membership team know.")
    return lines


def leaving_consequences(membership: Membership, *, today: date | None = None) -> list[str]:
    """What leaving changes for this membership, for the page that asks to confirm it."""
    today = today or timezone.localdate()
    tier, org = membership.tier, membership.organization
    last = membership.last_day_if_leaving(today)
    if membership.ends_on and last == membership.ends_on:
        lines = [f"Your {tier} membership stays active until {long_date(last)}, the last day "
                 "of its paid term, and ends the day after."]
    else:
        lines = [f"Its paid term is over, so your {tier} membership ends now: today, "
                 f"{long_date(last)}, is its last day."]
    lines.append(f"Until then you keep its benefits, and {org} stays in the member directory.")
    invoice = _open_invoice(membership)
    if invoice:
        lines.append(f"Renewal invoice {invoice.number} for {money(invoice.total)} is voided "
                     "at once: do not pay it.")
    lines.append("It does not renew, and we send no renewal reminders.")
    if tier.has_board_seat:
        lines.append("Your seat on the Governing Board ends with the membership.")
    lines.append("We let our membership team know. You are welcome back at any time: apply "
                 "again.")
    return lines


def organization_state(overview: dict) -> list[str]:
    """The sentences the dashboard shows for one organization, from
    selectors.membership_overviews: its membership, an upgrade on the way, or its latest
    application."""
    membership, application = overview["membership"], overview["application"]
    lines = [overview["membership_state"]] if membership else []
    if overview["pending_upgrade"]:
        lines.append(overview["upgrade_state"])
    elif application and (not membership or (application.is_open
                                             and application.pk != membership.application_id)):
        lines.append(overview["application_state"])
    return lines or ["Not a member yet."]
