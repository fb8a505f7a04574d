from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.db import IntegrityError
from django.utils import timezone

from foundation.accounts.models import Organization
from foundation.billing import services as billing
from foundation.billing.models import Invoice, Payment
from foundation.checklists.models import ChecklistItem
from foundation.models import AuditEntry, OutboundEmail
from foundation.transitions import DomainError
from members.models import Application, FeeBand, Membership, MembershipTerm
from members.services import applications, memberships
from tests.accounts.factories import OrganizationFactory, UserFactory
from tests.concurrency import at_once
from tests.mail import link_in

pytestmark = pytest.mark.django_db


def pay(invoice, **kwargs):
    return billing.payment_record(invoice_id=invoice.pk, method=Payment.Method.WIRE,
                                  amount=invoice.total, reference="WIRE", **kwargs)


def first_invoice(application):
    return Invoice.objects.get(organization=application.organization)


class TestCatalogue:
    def test_membership_page_renders_every_price_from_the_rows(self, client, tiers):
        FeeBand.objects.filter(tier=tiers["general"], min_employees=1).update(
            annual_fee=Decimal("26500"))
        tiers["premier"].annual_fee = Decimal("160000")
        tiers["premier"].save()
        html = client.get("/membership/").content.decode()
        assert "$160,000" in html and "$150,000" not in html
        assert "$26,500" in html and "1 – 499" in html
        assert "Guaranteed seat on the Governing Board" in html
        assert html.count("✓") == 6 + 2 * 4 + 3 * 3  # the published matrix

    @pytest.mark.parametrize(("employees", "fee"), [(1, "25000"), (499, "25000"),
                                                    (500, "30000"), (2999, "35000"),
                                                    (4999, "40000"), (5000, "50000"),
                                                    (250000, "50000")])
    def test_general_sliding_scale(self, tiers, employees, fee):
        assert tiers["general"].fee_for(employees) == Decimal(fee)

    def test_fee_is_computed_on_the_server_and_shown_before_submitting(self, client, tiers):
        org, admin = OrganizationFactory.with_admin(employees=1200)
        client.force_login(admin)
        response = client.post(f"/dashboard/{org.slug}/apply/", {
            "tier": tiers["general"].pk, "type": "academic", "employees": "1",
            "signatory_name": "G", "signatory_title": "CEO", "signatory_email": "g@a.example",
            "billing_email": "ap@a.example", "billing_address": "x",
            "lf_silver_attested": "on", "agreement_accepted": "on", "step": "review",
            "fee": "1"})
        html = response.content.decode()
        assert "$35,000.00" in html and "Submit application" in html
        assert not Application.objects.exists()
        org.refresh_from_db()  # facts posted with the form change nothing
        assert org.type == "company" and org.employees == 1200


