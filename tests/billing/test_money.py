"""An invoice is paid when the money recorded against it reaches its total; money that cannot
count is kept for staff, never dropped."""

from decimal import Decimal

import pytest
from django.core import mail

from foundation.billing import services
from foundation.billing.models import Invoice, Payment, StripeEvent
from foundation.models import AuditEntry
from foundation.transitions import DomainError
from tests.billing.webhooks import deliver, invoice_event

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/billing/invoice/"


def wire(invoice, amount, reference="WIRE-1", currency="USD"):
    return services.payment_record(invoice_id=invoice.pk, method=Payment.Method.WIRE,
                                   amount=Decimal(amount), currency=currency,
                                   reference=reference)


def staff_alerts():
    return [m for m in mail.outbox if m.subject.startswith("Payment needs review")]


@pytest.mark.parametrize("amount", ["0", "0.00", "-5"])
def test_a_zero_or_negative_wire_is_refused_and_the_invoice_stays_open(admin_client,
                                                                       make_invoice, amount):
    invoice = make_invoice("150000.00")
    response = admin_client.post(f"{CHANGELIST}{invoice.pk}/mark-paid/", {
        "reference": "NOTHING", "received_on": "2026-11-20", "amount": amount})
    assert response.status_code == 200
    assert "Ensure this value is greater than or equal to 0.01" in response.content.decode()
    invoice.refresh_from_db()
    assert invoice.status == Invoice.Status.OPEN and not Payment.objects.exists()
    with pytest.raises(DomainError, match="more than zero"):
        wire(invoice, amount)


def test_a_short_wire_leaves_the_balance_due_and_a_second_one_pays(
    make_invoice, billed_org, client, django_capture_on_commit_callbacks
):
    invoice = make_invoice("25000.00")
    with django_capture_on_commit_callbacks(execute=True):
        wire(invoice, "10000.00", "PART-1")
    invoice.refresh_from_db()
    assert invoice.status == Invoice.Status.OPEN
    assert invoice.balance_due == Decimal("15000.00")
    assert any("$15,000.00 USD is still due" in m.body for m in mail.outbox)
    org, admin, _ = billed_org
    client.force_login(admin)
    page = client.get(f"/dashboard/{org.slug}/invoices/{invoice.pk}/").content.decode()
    assert "Balance due: $15,000.00 USD" in page

    wire(invoice, "15000.00", "PART-2")
    invoice.refresh_from_db()
    assert invoice.status == Invoice.Status.PAID and invoice.balance_due == 0
    assert invoice.payments.count() == 2


def test_the_balance_due_is_shown_to_staff(admin_client, make_invoice):
    invoice = make_invoice("25000.00")
    wire(invoice, "24000.00")
    page = admin_client.get(f"{CHANGELIST}{invoice.pk}/change/").content.decode()
    assert "1,000.00 USD" in page


def test_a_wire_in_another_currency_is_refused_for_staff_review(admin_client, make_invoice):
    invoice = make_invoice("25000.00")
    response = admin_client.post(f"{CHANGELIST}{invoice.pk}/mark-paid/", {
        "reference": "EUR-1", "received_on": "2026-11-20", "amount": "25000.00",
        "currency": "EUR"})
    assert "a payment in EUR needs staff review" in response.content.decode()
    invoice.refresh_from_db()
    assert invoice.status == Invoice.Status.OPEN and not Payment.objects.exists()


def test_the_same_wire_entered_twice_is_recorded_once(make_invoice):
    invoice = make_invoice("25000.00")
    assert wire(invoice, "25000.00", "SAME") is not None
    assert wire(invoice, "25000.00", "SAME") is None
    assert Payment.objects.count() == 1 and not staff_alerts()


def test_a_second_different_wire_on_a_paid_invoice_is_an_overpayment_for_staff(
    admin_client, make_invoice, django_capture_on_commit_callbacks
):
    invoice = make_invoice("25000.00")
    with django_capture_on_commit_callbacks(execute=True):
        wire(invoice, "25000.00", "FIRST")
        wire(invoice, "25000.00", "SECOND")
    invoice.refresh_from_db()
    second = Payment.objects.get(reference="SECOND")
    assert invoice.status == Invoice.Status.PAID
    assert second.needs_review and invoice.overpaid == Decimal("25000.00")
    assert staff_alerts() and "SECOND" in staff_alerts()[0].body
    changelist = admin_client.get("/admin/billing/payment/?needs_review__exact=1")
    assert "SECOND" in changelist.content.decode()


