"""The edges a review found: upgrades, stuck applications, bad records, proxies, leap days."""

from datetime import date, timedelta

import pytest
from django.core import mail
from django.utils import timezone

from foundation.accounts.models import Organization
from foundation.billing import services as billing
from foundation.billing.models import Invoice, Payment
from foundation.models import AuditEntry
from members.models import Application, Membership, add_year
from members.services import applications, memberships
from tests.accounts.factories import OrganizationFactory, UserFactory

pytestmark = pytest.mark.django_db


def pay(invoice):
    return billing.payment_record(invoice_id=invoice.pk, method=Payment.Method.WIRE,
                                  amount=invoice.total, reference="WIRE")


@pytest.fixture
def general_member(apply_for, sign, time_machine):
    time_machine.move_to("2026-01-10 09:00Z")
    application = apply_for("general")
    sign(application)
    pay(Invoice.objects.get(organization=application.organization))
    return Membership.objects.get()


def test_a_year_from_29_february_ends_on_28_february():
    assert add_year(date(2028, 2, 29)) == date(2029, 3, 1)
    assert memberships.term_end(date(2028, 2, 29)) == date(2029, 2, 28)


def test_upgrade_voids_the_replaced_membership_s_open_renewal_invoice(
    general_member, apply_for, sign, admin_user, time_machine
):
    time_machine.move_to("2026-11-20 09:00Z")
    memberships.issue_renewal_invoices()
    renewal = Invoice.objects.get(status=Invoice.Status.OPEN)
    org = general_member.organization
    upgrade = apply_for("premier", org=org, admin=org.roles.get(role="admin").user)
    sign(upgrade)
    applications.application_approve(application_id=upgrade.pk, actor=admin_user)
    pay(Invoice.objects.get(membership_term__membership__application=upgrade))
    renewal.refresh_from_db()
    assert renewal.status == Invoice.Status.VOID
    assert billing.send_overdue_notices(today=date(2027, 6, 1)) == 0


def test_one_bad_record_does_not_stop_the_renewal_job(general_member, apply_for, sign,
                                                      time_machine):
    second = apply_for("general")
    sign(second)
    pay(Invoice.objects.get(organization=second.organization, status=Invoice.Status.OPEN))
    Organization.objects.filter(pk=general_member.organization_id).update(employees=0)
    time_machine.move_to("2026-11-20 09:00Z")
    assert memberships.issue_renewal_invoices() == 1
    assert AuditEntry.objects.filter(action="membership.renewal_failed").count() == 1


def test_organization_form_needs_at_least_one_employee(client, user):
    client.force_login(user)
    response = client.post("/dashboard/organizations/new/", {
        "legal_name": "A", "display_name": "A", "slug": "a", "type": "company",
        "employees": "0"})
    assert response.status_code == 200 and not Organization.objects.exists()


def test_applicant_withdraws_an_application_waiting_for_payment_and_can_apply_again(
    client, apply_for, sign
):
    application = apply_for("general")
    sign(application)
    invoice = Invoice.objects.get()
    client.force_login(application.submitted_by)
    slug = application.organization.slug
    client.post(f"/dashboard/{slug}/applications/{application.pk}/withdraw/")
    application.refresh_from_db()
    invoice.refresh_from_db()
    assert application.status == Application.Status.WITHDRAWN
    assert invoice.status == Invoice.Status.VOID
    assert Membership.objects.get().status == Membership.Status.ENDED
    again = apply_for("general", org=application.organization, admin=application.submitted_by)
    assert again.is_open


def test_signatory_gets_a_fresh_link_when_the_first_expired(
    client, apply_for, sign, time_machine, django_capture_on_commit_callbacks
):
    application = apply_for("general")
    time_machine.move_to(timezone.now() + timedelta(days=20))
    assert sign(application).status_code == 400  # the first link has expired
    client.force_login(application.submitted_by)
    slug = application.organization.slug
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/dashboard/{slug}/applications/{application.pk}/resend-signature/")
    assert sign(application).status_code == 200
    application.refresh_from_db()
    assert application.signed_at is not None


def test_another_organization_cannot_withdraw_or_resend(client, apply_for):
    application = apply_for("general")
    other, other_admin = OrganizationFactory.with_admin()
    client.force_login(other_admin)
    for action in ["withdraw", "resend-signature"]:
        url = f"/dashboard/{other.slug}/applications/{application.pk}/{action}/"
        assert client.post(url).status_code == 404
    application.refresh_from_db()
    assert application.is_open


def test_signatory_address_comes_from_the_trusted_proxy(client, apply_for, settings):
    settings.TRUST_X_FORWARDED_FOR = True
    application = apply_for("general")
    from tests.mail import link_in

    client.post(link_in(mail.outbox[-1], "/membership/sign/"),
                {"name": "Grace Hopper", "action": "accept"},
                HTTP_X_FORWARDED_FOR="203.0.113.7, 10.0.0.2")
    application.refresh_from_db()
    assert application.signed_ip == "203.0.113.7"


def test_apply_with_a_malformed_tier_is_a_form_error(client, tiers):
    org, admin = OrganizationFactory.with_admin()
    client.force_login(admin)
    response = client.post(f"/dashboard/{org.slug}/apply/", {"tier": "abc", "step": "review"})
    assert response.status_code == 200
    assert not Application.objects.exists()


def test_membership_page_shows_each_premier_member_s_representatives(client, apply_for, sign,
                                                                     admin_user):
    application = apply_for("premier")
    sign(application)
    applications.application_approve(application_id=application.pk, actor=admin_user)
    pay(Invoice.objects.get())
    html = client.get("/membership/").content.decode()
    assert "Ada Lovelace" in html and "Alan Turing" in html


def test_dashboard_during_an_upgrade_shows_the_current_term(client, general_member, apply_for,
                                                            sign, admin_user):
    org = general_member.organization
    admin = org.roles.get(role="admin").user
    upgrade = apply_for("premier", org=org, admin=admin)
    sign(upgrade)
    applications.application_approve(application_id=upgrade.pk, actor=admin_user)
    client.force_login(admin)
    html = client.get(f"/dashboard/{org.slug}/").content.decode()
    assert "member since" in html
    assert "your Premier membership starts when it is paid. It replaces the General " \
        "membership." in html


def test_staff_without_change_permission_cannot_record_payments(client, apply_for, sign):
    from django.contrib.auth.models import Permission

    application = apply_for("general")
    sign(application)
    invoice = Invoice.objects.get()
    viewer = UserFactory(is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_invoice"))
    client.force_login(viewer)
    response = client.post(f"/admin/billing/invoice/{invoice.pk}/mark-paid/",
                           {"reference": "x", "received_on": "2026-11-20", "amount": "1"})
    assert response.status_code == 403
    response = client.post("/admin/billing/invoice/", {"action": "void",
                                                       "_selected_action": [invoice.pk]})
    invoice.refresh_from_db()
    assert invoice.status == Invoice.Status.OPEN

