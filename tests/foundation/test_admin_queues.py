"""The admin index opens on staff's queues: how many rows wait in each and the oldest date,
each linking to a changelist that lists exactly those rows."""

import re
from datetime import date, timedelta
from decimal import Decimal
from html.parser import HTMLParser

import pytest
from django.conf import settings
from django.contrib.auth.models import Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from credits.ledger.models import Account, LedgerTransaction
from credits.models import Pledge, Provider, ResourceRequest, SupportRequest, UsageRecord
from foundation import admin_queues
from foundation.billing.models import Invoice, StripeEvent
from foundation.checklists.models import ChecklistItem
from foundation.models import OutboundEmail
from members.demo_programme import seed_catalogue
from members.models import AgreementVersion, Application, EligibilityCheck
from projects.models import Project, TacVote
from tests.accounts.factories import OrganizationFactory, UserFactory

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()
DAY = timedelta(days=1)


def written(day: date) -> str:
    return f"{day.day} {day:%B %Y}"


class QueueRows(HTMLParser):
    """The rows of the index's queue table: each row's link and the lines of its cells."""

    def __init__(self):
        super().__init__()
        self.rows: dict[str, dict] = {}
        self.depth = 0  # > 0 inside div#staff-queues
        self.row: dict | None = None
        self.cell: list[str] | None = None
        self.header = ""

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "div" and (self.depth or attrs.get("id") == "staff-queues"):
            self.depth += 1
        elif self.depth and tag == "tr":
            self.row = {"cells": []}
        elif self.row is not None and tag in {"th", "td"}:
            self.cell = []
        elif self.cell is not None and tag == "br":
            self._end_line()
            self.cell = []
        elif self.row is not None and tag == "a":
            self.row["url"] = attrs["href"]

    def handle_endtag(self, tag):
        if tag == "div" and self.depth:
            self.depth -= 1
        elif self.row is not None and tag in {"th", "td"}:
            self._end_line()
            self.cell = None
        elif self.row is not None and tag == "tr":
            self.rows[self.row["cells"][0]] = self.row
            self.row = None

    def _end_line(self):
        self.row["cells"].append(re.sub(r"\s+", " ", "".join(self.cell)).strip())

    def handle_data(self, data):
        if self.cell is not None:
            self.cell.append(data)


def queue_rows(response) -> dict[str, dict]:
    assert response.status_code == 200
    parser = QueueRows()
    parser.feed(response.content.decode())
    return parser.rows


