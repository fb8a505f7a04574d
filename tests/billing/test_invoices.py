from decimal import Decimal

import pytest
from django.core import mail

from foundation.billing import services
from foundation.billing.models import Invoice, Payment
from foundation.billing.signals import invoice_paid
from foundation.models import AuditEntry
from foundation.transitions import DomainError
from tests.accounts.factories import OrganizationFactory
from tests.concurrency import at_once

pytestmark = pytest.mark.django_db


def test_issued_without_stripe_is_numbered_due_in_30_days_and_mailed(
    make_invoice, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        invoice = make_invoice()
    assert invoice.status == Invoice.Status.OPEN
    assert invoice.number == f"INV-{invoice.issue_date.year}-0001"
    assert (invoice.due_date - invoice.issue_date).days == 30
    assert invoice.total == Decimal("25000.00") and invoice.currency == "USD"
    assert invoice.billing_emails == ["ap@acme.example"]
    assert [m.to for m in mail.outbox] == [["ap@acme.example"]]
    body = mail.outbox[0].body
    assert invoice.number in body and "bank transfer" in body
    assert f"/dashboard/{invoice.organization.slug}/invoices/{invoice.pk}/" in body
    assert AuditEntry.objects.filter(action="invoice.issue", object_id=str(invoice.pk)).exists()


def test_admins_are_billed_when_no_billing_contact_is_named():
    org, admin = OrganizationFactory.with_admin()
    invoice = services.invoice_create(organization=org, lines=[("Dues", Decimal("1"))])
    assert invoice.billing_emails == [admin.email]


def test_numbers_run_on_without_gaps_and_restart_each_year(make_invoice, time_machine):
    time_machine.move_to("2026-12-30 10:00Z")
    first, second = make_invoice(), make_invoice()
    time_machine.move_to("2027-01-02 10:00Z")
    third = make_invoice()
    assert [first.number, second.number, third.number] == [
        "INV-2026-0001", "INV-2026-0002", "INV-2027-0001"]


def test_issuing_twice_changes_nothing(make_invoice):
    invoice = make_invoice()
    again = services.invoice_issue(invoice_id=invoice.pk)
    assert again.number == invoice.number
    assert Invoice.objects.exclude(number=None).count() == 1


@pytest.mark.parametrize("lines", [[], [("Refund", Decimal("-5"))]])
def test_bad_lines_are_refused_and_nothing_is_written(billed_org, lines):
    org, _, _ = billed_org
    with pytest.raises(DomainError):
        services.invoice_create(organization=org, lines=lines)
    assert Invoice.objects.count() == 0


@pytest.mark.django_db(transaction=True)
def test_concurrent_issuing_gives_no_duplicate_and_no_skipped_number(make_invoice):
    drafts = [make_invoice(issue=False) for _ in range(8)]
    at_once(*[lambda pk=d.pk: services.invoice_issue(invoice_id=pk) for d in drafts])
    numbers = sorted(Invoice.objects.values_list("number", flat=True))
    year = Invoice.objects.first().issue_date.year
    assert numbers == [f"INV-{year}-{n:04d}" for n in range(1, 9)]


def test_paying_records_one_payment_tells_the_subject_and_sends_a_receipt(
    make_invoice, django_capture_on_commit_callbacks
):
    subject = OrganizationFactory()  # any model can be what an invoice pays for
    invoice = make_invoice(subject=subject)
    told = []

    def receiver(sender, invoice, subject, **kwargs):
        told.append((sender, invoice.pk, subject.pk))

    invoice_paid.connect(receiver, sender=type(subject))
    try:
        with django_capture_on_commit_callbacks(execute=True):
            for _ in range(3):
                services.payment_record(invoice_id=invoice.pk, method=Payment.Method.WIRE,
                                        amount=invoice.total, reference="BANK-REF-1")
    finally:
        invoice_paid.disconnect(receiver, sender=type(subject))
    assert told == [(type(subject), invoice.pk, subject.pk)]
    assert Payment.objects.get().amount == Decimal("25000.00")
    assert [m.subject for m in mail.outbox if "Receipt" in m.subject] == [
        f"Receipt: invoice {invoice.number} is paid"]
    entry = AuditEntry.objects.get(action="invoice.paid")
    assert entry.old_value == {"status": "open"} and "BANK-REF-1" in entry.note


def test_money_for_a_void_invoice_is_kept_for_refund_not_counted_as_paid(make_invoice):
    invoice = make_invoice()
    services.invoice_void(invoice_id=invoice.pk, note="Issued in error")
    payment = services.payment_record(invoice_id=invoice.pk, method=Payment.Method.WIRE,
                                      amount=invoice.total, reference="LATE-WIRE")
    invoice.refresh_from_db()
    assert invoice.status == Invoice.Status.VOID
    assert payment.needs_review and invoice.overpaid == invoice.total


def test_resend_mails_again_each_time(make_invoice, admin_user,
                                      django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        invoice = make_invoice()
        services.invoice_resend(invoice_id=invoice.pk, actor=admin_user)
        services.invoice_resend(invoice_id=invoice.pk, actor=admin_user)
    assert len(mail.outbox) == 3
    assert AuditEntry.objects.filter(action="invoice.resend").count() == 2


def test_paid_invoice_cannot_be_resent(make_invoice, admin_user):
    invoice = make_invoice()
    services.payment_record(invoice_id=invoice.pk, method=Payment.Method.WIRE,
                                amount=invoice.total)
    with pytest.raises(DomainError, match="only an open invoice"):
        services.invoice_resend(invoice_id=invoice.pk, actor=admin_user)


def test_overdue_notice_goes_once_from_the_day_after_the_due_date(
    make_invoice, time_machine, django_capture_on_commit_callbacks
):
    time_machine.move_to("2026-03-01 09:00Z")
    with django_capture_on_commit_callbacks(execute=True):
        invoice = make_invoice()
    mail.outbox.clear()
    time_machine.move_to("2026-03-31 09:00Z")  # the due date itself
    with django_capture_on_commit_callbacks(execute=True):
        services.send_overdue_notices()
    assert mail.outbox == []
    time_machine.move_to("2026-04-04 09:00Z")  # a run was missed: still sent, once
    with django_capture_on_commit_callbacks(execute=True):
        services.send_overdue_notices()
        services.send_overdue_notices()
    assert [m.subject for m in mail.outbox] == [f"Invoice {invoice.number} is overdue"]
    services.payment_record(invoice_id=invoice.pk, method=Payment.Method.WIRE,
                                amount=invoice.total)
    assert services.send_overdue_notices() == 0
