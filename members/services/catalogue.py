"""Writes to the catalogue that the admin's plain forms cannot check: fee bands, which
applications and renewals price from."""

from collections.abc import Sequence
from decimal import Decimal
from itertools import pairwise

from django.db import transaction

from foundation import audit
from foundation.accounts.models import MAX_EMPLOYEES, User, at_most_max_employees
from foundation.transitions import DomainError
from members.models import FeeBand, Tier

# (min_employees, max_employees or None for no upper bound, annual fee in USD)
Band = tuple[int, int | None, Decimal]


def _label(low: int, high: int | None) -> str:
    return FeeBand(min_employees=low, max_employees=high).label


def _describe(bands: Sequence[Band]) -> list[str]:
    return [f"{_label(low, high)} employees: ${fee:,.2f}" for low, high, fee in bands]


def _checked(bands: Sequence[Band]) -> list[Band]:
    """The bands from smallest up, or DomainError if `Tier.fee_for` would find no band, or
    two, for some organization (which has at least 1 employee)."""
    rows = sorted(((low, high, Decimal(fee)) for low, high, fee in bands), key=lambda b: b[0])
    for low, high, fee in rows:
        if max(low, high or 0) > MAX_EMPLOYEES:
            raise DomainError(at_most_max_employees.message)
        if low < 0 or (high is not None and high < low):
            raise DomainError(f"The band {_label(low, high)} ends below where it starts.")
        if fee < 0:
            raise DomainError(f"The fee of the band {_label(low, high)} is negative.")
    if rows and rows[0][0] > 1:
        raise DomainError(f"No band covers {_label(1, rows[0][0] - 1)} employees; "
                          "the lowest band must start at 1.")
    for (low, high, _), (next_low, next_high, _) in pairwise(rows):
        if high is None or next_low <= high:
            raise DomainError(f"The bands {_label(low, high)} and "
                              f"{_label(next_low, next_high)} overlap.")
        if next_low > high + 1:
            raise DomainError(f"No band covers {_label(high + 1, next_low - 1)} employees.")
    if rows and rows[-1][1] is not None:
        raise DomainError(f"No band covers more than {rows[-1][1]:,} employees; leave the "
                          "highest band's upper limit empty.")
    return rows


@transaction.atomic
def fee_bands_set(*, tier_id: int, bands: Sequence[Band], actor: User) -> Tier:
    """Replace a tier's sliding scale. Renewals price from it, so the old and new bands are
    audited."""
    tier = Tier.objects.select_for_update().get(pk=tier_id)
    new = _checked(bands)
    if not new and tier.fee_kind == Tier.FeeKind.SLIDING:
        raise DomainError(f"{tier} is priced on a sliding scale; it needs at least one band.")
    old: list[Band] = [(b.min_employees, b.max_employees, b.annual_fee)
                       for b in tier.fee_bands.order_by("min_employees")]
    if old == new:
        return tier
    tier.fee_bands.all().delete()
    FeeBand.objects.bulk_create(
        FeeBand(tier=tier, min_employees=low, max_employees=high, annual_fee=fee)
        for low, high, fee in new
    )
    audit.record(tier, actor=actor, action="tier.fee_bands",
                 old={"fee bands": _describe(old)}, new={"fee bands": _describe(new)})
    return tier
