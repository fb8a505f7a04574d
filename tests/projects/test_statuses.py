"""What maintainers read: the state with its feedback and reapply date, the timeline from
the audit log, and the criteria ticked by their evidence."""

import pytest

from projects.selectors import projects_per_status
from projects.services import review
from projects.statuses import criteria, state_in_words, timeline
from tests.projects.conftest import full_application

pytestmark = pytest.mark.django_db


def test_a_declined_project_reads_its_feedback_and_reapply_date(submit, staff, time_machine):
    time_machine.move_to("2026-11-30 10:00Z")
    project = submit()
    review.review_start(project_id=project.pk, actor=staff)
    review.decision_record(project_id=project.pk, actor=staff, yes=1, no=4,
                           feedback="Add documentation for the GPU kernels.")
    project.refresh_from_db()
    assert state_in_words(project) == ("Declined: Add documentation for the GPU kernels. You "
                                       "may apply again from 28 February 2027.")
    assert [step.words for step in timeline(project)] == [
        "Application started", "Submitted", "Review started", "Declined"]
    assert "Add documentation for the GPU kernels." in timeline(project)[-1].note
    time_machine.move_to("2027-03-01 10:00Z")
    assert state_in_words(project).endswith("You may apply again now.")


def test_criteria_are_ticked_by_their_evidence(submit):
    project = submit(full_application(
        contributing_url="https://github.com/example/torchwave/blob/main/CONTRIBUTING.md"))
    met = {c.key: c.met for c in criteria(project)}
    assert met == {"release": False, "documentation": True, "ci": True, "governance": True,
                   "community": False, "security": False, "openssf": False}


def test_the_home_figure_counts_public_projects_per_status_in_one_query(
        ecosystem, submit, django_assert_num_queries):
    ecosystem()
    submit(full_application(name="Other", repositories=["https://github.com/example/other"]))
    with django_assert_num_queries(1):
        figures = projects_per_status()
    assert figures == {"projects_per_status": [("Foundation-hosted", 0), ("Candidate", 0),
                                               ("Ecosystem", 1), ("Archived", 0)]}
