"""The hook through which a paid invoice tells what it pays for.

Receivers connect with the subject's model as sender, e.g.
`invoice_paid.connect(activate_membership, sender=Membership)`, and are called once, inside
the transaction that records the payment, with `invoice` and `subject`."""

from django.dispatch import Signal

invoice_paid = Signal()