class Rows:
    """Rows in and out of every queue; `queued` holds the primary keys each should list."""

    def __init__(self, agreement: AgreementVersion, tiers, submitter):
        self.agreement, self.tiers, self.submitter = agreement, tiers, submitter
        self.queued: dict[str, set[int]] = {title: set() for title in [
            "Overdue benefit items", "Overdue invoices", "Invoices not synced with Stripe",
            "Failed e-mails",
            "Failed Stripe events", "Applications to decide", "Eligibility checks",
            "Pledges to confirm", "Projects to review", "Projects to decide",
            "Candidates waiting for a vote", "TAC votes closing soon",
            "Resource requests to decide", "Support requests past the SLA",
            "Usage beyond an allocation"]}
        self.n = 0
        self._held: tuple | None = None

    def _next(self) -> int:
        self.n += 1
        return self.n

    def item(self, status, due, queued: bool) -> None:
        org = OrganizationFactory()
        item = ChecklistItem.objects.create(holder=org, key=f"k{self._next()}", title="Logo",
                                            status=status, due_date=due)
        if queued:
            self.queued["Overdue benefit items"].add(item.pk)

    def invoice(self, status, due, queued: bool, *, issued=None, sync_error: str = "") -> None:
        n = self._next()
        invoice = Invoice.objects.create(
            organization=OrganizationFactory(), status=status, due_date=due,
            number=None if status == Invoice.Status.DRAFT else f"2026-{n:05}",
            billing_name="Acme", total="25000.00", issue_date=issued, sync_error=sync_error)
        if queued:
            self.queued["Invoices not synced with Stripe" if sync_error
                        else "Overdue invoices"].add(invoice.pk)

    def email(self, status, created, queued: bool) -> None:
        email = OutboundEmail.objects.create(key=f"test-{self._next()}", kind="test",
                                             to="ap@example.com", subject="Hello",
                                             body_text="Hello", status=status)
        OutboundEmail.objects.filter(pk=email.pk).update(created_at=created)
        if queued:
            self.queued["Failed e-mails"].add(email.pk)

    def event(self, status, received, queued: bool) -> None:
        event = StripeEvent.objects.create(stripe_id=f"evt_{self._next()}", type="invoice.paid",
                                           payload={}, status=status)
        StripeEvent.objects.filter(pk=event.pk).update(received_at=received)
        if queued:
            self.queued["Failed Stripe events"].add(event.pk)

    def application(self, status, review_due, queued: bool) -> None:
        application = Application.objects.create(
            organization=OrganizationFactory(), tier=self.tiers["premier"], status=status,
            submitted_by=self.submitter, annual_fee="150000.00", employees=1200,
            signatory_name="Grace Hopper", signatory_title="CEO",
            signatory_email="ceo@example.com", billing_email="ap@example.com",
            billing_address="1 Main Street", agreement=self.agreement, review_due=review_due)
        if queued:
            self.queued["Applications to decide"].add(application.pk)

    def check(self, status, due, queued: bool) -> None:
        check = EligibilityCheck.objects.create(organization=OrganizationFactory(),
                                                reason="Type changed", status=status,
                                                due_date=due)
        if queued:
            self.queued["Eligibility checks"].add(check.pk)

    def pledge(self, status, submitted, queued: bool) -> None:
        pledge = Pledge.objects.create(
            organization=OrganizationFactory(), year=TODAY.year, status=status,
            contact_name="Lin Cloud", contact_email="lin@cloud.example", sla_hours=24,
            support_channel="email", support_channel_value="support@cloud.example")
        Pledge.objects.filter(pk=pledge.pk).update(created_at=submitted)
        if queued:
            self.queued["Pledges to confirm"].add(pledge.pk)

    def holding(self) -> tuple:
        """A hosted project, a provider, the confirmed pledge that gave its credits and the
        project's allocation ledger account, made once: the credit pool's rows hang off them."""
        if self._held is None:
            n = self._next()
            project = Project.objects.create(slug=f"hosted-{n}", name=f"Hosted {n}",
                                             status=Project.Status.HOSTED)
            provider = Provider.objects.create(name=f"Cloud {n}")
            pledge = Pledge.objects.create(
                organization=OrganizationFactory(), year=TODAY.year,
                status=Pledge.Status.CONFIRMED, contact_name="Lin Cloud",
                contact_email="lin@cloud.example", sla_hours=24, support_channel="email",
                support_channel_value="lin@cloud.example")
            allocation = Account.objects.create(
                key=f"allocation:{project.pk}:{provider.pk}", kind=Account.Kind.ALLOCATION,
                provider=provider, project=project)
            self._held = project, provider, pledge, allocation
        return self._held

    def resource_request(self, status, asked, queued: bool) -> None:
        project, provider, _, _ = self.holding()
        decided = status != ResourceRequest.Status.SUBMITTED
        request = ResourceRequest.objects.create(
            project=project, provider=provider, requested_by=self.submitter,
            amount="400.00", purpose="CI runners", starts_on=TODAY,
            ends_on=TODAY + 180 * DAY, monthly_use="50.00", status=status,
            approved_amount="400.00" if status == ResourceRequest.Status.APPROVED else None,
            decided_at=timezone.now() if decided else None)
        ResourceRequest.objects.filter(pk=request.pk).update(created_at=asked)
        if queued:
            self.queued["Resource requests to decide"].add(request.pk)

    def support_request(self, deadline, queued: bool, *, flagged: bool = True,
                        status=SupportRequest.Status.SENT) -> None:
        """Sent 24 hours before its `deadline`; flagged to staff an hour after it when
        `flagged`; responded to two hours after it when `status` is not SENT."""
        _, _, pledge, allocation = self.holding()
        responded = deadline + DAY / 12 if status != SupportRequest.Status.SENT else None
        request = SupportRequest.objects.create(
            allocation=allocation, pledge=pledge, requested_by=self.submitter,
            subject=f"GPU quota {self._next()}", message="Our jobs cannot start.",
            contact_name="Lin Cloud", contact_email="lin@cloud.example", sla_hours=24,
            status=status, sent_at=deadline - DAY, deadline=deadline,
            acknowledged_at=responded if status == SupportRequest.Status.ACKNOWLEDGED else None,
            answered_at=responded if status == SupportRequest.Status.ANSWERED else None,
            answer="Done." if status == SupportRequest.Status.ANSWERED else "",
            first_response_at=responded,
            flagged_at=deadline + DAY / 24 if flagged else None)
        if queued:
            self.queued["Support requests past the SLA"].add(request.pk)

    def usage(self, excess: str, recorded, queued: bool, *, reviewed: bool = False) -> None:
        """$100 of usage recorded then, `excess` of it beyond the allocation (its ledger
        transaction is written bare: the queue reads only the record)."""
        _, _, _, allocation = self.holding()
        key = f"usage:test:{self._next()}"
        posted = LedgerTransaction.objects.create(key=key, kind=LedgerTransaction.Kind.USAGE,
                                                  on=recorded.date())
        record = UsageRecord.objects.create(
            allocation=allocation, key=key, amount=Decimal("100.00"), used_on=recorded.date(),
            source=UsageRecord.Source.FORM, excess=Decimal(excess),
            recorded_by=self.submitter, ledger_transaction=posted,
            reviewed_at=recorded + DAY if reviewed else None,
            reviewed_by=self.submitter if reviewed else None)
        UsageRecord.objects.filter(pk=record.pk).update(recorded_at=recorded)
        if queued:
            self.queued["Usage beyond an allocation"].add(record.pk)

    def project(self, status, changed, queued: str = "", *, vote_closes=None,
                vote_queued: bool = False) -> None:
        """A project `changed` (submitted, for one submitted) at that moment; with
        `vote_closes`, a TAC vote open on it closing then."""
        n = self._next()
        project = Project.objects.create(
            slug=f"project-{n}", name=f"Project {n}", status=status, status_changed_at=changed,
            submitted_at=changed if status != Project.Status.DRAFT else None)
        if queued:
            self.queued[queued].add(project.pk)
        if vote_closes is not None:
            vote = TacVote.objects.create(project=project, closes_at=vote_closes)
            if vote_queued:
                self.queued["TAC votes closing soon"].add(vote.pk)

    def add(self, oldest_offset: int = 0) -> None:
        """Two rows in each queue and several just outside it. `oldest_offset` moves the
        oldest queued rows further back, so a second batch changes what is oldest."""
        back = timedelta(days=oldest_offset)
        item_status = ChecklistItem.Status
        self.item(item_status.TODO, TODAY - 3 * DAY - back, True)
        self.item(item_status.WAITING_ON_MEMBER, TODAY - DAY, True)
        self.item(item_status.DELIVERED, TODAY - 30 * DAY, False)
        self.item(item_status.NOT_APPLICABLE, TODAY - 30 * DAY, False)
        self.item(item_status.TODO, TODAY, False)
        self.item(item_status.TODO, None, False)
        invoice_status = Invoice.Status
        self.invoice(invoice_status.OPEN, TODAY - 20 * DAY - back, True)
        self.invoice(invoice_status.OPEN, TODAY - DAY, True)
        self.invoice(invoice_status.OPEN, TODAY, False)
        self.invoice(invoice_status.PAID, TODAY - 60 * DAY, False)
        self.invoice(invoice_status.VOID, TODAY - 60 * DAY, False)
        self.invoice(invoice_status.DRAFT, TODAY - 60 * DAY, False)
        unreachable = "APIConnectionError('Unexpected error communicating with Stripe.')"
        self.invoice(invoice_status.OPEN, TODAY + 30 * DAY, True, issued=TODAY - 9 * DAY - back,
                     sync_error=unreachable)
        self.invoice(invoice_status.VOID, None, True, issued=TODAY - DAY,
                     sync_error=f"Could not update the Stripe invoice: {unreachable}")
        self.invoice(invoice_status.OPEN, TODAY + 30 * DAY, False, issued=TODAY - 60 * DAY)
        now = timezone.now()
        email_status = OutboundEmail.Status
        self.email(email_status.FAILED, now - 2 * DAY - back, True)
        self.email(email_status.FAILED, now, True)
        self.email(email_status.SENT, now - 90 * DAY, False)
        self.email(email_status.QUEUED, now - 90 * DAY, False)
        event_status = StripeEvent.Status
        self.event(event_status.FAILED, now - 5 * DAY - back, True)
        self.event(event_status.FAILED, now, True)
        self.event(event_status.PROCESSED, now - 90 * DAY, False)
        self.event(event_status.PENDING, now - 90 * DAY, False)
        app_status = Application.Status
        self.application(app_status.UNDER_REVIEW, TODAY + 4 * DAY - back, True)
        self.application(app_status.UNDER_REVIEW, TODAY + 14 * DAY, True)
        self.application(app_status.CHANGES_REQUESTED, TODAY - 90 * DAY, False)
        self.application(app_status.APPROVED, None, False)
        self.application(app_status.REJECTED, TODAY - 90 * DAY, False)
        check_status = EligibilityCheck.Status
        self.check(check_status.OPEN, TODAY + 2 * DAY - back, True)
        self.check(check_status.OPEN, TODAY + 7 * DAY, True)
        self.check(check_status.CONFIRMED, TODAY - 90 * DAY, False)
        self.check(check_status.REJECTED, TODAY - 90 * DAY, False)
        pledge_status = Pledge.Status
        self.pledge(pledge_status.SUBMITTED, now - 6 * DAY - back, True)
        self.pledge(pledge_status.SUBMITTED, now, True)
        self.pledge(pledge_status.CONFIRMED, now - 90 * DAY, False)
        self.pledge(pledge_status.CANCELLED, now - 90 * DAY, False)
        project = Project.Status
        self.project(project.SUBMITTED, now - 4 * DAY - back, "Projects to review")
        self.project(project.SUBMITTED, now, "Projects to review")
        self.project(project.DRAFT, now - 90 * DAY)
        self.project(project.CHANGES_REQUESTED, now - 90 * DAY)
        self.project(project.IN_REVIEW, now - 8 * DAY - back, "Projects to decide")
        self.project(project.IN_REVIEW, now, "Projects to decide")
        self.project(project.ECOSYSTEM, now - 90 * DAY)
        self.project(project.CANDIDATE, now - 10 * DAY - back, "Candidates waiting for a vote")
        self.project(project.CANDIDATE, now - DAY, "Candidates waiting for a vote")
        # Candidates with a vote open: not waiting for one; their votes close soon or later.
        self.project(project.CANDIDATE, now - 90 * DAY, vote_closes=now + 2 * DAY - back,
                     vote_queued=True)
        self.project(project.CANDIDATE, now - 90 * DAY, vote_closes=now + 5 * DAY,
                     vote_queued=True)
        self.project(project.CANDIDATE, now - 90 * DAY, vote_closes=now + 30 * DAY)
        request_status = ResourceRequest.Status
        self.resource_request(request_status.SUBMITTED, now - 7 * DAY - back, True)
        self.resource_request(request_status.SUBMITTED, now, True)
        self.resource_request(request_status.APPROVED, now - 90 * DAY, False)
        self.resource_request(request_status.REJECTED, now - 90 * DAY, False)
        support_status = SupportRequest.Status
        self.support_request(now - 3 * DAY - back, True)
        self.support_request(now - 2 * DAY / 24, True)
        # Answered or acknowledged late, after it was flagged: no longer waiting.
        self.support_request(now - 90 * DAY, False, status=support_status.ANSWERED)
        self.support_request(now - 90 * DAY, False, status=support_status.ACKNOWLEDGED)
        # Past its deadline, but the beat job has not flagged it yet.
        self.support_request(now - 90 * DAY, False, flagged=False)
        self.usage("25.00", now - 11 * DAY - back, True)
        self.usage("100.00", now, True)
        self.usage("0.00", now - 90 * DAY, False)
        self.usage("40.00", now - 90 * DAY, False, reviewed=True)


