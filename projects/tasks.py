"""The projects programme's background jobs. The beat jobs find their work by window, so a
missed run only makes them late and a repeated run changes nothing; the landscape file's
build does nothing when the current file exists."""

from celery import shared_task

from . import landscape_build
from .services import votes


@shared_task
def close_due_votes() -> int:
    """Close the TAC votes whose closing date has passed."""
    return votes.close_due_votes()


@shared_task
def send_vote_reminders() -> int:
    """Remind the voting members who have not voted, two days before a vote closes."""
    return votes.send_vote_reminders()


@shared_task
def build_landscape_file() -> bool:
    """Write /projects/landscape.yml for the current version of the public pages, unless it
    is written already (see projects.landscape_build)."""
    return landscape_build.build()
