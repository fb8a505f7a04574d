"""PostgreSQL stopped and started again under load. Six threads ask gunicorn for public pages,
a member's dashboard and invoice, and deliver signed Stripe webhooks, while two more write
invoices and ledger allocations through the services. During the outage every answer is a
page that needs no database (200) or the portal's own 503 page, never a traceback; once the
database is back the same gunicorn processes answer 200 again (CONN_HEALTH_CHECKS); and no
write is left half-done: every ledger transaction sums to zero, every invoice's total is
its lines', every paid webhook is one payment."""

import json
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from decimal import Decimal

import pytest
from django.conf import settings
from django.db import DatabaseError, connection, transaction
from django.db.models import DecimalField, ExpressionWrapper, F, Sum
from django.utils import timezone

from bench.run import sign_in
from credits.ledger import posting
from credits.ledger.models import Entry
from foundation.billing import services as billing
from foundation.billing.models import Invoice, Payment, StripeEvent
from tests.accounts.factories import OrganizationFactory
from tests.billing.webhooks import WEBHOOK_SECRET, invoice_event, signature
from tests.credits.ledger_helpers import (
    a_pledge,
    a_project,
    a_provider,
    received_credit,
)

pytestmark = pytest.mark.faults

THREADS = 6
OUTAGE_SECONDS = 5
RECOVERY_SECONDS = 30
OUTAGE_PAGE = b"We'll be back in a few minutes"


class Load:
    """Requests in a loop from a small pool until stopped; each answer kept with its time."""

    def __init__(self, harness, requests):
        self.harness, self.requests = harness, requests
        self.answers: list[tuple[float, str, int, bytes, dict]] = []
        self.stop = threading.Event()
        self._lock = threading.Lock()

    def _run(self, n: int) -> None:
        i = n
        while not self.stop.is_set():
            label, kwargs = self.requests[i % len(self.requests)]()
            status, headers, body = self.harness.get(timeout=15, **kwargs)
            with self._lock:
                self.answers.append((time.monotonic(), label, status, body, headers))
            i += 1

    def __enter__(self):
        self.pool = ThreadPoolExecutor(THREADS)
        self.futures = [self.pool.submit(self._run, n) for n in range(THREADS)]
        return self

    def __exit__(self, *exc):
        self.stop.set()
        for future in self.futures:
            future.result(timeout=60)
        self.pool.shutdown()

    def between(self, start: float, end: float) -> list:
        with self._lock:
            return [a for a in self.answers if start <= a[0] < end]


class Writer(threading.Thread):
    """Writes through a service in a loop; a write the outage interrupts is counted and the
    thread's connection dropped, as a request's would be."""

    def __init__(self, write):
        super().__init__(daemon=True)
        self.write, self.stop = write, threading.Event()
        self.done = self.failed = 0

    def run(self) -> None:
        n = 0
        while not self.stop.is_set():
            n += 1
            try:
                self.write(n)
                self.done += 1
            except DatabaseError:
                self.failed += 1
                connection.close()
                time.sleep(0.2)
        connection.close()


@pytest.fixture
def webhooks_on(harness):
    """gunicorn restarted with the webhook secret the deliveries are signed with; the
    harness's own put back afterwards."""
    saved = harness.env.get("STRIPE_WEBHOOK_SECRET")
    harness.env["STRIPE_WEBHOOK_SECRET"] = WEBHOOK_SECRET
    harness.restart("web")
    yield
    if saved is None:
        harness.env.pop("STRIPE_WEBHOOK_SECRET", None)
    else:
        harness.env["STRIPE_WEBHOOK_SECRET"] = saved
    harness.restart("web")


