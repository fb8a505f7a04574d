"""The pool's daily job: post the expiry of lapsed lots (the ledger does it once per lot),
then warn staff and the projects holding a lot's credits before it lapses. A warning is
found by window ("lapses within 60 days and not yet warned"), so a missed run only makes it
late, and an ExpiryWarning row (unique per lot and threshold) makes it once."""

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, Sum
from django.utils import timezone

from credits.ledger import posting
from credits.ledger.models import Account, Entry, Lot
from credits.models import ExpiryWarning
from foundation import emails
from projects.models import Project, ProjectMaintainer

WARNING_DAYS = (60,)  # how many days ahead a lot's expiry is announced


@dataclass(frozen=True)
class Ran:
    expired: int  # lots whose expiry was posted
    warned: int  # lots warned about


def _holders(lot: Lot) -> tuple[Decimal, dict[int, Decimal]]:
    """What is left of the lot in its pool, and in each project's allocation."""
    in_pool = Decimal("0.00")
    projects: dict[int, Decimal] = {}
    for row in (Entry.objects.filter(lot=lot, account__kind__in=[Account.Kind.POOL,
                                                                   Account.Kind.ALLOCATION])
                .values("account__kind", "account__project")
                .annotate(balance=Sum("amount")).filter(balance__gt=0)):
        if row["account__kind"] == Account.Kind.POOL:
            in_pool += row["balance"]
        else:
            projects[row["account__project"]] = row["balance"]
    return in_pool, projects


@transaction.atomic
def _warn(lot: Lot, days: int) -> bool:
    """Record the warning and queue its e-mails together; False when it was sent before
    (a second worker running the job meets the unique row and does nothing)."""
    try:
        with transaction.atomic():
            ExpiryWarning.objects.create(lot=lot, days=days)
    except IntegrityError:
        return False
    in_pool, held = _holders(lot)
    projects = {p.pk: p for p in Project.objects.filter(pk__in=list(held))}
    context = {"lot": lot, "provider": lot.provider, "days": days, "in_pool": in_pool,
               "held": [(projects[pk], amount) for pk, amount in held.items()]}
    for address in emails.staff_emails():
        emails.queue(kind="credits_expiring_staff", obj=lot, to=address, occurrence=str(days),
                     template="credits/emails/credits_expiring_staff", context=context)
    maintainers = defaultdict(set)
    for project_id, address in ProjectMaintainer.objects.filter(
            project_id__in=list(held)).values_list("project_id", "user__email"):
        maintainers[project_id].add(address)
    for project_id, amount in held.items():
        for address in sorted(maintainers[project_id]):
            emails.queue(kind="credits_expiring", obj=lot, to=address,
                         occurrence=f"{days}:{project_id}",
                         template="credits/emails/credits_expiring",
                         context={**context, "project": projects[project_id],
                                  "amount": amount})
    return True


def warn_expiring(today: date | None = None) -> int:
    """Warn about each lot lapsing within a threshold that still has credits somewhere (its
    pool or an allocation) and was not warned about at that threshold yet."""
    today = today or timezone.localdate()
    warned = 0
    for days in WARNING_DAYS:
        sent = ExpiryWarning.objects.filter(lot=OuterRef("pk"), days=days)
        held = Entry.objects.filter(lot=OuterRef("pk"), account__kind__in=[
            Account.Kind.POOL, Account.Kind.ALLOCATION]).values("lot").annotate(
                left=Sum("amount")).filter(left__gt=0)
        due = (Lot.objects.filter(provider__isnull=False, valid_to__gte=today,
                                  valid_to__lte=today + timedelta(days=days))
               .filter(Exists(held)).exclude(Exists(sent)).select_related("provider")
               .order_by("valid_to", "pk"))
        warned += sum(_warn(lot, days) for lot in due)
    return warned


def run_daily(today: date | None = None) -> Ran:
    """Beat, daily: the lapsed lots' expiry, then the warnings."""
    today = today or timezone.localdate()
    return Ran(expired=len(posting.expire_lapsed(today)), warned=warn_expiring(today))
