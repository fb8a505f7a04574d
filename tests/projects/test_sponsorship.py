"""From ecosystem to candidate: only a TAC voting member sponsors, never a project they
maintain or their organization backs; a maintainer's request reaches the member once."""

import pytest
from django.core import mail

from foundation.accounts.models import OrganizationRole, Role
from foundation.models import AuditEntry
from foundation.transitions import DomainError
from projects.models import Project, ProjectMaintainer, Sponsorship, SponsorshipRequest
from projects.services import sponsorship
from tests.accounts.factories import OrganizationFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_a_voting_member_sponsors_an_ecosystem_project_which_becomes_a_candidate(
        ecosystem, tac):
    project = ecosystem()
    [member] = tac(1)
    made = sponsorship.sponsor(project_id=project.pk, actor=member,
                               statement="A strong fit for the foundation.")
    project.refresh_from_db()
    assert project.status == Project.Status.CANDIDATE
    assert made.statement == "A strong fit for the foundation."
    entry = AuditEntry.objects.get(action="project.sponsor")
    assert (entry.old_value, entry.new_value["status"]) == ({"status": "ecosystem"},
                                                            "candidate")


def refused(project, member, message):
    with pytest.raises(DomainError) as caught:
        sponsorship.sponsor(project_id=project.pk, actor=member, statement="I back it.")
    assert str(caught.value) == message
    project.refresh_from_db()
    assert project.status == Project.Status.ECOSYSTEM
    assert not Sponsorship.objects.exists()


def test_a_member_cannot_sponsor_a_project_they_maintain(ecosystem, tac):
    project = ecosystem()
    [member] = tac(1)
    ProjectMaintainer.objects.create(project=project, user=member)
    refused(project, member, "You maintain TorchWave, so you cannot sponsor it: ask another "
                             "voting member of the TAC.")


def test_a_member_cannot_sponsor_a_project_their_organization_backs(ecosystem, tac):
    org = OrganizationFactory(display_name="Wave Labs")
    project = ecosystem(backing_organization=org)
    [member] = tac(1)
    OrganizationRole.objects.create(organization=org, user=member, role=Role.TECHNICAL)
    refused(project, member, "TorchWave is backed by Wave Labs, your organization, so you "
                             "cannot sponsor it: ask a voting member of the TAC from another "
                             "organization.")


def test_only_a_voting_member_sponsors(ecosystem, tac):
    project = ecosystem()
    [observer] = tac(1, voting=False)
    refused(project, observer, "Only a voting member of the TAC can sponsor a project.")
    refused(project, UserFactory(), "Only a voting member of the TAC can sponsor a project.")


def test_a_statement_is_needed(ecosystem, tac):
    project = ecosystem()
    [member] = tac(1)
    with pytest.raises(DomainError, match="Write your sponsorship statement"):
        sponsorship.sponsor(project_id=project.pk, actor=member, statement=" ")


def test_a_maintainer_asks_a_member_once(ecosystem, tac, maintainer,
                                         django_capture_on_commit_callbacks):
    project = ecosystem()
    [member] = tac(1)
    mail.outbox.clear()
    for _ in range(2):
        with django_capture_on_commit_callbacks(execute=True):
            sponsorship.sponsorship_request(project_id=project.pk, actor=maintainer,
                                            member=member, message="Would you sponsor us?")
    [message] = mail.outbox
    assert message.to == [member.email]
    assert message.subject == f"{maintainer} asks you to sponsor TorchWave"
    assert "Would you sponsor us?" in message.body
    assert SponsorshipRequest.objects.count() == 1


def test_a_maintainer_cannot_ask_a_member_whose_organization_backs_the_project(
        ecosystem, tac, maintainer):
    org = OrganizationFactory(display_name="Wave Labs")
    project = ecosystem(backing_organization=org)
    [member] = tac(1)
    OrganizationRole.objects.create(organization=org, user=member, role=Role.ADMIN)
    with pytest.raises(DomainError, match="backed by Wave Labs, their organization, so they"):
        sponsorship.sponsorship_request(project_id=project.pk, actor=maintainer, member=member)
    assert not SponsorshipRequest.objects.exists()


def test_sponsoring_twice_changes_nothing(ecosystem, tac):
    project = ecosystem()
    [member] = tac(1)
    first = sponsorship.sponsor(project_id=project.pk, actor=member, statement="Yes.")
    again = sponsorship.sponsor(project_id=project.pk, actor=member, statement="Yes.")
    assert again.pk == first.pk and Sponsorship.objects.count() == 1
    assert AuditEntry.objects.filter(action="project.sponsor").count() == 1
