import json
import time
from datetime import timedelta

import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone

from foundation.billing import events
from foundation.billing.models import Invoice, Payment, StripeEvent
from foundation.billing.tasks import process_stripe_event, retry_waiting_stripe_events
from tests.billing.webhooks import deliver, invoice_event, signature
from tests.concurrency import at_once

pytestmark = pytest.mark.django_db


@pytest.fixture
def open_invoice(make_invoice):
    invoice = make_invoice()
    invoice.stripe_invoice_id = "in_test_portal_1"
    invoice.save(update_fields=["stripe_invoice_id"])
    return invoice


def receipts():
    return [m for m in mail.outbox if m.subject.startswith("Receipt")]


class TestBadDeliveries:
    """Forged, stale and malformed deliveries: 400 and no row."""

    def test_forged_signature(self, client, open_invoice):
        response = deliver(client, invoice_event("invoice.paid", open_invoice),
                           secret="whsec_someone_else")
        assert response.status_code == 400
        assert StripeEvent.objects.count() == 0

    def test_missing_signature(self, client, open_invoice):
        response = deliver(client, invoice_event("invoice.paid", open_invoice), header="")
        assert response.status_code == 400
        assert StripeEvent.objects.count() == 0

    def test_stale_timestamp(self, client, open_invoice):
        response = deliver(client, invoice_event("invoice.paid", open_invoice),
                           timestamp=int(time.time()) - 3600)
        assert response.status_code == 400
        assert StripeEvent.objects.count() == 0

    def test_tampered_body(self, client, open_invoice):
        body = json.dumps(invoice_event("invoice.paid", open_invoice)).encode()
        header = signature(body)
        response = deliver(client, body.replace(b"invoice.paid", b"invoice.void"), header=header)
        assert response.status_code == 400
        assert StripeEvent.objects.count() == 0

    @pytest.mark.parametrize("body", [b"not json at all", b"[1, 2]", b'{"no": "id"}'])
    def test_malformed_body_with_a_good_signature(self, client, body):
        response = deliver(client, body)
        assert response.status_code == 400
        assert StripeEvent.objects.count() == 0

    def test_get_is_not_allowed(self, client):
        assert client.get("/stripe/webhook/").status_code == 405


def test_paid_event_delivered_five_times_records_one_payment_and_one_receipt(
    client, open_invoice, django_capture_on_commit_callbacks
):
    event = invoice_event("invoice.paid", open_invoice, event_id="evt_paid_1")
    mail.outbox.clear()
    for _ in range(5):
        with django_capture_on_commit_callbacks(execute=True):
            response = deliver(client, event)
        assert response.status_code == 200
    assert StripeEvent.objects.get().status == StripeEvent.Status.PROCESSED
    assert Payment.objects.count() == 1
    assert len(receipts()) == 1
    open_invoice.refresh_from_db()
    assert open_invoice.status == Invoice.Status.PAID


def test_same_payment_under_two_event_ids_is_recorded_once(
    client, open_invoice, django_capture_on_commit_callbacks
):
    mail.outbox.clear()
    for event_id in ["evt_a", "evt_b"]:
        with django_capture_on_commit_callbacks(execute=True):
            deliver(client, invoice_event("invoice.paid", open_invoice, event_id=event_id))
    assert Payment.objects.count() == 1
    assert len(receipts()) == 1


@pytest.mark.django_db(transaction=True)
def test_two_simultaneous_deliveries_record_one_payment(open_invoice):
    event = invoice_event("invoice.paid", open_invoice, event_id="evt_race")
    responses = at_once(*[lambda: deliver(Client(), event)] * 2)
    assert [r.status_code for r in responses] == [200, 200]
    assert StripeEvent.objects.count() == 1
    assert Payment.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_two_workers_processing_one_event_at_once_record_one_payment(open_invoice):
    payload = invoice_event("invoice.paid", open_invoice, event_id="evt_twice")
    event = StripeEvent.objects.create(stripe_id="evt_twice", type="invoice.paid", payload=payload)
    at_once(*[lambda: events.process(event_id=event.pk)] * 2)
    assert Payment.objects.count() == 1
    assert StripeEvent.objects.get().attempts == 1


def test_paid_event_before_our_record_is_committed_pays_once_the_record_exists(
    client, make_invoice, django_capture_on_commit_callbacks, settings
):
    """Stripe's event names an invoice by the id in its metadata before our task stored the
    Stripe id; it may even name an invoice we have not committed yet."""
    settings.CELERY_TASK_EAGER_PROPAGATES = False
    invoice = make_invoice()
    payload = invoice_event("invoice.paid", invoice, event_id="evt_early", id="in_early")
    payload["data"]["object"]["metadata"]["portal_invoice_id"] = str(invoice.pk + 1)
    with django_capture_on_commit_callbacks(execute=True):
        assert deliver(client, payload).status_code == 200
    event = StripeEvent.objects.get()
    assert event.status == StripeEvent.Status.FAILED  # eager retries ran out at once
    assert "No invoice of ours" in event.last_error

    later = make_invoice()  # now the invoice the event names exists
    assert later.pk == invoice.pk + 1
    assert events.process_again(event_id=event.pk, actor=None) == StripeEvent.Status.PROCESSED
    later.refresh_from_db()
    assert later.status == Invoice.Status.PAID and later.stripe_invoice_id == "in_early"
    assert Payment.objects.get().invoice == later


