"""Stripe work that fails is seen: passing faults are retried before an event is marked
failed, and a status push that keeps failing is shown to staff."""

import pytest
from django.core import mail
from django.db import OperationalError

from foundation.billing import events, services
from foundation.billing.models import Invoice, StripeEvent
from foundation.billing.tasks import process_stripe_event
from tests.billing.webhooks import invoice_event

pytestmark = pytest.mark.django_db


class TestStripe:
    @pytest.fixture
    def invoice(self, make_invoice):
        invoice = make_invoice()
        services.invoice_stripe_linked(invoice_id=invoice.pk, stripe_invoice_id="in_fail_1")
        return invoice

    def test_a_passing_database_fault_is_retried_before_the_event_fails(
        self, invoice, admin_user, monkeypatch, settings
    ):
        settings.CELERY_TASK_EAGER_PROPAGATES = False
        real = events.HANDLERS["invoice.paid"]
        faults = [OperationalError("server closed the connection unexpectedly")]

        def flaky(*args):
            if faults:
                raise faults.pop()
            return real(*args)

        monkeypatch.setitem(events.HANDLERS, "invoice.paid", flaky)
        event, _ = events.record(invoice_event("invoice.paid", invoice, id="in_fail_1"))
        process_stripe_event.apply(args=[event.pk])
        event.refresh_from_db()
        invoice.refresh_from_db()
        assert event.status == StripeEvent.Status.PROCESSED and event.attempts == 2
        assert invoice.status == Invoice.Status.PAID
        assert not [m for m in mail.outbox if "Stripe event" in m.subject]

    def test_a_status_push_that_keeps_failing_is_shown_to_staff(
        self, stripe_fake, make_invoice, admin_client, settings,
        django_capture_on_commit_callbacks
    ):
        settings.CELERY_TASK_EAGER_PROPAGATES = False
        with django_capture_on_commit_callbacks(execute=True):
            invoice = make_invoice()
        stripe_fake.fail_times = 1000
        with django_capture_on_commit_callbacks(execute=True):
            services.invoice_void(invoice_id=invoice.pk)
        invoice.refresh_from_db()
        assert "Could not update the Stripe invoice" in invoice.sync_error
        listed = admin_client.get("/admin/billing/invoice/?sync=failed").content.decode()
        assert invoice.number in listed
        stripe_fake.fail_times = 0
        with django_capture_on_commit_callbacks(execute=True):
            admin_client.post("/admin/billing/invoice/", {"action": "push_again",
                                                          "_selected_action": [invoice.pk]})
        invoice.refresh_from_db()
        assert not invoice.sync_error
        assert stripe_fake.objects[invoice.stripe_invoice_id]["status"] == "void"
