"""Staff's queues on the admin index: what waits for them, how much, and since when. The
kernel registers its own below; each programme registers its own when its app is ready
(members/queues.py), so the kernel imports no programme."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from urllib.parse import urlencode

from django.contrib import admin
from django.db.models import Count, Min, QuerySet
from django.urls import reverse
from django.utils import timezone

from foundation.billing.models import Invoice, StripeEvent
from foundation.checklists.models import ChecklistItem
from foundation.models import OutboundEmail


@dataclass(frozen=True)
class Queue:
    title: str  # "Applications to decide"
    one: str  # what one row is called: "application to decide"
    many: str  # "applications to decide"
    rows: Callable[[date], QuerySet]  # what waits, given today
    date_field: str  # a due date (DateField) or when the row arrived (DateTimeField)
    # The changelist's query string that lists exactly these rows (a list_filter's parameters).
    filters: dict[str, str]
    date_word: str = "due"  # "oldest due 4 November 2026", "oldest received ..."


@dataclass(frozen=True)
class Waiting:
    """A queue as one staff member sees it now."""

    title: str
    count: int
    counted: str  # "3 applications to decide"
    oldest: date | None  # a date or an aware datetime; None when nothing waits
    date_word: str
    url: str


queues: list[Queue] = []


def register(queue: Queue) -> None:
    queues.append(queue)


def waiting(request) -> list[Waiting]:
    """The queues whose table this staff member may view, each read in one query."""
    today = timezone.localdate()
    shown = []
    for queue in queues:
        rows = queue.rows(today)
        if not (admin.site.is_registered(rows.model) and admin.site.get_model_admin(
                rows.model).has_view_or_change_permission(request)):
            continue
        found = rows.aggregate(count=Count("pk"), oldest=Min(queue.date_field))
        count = found["count"]
        opts = rows.model._meta
        url = reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")
        shown.append(Waiting(
            title=queue.title, count=count,
            counted=f"{count:,} {queue.one if count == 1 else queue.many}",
            oldest=found["oldest"], date_word=queue.date_word,
            url=f"{url}?{urlencode(queue.filters)}"))
    return shown


register(Queue("Overdue benefit items", "overdue benefit item", "overdue benefit items",
               lambda today: ChecklistItem.objects.overdue(today), "due_date",
               {"deadline": "overdue"}))
register(Queue("Overdue invoices", "overdue invoice", "overdue invoices",
               lambda today: Invoice.objects.overdue(today), "due_date",
               {"payment": "overdue"}))
# Stripe could not be reached after every retry of issuing or of mirroring a change (void,
# uncollectible, a wire payment): staff push them again (foundation/billing/tasks.py).
register(Queue("Invoices not synced with Stripe", "invoice not synced with Stripe",
               "invoices not synced with Stripe",
               lambda today: Invoice.objects.exclude(sync_error=""), "issue_date",
               {"sync": "failed"}, date_word="issued"))
register(Queue("Failed e-mails", "failed e-mail", "failed e-mails",
               lambda today: OutboundEmail.objects.filter(status=OutboundEmail.Status.FAILED),
               "created_at", {"status__exact": OutboundEmail.Status.FAILED},
               date_word="queued"))
register(Queue("Failed Stripe events", "failed Stripe event", "failed Stripe events",
               lambda today: StripeEvent.objects.filter(status=StripeEvent.Status.FAILED),
               "received_at", {"status__exact": StripeEvent.Status.FAILED},
               date_word="received"))


@dataclass(frozen=True)
class StaffPage:
    """A staff page that is not a model's list (a programme's report or chart), linked from
    the admin index for those with `permission`."""

    title: str  # "Credit pool burn-down"
    url_name: str  # "admin:credits_burndown"
    permission: str  # "credits.view_ledgertransaction"


pages: list[StaffPage] = []


def register_page(page: StaffPage) -> None:
    pages.append(page)


def staff_pages(request) -> list[tuple[str, str]]:
    """The (title, url) of each registered page this staff member may open."""
    return [(page.title, reverse(page.url_name)) for page in pages
            if request.user.has_perm(page.permission)]
