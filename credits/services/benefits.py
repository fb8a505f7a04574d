"""The sponsor's benefits checklist, on the kernel's checklist mechanism: one item per
benefit of the level, held by the organization's SponsorYear, so making it twice changes
nothing and a higher level adds exactly its own items. Website placement is delivered by
the portal once the sponsor is listed; overdue items remind their owner once a day."""

from datetime import date, timedelta
from typing import Any

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.http import Http404
from django.urls import reverse
from django.utils import timezone

from credits import a_or_an, usd
from credits.models import Benefit, Pledge, SponsorYear
from credits.selectors import is_admin, standing
from credits.words import item_words
from foundation import audit, emails
from foundation.accounts.models import Organization, OrganizationRole, Role, User
from foundation.checklists.models import ChecklistItem
from foundation.checklists.services import (
    ItemSpec,
    checklist_ensure,
    deliver_automatic,
    item_deliver,
    item_provide,
)
from foundation.models import OutboundEmail
from foundation.transitions import DomainError

# The benefit the portal itself delivers: the sponsor on the public wall.
PLACEMENT_KEY = "website-placement"


def _due(benefit: Benefit, confirmed_on: date) -> date:
    conference = settings.CREDITS_CONFERENCE_DATE
    if benefit.due_at_conference and conference:
        return conference
    return confirmed_on + timedelta(days=benefit.due_days)


def _admins(organization_id: int) -> list[str]:
    return sorted(set(OrganizationRole.objects.filter(
        organization_id=organization_id, role=Role.ADMIN).values_list("user__email", flat=True)))


def _mail_item(item: ChecklistItem, sponsor_year: SponsorYear, kind: str) -> None:
    for address in _admins(sponsor_year.organization_id):
        emails.queue(kind=kind, obj=item, to=address, template=f"credits/emails/{kind}",
                     context={"item": item, "sponsor_year": sponsor_year,
                              "year": sponsor_year.year,
                              "organization": sponsor_year.organization})


def items_of(sponsor_year: SponsorYear):
    return ChecklistItem.objects.for_holder(sponsor_year).select_related("owner")


@transaction.atomic
def sponsor_year_refresh(*, organization_id: int, year: int,
                         confirmed_on: date | None = None) -> SponsorYear:
    """Bring the organization's year up to date: its level from the confirmed contributions,
    one checklist item per benefit of that level (due from `confirmed_on`), and website
    placement delivered if it is listed. Safe to run any number of times."""
    Organization.objects.lock(organization_id)
    SponsorYear.objects.bulk_create([SponsorYear(organization_id=organization_id, year=year)],
                                    ignore_conflicts=True)
    sponsor_year = SponsorYear.objects.select_for_update(of=("self",)).select_related(
        "organization", "level").get(organization_id=organization_id, year=year)
    level = standing(sponsor_year.organization, year).level
    if sponsor_year.level_id != (level.pk if level else None):
        old = str(sponsor_year.level or "no level")
        sponsor_year.level = level
        sponsor_year.save(update_fields=["level"])
        audit.record(sponsor_year, action="sponsor_year.update", old={"level": old},
                     new={"level": str(level or "no level")})
    if level is None:
        return sponsor_year
    benefits = Benefit.objects.filter(
        level__threshold_usd__lte=level.threshold_usd).select_related("default_owner")
    had = set(items_of(sponsor_year).values_list("key", flat=True))
    on = confirmed_on or timezone.localdate()
    items = checklist_ensure(holder=sponsor_year, items=[
        ItemSpec(key=b.key, title=b.title, description=b.description, due_date=_due(b, on),
                 member_must_provide=(b.sponsor_must_provide
                                      if b.fulfilment == Benefit.Fulfilment.SPONSOR_INPUT
                                      else ""),
                 owner=b.default_owner)
        for b in benefits
    ])
    for item in items:
        if item.key not in had and item.status == ChecklistItem.Status.WAITING_ON_MEMBER:
            _mail_item(item, sponsor_year, "input_needed")
    if Pledge.objects.listed(year).filter(organization_id=organization_id).exists():
        deliver_placement(sponsor_year)
    return sponsor_year


def deliver_placement(sponsor_year: SponsorYear) -> None:
    """The sponsor is on the public wall: its website placement is delivered, once."""
    open_items = list(items_of(sponsor_year).filter(key=PLACEMENT_KEY).open())
    if not open_items:
        return
    deliver_automatic(holder=sponsor_year, key=PLACEMENT_KEY,
                      proof=f"Listed on {settings.SITE_URL}{reverse('credits')} "
                            f"as {a_or_an(sponsor_year.level)} for {sponsor_year.year}.")
    for item in open_items:
        item.refresh_from_db()
        _mail_item(item, sponsor_year, "benefit_delivered")


