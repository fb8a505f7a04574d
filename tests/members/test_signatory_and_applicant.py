"""What real people do to the membership slice: the signatory who mistypes or gets a second
link, the applicant who withdraws or leaves, and the words each of them reads."""

from datetime import date

import pytest
from django.core import mail, signing

from foundation.accounts.models import OrganizationRole, Role
from foundation.billing import services as billing
from foundation.billing.models import Invoice, Payment
from foundation.models import AuditEntry, OutboundEmail
from foundation.transitions import DomainError
from members.models import Application, Membership
from members.services import applications, memberships
from members.statuses import state_in_words
from tests.accounts.factories import OrganizationFactory, UserFactory
from tests.mail import link_in

pytestmark = pytest.mark.django_db


def pay(invoice):
    return billing.payment_record(invoice_id=invoice.pk, method=Payment.Method.WIRE,
                                  amount=invoice.total, reference="WIRE")


def admin_of(obj):
    return OrganizationRole.objects.get(organization=obj.organization, role=Role.ADMIN).user


def signature_link(application) -> str:
    message = next(m for m in reversed(mail.outbox) if m.to == [application.signatory_email])
    return link_in(message, "/membership/sign/")


@pytest.fixture
def staff(db):
    return UserFactory(email="staff@foundation.example", is_staff=True)


@pytest.fixture
def member(apply_for, sign, time_machine):
    """A General member whose first term runs from 10 January 2026 to 9 January 2027."""
    time_machine.move_to("2026-01-10 09:00Z")
    application = apply_for("general")
    sign(application)
    pay(Invoice.objects.get(organization=application.organization))
    return Membership.objects.get()


class TestSignatory:
    def test_a_missing_name_brings_the_form_back_with_the_message_beside_the_field(
        self, client, apply_for, django_capture_on_commit_callbacks
    ):
        application = apply_for("general")
        link = signature_link(application)
        response = client.post(link, {"name": "", "action": "accept"})
        html = response.content.decode()
        assert response.status_code == 200
        assert "can’t be used" not in html
        field = html[html.index('<div class="field has-error">'):]
        field = field[:field.index("</div>")]
        assert 'name="name"' in field and "Type your full name to sign." in field
        application.refresh_from_db()
        assert application.signed_at is None
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(link, {"name": "Grace Hopper", "action": "accept"})
        assert "Thank you" in response.content.decode()
        application.refresh_from_db()
        assert application.signed_name == "Grace Hopper"

    def test_declining_needs_no_name(self, client, apply_for):
        application = apply_for("general")
        client.post(signature_link(application), {"name": "", "action": "decline"})
        application.refresh_from_db()
        assert application.status == Application.Status.DECLINED

    def test_a_fresh_link_retires_the_first(self, client, apply_for,
                                            django_capture_on_commit_callbacks):
        application = apply_for("general")
        first = signature_link(application)
        applicant = application.submitted_by
        client.force_login(applicant)
        with django_capture_on_commit_callbacks(execute=True):
            client.post(f"/dashboard/{application.organization.slug}/applications/"
                        f"{application.pk}/resend-signature/")
        fresh = signature_link(application)
        assert fresh != first
        assert "replaces the one we sent you before" in mail.outbox[-1].body
        client.logout()
        replaced = "This link was replaced by a newer one: use the latest e-mail."
        response = client.get(first)
        assert response.status_code == 400 and replaced in response.content.decode()
        response = client.post(first, {"name": "Grace Hopper", "action": "accept"})
        assert response.status_code == 400 and replaced in response.content.decode()
        application.refresh_from_db()
        assert application.signed_at is None
        assert client.get(fresh).status_code == 200
        with django_capture_on_commit_callbacks(execute=True):
            client.post(fresh, {"name": "Grace Hopper", "action": "accept"})
        application.refresh_from_db()
        assert application.signed_name == "Grace Hopper"

    def test_a_link_sent_before_links_carried_a_version_still_works(self, client, apply_for):
        application = apply_for("general")
        token = signing.dumps(application.pk, salt=applications.SIGNATURE_SALT)
        assert client.get(f"/membership/sign/{token}/").status_code == 200


