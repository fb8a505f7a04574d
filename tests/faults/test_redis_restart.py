"""Redis restarted (its data gone: no save, no AOF) while tasks wait in its queue and pages are
being served. Pages keep answering from the database, a signed-in member stays signed in
(sessions are in the database, the cache holds copies), /healthz answers 503 naming the
broker, work committed meanwhile is kept by the outbox, and once Redis is back every task the
queue lost or never got runs, once."""

import threading
import time
from collections import Counter

import pytest
from allauth.account.models import EmailAddress
from django.conf import settings
from django.db import transaction

from bench.run import sign_in
from credits.ledger.models import LedgerTransaction
from credits.models import SponsorYear
from foundation import emails
from foundation.billing.models import Payment, StripeEvent
from foundation.checklists.models import ChecklistItem
from foundation.models import OutboundEmail, OutboxTask
from tests.accounts.factories import OrganizationFactory
from tests.billing.webhooks import invoice_event
from tests.faults import data

pytestmark = pytest.mark.faults

PAGES = ["/", "/members/", "/credits/", "/projects/", "/api/members.json"]
QUEUED_PLEDGES = 4  # confirmed while the worker is away: their tasks wait in Redis
OUTAGE_PLEDGES = 3  # confirmed while Redis is down: their tasks never reach it
EMAILS = 20
OUTAGE_SECONDS = 8


class Visitors(threading.Thread):
    """Anonymous visitors on the public pages and one signed-in member on the dashboard, one
    request after another, each result noted under the phase it was asked in."""

    def __init__(self, harness, cookies: dict[str, str]):
        super().__init__(daemon=True)
        self.harness, self.cookies = harness, cookies
        self.phase = "before"
        self.results: list[tuple[str, str, int | str, float]] = []
        self._done = threading.Event()

    def run(self) -> None:
        paths = [*PAGES, "/dashboard/"]
        n = 0
        while not self._done.is_set():
            path = paths[n % len(paths)]
            n += 1
            started = time.monotonic()
            status, headers, _ = self.harness.get(
                path, cookies=self.cookies if path == "/dashboard/" else None, timeout=15)
            if status == 302 and "login" in headers.get("Location", ""):
                status = "signed out"
            self.results.append((self.phase, path, status, time.monotonic() - started))

    def stop(self) -> None:
        self._done.set()
        self.join(timeout=30)

    def summary(self, phase: str) -> tuple[int, Counter, float]:
        mine = [r for r in self.results if r[0] == phase]
        slowest = max((r[3] for r in mine), default=0.0)
        return len(mine), Counter(r[2] for r in mine), slowest


def _member_session() -> dict[str, str]:
    """A signed-in organization admin's session cookie, as a login leaves it."""
    _, user = OrganizationFactory.with_admin()
    EmailAddress.objects.update_or_create(user=user, email=user.email,
                                          defaults={"verified": True, "primary": True})
    return {settings.SESSION_COOKIE_NAME: sign_in(user)}


def test_redis_restarted_with_tasks_queued_and_pages_served(harness, report):
    programme = data.programme()
    cookies = _member_session()
    contribution, invoice = data.cash_invoice(programme, "in_faults_redis")
    harness.wait_broker_idle(timeout=60)
    status, headers, _ = harness.get("/dashboard/", cookies=cookies)
    assert status == 200, (status, headers.get("Location"))

    visitors = Visitors(harness, cookies)
    visitors.start()
    # Work committed while no worker runs: its tasks wait in Redis's queue.
    harness.stop("worker")
    pledges = [data.confirm(programme, data.credit_pledge(programme))
               for _ in range(QUEUED_PLEDGES)]
    with transaction.atomic():
        for n in range(EMAILS):
            emails.queue_rendered(key=f"faults:redis:{n}", kind="faults_redis",
                                  to=f"redis{n}@example.org", subject="Notice",
                                  text=f"Notice {n}.")
    queued = harness.redis_client().llen("celery")
    time.sleep(1)

    visitors.phase = "down"
    harness.stop_redis()
    down_at = time.monotonic()
    health, _, body = harness.get("/healthz", timeout=15)
    # Work committed while Redis is down: kept by the outbox, not failed.
    pledges += [data.confirm(programme, data.credit_pledge(programme))
                for _ in range(OUTAGE_PLEDGES)]
    event = invoice_event("invoice.paid", invoice, event_id="evt_faults_redis")
    webhook_status = data.webhook(harness, event)
    assert webhook_status == 200, harness.log("web")
    time.sleep(max(0.0, OUTAGE_SECONDS - (time.monotonic() - down_at)))
    harness.start_redis()
    outage = time.monotonic() - down_at
    visitors.phase = "after"
    harness.start_process("worker")
    harness.wait_healthy(timeout=30)
    recovered_at = time.monotonic()

    def all_done() -> bool:
        return (not OutboxTask.objects.filter(done_at=None).exists()
                and not OutboundEmail.objects.exclude(status=OutboundEmail.Status.SENT).exists()
                and StripeEvent.objects.get(stripe_id=event["id"]).status
                == StripeEvent.Status.PROCESSED)

    harness.wait_until(all_done, 90, "every task lost or held back to run", process="worker")
    caught_up = time.monotonic() - recovered_at
    time.sleep(2)
    visitors.stop()

    sponsor_years = SponsorYear.objects.filter(
        organization__in=[p.organization_id for p in pledges])
    items = Counter(ChecklistItem.objects.filter(
        holder_id__in=[str(pk) for pk in sponsor_years.values_list("pk", flat=True)])
        .values_list("holder_id", flat=True))
    delivered = Counter(to for to in harness.smtp.recipients() if to.startswith("redis"))
    payments = Payment.objects.filter(invoice=invoice).count()
    postings = LedgerTransaction.objects.filter(
        key=f"receipt:contribution:{contribution.pk}").count()

    lines = []
    for phase in ("before", "down", "after"):
        count, statuses, slowest = visitors.summary(phase)
        lines.append(f"{phase}: {count} requests, "
                     f"{', '.join(f'{n} x {s}' for s, n in sorted(statuses.items()))}, "
                     f"slowest {slowest * 1000:.0f} ms")
    report(f"Redis restarted (down {outage:.0f} s, its data gone) with {queued} tasks queued "
           f"and pages served: {'; '.join(lines)}")
    report(f"Redis restart: /healthz answered {health} during the outage "
           f"({body.decode()[:120]}); the Stripe webhook answered {webhook_status}; "
           f"the signed-in member stayed signed in")
    report(f"Redis restart: after it, all caught up in {caught_up:.0f} s: "
           f"{len(pledges)} pledge confirmations ({QUEUED_PLEDGES} lost with the queue, "
           f"{OUTAGE_PLEDGES} committed during the outage) made {len(items)} checklists of "
           f"{' or '.join(map(str, sorted(set(items.values())))) or 0} items; "
           f"{sum(delivered.values())} of {EMAILS} e-mails "
           f"delivered, {sum(n - 1 for n in delivered.values())} duplicates; the webhook's "
           f"event: {payments} payment, {postings} ledger transaction")

    for phase in ("before", "down", "after"):
        _, statuses, _ = visitors.summary(phase)
        assert set(statuses) == {200}, (phase, statuses)
    assert health == 503 and b"broker" in body
    assert webhook_status == 200
    assert len(items) == len(pledges) and set(items.values()) == {len(data.BENEFITS)}
    assert set(delivered) == {f"redis{n}@example.org" for n in range(EMAILS)}
    assert set(delivered.values()) == {1}
    assert (payments, postings) == (1, 1)
