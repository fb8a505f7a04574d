"""Stripe unreachable, then slow, then answering, seen by the harness's real Celery worker:
issuing and voiding retry with backoff (short here: STRIPE_RETRY_BACKOFF=1, at most 2 s
between tries) and each Stripe object is created once whatever the tries; what still fails
after the last try is shown to staff on the invoice; a member's pages never wait on Stripe.

Stripe is a local HTTP server (STRIPE_API_BASE points the worker's client at it) that
refuses connections (nothing listens), hangs (accepts and never answers: the client's
STRIPE_TIMEOUT of 2 s fails the call), or answers as tests/billing/stripe_fake.py does."""

import itertools
import threading
import time
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.conf import settings
from django.test import override_settings

from bench.run import sign_in
from foundation.billing import services as billing
from foundation.billing.models import Invoice
from foundation.billing.tasks import MAX_STRIPE_RETRIES
from tests.accounts.factories import OrganizationFactory, UserFactory
from tests.billing.stripe_fake import FakeStripe
from tests.faults.harness import HOST, free_port

pytestmark = pytest.mark.faults

TIMEOUT = 2  # seconds a Stripe call may take in the worker
SECRET = "sk_test_faults"
# Stripe's ids, unique across the tests of one harness (one database).
_IDS = itertools.count(1)


