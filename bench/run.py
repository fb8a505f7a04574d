"""The benchmark: the portal's pages against the cheapest Django view, at foundation scale.

It builds a database of its own with `seed_demo --orgs` (with sponsors and projects in
proportion), serves the portal under gunicorn with the production settings, and loads each
page and the ceiling (an empty view on the same server, through the same middleware) in
turns, so that noise on the machine hits both. It asks as
browsers do (gzip accepted), the public pages with many visitors at once and the signed-in
ones with one per worker. It counts each page's SQL queries at a small and a large scale,
prints a table, writes it to bench/RESULTS.md with --write, and drops its database and stops
its processes at the end. See bench/README.md.
"""

import argparse
import io
import os
import platform
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
LUA = Path(__file__).resolve().parent / "report.lua"
RESULTS = Path(__file__).resolve().parent / "RESULTS.md"
CEILING = "/__ceiling__/"
HOST = "127.0.0.1"
WORKERS = 2
SETTLE_SECONDS = 5
# What every browser sends, on every request of the benchmark, the ceiling's too.
ACCEPT_ENCODING = "gzip, deflate, br"
SPONSOR_EVERY = 10  # organizations per generated sponsor: 500 sponsors at 5,000
PROJECTS_PER_ORG = 4  # generated projects per organization: 20,000 at 5,000


@dataclass(frozen=True)
class Page:
    label: str
    path: str
    who: str = ""  # "", "member" (an organization's admin) or "staff" (a superuser)


def concurrency(page: Page, public: int) -> int:
    """The connections a page is loaded with: `public` for the pages anyone reads, and one per
    worker for a signed-in visitor, whose clicks come one at a time (a staff member's, a
    member's), so its latency is the request's own rather than a queue's."""
    return WORKERS if page.who else public


PAGES = [
    Page("Home", "/"),
    Page("Membership", "/membership/"),
    Page("Member directory", "/members/"),
    Page("Member directory, page 2", "/members/?page=2"),
    Page("Members API", "/api/members.json"),
    Page("API schema", "/api/openapi.json"),
    Page("Cloud credits", "/credits/"),
    Page("Sponsors API", "/api/sponsors.json"),
    Page("Credit pool", "/credits/transparency/"),
    Page("Credit pool API", "/api/credits.json"),
    Page("Projects", "/projects/"),
    Page("Projects, page 2", "/projects/?page=2"),
    Page("Projects, hosted", "/projects/?status=hosted"),
    Page("Project page", "/projects/pytorch/"),
    Page("Projects API", "/api/projects.json"),
    # Streamed as it is read and not cached: every request reads the whole landscape.
    Page("Landscape file", "/projects/landscape.yml"),
    Page("Dashboard", "/dashboard/", "member"),
    Page("Organization page", "/dashboard/{slug}/", "member"),
    Page("Admin: invoices", "/admin/billing/invoice/", "staff"),
    Page("Admin: memberships", "/admin/members/membership/", "staff"),
]


@dataclass
class Run:
    """One wrk run, as bench/report.lua prints it."""

    requests: int
    seconds: float
    errors: int
    # (lo, hi, ms): the latency at percentile hi stands for the requests from lo to hi.
    cells: list[tuple[float, float, float]]


@dataclass
class Row:
    page: Page
    path: str
    connections: int = 0  # wrk's, for the page and the ceiling runs next to it
    ceiling: list[Run] = field(default_factory=list)
    runs: list[Run] = field(default_factory=list)
    skipped: str = ""
    queries: dict[str, int | str] = field(default_factory=dict)  # per scale


# Pure functions, tested in tests/test_bench.py.

def parse_wrk(output: str) -> Run:
    totals: dict[str, str] = {}
    cells = []
    for line in output.splitlines():
        if line.startswith("BENCH totals "):
            totals = dict(item.split("=", 1) for item in line.split()[2:])
        elif line.startswith("BENCH latency "):
            for item in line.split()[2:]:
                span, us = item.rsplit(":", 1)
                lo, hi = span.split("-")
                cells.append((float(lo), float(hi), int(us) / 1000))
    if not totals or not cells:
        raise ValueError(f"wrk printed no figures (is {LUA.name} loaded?):\n{output[-2000:]}")
    return Run(requests=int(totals["requests"]), seconds=int(totals["duration_us"]) / 1e6,
               errors=int(totals["errors"]), cells=cells)


def throughput(runs: list[Run]) -> float:
    seconds = sum(r.seconds for r in runs)
    return sum(r.requests for r in runs) / seconds if seconds else 0.0


