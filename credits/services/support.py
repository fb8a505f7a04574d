"""Support within the sponsor's SLA: a project's maintainer asks the technical contact of the
provider it has an allocation of; the contact acknowledges or answers through a signed link,
without an account; a beat job flags to staff, once, each request past its deadline without
a response; per sponsor, the median response time and the share answered within the SLA.

Which contact: the provider's credits come from sponsors' pledges (Contribution.provider). The
request goes to the pledge, confirmed or fulfilled, with a received credit contribution of
that provider, preferring one whose lot funds this very allocation, then the newest year and
confirmation. Its contact and SLA are copied onto the request as sent.

Answering twice: the first answer is kept and a later one is refused (the contact sees the
answer already given); acknowledging again, or sending the same answer again, changes
nothing."""

import statistics
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core import signing
from django.db import transaction
from django.db.models import Count, Exists, OuterRef, QuerySet
from django.utils import timezone

from credits.ledger.models import Account, Entry
from credits.models import Contribution, Pledge, SupportRequest
from credits.models.support import duration_words
from foundation import audit, emails
from foundation.accounts.models import Organization, User
from foundation.http import whole_number
from foundation.signed_links import signed_id
from foundation.transitions import DomainError, transition
from projects.selectors import is_maintainer
from projects.services.common import maintainer_emails

SALT = "credits.support.respond"
LINK_LIFETIME = timedelta(days=90)
NOT_VALID = ("This link is not valid or has expired. Ask the project to send its request "
             "again, or write to the foundation.")
ANSWERED_ALREADY = "This request has been answered already: the answer below is the one kept."
NO_CONTACT = ("No sponsor of {provider} has named a technical contact yet: write to the "
              "foundation instead.")


# Reads


def allocation_for_maintainer(user: Any, allocation_id: int) -> Account | None:
    """The allocation when the person maintains its project; None otherwise, so another
    project's allocation is a 404 that does not tell it exists."""
    if whole_number(allocation_id, 2**63 - 1) is None:
        return None
    allocation = (Account.objects.select_related("project", "provider")
                  .filter(pk=allocation_id, kind=Account.Kind.ALLOCATION).first())
    if allocation is None or not is_maintainer(user, allocation.project):
        return None
    return allocation


def contact_pledge(allocation: Account) -> Pledge | None:
    """The pledge whose technical contact answers for the allocation's provider (one query;
    the rule is in this module's docstring)."""
    funds = Entry.objects.filter(account=allocation, lot__contribution__pledge=OuterRef("pk"))
    received = Contribution.objects.filter(
        pledge=OuterRef("pk"), kind=Contribution.Kind.CREDIT, provider=allocation.provider_id,
        status=Contribution.Status.RECEIVED)
    return (Pledge.objects.counted().select_related("organization")
            .filter(Exists(received)).annotate(funds=Exists(funds))
            .order_by("-funds", "-year", "-confirmed_at", "-pk").first())


def requests_of_allocation(allocation: Account) -> QuerySet[SupportRequest]:
    return SupportRequest.objects.filter(allocation=allocation)


def with_open_counts(allocations: list[Account]) -> list[Account]:
    """Sets `open_support_requests` on each allocation, for a list of them that shows
    templates/credits/_allocation_support.html per row (one query for the whole list)."""
    counts = dict(SupportRequest.objects.open()
                  .filter(allocation__in=[a.pk for a in allocations])
                  .values("allocation").annotate(n=Count("pk")).values_list("allocation", "n"))
    for allocation in allocations:
        allocation.open_support_requests = counts.get(allocation.pk, 0)  # type: ignore[attr-defined]
    return allocations


def request_from_token(token: str) -> SupportRequest:
    """The request a contact's link names; DomainError for a forged, expired or unknown one."""
    try:
        pk = signed_id(token, salt=SALT, max_age=LINK_LIFETIME)
    except DomainError as exc:
        raise DomainError(NOT_VALID) from exc
    found = (SupportRequest.objects
             .select_related("allocation__project", "allocation__provider",
                             "pledge__organization", "requested_by")
             .filter(pk=pk).first())
    if found is None:
        raise DomainError(NOT_VALID)
    return found


def respond_url(support_request: SupportRequest) -> str:
    token = signing.dumps(support_request.pk, salt=SALT)
    return f"{settings.SITE_URL}/credits/support/{token}/"


# Writes


@transaction.atomic
def request_send(*, allocation: Account, actor: User, subject: str,
                 message: str) -> SupportRequest:
    """Store the request with its deadline (sent now + the pledge's SLA) and e-mail the
    contact after commit, with the link to respond."""
    project = allocation.project  # an allocation always has one (its check constraint)
    if project is None or not is_maintainer(actor, project):
        raise DomainError("Only the project's maintainers can ask for help with its "
                          "allocations.")
    pledge = contact_pledge(allocation)
    if pledge is None:
        raise DomainError(NO_CONTACT.format(provider=allocation.provider))
    now = timezone.now()
    support_request = SupportRequest.objects.create(
        allocation=allocation, pledge=pledge, requested_by=actor, subject=subject,
        message=message, contact_name=pledge.contact_name, contact_email=pledge.contact_email,
        sla_hours=pledge.sla_hours, sent_at=now,
        deadline=now + timedelta(hours=pledge.sla_hours))
    audit.record(support_request, actor=actor, action="support_request.send",
                 new={"status": support_request.status, "to": pledge.contact_email,
                      "deadline": support_request.deadline.isoformat()})
    emails.queue(kind="support_request", obj=support_request, to=pledge.contact_email,
                 template="credits/emails/support_request",
                 context={"support": support_request, "project": allocation.project,
                          "provider": allocation.provider, "sponsor": pledge.organization,
                          "requester": actor, "url": respond_url(support_request),
                          "link_days": LINK_LIFETIME.days})
    return support_request