@pytest.fixture
def rows(admin_user):
    tiers = seed_catalogue()
    return Rows(AgreementVersion.objects.get(), tiers, admin_user)


def test_each_queue_shows_its_count_and_oldest_date_in_words(admin_client, rows):
    rows.add()
    shown = queue_rows(admin_client.get("/admin/"))
    assert {title: row["cells"] for title, row in shown.items()} == {
        "Applications to decide": ["Applications to decide", "2 applications to decide",
                                   f"oldest due {written(TODAY + 4 * DAY)}"],
        "Eligibility checks": ["Eligibility checks", "2 eligibility checks to make",
                               f"oldest due {written(TODAY + 2 * DAY)}"],
        "Overdue benefit items": ["Overdue benefit items", "2 overdue benefit items",
                                  f"oldest due {written(TODAY - 3 * DAY)}"],
        "Overdue invoices": ["Overdue invoices", "2 overdue invoices",
                             f"oldest due {written(TODAY - 20 * DAY)}"],
        "Invoices not synced with Stripe": ["Invoices not synced with Stripe",
                                            "2 invoices not synced with Stripe",
                                            f"oldest issued {written(TODAY - 9 * DAY)}"],
        "Failed e-mails": ["Failed e-mails", "2 failed e-mails",
                           f"oldest queued {written(TODAY - 2 * DAY)}"],
        "Failed Stripe events": ["Failed Stripe events", "2 failed Stripe events",
                                 f"oldest received {written(TODAY - 5 * DAY)}"],
        "Pledges to confirm": ["Pledges to confirm", "2 pledges to confirm",
                               f"oldest submitted {written(TODAY - 6 * DAY)}"],
        "Projects to review": ["Projects to review", "2 projects to review",
                               f"oldest submitted {written(TODAY - 4 * DAY)}"],
        "Projects to decide": ["Projects to decide", "2 projects to decide",
                               f"oldest in review since {written(TODAY - 8 * DAY)}"],
        "Candidates waiting for a vote": ["Candidates waiting for a vote",
                                          "2 candidates waiting for a vote",
                                          f"oldest sponsored {written(TODAY - 10 * DAY)}"],
        "TAC votes closing soon": ["TAC votes closing soon", "2 TAC votes closing soon",
                                   f"oldest closing {written(TODAY + 2 * DAY)}"],
        "Resource requests to decide": ["Resource requests to decide",
                                        "2 resource requests to decide",
                                        f"oldest asked {written(TODAY - 7 * DAY)}"],
        "Support requests past the SLA": ["Support requests past the SLA",
                                          "2 support requests past the SLA",
                                          f"oldest due {written(TODAY - 3 * DAY)}"],
        "Usage beyond an allocation": ["Usage beyond an allocation",
                                       "2 usage reports beyond their allocation",
                                       f"oldest recorded {written(TODAY - 11 * DAY)}"],
    }


