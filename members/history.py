"""An organization's history in its people's words: each audit entry about the organization,
its invitations, applications and memberships as a sentence with the actor's name."""

from collections.abc import Callable, Iterable
from datetime import date

from django.contrib.contenttypes.models import ContentType
from django.db.models import Q

from foundation import audit
from foundation.models import AuditEntry

from .models import Application, Invitation, Membership, Organization, Role


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


def _invited(entry: AuditEntry) -> str:
    return entry.object_repr.removeprefix("Invitation of ").rsplit(" to ", 1)[0]


def _roles(entry: AuditEntry, who: str) -> str:
    old, new = entry.old_value or {}, entry.new_value or {}
    person = new.get("user") or old.get("user", "someone")
    before, after = set(old.get("roles", [])), set(new.get("roles", []))
    if not after:
        return f"{who} removed {person} from the organization."

    def labels(values: set[str]) -> str:
        names = [Role(v).label for v in Role.values if v in values]
        return f"the {audit.join_words(names)} role{'s' if len(names) > 1 else ''}"

    changes = []
    if after - before:
        changes.append(f"gave {person} {labels(after - before)}")
    if before - after:
        changes.append(f"took away {labels(before - after)}")
    return f"{who} {' and '.join(changes)}."


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
    "roles.set": _roles,
    "invitation.create": lambda e, who: f"{who} invited {_invited(e)} to join.",
    "invitation.accept": lambda e, who: f"{who} accepted the invitation and joined.",
    "invitation.revoke": lambda e, who: f"{who} revoked the invitation of {_invited(e)}.",
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


def describe(entry: AuditEntry) -> str:
    """The entry as a sentence: the membership programme's own words for its actions, the
    audit log's generic ones for the rest (foundation.audit.describe)."""
    words = SENTENCES.get(entry.action)
    return words(entry, audit.actor_name(entry)) if words else audit.describe(entry)


def described(entries: Iterable[AuditEntry]) -> list[tuple[AuditEntry, str]]:
    return [(entry, describe(entry)) for entry in entries]


def organization_history(organization: Organization, *,
                         limit: int = 20) -> list[tuple[AuditEntry, str]]:
    """The newest entries about the organization and its invitations, applications and
    memberships, each with its sentence."""
    kinds = [(Organization, [organization.pk]),
             (Invitation, organization.invitations.values_list("pk", flat=True)),
             (Application, organization.applications.values_list("pk", flat=True)),
             (Membership, organization.memberships.values_list("pk", flat=True))]
    about = Q(pk__in=[])
    for model, ids in kinds:
        about |= Q(content_type=ContentType.objects.get_for_model(model),
                   object_id__in=[str(pk) for pk in ids])
    return described(AuditEntry.objects.filter(about).select_related("actor")[:limit])
