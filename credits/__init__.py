"""The cloud credit programme: sponsors pledge credit or cash, reach a level from the year's
confirmed contributions, and see every promised benefit delivered with proof.

Where things live:
- models/programme.py: Level, Benefit (cumulative up the levels), Provider.
- models/pledges.py: Pledge (status, technical contact), Contribution (credit or cash; the
  redemption reference is staff-only), SponsorYear (an organization's year: its level and
  the holder of its benefits checklist).
- selectors.py: levels and the gap to the next (`standing`), reads scoped to the person.
- services/pledges.py: every write about pledges: submit (validation), confirm (cash is
  invoiced through billing), receive a credit, cash received from billing's `invoice_paid`,
  cancel, the technical contact's update.
- services/benefits.py: the benefits checklist per SponsorYear (foundation.checklists),
  automatic delivery of website placement, delivering an item, overdue reminders.
- signals.py: `contribution_received`, sent once per contribution received.
- tasks.py: the checklist after confirmation, and the daily job (beat): confirmations whose
  task was lost, then overdue reminders.
- words.py: contributions and checklist items in the sponsor's words; `usd` and `a_or_an`
  below, also as template filters (`{% load credits_money %}`).
- E-mails: templates/credits/emails/.
- ledger/: the credit pool's double-entry ledger, the only code that moves value. models.py:
  Account (sponsors, a pool per provider, the earmarked cash pool, an allocation per project
  and provider, consumed and expired per provider), Lot (one received contribution: its
  provider, amount and valid_to; cash has neither), LedgerTransaction (one business event,
  unique key) and Entry (signed amount into an account from a lot). Rows are immutable in
  code, in the admin (read-only, ledger/admin.py) and in the database (triggers; PostgreSQL
  also refuses at commit a transaction not summing to zero). posting.py: every write,
  idempotent by key, locking pools, then the cash pool, then allocations:
  `receive_contribution` (connected to `contribution_received` by ledger_receivers.py),
  `allocate` (soonest-expiring lots first, explicit `cover_with_cash`, never overdrawn,
  `LedgerError` otherwise), `record_usage` (returns the excess the allocation could not
  cover), `expire_lapsed` (once per lot). balances.py: `available`, `soonest_expiry`,
  `cash_available`, `allocation_balance`, `pool_figures` (three queries), derived from the
  entries; nothing stores a balance.
- transparency.py: what the public and staff see of the pool (per provider and the cash
  pool's figures, each provider's burn-down: usage per month, what is left, the forecast from
  the trailing three complete months), in four queries; burndown_svg.py draws the chart as
  inline SVG; views_transparency.py serves /credits/transparency/ (cached) and staff's
  burn-down (mounted in the ledger's admin); api.py's /api/credits.json gives the same.
- Support within the sponsor's SLA: models/support.py (SupportRequest: the contact and SLA as
  sent, deadline, acknowledgement, answer, first response, staff flag), services/support.py
  (which pledge's contact answers for an allocation, sending, the contact's response through
  a signed link, flagging past the deadline once, figures per sponsor), views_support.py,
  forms_support.py, admin_support.py (read-only, figures per sponsor), the beat task
  `flag_overdue_support`, the queue "Support requests past the SLA".
- The pool's self-service: models/pool.py (ResourceRequest with its status machine,
  UsageRecord under a unique key, ExpiryWarning once per lot and threshold);
  services/requests.py (offers, submit, approve in part or in full with explicit cash cover
  under the request's lock, reject), services/usage.py (form and all-or-nothing CSV import,
  excess flagged to staff), services/expiry.py (the daily job `pool_daily`: expiry, then
  60-day warnings); views_pool.py, forms_pool.py, admin_pool.py (the decision page),
  pool_receivers.py (the hosted projects' credits on /dashboard/), the queues "Resource
  requests to decide" and "Usage beyond an allocation".
"""

from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.utils import timezone


def programme_year() -> int:
    """The year levels count: CREDITS_PROGRAMME_YEAR, or else today's calendar year."""
    return settings.CREDITS_PROGRAMME_YEAR or timezone.localdate().year


def usd(amount: Decimal) -> str:
    """An amount as a person writes it: $250,000, or $249,999.99 when it has cents."""
    return f"${amount:,.0f}" if amount == amount.to_integral_value() else f"${amount:,.2f}"


def dollars(value: Any) -> Decimal | None:
    """An amount of US dollars as a person writes it ("2500", "$2,500.50") as a Decimal
    (which may still be NaN or infinite), or None when it is no number at all."""
    try:
        return Decimal(("" if value is None else str(value)).strip().replace(",", "").lstrip("$"))
    except (InvalidOperation, ValueError):
        return None


def a_or_an(word: object) -> str:
    """The word with its article: a Champion, an Advocate."""
    text = str(word)
    return f"{'an' if text[:1].lower() in 'aeiou' and text else 'a'} {text}"
