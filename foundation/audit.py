"""The audit log: one call records a status change or an admin action."""

from collections.abc import Sequence
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import FieldDoesNotExist
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


def actor_name(entry: AuditEntry) -> str:
    """Who made the change: the person's name (or e-mail); the portal when no person did."""
    return str(entry.actor) if entry.actor else "The portal"


def long_date(day: date) -> str:
    """A date as our pages write it: 12 March 2027."""
    return f"{day.day} {day:%B %Y}"


def join_words(parts: Sequence[str]) -> str:
    """Parts as one phrase: a; a and b; a, b and c."""
    return " and ".join(filter(None, [", ".join(parts[:-1]), parts[-1]])) if parts else ""


def value_words(field: Any, value: Any) -> str:
    """A value the log kept, as a page would show it: a choice's label, yes or no, a number
    with thousands separators, a date in full."""
    if value is None or value == "":
        return "nothing"
    if getattr(field, "choices", None):
        return str(dict(field.flatchoices).get(value, value))
    if isinstance(field, models.BooleanField):
        return "yes" if value in (True, "True") else "no"
    if isinstance(field, (models.IntegerField, models.DecimalField, models.FloatField)):
        try:
            return f"{Decimal(str(value)):,}"
        except InvalidOperation:
            return str(value)
    if isinstance(field, models.DateField):
        try:
            return long_date(date.fromisoformat(str(value)[:10]))
        except ValueError:
            return str(value)
    return str(value)


def _field(model: Any, name: str) -> Any:
    try:
        return model._meta.get_field(name) if model else None
    except FieldDoesNotExist:
        return None


def _label(model: Any, name: str) -> str:
    """The field's verbose name; a yes-or-no field is a setting ("is founding member" reads
    "the founding member setting")."""
    field = _field(model, name)
    label = str(getattr(field, "verbose_name", name.replace("_", " ")))
    if isinstance(field, models.BooleanField):
        return f"{label.removeprefix('is ')} setting"
    return label


def _change_words(model: Any, old: Any, new: Any, note: str) -> list[str]:
    """Each change as a phrase: the website from a to b, for a value kept; the logo, for a
    file, a secret or a field the note only names."""
    old = old if isinstance(old, dict) else {}
    new = new if isinstance(new, dict) else {}
    parts = []
    for name, value in new.items():
        field = _field(model, name)
        if isinstance(field, models.FileField):
            parts.append(f"the {_label(model, name)}")
        elif name in old:
            parts.append(f"the {_label(model, name)} from {value_words(field, old[name])} "
                         f"to {value_words(field, value)}")
        else:
            parts.append(f"the {_label(model, name)} to {value_words(field, value)}")
    named = [line.removeprefix("Changed: ") for line in note.splitlines()
             if line.startswith("Changed: ")]
    for line in named:
        parts += [f"the {_label(model, name)}" for name in line.split(", ") if name not in new]
    return parts


def describe(entry: AuditEntry) -> str:
    """The entry as a sentence for a page, never as data: "Ada Lovelace changed the
    consolidated employees from 300 to 5,000." Creations, changes, deletions and status moves
    read alike for every model; any other action still makes a sentence. An app words its own
    actions and falls back on this (members/history.py)."""
    who = actor_name(entry)
    model = ContentType.objects.get_for_id(entry.content_type_id).model_class()
    thing = f"the {model._meta.verbose_name if model else 'record'} {entry.object_repr}"
    verb = entry.action.rsplit(".", 1)[-1]
    old, new, note = without_secrets(entry.old_value, entry.new_value, entry.note)
    if verb in {"create", "add"}:
        return f"{who} created {thing}."
    if verb == "delete":
        return f"{who} deleted {thing}."
    if verb in {"update", "change"}:
        parts = _change_words(model, old, new, note)
        return f"{who} changed {join_words(parts) if parts else thing}."
    if isinstance(old, dict) and isinstance(new, dict) and "status" in old and "status" in new:
        status = _field(model, "status")
        return (f"{who} changed the status of {thing} from {value_words(status, old['status'])}"
                f" to {value_words(status, new['status'])}.")
    return f"{who} made a change: {entry.action.replace('.', ' ').replace('_', ' ')}."


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
