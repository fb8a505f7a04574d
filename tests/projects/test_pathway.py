"""Staff's review and the working group's decision: each status change checked against the
allowed transitions and audited; the simple majority decides; e-mails sent once."""

import re

import pytest
from django.core import mail

from foundation.models import AuditEntry, OutboundEmail
from foundation.transitions import DomainError
from projects.models import EcosystemDecision, Project
from projects.services import hosting, review

pytestmark = pytest.mark.django_db


def actions(project):
    return list(AuditEntry.objects.filter(object_id=str(project.pk),
                                          content_type__model="project")
                .order_by("pk").values_list("action", "old_value", "new_value"))


def test_each_step_is_audited_with_its_real_old_status(submit, staff,
                                                       django_capture_on_commit_callbacks):
    project = submit()
    with django_capture_on_commit_callbacks(execute=True):
        review.review_start(project_id=project.pk, actor=staff)
        review.decision_record(project_id=project.pk, actor=staff, yes=4, no=3, abstain=2,
                               feedback="Welcome aboard.")
    steps = [(a, old["status"], new["status"]) for a, old, new in actions(project)[1:]]
    assert steps == [("project.submit", "draft", "submitted"),
                     ("project.review_start", "submitted", "in_review"),
                     ("project.approve", "in_review", "ecosystem")]
    project.refresh_from_db()
    assert project.joined_on is not None and project.reapply_on is None
    decision = EcosystemDecision.objects.get()
    assert (decision.outcome, decision.yes, decision.no, decision.abstain) == (
        "approved", 4, 3, 2)
    [told] = [m for m in mail.outbox if "joins" in m.subject]
    assert told.subject == "TorchWave joins the PyTorch Foundation ecosystem"
    assert "by 4 votes for and 3 against" in told.body and "Welcome aboard." in told.body


def test_a_step_the_pathway_does_not_allow_is_refused_and_changes_nothing(submit, staff):
    project = submit()
    before = AuditEntry.objects.count()
    with pytest.raises(DomainError, match="Cannot go from “submitted” to “ecosystem”"):
        review.decision_record(project_id=project.pk, actor=staff, yes=5, no=0)
    with pytest.raises(DomainError, match="Cannot go from “submitted” to “archived”"):
        hosting.project_archive(project_id=project.pk, actor=staff, note="Gone")
    assert AuditEntry.objects.count() == before
    assert not EcosystemDecision.objects.exists()
    project.refresh_from_db()
    assert project.status == Project.Status.SUBMITTED


@pytest.mark.parametrize("counts, message", [
    ({"yes": 3, "no": 3}, "A tie (3 for, 3 against) is not a majority"),
    ({"yes": 0, "no": 0, "abstain": 4}, "No vote was cast for or against"),
    ({"yes": "-1", "no": 2}, "Give the number of votes for as a whole number"),
    ({"yes": "two", "no": 2}, "Give the number of votes for as a whole number"),
    ({"yes": 1, "no": 4}, "A decline needs feedback"),
])
def test_a_decision_needs_a_majority_and_a_decline_needs_feedback(submit, staff, counts,
                                                                   message):
    project = submit()
    review.review_start(project_id=project.pk, actor=staff)
    with pytest.raises(DomainError, match=re.escape(message)):
        review.decision_record(project_id=project.pk, actor=staff, **counts)
    project.refresh_from_db()
    assert project.status == Project.Status.IN_REVIEW and not EcosystemDecision.objects.exists()


def test_changes_need_feedback(submit, staff):
    project = submit()
    review.review_start(project_id=project.pk, actor=staff)
    with pytest.raises(DomainError, match="Say what should change"):
        review.changes_request(project_id=project.pk, actor=staff, feedback="  ")


def test_a_decline_tells_the_feedback_and_the_reapply_date_once(
        submit, staff, maintainer, time_machine, django_capture_on_commit_callbacks):
    time_machine.move_to("2026-05-31 12:00Z")
    project = submit()
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        review.review_start(project_id=project.pk, actor=staff)
        review.review_start(project_id=project.pk, actor=staff)  # a repeated click
        review.decision_record(project_id=project.pk, actor=staff, yes=1, no=6,
                               feedback="Please add CI on GPUs.")
    [message] = mail.outbox
    assert message.to == [maintainer.email]
    assert message.subject == "The Ecosystem Working Group's decision on TorchWave"
    assert "by 6 votes against and 1 for" in message.body
    assert "Please add CI on GPUs." in message.body
    assert "You may apply again from 31 August 2026" in message.body
    assert OutboundEmail.objects.filter(kind="decision").count() == 1
    assert [a for a, *_ in actions(project)].count("project.review_start") == 1


def test_archiving_needs_a_reason(ecosystem, staff):
    project = ecosystem()
    with pytest.raises(DomainError, match="Say why"):
        hosting.project_archive(project_id=project.pk, actor=staff, note="")
    hosting.project_archive(project_id=project.pk, actor=staff, note="Unmaintained")
    project.refresh_from_db()
    assert project.status == Project.Status.ARCHIVED


def test_repeated_clicks_change_nothing(submit, staff, django_capture_on_commit_callbacks):
    project = submit()
    review.review_start(project_id=project.pk, actor=staff)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        for _ in range(2):
            review.changes_request(project_id=project.pk, actor=staff, feedback="Add CI.")
    assert len(mail.outbox) == 1
    assert AuditEntry.objects.filter(action="project.changes_request").count() == 1
    project = submit(project=project)
    review.review_start(project_id=project.pk, actor=staff)
    first = review.decision_record(project_id=project.pk, actor=staff, yes=4, no=1)
    again = review.decision_record(project_id=project.pk, actor=staff, yes=4, no=1)
    assert again.pk == first.pk and EcosystemDecision.objects.count() == 1
