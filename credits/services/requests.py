"""Resource requests against the credit pool: what a hosted project's maintainer may ask for
(the providers with credits available, each with its sponsors' technical contacts), the
request itself, and staff's decision. Approval allocates through the ledger under the key
"request:<id>", with the request's row locked first (the ledger's lock order puts the
caller's rows before its accounts); a refusal from the ledger rolls everything back."""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from django.core.exceptions import NON_FIELD_ERRORS
from django.db import transaction
from django.db.models import Q, Sum
from django.http import Http404
from django.utils import timezone

from credits import dollars, usd
from credits.ledger import posting
from credits.ledger.models import Account, Entry, Lot
from credits.models import Contribution, Provider, ResourceRequest
from credits.models.pledges import COUNTED
from credits.models.programme import MAX_AMOUNT
from foundation import audit, emails
from foundation.accounts.models import User
from foundation.transitions import ensure_transition, transition
from foundation.validation import Errors
from projects.models import Project, ProjectMaintainer
from projects.selectors import is_maintainer

ZERO = Decimal("0.00")
CENT = Decimal("0.01")
MAX_PERIOD_DAYS = 3 * 366  # a request covers at most about three years


@dataclass(frozen=True)
class Contact:
    """A sponsor's technical point of contact for a provider's credits, and its SLA."""

    sponsor: str
    name: str
    email: str
    sla_hours: int


@dataclass
class Offer:
    """A provider a maintainer may ask for: what is available today, what lapses first,
    and whom to ask for help."""

    provider: Provider
    available: Decimal
    soonest_expiry: date | None
    contacts: list[Contact] = field(default_factory=list)


def offers(today: date | None = None) -> list[Offer]:
    """The providers with credits available today, by name, in three queries."""
    today = today or timezone.localdate()
    in_pool = Q(account__kind=Account.Kind.POOL, lot__valid_to__gte=today)
    totals = dict(Entry.objects.filter(in_pool).values("lot__provider")
                  .annotate(total=Sum("amount")).filter(total__gt=0)
                  .values_list("lot__provider", "total"))
    if not totals:
        return []
    soonest: dict[int, date] = {}
    for provider_id, valid_to in (
            Lot.objects.filter(provider__in=list(totals), valid_to__gte=today,
                               entries__account__kind=Account.Kind.POOL)
            .values("pk").annotate(balance=Sum("entries__amount")).filter(balance__gt=0)
            .order_by("valid_to").values_list("provider", "valid_to")):
        soonest.setdefault(provider_id, valid_to)
    contacts: dict[int, list[Contact]] = defaultdict(list)
    pledges = (Contribution.objects.filter(provider__in=list(totals),
                                           kind=Contribution.Kind.CREDIT,
                                           pledge__status__in=COUNTED)
               .select_related("pledge__organization")
               .order_by("pledge__organization__display_name", "pledge_id"))
    for contribution in pledges:
        pledge = contribution.pledge
        contact = Contact(sponsor=str(pledge.organization), name=pledge.contact_name,
                          email=pledge.contact_email, sla_hours=pledge.sla_hours)
        known = contacts[contribution.provider_id or 0]
        if contact not in known:
            known.append(contact)
    return [Offer(provider, totals[provider.pk], soonest.get(provider.pk),
                  contacts[provider.pk])
            for provider in Provider.objects.filter(pk__in=list(totals)).order_by("name")]


def hosted_project_for(user: User, slug: str) -> Project:
    """The hosted project by slug when the person maintains it; a 404 otherwise, whether it
    does not exist, is not hosted or is someone else's."""
    project = Project.objects.filter(slug=slug, status=Project.Status.HOSTED).first()
    if project is None or not is_maintainer(user, project):
        raise Http404("No such project.")
    return project


def amount_from(value: Any, key: str, what: str, errors: Errors, *, positive: bool) -> Decimal:
    """An amount as a person writes it ("2500", "$2,500.50"), or an error under `key`."""
    amount = dollars(value)
    if amount is None or not amount.is_finite():
        errors.add(key, f"Write the {what} in US dollars, e.g. 2500 or 2500.50.")
    elif amount < 0 or (positive and amount == 0):
        errors.add(key, f"The {what} must be more than zero." if positive
                   else f"The {what} cannot be negative.")
    elif amount > MAX_AMOUNT:
        errors.add(key, f"The {what} can be at most {usd(Decimal(MAX_AMOUNT))}.")
    elif amount != amount.quantize(CENT):
        errors.add(key, f"Write the {what} in dollars and whole cents, e.g. 2500.50.")
    else:
        return amount.quantize(CENT)
    return ZERO


