"""The container setup: docker-compose.yml, Dockerfile and .dockerignore, read as files.

No Docker engine is needed (nor a database): the YAML is parsed with PyYAML, whose safe_load
resolves the `<<:` merge keys the compose file uses for the shared app definition.
"""

import json
import re
import shlex
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
COMPOSE_FILE = ROOT / "docker-compose.yml"
DOCKERFILE = ROOT / "Dockerfile"
DOCKERIGNORE = ROOT / ".dockerignore"

APP_SERVICES = ("web", "worker", "beat")
ALL_SERVICES = (*APP_SERVICES, "db", "redis", "mail")


@pytest.fixture(scope="module")
def compose() -> dict:
    data = yaml.safe_load(COMPOSE_FILE.read_text())
    assert isinstance(data, dict), "docker-compose.yml must be a mapping"
    return data


@pytest.fixture(scope="module")
def services(compose) -> dict:
    services = compose.get("services")
    assert isinstance(services, dict), "docker-compose.yml has no services mapping"
    return services


def words(value) -> list[str]:
    """A command or healthcheck test as a list of words, whichever form the file uses."""
    if value is None:
        return []
    if isinstance(value, str):
        return shlex.split(value)
    return [word for item in value for word in shlex.split(str(item))]


def command_words(service: dict) -> list[str]:
    """The service's command; a `sh -c "..."` wrapper is unwrapped into its script's words."""
    command = service.get("command")
    parts = [command] if isinstance(command, str) else list(command or [])
    if len(parts) == 3 and parts[0] in ("sh", "/bin/sh", "bash") and parts[1] == "-c":
        return shlex.split(parts[2])
    return words(command)


def environment(service: dict) -> dict[str, str]:
    env = service.get("environment") or {}
    if isinstance(env, list):
        env = dict(item.split("=", 1) if "=" in item else (item, None) for item in env)
    return env


def healthcheck_test(service: dict) -> list[str]:
    healthcheck = service.get("healthcheck") or {}
    return words(healthcheck.get("test"))


