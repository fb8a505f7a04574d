from celery import shared_task

from .services import applications, memberships


@shared_task
def issue_renewal_invoices() -> int:
    return memberships.issue_renewal_invoices()


@shared_task
def send_renewal_reminders() -> int:
    return memberships.send_renewal_reminders()


@shared_task
def lapse_memberships() -> int:
    return memberships.lapse_memberships()


@shared_task
def end_left_memberships() -> int:
    return memberships.end_left_memberships()


@shared_task
def send_review_reminders() -> int:
    return applications.send_review_reminders()
