"""Receiving contributions (credit recorded by staff, cash paid through billing), one event
each, cancellation only before anything was received, and the audited contact."""

import re
from dataclasses import replace
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.http import Http404
from django.utils import timezone

from credits.models import Contribution, Pledge
from credits.services import pledges
from credits.signals import contribution_received
from foundation.audit import describe
from foundation.billing import services as billing
from foundation.billing.models import Invoice, Payment
from foundation.models import AuditEntry
from foundation.transitions import DomainError
from tests.accounts.factories import OrganizationFactory
from tests.billing.webhooks import deliver, invoice_event
from tests.credits.conftest import CONTACT, cash, credit

pytestmark = pytest.mark.django_db

SECRET_REFERENCE = "acct-7731-promo-batch-Q"


@pytest.fixture
def received_events():
    seen: list[int] = []

    def listen(sender, contribution, **kwargs):
        seen.append(contribution.pk)

    contribution_received.connect(listen, dispatch_uid="test-listener")
    yield seen
    contribution_received.disconnect(dispatch_uid="test-listener")


def receive(contribution, staff, **overrides):
    fields = {"amount_granted": Decimal("295000"), "redemption_reference": SECRET_REFERENCE,
              "received_on": timezone.localdate()}
    fields.update(overrides)
    return pledges.contribution_receive(contribution_id=contribution.pk, actor=staff, **fields)


def test_a_credit_is_received_once_with_one_event(programme, submit, confirm, staff,
                                                   received_events,
                                                   django_capture_on_commit_callbacks):
    pledge = submit(credit("300000", programme["aws"]))
    contribution = pledge.contributions.get()
    with pytest.raises(DomainError, match="Confirm the pledge"):
        receive(contribution, staff)
    confirm(pledge)
    mail.outbox.clear()
    for _ in range(2):
        with django_capture_on_commit_callbacks(execute=True):
            receive(contribution, staff)
    contribution.refresh_from_db()
    assert contribution.status == Contribution.Status.RECEIVED
    assert contribution.amount_granted == Decimal("295000")
    assert contribution.redemption_reference == SECRET_REFERENCE
    assert received_events == [contribution.pk]
    pledge.refresh_from_db()
    assert pledge.status == Pledge.Status.FULFILLED  # its only contribution is in
    thanks = [m for m in mail.outbox if m.subject.startswith("Thank you")]
    assert len(thanks) == 1 and "$295,000" in thanks[0].subject
    # The reference is a secret: no audit entry and no e-mail carries it.
    for entry in AuditEntry.objects.all():
        assert SECRET_REFERENCE not in f"{entry.old_value}{entry.new_value}{entry.note}"
    assert not [m for m in mail.outbox if SECRET_REFERENCE in m.body]


@pytest.mark.parametrize(("overrides", "message"), [
    ({"amount_granted": "0"}, "Give an amount of more than $0."),
    ({"amount_granted": "200000000"}, "is surely a typo"),
    ({"redemption_reference": " "}, "Give the redemption reference"),
    ({"received_on": None}, "Give the date the credit was received."),
    ({"received_on": timezone.localdate() + timedelta(days=3)}, "The date is in the future"),
])
def test_a_bad_receipt_changes_nothing(programme, submit, confirm, staff, received_events,
                                       overrides, message):
    pledge = submit(credit("300000", programme["aws"]))
    confirm(pledge)
    contribution = pledge.contributions.get()
    with pytest.raises(DomainError, match=re.escape(message)):
        receive(contribution, staff, **overrides)
    contribution.refresh_from_db()
    assert contribution.status == Contribution.Status.PLEDGED
    assert contribution.redemption_reference == ""
    assert received_events == []


def test_cash_is_invoiced_on_confirmation_like_dues(programme, submit, confirm):
    pledge = submit(credit("200000", programme["aws"]), cash("50000"),
                    po_number="PO-2027-17", tax_id="US-99-123", billing_address="1 Cloud Way")
    assert not Invoice.objects.exists()  # nothing is invoiced before confirmation
    confirm(pledge)
    invoice = Invoice.objects.get()
    assert invoice.status == Invoice.Status.OPEN and invoice.number
    assert invoice.total == Decimal("50000.00")
    assert (invoice.po_number, invoice.tax_id) == ("PO-2027-17", "US-99-123")
    assert invoice.subject == pledge.contributions.get(kind="cash")
    assert any(invoice.number in m.subject for m in mail.outbox)


def test_cash_is_payable_by_bank_transfer_or_card_like_dues(
    programme, sponsor, submit, confirm, settings, django_capture_on_commit_callbacks
):
    """Dues carry no payment method to the invoice: every invoice offers both, the bank's
    details in its e-mail and PDF, card and bank transfer on Stripe's page. Cash does the
    same, with the pledge's billing address and PO number on it."""
    settings.BANK_TRANSFER_INSTRUCTIONS = "Pay to IBAN DE00 1234 5678 9012, quoting the number."
    pledge = submit(cash("300000"), po_number="PO-2027-17", tax_id="US-99-123",
                    billing_address="1 Cloud Way\nSeattle WA")
    mail.outbox.clear()
    confirm(pledge)
    invoice = Invoice.objects.get()
    assert invoice.billing_address == "1 Cloud Way\nSeattle WA"
    assert invoice.billing_name == sponsor[0].legal_name and invoice.billing_emails
    issued = [m for m in mail.outbox if invoice.number in m.subject]
    assert {address for m in issued for address in m.to} == set(invoice.billing_emails)
    for message in issued:
        assert "$300,000" in message.body and "PO number: PO-2027-17" in message.body
        assert "Pay to IBAN DE00 1234 5678 9012, quoting the number." in message.body
    # Once Stripe holds its twin, the e-mail links to the page that takes either.
    mail.outbox.clear()
    billing.invoice_stripe_synced(invoice_id=invoice.pk, stripe_invoice_id="in_card_or_bank",
                                  hosted_url="https://invoice.stripe.example/i/1")
    with django_capture_on_commit_callbacks(execute=True):
        billing.invoice_resend(invoice_id=invoice.pk, actor=None)
    assert mail.outbox and all(
        "Pay by card or bank transfer: https://invoice.stripe.example/i/1" in m.body
        for m in mail.outbox)


