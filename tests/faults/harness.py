"""The fault suite's own world: a PostgreSQL cluster and a Redis of its own on free ports, the
portal's processes (gunicorn, a Celery worker, beat) as subprocesses under production settings,
and a fake SMTP server that can hold a message mid-send. Killing and restarting any of them
never touches the machine's shared services, so the main suite runs beside it.

API (tests reach it through the session fixture `harness` in tests/faults/conftest.py, which
also points this test process's ORM, cache and Celery producer at the harness's services):

    h = Harness(); h.start()            # or `with Harness() as h:`; h.close() tears all down
    h.base_url                          # gunicorn, e.g. "http://127.0.0.1:41234"
    h.database_url, h.redis_url         # the harness's services
    h.env                               # the environment the portal's processes run with
    h.webhook_secret                    # STRIPE_WEBHOOK_SECRET of the portal's processes,
                                        # unless h.env names another
    h.psql(sql, params) -> rows         # one statement on a connection of its own
    with h.row_lock(sql, params): ...   # hold a SELECT ... FOR UPDATE's locks meanwhile
    h.start_process(name)               # name in PROCESSES: "web", "worker", "beat"
    h.kill(name)                        # SIGKILL to the whole process group, waits for it
    h.stop(name)                        # a polite stop (SIGTERM, then SIGKILL after 15 s)
    h.restart(name)                     # kill, then start
    h.stop_postgres() / h.start_postgres()   # pg_ctl stop -m fast / start -w
    h.stop_redis() / h.start_redis()    # Redis keeps nothing across a restart (no save, no AOF)
    h.wait_healthy(timeout=60)          # until /healthz answers 200
    h.get(path, cookies=None, timeout=10) -> (status, headers, body bytes); never raises on
                                        # an HTTP or connection error (status 0 if none came)
    h.manage(*args, timeout=120)        # manage.py under the portal's environment
    h.broker_idle() / h.wait_broker_idle(timeout)   # no message queued or unacknowledged
    h.wait_until(predicate, timeout, what)   # poll; AssertionError naming `what` on timeout
    h.smtp                              # FakeSMTP: .messages, .hold(), .release(), .waiting
    h.worker_waiting_on_lock(timeout)   # a backend of the portal waits on a row lock
    h.log(name)                         # the tail of a process's log, for failure messages

Every wait is bounded; `close()` stops everything and removes the temporary folder, also after
a failure.
"""

import contextlib
import os
import secrets
import shutil
import signal
import socket
import socketserver
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from glob import glob
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
HOST = "127.0.0.1"
WEB_WORKERS = 3
# Short, so a message a killed worker held comes back within seconds (production: hours).
VISIBILITY_TIMEOUT = 4
OUTBOX_SWEEP_AFTER = 3


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def _pg_bin(name: str) -> str:
    found = sorted(glob(f"/usr/lib/postgresql/*/bin/{name}"))
    if found:
        return found[-1]
    on_path = shutil.which(name)
    if on_path is None:
        raise RuntimeError(f"PostgreSQL's {name} is not installed")
    return on_path


def _as_postgres(command: list[str]) -> list[str]:
    """initdb and postgres refuse to run as root: run them as the postgres user then."""
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", *command]
    return command


class FakeSMTP:
    """An SMTP server that records each message it accepts. `hold()` makes the next client
    wait before its MAIL FROM is answered, so a sender is provably mid-send and nothing is
    delivered until `release()`; a client that disappears meanwhile delivers nothing."""

    def __init__(self):
        self.messages: list[tuple[str, bytes]] = []  # (recipient, data)
        self.waiting = threading.Event()  # a client is being held
        self._open = threading.Event()
        self._open.set()
        self._lock = threading.Lock()
        outer = self

        class Handler(socketserver.StreamRequestHandler):
            timeout = 60

            def handle(self):
                outer._session(self.rfile, self.wfile)

        class Server(socketserver.ThreadingTCPServer):
            daemon_threads = True
            allow_reuse_address = True

        self._server = Server((HOST, 0), Handler)
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def hold(self) -> None:
        self.waiting.clear()
        self._open.clear()

    def release(self) -> None:
        self._open.set()

    def recipients(self) -> list[str]:
        with self._lock:
            return [to for to, _ in self.messages]

    def _session(self, rfile, wfile) -> None:
        def say(line: str) -> None:
            wfile.write(line.encode() + b"\r\n")
            wfile.flush()

        say("220 fake ESMTP")
        rcpts: list[str] = []
        while True:
            line = rfile.readline()
            if not line:
                return
            verb = line.decode(errors="replace").strip().split(" ", 1)[0].upper()
            if verb in ("EHLO", "HELO"):
                say("250 fake")
            elif verb == "MAIL":
                if not self._open.is_set():
                    self.waiting.set()
                    self._open.wait(120)
                rcpts = []
                say("250 OK")
            elif verb == "RCPT":
                address = line.decode().split(":", 1)[1].strip().strip("<>")
                rcpts.append(address.lower())
                say("250 OK")
            elif verb == "DATA":
                say("354 go ahead")
                data = b""
                while True:
                    chunk = rfile.readline()
                    if not chunk:
                        return  # the sender died mid-message: nothing delivered
                    if chunk == b".\r\n":
                        break
                    data += chunk
                with self._lock:
                    self.messages.extend((to, data) for to in rcpts)
                say("250 queued")
            elif verb == "RSET":
                rcpts = []
                say("250 OK")
            elif verb == "QUIT":
                say("221 bye")
                return
            else:
                say("250 OK")

    def close(self) -> None:
        self.release()
        self._server.shutdown()
        self._server.server_close()


