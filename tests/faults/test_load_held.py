"""Load held on the demo at foundation scale: 16 connections for LOAD_SECONDS mixing the public
pages (12), a member's dashboards (2, signed in) and the Stripe webhook (2, signed with the
real scheme), by wrk as in bench/run.py, while the harness's worker sends renewal reminders.
0 errors, the public pages' p99 within the benchmark's target, every reminder sent once.

It runs on a database of its own in the harness's cluster (`seed_demo --orgs`, about 35 s at
5,000), with gunicorn and the worker pointed at it, so the scale data never reaches the other
scenarios. Scale by environment: FAULTS_LOAD_SECONDS (default 60), FAULTS_REMINDERS (5,000, about
four minutes for the worker; fewer for a quick local run), FAULTS_LOAD_ORGS (5,000, more if
the reminders need more members), FAULTS_P99_MS (100)."""

import json
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connections

from bench.reminders import due_in_30_days, orgs_for
from bench.run import LUA, parse_wrk, percentile, visitors
from foundation import pagecache
from foundation.billing.models import Invoice
from foundation.celery import app
from foundation.models import OutboundEmail
from tests.billing.webhooks import WEBHOOK_SECRET, invoice_event, signature

pytestmark = pytest.mark.faults

SECONDS = int(os.environ.get("FAULTS_LOAD_SECONDS", "60"))
REMINDERS = int(os.environ.get("FAULTS_REMINDERS", "5000"))
ORGS = max(int(os.environ.get("FAULTS_LOAD_ORGS", "5000")), orgs_for(REMINDERS))
# The benchmark's target for the public pages, on a machine running nothing else.
PUBLIC_P99_MS = int(os.environ.get("FAULTS_P99_MS", "100"))
DATABASE = "portal_load"
# Sync workers: one for each signed-in and webhook connection, and two more, so a cached
# public page does not queue behind a dashboard render (the benchmark loads them apart).
WEB_WORKERS = 6
ACCEPT = {"Accept-Encoding": "gzip, deflate, br"}
PUBLIC = ["/", "/membership/", "/members/", "/members/?page=2", "/credits/", "/projects/",
          "/api/members.json", "/api/sponsors.json"]


def _lua(requests: list[tuple[str, str, dict[str, str], str]]) -> str:
    """A wrk script sending `requests` (method, path, headers, body) in turn, reporting as
    bench/report.lua does."""

    def table(headers: dict[str, str]) -> str:
        return "{" + ", ".join(f'["{k}"] = [==[{v}]==]' for k, v in headers.items()) + "}"

    built = "\n".join(
        f"  reqs[{n}] = wrk.format(\"{method}\", [==[{path}]==], {table(headers)}, "
        f"{f'[==[{body}]==]' if body else 'nil'})"
        for n, (method, path, headers, body) in enumerate(requests, start=1))
    return (f'dofile("{LUA}")\nlocal reqs = {{}}\nlocal i = 0\n'
            f"init = function(args)\n{built}\nend\n"
            "request = function()\n  i = i % #reqs + 1\n  return reqs[i]\nend\n")


@pytest.fixture
def scale(harness):
    """gunicorn and the worker on a database of this test's own, seeded at scale; this
    process's ORM there too. All put back, and the database dropped, afterwards."""
    if shutil.which("wrk") is None:
        pytest.fail("wrk is not installed (Debian: apt-get install wrk).")
    harness.wait_broker_idle(timeout=60)
    harness.stop("web")
    harness.stop("worker")
    saved_url = harness.env["DATABASE_URL"]
    saved_secret = harness.env.get("STRIPE_WEBHOOK_SECRET")
    harness.psql(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)')
    harness.psql(f'CREATE DATABASE "{DATABASE}"')
    harness.env["DATABASE_URL"] = saved_url.rsplit("/", 1)[0] + f"/{DATABASE}"
    harness.env["STRIPE_WEBHOOK_SECRET"] = WEBHOOK_SECRET
    saved_workers, harness.web_workers = harness.web_workers, WEB_WORKERS
    database = connections["default"]
    database.close()
    saved_name = database.settings_dict["NAME"]
    database.settings_dict["NAME"] = DATABASE
    try:
        harness.manage("migrate", "--noinput", timeout=300)
        started = time.monotonic()
        harness.manage("seed_demo", "--orgs", str(ORGS), timeout=900)
        seeded = time.monotonic() - started
        pagecache.invalidate()
        harness.start_process("web")
        harness.start_process("worker")
        yield seeded
    finally:
        harness.wait_broker_idle(timeout=120)
        harness.stop("web")
        harness.stop("worker")
        database.close()
        database.settings_dict["NAME"] = saved_name
        harness.env["DATABASE_URL"] = saved_url
        if saved_secret is None:
            harness.env.pop("STRIPE_WEBHOOK_SECRET", None)
        else:
            harness.env["STRIPE_WEBHOOK_SECRET"] = saved_secret
        harness.web_workers = saved_workers
        harness.psql(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)')
        pagecache.invalidate()  # no page of the scale data stays cached
        harness.start_process("web")
        harness.start_process("worker")


