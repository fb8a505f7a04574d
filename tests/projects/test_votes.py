"""The TAC's vote on hosting a candidate: yes votes must be at least two thirds of ALL the
voting members at close (abstaining is not yes, not voting is not yes); votes may change
until the close; the beat job closes votes at their date and reminds non-voters once;
hosting makes the onboarding checklist once."""

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from foundation.billing import services as billing
from foundation.billing.models import Invoice, Payment
from foundation.checklists.models import ChecklistItem
from foundation.models import AuditEntry, OutboundEmail
from foundation.transitions import DomainError
from members.models import GRACE, Membership
from members.services import applications, memberships
from projects import tasks
from projects.models import Ballot, Project, TacMember, TacVote
from projects.selectors import voting_members
from projects.services import hosting, sponsorship, votes
from projects.services import tac as roster
from tests.accounts.factories import UserFactory
from tests.members.conftest import apply_for, sign, tiers  # noqa: F401  (fixtures)

pytestmark = pytest.mark.django_db

ONBOARDING = {"asset-transfer", "governance-documents", "ci-onboarding", "security-policy",
              "landscape-entry"}


@pytest.fixture
def candidate(ecosystem, tac, staff):
    """A candidate, its nine voting members, and an open vote closing in a week."""
    project = ecosystem()
    members = tac(9)
    sponsorship.sponsor(project_id=project.pk, actor=members[0], statement="Ready to host.")
    vote = votes.vote_open(project_id=project.pk, actor=staff,
                           closes_at=timezone.now() + timedelta(days=7))
    return project, members, vote


def cast(vote, members, choice):
    for member in members:
        votes.ballot_cast(vote_id=vote.pk, voter=member, choice=choice, comment="")