class TestWithdrawing:
    def url(self, application, slug=None):
        return (f"/dashboard/{slug or application.organization.slug}/applications/"
                f"{application.pk}/withdraw/")

    def test_the_organization_page_links_to_a_confirmation_not_a_button(self, client,
                                                                         apply_for):
        application = apply_for("general")
        client.force_login(application.submitted_by)
        html = client.get(f"/dashboard/{application.organization.slug}/").content.decode()
        assert f'href="{self.url(application)}"' in html
        assert f'action="{self.url(application)}"' not in html

    def test_the_confirmation_names_the_invoice_that_is_voided(self, client, apply_for, sign):
        application = apply_for("general")
        sign(application)
        invoice = Invoice.objects.get()
        client.force_login(application.submitted_by)
        html = client.get(self.url(application)).content.decode()
        assert f"Invoice {invoice.number} for $35,000.00 is voided: do not pay it." in html
        assert "acceptance of the agreement, signed by Grace Hopper, no longer counts" in html
        assert "We let our membership team know." in html
        application.refresh_from_db()
        invoice.refresh_from_db()
        assert application.status == Application.Status.APPROVED  # a GET changes nothing
        assert invoice.status == Invoice.Status.OPEN

    def test_the_confirmation_says_the_board_s_approval_is_lost(self, client, apply_for, staff,
                                                                 time_machine):
        time_machine.move_to("2027-03-12 10:00Z")
        application = apply_for("premier")
        applications.application_approve(application_id=application.pk, actor=staff)
        client.force_login(application.submitted_by)
        html = client.get(self.url(application)).content.decode()
        assert ("The Governing Board approved it on 12 March 2027: that approval is lost"
                in html)
        assert f"The link we e-mailed your signatory, Grace Hopper " \
               f"({application.signatory_email}), stops working." in html
        assert "Invoice" not in html

    def test_the_confirmation_of_an_application_under_review(self, client, apply_for):
        application = apply_for("premier")
        client.force_login(application.submitted_by)
        html = client.get(self.url(application)).content.decode()
        assert "The Governing Board stops reviewing it" in html
        assert "approval is lost" not in html and "membership team" not in html

    def test_post_withdraws_voids_the_invoice_and_tells_staff(
        self, client, apply_for, sign, staff, django_capture_on_commit_callbacks
    ):
        application = apply_for("general")
        sign(application)
        invoice = Invoice.objects.get()
        client.force_login(application.submitted_by)
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(self.url(application))
        assert response.status_code == 302
        application.refresh_from_db()
        invoice.refresh_from_db()
        assert application.status == Application.Status.WITHDRAWN
        assert invoice.status == Invoice.Status.VOID
        assert Membership.objects.get().status == Membership.Status.ENDED
        told = [m for m in mail.outbox if m.to == [staff.email] and "Withdrawn" in m.subject]
        assert len(told) == 1
        assert f"Invoice {invoice.number} ($35,000.00) is voided" in told[0].body
        assert str(application.submitted_by) in told[0].body

    def test_an_application_under_review_is_withdrawn_without_a_staff_notice(
        self, client, apply_for, staff
    ):
        application = apply_for("premier")
        client.force_login(application.submitted_by)
        client.post(self.url(application))
        application.refresh_from_db()
        assert application.status == Application.Status.WITHDRAWN
        assert not OutboundEmail.objects.filter(kind="application_withdrawn_staff").exists()

    def test_another_organization_s_application_is_404(self, client, apply_for):
        application = apply_for("general")
        other, other_admin = OrganizationFactory.with_admin()
        client.force_login(other_admin)
        for url in (self.url(application), self.url(application, slug=other.slug)):
            assert client.get(url).status_code == 404
            assert client.post(url).status_code == 404
        application.refresh_from_db()
        assert application.is_open


