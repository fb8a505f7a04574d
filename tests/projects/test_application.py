"""Applying: a draft saved as it is, a submission checked in full, an application edited and
submitted again, maintainers invited by e-mail. Each bad input is refused with its message
and writes nothing."""

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.http import Http404

from foundation.audit import long_date
from foundation.models import AuditEntry, OutboundEmail
from foundation.transitions import DomainError
from projects.models import MaintainerInvitation, Project, ProjectMaintainer, ProjectRepository
from projects.services import application, review
from projects.services.application import ApplicationInput
from tests.accounts.factories import UserFactory
from tests.mail import link_in
from tests.projects.conftest import full_application

pytestmark = pytest.mark.django_db


def counts():
    return (Project.objects.count(), ProjectRepository.objects.count(),
            ProjectMaintainer.objects.count(), AuditEntry.objects.count(),
            OutboundEmail.objects.count())


def refused(submit, data, **kwargs) -> dict[str, list[str]]:
    """The messages of a refused submission, after checking that nothing was written."""
    before = counts()
    with pytest.raises(ValidationError) as caught:
        submit(data, **kwargs)
    assert counts() == before
    return caught.value.message_dict


def test_a_submission_is_saved_with_its_maintainer_and_told_to_maintainers_and_staff(
        submit, maintainer, staff):
    project = submit()
    assert project.status == Project.Status.SUBMITTED
    assert project.slug == "torchwave"
    assert list(project.repositories.values_list("url", flat=True)) == [
        "https://github.com/example/torchwave"]
    assert ProjectMaintainer.objects.get(project=project).user == maintainer
    assert [e.action for e in AuditEntry.objects.order_by("pk")] == ["project.create",
                                                                      "project.submit"]
    subjects = {m.to[0]: m.subject for m in mail.outbox}
    assert subjects == {maintainer.email: "We received the application of TorchWave",
                        staff.email: "New ecosystem application: TorchWave"}


@pytest.mark.parametrize("url", ["javascript:alert(1)", "data:text/html,<b>hi</b>",
                                 "ftp://example.org/docs", "torchwave.example.org"])
def test_a_web_address_that_is_not_http_is_refused(submit, url):
    errors = refused(submit, full_application(documentation_url=url))
    assert errors["documentation_url"] == [
        f"“{url}” is not a web address: give one that starts with https:// or http://."]


def test_a_repository_that_is_not_http_is_refused(submit):
    errors = refused(submit, full_application(repositories=["javascript:alert(1)//x"]))
    assert "is not a web address" in errors["repositories"][0]


def test_a_repository_already_registered_names_and_links_its_project(submit, settings):
    first = submit()
    other = UserFactory()
    errors = refused(submit, full_application(
        name="WaveTorch", repositories=["http://GitHub.com/example/torchwave.git/"]),
        actor=other)
    assert errors["repositories"] == [
        f"https://github.com/example/torchwave is already registered to TorchWave: see its "
        f"page, {settings.SITE_URL}/projects/{first.slug}/"]


def test_a_licence_that_is_not_an_spdx_identifier_is_refused(submit):
    errors = refused(submit, full_application(license="Apache 2"))
    assert errors["license"] == [
        "“Apache 2” is not an SPDX licence identifier: give one from spdx.org/licenses, such "
        "as Apache-2.0, MIT or BSD-3-Clause."]
    errors = refused(submit, full_application(license="GPL-2.0"))
    assert "deprecated SPDX identifier" in errors["license"][0]


def test_a_licence_is_stored_as_spdx_spells_it(submit):
    project = submit(full_application(license="apache-2.0 OR mit"))
    assert project.license == "Apache-2.0 OR MIT"


def test_a_submission_needs_every_required_field_and_says_which(submit):
    errors = refused(submit, ApplicationInput(name="Half done"))
    assert errors["repositories"] == ["Give the address of at least one repository."]
    assert errors["license"] == ["Give the project's licence as an SPDX identifier, such as "
                                 "Apache-2.0."]
    assert set(errors) >= {"summary", "description", "documentation_url", "ci_url",
                           "pytorch_versions", "components", "maintenance_horizon", "category"}


def test_a_badge_level_needs_its_address(submit):
    errors = refused(submit, full_application(openssf_badge=Project.Badge.PASSING))
    assert errors["openssf_badge_url"] == [
        "Give the address of the project's OpenSSF Best Practices badge."]