@transaction.atomic
def respond(*, token: str, answer: str = "") -> SupportRequest:
    """The contact acknowledges (no answer) or answers. The first response's time is the
    request's response time. The maintainer who asked gets the answer by e-mail."""
    found = request_from_token(token)
    support_request = SupportRequest.objects.select_for_update().get(pk=found.pk)
    now = timezone.now()
    first = {"first_response_at": now} if support_request.first_response_at is None else {}
    answer = answer.strip()
    if not answer:
        if support_request.status != SupportRequest.Status.SENT:
            return support_request
        transition(support_request, SupportRequest.Status.ACKNOWLEDGED,
                   action="support_request.acknowledge",
                   note=f"By {support_request.contact_email}.", acknowledged_at=now, **first)
        return support_request
    if support_request.status == SupportRequest.Status.ANSWERED:
        if support_request.answer == answer:
            return support_request
        raise DomainError(ANSWERED_ALREADY)
    transition(support_request, SupportRequest.Status.ANSWERED, action="support_request.answer",
               note=f"By {support_request.contact_email}.", answered_at=now, answer=answer,
               **first)
    requester, project = found.requested_by, found.allocation.project
    assert project is not None  # an allocation's check constraint
    to = ([requester.email] if requester and requester.is_active
          else maintainer_emails(project))
    for address in to:
        emails.queue(kind="support_answer", obj=support_request, to=address,
                     template="credits/emails/support_answer",
                     context={"support": support_request, "project": found.allocation.project,
                              "provider": found.allocation.provider,
                              "sponsor": found.pledge.organization,
                              "url": f"{settings.SITE_URL}/credits/allocations/"
                                     f"{support_request.allocation_id}/support/"})
    return support_request


@transaction.atomic
def flag_overdue(*, now: datetime | None = None) -> list[SupportRequest]:
    """Beat: every request past its deadline with no response and not flagged yet is flagged
    now, under its row lock, and staff get one e-mail listing them. A second run, or one
    waiting on the first's locks, finds them flagged and sends nothing."""
    now = now or timezone.now()
    due = list(SupportRequest.objects.overdue_unflagged(now).select_for_update(of=("self",))
               .select_related("allocation__project", "allocation__provider",
                               "pledge__organization").order_by("deadline", "pk"))
    if not due:
        return []
    SupportRequest.objects.filter(pk__in=[r.pk for r in due]).update(flagged_at=now)
    for support_request in due:
        support_request.flagged_at = now
        audit.record(support_request, action="support_request.flag",
                     old={"flagged_at": None}, new={"flagged_at": now.isoformat()},
                     note=f"No response by {audit.long_date(support_request.deadline)}, "
                          f"{support_request.deadline:%H:%M} UTC.")
    for address in emails.staff_emails():
        emails.queue(kind="support_overdue", obj=due[0], to=address,
                     occurrence=now.isoformat(), template="credits/emails/support_overdue",
                     context={"requests": due,
                              "admin_url": f"{settings.SITE_URL}/admin/credits/"
                                           "supportrequest/?sla=overdue"})
    return due


# Figures per sponsor


@dataclass
class SponsorSupport:
    """One sponsor's requests in figures. The share counts the requests that can be judged:
    responded, or past the deadline without a response."""

    requests: int = 0
    open: int = 0
    judged: int = 0
    in_time: int = 0
    median: timedelta | None = None

    @property
    def share_in_time(self) -> float | None:
        return self.in_time / self.judged if self.judged else None

    @property
    def percent_in_time(self) -> str:
        share = self.share_in_time
        return "" if share is None else f"{share:.0%}"

    @property
    def median_words(self) -> str:
        return duration_words(self.median)


def sponsor_figures(organization_ids: list[int] | None = None,
                    now: datetime | None = None) -> dict[int, SponsorSupport]:
    """Each sponsor's figures (one query: the times of its requests; the median is taken in
    Python, so SQLite and PostgreSQL agree)."""
    now = now or timezone.now()
    rows = SupportRequest.objects.all()
    if organization_ids is not None:
        rows = rows.filter(pledge__organization_id__in=organization_ids)
    durations: dict[int, list[float]] = {}
    figures: dict[int, SponsorSupport] = {}
    for org_id, status, sent_at, deadline, responded in rows.values_list(
            "pledge__organization_id", "status", "sent_at", "deadline", "first_response_at"):
        found = figures.setdefault(org_id, SponsorSupport())
        found.requests += 1
        found.open += status != SupportRequest.Status.ANSWERED
        if responded is not None:
            found.judged += 1
            found.in_time += responded <= deadline
            durations.setdefault(org_id, []).append((responded - sent_at).total_seconds())
        elif deadline < now:
            found.judged += 1
    for org_id, seconds in durations.items():
        figures[org_id].median = timedelta(seconds=statistics.median(seconds))
    return figures


def sponsor_requests(organization: Organization, limit: int = 50) -> list[SupportRequest]:
    """The sponsor's latest requests, with their project and provider (one query)."""
    return list(SupportRequest.objects.filter(pledge__organization=organization)
                .select_related("allocation__project", "allocation__provider")[:limit])