class TestLeaving:
    def url(self, membership, slug=None):
        return (f"/dashboard/{slug or membership.organization.slug}/memberships/"
                f"{membership.pk}/leave/")

    def test_the_confirmation_says_when_the_membership_ends(self, client, member):
        client.force_login(admin_of(member))
        page = client.get(f"/dashboard/{member.organization.slug}/").content.decode()
        assert f'href="{self.url(member)}"' in page
        html = client.get(self.url(member)).content.decode()
        assert ("Your General membership stays active until 9 January 2027, the last day of "
                "its paid term, and ends the day after.") in html
        assert "stays in the member directory" in html
        assert "It does not renew" in html
        member.refresh_from_db()
        assert member.leaves_on is None  # a GET changes nothing

    def test_the_confirmation_names_the_renewal_invoice_that_is_voided(self, client, member,
                                                                        time_machine):
        time_machine.move_to("2026-11-20 09:00Z")
        memberships.issue_renewal_invoices()
        renewal = Invoice.objects.get(status=Invoice.Status.OPEN)
        client.force_login(admin_of(member))
        html = client.get(self.url(member)).content.decode()
        assert f"Renewal invoice {renewal.number} for $35,000.00 is voided at once" in html

    def test_leaving_ends_the_membership_after_its_paid_term(
        self, client, member, staff, time_machine, django_capture_on_commit_callbacks
    ):
        time_machine.move_to("2026-11-20 09:00Z")
        memberships.issue_renewal_invoices()
        renewal = Invoice.objects.get(status=Invoice.Status.OPEN)
        admin = admin_of(member)
        client.force_login(admin)
        mail.outbox.clear()
        with django_capture_on_commit_callbacks(execute=True):
            assert client.post(self.url(member)).status_code == 302
            client.post(self.url(member))  # a second click changes nothing
        member.refresh_from_db()
        renewal.refresh_from_db()
        assert member.leaves_on == date(2027, 1, 9)
        assert member.status == Membership.Status.ACTIVE
        assert renewal.status == Invoice.Status.VOID
        assert AuditEntry.objects.filter(action="membership.leave").count() == 1
        confirmation = [m for m in mail.outbox if m.to == [admin.email]]
        assert len(confirmation) == 1 and "ends on 9 January 2027" in confirmation[0].subject
        told = [m for m in mail.outbox if m.to == [staff.email]]
        assert len(told) == 1 and renewal.number in told[0].body
        name = member.organization.display_name
        assert name in client.get("/members/").content.decode()

        def jobs(day):
            time_machine.move_to(f"{day} 06:00Z")
            with django_capture_on_commit_callbacks(execute=True):
                memberships.issue_renewal_invoices()
                memberships.send_renewal_reminders()
                memberships.lapse_memberships()
                memberships.end_left_memberships()
            member.refresh_from_db()

        mail.outbox.clear()
        jobs("2026-12-15")
        jobs("2027-01-09")  # its last day
        assert member.status == Membership.Status.ACTIVE
        assert not mail.outbox  # no renewal reminders
        assert Invoice.objects.filter(status=Invoice.Status.OPEN).count() == 0
        assert name in client.get("/members/").content.decode()
        jobs("2027-01-10")
        assert member.status == Membership.Status.ENDED
        assert name not in client.get("/members/").content.decode()
        jobs("2027-03-01")  # after the grace period, nothing lapses
        assert member.status == Membership.Status.ENDED
        assert not AuditEntry.objects.filter(action="membership.lapse").exists()

    def test_a_member_in_its_grace_period_leaves_today(self, member, time_machine):
        time_machine.move_to("2027-01-20 09:00Z")
        membership = memberships.membership_leave(membership_id=member.pk,
                                                  actor=admin_of(member))
        assert membership.leaves_on == date(2027, 1, 20)
        assert memberships.end_left_memberships(today=date(2027, 1, 20)) == 0
        assert memberships.end_left_memberships(today=date(2027, 1, 21)) == 1

    def test_a_membership_waiting_for_payment_cannot_be_left(self, apply_for, sign):
        application = apply_for("general")
        sign(application)
        with pytest.raises(DomainError, match="withdraw its application instead"):
            memberships.membership_leave(membership_id=Membership.objects.get().pk,
                                         actor=application.submitted_by)

    def test_only_an_admin_of_the_organization_leaves(self, client, member):
        colleague = UserFactory()
        OrganizationRole.objects.create(organization=member.organization, user=colleague,
                                        role=Role.BILLING)
        other, other_admin = OrganizationFactory.with_admin()
        for person, url in [(colleague, self.url(member)), (other_admin, self.url(member)),
                            (other_admin, self.url(member, slug=other.slug))]:
            client.force_login(person)
            assert client.get(url).status_code == 404
            assert client.post(url).status_code == 404
        with pytest.raises(DomainError):
            memberships.membership_leave(membership_id=member.pk, actor=colleague)
        member.refresh_from_db()
        assert member.leaves_on is None


