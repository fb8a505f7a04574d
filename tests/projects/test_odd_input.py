"""Odd input is refused with a message, never a database error: null characters, overlong
text, two applications registering one repository at the same moment, two members voting
while staff close the vote."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from foundation.transitions import DomainError
from projects.models import Ballot, Project, ProjectRepository, TacVote
from projects.services import application, review, sponsorship, votes
from tests.accounts.factories import UserFactory
from tests.concurrency import at_once
from tests.projects.conftest import full_application

pytestmark = pytest.mark.django_db


def test_null_characters_and_overlong_text_in_an_application_are_refused(submit):
    with pytest.raises(ValidationError) as caught:
        submit(full_application(summary="a\x00b", name="x" * 121,
                                ci_url="https://ci.example.org/\x00"))
    errors = caught.value.message_dict
    assert errors["summary"] == ["Null characters are not allowed."]
    assert errors["name"] == ["Keep this to 120 characters (it has 121)."]
    assert "is not a web address" in errors["ci_url"][0]
    assert not Project.objects.exists()


def test_null_characters_in_staff_feedback_are_refused(submit, staff):
    project = submit()
    review.review_start(project_id=project.pk, actor=staff)
    with pytest.raises(DomainError, match="The feedback has a null character"):
        review.changes_request(project_id=project.pk, actor=staff, feedback="Fix\x00this")
    with pytest.raises(DomainError, match="Keep the feedback to 5,000 characters"):
        review.decision_record(project_id=project.pk, actor=staff, yes=0, no=3,
                               feedback="x" * 5001)
    assert Project.objects.get().status == Project.Status.IN_REVIEW


@pytest.mark.django_db(transaction=True)
def test_two_applications_registering_one_repository_at_once_get_one_project():
    def apply(name):
        person = UserFactory()
        try:
            return application.application_submit(actor=person,
                                                  data=full_application(name=name))
        except ValidationError as exc:
            return " ".join(exc.messages)

    results = at_once(lambda: apply("TorchWave"), lambda: apply("WaveTorch"))
    assert ProjectRepository.objects.count() == 1 and Project.objects.count() == 1
    [refusal] = [r for r in results if isinstance(r, str)]
    assert ("is already registered to" in refusal
            or "Another project was saved with one of these repositories" in refusal)


@pytest.mark.django_db(transaction=True)
def test_ballots_cast_while_staff_close_the_vote_either_count_or_are_refused(tac):
    staff = UserFactory(is_staff=True)
    maintainer = UserFactory()
    project = application.application_submit(actor=maintainer, data=full_application())
    review.review_start(project_id=project.pk, actor=staff)
    review.decision_record(project_id=project.pk, actor=staff, yes=3, no=0)
    members = tac(3)
    sponsorship.sponsor(project_id=project.pk, actor=members[0], statement="Yes.")
    vote = votes.vote_open(project_id=project.pk, actor=staff,
                           closes_at=timezone.now() + timedelta(days=3))
    votes.ballot_cast(vote_id=vote.pk, voter=members[0], choice="yes")

    def cast(member):
        try:
            return votes.ballot_cast(vote_id=vote.pk, voter=member, choice="yes")
        except DomainError:
            return None

    at_once(lambda: cast(members[1]), lambda: votes.vote_close(vote_id=vote.pk, actor=staff),
            lambda: cast(members[2]))
    vote = TacVote.objects.get()
    # The close counted exactly the ballots that were in before it.
    assert vote.yes == Ballot.objects.filter(vote=vote, created_at__lte=vote.closed_at).count()
    assert Ballot.objects.filter(vote=vote).count() == vote.yes
