"""Renewal reminders at foundation scale: N memberships ending in 30 days, the reminder run,
and one real Celery worker on Redis sending what it queues. Prints how many were sent, whether
any was sent twice, and the worker's rate. See bench/README.md.

    python -m bench.reminders --memberships 5000
"""

import argparse
import math
import os
import secrets
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

from bench.run import ROOT, flush_redis, log, recreate_database, seed

# seed_demo --orgs N makes about this share of its organizations active members.
MEMBER_SHARE = 0.6
REMINDER_DAYS = 30


def orgs_for(memberships: int) -> int:
    """Organizations to generate for at least `memberships` active members."""
    return math.ceil(memberships / MEMBER_SHARE) + 10


def summary(reminders: int, emails: int, sent_once: int, duplicates: int,
            seconds: float) -> str:
    rate = emails / seconds if seconds > 0 else 0.0
    return (f"{reminders} reminders ({emails} e-mails): {sent_once} sent once, "
            f"{duplicates} duplicates, {rate:.1f} tasks/s")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--memberships", type=int, default=5000,
                        help="memberships ending in 30 days (default 5000)")
    parser.add_argument("--database-url",
                        default="postgres://postgres@127.0.0.1:5432/portal_benchreminders")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/15")
    parser.add_argument("--timeout", type=float, default=1800,
                        help="seconds to wait for the worker (default 1800)")
    args = parser.parse_args(argv)
    if args.memberships < 1:
        parser.error("--memberships must be at least 1.")
    return args


def due_in_30_days(count: int) -> int:
    """Exactly `count` active memberships end in 30 days; every other one well after the
    reminders' window. Each has someone to remind (an admin or a billing contact) and no
    term already starting the day after, which the seed may have made and paid. Returns how
    many were moved."""
    from django.utils import timezone

    from foundation.accounts.models import OrganizationRole, Role
    from members.models import Membership, MembershipTerm

    today = timezone.localdate()
    contacts = OrganizationRole.objects.filter(role__in=[Role.ADMIN, Role.BILLING])
    renewal_day = today + timedelta(days=REMINDER_DAYS + 1)
    active = (Membership.objects.active().filter(leaves_on=None)
              .filter(organization__in=contacts.values("organization"))
              .exclude(pk__in=MembershipTerm.objects.filter(starts_on=renewal_day)
                       .values("membership"))
              .order_by("pk"))
    chosen = list(active.values_list("pk", flat=True)[:count])
    if len(chosen) < count:
        raise SystemExit(f"Only {len(chosen)} active memberships were seeded, not {count}.")
    Membership.objects.exclude(pk__in=chosen).update(ends_on=today + timedelta(days=200))
    return Membership.objects.filter(pk__in=chosen).update(
        ends_on=today + timedelta(days=REMINDER_DAYS))


def start_worker(env: dict[str, str], logfile) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "foundation", "worker", "--concurrency", "1",
         "--loglevel", "WARNING", "--without-gossip", "--without-mingle"],
        cwd=ROOT, env=env, stdout=logfile, stderr=subprocess.STDOUT)


def wait_ready(worker: subprocess.Popen, timeout: float = 60) -> None:
    from foundation.celery import app

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if worker.poll() is not None:
            raise SystemExit("The Celery worker stopped; see its log.")
        if app.control.ping(timeout=1):
            return
    raise SystemExit("The Celery worker did not answer in time.")


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    workdir = Path(tempfile.mkdtemp(prefix="portal-bench-reminders-"))
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "bench.settings",
        "DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "DATABASE_URL": args.database_url,
        "REDIS_URL": args.redis_url,
        "BENCH_STATIC_ROOT": str(workdir / "static"),  # the e-mails' frame links the logo
        "MEDIA_ROOT": str(workdir / "media"),
        "EMAIL_URL": "dummymail://",  # nothing leaves the machine
        "LOG_LEVEL": "WARNING",
    }
    os.environ.update(env)
    sys.path.insert(0, str(ROOT))
    worker = None
    try:
        recreate_database(args.database_url)
        flush_redis(args.redis_url)
        import django
        from django.core.management import call_command

        django.setup()
        from django.db import connections

        from foundation.models import OutboundEmail
        from members.services.memberships import send_renewal_reminders

        call_command("migrate", verbosity=0, interactive=False)
        call_command("collectstatic", verbosity=0, interactive=False)
        log(f"Seeding {orgs_for(args.memberships)} organizations")
        seed(orgs_for(args.memberships))
        moved = due_in_30_days(args.memberships)
        log(f"{moved} memberships end in {REMINDER_DAYS} days")
        connections.close_all()
        with open(workdir / "worker.log", "w") as logfile:
            worker = start_worker(env, logfile)
            wait_ready(worker)
            log("Worker ready; running the reminders")
            started = time.monotonic()
            reminders = send_renewal_reminders()
            queued = time.monotonic() - started
            emails = OutboundEmail.objects.filter(kind__startswith="renewal_reminder")
            total = emails.count()
            send_renewal_reminders()  # run again, as a retried beat job would: nothing twice
            again = emails.count() - total
            log(f"{reminders} reminders, {total} e-mails queued in {queued:.1f} s, "
                f"{again} more on a second run; waiting for the worker")
            deadline = started + args.timeout
            while emails.exclude(status=OutboundEmail.Status.SENT).exists():
                if time.monotonic() > deadline or worker.poll() is not None:
                    raise SystemExit("Not every reminder was sent; see the worker's log at "
                                     f"{workdir / 'worker.log'}.")
                time.sleep(0.2)
            seconds = time.monotonic() - started
            sent_once = emails.filter(status=OutboundEmail.Status.SENT, attempts=1).count()
            duplicates = emails.filter(attempts__gt=1).count() + again
        print(summary(reminders, total, sent_once, duplicates, seconds))
    finally:
        if worker is not None:
            worker.terminate()
            try:
                worker.wait(timeout=30)
            except subprocess.TimeoutExpired:
                worker.kill()
        from django.db import connections

        connections.close_all()
        recreate_database(args.database_url, drop_only=True)
        flush_redis(args.redis_url)


if __name__ == "__main__":
    main()
