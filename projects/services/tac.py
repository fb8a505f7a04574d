"""Staff manage the TAC roster: add a seat (a Premier member's named representative, linked
to that membership, or another voting or non-voting member), change whether it votes, and
end it. A representative's seat stops voting by itself when the membership is no longer
active (projects.selectors.voting_seats)."""

from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from foundation import audit
from foundation.accounts.models import Organization, User
from foundation.transitions import DomainError
from members.models import Membership
from projects.models import TacMember

from .common import clean_text


def _lock_seat(seat_id: int) -> TacMember:
    return TacMember.objects.select_for_update().select_related("user").get(pk=seat_id)


@transaction.atomic
def tac_member_add(*, user: User, actor: Any, voting: bool = True,
                   organization: Organization | None = None,
                   membership: Membership | None = None, note: str = "") -> TacMember:
    """Put a person on the roster. With a membership, the seat is that member's named
    representative: it belongs to the membership's organization and votes while the
    membership is active."""
    if membership is not None:
        membership = Membership.objects.select_related("organization").get(pk=membership.pk)
        if organization is not None and organization.pk != membership.organization_id:
            raise DomainError(f"This membership is {membership.organization}'s, not "
                              f"{organization}'s.")
        if membership.status != Membership.Status.ACTIVE:
            raise DomainError(f"{membership.organization}'s membership is "
                              f"{membership.get_status_display().lower()}: only an active "
                              "member names a TAC representative.")
        organization = membership.organization
    note = clean_text(note, limit=200, what="note")
    if TacMember.objects.filter(user=user, ends_at=None).exists():
        raise DomainError(f"{user} is on the TAC roster already.")
    try:
        with transaction.atomic():
            seat = TacMember.objects.create(
                user=user, organization=organization, membership=membership, voting=voting,
                note=note, added_by=actor if getattr(actor, "pk", None) else None)
    except IntegrityError as exc:
        raise DomainError(f"{user} is on the TAC roster already.") from exc
    audit.record(seat, actor=actor, action="tac.add",
                 new={"voting": voting, "organization": str(organization or ""),
                      "membership": membership.pk if membership else None})
    return seat


@transaction.atomic
def tac_member_set_voting(*, seat_id: int, actor: Any, voting: bool) -> TacMember:
    seat = _lock_seat(seat_id)
    if seat.ends_at is not None:
        raise DomainError(f"{seat.user} has left the TAC roster.")
    if seat.voting != voting:
        audit.record(seat, actor=actor, action="tac.voting", old={"voting": seat.voting},
                     new={"voting": voting})
        seat.voting = voting
        seat.save(update_fields=["voting"])
    return seat


@transaction.atomic
def tac_member_remove(*, seat_id: int, actor: Any, note: str = "") -> TacMember:
    """End the seat now; the person's ballots in votes still open stop counting."""
    note = clean_text(note, limit=2000, what="note")
    seat = _lock_seat(seat_id)
    if seat.ends_at is None:
        seat.ends_at = timezone.now()
        seat.save(update_fields=["ends_at"])
        audit.record(seat, actor=actor, action="tac.remove",
                     new={"ends_at": seat.ends_at.isoformat()}, note=note)
    return seat