def test_a_draft_keeps_what_is_given_and_is_finished_later(maintainer, submit):
    draft = application.application_save_draft(actor=maintainer,
                                                data=ApplicationInput(name="TorchWave"))
    assert draft.status == Project.Status.DRAFT and not OutboundEmail.objects.exists()
    with pytest.raises(ValidationError) as caught:  # a draft's format is still checked
        application.application_save_draft(
            actor=maintainer, project=draft,
            data=ApplicationInput(name="TorchWave", ci_url="javascript:alert(1)"))
    assert "ci_url" in caught.value.message_dict
    project = submit(full_application(), project=draft)
    assert project.pk == draft.pk and project.status == Project.Status.SUBMITTED


def test_changes_requested_then_edited_and_resubmitted(submit, staff, maintainer,
                                                       django_capture_on_commit_callbacks):
    project = submit()
    with django_capture_on_commit_callbacks(execute=True):
        review.review_start(project_id=project.pk, actor=staff)
        review.changes_request(project_id=project.pk, actor=staff,
                               feedback="Add a security policy.")
    [asked] = [m for m in mail.outbox if "Changes requested" in m.subject]
    assert asked.to == [maintainer.email] and "Add a security policy." in asked.body
    mail.outbox.clear()
    project = submit(full_application(
        security_policy_url="https://github.com/example/torchwave/security"), project=project)
    assert project.status == Project.Status.SUBMITTED
    assert project.security_policy_url.endswith("/security")
    assert {m.subject for m in mail.outbox} == {
        "We received the updated application of TorchWave",
        "Resubmitted ecosystem application: TorchWave"}


def test_another_person_cannot_edit_an_application(submit):
    project = submit()
    with pytest.raises(Http404):
        application.application_save_draft(actor=UserFactory(), project=project,
                                            data=full_application(name="Mine now"))
    project.refresh_from_db()
    assert project.name == "TorchWave"


def test_an_application_in_review_cannot_be_changed(submit, staff, maintainer):
    project = submit()
    review.review_start(project_id=project.pk, actor=staff)
    with pytest.raises(DomainError, match="in review: its application can no longer"):
        application.application_save_draft(actor=maintainer, project=project,
                                            data=full_application(name="Renamed"))


def test_declining_sets_the_reapply_date_and_an_earlier_reapply_is_refused(
        submit, staff, time_machine):
    time_machine.move_to("2026-11-30 10:00Z")
    project = submit()
    review.review_start(project_id=project.pk, actor=staff)
    decision = review.decision_record(project_id=project.pk, actor=staff, yes=2, no=5,
                                      abstain=1, feedback="Not enough documentation yet.")
    project.refresh_from_db()
    assert decision.outcome == "declined"
    assert project.status == Project.Status.DECLINED
    assert str(project.reapply_on) == "2027-02-28"  # three months, on February's last day
    time_machine.move_to("2027-02-27 10:00Z")
    errors = refused(submit, full_application(), project=project)
    assert errors["__all__"] == [
        f"TorchWave was declined on 30 November 2026. You may apply again from "
        f"{long_date(project.reapply_on)}."]
    assert long_date(project.reapply_on) == "28 February 2027"
    # A new application for the same repository is told the same date.
    errors = refused(submit, full_application(name="TorchWave 2"), actor=UserFactory())
    assert "You may apply again from 28 February 2027." in errors["repositories"][0]
    time_machine.move_to("2027-02-28 10:00Z")
    assert submit(full_application(), project=project).status == Project.Status.SUBMITTED


def test_maintainers_are_invited_by_e_mail_and_accept_with_the_invited_address(
        submit, maintainer, client, django_capture_on_commit_callbacks):
    project = submit(full_application(invite=["ada@example.com"]))
    [message] = [m for m in mail.outbox if m.to == ["ada@example.com"]]
    assert message.subject == (f"{maintainer} invites you to maintain TorchWave on the "
                               "PyTorch Foundation portal")
    token = link_in(message, "/projects/invitations/").rstrip("/").rsplit("/", 1)[1]
    with pytest.raises(DomainError, match="This invitation is for ada@example.com"):
        application.invitation_accept(token=token, user=UserFactory())
    ada = UserFactory(email="ada@example.com")
    invitation = application.invitation_accept(token=token, user=ada)
    assert invitation.status == MaintainerInvitation.Status.ACCEPTED
    assert ProjectMaintainer.objects.filter(project=project, user=ada).exists()
    assert application.invitation_accept(token=token, user=ada).pk == invitation.pk  # again
    with pytest.raises(DomainError, match="not valid"):
        application.invitation_accept(token=token + "x", user=ada)


def test_a_bad_invitation_address_is_refused_with_nothing_written(submit):
    errors = refused(submit, full_application(invite=["not an address"]))
    assert errors["invite"] == ["“not an address” is not an e-mail address."]