def pledge_confirmed(*, pledge_id: int) -> SponsorYear:
    """After a confirmation commits: the checklist of the level reached, then the sponsor's
    confirmation with it (sent once per pledge)."""
    pledge = Pledge.objects.select_related("organization").get(pk=pledge_id)
    confirmed_on = timezone.localdate(pledge.confirmed_at) if pledge.confirmed_at else None
    sponsor_year = sponsor_year_refresh(organization_id=pledge.organization_id, year=pledge.year,
                                        confirmed_on=confirmed_on)
    if pledge.status in {Pledge.Status.CONFIRMED, Pledge.Status.FULFILLED}:
        from .pledges import mail_sponsor

        with transaction.atomic():
            mail_sponsor(pledge, "pledge_confirmed", sponsor_year=sponsor_year,
                         lines=[item_words(item) for item in items_of(sponsor_year)],
                         invoices=[f"Invoice {c.invoice.number} for the cash contribution "
                                   f"({usd(c.value)}) comes in its own e-mail." for c in
                                   pledge.contributions.exclude(invoice=None)
                                   .select_related("invoice")
                                   if c.invoice is not None])
    return sponsor_year


def catch_up_confirmations(*, year: int) -> int:
    """Confirmed pledges of `year` whose after-commit task was lost (a worker died): their
    checklist and confirmation e-mail, now. A pledge whose e-mail is stored is done."""
    prefix = "pledge_confirmed:credits.pledge:"  # foundation.emails.email_key's shape
    done = {key.removeprefix(prefix).split(":")[0] for key in OutboundEmail.objects.filter(
        key__startswith=prefix).values_list("key", flat=True)}
    waiting = [pk for pk in Pledge.objects.counted().filter(year=year).values_list("pk",
                                                                                 flat=True)
               if str(pk) not in done]
    for pk in waiting:
        pledge_confirmed(pledge_id=pk)
    return len(waiting)


def _item_of_sponsor(item_id: int) -> tuple[ChecklistItem, SponsorYear]:
    item = ChecklistItem.objects.get(
        pk=item_id, holder_type=ContentType.objects.get_for_model(SponsorYear))
    sponsor_year = SponsorYear.objects.select_related("organization", "level").get(
        pk=item.holder_id)
    return item, sponsor_year


@transaction.atomic
def benefit_deliver(*, item_id: int, actor: Any, proof: str) -> ChecklistItem:
    """Staff deliver a benefit with its proof (a link or a note); the sponsor is told once."""
    item, sponsor_year = _item_of_sponsor(item_id)
    if item.status == ChecklistItem.Status.DELIVERED:
        return item
    if not proof.strip():
        raise DomainError("Give the proof of delivery: a link or a note.")
    item = item_deliver(item_id=item.pk, actor=actor, proof=proof.strip())
    _mail_item(item, sponsor_year, "benefit_delivered")
    return item


@transaction.atomic
def benefit_provide(*, item_id: int, actor: User, text: str) -> ChecklistItem:
    """The sponsor's admin gives what an item needs (the webinar format and dates, the blog
    draft); another organization's item is a 404."""
    try:
        item, sponsor_year = _item_of_sponsor(item_id)
    except (ChecklistItem.DoesNotExist, SponsorYear.DoesNotExist) as exc:
        raise Http404("No such benefit.") from exc
    if not is_admin(actor, sponsor_year.organization):
        raise Http404("No such benefit.")
    return item_provide(item_id=item.pk, actor=actor, text=text)


def send_overdue_reminders(*, today: date | None = None) -> int:
    """Each open item past its due date reminds its owner (staff when it has none), at most
    once a day: the e-mail's key holds the day, so a second run sends nothing."""
    today = today or timezone.localdate()
    items = list(ChecklistItem.objects.overdue(today).filter(
        holder_type=ContentType.objects.get_for_model(SponsorYear)).select_related("owner"))
    years = SponsorYear.objects.select_related("organization", "level").in_bulk(
        [int(item.holder_id) for item in items])
    count = 0
    for item in items:
        sponsor_year = years[int(item.holder_id)]
        to = [item.owner.email] if item.owner and item.owner.is_active else emails.staff_emails()
        with transaction.atomic():
            for address in to:
                sent = emails.queue(
                    kind="benefit_overdue", obj=item, to=address, occurrence=today.isoformat(),
                    template="credits/emails/benefit_overdue",
                    context={"item": item, "sponsor_year": sponsor_year,
                             "year": sponsor_year.year,
                             "organization": sponsor_year.organization,
                             "days_late": (today - item.due_date).days,
                             "admin_url": f"{settings.SITE_URL}/admin/"})
                count += sent is not None
    return count
