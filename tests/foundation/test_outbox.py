"""foundation.outbox: a task written with the work's transaction is sent once that commits;
what commits but never reaches the broker, or reaches a broker that loses it, the sweeper
sends again, once; work rolled back leaves nothing to send."""

from datetime import timedelta

import pytest
from django.core import mail
from django.db import transaction
from django.utils import timezone

from foundation import outbox
from foundation.models import OutboundEmail, OutboxTask
from foundation.tasks import send_email, sweep_outbox

pytestmark = pytest.mark.django_db


def _message(n: int = 1) -> OutboundEmail:
    return OutboundEmail.objects.create(key=f"test:{n}", kind="test", to=f"m{n}@example.com",
                                        subject="Hello", body_text="Hello.")


def test_committed_task_is_sent_and_marked_done(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        row = outbox.enqueue(send_email, _message().pk)
        assert mail.outbox == []  # not before the commit
    row.refresh_from_db()
    assert len(mail.outbox) == 1
    assert (row.task, row.args, row.sends) == ("foundation.tasks.send_email", [row.args[0]], 1)
    assert row.sent_at and row.done_at
    assert sweep_outbox() == 0


def test_committed_but_never_sent_is_sent_again_once(django_capture_on_commit_callbacks,
                                                     time_machine, settings):
    time_machine.move_to("2027-03-01 09:00Z", tick=False)
    with django_capture_on_commit_callbacks(execute=False) as publish, transaction.atomic():
        row = outbox.enqueue(send_email, _message().pk)
    assert len(publish) == 1  # the process died before its on-commit publish ran
    assert sweep_outbox() == 0  # too soon: the publish may still be on its way
    time_machine.shift(timedelta(seconds=settings.OUTBOX_SWEEP_AFTER + 1))
    assert sweep_outbox() == 1
    assert sweep_outbox() == 0
    row.refresh_from_db()
    assert row.sends == 1 and row.done_at
    assert [m.to for m in mail.outbox] == [["m1@example.com"]]


def test_sent_but_lost_by_the_broker_is_sent_again_after_the_visibility_timeout(
        time_machine, settings):
    time_machine.move_to("2027-03-01 09:00Z", tick=False)
    message = _message()
    # Published, then lost with the broker's queue: never done.
    row = OutboxTask.objects.create(task=send_email.name, args=[message.pk],
                                    sent_at=timezone.now(), sends=1)
    time_machine.shift(timedelta(seconds=settings.OUTBOX_SWEEP_AFTER + 1))
    assert sweep_outbox() == 0  # still within the time a worker may hold it
    visibility = settings.CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"]
    time_machine.shift(timedelta(seconds=visibility))
    assert sweep_outbox() == 1
    row.refresh_from_db()
    assert row.sends == 2 and row.done_at
    assert len(mail.outbox) == 1


def test_rolled_back_work_leaves_no_row_and_sends_nothing(django_capture_on_commit_callbacks):
    with (django_capture_on_commit_callbacks(execute=True) as publish,
          pytest.raises(RuntimeError), transaction.atomic()):
        outbox.enqueue(send_email, _message().pk)
        raise RuntimeError("the work failed")
    assert publish == []
    assert not OutboxTask.objects.exists()
    assert sweep_outbox() == 0
    assert mail.outbox == []


def test_done_rows_are_forgotten_after_a_week(time_machine):
    time_machine.move_to("2027-03-01 09:00Z", tick=False)
    OutboxTask.objects.create(task=send_email.name, args=[1], sent_at=timezone.now(),
                              done_at=timezone.now())
    time_machine.shift(timedelta(days=6))
    sweep_outbox()
    assert OutboxTask.objects.count() == 1
    time_machine.shift(timedelta(days=2))
    sweep_outbox()
    assert not OutboxTask.objects.exists()