def dockerfile_instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, with continuation lines joined and comments dropped."""
    text = re.sub(r"\\\n", " ", DOCKERFILE.read_text())
    instructions = []
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        keyword, _, arguments = line.partition(" ")
        instructions.append((keyword.upper(), arguments.strip()))
    return instructions


def dockerfile_cmd() -> list[str]:
    cmds = [arguments for keyword, arguments in dockerfile_instructions() if keyword == "CMD"]
    assert cmds, "the Dockerfile has no CMD"
    last = cmds[-1]  # only the last CMD counts
    return json.loads(last) if last.startswith("[") else shlex.split(last)


# --- docker-compose.yml --------------------------------------------------------------------


def test_all_services_are_defined(services):
    assert set(ALL_SERVICES) <= set(services)


def test_app_services_are_built_from_the_dockerfile(services):
    for name in APP_SERVICES:
        build = services[name].get("build")
        context = build.get("context") if isinstance(build, dict) else build
        assert context in (".", "./"), f"{name} is not built from the project's Dockerfile"


def test_web_migrates_seeds_then_runs_gunicorn(services):
    command = command_words(services["web"])
    assert "gunicorn" in command
    assert "foundation.wsgi:application" in command
    assert command.index("migrate") < command.index("seed_demo") < command.index("gunicorn")
    assert "0.0.0.0:8000" in command
    assert "8000:8000" in [str(port) for port in services["web"].get("ports", [])]


@pytest.mark.parametrize("name, role", [("worker", "worker"), ("beat", "beat")])
def test_celery_services_run_the_foundation_app(services, name, role):
    command = command_words(services[name])
    assert command[0] == "celery"
    app = command[command.index("-A") + 1] if "-A" in command else None
    assert app == "foundation", f"{name} does not run celery -A foundation"
    assert role in command


def test_backing_service_images(services):
    assert services["db"]["image"].split(":")[0] == "postgres"
    assert services["db"]["image"].split(":")[1].startswith("16")
    assert services["redis"]["image"].split(":")[0] == "redis"
    assert services["mail"]["image"].split(":")[0] == "axllent/mailpit"
    assert "8025:8025" in [str(port) for port in services["mail"].get("ports", [])]


@pytest.mark.parametrize("name", ALL_SERVICES)
def test_every_service_has_a_healthcheck(services, name):
    healthcheck = services[name].get("healthcheck")
    assert healthcheck, f"{name} has no healthcheck"
    assert not healthcheck.get("disable", False)
    test = healthcheck_test(services[name])
    assert test and test[0] in ("CMD", "CMD-SHELL"), f"{name}: malformed healthcheck test"


def test_web_healthcheck_requests_healthz_without_curl(services):
    test = " ".join(healthcheck_test(services["web"]))
    assert "http://127.0.0.1:8000/healthz" in test
    assert "curl" not in test and "wget" not in test  # neither is in the slim image


def test_worker_healthcheck_pings_its_own_node(services):
    test = " ".join(healthcheck_test(services["worker"]))
    assert "celery -A foundation inspect ping" in test
    # $$ reaches the container's shell as $HOSTNAME; a single $ would be interpolated by compose.
    raw = " ".join(map(str, services["worker"]["healthcheck"]["test"]))
    assert "celery@$$HOSTNAME" in raw


def test_beat_healthcheck_watches_the_schedule_file_it_writes(services):
    command = command_words(services["beat"])
    flag = "--schedule" if "--schedule" in command else "-s"
    schedule = command[command.index(flag) + 1]
    assert schedule.startswith("/app/var/"), "beat's schedule file must be in the writable var/"
    assert schedule in " ".join(healthcheck_test(services["beat"]))


def test_db_and_redis_healthchecks(services):
    assert "pg_isready" in healthcheck_test(services["db"])
    assert "redis-cli" in " ".join(healthcheck_test(services["redis"]))


@pytest.mark.parametrize("name", APP_SERVICES)
def test_app_services_wait_for_healthy_db_and_redis(services, name):
    depends_on = services[name].get("depends_on")
    assert isinstance(depends_on, dict), f"{name}: depends_on needs conditions"
    for dependency in ("db", "redis"):
        assert depends_on.get(dependency, {}).get("condition") == "service_healthy"


@pytest.mark.parametrize("name", APP_SERVICES)
def test_app_environment(services, name):
    env = environment(services[name])
    for key in ("DATABASE_URL", "REDIS_URL", "EMAIL_URL", "SECRET_KEY", "ALLOWED_HOSTS"):
        assert env.get(key), f"{name} does not set {key}"
    # Compose only accepts strings here reliably; unquoted booleans become True/False.
    assert all(isinstance(value, str) for value in env.values()), f"{name}: quote env values"
    assert env["DEBUG"].lower() == "false"
    assert env["SECURE_SSL_REDIRECT"].lower() == "false"  # no TLS proxy in front
    assert "127.0.0.1" in env["ALLOWED_HOSTS"].split(",")  # the web healthcheck's host
    assert env["MEDIA_ROOT"] == "/app/var/media"


def test_app_environment_points_at_the_compose_services(services):
    env = environment(services["web"])
    db_env = environment(services["db"])
    database = urlsplit(env["DATABASE_URL"])
    assert database.scheme in ("postgres", "postgresql")
    assert (database.hostname, database.port) == ("db", 5432)
    assert database.username == db_env["POSTGRES_USER"]
    assert database.password == db_env["POSTGRES_PASSWORD"]
    assert database.path.lstrip("/") == db_env["POSTGRES_DB"]
    assert urlsplit(env["REDIS_URL"]).hostname == "redis"
    email = urlsplit(env["EMAIL_URL"])
    assert (email.scheme, email.hostname, email.port) == ("smtp", "mail", 1025)


def test_secret_key_is_overridable_and_marked_for_development(services):
    secret = environment(services["web"])["SECRET_KEY"]
    match = re.fullmatch(r"\$\{SECRET_KEY:-([^}]+)\}", secret)
    assert match, "SECRET_KEY must be ${SECRET_KEY:-default}, overridable from the environment"
    assert "dev" in match.group(1).lower()
    assert len(match.group(1)) >= 50  # what `check --deploy` asks of a key


def test_media_volume_is_shared_by_web_and_worker(compose, services):
    for name in ("web", "worker"):
        mounts = [str(volume) for volume in services[name].get("volumes", [])]
        assert "media:/app/var/media" in mounts, f"{name} does not mount the media volume"
    assert "media" in (compose.get("volumes") or {})


def test_postgres_data_is_on_a_named_volume(compose, services):
    mounts = [str(volume).split(":") for volume in services["db"].get("volumes", [])]
    named = [source for source, target, *_ in mounts if target == "/var/lib/postgresql/data"]
    assert named and named[0] in (compose.get("volumes") or {})


def test_no_stray_variable_interpolation():
    """Every $ is either ${VAR...} for compose, or $$ escaping a literal $ for the container."""
    for number, line in enumerate(COMPOSE_FILE.read_text().splitlines(), start=1):
        stripped = re.sub(r"\$\$|\$\{[A-Za-z_][A-Za-z0-9_]*(:?[-?+][^}]*)?\}", "", line)
        assert "$" not in stripped, f"docker-compose.yml:{number}: unescaped $ in {line!r}"


# --- Dockerfile and .dockerignore -------------------------------------------------------------


def test_dockerfile_cmd_runs_gunicorn():
    cmd = dockerfile_cmd()
    assert cmd[0] == "gunicorn"
    assert "foundation.wsgi:application" in cmd
    assert cmd[cmd.index("--bind") + 1] == "0.0.0.0:8000"


def test_dockerfile_builds_a_non_root_slim_image():
    instructions = dockerfile_instructions()
    assert instructions[0] == ("FROM", "python:3.11-slim")
    users = [arguments for keyword, arguments in instructions if keyword == "USER"]
    assert users and users[-1].split(":")[0] not in ("root", "0")
    assert ("EXPOSE", "8000") in instructions
    runs = " ".join(arguments for keyword, arguments in instructions if keyword == "RUN")
    assert "collectstatic --noinput" in runs


def test_dockerignore_keeps_local_state_out_of_the_image():
    patterns = {
        line.strip().rstrip("/")
        for line in DOCKERIGNORE.read_text().splitlines()
        if line.strip() and not line.startswith("#")
    }
    for pattern in (".git", ".venv", "var", "db.sqlite3", ".env"):
        assert pattern in patterns, f".dockerignore does not exclude {pattern}"
