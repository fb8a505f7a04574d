"""The audit log: one call records a status change or an admin action."""

from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import models

from .models import AuditEntry


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