def test_unknown_invoice_is_retried_then_marked_failed(open_invoice, settings):
    settings.CELERY_TASK_EAGER_PROPAGATES = False
    payload = invoice_event("invoice.paid", open_invoice, event_id="evt_unknown", id="in_nope",
                            metadata={})
    event, _ = events.record(payload)
    process_stripe_event.apply(args=[event.pk])
    event.refresh_from_db()
    assert event.status == StripeEvent.Status.FAILED
    assert event.attempts == events.MAX_ATTEMPTS
    assert not Payment.objects.exists()


def test_lost_tasks_are_picked_up_by_the_beat_job(open_invoice, time_machine):
    event, _ = events.record(invoice_event("invoice.paid", open_invoice, event_id="evt_lost"))
    assert retry_waiting_stripe_events() == 0  # too fresh: its own task may still run
    time_machine.move_to(timezone.now() + timedelta(minutes=10))
    assert retry_waiting_stripe_events() == 1
    event.refresh_from_db()
    assert event.status == StripeEvent.Status.PROCESSED


def test_other_event_types_are_stored_and_ignored(client, django_capture_on_commit_callbacks):
    from tests.billing.stripe_fake import example

    with django_capture_on_commit_callbacks(execute=True):
        response = deliver(client, example("event", id="evt_plan", type="plan.created"))
    assert response.status_code == 200
    assert StripeEvent.objects.get().status == StripeEvent.Status.IGNORED


def test_out_of_order_events_leave_a_paid_invoice_paid(
    client, open_invoice, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        deliver(client, invoice_event("invoice.paid", open_invoice, event_id="evt_1"))
        deliver(client, invoice_event("invoice.finalized", open_invoice, event_id="evt_2"))
        deliver(client, invoice_event("invoice.payment_failed", open_invoice, event_id="evt_3"))
    open_invoice.refresh_from_db()
    assert open_invoice.status == Invoice.Status.PAID
    assert not [m for m in mail.outbox if "did not go through" in m.subject]


def test_voided_after_paid_is_kept_failed_for_staff(client, open_invoice,
                                                   django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        deliver(client, invoice_event("invoice.paid", open_invoice, event_id="evt_p"))
        deliver(client, invoice_event("invoice.voided", open_invoice, event_id="evt_v"))
    event = StripeEvent.objects.get(stripe_id="evt_v")
    assert event.status == StripeEvent.Status.FAILED and "paid" in event.last_error
    open_invoice.refresh_from_db()
    assert open_invoice.status == Invoice.Status.PAID


def test_finalized_voided_uncollectible_and_failed_payments(
    client, make_invoice, django_capture_on_commit_callbacks
):
    first, second = make_invoice(), make_invoice()
    for n, invoice in enumerate([first, second]):
        invoice.stripe_invoice_id = f"in_{n}"
        invoice.save(update_fields=["stripe_invoice_id"])
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        deliver(client, invoice_event("invoice.finalized", first, event_id="evt_f",
                                      hosted_invoice_url="https://invoice.stripe.com/i/x"))
        deliver(client, invoice_event("invoice.payment_failed", first, event_id="evt_pf"))
        deliver(client, invoice_event("invoice.payment_failed", first, event_id="evt_pf"))
        deliver(client, invoice_event("invoice.voided", first, event_id="evt_vo"))
        deliver(client, invoice_event("invoice.marked_uncollectible", second, event_id="evt_u"))
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.hosted_invoice_url == "https://invoice.stripe.com/i/x"
    assert first.status == Invoice.Status.VOID
    assert second.status == Invoice.Status.UNCOLLECTIBLE
    failed = [m for m in mail.outbox if "did not go through" in m.subject]
    assert len(failed) == 1 and failed[0].to == ["ap@acme.example"]
    assert set(StripeEvent.objects.values_list("status", flat=True)) == {"processed"}


def test_a_second_payment_of_a_paid_invoice_is_kept_for_staff_to_refund(
    client, open_invoice, admin_user, django_capture_on_commit_callbacks
):
    from foundation.billing import services

    services.payment_record(invoice_id=open_invoice.pk, method=Payment.Method.WIRE,
                            amount=open_invoice.total, reference="WIRE-1")
    payload = invoice_event("invoice.paid", open_invoice, event_id="evt_double",
                            payments={"data": [{"id": "inpay_second"}]})
    with django_capture_on_commit_callbacks(execute=True):
        deliver(client, payload)
    assert StripeEvent.objects.get().status == StripeEvent.Status.PROCESSED
    second = Payment.objects.get(stripe_id="inpay_second")
    assert second.needs_review and "overpayment to refund" in second.review_note
    open_invoice.refresh_from_db()
    assert open_invoice.overpaid == open_invoice.total
    alerts = [m for m in mail.outbox if m.subject.startswith("Payment needs review")]
    assert alerts and "overpayment to refund" in alerts[0].body


def test_paid_out_of_band_echo_from_stripe_changes_nothing(
    client, open_invoice, django_capture_on_commit_callbacks
):
    from foundation.billing import services

    services.payment_record(invoice_id=open_invoice.pk, method=Payment.Method.WIRE,
                            amount=open_invoice.total, reference="WIRE-1")
    payload = invoice_event("invoice.paid", open_invoice, event_id="evt_oob", amount_paid=0)
    with django_capture_on_commit_callbacks(execute=True):
        deliver(client, payload)
    assert StripeEvent.objects.get().status == StripeEvent.Status.PROCESSED