class TestStatusWords:
    def test_a_general_applicant_waits_for_the_signatory_not_approved(self, client, apply_for):
        application = apply_for("general")
        words = (f"Waiting for your signatory, Grace Hopper ({application.signatory_email}), "
                 "to accept the membership agreement.")
        assert state_in_words(application) == words
        client.force_login(application.submitted_by)
        html = client.get(f"/dashboard/{application.organization.slug}/").content.decode()
        assert words in html and "Approved" not in html
        assert words in client.get("/dashboard/").content.decode()

    def test_under_review_and_changes_requested(self, apply_for, staff, time_machine):
        time_machine.move_to("2027-02-26 10:00Z")
        application = apply_for("premier")
        assert state_in_words(application) == (
            "Under review by the Governing Board; decision due 12 March 2027. Also waiting "
            f"for your signatory, Grace Hopper ({application.signatory_email}), to accept the "
            "membership agreement.")
        application = applications.application_request_changes(
            application_id=application.pk, actor=staff, note="Name a TAC representative.")
        assert state_in_words(application) == (
            "Changes requested by the Governing Board: Name a TAC representative.")

    def test_rejected_with_the_reason(self, apply_for, staff):
        application = applications.application_reject(
            application_id=apply_for("premier").pk, actor=staff, reason="Not a fit for now")
        assert state_in_words(application) == "Rejected by the Governing Board: Not a fit for now."

    def test_declined_and_withdrawn(self, client, apply_for):
        application = apply_for("general")
        client.post(signature_link(application), {"action": "decline", "reason": "No budget"})
        application.refresh_from_db()
        assert state_in_words(application) == (
            "Declined: your signatory, Grace Hopper, did not accept the agreement (No budget).")
        other = apply_for("general")
        other = applications.application_withdraw(application_id=other.pk,
                                                  actor=other.submitted_by)
        assert state_in_words(other) == "Withdrawn."

    def test_waiting_for_payment_then_active_then_renewing(self, member, apply_for, sign,
                                                           time_machine):
        application = apply_for("general")
        sign(application)
        pending = Membership.objects.get(application=application)
        invoice = Invoice.objects.get(organization=application.organization)
        assert state_in_words(pending) == (
            f"Waiting for payment of invoice {invoice.number} ($35,000.00, due 9 February "
            "2026): your General membership starts when it is paid.")
        assert state_in_words(member) == "Active until 9 January 2027; renews on 10 January 2027."
        time_machine.move_to("2026-11-20 09:00Z")
        memberships.issue_renewal_invoices()
        renewal = Invoice.objects.get(organization=member.organization,
                                      status=Invoice.Status.OPEN)
        assert state_in_words(member) == (
            "Active until 9 January 2027; renews on 10 January 2027 once invoice "
            f"{renewal.number} ($35,000.00, due 20 December 2026) is paid.")
        assert state_in_words(member, today=date(2027, 1, 20)) == (
            "Active, in its grace period: the term ended on 9 January 2027. Pay invoice "
            f"{renewal.number} ($35,000.00, due 20 December 2026) by 8 February 2027, or the "
            "membership lapses.")

    def test_lapsed(self, member, time_machine):
        time_machine.move_to("2027-02-09 06:00Z")
        memberships.lapse_memberships()
        member.refresh_from_db()
        assert state_in_words(member) == (
            "Lapsed: your General membership ended on 9 January 2027 and its renewal was not "
            "paid.")

    def test_leaving_then_ended(self, member):
        member = memberships.membership_leave(membership_id=member.pk, actor=admin_of(member))
        assert state_in_words(member) == (
            "Leaving on 9 January 2027: your General membership is active until then and will "
            "not renew.")
        memberships.end_left_memberships(today=date(2027, 1, 10))
        member.refresh_from_db()
        assert state_in_words(member) == (
            "Ended: you left, and the last day of your General membership was 9 January 2027.")
        assert state_in_words(member.application) == state_in_words(member)

    def test_the_organization_page_after_leaving_offers_to_apply_again(self, client, member):
        memberships.membership_leave(membership_id=member.pk, actor=admin_of(member))
        memberships.end_left_memberships(today=date(2027, 1, 10))
        client.force_login(admin_of(member))
        html = client.get(f"/dashboard/{member.organization.slug}/").content.decode()
        assert "Ended: you left" in html and "Apply again" in html
        assert "Leave the foundation" not in html
