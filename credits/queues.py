"""The credit programme's queue on the admin index (see foundation/admin_queues.py). Overdue
benefit items are the kernel's queue already, sponsors' items among them."""

from foundation.admin_queues import Queue, register

from .models import Pledge, ResourceRequest, SupportRequest, UsageRecord


def register_queues() -> None:
    register(Queue("Pledges to confirm", "pledge to confirm", "pledges to confirm",
                   lambda today: Pledge.objects.filter(status=Pledge.Status.SUBMITTED),
                   "created_at", {"status__exact": Pledge.Status.SUBMITTED},
                   date_word="submitted"))
    register(Queue("Support requests past the SLA", "support request past the SLA",
                   "support requests past the SLA",
                   lambda today: SupportRequest.objects.flagged_waiting(), "deadline",
                   {"sla": "overdue"}))
    register(Queue("Resource requests to decide", "resource request to decide",
                   "resource requests to decide",
                   lambda today: ResourceRequest.objects.filter(
                       status=ResourceRequest.Status.SUBMITTED),
                   "created_at", {"status__exact": ResourceRequest.Status.SUBMITTED},
                   date_word="asked"))
    register(Queue("Usage beyond an allocation", "usage report beyond its allocation",
                   "usage reports beyond their allocation",
                   lambda today: UsageRecord.objects.filter(excess__gt=0, reviewed_at=None),
                   "recorded_at", {"review": "waiting"}, date_word="recorded"))