class TestApplying:
    def form(self, org, tier, **overrides):
        return {"tier": tier.pk, "signatory_name": "Grace Hopper",
                "signatory_title": "CEO", "signatory_email": "ceo@acme.example",
                "billing_email": "ap@acme.example", "billing_address": "1 Main St",
                "lf_silver_attested": "on", "agreement_accepted": "on", "step": "submit",
                **overrides}

    def test_general_application_through_the_form(self, client, tiers,
                                                  django_capture_on_commit_callbacks):
        org, admin = OrganizationFactory.with_admin(employees=800)
        UserFactory(email="staff@foundation.example", is_staff=True)
        client.force_login(admin)
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(f"/dashboard/{org.slug}/apply/",
                                   self.form(org, tiers["general"]))
        assert response.status_code == 302
        application = Application.objects.get()
        assert application.status == Application.Status.APPROVED
        assert application.annual_fee == Decimal("30000")
        assert not Invoice.objects.exists()  # nothing before the signature
        recipients = sorted(m.to[0] for m in mail.outbox)
        assert recipients == sorted([admin.email, "staff@foundation.example",
                                     "ceo@acme.example"])

    def test_company_cannot_join_as_associate(self, client, tiers):
        org, admin = OrganizationFactory.with_admin(type="company")
        client.force_login(admin)
        response = client.post(f"/dashboard/{org.slug}/apply/",
                               self.form(org, tiers["associate"]))
        html = response.content.decode()
        assert "only for academic institution and nonprofit organizations" in html
        assert f"/dashboard/{org.slug}/edit/" in html  # where to change the type
        assert not Application.objects.exists()

    def test_lf_silver_attestation_is_required(self, client, tiers):
        org, admin = OrganizationFactory.with_admin()
        client.force_login(admin)
        data = self.form(org, tiers["general"])
        del data["lf_silver_attested"]
        response = client.post(f"/dashboard/{org.slug}/apply/", data)
        assert "requires Linux Foundation Silver" in response.content.decode()
        assert not Application.objects.exists()

    def test_premier_needs_the_questionnaire(self, client, tiers):
        org, admin = OrganizationFactory.with_admin()
        client.force_login(admin)
        response = client.post(f"/dashboard/{org.slug}/apply/",
                               self.form(org, tiers["premier"]))
        assert "Required for Premier membership" in response.content.decode()
        assert not Application.objects.exists()

    def test_one_open_application_per_organization(self, apply_for, tiers):
        application = apply_for("general")
        org, admin = application.organization, application.submitted_by
        with pytest.raises(DomainError, match="in progress already"):
            apply_for("premier", org=org, admin=admin)
        assert Application.objects.count() == 1

    def test_the_database_holds_the_rules_too(self, apply_for, tiers):
        application = apply_for("general")
        with pytest.raises(IntegrityError):
            Application.objects.create(
                organization=application.organization, tier=tiers["premier"],
                status=Application.Status.UNDER_REVIEW, submitted_by=application.submitted_by,
                annual_fee=1, employees=1, signatory_name="x", signatory_title="x",
                signatory_email="x@x.example", billing_email="x@x.example",
                billing_address="x", agreement=application.agreement)

    def test_only_admins_apply(self, tiers, apply_for):
        org, _ = OrganizationFactory.with_admin()
        with pytest.raises(DomainError, match="Only an admin"):
            apply_for("general", org=org, admin=UserFactory())

    def test_person_without_an_organization_is_sent_to_create_one(self, client, tiers):
        client.force_login(UserFactory())
        response = client.get("/membership/apply/")
        assert response["Location"] == "/dashboard/organizations/new/?next=/membership/apply/"


class TestSignature:
    def test_academic_associate_is_active_once_its_signatory_accepts(self, apply_for, sign):
        org, admin = OrganizationFactory.with_admin(type="academic")
        application = apply_for("associate", org=org, admin=admin)
        assert not Membership.objects.exists()
        response = sign(application)
        assert response.status_code == 200 and "Thank you" in response.content.decode()
        membership = Membership.objects.get()
        assert membership.status == Membership.Status.ACTIVE
        assert membership.ends_on == membership.starts_on + timedelta(days=364) or \
            membership.ends_on.year == membership.starts_on.year + 1
        application.refresh_from_db()
        assert application.status == Application.Status.COMPLETED
        assert application.signed_name == "Grace Hopper"
        assert application.signed_ip == "127.0.0.1"
        assert application.signed_version == application.agreement
        assert not Invoice.objects.exists()
        assert any("Welcome" in m.subject for m in mail.outbox)

    def test_general_is_invoiced_once_signed_and_active_when_paid(
        self, apply_for, sign, django_capture_on_commit_callbacks
    ):
        application = apply_for("general")
        sign(application)
        invoice = first_invoice(application)
        assert invoice.status == Invoice.Status.OPEN and invoice.total == application.annual_fee
        assert invoice.po_number == "PO-1" and "ap@example.com" in invoice.billing_emails
        membership = Membership.objects.get()
        assert membership.status == Membership.Status.PENDING
        with django_capture_on_commit_callbacks(execute=True):
            pay(invoice)
        membership.refresh_from_db()
        assert membership.status == Membership.Status.ACTIVE
        assert membership.starts_on == timezone.localdate()
        assert ChecklistItem.objects.for_holder(membership).count() == 3  # General's deliverables

    def test_reused_link_changes_nothing(self, apply_for, sign, client):
        application = apply_for("general")
        sign(application)
        before = (Invoice.objects.count(), AuditEntry.objects.count())
        response = sign(application, name="Someone Else")
        assert response.status_code == 400
        assert "used already" in response.content.decode()
        application.refresh_from_db()
        assert application.signed_name == "Grace Hopper"
        assert (Invoice.objects.count(), AuditEntry.objects.count()) == before

    def test_expired_link_changes_nothing(self, apply_for, sign, time_machine):
        application = apply_for("general")
        time_machine.move_to(timezone.now() + timedelta(days=15))
        response = sign(application)
        assert response.status_code == 400 and "expired" in response.content.decode()
        application.refresh_from_db()
        assert application.signed_at is None
        assert not Invoice.objects.exists()

    def test_forged_link_is_refused(self, client, apply_for):
        apply_for("general")
        response = client.post("/membership/sign/not-a-token/", {"name": "x",
                                                                 "action": "accept"})
        assert response.status_code == 400
        assert Application.objects.get().signed_at is None

    def test_signatory_declines_and_the_applicant_is_told(self, client, apply_for,
                                                         django_capture_on_commit_callbacks):
        application = apply_for("general")
        link = link_in(mail.outbox[-1], "/membership/sign/")
        with django_capture_on_commit_callbacks(execute=True):
            client.post(link, {"action": "decline", "reason": "Budget not approved"})
        application.refresh_from_db()
        assert application.status == Application.Status.DECLINED
        assert application.declined_reason == "Budget not approved"
        told = [m for m in mail.outbox if "declined" in m.subject]
        assert told and told[0].to == [application.submitted_by.email]
        assert not Invoice.objects.exists()

    def test_signing_needs_a_name(self, client, apply_for):
        application = apply_for("general")
        response = client.post(link_in(mail.outbox[-1], "/membership/sign/"),
                               {"name": " ", "action": "accept"})
        assert response.status_code == 200  # the form again, to correct
        assert "Type your full name to sign." in response.content.decode()
        application.refresh_from_db()
        assert application.signed_at is None


