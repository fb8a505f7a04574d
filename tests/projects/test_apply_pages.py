"""The maintainer's pages: /projects/apply/ (drafts finished later, the criteria checklist,
the services' messages beside their fields with nothing written), another maintainer's
application a 404, resubmission after changes are requested, the invitation's link, and
"Your projects" on /dashboard/ in a constant number of queries."""

import re
from datetime import timedelta

import pytest
from django.core import signing
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django.utils.html import escape

from foundation.accounts.models import OrganizationRole, Role
from foundation.audit import long_date
from foundation.models import AuditEntry
from projects.models import (
    MaintainerInvitation,
    Project,
    ProjectMaintainer,
    ProjectRepository,
    SponsorshipRequest,
)
from projects.services import application, review
from projects.services.application import INVITATION_SALT, invitation_token
from tests.accounts.factories import OrganizationFactory, UserFactory

from .conftest import full_application

pytestmark = pytest.mark.django_db

APPLY = "/projects/apply/"


def form_data(**overrides) -> dict:
    """The application page's fields, filled in for a submission."""
    data = {
        "name": "TorchWave", "summary": "Signal processing on PyTorch tensors.",
        "description": "TorchWave brings wavelet transforms to PyTorch.",
        "similar_projects": "PyWavelets",
        "repositories": "https://github.com/example/torchwave\nhttps://github.com/example/tw-docs",
        "license": "Apache-2.0", "documentation_url": "https://torchwave.example.org/docs/",
        "ci_url": "https://github.com/example/torchwave/actions",
        "pytorch_versions": "2.5, 2.6 and 2.7", "components": "torch.fft, torch.compile",
        "maintenance_horizon": "At least three years", "category": "vertical",
        "openssf_badge": "none", "step": "submit",
    }
    data.update(overrides)
    return data


def written() -> tuple[int, int, int]:
    return (Project.objects.count(), ProjectRepository.objects.count(),
            AuditEntry.objects.count())


@pytest.fixture
def signed_in(client, maintainer):
    client.force_login(maintainer)
    return client


def test_anonymous_people_are_sent_to_log_in_and_back(client):
    response = client.get(APPLY)
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/projects/apply/"


def test_a_full_application_is_submitted_from_the_page(signed_in, maintainer, mailoutbox):
    response = signed_in.post(APPLY, form_data(invite="colleague@example.org"))
    assert response.status_code == 302 and response["Location"] == "/dashboard/#your-projects"
    project = Project.objects.get()
    assert project.status == Project.Status.SUBMITTED and project.license == "Apache-2.0"
    assert [r.url for r in project.repositories.all()] == [
        "https://github.com/example/torchwave", "https://github.com/example/tw-docs"]
    assert ProjectMaintainer.objects.filter(project=project, user=maintainer).exists()
    assert project.invitations.get().email == "colleague@example.org"


@pytest.mark.parametrize("field, value, message", [
    ("documentation_url", "javascript:alert(1)",
     "“javascript:alert(1)” is not a web address: give one that starts with https:// or "
     "http://."),
    ("ci_url", "data:text/html,<b>hi</b>",
     "is not a web address: give one that starts with https:// or http://."),
    ("repositories", "ftp://example.org/torchwave",
     "“ftp://example.org/torchwave” is not a web address"),
    ("license", "Apache-2", "is not an SPDX licence identifier"),
])
def test_each_bad_input_is_shown_beside_its_field_and_nothing_is_written(
        signed_in, field, value, message):
    before = written()
    response = signed_in.post(APPLY, form_data(**{field: value}))
    assert response.status_code == 200
    html = response.content.decode()
    error = re.search(rf'id="id_{field}_error"[^>]*>(.*?)</div>', html, re.S)
    assert error, f"no error beside {field}"
    assert escape(message) in error.group(1)
    assert written() == before


def test_a_registered_repository_is_refused_with_a_link_to_its_project(
        signed_in, ecosystem, django_user_model):
    other = ecosystem(name="Other Wave", repositories=["https://github.com/example/torchwave"])
    before = written()
    response = signed_in.post(APPLY, form_data(
        name="Mine", repositories="http://GitHub.com/example/torchwave.git/"))
    html = response.content.decode()
    assert response.status_code == 200
    assert "is already registered to Other Wave" in html
    assert re.search(rf'<a href="[^"]*/projects/{other.slug}/"', html)
    assert written() == before