def percentile(runs: list[Run], p: float) -> float:
    """The p-th percentile latency in ms of the runs pooled: each run's cells weigh by its
    requests. Exact for one run at a cell boundary; otherwise at most one cell high."""
    weighted = sorted((ms, (hi - lo) * r.requests) for r in runs for lo, hi, ms in r.cells)
    total = sum(w for _, w in weighted)
    if not total:
        return 0.0
    seen = 0.0
    for ms, weight in weighted:
        seen += weight
        if seen >= total * p / 100 * (1 - 1e-9):
            return ms
    return weighted[-1][0]


def schedule(rows: list[Row], rounds: int) -> list[tuple[Row, bool]]:
    """The order of the runs: (row, is_ceiling) pairs, each page next to a ceiling run, the
    ceiling first in even rounds and second in odd ones so neither always follows the other."""
    order = []
    for n in range(rounds):
        for row in rows:
            pair = [(row, True), (row, False)]
            order.extend(pair if n % 2 == 0 else pair[::-1])
    return order


ROUGH = ("† Fewer requests answered in a run than connections open: the latencies leave out "
         "the requests still waiting when it ended, so they read low.")


def format_table(ceiling: Row, rows: list[Row], scales: tuple[str, str]) -> str:
    """The results as a Markdown table. Each group of pages loaded with as many connections is
    headed by the ceiling at that many, its runs pooled from the group's. A page too slow for
    its runs is marked † (ROUGH)."""
    small, large = scales
    lines = [
        f"| Page | Path | connections | req/s | of ceiling | p50 ms | p95 ms | p99 ms | errors | "
        f"queries ({small}) | queries ({large}) |",
        "|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|",
    ]

    def queries(row: Row) -> tuple:
        return row.queries.get(small, "–"), row.queries.get(large, "–")

    shown = set()
    for row in rows:
        if row.connections not in shown:
            pooled = [r for other in rows if other.connections == row.connections
                      for r in other.ceiling]
            if pooled:
                shown.add(row.connections)
                lines.append(_line(ceiling.page.label, ceiling.path, row.connections, pooled,
                                   1.0, queries(ceiling)))
        if row.skipped:
            lines.append(f"| {row.page.label} | `{row.path}` | {row.connections} | "
                         f"{row.skipped} | | | | | | {' | '.join(map(str, queries(row)))} |")
            continue
        ceiling_rps = throughput(row.ceiling)
        ratio = throughput(row.runs) / ceiling_rps if ceiling_rps else 0.0
        rough = " †" if min(r.requests for r in row.runs) < row.connections else ""
        lines.append(_line(row.page.label + rough, row.path, row.connections, row.runs, ratio,
                           queries(row)))
    if any("†" in line for line in lines):
        lines += ["", ROUGH]
    return "\n".join(lines)


def _line(label: str, path: str, connections: int, runs: list[Run], ratio: float,
          queries) -> str:
    figures = " | ".join(f"{percentile(runs, p):.1f}" for p in (50, 95, 99))
    errors = sum(r.errors for r in runs)
    return (f"| {label} | `{path}` | {connections} | {throughput(runs):.1f} | {ratio:.1%} | "
            f"{figures} | {errors} | {queries[0]} | {queries[1]} |")


def machine(cpuinfo: str, meminfo: str, cores: int) -> str:
    model = next((line.split(":", 1)[1].strip() for line in cpuinfo.splitlines()
                  if line.startswith("model name")), platform.processor() or "unknown CPU")
    kb = next((int(line.split()[1]) for line in meminfo.splitlines()
               if line.startswith("MemTotal:")), 0)
    return f"{model}, {cores} cores, {kb / 1024 / 1024:.1f} GiB memory"


# The run itself.

def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def _read(path: str) -> str:
    try:
        return Path(path).read_text()
    except OSError:
        return ""


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def _admin_conninfo(database_url: str) -> tuple[str, str]:
    """The server's maintenance database to connect to, and the benchmark database's name."""
    parts = urlsplit(database_url)
    name = parts.path.lstrip("/")
    if "bench" not in name:
        raise SystemExit(f"The benchmark drops its database: name one with 'bench' in it, "
                         f"not {name!r}.")
    return parts._replace(path="/postgres").geturl(), name


