"""The fault suite (`pytest -m faults tests/faults`): one harness for the session, and this
test process's ORM, cache and Celery producer pointed at the harness's services, so a test
arranges its data with the factories and services and enqueues work as the portal does, on
the very database, cache and broker the harness's processes use."""

from pathlib import Path

import pytest
from django.db import connections
from django.test import override_settings

from tests.faults.harness import Harness

HERE = Path(__file__).parent


@pytest.hookimpl(tryfirst=True)  # before `-m` deselects by marker
def pytest_collection_modifyitems(items):
    """Everything under tests/faults/ is marked `faults`: the main suite leaves it out. (The
    hook sees every collected item, not only this folder's.)"""
    for item in items:
        if HERE in item.path.parents:
            item.add_marker(pytest.mark.faults)


@pytest.fixture(autouse=True)
def _clean_cache():
    """The main suite empties the cache around each test; here it is the harness's, which a
    test may have stopped, and which the portal's processes share."""
    yield


@pytest.fixture(scope="session")
def harness(django_db_blocker):
    with Harness() as h, django_db_blocker.unblock():
        database = connections["default"]
        database.close()
        saved = dict(database.settings_dict)
        database.settings_dict.update(NAME="portal", HOST="127.0.0.1", PORT=str(h.pg_port),
                                      USER="postgres", PASSWORD="", CONN_MAX_AGE=0,
                                      CONN_HEALTH_CHECKS=True)
        caches = {"default": {"BACKEND": "foundation.cache.RedisCache", "LOCATION": h.redis_url,
                              "KEY_PREFIX": "portal"}}
        from foundation.celery import app

        saved_conf = {"broker_url": app.conf.broker_url,
                      "task_always_eager": app.conf.task_always_eager}
        app.conf.update(broker_url=h.redis_url, task_always_eager=False)
        _forget_broker_connections(app)
        try:
            # The portal's secret too: sessions and signed links made here work there.
            with override_settings(CACHES=caches, CELERY_BROKER_URL=h.redis_url,
                                   SECRET_KEY=h.env["SECRET_KEY"],
                                   EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
                                   EMAIL_HOST="127.0.0.1", EMAIL_PORT=h.smtp.port,
                                   OUTBOX_SWEEP_AFTER=int(h.env["OUTBOX_SWEEP_AFTER"])):
                yield h
        finally:
            database.close()
            database.settings_dict.clear()
            database.settings_dict.update(saved)
            app.conf.update(**saved_conf)
            _forget_broker_connections(app)


def _forget_broker_connections(app) -> None:
    """The next publish connects to the broker the app's configuration names now."""
    if app._pool is not None:
        app._pool.force_close_all()
        app._pool = None
    app.amqp._producer_pool = None


@pytest.fixture
def report(request):
    """Print a scenario's finding: `report("SIGKILL during ...: ...")`; shown with -s and
    collected in the session's summary at the end."""
    lines = request.config.stash.setdefault(_FINDINGS, [])

    def say(line: str) -> None:
        print(f"\n[faults] {line}", flush=True)
        lines.append(line)

    return say


_FINDINGS = pytest.StashKey[list]()


def pytest_terminal_summary(terminalreporter, config):
    lines = config.stash.get(_FINDINGS, [])
    if lines:
        terminalreporter.section("faults survived")
        for line in lines:
            terminalreporter.write_line(line)
