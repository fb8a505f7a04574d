"""The Celery app. Tasks are enqueued after commit, carry primary keys as JSON, are
acknowledged late and retried with backoff, so each must be safe to run twice."""

import os

from celery import Celery
from celery.schedules import crontab

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "foundation.settings")

app = Celery("foundation", task_cls="celery.contrib.django.task:DjangoTask")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# Periodic jobs find their work by window, so a missed run only makes them late.
app.conf.beat_schedule = {
    "retry-waiting-stripe-events": {
        "task": "foundation.billing.tasks.retry_waiting_stripe_events",
        "schedule": crontab(minute="*/5"),
    },
    "invoice-overdue-notices": {
        "task": "foundation.billing.tasks.send_overdue_notices",
        "schedule": crontab(hour=6, minute=0),
    },
    "membership-renewal-invoices": {
        "task": "members.tasks.issue_renewal_invoices",
        "schedule": crontab(hour=5, minute=0),
    },
    "membership-renewal-reminders": {
        "task": "members.tasks.send_renewal_reminders",
        "schedule": crontab(hour=5, minute=15),
    },
    "membership-lapse": {
        "task": "members.tasks.lapse_memberships",
        "schedule": crontab(hour=5, minute=30),
    },
    "membership-end-left": {
        "task": "members.tasks.end_left_memberships",
        "schedule": crontab(hour=0, minute=30),
    },
    "board-review-reminders": {
        "task": "members.tasks.send_review_reminders",
        "schedule": crontab(hour=7, minute=0),
    },
    "credits-overdue-benefits": {
        "task": "credits.tasks.send_overdue_reminders",
        "schedule": crontab(hour=7, minute=15),
    },
    "credits-support-past-sla": {
        "task": "credits.tasks.flag_overdue_support",
        "schedule": crontab(minute=20),
    },
    "credits-pool-daily": {
        "task": "credits.tasks.pool_daily",
        "schedule": crontab(hour=4, minute=30),
    },
    "projects-close-due-votes": {
        "task": "projects.tasks.close_due_votes",
        "schedule": crontab(minute=5),
    },
    "projects-vote-reminders": {
        "task": "projects.tasks.send_vote_reminders",
        "schedule": crontab(minute=10),
    },
    # Cheap (an indexed look at unfinished rows): often, so lost work waits seconds, not hours.
    "sweep-outbox": {
        "task": "foundation.tasks.sweep_outbox",
        "schedule": 10.0,
    },
    "clear-expired-sessions": {
        "task": "foundation.tasks.clear_expired_sessions",
        "schedule": crontab(hour=3, minute=45),
    },
    "retry-unsent-emails": {
        "task": "foundation.tasks.retry_unsent_emails",
        "schedule": crontab(minute="*/15"),
    },
}