def recreate_database(database_url: str, *, drop_only: bool = False) -> None:
    import psycopg

    conninfo, name = _admin_conninfo(database_url)
    with psycopg.connect(conninfo, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        if not drop_only:
            conn.execute(f'CREATE DATABASE "{name}"')


def flush_redis(redis_url: str) -> None:
    import redis

    client = redis.Redis.from_url(redis_url)
    if client.connection_pool.connection_kwargs.get("db", 0) == 0:
        raise SystemExit("The benchmark empties its Redis database: name one other than 0.")
    client.flushdb()


def sign_in(user, *, second_factor: bool = False) -> str:
    """A session for `user`, as a login through allauth leaves it. With `second_factor` the
    user gets an authenticator app and the session the TOTP step allauth records: the admin
    asks staff for both."""
    from importlib import import_module

    from allauth.account.internal.flows.login import record_authentication
    from django.conf import settings
    from django.contrib.auth import login
    from django.http import HttpRequest

    request = HttpRequest()
    request.session = import_module(settings.SESSION_ENGINE).SessionStore()
    login(request, user, backend="django.contrib.auth.backends.ModelBackend")
    record_authentication(request, user, "password", email=user.email)
    if second_factor:
        from allauth.mfa.models import Authenticator
        from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret

        totp = TOTP.activate(user, generate_totp_secret()).instance
        record_authentication(request, user, "mfa", id=totp.pk, type=Authenticator.Type.TOTP)
    request.session.save()
    return request.session.session_key


def visitors() -> tuple[dict[str, str], str]:
    """Session keys per kind of visitor, and the member's organization: a seeded organization
    admin whose organization has invoices, and a superuser of the benchmark's own."""
    from allauth.account.models import EmailAddress

    from foundation.accounts.models import OrganizationRole, Role, User

    role = (OrganizationRole.objects.filter(role=Role.ADMIN, organization__invoices__isnull=False)
            .select_related("user", "organization").order_by("-pk").first())
    if role is None:
        raise SystemExit("No organization admin with invoices: did seed_demo --orgs run?")
    staff = User.objects.create_superuser(email="bench-staff@example.org", password=None)
    EmailAddress.objects.create(user=staff, email=staff.email, verified=True, primary=True)
    return ({"member": sign_in(role.user), "staff": sign_in(staff, second_factor=True)},
            role.organization.slug)


def count_queries(rows: list[Row], sessions: dict[str, str], scale: str) -> None:
    """Each page's SQL queries on its second request (caches warm, as under load), through
    Django's test client in this process against the benchmark's database."""
    from django.conf import settings
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    for row in rows:
        client = Client(HTTP_HOST=HOST)
        if row.page.who:
            client.cookies[settings.SESSION_COOKIE_NAME] = sessions[row.page.who]
        client.get(row.path)
        with CaptureQueriesContext(connection) as queries:
            response = client.get(row.path)
            if response.streaming:  # a streamed page reads as it is sent
                b"".join(response.streaming_content)
        row.queries[scale] = (len(queries) if response.status_code == 200
                              else f"HTTP {response.status_code}")


def sponsors_for(orgs: int) -> int:
    """The generated sponsors seeded with `orgs` organizations: the credits pages grow too."""
    return max(1, orgs // SPONSOR_EVERY)


def projects_for(orgs: int) -> int:
    """The generated projects seeded with `orgs` organizations: the landscape grows too."""
    return orgs * PROJECTS_PER_ORG


def seed(orgs: int) -> None:
    from django.core.management import call_command

    out = io.StringIO()
    call_command("seed_demo", orgs=orgs, sponsors=sponsors_for(orgs),
                 projects=projects_for(orgs), stdout=out)
    # Its bulk writes send no signals: the change they make to the public pages, then what a
    # Celery worker does after a change (none runs here), the landscape file built.
    from foundation import pagecache
    from projects.tasks import build_landscape_file

    pagecache.invalidate()
    build_landscape_file()
    log(" ".join(line for line in out.getvalue().splitlines()
                 if line.startswith(("Scale data", "Sponsors:", "Added"))))


def prepare(args, ceiling: Row, rows: list[Row]) -> dict[str, str]:
    """Migrate, collect static files, seed both scales and count queries at each. Returns
    the session keys."""
    import django
    from django.core.management import call_command
    from django.db import connections

    django.setup()
    log("Migrating a new database and collecting static files")
    call_command("migrate", verbosity=0, interactive=False)
    call_command("collectstatic", verbosity=0, interactive=False)
    log(f"Seeding the demo data and {args.small} more organizations")
    seed(args.small)
    sessions, slug = visitors()
    for row in rows:
        row.path = row.page.path.format(slug=slug)
    count_queries([ceiling, *rows], sessions, f"{args.small} orgs")
    log(f"Seeding {args.orgs - args.small} more organizations")
    seed(args.orgs - args.small)
    count_queries([ceiling, *rows], sessions, f"{args.orgs} orgs")
    connections.close_all()
    return sessions


class Server:
    """gunicorn serving the portal. Restarted when a slow page leaves requests queued: a sync
    worker still answers connections wrk has closed, and 16 of them can keep it busy for
    longer than a restart takes."""

    def __init__(self, env: dict[str, str], logfile):
        self.env, self.logfile = env, logfile
        self.process: subprocess.Popen | None = None
        self.restarts = 0

    def start(self) -> None:
        self.port = free_port()
        self.base = f"http://{HOST}:{self.port}"
        self.process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "foundation.wsgi:application",
             "--workers", str(WORKERS), "--bind", f"{HOST}:{self.port}", "--chdir", str(ROOT),
             "--log-level", "warning", "--timeout", "60"],
            env=self.env, stdout=self.logfile, stderr=subprocess.STDOUT,
            start_new_session=True)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise self._failed("stopped at start")
            if together(self.base + CEILING, "", timeout=2):
                return
            time.sleep(0.3)
        raise self._failed("did not answer within 60 s")

    def _failed(self, why: str) -> SystemExit:
        self.stop()
        return SystemExit(f"gunicorn {why}:\n{Path(self.logfile.name).read_text()[-3000:]}")

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGINT)  # gunicorn's quick shutdown
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)  # the group started for gunicorn alone
            self.process.wait(timeout=5)

    def settle(self) -> None:
        """Start the next run on an idle server: wait briefly for the last run's queue to
        drain, or restart."""
        if not together(self.base + CEILING, "", timeout=SETTLE_SECONDS):
            self.restarts += 1
            self.stop()
            self.start()