def test_each_link_lists_exactly_the_queued_rows(admin_client, rows):
    rows.add()
    shown = queue_rows(admin_client.get("/admin/"))
    assert shown.keys() == rows.queued.keys()
    for title, row in shown.items():
        listed = admin_client.get(row["url"])
        assert listed.status_code == 200, row["url"]
        assert {obj.pk for obj in listed.context["cl"].result_list} == rows.queued[title], title


def test_an_empty_queue_reads_as_nothing_waiting_not_a_zero(admin_client, rows):
    rows.item(ChecklistItem.Status.TODO, TODAY - DAY, True)
    shown = queue_rows(admin_client.get("/admin/"))
    assert shown["Overdue benefit items"]["cells"][1:] == [
        "1 overdue benefit item", f"oldest due {written(TODAY - DAY)}"]
    assert shown["Overdue invoices"]["cells"][1:] == ["Nothing waiting"]
    assert shown["Failed e-mails"]["cells"][1:] == ["Nothing waiting"]
    # An empty queue still links to its list.
    assert admin_client.get(shown["Overdue invoices"]["url"]).context["cl"].result_count == 0


def test_counts_are_written_with_thousands_separators(admin_client):
    OutboundEmail.objects.bulk_create(
        OutboundEmail(key=f"k{i}", kind="test", to="ap@example.com", subject="Hello",
                      body_text="Hello", status=OutboundEmail.Status.FAILED) for i in range(1200))
    shown = queue_rows(admin_client.get("/admin/"))
    assert shown["Failed e-mails"]["cells"][1:] == [
        "1,200 failed e-mails", f"oldest queued {written(timezone.localdate())}"]


