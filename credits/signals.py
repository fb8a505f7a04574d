"""What the credits programme tells the parts built on it.

`contribution_received` is sent once per contribution, when it is received (a credit
recorded by staff, or cash whose invoice is paid), inside the transaction that records it,
with `contribution`. It is the only event that creates value: the credit pool builds its
ledger on it. Receivers defer anything outside the database until after commit."""

from django.dispatch import Signal

contribution_received = Signal()