def test_cash_paid_through_a_webhook_delivered_twice_is_received_once(
    client, programme, submit, confirm, received_events, django_capture_on_commit_callbacks
):
    pledge = submit(cash("250000"))
    confirm(pledge)
    contribution = pledge.contributions.get()
    invoice = billing.invoice_stripe_linked(invoice_id=contribution.invoice_id,
                                            stripe_invoice_id="in_test_credits_1")
    event = invoice_event("invoice.paid", invoice, event_id="evt_credits_paid")
    mail.outbox.clear()
    for _ in range(2):
        with django_capture_on_commit_callbacks(execute=True):
            assert deliver(client, event).status_code == 200
    with django_capture_on_commit_callbacks(execute=True):  # the same payment, a new event id
        deliver(client, invoice_event("invoice.paid", invoice, event_id="evt_credits_again"))
    assert Payment.objects.count() == 1
    contribution.refresh_from_db()
    assert contribution.status == Contribution.Status.RECEIVED
    assert contribution.amount_granted == Decimal("250000.00")
    assert contribution.received_on == timezone.localdate()
    assert received_events == [contribution.pk]
    assert len([m for m in mail.outbox if m.subject.startswith("Thank you")]) == 1
    pledge.refresh_from_db()
    assert pledge.status == Pledge.Status.FULFILLED


def test_cash_cannot_be_recorded_by_hand(programme, submit, confirm, staff):
    pledge = submit(cash("250000"))
    confirm(pledge)
    with pytest.raises(DomainError, match="Cash is received when its invoice is paid"):
        receive(pledge.contributions.get(), staff)


def test_cancel_needs_a_reason_and_voids_the_cash_invoice(programme, submit, confirm, staff):
    pledge = submit(cash("250000"))
    confirm(pledge)
    with pytest.raises(DomainError, match="Give the reason"):
        pledges.pledge_cancel(pledge_id=pledge.pk, actor=staff, reason=" ")
    pledges.pledge_cancel(pledge_id=pledge.pk, actor=staff, reason="Budget withdrawn")
    pledge.refresh_from_db()
    assert (pledge.status, pledge.cancel_reason) == (Pledge.Status.CANCELLED, "Budget withdrawn")
    assert Invoice.objects.get().status == Invoice.Status.VOID
    with pytest.raises(DomainError):
        pledges.pledge_confirm(pledge_id=pledge.pk, actor=staff,
                               agreement_signed_on=timezone.localdate())


def test_cancel_after_receipt_is_refused(programme, submit, confirm, staff):
    pledge = submit(credit("300000", programme["aws"]), cash("100000"))
    confirm(pledge)
    receive(pledge.contributions.get(kind="credit"), staff)
    with pytest.raises(DomainError, match="received already: it can no longer be cancelled"):
        pledges.pledge_cancel(pledge_id=pledge.pk, actor=staff, reason="Changed our mind")
    pledge.refresh_from_db()
    assert pledge.status == Pledge.Status.CONFIRMED and pledge.cancel_reason == ""
    assert Invoice.objects.get().status == Invoice.Status.OPEN


def test_the_contact_change_is_audited(programme, sponsor, submit):
    org, admin = sponsor
    pledge = submit(credit("300000", programme["aws"]))
    new = replace(CONTACT, name="Sam Ops", sla_hours="8", support_channel="ticket",
                  support_channel_value="https://support.cloud.example/oss")
    pledges.contact_update(pledge_id=pledge.pk, actor=admin, contact=new)
    pledge.refresh_from_db()
    assert (pledge.contact_name, pledge.sla_hours) == ("Sam Ops", 8)
    entry = AuditEntry.objects.get(action="pledge.update")
    assert entry.actor == admin
    assert entry.old_value == {"contact_name": "Lin Cloud", "sla_hours": 24,
                               "support_channel": "email",
                               "support_channel_value": "oss-support@cloud.example"}
    assert entry.new_value["sla_hours"] == 8
    sentence = describe(entry)
    assert "the SLA response time (hours) from 24 to 8" in sentence
    assert "from E-mail to Ticket URL" in sentence
    pledges.contact_update(pledge_id=pledge.pk, actor=admin, contact=new)  # no change
    assert AuditEntry.objects.filter(action="pledge.update").count() == 1


def test_a_bad_contact_change_or_a_stranger_changes_nothing(programme, submit):
    pledge = submit(credit("300000", programme["aws"]))
    with pytest.raises(ValidationError) as caught:
        pledges.contact_update(pledge_id=pledge.pk, actor=pledge.created_by,
                               contact=replace(CONTACT, sla_hours=0))
    assert "sla_hours" in caught.value.message_dict
    _, stranger = OrganizationFactory.with_admin()
    with pytest.raises(Http404):
        pledges.contact_update(pledge_id=pledge.pk, actor=stranger,
                               contact=replace(CONTACT, name="Mallory"))
    pledge.refresh_from_db()
    assert (pledge.contact_name, pledge.sla_hours) == ("Lin Cloud", 24)
    assert not AuditEntry.objects.filter(action="pledge.update").exists()
