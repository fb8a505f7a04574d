"""The projects programme's queues on the admin index (see foundation/admin_queues.py):
applications to review and to decide, candidates waiting for their TAC vote, and votes
closing soon."""

from datetime import datetime, timedelta

from django.db.models import Exists, OuterRef
from django.utils import timezone

from foundation.admin_queues import Queue, register

from .models import Project, TacVote

CLOSING_SOON_DAYS = 7  # the queue of votes closing soon looks this many days ahead


def closing_soon_before(today) -> datetime:
    """The end of the window of votes closing soon: midnight after the seventh day ahead, so
    the queue's count and its list, read a moment apart, agree."""
    day = today + timedelta(days=CLOSING_SOON_DAYS + 1)
    return timezone.make_aware(datetime.combine(day, datetime.min.time()))


def candidates_waiting_for_a_vote():
    """Candidates with no vote open on them."""
    return Project.objects.filter(status=Project.Status.CANDIDATE).filter(
        ~Exists(TacVote.objects.filter(project=OuterRef("pk"), closed_at=None)))


def votes_closing_soon(today):
    return TacVote.objects.filter(closed_at=None, closes_at__lt=closing_soon_before(today))


def register_queues() -> None:
    status = Project.Status
    register(Queue("Projects to review", "project to review", "projects to review",
                   lambda today: Project.objects.filter(status=status.SUBMITTED),
                   "submitted_at", {"status__exact": status.SUBMITTED},
                   date_word="submitted"))
    register(Queue("Projects to decide", "project to decide", "projects to decide",
                   lambda today: Project.objects.filter(status=status.IN_REVIEW),
                   "status_changed_at", {"status__exact": status.IN_REVIEW},
                   date_word="in review since"))
    register(Queue("Candidates waiting for a vote", "candidate waiting for a vote",
                   "candidates waiting for a vote",
                   lambda today: candidates_waiting_for_a_vote(), "status_changed_at",
                   {"vote": "waiting"}, date_word="sponsored"))
    register(Queue("TAC votes closing soon", "TAC vote closing soon",
                   "TAC votes closing soon", votes_closing_soon, "closes_at",
                   {"state": "soon"}, date_word="closing"))
