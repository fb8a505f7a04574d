"""Status machines: each model keeps an ALLOWED_TRANSITIONS map next to it, and every status
change goes through `transition`, which checks the map and audits the real old value.

Locks are taken in one order everywhere, so two services never wait on each other:
organization, application, membership, membership term, invoice, payment. A service that
starts from an invoice (a payment) first locks the invoice's organization and asks the
invoice's subject to lock its own chain (`lock_chain`), then the invoice."""

from collections.abc import Collection, Mapping
from typing import Any

from django.db import models


class DomainError(Exception):
    """A rule of the domain was broken; views and admin show the message to the person."""


def ensure_transition(current: str, new: str, allowed: Mapping[Any, Collection[str]]) -> None:
    if new not in allowed.get(current, set()):
        raise DomainError(f"Cannot go from “{current}” to “{new}”.")


def transition(
    obj: models.Model,
    new: str,
    *,
    action: str,
    actor: Any = None,
    note: str = "",
    **changes: Any,
) -> str:
    """Move `obj` (locked by the caller) to `new`, saving `changes` with it, and audit the
    move. Returns the old status. `changes` are field values written in the same save."""
    from foundation import audit

    old = obj.status  # type: ignore[attr-defined]
    ensure_transition(old, new, type(obj).ALLOWED_TRANSITIONS)  # type: ignore[attr-defined]
    obj.status = new  # type: ignore[attr-defined]
    for field, value in changes.items():
        setattr(obj, field, value)
    obj.save(update_fields=["status", *changes])
    audit.record(obj, actor=actor, action=action, old={"status": old},
                 new={"status": new, **{k: _shown(v) for k, v in changes.items()}}, note=note)
    return old


def _shown(value: Any) -> Any:
    if isinstance(value, (str, int, bool, type(None))):
        return value
    return value.isoformat() if hasattr(value, "isoformat") else str(value)
