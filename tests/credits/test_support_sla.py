"""Support within the sponsor's SLA: a maintainer asks the provider's technical contact from
an allocation, the contact acknowledges or answers through a signed link, the beat job flags
each request past its deadline without a response once, and staff and the sponsor's admins
see the median response time and the share within the SLA."""

import re
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.core import mail, signing
from django.db import connection
from django.template.loader import render_to_string
from django.test.utils import CaptureQueriesContext

from credits.ledger import posting
from credits.ledger.models import Account
from credits.models import Pledge, SupportRequest
from credits.services import support
from credits.tasks import flag_overdue_support
from foundation.accounts.models import OrganizationRole, Role
from foundation.models import AuditEntry, OutboundEmail
from foundation.transitions import DomainError
from projects.models import ProjectMaintainer
from tests.accounts.factories import UserFactory
from tests.concurrency import at_once
from tests.credits.ledger_helpers import a_pledge, a_project, a_provider, received_credit

pytestmark = pytest.mark.django_db

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def at(hours: float):
    """A moment `hours` after START, when the requests are sent (the clock stands still)."""
    return time_machine.travel(START + timedelta(hours=hours), tick=False)


@pytest.fixture
def world(db):
    """A provider whose credits a confirmed pledge gave (SLA 24 hours), a hosted project with
    an allocation of them and its maintainer; another project with its own allocation."""
    provider = a_provider()
    pledge = a_pledge()
    contribution = received_credit(pledge, provider, "10000", date(2027, 12, 31),
                                   date(2026, 1, 5))
    posting.receive_contribution(contribution)
    project, other_project = a_project(), a_project()
    posting.allocate(project, provider, Decimal("1000"), key="test:a", on=date(2026, 1, 6))
    posting.allocate(other_project, provider, Decimal("500"), key="test:b", on=date(2026, 1, 6))
    maintainer = UserFactory(email="ada@project.example")
    ProjectMaintainer.objects.create(project=project, user=maintainer)
    other_maintainer = UserFactory()
    ProjectMaintainer.objects.create(project=other_project, user=other_maintainer)
    return {
        "provider": provider, "pledge": pledge, "project": project,
        "allocation": posting.allocation_account(project, provider),
        "other_allocation": posting.allocation_account(other_project, provider),
        "maintainer": maintainer, "other_maintainer": other_maintainer,
    }


def url_of(allocation) -> str:
    return f"/credits/allocations/{allocation.pk}/support/"


def token_of(support_request) -> str:
    """The token of the link e-mailed to the contact when the request was sent."""
    message = OutboundEmail.objects.get(kind="support_request",
                                        key__contains=f"supportrequest:{support_request.pk}:")
    return re.search(r"/credits/support/([^/\s]+)/", message.body_text).group(1)


@pytest.fixture
def ask(client, world, django_capture_on_commit_callbacks):
    """The maintainer sends a request through the page, at `hours` (0 by default)."""
    def send(subject="GPU quota", message="Our jobs cannot start: quota exceeded.", hours=0):
        client.force_login(world["maintainer"])
        with at(hours), django_capture_on_commit_callbacks(execute=True):
            response = client.post(url_of(world["allocation"]),
                                   {"subject": subject, "message": message})
        assert response.status_code == 302, response.content.decode()[:2000]
        return SupportRequest.objects.latest("pk")

    return send


@pytest.fixture
def reply(client, django_capture_on_commit_callbacks):
    """The contact, not logged in, follows the link at `hours` and acts."""
    def act(support_request, hours, action, answer=""):
        client.logout()
        with at(hours), django_capture_on_commit_callbacks(execute=True):
            return client.post(f"/credits/support/{token_of(support_request)}/",
                               {"action": action, "answer": answer})

    return act


def flag(hours):
    with at(hours):
        return flag_overdue_support()


def contact_mails():
    return [m for m in mail.outbox if m.to == ["lin@cloud.example"]]


