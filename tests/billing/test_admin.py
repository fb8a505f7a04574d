import csv
import io

import pytest

from foundation.billing.models import Invoice, Payment, StripeEvent
from foundation.models import AuditEntry
from tests.billing.webhooks import invoice_event

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/billing/invoice/"


def test_staff_record_a_wire_payment_with_its_reference(admin_client, admin_user, make_invoice):
    invoice = make_invoice()
    page = admin_client.get(f"{CHANGELIST}{invoice.pk}/change/").content.decode()
    assert "Record a wire payment" in page
    response = admin_client.post(f"{CHANGELIST}{invoice.pk}/mark-paid/", {
        "reference": "DEUTDEFF-2026-001", "received_on": "2026-11-20", "amount": "25000.00"})
    assert response.status_code == 302
    payment = Payment.objects.get()
    assert payment.method == Payment.Method.WIRE and payment.reference == "DEUTDEFF-2026-001"
    entry = AuditEntry.objects.get(action="invoice.paid")
    assert entry.actor == admin_user and "DEUTDEFF-2026-001" in entry.note


def test_wire_payment_form_errors_write_nothing(admin_client, make_invoice):
    invoice = make_invoice()
    response = admin_client.post(f"{CHANGELIST}{invoice.pk}/mark-paid/",
                                 {"reference": "", "received_on": "yesterday", "amount": "-1"})
    assert response.status_code == 200
    assert not Payment.objects.exists()


def test_a_wire_for_a_void_invoice_is_kept_for_refund_and_shown(admin_client, make_invoice):
    invoice = make_invoice()
    admin_client.post(CHANGELIST, {"action": "void", "_selected_action": [invoice.pk]})
    admin_client.post(f"{CHANGELIST}{invoice.pk}/mark-paid/", {
        "reference": "X", "received_on": "2026-11-20", "amount": "1"})
    payment = Payment.objects.get()
    assert payment.needs_review and "is void" in payment.review_note
    invoice.refresh_from_db()
    assert invoice.status == Invoice.Status.VOID and invoice.overpaid == 1
    page = admin_client.get(f"{CHANGELIST}{invoice.pk}/change/").content.decode()
    assert "overpaid by 1.00: refund due" in page


def test_void_and_resend_actions_are_audited(admin_client, admin_user, make_invoice):
    keep, drop = make_invoice(), make_invoice()
    admin_client.post(CHANGELIST, {"action": "resend", "_selected_action": [keep.pk]})
    admin_client.post(CHANGELIST, {"action": "void", "_selected_action": [drop.pk]})
    drop.refresh_from_db()
    assert drop.status == Invoice.Status.VOID
    assert AuditEntry.objects.filter(action="invoice.void", actor=admin_user).count() == 1
    assert AuditEntry.objects.filter(action="invoice.resend", actor=admin_user).count() == 1


def test_invoices_and_payments_export_as_csv(admin_client, make_invoice):
    paid, open_ = make_invoice(), make_invoice()
    admin_client.post(f"{CHANGELIST}{paid.pk}/mark-paid/", {
        "reference": "R1", "received_on": "2026-11-20", "amount": "25000.00"})
    response = admin_client.post(CHANGELIST, {"action": "export_csv",
                                              "_selected_action": [paid.pk, open_.pk]})
    rows = list(csv.reader(io.StringIO(response.getvalue().decode())))
    assert rows[0][:3] == ["number", "organization", "status"]
    assert sorted(r[2] for r in rows[1:]) == ["open", "paid"]
    response = admin_client.post("/admin/billing/payment/", {
        "action": "export_csv", "_selected_action": list(Payment.objects.values_list("pk",
                                                                                      flat=True))})
    rows = list(csv.reader(io.StringIO(response.getvalue().decode())))
    assert rows[1][0] == paid.number and rows[1][2] == "payment"
    assert rows[1][3] == "25000.00" and rows[1][7] == "R1"


def test_filters_on_invoices_and_events(admin_client, make_invoice):
    make_invoice()
    assert admin_client.get(f"{CHANGELIST}?status__exact=open").status_code == 200
    assert admin_client.get("/admin/billing/stripeevent/?status__exact=failed").status_code == 200


def test_process_again_action(admin_client, make_invoice, settings):
    from foundation.billing import events

    settings.CELERY_TASK_EAGER_PROPAGATES = False
    invoice = make_invoice()
    event, _ = events.record(invoice_event("invoice.paid", invoice, event_id="evt_x",
                                           id="in_x", metadata={}))
    StripeEvent.objects.filter(pk=event.pk).update(status=StripeEvent.Status.FAILED)
    Invoice.objects.filter(pk=invoice.pk).update(stripe_invoice_id="in_x")
    admin_client.post("/admin/billing/stripeevent/", {"action": "process_again",
                                                      "_selected_action": [event.pk]})
    event.refresh_from_db()
    assert event.status == StripeEvent.Status.PROCESSED
    assert Payment.objects.count() == 1


def test_process_again_is_audited(admin_client, admin_user, make_invoice):
    from foundation.billing import events

    invoice = make_invoice()
    event = StripeEvent.objects.create(
        stripe_id="evt_y", type="invoice.paid", status=StripeEvent.Status.FAILED,
        payload=invoice_event("invoice.paid", invoice, event_id="evt_y"))
    admin_client.post("/admin/billing/stripeevent/", {"action": "process_again",
                                                      "_selected_action": [event.pk]})
    entry = AuditEntry.objects.get(action="stripe_event.process_again")
    assert entry.actor == admin_user
    assert entry.old_value == {"status": "failed"} and entry.new_value == {"status": "processed"}
    assert events.process(event_id=event.pk) == "processed"  # a repeat changes nothing
    assert Payment.objects.count() == 1


def test_exports_stream_every_row_from_an_iterated_queryset(admin_client, make_invoice,
                                                            monkeypatch):
    """A CSV of every row streams, fetched in chunks: memory does not grow with the rows."""
    from django.db.models.query import QuerySet

    from foundation.billing import admin as billing_admin

    invoices = [make_invoice() for _ in range(5)]
    monkeypatch.setattr(billing_admin, "EXPORT_CHUNK", 2)
    chunks = []
    iterator = QuerySet.iterator

    def spy(self, chunk_size=None):
        chunks.append(chunk_size)
        return iterator(self, chunk_size=chunk_size)

    monkeypatch.setattr(QuerySet, "iterator", spy)
    response = admin_client.post(CHANGELIST, {
        "action": "export_csv", "_selected_action": [i.pk for i in invoices]})
    assert response.streaming and response["Content-Type"] == "text/csv"
    assert response["Content-Disposition"] == 'attachment; filename="invoices.csv"'
    expected = io.StringIO()
    writer = csv.writer(expected)
    writer.writerow(["number", "organization", "status", "total", "currency", "issued", "due",
                     "paid at", "PO number", "tax ID", "Stripe invoice"])
    for i in Invoice.objects.filter(pk__in=[i.pk for i in invoices]):
        writer.writerow([i.number or "", i.organization.legal_name, i.status, i.total,
                         i.currency, i.issue_date or "", i.due_date or "", i.paid_at or "",
                         i.po_number, i.tax_id, i.stripe_invoice_id or ""])
    assert b"".join(response.streaming_content).decode() == expected.getvalue()
    assert chunks == [2]
