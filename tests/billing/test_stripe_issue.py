import pytest
from django.core import mail
from django.core.management import call_command

from foundation.billing import services
from foundation.billing.models import Invoice, Payment, StripeCustomer
from foundation.billing.tasks import push_invoice_to_stripe

pytestmark = pytest.mark.django_db


def test_issuing_creates_the_stripe_customer_and_invoice_once(
    stripe_fake, make_invoice, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        invoice = make_invoice()
    invoice.refresh_from_db()
    remote = stripe_fake.objects[invoice.stripe_invoice_id]
    assert remote["status"] == "open"
    assert remote["collection_method"] == "send_invoice"
    assert remote["metadata"]["portal_invoice_id"] == str(invoice.pk)
    assert remote["total"] == 2_500_000  # cents
    assert invoice.hosted_invoice_url == f"https://invoice.stripe.com/i/{remote['id']}"
    assert StripeCustomer.objects.get().stripe_id == stripe_fake.created("cus_")[0]["id"]
    assert invoice.hosted_invoice_url in mail.outbox[0].body

    # A retried task (at-least-once delivery) creates nothing new.
    calls = len(stripe_fake.calls)
    Invoice.objects.filter(pk=invoice.pk).update(hosted_invoice_url="")
    push_invoice_to_stripe.apply(args=[invoice.pk])
    assert len(stripe_fake.created("in_")) == 1
    assert len(stripe_fake.created("ii_")) == 1
    assert len(stripe_fake.created("cus_")) == 1
    assert len(stripe_fake.calls) == calls  # every create replayed by its idempotency key
    assert len(mail.outbox) == 1


def test_second_invoice_reuses_the_customer(stripe_fake, make_invoice,
                                            django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        make_invoice()
        make_invoice()
    assert len(stripe_fake.created("cus_")) == 1
    assert len(stripe_fake.created("in_")) == 2


def test_stripe_down_is_retried_then_shown_to_staff(stripe_fake, make_invoice, settings,
                                                    django_capture_on_commit_callbacks):
    settings.CELERY_TASK_EAGER_PROPAGATES = False
    stripe_fake.fail_times = 1000
    with django_capture_on_commit_callbacks(execute=True):
        invoice = make_invoice()
    invoice.refresh_from_db()
    assert invoice.status == Invoice.Status.OPEN and invoice.number
    assert "try later" in invoice.sync_error
    assert not invoice.stripe_invoice_id
    # The contacts still get the invoice, with bank-transfer details instead of a link.
    assert len(mail.outbox) == 1 and "bank transfer" in mail.outbox[0].body


def test_staff_push_a_failed_invoice_to_stripe_again(stripe_fake, make_invoice, admin_client,
                                                     settings,
                                                     django_capture_on_commit_callbacks):
    settings.CELERY_TASK_EAGER_PROPAGATES = False
    stripe_fake.fail_times = 1000
    with django_capture_on_commit_callbacks(execute=True):
        invoice = make_invoice()
    stripe_fake.fail_times = 0
    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post("/admin/billing/invoice/", {"action": "push_again",
                                                      "_selected_action": [invoice.pk]})
    invoice.refresh_from_db()
    assert invoice.stripe_invoice_id and invoice.hosted_invoice_url and not invoice.sync_error
    assert len(stripe_fake.created("in_")) == 1


def test_void_and_wire_payment_are_mirrored_on_stripe(stripe_fake, make_invoice, admin_user,
                                                      django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        to_void, to_pay = make_invoice(), make_invoice()
    with django_capture_on_commit_callbacks(execute=True):
        services.invoice_void(invoice_id=to_void.pk, actor=admin_user)
        services.payment_record(invoice_id=to_pay.pk, method=Payment.Method.WIRE,
                                amount=to_pay.total, reference="WIRE-9", actor=admin_user)
    to_void.refresh_from_db()
    to_pay.refresh_from_db()
    assert stripe_fake.objects[to_void.stripe_invoice_id]["status"] == "void"
    assert stripe_fake.objects[to_pay.stripe_invoice_id]["status"] == "paid"


def test_reconcile_lists_the_differences(stripe_fake, make_invoice, capsys,
                                         django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        same, drifted = make_invoice(), make_invoice()
    drifted.refresh_from_db()
    stripe_fake.objects[drifted.stripe_invoice_id]["status"] = "paid"
    stripe_fake.objects[drifted.stripe_invoice_id]["total"] = 100
    call_command("reconcile_stripe")
    out = capsys.readouterr().out
    assert f"{drifted.number}: status here open, on Stripe paid" in out
    assert f"{drifted.number}: total here 25000.00, on Stripe 1.00" in out
    assert same.number not in out
    assert "2 difference(s)." in out


def test_marking_uncollectible_here_is_mirrored_on_stripe(stripe_fake, make_invoice,
                                                          django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        invoice = make_invoice()
    with django_capture_on_commit_callbacks(execute=True):
        services.invoice_mark_uncollectible(invoice_id=invoice.pk, note="Membership lapsed")
    invoice.refresh_from_db()
    assert stripe_fake.objects[invoice.stripe_invoice_id]["status"] == "uncollectible"


def test_issued_invoice_details_are_read_only_in_the_admin(admin_client, make_invoice):
    invoice = make_invoice()
    form = admin_client.get(f"/admin/billing/invoice/{invoice.pk}/change/").context[
        "adminform"].form
    assert "po_number" not in form.fields and "billing_address" not in form.fields