def test_load_held_while_reminders_are_sent(harness, scale, report, tmp_path):
    sessions, slug = visitors()
    cookie = {"Cookie": f"{settings.SESSION_COOKIE_NAME}={sessions['member']}", **ACCEPT}
    moved = due_in_30_days(REMINDERS)
    deliveries = []
    for invoice in Invoice.objects.filter(status=Invoice.Status.OPEN,
                                          stripe_invoice_id=None).order_by("pk")[:20]:
        event = invoice_event("invoice.finalized", invoice, event_id=f"evt_load_{invoice.pk}",
                              id=f"in_load_{invoice.pk}",
                              hosted_invoice_url=f"https://invoice.stripe.com/i/{invoice.pk}")
        body = json.dumps(event)
        deliveries.append(("POST", "/stripe/webhook/", {
            "Content-Type": "application/json", "Stripe-Signature": signature(body.encode())},
            body))
    assert deliveries, "the demo has open invoices to deliver events for"
    reminders = OutboundEmail.objects.filter(kind__startswith="renewal_reminder")
    app.send_task("members.tasks.send_renewal_reminders")
    groups = {
        "public pages": (12, [("GET", path, ACCEPT, "") for path in PUBLIC]),
        "dashboards": (2, [("GET", "/dashboard/", cookie, ""),
                           ("GET", f"/dashboard/{slug}/", cookie, "")]),
        "webhook": (2, deliveries),
    }
    for name, (_, requests) in groups.items():  # warm each process, and check each answers
        for method, path, headers, body in requests:
            status, _, answer = harness.get(path, method=method, headers=headers,
                                            data=body.encode() if body else None, timeout=60)
            assert status == 200, (name, path, status, answer[:300])

    runs = {}
    cached_at = pagecache.version()
    with tempfile.TemporaryDirectory() as scripts:
        wrks = {}
        for name, (connections_, requests) in groups.items():
            script = Path(scripts) / f"{name.replace(' ', '-')}.lua"
            script.write_text(_lua(requests))
            wrks[name] = subprocess.Popen(
                ["wrk", "-t", "1", "-c", str(connections_), "-d", f"{SECONDS}s", "--timeout",
                 "10s", "-s", str(script), harness.base_url],
                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        for name, process in wrks.items():
            output, _ = process.communicate(timeout=SECONDS + 60)
            assert process.returncode == 0, output
            runs[name] = parse_wrk(output)
    cache_kept = pagecache.version() == cached_at
    queued_during = reminders.count()
    sent_during = reminders.filter(status=OutboundEmail.Status.SENT).count()

    started = time.monotonic()
    harness.wait_until(lambda: reminders.count() >= moved and not reminders.exclude(
        status=OutboundEmail.Status.SENT).exists(), 600, "every reminder sent",
        process="worker")
    drained = time.monotonic() - started
    total = reminders.count()
    app.send_task("members.tasks.send_renewal_reminders")  # a beat job run again
    harness.wait_broker_idle(timeout=120)
    again = reminders.count() - total
    sent_once = reminders.filter(status=OutboundEmail.Status.SENT, attempts=1).count()
    duplicates = reminders.filter(attempts__gt=1).count() + again

    errors = sum(run.errors for run in runs.values())
    figures = {name: (run.requests / run.seconds, percentile([run], 99))
               for name, run in runs.items()}
    report(
        f"Load held {SECONDS} s at {ORGS:,} organizations (seed {scale:.0f} s), 16 "
        f"connections, {WEB_WORKERS} gunicorn workers: " + "; ".join(
            f"{name} {rps:.0f} req/s p99 {p99:.0f} ms" for name, (rps, p99) in figures.items())
        + f"; {errors} errors; page cache "
        + ("kept its version" if cache_kept else "invalidated meanwhile")
        + f". Reminders: {total}, {sent_during} of the {queued_during} queued sent during the "
        f"load, all {drained:.0f} s after it: {sent_once} sent once, {duplicates} duplicates")
    assert errors == 0, runs
    assert figures["public pages"][1] <= PUBLIC_P99_MS
    assert total >= moved and sent_once == total and duplicates == 0
