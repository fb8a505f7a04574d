"""The membership programme's queues on the admin index (see foundation/admin_queues.py)."""

from foundation.admin_queues import Queue, register

from .models import Application, EligibilityCheck


def register_queues() -> None:
    register(Queue("Applications to decide", "application to decide", "applications to decide",
                   lambda today: Application.objects.filter(
                       status=Application.Status.UNDER_REVIEW),
                   "review_due", {"status__exact": Application.Status.UNDER_REVIEW}))
    register(Queue("Eligibility checks", "eligibility check to make",
                   "eligibility checks to make", lambda today: EligibilityCheck.objects.open(),
                   "due_date", {"status__exact": EligibilityCheck.Status.OPEN}))