class TestBoardReview:
    def test_premier_waits_for_the_board_for_14_days(self, apply_for, sign):
        application = apply_for("premier")
        assert application.status == Application.Status.UNDER_REVIEW
        assert application.review_due == timezone.localdate() + timedelta(days=14)
        sign(application)
        assert not Invoice.objects.exists()  # signed, but the board has not decided

    def test_approved_and_signed_premier_is_invoiced_then_active_when_paid(
        self, apply_for, sign, admin_user, django_capture_on_commit_callbacks
    ):
        application = apply_for("premier")
        sign(application)
        with django_capture_on_commit_callbacks(execute=True):
            applications.application_approve(application_id=application.pk, actor=admin_user)
        invoice = first_invoice(application)
        assert invoice.total == Decimal("150000.00")
        pay(invoice)
        membership = Membership.objects.get()
        assert membership.status == Membership.Status.ACTIVE
        assert membership.board_representative == "Ada Lovelace"
        assert membership.tac_representative == "Alan Turing"
        assert any("approved" in m.subject for m in mail.outbox)

    def test_approval_before_signature_waits_for_it(self, apply_for, sign, admin_user):
        application = apply_for("premier")
        applications.application_approve(application_id=application.pk, actor=admin_user)
        assert not Invoice.objects.exists()
        sign(application)
        assert first_invoice(application).status == Invoice.Status.OPEN

    def test_reject_needs_a_reason_and_tells_the_applicant(
        self, apply_for, admin_user, django_capture_on_commit_callbacks
    ):
        application = apply_for("premier")
        with pytest.raises(DomainError):
            applications.application_reject(application_id=application.pk, actor=admin_user,
                                             reason="")
        with django_capture_on_commit_callbacks(execute=True):
            applications.application_reject(application_id=application.pk, actor=admin_user,
                                             reason="Not a fit this year")
        application.refresh_from_db()
        assert application.status == Application.Status.REJECTED
        decision = [m for m in mail.outbox if "rejected" in m.subject]
        assert decision and "Not a fit this year" in decision[0].body

    def test_changes_requested_then_resubmitted(self, client, apply_for, admin_user):
        application = apply_for("premier")
        applications.application_request_changes(application_id=application.pk,
                                                 actor=admin_user, note="Name a TAC rep")
        client.force_login(application.submitted_by)
        slug = application.organization.slug
        response = client.post(f"/dashboard/{slug}/applications/{application.pk}/resubmit/", {
            "motivation": "m", "planned_contributions": "p", "board_representative": "b",
            "tac_representative": "Katherine Johnson"})
        assert response.status_code == 302
        application.refresh_from_db()
        assert application.status == Application.Status.UNDER_REVIEW
        assert application.tac_representative == "Katherine Johnson"

    @pytest.mark.django_db(transaction=True)
    def test_two_staff_approving_at_the_same_moment_produce_one_invoice(self, apply_for, sign):
        application = apply_for("premier")
        sign(application)
        staff = [UserFactory(is_staff=True), UserFactory(is_staff=True)]
        at_once(*[lambda u=u: applications.application_approve(application_id=application.pk,
                                                                 actor=u) for u in staff])
        assert Invoice.objects.count() == 1
        assert MembershipTerm.objects.count() == 1
        assert AuditEntry.objects.filter(action="application.approved").count() == 1

    def test_staff_are_reminded_of_reviews_due_and_overdue_ones_stand_out(
        self, apply_for, admin_client, time_machine, django_capture_on_commit_callbacks
    ):
        UserFactory(email="board@foundation.example", is_staff=True)
        application = apply_for("premier")
        mail.outbox.clear()
        time_machine.move_to(timezone.now() + timedelta(days=12))
        with django_capture_on_commit_callbacks(execute=True):
            applications.send_review_reminders()
            applications.send_review_reminders()
        reminders = [m for m in mail.outbox if m.subject.startswith("Board review due")]
        assert "board@foundation.example" in {m.to[0] for m in reminders}
        assert len(reminders) == len({m.to[0] for m in reminders})  # once a day each
        time_machine.move_to(timezone.now() + timedelta(days=5))
        html = admin_client.get("/admin/members/application/?review=overdue").content.decode()
        assert "overdue" in html and application.organization.display_name in html


