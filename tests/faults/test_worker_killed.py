"""A Celery worker killed with SIGKILL in the middle of each kind of side effect. The task is
held provably mid-way (a row lock it waits on, taken by the test's own connection, or the
fake SMTP server holding the message), the worker's whole process group is killed, the hold
released and a new worker started. The broker hands the unacknowledged task out again after
its visibility timeout (acks_late, reject_on_worker_lost), the killed task's transaction never
committed, and each side effect is then found exactly once."""

import time
from datetime import timedelta

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.utils import timezone

from credits.ledger.models import LedgerTransaction
from credits.models import Contribution, SponsorYear
from foundation import emails
from foundation.accounts.models import Organization
from foundation.billing import services as billing
from foundation.billing.models import Invoice, Payment, StripeEvent
from foundation.celery import app
from foundation.checklists.models import ChecklistItem
from foundation.models import OutboundEmail
from members.demo_programme import seed_catalogue
from members.models import Membership, MembershipTerm
from members.services import applications
from tests.accounts.factories import OrganizationFactory
from tests.billing.webhooks import invoice_event
from tests.faults import data

pytestmark = pytest.mark.faults

EMAILS = 30
SETTLE = 60  # seconds for a new worker to get the task back and finish everything queued


def _lock_sql(model) -> str:
    return f'SELECT id FROM "{model._meta.db_table}" WHERE id = %s FOR UPDATE'


def kill_while_locked(harness, model, pk: int, start_work=None) -> None:
    """Hold `model` row `pk` locked, let the worker reach it (starting the work with
    `start_work` if given), SIGKILL the worker, release the lock and start a new worker; then
    wait until the broker holds nothing. A worker stopped beforehand is started under the
    lock, so work already queued meets it."""
    with harness.row_lock(_lock_sql(model), (pk,)):
        if "worker" not in harness.processes:
            harness.start_process("worker")
        if start_work is not None:
            start_work()
        harness.worker_waiting_on_lock(timeout=30)
        harness.kill("worker")
    harness.start_process("worker")
    harness.wait_broker_idle(timeout=SETTLE)


def test_sigkill_during_email_sends(harness, report):
    smtp = harness.smtp
    before = len(smtp.messages)
    with transaction.atomic():
        queued = [emails.queue_rendered(key=f"faults:reminder:{n}", kind="faults_reminder",
                                        to=f"member{n}@example.org", subject="Renewal",
                                        text=f"Reminder {n}.")
                  for n in range(EMAILS)]
    harness.wait_until(lambda: len(smtp.messages) - before >= EMAILS // 3, 60,
                       "a third of the messages to be delivered", process="worker")
    smtp.hold()
    harness.wait_until(smtp.waiting.is_set, 30, "a message held mid-send", process="worker")
    sent_at_kill = OutboundEmail.objects.filter(kind="faults_reminder",
                                                status=OutboundEmail.Status.SENT).count()
    harness.kill("worker")
    smtp.release()
    harness.start_process("worker")
    harness.wait_until(
        lambda: not OutboundEmail.objects.filter(kind="faults_reminder").exclude(
            status=OutboundEmail.Status.SENT).exists(), SETTLE, "every message sent",
        process="worker")
    harness.wait_broker_idle(timeout=SETTLE)
    delivered = [to for to in smtp.recipients()[before:] if to.startswith("member")]
    duplicates = len(delivered) - len(set(delivered))
    report(f"SIGKILL during {EMAILS} e-mail sends (after {sent_at_kill}, one held at the SMTP "
           f"server): {len(set(delivered))} sent once, {duplicates} duplicates")
    assert sorted(delivered) == sorted(m.to for m in queued)


@pytest.fixture(scope="module")
def tiers(harness):
    return seed_catalogue()


