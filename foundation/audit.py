"""The audit log: one call records a status change or an admin action."""

from collections.abc import Sequence
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import models

from .models import AuditEntry

# A field whose name holds one of these words is a secret: the log names it, never its value.
SECRET_WORDS = ("password", "secret", "token")


def record(
    obj: models.Model,
    *,
    actor: Any = None,
    action: str,
    old: Any = None,
    new: Any = None,
    note: str = "",
) -> AuditEntry:
    return AuditEntry.objects.create(
        content_type=ContentType.objects.get_for_model(obj, for_concrete_model=False),
        object_id=str(obj.pk),
        object_repr=str(obj)[:200],
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        action=action,
        old_value=old,
        new_value=new,
        note=note,
    )


def history(obj: models.Model):
    return AuditEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(obj, for_concrete_model=False),
        object_id=str(obj.pk),
    ).select_related("actor")


def is_secret(name: str) -> bool:
    return any(word in name.lower() for word in SECRET_WORDS)


def changed_note(names: Sequence[str]) -> str:
    """The note that names changed fields whose values the log does not keep."""
    return f"Changed: {', '.join(names)}" if names else ""


def without_secrets(old: Any, new: Any, note: str) -> tuple[Any, Any, str]:
    """An entry's old and new values with every secret key dropped, and its note naming the
    dropped fields. For entries written before the admin stopped recording secrets."""
    names: list[str] = []

    def scrub(values: Any) -> Any:
        if not isinstance(values, dict):
            return values
        for key in values:
            if is_secret(key) and key not in names:
                names.append(key)
        return {key: value for key, value in values.items() if not is_secret(key)}

    old, new = scrub(old), scrub(new)
    if names:
        note = "\n".join(filter(None, [note, changed_note(names)]))
    return old, new, note
