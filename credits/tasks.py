"""Thin tasks: load by id, call a service. Each is safe to run twice (the checklist is made
with one item per benefit; e-mails are stored under unique keys)."""

from celery import shared_task
from django.db import OperationalError

from . import programme_year
from .services import benefits, expiry, support


@shared_task(autoretry_for=(OperationalError,), retry_backoff=15, max_retries=5)
def pledge_confirmed(pledge_id: int) -> None:
    """After a confirmation commits: the checklist of the level reached, and the e-mail."""
    benefits.pledge_confirmed(pledge_id=pledge_id)


@shared_task(autoretry_for=(OperationalError,), retry_backoff=15, max_retries=5)
def refresh_sponsor_year(organization_id: int, year: int) -> None:
    """After a cancellation commits: the level the remaining pledges reach."""
    benefits.sponsor_year_refresh(organization_id=organization_id, year=year)


@shared_task
def send_overdue_reminders() -> int:
    """Beat, daily: first any confirmation whose task was lost, then each overdue benefit
    reminds its owner, at most once a day."""
    benefits.catch_up_confirmations(year=programme_year())
    return benefits.send_overdue_reminders()


@shared_task
def flag_overdue_support() -> int:
    """Beat, hourly: requests past their SLA deadline without a response are flagged to
    staff, each once (the service flags them under lock and skips flagged ones)."""
    return len(support.flag_overdue())


@shared_task
def pool_daily() -> None:
    """Beat, daily: lapsed lots' expiry (once per lot), then warnings 60 days ahead (once per
    lot and threshold)."""
    expiry.run_daily()