def test_sigkill_during_renewal_invoice(harness, report, tiers):
    org, admin = OrganizationFactory.with_admin()
    application = applications.application_submit(
        organization=org, tier=tiers["general"], actor=admin, signatory_name="Grace Hopper",
        signatory_title="CEO", signatory_email=f"ceo@{org.slug}.example",
        billing_email="ap@example.com", billing_address="1 Main Street\nSpringfield",
        agreement_accepted=True, lf_silver_attested=True, po_number="PO-1")
    applications.signature_accept(token=applications.signature_token(application),
                                  name="Grace Hopper", ip=None)
    first = Invoice.objects.get(organization=org)
    billing.payment_record(invoice_id=first.pk, method=Payment.Method.WIRE, amount=first.total,
                           reference="WIRE-1")
    membership = Membership.objects.get(organization=org, status=Membership.Status.ACTIVE)
    # Its year ends in three weeks: the renewal is due.
    Membership.objects.filter(pk=membership.pk).update(
        ends_on=timezone.localdate() + timedelta(days=21))
    kill_while_locked(harness, Organization, org.pk, start_work=lambda: app.send_task(
        "members.tasks.issue_renewal_invoices"))
    terms = MembershipTerm.objects.filter(membership=membership,
                                          starts_on__gt=timezone.localdate()).count()
    invoices = Invoice.objects.filter(organization=org).exclude(pk=first.pk).count()
    report(f"SIGKILL during a renewal invoice (organization locked): {terms} renewal term, "
           f"{invoices} renewal invoice, {invoices - 1} duplicates")
    assert (terms, invoices) == (1, 1)


@pytest.fixture(scope="module")
def programme(harness):
    return data.programme()


def test_sigkill_during_benefit_checklist(harness, report, programme):
    pledge = data.credit_pledge(programme)
    harness.kill("worker")  # the confirmation's task waits in the queue for the lock below
    data.confirm(programme, pledge)
    kill_while_locked(harness, Organization, pledge.organization_id)
    sponsor_years = SponsorYear.objects.filter(organization_id=pledge.organization_id)
    items = ChecklistItem.objects.filter(
        holder_type=ContentType.objects.get_for_model(SponsorYear),
        holder_id__in=[str(pk) for pk in sponsor_years.values_list("pk", flat=True)])
    holders = set(items.values_list("holder_id", flat=True))
    confirmations = OutboundEmail.objects.filter(
        key__startswith=f"pledge_confirmed:credits.pledge:{pledge.pk}:").count()
    report(f"SIGKILL during a benefit checklist (organization locked): {items.count()} items "
           f"for 3 benefits in {len(holders)} checklist, {confirmations} confirmation e-mail")
    assert (items.count(), len(holders), confirmations) == (3, 1, 1)


@pytest.mark.parametrize("held", ["invoice", "contribution"])
def test_sigkill_during_stripe_event_and_ledger_posting(harness, report, programme, held):
    """`invoice`: the event's processing waits for the invoice (a Stripe event mid-way);
    `contribution`: the payment is recorded and the receipt hook waits to post the ledger
    entry (a ledger posting mid-way). Either way: one payment, one ledger transaction."""
    contribution, invoice = data.cash_invoice(programme, f"in_faults_{held}")
    harness.wait_broker_idle(timeout=SETTLE)
    event = invoice_event("invoice.paid", invoice, event_id=f"evt_faults_{held}")
    started = time.monotonic()
    model, pk = (Invoice, invoice.pk) if held == "invoice" else (Contribution, contribution.pk)
    kill_while_locked(harness, model, pk,
                      start_work=lambda: _webhook_accepted(harness, event))
    harness.wait_until(lambda: StripeEvent.objects.get(stripe_id=event["id"]).status
                       == StripeEvent.Status.PROCESSED, SETTLE, "the event processed",
                       process="worker")
    # The same delivery again, as Stripe retries: stored once, changes nothing.
    _webhook_accepted(harness, event)
    harness.wait_broker_idle(timeout=SETTLE)
    payments = Payment.objects.filter(invoice=invoice).count()
    postings = LedgerTransaction.objects.filter(
        key=f"receipt:contribution:{contribution.pk}").count()
    events = StripeEvent.objects.filter(stripe_id=event["id"]).count()
    contribution.refresh_from_db()
    what = "a Stripe event" if held == "invoice" else "a ledger posting"
    report(f"SIGKILL during {what} ({held} locked; back in {time.monotonic() - started:.0f} s): "
           f"{events} event processed, {payments} payment, {postings} ledger transaction, "
           f"contribution {contribution.status}")
    assert (events, payments, postings) == (1, 1, 1)
    assert contribution.status == Contribution.Status.RECEIVED


def _webhook_accepted(harness, event: dict) -> None:
    status = data.webhook(harness, event)
    assert status == 200, f"The webhook answered {status}:\n{harness.log('web')}"
