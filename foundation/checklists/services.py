"""Every write to a checklist. Items are created once per (holder, key), so creating a
holder's checklist twice changes nothing."""

from dataclasses import dataclass
from datetime import date
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import models, transaction
from django.utils import timezone

from foundation import audit
from foundation.transitions import DomainError, ensure_transition

from .models import ChecklistItem


@dataclass(frozen=True)
class ItemSpec:
    key: str
    title: str
    description: str = ""
    due_date: date | None = None
    member_must_provide: str = ""
    owner: Any = None


@transaction.atomic
def checklist_ensure(*, holder: models.Model, items: list[ItemSpec]) -> list[ChecklistItem]:
    holder_type = ContentType.objects.get_for_model(holder)
    ChecklistItem.objects.bulk_create(
        [
            ChecklistItem(
                holder_type=holder_type, holder_id=str(holder.pk), key=spec.key,
                title=spec.title, description=spec.description, due_date=spec.due_date,
                member_must_provide=spec.member_must_provide, owner=spec.owner,
                status=(ChecklistItem.Status.WAITING_ON_MEMBER if spec.member_must_provide
                        else ChecklistItem.Status.TODO),
            )
            for spec in items
        ],
        ignore_conflicts=True,
    )
    return list(ChecklistItem.objects.for_holder(holder))


def _set_status(item: ChecklistItem, new: str, *, actor: Any, note: str = "") -> None:
    old = item.status
    ensure_transition(old, new, ChecklistItem.ALLOWED_TRANSITIONS)
    item.status = new
    if new == ChecklistItem.Status.DELIVERED:
        item.delivered_at = timezone.now()
    item.save()
    audit.record(item, actor=actor, action=f"checklist.{new}", old={"status": old},
                 new={"status": new}, note=note)


@transaction.atomic
def item_deliver(*, item_id: int, actor: Any = None, proof: str = "") -> ChecklistItem:
    item = ChecklistItem.objects.select_for_update().get(pk=item_id)
    if item.status == ChecklistItem.Status.DELIVERED:
        return item
    item.proof = proof or item.proof
    _set_status(item, ChecklistItem.Status.DELIVERED, actor=actor, note=proof)
    return item


@transaction.atomic
def item_provide(*, item_id: int, actor: Any, text: str) -> ChecklistItem:
    """The member provides what the item needs; it goes back to staff to deliver."""
    item = ChecklistItem.objects.select_for_update().get(pk=item_id)
    text = text.strip()
    if not text:
        raise DomainError("Please write what is asked for.")
    if item.status not in {ChecklistItem.Status.WAITING_ON_MEMBER, ChecklistItem.Status.TODO}:
        raise DomainError("This benefit is closed; nothing more is needed.")
    item.member_input = text
    item.provided_at = timezone.now()
    if item.status == ChecklistItem.Status.WAITING_ON_MEMBER:
        _set_status(item, ChecklistItem.Status.TODO, actor=actor, note="Provided by the member")
    else:
        item.save(update_fields=["member_input", "provided_at"])
    return item


@transaction.atomic
def item_mark_not_applicable(*, item_id: int, actor: Any, note: str = "") -> ChecklistItem:
    item = ChecklistItem.objects.select_for_update().get(pk=item_id)
    if item.status != ChecklistItem.Status.NOT_APPLICABLE:
        _set_status(item, ChecklistItem.Status.NOT_APPLICABLE, actor=actor, note=note)
    return item


def _shown(value: Any) -> str:
    if value is None or value == "":
        return "—"
    return value.isoformat() if isinstance(value, date) else str(value)


@transaction.atomic
def item_update(
    *, item_id: int, actor: Any, owner: Any, due_date: date | None, proof: str
) -> ChecklistItem:
    """Staff set who delivers an item, by when, and its proof of delivery. Deadlines drive
    the overdue reminders and proof is what the member sees, so each change is audited."""
    item = ChecklistItem.objects.select_for_update().get(pk=item_id)
    wanted = {"owner": owner, "due_date": due_date, "proof": proof}
    changed = {name: value for name, value in wanted.items() if getattr(item, name) != value}
    if not changed:
        return item
    old = {name: _shown(getattr(item, name)) for name in changed}
    for name, value in changed.items():
        setattr(item, name, value)
    item.save(update_fields=list(changed))
    audit.record(item, actor=actor, action="checklist.update", old=old,
                 new={name: _shown(value) for name, value in changed.items()})
    return item


def deliver_automatic(*, holder: models.Model, key: str, proof: str) -> None:
    """Deliver an item the portal itself fulfils (e.g. the logo shown in the directory)."""
    for item in ChecklistItem.objects.for_holder(holder).filter(key=key).open():
        item_deliver(item_id=item.pk, proof=proof)
