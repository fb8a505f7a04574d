"""Staff's admin for projects: every decision goes through its service, from the project's
page or as an action, and a refusal is an error message with nothing written; the change page
shows the whole application; the TAC roster and votes; the CSV; the queues on the index; the
lists' queries do not grow with the projects; staff need a second factor."""

import csv
import io
from datetime import timedelta
from io import StringIO

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.messages import get_messages
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from foundation.audit import long_date
from foundation.models import AuditEntry
from members.demo_programme import seed_catalogue
from members.demo_scale import seed_scale as seed_members
from members.models import Membership
from projects.demo_scale import seed_scale
from projects.models import (
    Ballot,
    EcosystemDecision,
    Project,
    TacMember,
    TacVote,
    Tag,
)
from projects.services import review, sponsorship, votes
from projects.services.common import add_months
from tests.accounts.factories import OrganizationFactory, UserFactory
from tests.foundation.test_admin_changelists import reads_every_row
from tests.foundation.test_admin_queues import queue_rows, written
from tests.projects.conftest import full_application

pytestmark = pytest.mark.django_db

PROJECTS = "/admin/projects/project/"
SEATS = "/admin/projects/tacmember/"
VOTES = "/admin/projects/tacvote/"


def messages_of(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def audit_count() -> int:
    return AuditEntry.objects.count()


@pytest.fixture
def post(admin_client, django_capture_on_commit_callbacks):
    """A staff POST whose after-commit work (e-mails) runs."""
    def send(url, data=None, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return admin_client.post(url, data or {}, **kwargs)

    return send


@pytest.fixture
def in_review(submit, staff):
    def make(**overrides) -> Project:
        project = submit(full_application(**overrides))
        review.review_start(project_id=project.pk, actor=staff)
        project.refresh_from_db()
        return project

    return make


@pytest.fixture
def candidate(ecosystem, tac):
    """A candidate and the TAC's three voting members (the first sponsored it)."""
    project = ecosystem()
    members = tac(3)
    sponsorship.sponsor(project_id=project.pk, actor=members[0], statement="Ready to host.")
    project.refresh_from_db()
    return project, members


def closing(days: int = 7) -> str:
    """A closing date as the form's datetime-local field sends it."""
    moment = timezone.localtime() + timedelta(days=days)
    return moment.strftime("%Y-%m-%dT%H:%M")


def action(admin_client, action_name, projects, post, **data):
    return post(PROJECTS, {"action": action_name,
                           ACTION_CHECKBOX_NAME: [p.pk for p in projects], **data})


# The staff e-mail's link


def test_the_change_page_keeps_the_address_the_staff_email_links_to(submit, admin_client):
    project = submit()
    assert reverse("admin:projects_project_change", args=[project.pk]) == (
        f"/admin/projects/project/{project.pk}/change/")
    assert admin_client.get(f"{PROJECTS}{project.pk}/change/").status_code == 200


# Start the review


def test_staff_start_the_review_from_the_project_page(submit, post, admin_user):
    project = submit()
    response = post(f"{PROJECTS}{project.pk}/review/")
    assert response["Location"] == f"{PROJECTS}{project.pk}/change/"
    project.refresh_from_db()
    assert project.status == Project.Status.IN_REVIEW
    assert AuditEntry.objects.get(action="project.review_start").actor == admin_user
    assert any("is in review" in m for m in messages_of(response))


def test_starting_the_review_of_an_ecosystem_project_is_refused_and_writes_nothing(
        ecosystem, post):
    project = ecosystem()
    before = audit_count()
    response = post(f"{PROJECTS}{project.pk}/review/")
    assert response.status_code == 200
    assert any("cannot" in m.lower() or "not allowed" in m.lower() or "ecosystem" in m.lower()
               for m in messages_of(response)), messages_of(response)
    project.refresh_from_db()
    assert project.status == Project.Status.ECOSYSTEM
    assert audit_count() == before


def test_the_start_review_action_takes_each_and_names_the_refused_one(submit, ecosystem,
                                                                      admin_client, post):
    waiting = submit()
    approved = ecosystem(name="Other", repositories=["https://github.com/example/other"])
    response = action(admin_client, "start_review", [waiting, approved], post)
    assert response.status_code == 302
    waiting.refresh_from_db()
    approved.refresh_from_db()
    assert waiting.status == Project.Status.IN_REVIEW
    assert approved.status == Project.Status.ECOSYSTEM
    shown = messages_of(response)
    assert "1 project(s) taken into review." in shown
    assert any(m.startswith("Other: ") for m in shown)


# Request changes


def test_requesting_changes_without_feedback_is_refused_and_writes_nothing(in_review, post):
    project = in_review()
    before, outbox = audit_count(), len(mail.outbox)
    response = post(f"{PROJECTS}{project.pk}/changes/", {"feedback": "   "})
    assert response.status_code == 200
    assert "Say what should change: the maintainers read this feedback." in messages_of(
        response)
    project.refresh_from_db()
    assert project.status == Project.Status.IN_REVIEW and project.feedback == ""
    assert audit_count() == before and len(mail.outbox) == outbox


def test_staff_request_changes_with_feedback_and_the_maintainers_are_told(in_review, post,
                                                                          maintainer):
    project = in_review()
    mail.outbox.clear()
    response = post(f"{PROJECTS}{project.pk}/changes/",
                    {"feedback": "Add a security policy."})
    assert response.status_code == 302
    project.refresh_from_db()
    assert project.status == Project.Status.CHANGES_REQUESTED
    assert project.feedback == "Add a security policy."
    assert [m.to for m in mail.outbox] == [[maintainer.email]]


def test_the_request_changes_action_asks_the_feedback_then_sends_each_back(in_review,
                                                                         admin_client, post):
    project = in_review()
    asked = action(admin_client, "request_changes", [project], post)
    assert asked.status_code == 200 and 'name="feedback"' in asked.content.decode()
    project.refresh_from_db()
    assert project.status == Project.Status.IN_REVIEW  # nothing until the feedback is given
    done = action(admin_client, "request_changes", [project], post, apply="1",
                  feedback="Add a contributing guide.")
    assert done.status_code == 302
    project.refresh_from_db()
    assert project.status == Project.Status.CHANGES_REQUESTED


# The working group's decision


def test_the_decision_page_shows_the_reapply_date_a_decline_sets(in_review, admin_client):
    project = in_review()
    page = admin_client.get(f"{PROJECTS}{project.pk}/decide/").content.decode()
    assert long_date(add_months(timezone.localdate(), 3)) in page


def test_staff_record_an_approval_with_its_vote_counts(in_review, post, admin_user):
    project = in_review()
    response = post(f"{PROJECTS}{project.pk}/decide/",
                    {"outcome": "approve", "yes": "5", "no": "2", "abstain": "1"})
    assert response.status_code == 302
    decision = EcosystemDecision.objects.get(project=project)
    assert (decision.outcome, decision.yes, decision.no, decision.abstain) == (
        "approved", 5, 2, 1)
    assert decision.decided_by == admin_user
    project.refresh_from_db()
    assert project.status == Project.Status.ECOSYSTEM


def test_a_decline_without_feedback_is_refused_and_with_it_sets_the_reapply_date(in_review,
                                                                                  post):
    project = in_review()
    before = audit_count()
    refused = post(f"{PROJECTS}{project.pk}/decide/",
                   {"outcome": "decline", "yes": "1", "no": "4", "abstain": "0"})
    assert refused.status_code == 200
    assert any(m.startswith("A decline needs feedback") for m in messages_of(refused))
    assert not EcosystemDecision.objects.exists() and audit_count() == before
    done = post(f"{PROJECTS}{project.pk}/decide/",
                {"outcome": "decline", "yes": "1", "no": "4", "abstain": "0",
                 "feedback": "Too early: no release yet."})
    assert done.status_code == 302
    project.refresh_from_db()
    assert project.status == Project.Status.DECLINED
    assert project.reapply_on == add_months(timezone.localdate(), 3)


def test_an_outcome_the_counts_contradict_is_a_form_error_with_nothing_written(in_review,
                                                                              post):
    project = in_review()
    before = audit_count()
    response = post(f"{PROJECTS}{project.pk}/decide/",
                    {"outcome": "approve", "yes": "1", "no": "4", "abstain": "0"})
    assert response.status_code == 200
    assert "is a majority against" in response.content.decode()
    assert not EcosystemDecision.objects.exists() and audit_count() == before


def test_a_tie_is_refused_by_the_service_as_a_message(in_review, post):
    project = in_review()
    response = post(f"{PROJECTS}{project.pk}/decide/",
                    {"outcome": "approve", "yes": "3", "no": "3", "abstain": "0"})
    assert any(m.startswith("A tie (3 for, 3 against)") for m in messages_of(response))
    assert not EcosystemDecision.objects.exists()


@pytest.mark.parametrize("value", ["-1", "abc", "1001", "\x00"])
def test_odd_counts_are_form_errors_not_server_errors(in_review, post, value):
    project = in_review()
    response = post(f"{PROJECTS}{project.pk}/decide/",
                    {"outcome": "approve", "yes": value, "no": "0"})
    assert response.status_code == 200
    assert not EcosystemDecision.objects.exists()


# The TAC vote


def test_staff_open_a_vote_and_close_it_now_from_the_project_page(candidate, post, admin_user):
    project, members = candidate
    page = post(f"{PROJECTS}{project.pk}/vote/", {"closes_at": closing(7)})
    assert page.status_code == 302
    vote = TacVote.objects.get(project=project, closed_at=None)
    assert vote.opened_by == admin_user
    assert {m.to[0] for m in mail.outbox if "vote" in m.subject.lower()} >= {
        m.email for m in members}
    for member in members[:2]:
        votes.ballot_cast(vote_id=vote.pk, voter=member, choice="yes")
    closed = post(f"{PROJECTS}{project.pk}/close-vote/")
    assert closed.status_code == 302
    vote.refresh_from_db()
    assert (vote.result, vote.yes, vote.eligible, vote.closed_by) == ("passed", 2, 3,
                                                                      admin_user)
    project.refresh_from_db()
    assert project.status == Project.Status.HOSTED


def test_a_vote_closing_in_the_past_is_refused_and_writes_nothing(candidate, post):
    project, _ = candidate
    before = audit_count()
    response = post(f"{PROJECTS}{project.pk}/vote/", {"closes_at": closing(-1)})
    assert response.status_code == 200
    assert any("in the past" in m for m in messages_of(response))
    assert not TacVote.objects.exists() and audit_count() == before


def test_closing_when_no_vote_is_open_is_a_message(candidate, post):
    project, _ = candidate
    response = post(f"{PROJECTS}{project.pk}/close-vote/")
    assert "No vote is open on it." in messages_of(response)


def test_the_vote_actions_open_and_close_each_selected_candidate(candidate, admin_client,
                                                                 post, submit):
    project, members = candidate
    draft_ish = submit(full_application(
        name="Elsewhere", repositories=["https://github.com/example/else"]))
    response = action(admin_client, "open_vote", [project, draft_ish], post, apply="1",
                      closes_at=closing(5))
    shown = messages_of(response)
    assert "1 vote(s) opened." in shown
    assert any(m.startswith("Elsewhere: The TAC votes only on candidates") for m in shown)
    vote = TacVote.objects.get(project=project)
    votes.ballot_cast(vote_id=vote.pk, voter=members[0], choice="no")
    response = action(admin_client, "close_vote", [project], post)
    assert "1 vote(s) closed and counted." in messages_of(response)
    vote.refresh_from_db()
    assert (vote.result, vote.no) == ("failed", 1)
    project.refresh_from_db()
    assert project.status == Project.Status.CANDIDATE


# Archive


def test_archiving_needs_a_reason(ecosystem, post):
    project = ecosystem()
    refused = post(f"{PROJECTS}{project.pk}/archive/", {"note": ""})
    assert "Say why the project is archived." in messages_of(refused)
    project.refresh_from_db()
    assert project.status == Project.Status.ECOSYSTEM
    done = post(f"{PROJECTS}{project.pk}/archive/", {"note": "Unmaintained since 2024."})
    assert done.status_code == 302
    project.refresh_from_db()
    assert project.status == Project.Status.ARCHIVED


def test_a_status_is_never_edited_on_the_change_form(submit, post, admin_client):
    project = submit()
    before = Project.objects.values_list("updated_at", flat=True).get(pk=project.pk)
    assert 'name="_save"' not in admin_client.get(
        f"{PROJECTS}{project.pk}/change/").content.decode()
    post(f"{PROJECTS}{project.pk}/change/", {"status": "hosted", "name": "Renamed"})
    project.refresh_from_db()
    assert (project.status, project.name) == (Project.Status.SUBMITTED, "TorchWave")
    assert project.updated_at == before  # nothing saved at all


# The change page


def test_the_change_page_shows_the_application_its_people_decisions_votes_and_history(
        candidate, admin_client, maintainer, staff, django_capture_on_commit_callbacks):
    project, members = candidate
    vote = votes.vote_open(project_id=project.pk, actor=staff,
                           closes_at=timezone.now() + timedelta(days=3))
    votes.ballot_cast(vote_id=vote.pk, voter=members[1], choice="abstain",
                      comment="I advise this project.")
    page = admin_client.get(f"{PROJECTS}{project.pk}/change/").content.decode()
    for text in ["Signal processing on PyTorch tensors.", "https://github.com/example/torchwave",
                 str(maintainer), "Ready to host.", "I advise this project.", "Abstain",
                 "Ecosystem Working Group decisions", "Review started", "Candidate",
                 "Open the TAC vote", "Close the vote now", "Archive"]:
        assert text in page, text
    # The vote's own page lists its ballots too.
    vote_page = admin_client.get(f"{VOTES}{vote.pk}/change/").content.decode()
    assert "I advise this project." in vote_page
    assert Ballot.objects.count() == 1


def test_nobody_adds_or_deletes_a_project_in_the_admin(submit, admin_client):
    project = submit()
    assert admin_client.get(f"{PROJECTS}add/").status_code == 403
    assert admin_client.post(f"{PROJECTS}{project.pk}/delete/", {"post": "yes"}).status_code \
        == 403
    assert Project.objects.filter(pk=project.pk).exists()


def test_the_list_shows_the_waiting_time_in_words(submit, admin_client):
    project = submit()
    Project.objects.filter(pk=project.pk).update(
        submitted_at=timezone.now() - timedelta(days=12, hours=3))
    page = admin_client.get(PROJECTS).content.decode()
    assert "12 days" in page
    Project.objects.filter(pk=project.pk).update(
        submitted_at=timezone.now() - timedelta(days=1, hours=3))
    assert "1 day<" in admin_client.get(PROJECTS).content.decode()


def test_the_list_filters_by_status_category_and_tag(submit, admin_client, ecosystem):
    tag = Tag.objects.create(name="Audio", slug="audio")
    tagged = ecosystem(name="Tagged", repositories=["https://github.com/example/tagged"],
                       category=Project.Category.PLATFORM)
    tagged.tags.add(tag)
    other = submit(full_application(
        name="Plain", repositories=["https://github.com/example/plain"]))

    def listed(query):
        return {p.pk for p in admin_client.get(f"{PROJECTS}?{query}").context["cl"].result_list}

    assert listed("status__exact=ecosystem") == {tagged.pk}
    assert listed("category__exact=vertical") == {other.pk}
    assert listed(f"tags__id__exact={tag.pk}") == {tagged.pk}
    assert listed("q=plain") == {other.pk}


# The TAC roster and votes


def test_staff_add_a_tac_member_through_the_service_and_again_is_refused(admin_client, post,
                                                                         admin_user):
    seed_catalogue()
    seed_members(2, StringIO())
    first, second = Membership.objects.filter(status=Membership.Status.ACTIVE)[:2]
    person = UserFactory()
    response = post(f"{SEATS}add/", {"email": person.email.upper(),
                                     "organization": first.organization_id,
                                     "voting": "on", "note": "Chair"})
    seat = TacMember.objects.get(user=person)
    assert response["Location"] == f"{SEATS}{seat.pk}/change/"
    assert (seat.voting, seat.organization, seat.membership, seat.added_by) == (
        True, first.organization, None, admin_user)
    assert AuditEntry.objects.filter(action="tac.add").count() == 1
    representative = UserFactory()
    post(f"{SEATS}add/", {"email": representative.email, "membership": second.pk,
                          "voting": "on"})
    seat = TacMember.objects.get(user=representative)
    assert (seat.membership, seat.organization) == (second, second.organization)
    mismatch = UserFactory()
    refused = post(f"{SEATS}add/", {"email": mismatch.email, "membership": second.pk,
                                    "organization": first.organization_id})
    assert any("This membership is" in m for m in messages_of(refused))
    assert not TacMember.objects.filter(user=mismatch).exists()
    again = post(f"{SEATS}add/", {"email": person.email})
    assert again.status_code == 200
    assert f"{person} is on the TAC roster already." in messages_of(again)
    assert TacMember.objects.filter(user=person).count() == 1


@pytest.mark.parametrize("email", ["nobody@example.org", "abc\x00", "x" * 300])
def test_an_unknown_or_odd_email_on_the_add_page_is_a_form_error(post, email):
    response = post(f"{SEATS}add/", {"email": email})
    assert response.status_code == 200 and not TacMember.objects.exists()
    if email == "nobody@example.org":
        assert "No active portal account has the e-mail" in response.content.decode()


def test_a_lapsed_premier_representative_shows_as_not_voting(admin_client, tac):
    seed_catalogue()
    seed_members(3, StringIO())
    membership = Membership.objects.filter(status=Membership.Status.ACTIVE).first()
    representative = UserFactory(email="rep@example.org")
    TacMember.objects.create(user=representative, membership=membership,
                             organization=membership.organization)
    tac(1)
    page = admin_client.get(SEATS).content.decode()
    assert "No: membership lapsed" not in page
    Membership.objects.filter(pk=membership.pk).update(status=Membership.Status.LAPSED)
    page = admin_client.get(SEATS).content.decode()
    assert "No: membership lapsed" in page
    assert page.count('field-votes_now">Yes<') == 1  # the other seat still votes


def test_the_voting_actions_go_through_the_service(admin_client, tac, post):
    [person] = tac(1)
    seat = TacMember.objects.get(user=person)
    post(SEATS, {"action": "make_non_voting", ACTION_CHECKBOX_NAME: [seat.pk]})
    seat.refresh_from_db()
    assert seat.voting is False
    assert AuditEntry.objects.filter(action="tac.voting").count() == 1
    post(SEATS, {"action": "remove", ACTION_CHECKBOX_NAME: [seat.pk], "apply": "1",
                 "note": "Term ended"})
    seat.refresh_from_db()
    assert seat.ends_at is not None
    assert "No: left the roster" in admin_client.get(SEATS).content.decode()


def test_votes_are_read_only_with_their_counts(candidate, admin_client, staff):
    project, members = candidate
    vote = votes.vote_open(project_id=project.pk, actor=staff,
                           closes_at=timezone.now() + timedelta(days=3))
    votes.ballot_cast(vote_id=vote.pk, voter=members[0], choice="yes")
    votes.vote_close(vote_id=vote.pk, actor=staff)
    page = admin_client.get(VOTES).content.decode()
    assert "1 yes, 0 no, 0 abstaining, of 3 voting members" in page
    assert admin_client.get(f"{VOTES}add/").status_code == 403
    response = admin_client.post(f"{VOTES}{vote.pk}/change/", {"result": "passed"})
    vote.refresh_from_db()
    assert vote.result == "failed" and response.status_code in (200, 302, 403)


# CSV


def test_the_csv_export_gives_each_project_with_its_dates(candidate, admin_client, staff,
                                                         post):
    project, members = candidate
    tag = Tag.objects.create(name="Audio", slug="audio")
    project.tags.add(tag)
    backer = OrganizationFactory(legal_name="Backer Inc.")
    Project.objects.filter(pk=project.pk).update(backing_organization=backer)
    vote = votes.vote_open(project_id=project.pk, actor=staff,
                           closes_at=timezone.now() + timedelta(days=3))
    for member in members:
        votes.ballot_cast(vote_id=vote.pk, voter=member, choice="yes")
    votes.vote_close(vote_id=vote.pk, actor=staff)
    response = post(PROJECTS, {"action": "export_csv", ACTION_CHECKBOX_NAME: [project.pk]})
    assert response["Content-Type"] == "text/csv"
    assert response.streaming
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    today = timezone.localdate().isoformat()
    assert rows == [
        ["name", "status", "category", "tags", "repositories", "licence",
         "backing organization", "submitted", "decided", "hosted"],
        ["TorchWave", "Foundation-hosted", "Vertical", "Audio",
         "https://github.com/example/torchwave", "Apache-2.0", "Backer Inc.", today, today,
         today],
    ]


# Queues


def test_the_index_shows_the_projects_queues_with_counts_and_oldest_dates(
        submit, in_review, candidate, admin_client, staff):
    waiting = submit(full_application(
        name="Waiting", repositories=["https://github.com/example/waiting"]))
    Project.objects.filter(pk=waiting.pk).update(
        submitted_at=timezone.now() - timedelta(days=9))
    in_review(name="Reviewed", repositories=["https://github.com/example/reviewed"])
    project, _ = candidate
    shown = queue_rows(admin_client.get("/admin/"))
    today = timezone.localdate()
    assert shown["Projects to review"]["cells"][1:] == [
        "1 project to review", f"oldest submitted {written(today - timedelta(days=9))}"]
    assert shown["Projects to decide"]["cells"][1:] == [
        "1 project to decide", f"oldest in review since {written(today)}"]
    assert shown["Candidates waiting for a vote"]["cells"][1] == "1 candidate waiting for a vote"
    assert shown["TAC votes closing soon"]["cells"][1:] == ["Nothing waiting"]
    votes.vote_open(project_id=project.pk, actor=staff,
                    closes_at=timezone.now() + timedelta(days=3))
    shown = queue_rows(admin_client.get("/admin/"))
    assert shown["Candidates waiting for a vote"]["cells"][1:] == ["Nothing waiting"]
    assert shown["TAC votes closing soon"]["cells"][1] == "1 TAC vote closing soon"
    listed = admin_client.get(shown["TAC votes closing soon"]["url"]).context["cl"]
    assert [v.project_id for v in listed.result_list] == [project.pk]
    listed = admin_client.get(shown["Projects to review"]["url"]).context["cl"]
    assert [p.pk for p in listed.result_list] == [waiting.pk]


# Speed


def captured(client, path: str) -> list[str]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(path)
    assert response.status_code == 200, path
    assert response.context["cl"].result_count > 0, path
    return [q["sql"] for q in queries.captured_queries]


def test_the_project_list_runs_the_same_queries_at_3_projects_and_at_60(admin_client,
                                                                      monkeypatch):
    from django.contrib import admin

    monkeypatch.setattr(admin.site.get_model_admin(Project), "list_per_page", 10)
    tag = Tag.objects.create(name="Audio", slug="audio")

    def grow(n):
        seed_scale(n, StringIO())
        tag.projects.add(*Project.objects.filter(tags=None))

    paths = [PROJECTS, f"{PROJECTS}?o=-4", f"{PROJECTS}?tags__id__exact={tag.pk}",
             f"{PROJECTS}?q=a"]
    grow(3)
    Project.objects.filter(pk=Project.objects.first().pk).update(name="Alpha")
    for path in paths:  # warm what is cached once per process (content types, ...)
        captured(admin_client, path)
    small = {path: captured(admin_client, path) for path in paths}
    grow(57)
    large = {path: captured(admin_client, path) for path in paths}
    for path in paths:
        assert len(large[path]) == len(small[path]), path
        assert not [sql for sql in large[path] if reads_every_row(sql, "projects_project")], \
            path


# A second factor


def test_staff_without_a_second_factor_reach_no_project_page_and_change_nothing(client,
                                                                               submit):
    project = submit()
    staff = UserFactory(is_staff=True, is_superuser=True, second_factor=False)
    client.force_login(staff)
    for path in [PROJECTS, f"{PROJECTS}{project.pk}/change/", SEATS, VOTES]:
        assert client.get(path)["Location"] == "/accounts/2fa/", path
    response = client.post(f"{PROJECTS}{project.pk}/review/")
    assert response["Location"] == "/accounts/2fa/"
    project.refresh_from_db()
    assert project.status == Project.Status.SUBMITTED