def test_reapplying_before_the_reapply_date_is_refused_with_the_date(
        signed_in, submit, staff):
    project = submit()
    review.review_start(project_id=project.pk, actor=staff)
    review.decision_record(project_id=project.pk, actor=staff, yes=1, no=4,
                           feedback="The project needs a second maintainer")
    project.refresh_from_db()
    before = written()
    response = signed_in.post(f"{APPLY}{project.pk}/", form_data())
    html = response.content.decode()
    assert response.status_code == 200
    assert f"You may apply again from {long_date(project.reapply_on)}." in html
    project.refresh_from_db()
    assert project.status == Project.Status.DECLINED
    assert written() == before


def test_a_draft_is_saved_and_finished_later(signed_in, maintainer):
    response = signed_in.post(APPLY, {"name": "Half Done", "openssf_badge": "none",
                                      "step": "draft"})
    project = Project.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"{APPLY}{project.pk}/"
    assert project.status == Project.Status.DRAFT

    page = signed_in.get(f"{APPLY}{project.pk}/")
    assert page.status_code == 200 and 'value="Half Done"' in page.content.decode()
    dashboard = signed_in.get("/dashboard/").content.decode()
    assert "Half Done" in dashboard and "Finish the application" in dashboard

    response = signed_in.post(f"{APPLY}{project.pk}/", form_data(name="Half Done"))
    assert response.status_code == 302
    project.refresh_from_db()
    assert project.status == Project.Status.SUBMITTED
    assert Project.objects.count() == 1


def test_a_submission_missing_what_it_needs_says_so_and_writes_nothing(signed_in):
    response = signed_in.post(APPLY, form_data(description="", ci_url=""))
    html = response.content.decode()
    assert "Describe the project." in html and "Give the address of the project&#x27;s CI." \
        in html
    assert Project.objects.count() == 0


def test_the_checklist_ticks_each_criterion_whose_evidence_is_saved(signed_in):
    signed_in.post(APPLY, {"name": "Ticks", "openssf_badge": "none", "step": "draft",
                           "governance_url": "https://example.org/GOVERNANCE.md",
                           "contributing_url": "https://example.org/CONTRIBUTING.md"})
    project = Project.objects.get()
    html = signed_in.get(f"{APPLY}{project.pk}/").content.decode()
    assert 'class="done" id="criterion-governance"' in html
    assert '<li id="criterion-community"' in html  # no code of conduct yet
    assert '<li id="criterion-security"' in html
    assert "1 of 7 met" in html

    signed_in.post(f"{APPLY}{project.pk}/", {
        "name": "Ticks", "openssf_badge": "none", "step": "draft",
        "governance_url": "https://example.org/GOVERNANCE.md",
        "contributing_url": "https://example.org/CONTRIBUTING.md",
        "code_of_conduct_url": "https://example.org/CODE_OF_CONDUCT.md"})
    html = signed_in.get(f"{APPLY}{project.pk}/").content.decode()
    assert 'class="done" id="criterion-community"' in html and "2 of 7 met" in html


def test_another_maintainers_application_is_a_404(client, submit):
    project = submit()
    Project.objects.filter(pk=project.pk).update(status=Project.Status.DRAFT)
    client.force_login(UserFactory())
    assert client.get(f"{APPLY}{project.pk}/").status_code == 404
    response = client.post(f"{APPLY}{project.pk}/", form_data(name="Taken over"))
    assert response.status_code == 404
    project.refresh_from_db()
    assert project.name == "TorchWave"


def test_changes_requested_are_made_and_submitted_again(signed_in, submit, staff):
    project = submit()
    review.review_start(project_id=project.pk, actor=staff)
    review.changes_request(project_id=project.pk, actor=staff,
                           feedback="Add a security policy")
    dashboard = signed_in.get("/dashboard/").content.decode()
    assert "Add a security policy" in dashboard and "Make the requested changes" in dashboard

    response = signed_in.post(f"{APPLY}{project.pk}/", form_data(
        security_policy_url="https://github.com/example/torchwave/security"))
    assert response.status_code == 302
    project.refresh_from_db()
    assert project.status == Project.Status.SUBMITTED
    assert project.security_policy_url.endswith("/security")


def test_a_submitted_application_cannot_be_edited_from_the_page(signed_in, submit):
    project = submit()
    response = signed_in.post(f"{APPLY}{project.pk}/", form_data(name="Renamed"))
    assert response.status_code == 302
    project.refresh_from_db()
    assert project.name == "TorchWave"


def test_only_the_persons_organizations_are_offered_as_backers(signed_in, maintainer):
    mine = OrganizationFactory(display_name="Mine Labs")
    OrganizationRole.objects.create(organization=mine, user=maintainer, role=Role.TECHNICAL)
    theirs = OrganizationFactory(display_name="Theirs Inc")
    html = signed_in.get(APPLY).content.decode()
    assert "Mine Labs" in html and "Theirs Inc" not in html
    response = signed_in.post(APPLY, form_data(backing_organization=str(theirs.pk)))
    assert response.status_code == 200 and Project.objects.count() == 0
    signed_in.post(APPLY, form_data(backing_organization=str(mine.pk)))
    assert Project.objects.get().backing_organization == mine