class Harness:
    PROCESSES = ("web", "worker", "beat")

    def __init__(self, *, web_workers: int = WEB_WORKERS, worker_concurrency: int = 1):
        self.web_workers = web_workers
        self.worker_concurrency = worker_concurrency
        self.dir = Path(tempfile.mkdtemp(prefix="portal-faults-"))
        self.processes: dict[str, subprocess.Popen] = {}
        self._logs: dict[str, object] = {}
        self.redis: subprocess.Popen | None = None
        self.smtp: FakeSMTP | None = None
        self.pg_port = free_port()
        self.redis_port = free_port()
        self.web_port = free_port()
        self.base_url = f"http://{HOST}:{self.web_port}"
        self.database_url = f"postgres://postgres@{HOST}:{self.pg_port}/portal"
        self.redis_url = f"redis://{HOST}:{self.redis_port}/0"
        self._postgres_up = False
        self.webhook_secret = "whsec_faults_" + secrets.token_hex(8)

    # Setup and teardown.

    def __enter__(self) -> "Harness":
        try:
            self.start()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def start(self, *, beat: bool = True) -> None:
        self.smtp = FakeSMTP()
        self.env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "foundation.settings",
            "DEBUG": "false",
            "SECRET_KEY": secrets.token_urlsafe(50),
            "DATABASE_URL": self.database_url,
            "REDIS_URL": self.redis_url,
            "ALLOWED_HOSTS": f"{HOST},localhost",
            "SITE_URL": self.base_url,
            "SECURE_SSL_REDIRECT": "false",
            "SECURE_COOKIES": "false",
            # Pages link to static files by their plain names: no collectstatic manifest.
            "STATICFILES_STORAGE": "django.contrib.staticfiles.storage.StaticFilesStorage",
            "MEDIA_ROOT": str(self.dir / "media"),
            "EMAIL_URL": f"smtp://{HOST}:{self.smtp.port}",
            "STRIPE_SECRET_KEY": "",
            "CELERY_VISIBILITY_TIMEOUT": str(VISIBILITY_TIMEOUT),
            "OUTBOX_SWEEP_AFTER": str(OUTBOX_SWEEP_AFTER),
            "CONN_MAX_AGE": "60",
            "LOG_LEVEL": "WARNING",
            "PYTHONUNBUFFERED": "1",
        }
        self.env.pop("STRIPE_WEBHOOK_SECRET", None)  # self.webhook_secret unless set here
        self._init_postgres()
        self.start_postgres()
        self.start_redis()
        self.manage("migrate", "--noinput", timeout=300)
        self.start_process("web")
        self.start_process("worker")
        if beat:
            self.start_process("beat")
        self.wait_healthy(timeout=60)

    def close(self) -> None:
        for name in list(self.processes):
            with contextlib.suppress(Exception):
                self.kill(name)
        if self.redis is not None:
            with contextlib.suppress(Exception):
                self.stop_redis()
        if self._postgres_up or (self.dir / "pgdata" / "postmaster.pid").exists():
            with contextlib.suppress(Exception):
                self.stop_postgres()
        if self.smtp is not None:
            with contextlib.suppress(Exception):
                self.smtp.close()
        for handle in self._logs.values():
            with contextlib.suppress(Exception):
                handle.close()
        shutil.rmtree(self.dir, ignore_errors=True)

    # PostgreSQL.

    def _init_postgres(self) -> None:
        os.chmod(self.dir, 0o755)
        data = self.dir / "pgdata"
        data.mkdir(mode=0o700)
        (self.dir / "pgsock").mkdir()
        if os.geteuid() == 0:
            shutil.chown(data, "postgres", "postgres")
            shutil.chown(self.dir / "pgsock", "postgres", "postgres")
        subprocess.run(_as_postgres([_pg_bin("initdb"), "-D", str(data), "-U", "postgres",
                                     "-A", "trust", "--no-sync", "-E", "UTF8"]),
                       check=True, capture_output=True, timeout=120)
        options = [
            f"listen_addresses='{HOST}'", f"port={self.pg_port}",
            f"unix_socket_directories='{self.dir / 'pgsock'}'", "fsync=off",
            "synchronous_commit=off", "full_page_writes=off", "max_connections=100",
            # A backend whose client was killed notices within a second, even mid-query.
            "client_connection_check_interval=1000",
        ]
        with open(data / "postgresql.conf", "a") as conf:
            conf.write("\n".join(options) + "\n")

    def start_postgres(self) -> None:
        log = self.dir / "postgres.log"
        if os.geteuid() == 0 and not log.exists():
            log.touch()
            shutil.chown(log, "postgres", "postgres")
        subprocess.run(_as_postgres([_pg_bin("pg_ctl"), "-D", str(self.dir / "pgdata"), "-l",
                                     str(log), "-w", "-t", "60", "start"]),
                       check=True, capture_output=True, timeout=90)
        self._postgres_up = True
        import psycopg

        deadline = time.monotonic() + 30
        while True:
            try:
                with psycopg.connect(f"host={HOST} port={self.pg_port} user=postgres "
                                     f"dbname=postgres", autocommit=True, connect_timeout=3) as c:
                    if not c.execute("SELECT 1 FROM pg_database WHERE datname='portal'")\
                            .fetchone():
                        c.execute("CREATE DATABASE portal")
                return
            except psycopg.OperationalError:
                if time.monotonic() > deadline:
                    raise

    def stop_postgres(self) -> None:
        subprocess.run(_as_postgres([_pg_bin("pg_ctl"), "-D", str(self.dir / "pgdata"), "-m",
                                     "fast", "-w", "-t", "60", "stop"]),
                       check=True, capture_output=True, timeout=90)
        self._postgres_up = False

    def psql(self, sql: str, params: tuple = ()) -> list[tuple]:
        """One statement on a fresh connection of its own (autocommit)."""
        import psycopg

        with psycopg.connect(f"host={HOST} port={self.pg_port} user=postgres dbname=portal",
                             autocommit=True, connect_timeout=5) as conn:
            cursor = conn.execute(sql, params)
            return cursor.fetchall() if cursor.description else []

    @contextlib.contextmanager
    def row_lock(self, sql: str, params: tuple = ()):
        """Hold the row locks `sql` (a SELECT ... FOR UPDATE) takes, in a connection of its
        own, until the block ends; the transaction is rolled back then."""
        import psycopg

        conn = psycopg.connect(f"host={HOST} port={self.pg_port} user=postgres dbname=portal",
                               connect_timeout=5)
        try:
            rows = conn.execute(sql, params).fetchall()
            if not rows:
                raise AssertionError(f"The lock took no row: {sql} {params}")
            yield rows
        finally:
            with contextlib.suppress(Exception):
                conn.rollback()
            conn.close()

    def worker_waiting_on_lock(self, timeout: float = 30) -> None:
        """Until a backend (other than this one) waits on a lock: the task is mid-way."""
        self.wait_until(
            lambda: self.psql("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = "
                              "'Lock' AND pid <> pg_backend_pid()")[0][0] > 0,
            timeout, "a task waiting on the held row lock")

    # Redis.

    def start_redis(self) -> None:
        log = open(self.dir / "redis.log", "a")  # noqa: SIM115 (open while Redis runs)
        self._logs["redis"] = log
        self.redis = subprocess.Popen(
            ["redis-server", "--bind", HOST, "--port", str(self.redis_port), "--save", "",
             "--appendonly", "no", "--dir", str(self.dir)],
            stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        self.wait_until(self._redis_answers, 30, "Redis to answer")

    def _redis_answers(self) -> bool:
        import redis

        try:
            return bool(redis.Redis.from_url(self.redis_url, socket_timeout=1).ping())
        except redis.RedisError:
            return False

    def stop_redis(self) -> None:
        if self.redis is None:
            return
        self.redis.terminate()
        try:
            self.redis.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.redis.kill()
            self.redis.wait(timeout=5)
        self.redis = None

    def redis_client(self):
        import redis

        return redis.Redis.from_url(self.redis_url, socket_timeout=5)

    def broker_idle(self) -> bool:
        """No task waiting in the default queue, none delivered and unacknowledged."""
        client = self.redis_client()
        return client.llen("celery") == 0 and client.hlen("unacked") == 0

    def wait_broker_idle(self, timeout: float = 60) -> None:
        self.wait_until(self.broker_idle, timeout, "the broker to hold no task")

    # The portal's processes.

    def _command(self, name: str) -> list[str]:
        python = sys.executable
        if name == "web":
            return [python, "-m", "gunicorn", "foundation.wsgi:application", "--workers",
                    str(self.web_workers), "--bind", f"{HOST}:{self.web_port}", "--chdir",
                    str(ROOT), "--timeout", "30", "--graceful-timeout", "5",
                    "--log-level", "warning"]
        if name == "worker":
            return [python, "-m", "celery", "-A", "foundation", "worker", "--concurrency",
                    str(self.worker_concurrency), "--loglevel", "INFO", "--without-gossip",
                    "--without-mingle", "--without-heartbeat", "-n", "faults@%h"]
        if name == "beat":
            return [python, "-m", "celery", "-A", "foundation", "beat", "--loglevel", "INFO",
                    "--schedule", str(self.dir / "beat-schedule")]
        raise ValueError(f"No process named {name!r}: one of {', '.join(self.PROCESSES)}")

    def start_process(self, name: str) -> subprocess.Popen:
        if name in self.processes and self.processes[name].poll() is None:
            raise RuntimeError(f"{name} runs already")
        log = self._logs.get(name) or open(self.dir / f"{name}.log", "a")  # noqa: SIM115
        self._logs[name] = log
        # The webhook secret by default: a scenario may set its own in env, or take it out.
        env = {"STRIPE_WEBHOOK_SECRET": self.webhook_secret, **self.env}
        process = subprocess.Popen(self._command(name), cwd=ROOT, env=env, stdout=log,
                                   stderr=subprocess.STDOUT, start_new_session=True)
        self.processes[name] = process
        if name == "web":
            self.wait_until(lambda: self.get("/healthz", timeout=3)[0] in (200, 503), 60,
                            "gunicorn to answer", process=name)
        elif name == "worker":
            self.wait_until(lambda: "ready." in self.log(name, 4000), 60,
                            "the Celery worker to be ready", process=name)
        return process

    def kill(self, name: str) -> None:
        """SIGKILL to the process and everything it started (its own session's group)."""
        process = self.processes.pop(name, None)
        if process is None or process.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=15)

    def stop(self, name: str) -> None:
        process = self.processes.pop(name, None)
        if process is None or process.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=5)

    def restart(self, name: str) -> subprocess.Popen:
        self.kill(name)
        return self.start_process(name)

    def log(self, name: str, chars: int = 3000) -> str:
        path = self.dir / f"{name}.log"
        if name in self._logs:
            with contextlib.suppress(Exception):
                self._logs[name].flush()
        try:
            return path.read_text(errors="replace")[-chars:]
        except OSError:
            return ""

    def manage(self, *args: str, timeout: float = 120) -> str:
        done = subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=self.env,
                              capture_output=True, text=True, timeout=timeout)
        if done.returncode:
            raise RuntimeError(f"manage.py {' '.join(args)} failed:\n{done.stdout[-2000:]}"
                               f"\n{done.stderr[-3000:]}")
        return done.stdout

    # Asking.

    def get(self, path: str, *, cookies: dict[str, str] | None = None,
            timeout: float = 10, method: str = "GET", data: bytes | None = None,
            headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
        request = urllib.request.Request(self.base_url + path, method=method, data=data,
                                         headers=dict(headers or {}))
        if cookies:
            request.add_header("Cookie", "; ".join(f"{k}={v}" for k, v in cookies.items()))
        opener = urllib.request.build_opener(_NoRedirect)
        try:
            with opener.open(request, timeout=timeout) as response:
                return response.status, dict(response.headers), response.read()
        except urllib.error.HTTPError as error:
            return error.code, dict(error.headers), error.read()
        except (urllib.error.URLError, OSError):
            return 0, {}, b""

    def wait_healthy(self, timeout: float = 60) -> None:
        self.wait_until(lambda: self.get("/healthz", timeout=5)[0] == 200, timeout,
                        "/healthz to answer 200", process="web")

    def wait_until(self, predicate: Callable[[], bool], timeout: float, what: str, *,
                   process: str = "", interval: float = 0.2) -> None:
        deadline = time.monotonic() + timeout
        while True:
            try:
                if predicate():
                    return
            except Exception:  # a service mid-restart: ask again
                if time.monotonic() > deadline:
                    raise
            if time.monotonic() > deadline:
                tail = f"\n--- {process} log ---\n{self.log(process)}" if process else ""
                raise AssertionError(f"Waited {timeout:g} s for {what}{tail}")
            if process and process in self.processes and self.processes[process].poll() \
                    is not None:
                raise AssertionError(f"{process} exited while waiting for {what}:\n"
                                     f"{self.log(process)}")
            time.sleep(interval)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None