def test_the_request_goes_to_the_contact_with_a_signed_link_and_its_deadline(client, world,
                                                                           ask):
    client.force_login(world["maintainer"])
    page = client.get(url_of(world["allocation"])).content.decode()
    assert "Lin Cloud" in page and "24 hours" in page

    sent = ask()

    assert sent.deadline - sent.sent_at == timedelta(hours=24)
    assert (sent.contact_email, sent.sla_hours, sent.pledge) == ("lin@cloud.example", 24,
                                                                 world["pledge"])
    [message] = contact_mails()
    assert "GPU quota" in message.subject and world["project"].name in message.subject
    assert f"/credits/support/{token_of(sent)}/" in message.body
    assert "by 3 March 2026, 09:00 UTC" in message.body
    assert AuditEntry.objects.filter(action="support_request.send").count() == 1


def test_the_include_links_an_allocation_to_its_support_page(world, ask, reply,
                                                             django_assert_num_queries):
    def row(allocation):
        return render_to_string("credits/_allocation_support.html", {"allocation": allocation})

    html = row(world["allocation"])
    assert url_of(world["allocation"]) in html
    assert f"Ask {world['provider']}’s technical contact for help" in html
    assert "not answered" not in html
    answered = ask()
    ask(), ask()
    reply(answered, 1, "answer", "Done.")
    allocations = list(Account.objects.filter(kind=Account.Kind.ALLOCATION)
                       .select_related("provider"))
    with django_assert_num_queries(1):
        rows = [row(allocation) for allocation in support.with_open_counts(allocations)]
    assert sum("2 requests not answered yet" in html for html in rows) == 1


def test_answered_in_time(client, world, ask, reply):
    sent = ask()
    client.logout()
    with at(1):
        page = client.get(f"/credits/support/{token_of(sent)}/")
    assert page.status_code == 200 and "Our jobs cannot start" in page.content.decode()

    response = reply(sent, 3, "answer", "Raise the quota in the console: Limits, GPUs.")

    assert response.status_code == 302
    sent.refresh_from_db()
    assert sent.status == SupportRequest.Status.ANSWERED
    assert sent.response_time == timedelta(hours=3) and sent.within_sla is True
    assert sent.acknowledged_at is None and sent.answered_at == sent.first_response_at
    [answer] = [m for m in mail.outbox if m.to == ["ada@project.example"]]
    assert "Raise the quota" in answer.body
    assert flag(48) == 0
    sent.refresh_from_db()
    assert sent.flagged_at is None


def test_acknowledged_late_then_answered_counts_the_acknowledgement(world, ask, reply):
    sent = ask()
    flag(25)  # flagged before anyone responded
    reply(sent, 30, "acknowledge")
    reply(sent, 40, "answer", "Fixed on our side.")

    sent.refresh_from_db()
    assert sent.status == SupportRequest.Status.ANSWERED
    assert sent.response_time == timedelta(hours=30) and sent.within_sla is False
    assert sent.answered_at - sent.sent_at == timedelta(hours=40)
    assert not SupportRequest.objects.flagged_waiting().exists()  # leaves staff's queue


def test_never_answered_is_flagged_once_however_often_the_job_runs(world, ask, admin_client):
    sent = ask()
    assert flag(23) == 0
    assert flag(25) == 1
    for hours in (25, 26, 50, 24 * 30):
        assert flag(hours) == 0

    sent.refresh_from_db()
    assert sent.flagged_at == sent.sent_at + timedelta(hours=25)
    staff_mails = OutboundEmail.objects.filter(kind="support_overdue")
    assert staff_mails.count() == len({m.to for m in staff_mails}) >= 1
    assert "GPU quota" in staff_mails.first().body_text
    assert AuditEntry.objects.filter(action="support_request.flag").count() == 1
    index = admin_client.get("/admin/").content.decode()
    assert "1 support request past the SLA" in index
    listed = admin_client.get("/admin/credits/supportrequest/?sla=overdue").content.decode()
    assert "GPU quota" in listed


@pytest.mark.django_db(transaction=True)
def test_two_runs_at_once_flag_each_request_once(world, ask):
    ask()
    ask(subject="Disk")
    with at(30):
        results = at_once(support.flag_overdue, support.flag_overdue)
    assert sorted(len(found) for found in results) == [0, 2]
    assert SupportRequest.objects.filter(flagged_at__isnull=False).count() == 2
    assert OutboundEmail.objects.filter(kind="support_overdue").values("to").distinct() \
        .count() == OutboundEmail.objects.filter(kind="support_overdue").count()