def headers(cookie: str) -> dict[str, str]:
    """A browser's request headers: gzip accepted, and the visitor's session if any."""
    return {"Accept-Encoding": ACCEPT_ENCODING, **({"Cookie": cookie} if cookie else {})}


def together(url: str, cookie: str, *, timeout: float) -> bool:
    """Send one request per worker at once; True if all are answered within `timeout`.
    Each comes back once its worker has reached it, so the workers are idle then."""
    def ask() -> None:
        request = urllib.request.Request(url, headers=headers(cookie))
        with urllib.request.urlopen(request, timeout=timeout):
            pass

    pool = ThreadPoolExecutor(WORKERS)
    futures = [pool.submit(ask) for _ in range(WORKERS)]
    done, _ = wait(futures, timeout=timeout)
    pool.shutdown(wait=False, cancel_futures=True)
    return len(done) == WORKERS and not any(f.exception() for f in done)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def preflight(base: str, row: Row, cookie: str) -> str:
    """Why the page cannot be measured (not a 200 for this visitor), or ''. wrk counts
    redirects as successes, so a page that sends its visitor away is skipped instead."""
    request = urllib.request.Request(base + row.path, headers=headers(cookie))
    try:
        with urllib.request.build_opener(_NoRedirect).open(request, timeout=60) as response:
            status, location = response.status, ""
    except urllib.error.HTTPError as exc:
        status, location = exc.code, exc.headers.get("Location", "")
    if status == 200:
        return ""
    if "2fa" in location or "/mfa" in location:
        return "skipped: MFA"
    return f"skipped: HTTP {status}" + (f" to {location}" if location else "")


def wrk(url: str, cookie: str, connections: int, args) -> Run:
    command = ["wrk", "-t", str(min(args.threads, connections)), "-c", str(connections),
               "-d", f"{args.duration}s", "--timeout", "10s", "-s", str(LUA), url]
    for name, value in headers(cookie).items():
        command[1:1] = ["-H", f"{name}: {value}"]
    done = subprocess.run(command, capture_output=True, text=True, timeout=args.duration + 30,
                          check=True)
    return parse_wrk(done.stdout)


def measure(server: Server, rows: list[Row], cookies: dict[str, str], args) -> None:
    live = []
    for row in rows:
        cookie = cookies.get(row.page.who, "")
        row.skipped = preflight(server.base, row, cookie)
        if row.skipped:
            log(f"{row.path}: {row.skipped}")
            continue
        live.append(row)
        # Each worker renders the page once (templates, connections) before the clock runs.
        together(server.base + row.path, cookie, timeout=120)
    order = schedule(live, args.rounds)
    for n, (row, is_ceiling) in enumerate(order, start=1):
        server.settle()
        if is_ceiling:
            row.ceiling.append(wrk(server.base + CEILING, "", row.connections, args))
        else:
            row.runs.append(wrk(server.base + row.path, cookies.get(row.page.who, ""),
                                row.connections, args))
        if n % 10 == 0 or n == len(order):
            log(f"{n} of {len(order)} runs; gunicorn restarted {server.restarts} times")


def commit() -> str:
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, check=True,
                              capture_output=True, text=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"],
                               cwd=ROOT, capture_output=True, text=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return head + (" with uncommitted changes" if dirty else "")