class TestMembershipYear:
    @pytest.fixture
    def active(self, apply_for, sign, time_machine):
        time_machine.move_to("2026-01-10 09:00Z")
        application = apply_for("general")
        sign(application)
        pay(first_invoice(application))
        return Membership.objects.get()

    def jobs(self, capture):
        with capture(execute=True):
            memberships.issue_renewal_invoices()
            memberships.send_renewal_reminders()
            memberships.lapse_memberships()

    def test_term_runs_twelve_months_from_activation(self, active):
        assert (active.starts_on, active.ends_on) == (date(2026, 1, 10), date(2027, 1, 9))

    def test_renewal_jobs_run_twice_make_one_invoice_and_one_reminder_of_each_kind(
        self, active, time_machine, django_capture_on_commit_callbacks
    ):
        mail.outbox.clear()
        time_machine.move_to("2026-11-09 06:00Z")  # 61 days before the end: nothing yet
        self.jobs(django_capture_on_commit_callbacks)
        assert Invoice.objects.count() == 1
        time_machine.move_to("2026-11-15 06:00Z")  # inside the 60-day window
        self.jobs(django_capture_on_commit_callbacks)
        self.jobs(django_capture_on_commit_callbacks)
        assert Invoice.objects.count() == 2
        time_machine.move_to("2026-12-12 06:00Z")  # 28 days before: the 30-day reminder
        self.jobs(django_capture_on_commit_callbacks)
        self.jobs(django_capture_on_commit_callbacks)
        time_machine.move_to("2027-01-03 06:00Z")  # 6 days before: the 7-day reminder
        self.jobs(django_capture_on_commit_callbacks)
        self.jobs(django_capture_on_commit_callbacks)
        kinds = list(OutboundEmail.objects.filter(kind__startswith="renewal_reminder")
                     .values_list("kind", flat=True))
        recipients = len(billing.billing_emails(active.organization))
        assert sorted(kinds) == sorted(["renewal_reminder_30"] * recipients
                                       + ["renewal_reminder_7"] * recipients)
        assert Invoice.objects.count() == 2

    def test_paid_renewal_extends_the_membership_and_stops_reminders(
        self, active, time_machine, django_capture_on_commit_callbacks
    ):
        time_machine.move_to("2026-11-15 06:00Z")
        self.jobs(django_capture_on_commit_callbacks)
        renewal = Invoice.objects.exclude(status=Invoice.Status.PAID).get()
        pay(renewal)
        active.refresh_from_db()
        assert active.ends_on == date(2028, 1, 9)
        time_machine.move_to("2027-01-03 06:00Z")
        mail.outbox.clear()
        self.jobs(django_capture_on_commit_callbacks)
        assert not [m for m in mail.outbox if "ends on" in m.subject]

    def test_grace_then_lapse_and_the_member_leaves_the_directory(
        self, active, client, time_machine, django_capture_on_commit_callbacks
    ):
        name = active.organization.display_name
        time_machine.move_to("2027-01-20 06:00Z")  # after the end, within grace
        self.jobs(django_capture_on_commit_callbacks)
        active.refresh_from_db()
        assert active.status == Membership.Status.ACTIVE and active.in_grace
        assert name in client.get("/members/").content.decode()
        time_machine.move_to("2027-02-08 06:00Z")  # 30 days after the end: still grace
        self.jobs(django_capture_on_commit_callbacks)
        active.refresh_from_db()
        assert active.status == Membership.Status.ACTIVE
        time_machine.move_to("2027-02-09 06:00Z")
        self.jobs(django_capture_on_commit_callbacks)
        self.jobs(django_capture_on_commit_callbacks)
        active.refresh_from_db()
        assert active.status == Membership.Status.LAPSED
        assert name not in client.get("/members/").content.decode()
        assert OutboundEmail.objects.filter(kind="lapsed").count() == len(
            billing.billing_emails(active.organization))
        renewal = Invoice.objects.exclude(status=Invoice.Status.PAID).get()
        assert renewal.status == Invoice.Status.UNCOLLECTIBLE
        assert AuditEntry.objects.filter(action="membership.lapse").count() == 1

    def test_upgrade_keeps_the_current_membership_until_the_new_one_is_active(
        self, active, apply_for, sign, admin_user
    ):
        org = active.organization
        admin = org.roles.get(role="admin").user
        upgrade = apply_for("premier", org=org, admin=admin)
        sign(upgrade)
        applications.application_approve(application_id=upgrade.pk, actor=admin_user)
        active.refresh_from_db()
        assert active.status == Membership.Status.ACTIVE
        pay(Invoice.objects.get(membership_term__membership__application=upgrade))
        active.refresh_from_db()
        assert active.status == Membership.Status.ENDED
        assert Membership.objects.active().get(organization=org).tier.slug == "premier"