@pytest.mark.django_db(transaction=True)
def test_two_answers_at_once_keep_one(world, ask):
    sent = ask()
    token = token_of(sent)

    def answer(text):
        def run():
            try:
                return support.respond(token=token, answer=text).answer
            except DomainError as exc:
                return str(exc)
        return run

    with at(2):
        results = at_once(answer("From Lin."), answer("From Sam."))
    sent.refresh_from_db()
    assert sent.answer in results and support.ANSWERED_ALREADY in results
    assert AuditEntry.objects.filter(action="support_request.answer").count() == 1
    assert OutboundEmail.objects.filter(kind="support_answer").count() == 1


def test_a_second_answer_is_refused_and_the_first_kept(world, ask, reply):
    sent = ask()
    reply(sent, 2, "answer", "First answer.")
    assert reply(sent, 2, "answer", "First answer.").status_code == 302  # the same: no-op
    refused = reply(sent, 3, "answer", "Second thoughts.")
    acknowledged = reply(sent, 4, "acknowledge")

    assert refused.status_code == 400
    assert "answered already" in refused.content.decode()
    assert acknowledged.status_code == 302
    sent.refresh_from_db()
    assert sent.answer == "First answer." and sent.acknowledged_at is None
    assert sum(m.to == ["ada@project.example"] for m in mail.outbox) == 1
    assert AuditEntry.objects.filter(action="support_request.answer").count() == 1


def test_an_answer_needs_its_text(world, ask, reply):
    sent = ask()
    response = reply(sent, 2, "answer", "   ")
    assert response.status_code == 400 and "Write the answer" in response.content.decode()
    sent.refresh_from_db()
    assert sent.status == SupportRequest.Status.SENT and sent.first_response_at is None


@pytest.mark.parametrize("make_token", [
    lambda pk: signing.dumps(pk, salt="another.salt"),
    lambda pk: signing.dumps(pk, salt=support.SALT)[:-3] + "xyz",
    lambda pk: "garbled",
    lambda pk: "a" * 5000,
    lambda pk: signing.dumps(str(pk), salt=support.SALT),
    lambda pk: signing.dumps(pk + 1000, salt=support.SALT),
], ids=["other salt", "forged signature", "garbled", "long", "not an id", "unknown id"])
def test_a_bad_link_gets_a_clear_page_and_writes_nothing(client, world, ask, make_token):
    sent = ask()
    client.logout()
    audits = AuditEntry.objects.count()
    token = make_token(sent.pk)
    for response in (client.get(f"/credits/support/{token}/"),
                     client.post(f"/credits/support/{token}/",
                                 {"action": "answer", "answer": "Hi"})):
        assert response.status_code == 400
        assert "This link is not valid or has expired" in response.content.decode()
    sent.refresh_from_db()
    assert sent.status == SupportRequest.Status.SENT and AuditEntry.objects.count() == audits


def test_an_expired_link_writes_nothing(client, world, ask):
    sent = ask()
    client.logout()
    with at(24 * 91):
        response = client.post(f"/credits/support/{token_of(sent)}/",
                               {"action": "acknowledge"})
    assert response.status_code == 400 and "expired" in response.content.decode()
    sent.refresh_from_db()
    assert sent.first_response_at is None


def test_another_projects_allocation_or_a_non_maintainer_is_a_404(client, world):
    client.force_login(world["maintainer"])
    for path in (url_of(world["other_allocation"]),
                 url_of(Account.objects.get(kind=Account.Kind.POOL)),
                 "/credits/allocations/99999999/support/",
                 f"/credits/allocations/{2**63}/support/"):
        assert client.get(path).status_code == 404
        assert client.post(path, {"subject": "x", "message": "y"}).status_code == 404
    client.force_login(UserFactory())
    assert client.get(url_of(world["allocation"])).status_code == 404
    client.logout()
    assert client.get(url_of(world["allocation"])).status_code == 302  # to log in
    assert not SupportRequest.objects.exists() and not mail.outbox


