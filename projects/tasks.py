"""The beat jobs of the projects programme. Each finds its work by window, so a missed run
only makes it late and a repeated run changes nothing."""

from celery import shared_task

from .services import votes


@shared_task
def close_due_votes() -> int:
    """Close the TAC votes whose closing date has passed."""
    return votes.close_due_votes()


@shared_task
def send_vote_reminders() -> int:
    """Remind the voting members who have not voted, two days before a vote closes."""
    return votes.send_vote_reminders()