def test_postgres_restarted_under_load(harness, webhooks_on, report):
    org, admin = OrganizationFactory.with_admin()
    invoices = [billing.invoice_issue(invoice_id=billing.invoice_create(
        organization=org, lines=[("Membership dues", Decimal("12345.67"))]).pk)
        for _ in range(12)]
    provider, project = a_provider(), a_project()
    today = timezone.localdate()
    posting.receive_contribution(received_credit(a_pledge(), provider, "1000000.00",
                                                 today + timedelta(days=365), today))
    cookies = {settings.SESSION_COOKIE_NAME: sign_in(admin)}
    tag = f"pg{org.pk}"

    def webhook(n: int):
        invoice = invoices[n % len(invoices)]
        event = invoice_event("invoice.paid", invoice, event_id=f"evt_{tag}_{invoice.pk}",
                              id=f"in_{tag}_{invoice.pk}")
        body = json.dumps(event).encode()
        return "webhook", {"path": "/stripe/webhook/", "method": "POST", "data": body,
                           "headers": {"Content-Type": "application/json",
                                       "Stripe-Signature": signature(body)}}

    counter = iter(range(10**9))
    pages = [
        lambda: ("home", {"path": "/"}),
        lambda: ("directory", {"path": "/members/?q=" + str(next(counter))}),  # a cache miss
        lambda: ("dashboard", {"path": "/dashboard/", "cookies": cookies}),
        lambda: ("invoice", {"path": f"/dashboard/{org.slug}/invoices/{invoices[0].pk}/",
                             "cookies": cookies}),
        lambda: webhook(next(counter)),
    ]
    @transaction.atomic
    def invoice(n: int) -> None:
        draft = billing.invoice_create(organization=org, lines=[
            ("Dues", Decimal("100.00")), ("Late fee", Decimal("23.45"))])
        billing.invoice_issue(invoice_id=draft.pk)

    writers = [
        Writer(invoice),
        Writer(lambda n: posting.allocate(project, provider, Decimal("10.01"),
                                          key=f"{tag}-alloc-{n}")),
    ]
    web_pid = harness.processes["web"].pid
    with Load(harness, pages) as load:
        for writer in writers:
            writer.start()
        time.sleep(3)
        down_at = time.monotonic()
        harness.stop_postgres()
        time.sleep(1)
        health_status, _, health = harness.get("/healthz")
        time.sleep(OUTAGE_SECONDS - 1)
        harness.start_postgres()
        up_at = time.monotonic()

        def all_good_since(moment: float) -> bool:
            recent = load.between(moment, time.monotonic())
            return len(recent) >= THREADS * 2 and all(a[2] == 200 for a in recent)

        recovered = None
        deadline = up_at + RECOVERY_SECONDS
        while time.monotonic() < deadline:
            probe = time.monotonic()
            time.sleep(1)
            if all_good_since(probe):
                recovered = probe - up_at
                break
        time.sleep(2)
        for writer in writers:
            writer.stop.set()
        for writer in writers:
            writer.join(timeout=30)

    during = load.between(down_at, up_at)
    statuses = Counter((label, status) for _, label, status, _, _ in during)
    bad = [(label, status, body[:200]) for _, label, status, body, headers in during
           if not (status == 200 or (status == 503 and OUTAGE_PAGE in body
                                     and headers.get("Retry-After") == "30")
                   )]
    assert bad == [], bad
    assert health_status == 503 and json.loads(health)["failing"] == ["database"], health
    assert all(b"Traceback" not in a[3] for a in load.answers)
    assert statuses[("dashboard", 503)] and statuses[("invoice", 503)]
    assert recovered is not None, Counter(
        (a[1], a[2]) for a in load.between(up_at, time.monotonic()))
    assert harness.processes["web"].pid == web_pid  # not restarted

    # Nothing half-written.
    connection.close()  # this thread's connection went with the old server
    harness.wait_broker_idle(timeout=60)
    unbalanced = list(Entry.objects.values("transaction").annotate(total=Sum("amount"))
                      .exclude(total=0))
    line_total = ExpressionWrapper(F("lines__unit_amount") * F("lines__quantity"),
                                   output_field=DecimalField())
    mismatched = list(Invoice.objects.filter(organization=org)
                      .annotate(lines_total=Sum(line_total))
                      .exclude(total=F("lines_total")).values_list("pk", flat=True))
    numbered = Invoice.objects.filter(organization=org, status=Invoice.Status.DRAFT).count()
    paid_twice = [pk for pk in (i.pk for i in invoices)
                  if Payment.objects.filter(invoice_id=pk,
                                            method=Payment.Method.STRIPE).count() > 1]
    stored = StripeEvent.objects.filter(stripe_id__startswith=f"evt_{tag}_").count()
    paid = Payment.objects.filter(invoice__in=invoices, method=Payment.Method.STRIPE).count()
    assert paid == stored  # each stored event paid its invoice once
    assert unbalanced == [] and mismatched == [] and paid_twice == []
    assert numbered == 0  # every invoice written is issued: created and issued together
    interrupted = sum(w.failed for w in writers)
    report(
        f"PostgreSQL stopped {OUTAGE_SECONDS} s under load ({THREADS} threads, gunicorn "
        f"{harness.web_workers} workers): {len(during)} requests meanwhile, "
        f"{sum(n for (_, s), n in statuses.items() if s == 503)} answered 503 with the "
        f"portal's page, {sum(n for (_, s), n in statuses.items() if s == 200)} 200 (pages "
        f"needing no database), 0 tracebacks, /healthz 503 naming the database; all 200 "
        f"again within {recovered + 1:.0f} s of its start, gunicorn not restarted; "
        f"{interrupted} writes interrupted, "
        f"{sum(w.done for w in writers)} made: 0 unbalanced ledger transactions, 0 invoices "
        f"whose total differs from its lines, {stored} webhook events stored once and "
        f"{paid} payments from them, 0 double payments")