@transaction.atomic
def request_submit(*, project: Project, actor: User, provider_id: Any, amount: Any,
                   purpose: str, starts_on: date | None, ends_on: date | None,
                   monthly_use: Any, today: date | None = None) -> ResourceRequest:
    """A maintainer's request for a provider's credits. Every problem is raised at once as
    a ValidationError and nothing is written; a project not hosted, or not the actor's,
    is a 404."""
    today = today or timezone.localdate()
    project = Project.objects.select_for_update().filter(pk=project.pk).first() or project
    if project.status != Project.Status.HOSTED or not is_maintainer(actor, project):
        raise Http404("No such project.")
    errors = Errors()
    offered = {str(offer.provider.pk): offer for offer in offers(today)}
    offer = offered.get(str(provider_id))
    if offer is None:
        errors.add("provider", "Choose a provider with credits available.")
    asked = amount_from(amount, "amount", "amount", errors, positive=True)
    if offer and asked and "amount" not in errors.found and asked > offer.available:
        errors.add("amount", f"{offer.provider} has {usd(offer.available)} available: ask for "
                             "at most that much.")
    monthly = amount_from(monthly_use, "monthly_use", "expected monthly use", errors,
                          positive=False)
    if not purpose.strip():
        errors.add("purpose", "Say what the credits are for.")
    if starts_on is None:
        errors.add("starts_on", "Give the first day of the period, e.g. 2026-12-01.")
    if ends_on is None:
        errors.add("ends_on", "Give the last day of the period, e.g. 2027-05-31.")
    if starts_on and ends_on:
        if ends_on < starts_on:
            errors.add("ends_on", "The period ends before it starts.")
        elif (ends_on - starts_on).days > MAX_PERIOD_DAYS:
            errors.add("ends_on", "A request covers at most three years.")
        if ends_on < today:
            errors.add("ends_on", "The period is over already.")
    if not errors.found and monthly > asked:
        errors.add("monthly_use", "The expected monthly use is more than the whole amount.")
    errors.raise_any()
    assert offer is not None and starts_on and ends_on  # errors were raised otherwise
    request = ResourceRequest.objects.create(
        project=project, provider=offer.provider, requested_by=actor, amount=asked,
        purpose=purpose.strip(), starts_on=starts_on, ends_on=ends_on, monthly_use=monthly)
    audit.record(request, actor=actor, action="resource_request.create",
                 new={"status": request.status, "amount": str(asked),
                      "provider": str(offer.provider)})
    for address in emails.staff_emails():
        emails.queue(kind="resource_request_staff", obj=request, to=address,
                     template="credits/emails/resource_request_staff",
                     context={"request": request, "project": project})
    return request


def _maintainer_emails(project: Project) -> list[str]:
    return sorted(set(ProjectMaintainer.objects.filter(project=project)
                      .values_list("user__email", flat=True)))


def _tell_maintainers(request: ResourceRequest, kind: str) -> None:
    for address in _maintainer_emails(request.project):
        emails.queue(kind=kind, obj=request, to=address,
                     template=f"credits/emails/{kind}",
                     context={"request": request, "project": request.project})


def _lock(request_id: int) -> ResourceRequest:
    return ResourceRequest.objects.select_for_update(of=("self",)).select_related(
        "project", "provider").get(pk=request_id)


@transaction.atomic
def request_approve(*, request_id: int, actor: User, amount: Any,
                    cash_cover: Any = ZERO, note: str = "") -> ResourceRequest:
    """Approve `amount` of the provider's credits (at most what was asked) and, explicitly,
    `cash_cover` from the earmarked cash pool. A note is required when less credit than
    asked is approved. The ledger allocates the soonest-expiring lots and refuses (a
    LedgerError, nothing written) what the pools cannot cover. Approving twice is a no-op."""
    request = _lock(request_id)
    if request.status == ResourceRequest.Status.APPROVED:
        return request
    ensure_transition(request.status, ResourceRequest.Status.APPROVED,
                      ResourceRequest.ALLOWED_TRANSITIONS)
    errors = Errors()
    credits = amount_from(amount, "amount", "amount approved", errors, positive=False)
    cover = amount_from(cash_cover, "cash_cover", "cash cover", errors, positive=False)
    if not errors.found:
        if credits > request.amount:
            errors.add("amount", f"Approve at most the {usd(request.amount)} asked for.")
        elif credits + cover > request.amount:
            errors.add("cash_cover", f"Credits and cash cover together can be at most the "
                                     f"{usd(request.amount)} asked for.")
        elif not credits + cover:
            errors.add(NON_FIELD_ERRORS, "Approve an amount, or reject the request.")
        elif credits < request.amount and not note.strip():
            errors.add("note", "Say why less credit than asked is approved.")
    errors.raise_any()
    posted = posting.allocate(request.project, request.provider, credits,
                              cover_with_cash=cover, key=f"request:{request.pk}")
    transition(request, ResourceRequest.Status.APPROVED, action="resource_request.approve",
               actor=actor, note=note.strip(), approved_amount=credits, cash_cover=cover,
               decision_note=note.strip(), decided_by=actor, decided_at=timezone.now(),
               ledger_transaction=posted)
    _tell_maintainers(request, "resource_request_approved")
    return request


@transaction.atomic
def request_reject(*, request_id: int, actor: User, note: str) -> ResourceRequest:
    """Reject with a note the maintainers read. Rejecting twice is a no-op."""
    request = _lock(request_id)
    if request.status == ResourceRequest.Status.REJECTED:
        return request
    ensure_transition(request.status, ResourceRequest.Status.REJECTED,
                      ResourceRequest.ALLOWED_TRANSITIONS)
    if not note.strip():
        errors = Errors()
        errors.add("note", "Say why the request is rejected: the maintainers read it.")
        errors.raise_any()
    transition(request, ResourceRequest.Status.REJECTED, action="resource_request.reject",
               actor=actor, note=note.strip(), decision_note=note.strip(), decided_by=actor,
               decided_at=timezone.now())
    _tell_maintainers(request, "resource_request_rejected")
    return request

