"""The TAC voting members' pages: the queue, sponsoring with a statement (refused with the
service's message for a project the member maintains or their organization backs), a vote
cast and changed until it closes, and a 404 for anyone who does not vote on the TAC."""

from datetime import timedelta

import pytest
from django.utils import timezone
from django.utils.html import escape

from foundation.accounts.models import OrganizationRole, Role
from projects.models import Ballot, Project, ProjectMaintainer, Sponsorship, TacMember
from projects.services import sponsorship, votes
from tests.accounts.factories import OrganizationFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def member(tac, client):
    """A voting member of the TAC, signed in."""
    [user] = tac(1)
    client.force_login(user)
    return user


@pytest.fixture
def open_vote(ecosystem, tac, staff):
    """A candidate with a vote open for a week, and the two voting members who sponsored and
    will vote."""
    project = ecosystem(name="Candidate Wave",
                        repositories=["https://github.com/example/candidate"])
    sponsor_, other = tac(2)
    sponsorship.sponsor(project_id=project.pk, actor=sponsor_, statement="Ready.")
    vote = votes.vote_open(project_id=project.pk, actor=staff,
                           closes_at=timezone.now() + timedelta(days=7))
    return project, vote, other


def test_someone_who_does_not_vote_on_the_tac_gets_404s(client, ecosystem, tac, open_vote):
    project = ecosystem()
    non_voting = UserFactory()
    TacMember.objects.create(user=non_voting, voting=False)
    for person in (UserFactory(), non_voting):
        client.force_login(person)
        assert client.get("/projects/tac/").status_code == 404
        assert client.get(f"/projects/tac/{project.slug}/").status_code == 404
        response = client.post(f"/projects/tac/{project.slug}/",
                               {"action": "sponsor", "statement": "Me too."})
        assert response.status_code == 404
        vote_project = open_vote[0]
        response = client.post(f"/projects/tac/{vote_project.slug}/",
                               {"action": "vote", "choice": "yes"})
        assert response.status_code == 404
    assert not Sponsorship.objects.filter(project=project).exists()
    assert not Ballot.objects.exists()
    client.logout()
    assert client.get("/projects/tac/").status_code == 302  # to log in


def test_the_queue_shows_projects_asking_and_open_votes(client, member, ecosystem,
                                                        maintainer, open_vote):
    asking = ecosystem(name="Asking Wave", repositories=["https://github.com/example/asking"])
    sponsorship.sponsorship_request(project_id=asking.pk, actor=maintainer, member=member)
    html = client.get("/projects/tac/").content.decode()
    assert "Asking Wave" in html and "Asks you" in html
    assert "Candidate Wave" in html and "You have not voted yet" in html
    dashboard = client.get("/dashboard/").content.decode()
    assert "Vote on Candidate Wave" in dashboard
    assert "Asking Wave</strong> asks you to sponsor it" in dashboard


def test_a_member_sponsors_an_ecosystem_project_with_a_statement(client, member, ecosystem):
    project = ecosystem()
    url = f"/projects/tac/{project.slug}/"
    assert "Sponsor TorchWave" in client.get(url).content.decode()
    response = client.post(url, {"action": "sponsor", "statement": "  "})
    assert response.status_code == 400
    assert "Write your sponsorship statement" in response.content.decode()
    response = client.post(url, {"action": "sponsor", "statement": "Well run, widely used."})
    assert response.status_code == 302
    project.refresh_from_db()
    assert project.status == Project.Status.CANDIDATE
    assert Sponsorship.objects.get().statement == "Well run, widely used."


def test_a_member_cannot_sponsor_a_project_they_maintain(client, member, ecosystem):
    project = ecosystem()
    ProjectMaintainer.objects.create(project=project, user=member)
    response = client.post(f"/projects/tac/{project.slug}/",
                           {"action": "sponsor", "statement": "Mine is great."})
    assert response.status_code == 400
    assert escape("You maintain TorchWave, so you cannot sponsor it: ask another voting "
                  "member of the TAC.") in response.content.decode()
    project.refresh_from_db()
    assert project.status == Project.Status.ECOSYSTEM and not Sponsorship.objects.exists()


def test_a_member_cannot_sponsor_a_project_their_organization_backs(client, member,
                                                                    ecosystem):
    org = OrganizationFactory(display_name="Wave Labs")
    OrganizationRole.objects.create(organization=org, user=member, role=Role.TECHNICAL)
    project = ecosystem(backing_organization=org)
    response = client.post(f"/projects/tac/{project.slug}/",
                           {"action": "sponsor", "statement": "Ours is great."})
    assert response.status_code == 400
    assert escape("TorchWave is backed by Wave Labs, your organization, so you cannot "
                  "sponsor it") in response.content.decode()
    project.refresh_from_db()
    assert project.status == Project.Status.ECOSYSTEM and not Sponsorship.objects.exists()


def test_a_vote_is_cast_shown_and_changed_until_it_closes(client, open_vote, time_machine):
    project, vote, voter = open_vote
    client.force_login(voter)
    url = f"/projects/tac/{project.slug}/"
    html = client.get(url).content.decode()
    assert f"The vote closes on <strong>{votes.when(vote.closes_at)}</strong>" in html
    assert "You have not voted yet." in html

    response = client.post(url, {"action": "vote", "choice": "yes", "comment": "Ready."})
    assert response.status_code == 302
    html = client.get(url).content.decode()
    assert "Your vote: <strong>Yes</strong>" in html and "Change my vote" in html

    client.post(url, {"action": "vote", "choice": "no", "comment": "On reflection, not yet."})
    ballot = Ballot.objects.get()
    assert (ballot.voter, ballot.choice, ballot.comment) == (voter, "no",
                                                             "On reflection, not yet.")

    response = client.post(url, {"action": "vote", "choice": "maybe"})
    assert response.status_code == 400 and Ballot.objects.get().choice == "no"

    time_machine.move_to(vote.closes_at + timedelta(minutes=1))
    response = client.post(url, {"action": "vote", "choice": "yes"})
    assert response.status_code == 400
    assert "The vote on Candidate Wave has closed." in response.content.decode()
    assert Ballot.objects.get().choice == "no"


def test_an_unknown_or_hosted_project_is_a_404_for_the_tac(client, member, submit):
    draft = submit()
    assert client.get(f"/projects/tac/{draft.slug}/").status_code == 404
    assert client.get("/projects/tac/no-such-project/").status_code == 404