def report(ceiling: Row, rows: list[Row], args, started: datetime, load: str) -> str:
    scales = (f"{args.small} orgs", f"{args.orgs} orgs")
    host = machine(_read("/proc/cpuinfo"), _read("/proc/meminfo"), os.cpu_count() or 0)
    parts = ["# Benchmark results", ""]
    if args.note:
        parts += [f"**{args.note}**", ""]
    parts += [
        f"- Date: {started:%Y-%m-%d %H:%M} UTC; commit {commit()}",
        f"- Machine: {host}; load average at start {load}",
        f"- Data: `seed_demo --orgs {args.orgs}` (the demo data plus {args.orgs} generated "
        f"organizations, {sponsors_for(args.small) + sponsors_for(args.orgs - args.small)} "
        f"generated sponsors with `--sponsors` and {projects_for(args.orgs):,} generated "
        f"projects with `--projects`); queries also counted at {args.small}",
        f"- Server: gunicorn, {WORKERS} sync workers, production settings, PostgreSQL and Redis "
        f"on the same machine",
        f"- Load: wrk, {args.threads} thread(s), `Accept-Encoding: {ACCEPT_ENCODING}` as "
        f"browsers send it; {args.connections} connections for the public pages and exports, "
        f"{WORKERS} (one per worker: a person's clicks) for the signed-in pages and the admin; "
        f"{args.rounds} rounds of {args.duration} s per page, each next to a {args.duration} s "
        f"run of the ceiling at the same concurrency",
        "",
        format_table(ceiling, rows, scales),
        "",
        "*of ceiling*: the page's throughput over the ceiling's in the runs next to it. "
        "Latencies pool the rounds. Queries: on a warm second request, by the test client.",
    ]
    return "\n".join(parts) + "\n"


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--orgs", type=int, default=5000, help="the large scale (default 5000)")
    parser.add_argument("--small", type=int, default=20, help="the small scale (default 20)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--duration", type=int, default=3, help="seconds per wrk run")
    parser.add_argument("--connections", type=int, default=16,
                        help="for the public pages and exports (default 16); signed-in pages "
                             f"and the admin run at {WORKERS}, one per worker")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--database-url",
                        default="postgres://postgres@127.0.0.1:5432/portal_benchdata")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/15")
    parser.add_argument("--write", action="store_true", help=f"write the table to {RESULTS.name}")
    parser.add_argument("--note", default="", help="a line to head the results with")
    args = parser.parse_args(argv)
    if not 0 < args.small < args.orgs:
        parser.error("--small must be above 0 and below --orgs.")
    if shutil.which("wrk") is None:
        parser.error("wrk is not installed (Debian: apt-get install wrk).")
    return args


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    started = datetime.now(UTC)
    load = " ".join(_read("/proc/loadavg").split()[:3]) or "unknown"
    workdir = Path(tempfile.mkdtemp(prefix="portal-bench-"))
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "bench.settings",
        "DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "DATABASE_URL": args.database_url,
        "REDIS_URL": args.redis_url,
        "ALLOWED_HOSTS": HOST,
        "SECURE_SSL_REDIRECT": "false",
        "SECURE_COOKIES": "false",
        "BENCH_STATIC_ROOT": str(workdir / "static"),
        "MEDIA_ROOT": str(workdir / "media"),
        "EMAIL_URL": "dummymail://",
        "LOG_LEVEL": "WARNING",
    }
    os.environ.update(env)
    sys.path.insert(0, str(ROOT))
    ceiling = Row(page=Page("Ceiling (empty view)", CEILING), path=CEILING)
    rows = [Row(page=page, path=page.path, connections=concurrency(page, args.connections))
            for page in PAGES]
    server = None
    try:
        recreate_database(args.database_url)
        flush_redis(args.redis_url)
        sessions = prepare(args, ceiling, rows)
        from django.conf import settings

        cookies = {who: f"{settings.SESSION_COOKIE_NAME}={key}" for who, key in sessions.items()}
        with open(workdir / "gunicorn.log", "w") as logfile:
            server = Server(env, logfile)
            server.start()
            log(f"Serving on {server.base} with {WORKERS} gunicorn workers")
            measure(server, rows, cookies, args)
    finally:
        if server is not None:
            server.stop()
        recreate_database(args.database_url, drop_only=True)
        flush_redis(args.redis_url)
        shutil.rmtree(workdir, ignore_errors=True)
    text = report(ceiling, rows, args, started, load)
    print(text)
    if args.write:
        RESULTS.write_text(text)
        log(f"Written to {RESULTS.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
