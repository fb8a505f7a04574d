"""The ledger hears of received contributions: each one posts its lot, inside the
transaction that received it (credits/signals.py), once."""

from typing import Any

from credits.ledger.posting import receive_contribution
from credits.models import Contribution
from credits.signals import contribution_received


def post_receipt(sender: Any, contribution: Contribution, **kwargs: Any) -> None:
    receive_contribution(contribution)


def connect() -> None:
    """Called once the app is ready: the receipt hook, and the ledger's read-only admin."""
    from credits.ledger import admin  # noqa: F401  (registers the ModelAdmins)

    contribution_received.connect(post_receipt, sender=Contribution,
                                  dispatch_uid="credits_ledger_receipt")