@pytest.fixture
def invited(maintainer, django_capture_on_commit_callbacks):
    guest = UserFactory(email="guest@example.org")
    with django_capture_on_commit_callbacks(execute=True):
        project = application.application_save_draft(
            actor=maintainer, data=full_application(invite=["Guest@example.org"]))
    return project, project.invitations.get(), guest


def test_an_invitation_is_accepted_by_the_invited_person(client, invited):
    project, invitation, guest = invited
    url = f"/projects/invitations/{invitation_token(invitation)}/"
    assert "Log in with guest@example.org" in client.get(url).content.decode().replace(
        "Guest@", "guest@")
    client.force_login(guest)
    page = client.get(url)
    assert page.status_code == 200 and "Accept and maintain TorchWave" in page.content.decode()
    response = client.post(url)
    assert response.status_code == 302
    assert ProjectMaintainer.objects.filter(project=project, user=guest).exists()
    invitation.refresh_from_db()
    assert invitation.status == MaintainerInvitation.Status.ACCEPTED
    assert "TorchWave" in client.get("/dashboard/").content.decode()


def test_an_invitation_for_someone_else_expired_or_forged_gets_a_clear_page(
        client, invited, time_machine):
    project, invitation, guest = invited
    url = f"/projects/invitations/{invitation_token(invitation)}/"
    client.force_login(UserFactory(email="stranger@example.org"))
    response = client.post(url)
    assert response.status_code == 400
    assert "This invitation is for Guest@example.org" in response.content.decode()
    assert not ProjectMaintainer.objects.filter(project=project, user__email=
                                                "stranger@example.org").exists()

    unknown = signing.dumps(99999, salt=INVITATION_SALT)  # well signed, no such invitation
    for token in ("not-a-token", unknown, "x" * 500):
        response = client.get(f"/projects/invitations/{token}/")
        assert response.status_code == 400
        assert "This invitation link is not valid." in response.content.decode()

    time_machine.move_to(timezone.now() + timedelta(days=15))
    client.force_login(guest)
    response = client.post(url)
    assert response.status_code == 400
    assert "This invitation has expired. Ask for a new one." in response.content.decode()
    assert not ProjectMaintainer.objects.filter(project=project, user=guest).exists()


def test_a_maintainer_asks_a_tac_member_to_sponsor_from_the_dashboard(
        signed_in, ecosystem, tac, mailoutbox, django_capture_on_commit_callbacks):
    project = ecosystem()
    [member] = tac(1)
    html = signed_in.get("/dashboard/").content.decode()
    assert f"Ask a TAC member to sponsor {project.name}" in html
    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        response = signed_in.post(f"{APPLY}{project.pk}/sponsor-request/",
                                  {f"p{project.pk}-member": str(member.pk),
                                   f"p{project.pk}-message": "We would value your view."})
    assert response.status_code == 302
    request = SponsorshipRequest.objects.get()
    assert request.member == member and request.message == "We would value your view."
    assert [m.to for m in mailoutbox] == [[member.email]]


def test_asking_oneself_or_another_project_is_refused(client, ecosystem, tac, maintainer):
    project = ecosystem()
    [member] = tac(1)
    ProjectMaintainer.objects.create(project=project, user=member)
    client.force_login(maintainer)
    client.post(f"{APPLY}{project.pk}/sponsor-request/", {f"p{project.pk}-member": member.pk})
    assert not SponsorshipRequest.objects.exists()
    client.force_login(UserFactory())
    response = client.post(f"{APPLY}{project.pk}/sponsor-request/",
                           {f"p{project.pk}-member": member.pk})
    assert response.status_code == 404 and not SponsorshipRequest.objects.exists()


def _dashboard_queries(client) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/dashboard/").status_code == 200
    return len(queries)


def test_the_dashboard_reads_the_projects_in_constant_queries(
        signed_in, maintainer, ecosystem, submit, staff, tac):
    tac(2)
    ecosystem()
    one = _dashboard_queries(signed_in)
    for n in range(4):
        project = submit(full_application(
            name=f"Wave {n}", repositories=[f"https://github.com/example/wave-{n}"]))
        if n % 2:
            review.review_start(project_id=project.pk, actor=staff)
            review.changes_request(project_id=project.pk, actor=staff, feedback="More docs")
    html = signed_in.get("/dashboard/").content.decode()
    assert html.count('class="card" id="project-') == 5
    assert _dashboard_queries(signed_in) == one
