"""One journey through a real Celery worker and Redis broker, as in production; the rest of
the suite runs tasks in-process after commit."""

import time

import pytest
from celery.contrib.testing.worker import start_worker
from django.conf import settings
from django.core import mail

from foundation import emails
from foundation.celery import app
from foundation.models import OutboundEmail


@pytest.fixture
def real_worker():
    eager, broker = app.conf.task_always_eager, app.conf.broker_url
    app.conf.task_always_eager, app.conf.broker_url = False, settings.REDIS_URL
    try:
        with app.connection_for_write() as conn:  # start from an empty queue
            conn.default_channel.queue_purge("celery")
        with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
            yield
    finally:
        app.conf.task_always_eager, app.conf.broker_url = eager, broker


@pytest.mark.django_db(transaction=True)
def test_a_queued_email_is_sent_by_a_worker_through_redis(real_worker):
    message = emails.queue_rendered(key="worker-test", kind="test", to="w@example.com",
                                    subject="Through Redis", text="Hello")
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        message.refresh_from_db()
        if message.status == OutboundEmail.Status.SENT:
            break
        time.sleep(0.1)
    assert message.status == OutboundEmail.Status.SENT
    assert [m.subject for m in mail.outbox] == ["Through Redis"]
