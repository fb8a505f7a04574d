"""The ledger's tables. Value lives in accounts as immutable entries; every entry names the
lot its value came from, so a balance is a sum over entries (by account, by lot, by
provider) and nothing stores a running balance that could drift."""

from decimal import Decimal
from typing import Any, NoReturn

from django.db import models
from django.db.models import Q

IMMUTABLE = "Ledger rows are immutable: post a new transaction instead."


class ImmutableError(Exception):
    """Raised by code that tries to change or remove a ledger row."""


class ImmutableQuerySet(models.QuerySet):
    def update(self, **kwargs: Any) -> NoReturn:
        raise ImmutableError(IMMUTABLE)

    def delete(self) -> NoReturn:  # type: ignore[override]
        raise ImmutableError(IMMUTABLE)


class Immutable(models.Model):
    """Written once, never changed or removed (the database's triggers refuse it too)."""

    objects = ImmutableQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise ImmutableError(IMMUTABLE)
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> NoReturn:  # type: ignore[override]
        raise ImmutableError(IMMUTABLE)


class Account(Immutable):
    """Where value sits. One per key: `sponsors` (the outside world, the source of every
    receipt, so transactions sum to zero), `pool:<provider>`, `cash` (the earmarked cash
    pool), `allocation:<project>:<provider>`, `consumed:<provider>`, `expired:<provider>`.
    Accounts are never changed; their rows are what postings lock."""

    class Kind(models.TextChoices):
        SPONSORS = "sponsors", "Sponsors (outside)"
        POOL = "pool", "Provider's pool"
        CASH = "cash", "Earmarked cash pool"
        ALLOCATION = "allocation", "Project's allocation"
        CONSUMED = "consumed", "Consumed"
        EXPIRED = "expired", "Expired"

    key = models.CharField(max_length=64, unique=True)
    kind = models.CharField(max_length=10, choices=Kind.choices)
    provider = models.ForeignKey("credits.Provider", null=True, blank=True,
                                 on_delete=models.PROTECT, related_name="ledger_accounts")
    project = models.ForeignKey("projects.Project", null=True, blank=True,
                                on_delete=models.PROTECT, related_name="ledger_accounts")

    class Meta:
        ordering = ["key"]
        verbose_name = "ledger account"
        indexes = [models.Index(fields=["kind", "provider"], name="ledger_account_kind")]
        constraints = [
            models.CheckConstraint(
                condition=(Q(kind__in=["sponsors", "cash"], provider__isnull=True,
                             project__isnull=True)
                           | Q(kind__in=["pool", "consumed", "expired"],
                               provider__isnull=False, project__isnull=True)
                           | Q(kind="allocation", provider__isnull=False,
                               project__isnull=False)),
                name="ledger_account_owner_fits_kind"),
        ]

    def __str__(self) -> str:
        if self.kind == self.Kind.ALLOCATION:
            return f"{self.project}'s {self.provider} allocation"
        if self.provider_id:
            return f"{self.provider} {self.get_kind_display().lower()}"
        return self.get_kind_display()


class Lot(Immutable):
    """One received contribution's value: a provider's credit with its expiry (valid_to), or
    cash (no provider, no expiry)."""

    contribution = models.OneToOneField("credits.Contribution", on_delete=models.PROTECT,
                                        related_name="ledger_lot")
    provider = models.ForeignKey("credits.Provider", null=True, blank=True,
                                 on_delete=models.PROTECT, related_name="ledger_lots")
    amount = models.DecimalField("amount (USD)", max_digits=12, decimal_places=2)
    valid_to = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["valid_to", "id"]
        verbose_name = "ledger lot"
        indexes = [models.Index(fields=["provider", "valid_to"], name="ledger_lot_expiry")]
        constraints = [models.CheckConstraint(condition=Q(amount__gt=0),
                                              name="ledger_lot_positive")]

    def __str__(self) -> str:
        what = f"{self.provider} credit" if self.provider_id else "cash"
        return f"Lot {self.pk}: {what}"

    @property
    def is_cash(self) -> bool:
        return self.provider_id is None


class LedgerTransaction(Immutable):
    """A business event's entries, which sum to zero. `key` makes posting idempotent: the
    same event posted twice finds its transaction and changes nothing."""

    class Kind(models.TextChoices):
        RECEIPT = "receipt", "Contribution received"
        ALLOCATION = "allocation", "Allocation"
        CASH_COVER = "cash_cover", "Cash cover"
        USAGE = "usage", "Usage"
        EXPIRY = "expiry", "Expiry"

    key = models.CharField(max_length=200, unique=True)
    kind = models.CharField(max_length=10, choices=Kind.choices)
    on = models.DateField("business date")
    memo = models.CharField(max_length=500, blank=True)
    posted_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["posted_at", "id"]
        verbose_name = "ledger transaction"
        indexes = [models.Index(fields=["kind", "on"], name="ledger_transaction_kind")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} on {self.on} ({self.key})"


class Entry(Immutable):
    """Value into (positive) or out of (negative) an account, from one lot."""

    transaction = models.ForeignKey(LedgerTransaction, on_delete=models.PROTECT,
                                    related_name="entries")
    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="entries")
    lot = models.ForeignKey(Lot, on_delete=models.PROTECT, related_name="entries")
    amount = models.DecimalField("amount (USD)", max_digits=12, decimal_places=2)

    class Meta:
        ordering = ["transaction_id", "id"]
        verbose_name = "ledger entry"
        verbose_name_plural = "ledger entries"
        indexes = [
            models.Index(fields=["account", "lot"],
                         name="ledger_entry_account_lot"),
            models.Index(fields=["lot", "account"],
                         name="ledger_entry_lot_account"),
        ]
        constraints = [models.CheckConstraint(condition=~Q(amount=Decimal(0)),
                                              name="ledger_entry_not_zero")]

    def __str__(self) -> str:
        return f"{self.amount} to {self.account}"
