"""The membership programme's part of an organization's history: its applications and
memberships, and their sentences (registered with the kernel's history when the app is
ready)."""

from collections.abc import Callable
from datetime import date

from foundation import audit
from foundation.accounts.models import Organization
from foundation.models import AuditEntry

from .models import Application, Membership


def _a(word: str) -> str:
    return f"{'an' if word[:1].lower() in 'aeiou' else 'a'} {word}"


def _day(value: str) -> str:
    return audit.long_date(date.fromisoformat(value))


def _with_note(sentence: str, note: str) -> str:
    """The sentence, then the note (a reason, a decision) that says why."""
    note = note.strip().rstrip(".")
    return f"{sentence}: {note}." if note else f"{sentence}."


# The names an entry kept when it was written (its object_repr), so a later rename does not
# rewrite the past: "<organization> for <tier>", "<organization> (<tier>)",
# "Invitation of <e-mail> to <organization>".
def _application_tier(entry: AuditEntry) -> str:
    return entry.object_repr.rsplit(" for ", 1)[-1]


def _membership_tier(entry: AuditEntry) -> str:
    return entry.object_repr.rsplit(" (", 1)[-1].removesuffix(")")


def _membership_activated(entry: AuditEntry, who: str) -> str:
    new = entry.new_value or {}
    sentence = f"The {_membership_tier(entry)} membership started"
    if new.get("starts_on") and new.get("ends_on"):
        sentence += f" on {_day(new['starts_on'])}, for a term until {_day(new['ends_on'])}"
    return f"{sentence}."


def _membership_renewed(entry: AuditEntry, who: str) -> str:
    ends_on = (entry.new_value or {}).get("ends_on")
    until = f" until {_day(ends_on)}" if ends_on else ""
    return f"The {_membership_tier(entry)} membership was renewed{until}."


def _leave(entry: AuditEntry, who: str) -> str:
    leaves_on = _day((entry.new_value or {})["leaves_on"])
    return (f"{who} gave notice to leave: the {_membership_tier(entry)} membership stays "
            f"active until {leaves_on}, then ends.")


SENTENCES: dict[str, Callable[[AuditEntry, str], str]] = {
    "application.submit": lambda e, who:
        f"{who} submitted {_a(_application_tier(e))} application.",
    "application.import": lambda e, who:
        f"{who} brought the {_application_tier(e)} membership over from our records.",
    "application.signed": lambda e, who:
        f"The signatory, {(e.new_value or {}).get('signed_by', '')}, accepted the membership "
        "agreement.",
    "application.declined": lambda e, who: _with_note(
        "The signatory declined the membership agreement",
        (e.new_value or {}).get("declined_reason", "")),
    "application.signature_resent": lambda e, who:
        f"{who} e-mailed the signatory ({e.note}) a fresh link.",
    "application.approved": lambda e, who: _with_note(f"{who} approved the application",
                                                      e.note),
    "application.rejected": lambda e, who: _with_note(f"{who} rejected the application",
                                                      e.note),
    "application.changes_requested": lambda e, who: _with_note(f"{who} asked for changes",
                                                               e.note),
    "application.resubmit": lambda e, who:
        f"{who} sent the updated application back for review.",
    "application.withdrawn": lambda e, who: _with_note(f"{who} withdrew the application",
                                                       e.note),
    "application.completed": lambda e, who:
        f"The application is complete: the {_application_tier(e)} membership started.",
    "membership.create": lambda e, who:
        f"The {_membership_tier(e)} membership was set up; it starts when its first invoice "
        "is paid.",
    "membership.activate": _membership_activated,
    "membership.renewed": _membership_renewed,
    "membership.leave": _leave,
    "membership.ended": lambda e, who: _with_note(
        f"The {_membership_tier(e)} membership ended", e.note),
    "membership.lapse": lambda e, who:
        f"The {_membership_tier(e)} membership lapsed: its renewal was not paid within the "
        "grace period.",
    "membership.renewal_failed": lambda e, who:
        f"We could not prepare the renewal of the {_membership_tier(e)} membership; our team "
        "is looking into it.",
    "membership.payment_after_end": lambda e, who:
        f"A payment arrived after the {_membership_tier(e)} membership had ended; our team "
        "will be in touch.",
}


def sources(organization: Organization) -> list[tuple[type, list[int]]]:
    """The organization's applications and memberships, for its history."""
    return [(Application, list(organization.applications.values_list("pk", flat=True))),
            (Membership, list(organization.memberships.values_list("pk", flat=True)))]