class StripeServer:
    """Stripe's API on a local port, refusing, hanging or answering."""

    def __init__(self):
        self.port = free_port()
        self.url = f"http://{HOST}:{self.port}"
        self.fake = FakeStripe()
        self.fake._ids = _IDS
        self.mode = "refuse"
        self.hung = 0  # requests accepted and never answered
        self.answered = 0
        self._release = threading.Event()
        self._server: ThreadingHTTPServer | None = None
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def _any(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                if outer.mode == "hang":
                    outer.hung += 1
                    outer._release.wait(60)
                    self.close_connection = True
                    return
                text, status, headers = outer.fake.request(
                    self.command, outer.url + self.path, dict(self.headers.items()),
                    body or None)
                outer.answered += 1
                data = text.encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                for name, value in headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_DELETE = _any

            def log_message(self, *args):
                pass

        class Server(ThreadingHTTPServer):
            allow_reuse_address = True
            daemon_threads = True

        self._handler, self._server_class = Handler, Server

    def refuse(self) -> None:
        self.mode = "refuse"
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def _listen(self, mode: str) -> None:
        self.mode = mode
        if self._server is None:
            self._server = self._server_class((HOST, self.port), self._handler)
            threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def hang(self) -> None:
        self._release.clear()
        self._listen("hang")

    def answer(self) -> None:
        self._listen("answer")
        self._release.set()

    def close(self) -> None:
        self._release.set()
        self.refuse()


@pytest.fixture
def stripe_down(harness):
    """The worker and the web server restarted with Stripe configured and pointed at the local
    server, and this process issuing as the portal does with Stripe on; all put back
    afterwards."""
    server = StripeServer()
    env = {"STRIPE_SECRET_KEY": SECRET, "STRIPE_API_BASE": server.url,
           "STRIPE_TIMEOUT": str(TIMEOUT), "STRIPE_NETWORK_RETRIES": "0",
           "STRIPE_RETRY_BACKOFF": "1", "STRIPE_RETRY_BACKOFF_MAX": "2"}
    saved = {name: harness.env.get(name) for name in env}
    harness.wait_broker_idle(timeout=60)
    harness.env.update(env)
    harness.restart("worker")
    harness.restart("web")
    try:
        with override_settings(STRIPE_SECRET_KEY=SECRET):
            yield server
    finally:
        server.close()
        harness.wait_broker_idle(timeout=60)
        for name, value in saved.items():
            if value is None:
                harness.env.pop(name, None)
            else:
                harness.env[name] = value
        harness.restart("worker")
        harness.restart("web")


def _retries(harness, task: str, marker: str) -> int:
    """The worker's logged retries of `task` whose error mentions `marker`."""
    return sum(1 for line in harness.log("worker", 400_000).splitlines()
               if task in line and "retry: Retry in" in line and marker in line)


def _invoice(org, amount: str = "25000.00") -> Invoice:
    draft = billing.invoice_create(organization=org, lines=[("Membership dues", Decimal(amount))])
    return billing.invoice_issue(invoice_id=draft.pk)


def test_issuing_and_voiding_survive_stripe_refusing_then_hanging(harness, stripe_down, report):
    server = stripe_down
    org, _ = OrganizationFactory.with_admin()
    task = "push_invoice_to_stripe"
    refused_before = _retries(harness, task, "onnection refused")
    timed_out_before = _retries(harness, task, "timed out")
    started = time.monotonic()
    invoice = _invoice(org)

    # Refused: the worker retries with backoff; nothing is created.
    harness.wait_until(lambda: _retries(harness, task, "onnection refused") > refused_before,
                       30, "a retry after a refused connection", process="worker")
    refused = _retries(harness, task, "onnection refused") - refused_before
    # Slow: the call is given up after STRIPE_TIMEOUT and retried.
    server.hang()
    harness.wait_until(lambda: _retries(harness, task, "timed out") > timed_out_before, 30,
                       "a retry after a timed-out call", process="worker")
    timed_out = _retries(harness, task, "timed out") - timed_out_before
    # Answering: the next try goes through.
    server.answer()
    harness.wait_until(lambda: Invoice.objects.get(pk=invoice.pk).hosted_invoice_url, 30,
                       "the invoice synced with Stripe", process="worker")
    synced_after = time.monotonic() - started
    invoice.refresh_from_db()
    assert invoice.stripe_invoice_id and not invoice.sync_error
    remote = server.fake.objects[invoice.stripe_invoice_id]
    assert remote["status"] == "open" and remote["total"] == 2_500_000
    ours = [o for o in server.fake.created("in_")
            if o["metadata"].get("portal_invoice_id") == str(invoice.pk)]
    customers = [o for o in server.fake.created("cus_")
                 if o["metadata"].get("portal_organization_id") == str(org.pk)]
    assert len(ours) == 1 and len(customers) == 1
    assert len(server.fake.created("ii_")) == 1

    # Voiding it while Stripe refuses: retried, then mirrored once Stripe answers again.
    server.refuse()
    billing.invoice_void(invoice_id=invoice.pk, note="Issued twice")
    harness.wait_until(lambda: _retries(harness, "push_status_to_stripe", "onnection refused"),
                       30, "a retried void", process="worker")
    server.answer()
    harness.wait_until(lambda: server.fake.objects[invoice.stripe_invoice_id]["status"] == "void",
                       30, "the void mirrored on Stripe", process="worker")
    harness.wait_broker_idle(timeout=60)
    assert not Invoice.objects.get(pk=invoice.pk).sync_error
    report(f"Stripe refusing then hanging (timeout {TIMEOUT} s): issuing retried after "
           f"{refused} refused and {timed_out} timed-out call(s), synced after "
           f"{synced_after:.1f} s; 1 customer, 1 invoice, 1 line created on Stripe, "
           f"0 duplicates; a void during the outage mirrored once Stripe answered")


def test_after_the_last_try_staff_see_the_failure_and_push_again(harness, stripe_down, report):
    server = stripe_down
    org, _ = OrganizationFactory.with_admin()
    synced = _invoice(org)
    server.answer()
    harness.wait_until(lambda: Invoice.objects.get(pk=synced.pk).hosted_invoice_url, 30,
                       "the first invoice synced", process="worker")
    server.refuse()
    refused_before = _retries(harness, "_to_stripe", "onnection refused")
    started = time.monotonic()
    unsynced = _invoice(org, "12000.00")
    billing.invoice_void(invoice_id=synced.pk, note="Replaced")
    failed = Invoice.objects.filter(pk__in=[synced.pk, unsynced.pk]).exclude(sync_error="")
    harness.wait_until(lambda: failed.count() == 2, 90,
                       "both invoices failed after their last try", process="worker")
    gave_up_after = time.monotonic() - started
    refused = _retries(harness, "_to_stripe", "onnection refused") - refused_before
    assert "Could not update the Stripe invoice" in Invoice.objects.get(pk=synced.pk).sync_error
    assert "communicating with Stripe" in Invoice.objects.get(pk=unsynced.pk).sync_error

    # Staff see them in the admin's "Stripe sync: failed" list, through the real server.
    staff = UserFactory(is_staff=True, is_superuser=True, second_factor=False)
    cookies = {settings.SESSION_COOKIE_NAME: sign_in(staff, second_factor=True)}
    status, _, body = harness.get("/admin/billing/invoice/?sync=failed", cookies=cookies)
    assert status == 200, body[:500]
    page = body.decode()
    assert unsynced.number in page and synced.number in page

    # Stripe back: staff push both again; each is created or voided once.
    server.answer()
    for invoice in (synced, unsynced):
        billing.invoice_push_again(invoice_id=invoice.pk, actor=staff)
    harness.wait_until(lambda: not failed.exists() and Invoice.objects.get(
        pk=unsynced.pk).hosted_invoice_url, 60, "both pushed again", process="worker")
    harness.wait_broker_idle(timeout=60)
    assert server.fake.objects[Invoice.objects.get(pk=synced.pk).stripe_invoice_id][
        "status"] == "void"
    ours = [o for o in server.fake.created("in_") if o["metadata"].get("portal_invoice_id")
            in {str(synced.pk), str(unsynced.pk)}]
    assert len(ours) == 2
    report(f"Stripe refusing for good: issuing and voiding gave up after {MAX_STRIPE_RETRIES} "
           f"retries each ({refused} retried refusals logged) in {gave_up_after:.0f} s, "
           f"both shown to staff under Stripe sync: failed; pushed again once Stripe "
           f"answered: 2 invoices on Stripe, 0 duplicates")


def test_a_members_pages_never_wait_on_stripe(harness, stripe_down, report):
    server = stripe_down
    server.hang()
    org, admin = OrganizationFactory.with_admin()
    invoice = _invoice(org)
    harness.wait_until(lambda: server.hung >= 1, 30, "the worker held by a silent Stripe",
                       process="worker")
    cookies = {settings.SESSION_COOKIE_NAME: sign_in(admin)}
    pages = ["/dashboard/", f"/dashboard/{org.slug}/",
             f"/dashboard/{org.slug}/invoices/{invoice.pk}/"]
    slowest = 0.0
    for path in pages * 3:
        started = time.monotonic()
        status, _, body = harness.get(path, cookies=cookies, timeout=TIMEOUT * 5)
        slowest = max(slowest, time.monotonic() - started)
        assert status == 200, (path, body[:300])
    assert slowest < TIMEOUT * 0.75  # a page that called Stripe would wait out its timeout
    server.answer()
    harness.wait_until(lambda: Invoice.objects.get(pk=invoice.pk).hosted_invoice_url, 30,
                       "the invoice synced once Stripe answered", process="worker")
    report(f"Stripe hanging while the worker pushes an invoice: {len(pages) * 3} member page "
           f"loads all 200, slowest {slowest * 1000:.0f} ms (Stripe's timeout {TIMEOUT} s)")