def test_bad_input_is_refused_with_nothing_written(client, world):
    client.force_login(world["maintainer"])
    response = client.post(url_of(world["allocation"]), {"subject": " ", "message": ""})
    page = response.content.decode()
    assert response.status_code == 400
    assert "Give the request a subject." in page and "Say what you need help with." in page
    assert not SupportRequest.objects.exists()


def test_without_a_confirmed_pledge_there_is_no_contact_to_ask(client, world):
    Pledge.objects.filter(pk=world["pledge"].pk).update(status=Pledge.Status.SUBMITTED)
    client.force_login(world["maintainer"])
    page = client.get(url_of(world["allocation"])).content.decode()
    assert "has named a technical contact yet" in page
    client.post(url_of(world["allocation"]), {"subject": "Help", "message": "Please"})
    assert not SupportRequest.objects.exists()


def test_the_contact_of_the_pledge_that_funds_the_allocation_is_asked(world):
    newer = a_pledge()
    Pledge.objects.filter(pk=newer.pk).update(year=2027, contact_email="new@cloud.example")
    received_credit(newer, world["provider"], "100", date(2028, 1, 1), date(2026, 2, 1))
    assert support.contact_pledge(world["allocation"]) == world["pledge"]  # its lot funds it
    project = a_project()
    posting.receive_contribution(newer.contributions.get())
    assert support.contact_pledge(posting.allocation_account(project, world["provider"])) \
        == newer  # no lot funds it: the newest year


def test_median_and_share_within_the_sla_per_sponsor(world, ask, reply, admin_client,
                                                     client):
    in_time, late = ask(subject="A"), ask(subject="B")
    ask(subject="C")  # never answered: past its deadline, judged late
    reply(in_time, 2, "answer", "Done.")
    reply(late, 30, "acknowledge")
    ask(subject="D", hours=40)  # not due yet: not judged

    with at(41):
        figures = support.sponsor_figures()[world["pledge"].organization_id]
    assert (figures.requests, figures.open, figures.judged, figures.in_time) == (4, 3, 3, 1)
    assert figures.median == timedelta(hours=16)  # of 2 and 30 hours
    assert figures.percent_in_time == "33%" and figures.median_words == "16\xa0hours"

    with at(41):
        page = admin_client.get("/admin/credits/supportrequest/").content.decode()
    assert "33% of 3" in page and "16\xa0hours" in page

    sponsor = world["pledge"].organization
    admin = UserFactory()
    OrganizationRole.objects.create(organization=sponsor, user=admin, role=Role.ADMIN)
    client.force_login(admin)
    with at(41):
        panel = client.get(sponsor.get_absolute_url()).content.decode()
    assert "Projects’ requests to your technical contact" in panel
    assert "33% of 3" in panel and "16\xa0hours" in panel


def test_the_figures_read_a_constant_number_of_queries(world, ask, admin_client):
    def queries():
        with CaptureQueriesContext(connection) as captured:
            admin_client.get("/admin/credits/supportrequest/")
        return len(captured)

    ask(subject="one")
    few = queries()
    for n in range(5):
        ask(subject=f"more {n}")
    # A second sponsor, whose credits the project also uses, with its own requests.
    provider, pledge = a_provider(), a_pledge()
    posting.receive_contribution(received_credit(pledge, provider, "900", date(2027, 12, 31),
                                                 date(2026, 1, 5)))
    posting.allocate(world["project"], provider, Decimal("100"), key="test:c",
                     on=date(2026, 1, 6))
    allocation = posting.allocation_account(world["project"], provider)
    for n in range(3):
        support.request_send(allocation=allocation, actor=world["maintainer"],
                             subject=f"other {n}", message="Help")
    assert len(support.sponsor_figures()) == 2
    assert queries() == few


def test_a_response_within_a_minute_reads_as_under_a_minute(world, ask, reply, client):
    quick, slow = ask(subject="Quick"), ask(subject="Slow")
    reply(quick, 0.01, "acknowledge")  # 36 seconds
    reply(slow, 3.5, "acknowledge")
    client.force_login(world["maintainer"])
    with at(4):
        page = client.get(url_of(world["allocation"])).content.decode()
    assert "First response after under a minute." in page
    assert "First response after 3\xa0hours, 30\xa0minutes." in page
    assert "after 0\xa0minutes" not in page