class TestDirectoryAndDashboard:
    def test_directory_groups_by_tier_premier_first_founding_marked(
        self, client, tiers, admin_user, django_assert_max_num_queries
    ):
        from members.models import Testimonial

        for n, slug in enumerate(["associate", "general", "premier"] * 4):
            org = OrganizationFactory(type="academic" if slug == "associate" else "company",
                                      is_founding_member=n == 2)
            memberships.membership_import(organization=org, tier=tiers[slug],
                                          starts_on=timezone.localdate(), actor=admin_user)
            if n == 2:
                Testimonial.objects.create(organization=org, quote="We build on it.",
                                           author="A. Person, CTO")
        with django_assert_max_num_queries(6):
            html = client.get("/members/").content.decode()
        assert html.index("Premier members") < html.index("General members") < \
            html.index("Associate members")
        assert "Founding member" in html and "We build on it." in html
        data = client.get("/api/members.json").json()
        assert [t["tier"] for t in data["tiers"]] == ["Premier", "General", "Associate"]
        assert sum(len(t["members"]) for t in data["tiers"]) == 12

    def test_board_seats_follow_the_number_of_general_members(self, tiers, admin_user):
        for _ in range(21):
            memberships.membership_import(organization=OrganizationFactory(),
                                          tier=tiers["general"],
                                          starts_on=timezone.localdate(), actor=admin_user)
        assert memberships.board_seats() == {"General": {"members": 21, "seats": 2}}

    def test_board_seats_are_capped_at_three(self, tiers, admin_user):
        orgs = OrganizationFactory.create_batch(45)
        for org in orgs:
            memberships.membership_import(organization=org, tier=tiers["general"],
                                          starts_on=timezone.localdate(), actor=admin_user)
        assert memberships.board_seats()["General"]["seats"] == 3

    def test_dashboard_shows_status_timeline_term_invoices_and_benefits(
        self, client, apply_for, sign
    ):
        application = apply_for("general")
        sign(application)
        invoice = first_invoice(application)
        client.force_login(application.submitted_by)
        page = client.get(f"/dashboard/{application.organization.slug}/").content.decode()
        assert f"Waiting for payment of invoice {invoice.number}" in page
        assert "your General membership starts when it is paid" in page
        assert "submitted a General application" in page  # the timeline
        assert "The signatory, Grace Hopper, accepted the membership agreement." in page
        pay(invoice)
        page = client.get(f"/dashboard/{application.organization.slug}/").content.decode()
        assert "member since" in page and "renews on" in page
        assert "Individualized amplification plan" in page

    def test_logo_benefit_is_delivered_when_the_member_shows_in_the_directory(
        self, apply_for, sign, client
    ):
        from foundation.checklists.models import ChecklistItem as Item

        org, admin = OrganizationFactory.with_admin(type="nonprofit")
        sign(apply_for("associate", org=org, admin=admin))
        item = Item.objects.get(key="logo")
        assert item.status == Item.Status.TODO  # no logo yet
        client.force_login(admin)
        svg = b'<svg xmlns="http://www.w3.org/2000/svg" width="4" height="4"><rect/></svg>'
        from django.core.files.uploadedfile import SimpleUploadedFile

        client.post(f"/dashboard/{org.slug}/edit/", {
            "legal_name": org.legal_name, "display_name": org.display_name, "slug": org.slug,
            "type": org.type, "employees": org.employees, "country": "", "website": "",
            "logo": SimpleUploadedFile("l.svg", svg)})
        item.refresh_from_db()
        assert item.status == Item.Status.DELIVERED and "/members/" in item.proof

    def test_member_provides_what_a_benefit_needs(self, client, apply_for, sign, admin_user):
        application = apply_for("premier")
        sign(application)
        applications.application_approve(application_id=application.pk, actor=admin_user)
        pay(first_invoice(application))
        item = ChecklistItem.objects.get(key="board-seat")
        assert item.status == ChecklistItem.Status.WAITING_ON_MEMBER
        client.force_login(application.submitted_by)
        client.post(f"/dashboard/{application.organization.slug}/benefits/{item.pk}/provide/",
                    {"text": "Ada Lovelace <ada@example.com>"})
        item.refresh_from_db()
        assert item.status == ChecklistItem.Status.TODO and "Ada" in item.member_input