def close(vote, staff, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        closed = votes.vote_close(vote_id=vote.pk, actor=staff)
    return closed, Project.objects.get(pk=vote.project_id)


def test_six_yes_of_nine_passes_and_the_project_is_hosted_with_its_onboarding(
        candidate, staff, maintainer, django_capture_on_commit_callbacks):
    project, members, vote = candidate
    cast(vote, members[:6], "yes")
    cast(vote, members[6:7], "no")
    mail.outbox.clear()
    closed, project = close(vote, staff, django_capture_on_commit_callbacks)
    assert (closed.result, closed.yes, closed.no, closed.abstain, closed.eligible) == (
        "passed", 6, 1, 0, 9)
    assert project.status == Project.Status.HOSTED
    assert project.joined_on == timezone.localdate()  # the landscape's accepted date
    items = ChecklistItem.objects.for_holder(project)
    assert {item.key for item in items} == ONBOARDING
    result = [m for m in mail.outbox if m.to == [maintainer.email]]
    assert [m.subject for m in result] == ["TorchWave is now a PyTorch Foundation project"]
    assert "6 yes, 1 no and 0 abstaining, of 9 voting members" in result[0].body
    assert len(mail.outbox) == 10  # the maintainer and the nine voting members


def test_the_onboarding_checklist_is_made_once(candidate, staff,
                                               django_capture_on_commit_callbacks):
    project, members, vote = candidate
    cast(vote, members[:6], "yes")
    close(vote, staff, django_capture_on_commit_callbacks)
    close(vote, staff, django_capture_on_commit_callbacks)  # closing again changes nothing
    hosting.onboarding_ensure(project)
    assert ChecklistItem.objects.for_holder(project).count() == len(ONBOARDING)
    assert AuditEntry.objects.filter(action="project.host").count() == 1
    assert OutboundEmail.objects.filter(kind="vote_result").count() == 10


def test_five_yes_and_four_abstaining_fails_and_the_project_stays_a_candidate(
        candidate, staff, django_capture_on_commit_callbacks):
    project, members, vote = candidate
    cast(vote, members[:5], "yes")
    cast(vote, members[5:], "abstain")
    closed, project = close(vote, staff, django_capture_on_commit_callbacks)
    assert (closed.result, closed.yes, closed.abstain, closed.eligible) == ("failed", 5, 4, 9)
    assert project.status == Project.Status.CANDIDATE
    assert not ChecklistItem.objects.for_holder(project).exists()
    assert "did not pass" in mail.outbox[-1].subject


def test_six_yes_then_one_changing_to_no_fails(candidate, staff,
                                                django_capture_on_commit_callbacks):
    project, members, vote = candidate
    cast(vote, members[:6], "yes")
    votes.ballot_cast(vote_id=vote.pk, voter=members[0], choice="no", comment="On reflection")
    assert Ballot.objects.filter(vote=vote).count() == 6
    closed, project = close(vote, staff, django_capture_on_commit_callbacks)
    assert (closed.result, closed.yes, closed.no) == ("failed", 5, 1)
    assert project.status == Project.Status.CANDIDATE
    change = AuditEntry.objects.get(action="ballot.change")
    assert (change.old_value, change.new_value) == ({"choice": "yes"}, {"choice": "no"})


def test_a_vote_closing_by_date_with_too_few_votes_fails_once(
        candidate, time_machine, django_capture_on_commit_callbacks):
    project, members, vote = candidate
    cast(vote, members[:4], "yes")
    assert votes.close_due_votes() == 0  # not yet
    time_machine.move_to(vote.closes_at + timedelta(hours=3))
    with pytest.raises(DomainError, match="has closed"):
        votes.ballot_cast(vote_id=vote.pk, voter=members[5], choice="yes")
    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.close_due_votes() == 1
        assert tasks.close_due_votes() == 0  # the window is empty: a second run does nothing
    vote.refresh_from_db()
    assert (vote.result, vote.yes, vote.eligible) == ("failed", 4, 9)
    assert vote.closed_at == vote.closes_at and vote.closed_by is None
    assert Project.objects.get(pk=project.pk).status == Project.Status.CANDIDATE


def test_non_voters_are_reminded_once_two_days_before_closing(
        candidate, time_machine, django_capture_on_commit_callbacks):
    project, members, vote = candidate
    cast(vote, members[:3], "yes")
    mail.outbox.clear()
    time_machine.move_to(vote.closes_at - timedelta(days=3))
    assert tasks.send_vote_reminders() == 0  # too early
    time_machine.move_to(vote.closes_at - timedelta(days=2) + timedelta(minutes=5))
    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.send_vote_reminders() == 6
        assert tasks.send_vote_reminders() == 0
    assert sorted(m.to[0] for m in mail.outbox) == sorted(u.email for u in members[3:])
    assert mail.outbox[0].subject.startswith("Reminder: the TAC vote on TorchWave closes on ")


def test_opening_a_vote_tells_every_voting_member_once(ecosystem, tac, staff,
                                                       django_capture_on_commit_callbacks):
    project = ecosystem()
    members = tac(3)
    tac(1, voting=False)
    sponsorship.sponsor(project_id=project.pk, actor=members[0], statement="Ready.")
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        votes.vote_open(project_id=project.pk, actor=staff,
                        closes_at=timezone.now() + timedelta(days=7))
    assert sorted(m.to[0] for m in mail.outbox) == sorted(u.email for u in members)
    assert "With 3 voting members today, that is 2 yes votes." in mail.outbox[0].body
    again = votes.vote_open(project_id=project.pk, actor=staff,
                            closes_at=TacVote.objects.get().closes_at)  # a repeated click
    assert again == TacVote.objects.get() and len(mail.outbox) == 3
    with pytest.raises(DomainError, match="A vote on TorchWave is open already"):
        votes.vote_open(project_id=project.pk, actor=staff,
                        closes_at=timezone.now() + timedelta(days=7))
    assert TacVote.objects.count() == 1


def test_a_vote_needs_a_candidate_voting_members_and_a_future_closing_date(
        ecosystem, staff, tac):
    project = ecosystem()
    [member] = tac(1)
    sponsorship.sponsor(project_id=project.pk, actor=member, statement="Ready.")
    roster.tac_member_remove(seat_id=TacMember.objects.get(user=member).pk, actor=staff)
    with pytest.raises(DomainError, match="The TAC roster has no voting members"):
        votes.vote_open(project_id=project.pk, actor=staff,
                        closes_at=timezone.now() + timedelta(days=7))
    project = ecosystem(name="Other", repositories=["https://github.com/example/other"])
    with pytest.raises(DomainError, match="The TAC votes only on candidates"):
        votes.vote_open(project_id=project.pk, actor=staff,
                        closes_at=timezone.now() + timedelta(days=7))
    with pytest.raises(DomainError, match="close in the past"):
        votes.vote_open(project_id=project.pk, actor=staff,
                        closes_at=timezone.now() - timedelta(days=1))
    assert not TacVote.objects.exists()


@pytest.mark.parametrize("eligible, needed", [(9, 6), (8, 6), (7, 5), (3, 2), (1, 1)])
def test_yes_needed_is_two_thirds_rounded_up_and_passes_exactly_there(eligible, needed):
    assert votes.yes_needed(eligible) == needed
    assert votes.passes(needed, eligible) and not votes.passes(needed - 1, eligible)
    assert not votes.passes(0, 0)


def test_only_voting_members_vote(candidate):
    project, members, vote = candidate
    with pytest.raises(DomainError, match="Only voting members of the TAC vote"):
        votes.ballot_cast(vote_id=vote.pk, voter=UserFactory(), choice="yes")
    with pytest.raises(DomainError, match="Choose yes, no or abstain"):
        votes.ballot_cast(vote_id=vote.pk, voter=members[1], choice="maybe")
    assert not Ballot.objects.exists()


def test_a_lapsed_premier_membership_s_representative_no_longer_votes(
        apply_for, sign, staff):  # noqa: F811
    application = apply_for("premier")
    applications.application_approve(application_id=application.pk, actor=staff)
    sign(application)
    invoice = Invoice.objects.get(organization=application.organization)
    billing.payment_record(invoice_id=invoice.pk, method=Payment.Method.WIRE,
                           amount=invoice.total, reference="WIRE")
    membership = Membership.objects.get(application=application)
    assert membership.status == Membership.Status.ACTIVE
    representative = UserFactory()
    seat = roster.tac_member_add(user=representative, actor=staff, membership=membership)
    assert seat.organization == application.organization
    assert list(voting_members()) == [representative]
    memberships.lapse_memberships(today=membership.ends_on + GRACE + timedelta(days=1))
    assert Membership.objects.get(pk=membership.pk).status == Membership.Status.LAPSED
    assert not voting_members().exists()
    assert TacMember.objects.filter(pk=seat.pk, ends_at=None).exists()  # still on the roster
    with pytest.raises(DomainError, match="only an active member names a TAC representative"):
        roster.tac_member_add(user=UserFactory(), actor=staff, membership=membership)


def test_a_removed_or_non_voting_seat_does_not_count_at_close(
        candidate, staff, django_capture_on_commit_callbacks):
    project, members, vote = candidate
    cast(vote, members[:6], "yes")
    seat = TacMember.objects.get(user=members[8])
    roster.tac_member_remove(seat_id=seat.pk, actor=staff)
    roster.tac_member_set_voting(seat_id=TacMember.objects.get(user=members[7]).pk,
                                 actor=staff, voting=False)
    closed, project = close(vote, staff, django_capture_on_commit_callbacks)
    assert (closed.result, closed.yes, closed.eligible) == ("passed", 6, 7)


def test_a_vote_on_a_project_archived_meanwhile_closes_by_date_without_hosting_it(
        candidate, staff, time_machine):
    project, members, vote = candidate
    cast(vote, members[:7], "yes")
    hosting.project_archive(project_id=project.pk, actor=staff, note="The maintainers left")
    time_machine.move_to(vote.closes_at + timedelta(minutes=1))
    assert votes.close_due_votes() == 1
    vote.refresh_from_db()
    assert (vote.result, vote.yes) == ("passed", 7)
    assert Project.objects.get(pk=project.pk).status == Project.Status.ARCHIVED
    assert not ChecklistItem.objects.for_holder(project).exists()