def index_queries(client) -> list[str]:
    with CaptureQueriesContext(connection) as captured:
        assert client.get("/admin/").status_code == 200
    return [q["sql"] for q in captured]


def test_the_index_runs_as_many_queries_for_many_waiting_rows_as_for_a_few(admin_client, rows):
    rows.add()
    index_queries(admin_client)  # warm what is cached once per process (content types, ...)
    small = index_queries(admin_client)
    for back in range(1, 6):
        rows.add(oldest_offset=back)
    large = index_queries(admin_client)
    assert len(large) == len(small)
    # One query per queue: its count and its oldest date together.
    assert sum("MIN(" in sql for sql in large) == len(admin_queues.queues)
    assert queue_rows(admin_client.get("/admin/"))["Overdue invoices"]["cells"][1] == (
        "12 overdue invoices")


def test_staff_see_only_the_queues_of_tables_they_may_view(client, rows):
    rows.add()
    clerk = UserFactory(is_staff=True)
    clerk.user_permissions.add(Permission.objects.get(codename="view_invoice"))
    client.force_login(clerk)
    shown = queue_rows(client.get("/admin/"))
    assert list(shown) == ["Overdue invoices", "Invoices not synced with Stripe"]
    assert shown["Overdue invoices"]["cells"][1] == "2 overdue invoices"


def test_people_who_are_not_staff_never_see_the_queues(client, rows):
    rows.add()
    response = client.get("/admin/")
    assert response.status_code == 302 and "staff-queues" not in response.content.decode()
    client.force_login(UserFactory())
    response = client.get("/admin/")
    assert response.status_code == 302
    assert "staff-queues" not in response.content.decode()


def test_the_admin_header_carries_the_foundations_name(admin_client):
    page = admin_client.get("/admin/").content.decode()
    assert re.search(r'<div id="site-name"><a href="/admin/">' + re.escape(
        settings.FOUNDATION_NAME), page)