class TestOtherOrganizations:
    def test_another_organizations_application_is_404(self, client, apply_for):
        application = apply_for("premier")
        applications.application_request_changes(
            application_id=application.pk, actor=UserFactory(is_staff=True), note="x")
        other, other_admin = OrganizationFactory.with_admin()
        client.force_login(other_admin)
        data = {"motivation": "m", "planned_contributions": "p", "board_representative": "b",
                "tac_representative": "t"}
        slug = application.organization.slug
        assert client.get(f"/dashboard/{slug}/").status_code == 404
        assert client.post(f"/dashboard/{slug}/applications/{application.pk}/resubmit/",
                           data).status_code == 404
        assert client.post(f"/dashboard/{other.slug}/applications/{application.pk}/resubmit/",
                           data).status_code == 404
        application.refresh_from_db()
        assert application.status == Application.Status.CHANGES_REQUESTED

    def test_another_organizations_benefit_is_404(self, client, tiers, admin_user):
        org = OrganizationFactory(type="academic")
        membership = memberships.membership_import(organization=org, tier=tiers["associate"],
                                                   starts_on=timezone.localdate(),
                                                   actor=admin_user)
        item = ChecklistItem.objects.for_holder(membership).first()
        other, other_admin = OrganizationFactory.with_admin()
        client.force_login(other_admin)
        response = client.post(f"/dashboard/{other.slug}/benefits/{item.pk}/provide/",
                               {"text": "hijack"})
        assert response.status_code == 404
        item.refresh_from_db()
        assert item.member_input == ""

    def test_applying_for_an_organization_one_does_not_administer(self, client, tiers):
        mine, me = OrganizationFactory.with_admin()
        theirs = OrganizationFactory()
        client.force_login(me)
        form = TestApplying().form(theirs, tiers["general"])
        response = client.post(f"/dashboard/{theirs.slug}/apply/", form)
        assert response.status_code == 404
        assert not Application.objects.exists()
        assert Organization.objects.get(pk=theirs.pk).country == theirs.country
