"""An organization's history in its people's words: each audit entry as a sentence with the
actor's name. The kernel knows the organization, its people and its invitations; each
programme adds its own objects (`sources`) and its own sentences (`SENTENCES`) when its app
is ready, so the page reads as one history."""

from collections.abc import Callable, Iterable

from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Q

from foundation import audit
from foundation.models import AuditEntry

from .models import Invitation, Organization, Role

Sentence = Callable[[AuditEntry, str], str]
Source = Callable[[Organization], list[tuple[type[models.Model], Iterable]]]


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


SENTENCES: dict[str, Sentence] = {
    "roles.set": _roles,
    "invitation.create": lambda e, who: f"{who} invited {_invited(e)} to join.",
    "invitation.accept": lambda e, who: f"{who} accepted the invitation and joined.",
    "invitation.revoke": lambda e, who: f"{who} revoked the invitation of {_invited(e)}.",
}
sources: list[Source] = []


def describe(entry: AuditEntry) -> str:
    """The entry as a sentence: the registered words for its action, the audit log's generic
    ones for the rest (foundation.audit.describe)."""
    words = SENTENCES.get(entry.action)
    return words(entry, audit.actor_name(entry)) if words else audit.describe(entry)


def described(entries: Iterable[AuditEntry]) -> list[tuple[AuditEntry, str]]:
    return [(entry, describe(entry)) for entry in entries]


def organization_history(organization: Organization, *,
                         limit: int = 20) -> list[tuple[AuditEntry, str]]:
    """The newest entries about the organization, its invitations and what the programmes
    add (applications, memberships), each with its sentence."""
    kinds: list[tuple[type[models.Model], Iterable]] = [
        (Organization, [organization.pk]),
        (Invitation, organization.invitations.values_list("pk", flat=True)),
    ]
    for source in sources:
        kinds += source(organization)
    about = Q(pk__in=[])
    for model, ids in kinds:
        about |= Q(content_type=ContentType.objects.get_for_model(model),
                   object_id__in=[str(pk) for pk in ids])
    return described(AuditEntry.objects.filter(about).select_related("actor")[:limit])


def type_history(organization: Organization) -> list[str]:
    """The organization's type changes, newest first, for staff."""
    return [
        f"{entry.created_at:%-d %B %Y}: {entry.old_value.get('type')} → "
        f"{entry.new_value.get('type')}" + (f" by {entry.actor}" if entry.actor else "")
        for entry in audit.history(organization).filter(action="organization.update",
                                                        new_value__has_key="type")
    ]
