"""The transactional outbox: a task is written as a row in the transaction of the work it
follows, sent to the broker when that transaction commits, and marked done when a worker
finishes it. So a commit followed by a failed publish (Redis down, the process killed right
after commit) or by a queue the broker lost (Redis restarted without its data) loses
nothing: `sweep`, on beat, sends again what was committed but never sent after
OUTBOX_SWEEP_AFTER seconds, and what was sent but not finished after the broker's visibility
timeout. A task may therefore run more than once; each is idempotent (ENGINEERING.md).

E-mail goes through it too. Its OutboundEmail row was an outbox of a kind already (written
with the work, queued until delivered, re-enqueued by `retry_unsent_emails` after ten minutes
on a quarter-hourly beat, which stays as the net for a retry lost with its countdown), but
it enqueued with `delay_on_commit`, so a broker that did not answer failed the request that
had just committed the message; through here it does not, and a message whose publish failed
goes out within a minute of the broker's return.

    outbox.enqueue(push_invoice_to_stripe, invoice.pk)   # instead of .delay_on_commit(...)
"""

import functools
import logging
from datetime import timedelta

from celery import Task, current_app
from celery.signals import before_task_publish, task_postrun
from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from kombu.exceptions import OperationalError

from .models import OutboxTask

logger = logging.getLogger(__name__)

HEADER = "outbox_id"
BATCH = 500
KEEP_DONE = timedelta(days=7)
# A broker that does not answer fails the publish at once: the row waits for the sweeper
# rather than the request that committed it waiting for Redis.
RETRY_POLICY = {"max_retries": 1, "interval_start": 0, "interval_step": 0.2,
                "interval_max": 0.2}


def enqueue(task: Task, *args: int | str) -> OutboxTask:
    """Write the task in the current transaction; send it once the transaction commits."""
    row = OutboxTask.objects.create(task=task.name, args=list(args))
    transaction.on_commit(functools.partial(_send, task, row.pk, list(args)))
    return row


def _send(task: Task, pk: int, args: list) -> bool:
    """Publish the task; False if the broker did not take it (the sweeper will send it)."""
    try:
        task.apply_async(args=args, headers={HEADER: pk}, retry_policy=RETRY_POLICY)
    except (OperationalError, OSError) as exc:
        logger.warning("Outbox task %s not sent, left for the sweeper: %r", pk, exc)
        return False
    OutboxTask.objects.filter(pk=pk).update(sent_at=timezone.now(), sends=F("sends") + 1)
    return True


def sweep() -> int:
    """Send again what is not done: never sent OUTBOX_SWEEP_AFTER seconds after it was
    written, or sent longer ago than the broker keeps an unacknowledged message. Returns how
    many were sent; forgets rows done a week ago."""
    now = timezone.now()
    visibility = settings.CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"]
    due = (Q(sent_at=None, created_at__lte=now - timedelta(seconds=settings.OUTBOX_SWEEP_AFTER))
           | Q(sent_at__lte=now - timedelta(seconds=visibility)))
    sent = 0
    with transaction.atomic():
        rows = list(OutboxTask.objects.select_for_update(skip_locked=True)
                    .filter(due, done_at=None).order_by("created_at")[:BATCH])
        for row in rows:
            task = current_app.tasks.get(row.task)
            if task is None:
                logger.error("Outbox task %s names no task: %s", row.pk, row.task)
                continue
            if not _send(task, row.pk, list(row.args)):
                break  # the broker is down: the next sweep tries again
            sent += 1
    OutboxTask.objects.filter(done_at__lte=now - KEEP_DONE).delete()
    return sent


def _outbox_id(request) -> int | None:
    """The row a running task came from: a custom header is an attribute of the request in a
    worker, and in `headers` when run eagerly."""
    return (getattr(request, HEADER, None)
            or (getattr(request, "headers", None) or {}).get(HEADER))


@before_task_publish.connect(weak=False)
def _keep_on_retry(headers=None, **kwargs) -> None:
    """A task retrying itself is published again without its custom headers: give the retry
    its row's id, so that it is marked done when it succeeds."""
    running = current_app.current_task
    if running is None or headers is None or HEADER in headers:
        return
    pk = _outbox_id(running.request)
    if pk and headers.get("id") == running.request.id:
        headers[HEADER] = pk


@task_postrun.connect(weak=False)
def _finished(sender=None, state=None, **kwargs) -> None:
    """A task from the outbox ran to its end (succeeded, or failed for good and recorded its
    failure for staff): done. One that will be retried is not."""
    pk = _outbox_id(getattr(sender, "request", None))
    if pk and state in ("SUCCESS", "FAILURE"):
        OutboxTask.objects.filter(pk=pk, done_at=None).update(done_at=timezone.now())