def test_a_refund_is_recorded_with_its_reference_and_bounded_by_the_overpayment(
    admin_client, admin_user, make_invoice
):
    invoice = make_invoice("25000.00")
    wire(invoice, "25000.00", "FIRST")
    wire(invoice, "25000.00", "SECOND")
    url = f"{CHANGELIST}{invoice.pk}/refund/"
    too_much = admin_client.post(url, {"amount": "25000.01", "method": "wire",
                                       "reference": "RF-1", "refunded_on": "2026-11-21"})
    assert "At most 25,000.00 USD" in too_much.content.decode()
    no_reference = admin_client.post(url, {"amount": "100", "method": "wire", "reference": "",
                                           "refunded_on": "2026-11-21"})
    assert no_reference.status_code == 200
    assert not Payment.objects.filter(kind=Payment.Kind.REFUND).exists()
    done = admin_client.post(url, {"amount": "25000.00", "method": "wire",
                                   "reference": "RF-1", "refunded_on": "2026-11-21"})
    assert done.status_code == 302
    invoice.refresh_from_db()
    assert invoice.overpaid == 0 and invoice.status == Invoice.Status.PAID
    assert AuditEntry.objects.filter(action="invoice.refund", actor=admin_user).exists()


def test_staff_mark_a_payment_reviewed(admin_client, admin_user, make_invoice):
    invoice = make_invoice("100.00")
    services.invoice_void(invoice_id=invoice.pk)
    payment = wire(invoice, "100.00")
    admin_client.post("/admin/billing/payment/", {"action": "reviewed",
                                                  "_selected_action": [payment.pk]})
    payment.refresh_from_db()
    assert not payment.needs_review
    assert AuditEntry.objects.filter(action="payment.reviewed", actor=admin_user).exists()


class TestStripe:
    @pytest.fixture
    def open_invoice(self, make_invoice):
        invoice = make_invoice("25000.00")
        services.invoice_stripe_linked(invoice_id=invoice.pk, stripe_invoice_id="in_money_1")
        invoice.refresh_from_db()
        return invoice

    def test_paid_out_of_band_with_nothing_received_records_no_money(
        self, client, open_invoice, django_capture_on_commit_callbacks
    ):
        with django_capture_on_commit_callbacks(execute=True):
            deliver(client, invoice_event("invoice.paid", open_invoice, amount_paid=0))
        open_invoice.refresh_from_db()
        event = StripeEvent.objects.get()
        assert open_invoice.status == Invoice.Status.OPEN and not Payment.objects.exists()
        assert event.status == StripeEvent.Status.FAILED and "out of band" in event.last_error

    def test_a_short_stripe_amount_leaves_the_invoice_open_for_staff(
        self, client, open_invoice, admin_user, django_capture_on_commit_callbacks
    ):
        with django_capture_on_commit_callbacks(execute=True):
            deliver(client, invoice_event("invoice.paid", open_invoice, amount_paid=2000000))
        open_invoice.refresh_from_db()
        payment = Payment.objects.get()
        assert open_invoice.status == Invoice.Status.OPEN
        assert open_invoice.balance_due == Decimal("5000.00")
        assert payment.needs_review and "Stripe reported 20,000.00 USD" in payment.review_note
        assert staff_alerts()

    def test_a_stripe_payment_in_another_currency_does_not_count(
        self, client, open_invoice, django_capture_on_commit_callbacks
    ):
        with django_capture_on_commit_callbacks(execute=True):
            deliver(client, invoice_event("invoice.paid", open_invoice, currency="eur"))
        open_invoice.refresh_from_db()
        payment = Payment.objects.get()
        assert open_invoice.status == Invoice.Status.OPEN
        assert not payment.counted and payment.needs_review and payment.currency == "EUR"

    def test_the_stripe_twin_is_never_overwritten(self, open_invoice):
        with pytest.raises(DomainError, match="linked to in_money_1 already"):
            services.invoice_stripe_linked(invoice_id=open_invoice.pk,
                                           stripe_invoice_id="in_other")


def test_without_stripe_configured_voiding_calls_nothing_and_logs_the_skip(
    stripe_fake, make_invoice, settings, caplog, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        invoice = make_invoice()
    calls = len(stripe_fake.calls)
    settings.STRIPE_SECRET_KEY = ""
    with django_capture_on_commit_callbacks(execute=True), caplog.at_level("INFO"):
        services.invoice_void(invoice_id=invoice.pk)
    invoice.refresh_from_db()
    assert invoice.status == Invoice.Status.VOID and not invoice.sync_error
    assert len(stripe_fake.calls) == calls
    assert "Stripe was skipped" in caplog.text
