"""Background work that may fail (an e-mail, a Stripe event) counts its attempts on its own
row. A failed attempt is counted in a transaction of its own, after the work's transaction
rolled back, so the count survives and the retry budget belongs to the row, not to one
task's retries."""

from collections.abc import Collection

from django.db import models, transaction
from django.db.models import F


def is_last(model: type[models.Model], pk: int, *, budget: int) -> bool:
    """Whether the attempt about to be made is the row's last."""
    done = model._default_manager.filter(pk=pk).values_list("attempts", flat=True).first()
    return (done or 0) + 1 >= budget


def note_failure(model: type[models.Model], pk: int, error: str, *, done: Collection[str],
                 failed: str, final: bool) -> bool:
    """Count the failed attempt and keep its error; on the last attempt mark the work failed.
    True when this call marked it failed."""
    with transaction.atomic():
        rows = model._default_manager.filter(pk=pk).exclude(status__in=done)
        rows.update(attempts=F("attempts") + 1, last_error=error[:2000])
        return bool(final and rows.exclude(status=failed).update(status=failed))
