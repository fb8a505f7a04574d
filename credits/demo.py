"""The cloud credit programme as demo data: the foundation's published levels and benefits,
the providers, and a programme year of sponsors in every state.

AWS is a Champion giving credits (the foundation's page names AWS as a credit donor); other
members are Advocates and Supporters with credit and cash, and one pledge waits for staff.
The amounts are made up for the demo: each pledge's history says so to staff, and no public
page does. Everything happens through the services, as it would on the portal, and only its
dates are then moved to when it happened in the year. A sponsor that already has a pledge in
the programme year is left as it is, so running it again changes nothing.

The providers' logos are the landscape's (data/pytorch-landscape/hosted_logos, see SOURCE.md
there): aws.svg, google-cloud.svg and microsoft-azure.svg."""

import itertools
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from allauth.account.models import EmailAddress
from django.core.files.base import File
from django.db.models import Min
from django.utils import timezone

from credits import programme_year
from foundation import audit
from foundation.accounts.models import Organization, OrganizationRole, Role, User
from foundation.billing import services as billing
from foundation.billing.models import Payment
from foundation.checklists.models import ChecklistItem
from foundation.uploads import UploadRejected, clean_logo
from members.demo import LANDSCAPE_DIR
from projects import demo as projects_demo
from projects.models import Project

from .ledger import posting
from .ledger.models import Lot
from .models import Benefit, Contribution, Level, Pledge, Provider, SponsorYear
from .services import benefits as benefit_services
from .services import pledges as pledge_services
from .services.pledges import Contact, ContributionInput
from .transparency import month_start

LEVELS = [("Supporter", Decimal("250000"), 3), ("Advocate", Decimal("500000"), 2),
          ("Champion", Decimal("1000000"), 1)]

AUTOMATIC, INPUT, STAFF = (Benefit.Fulfilment.AUTOMATIC, Benefit.Fulfilment.SPONSOR_INPUT,
                           Benefit.Fulfilment.STAFF)
# key, level, title, description, fulfilment, what the sponsor provides, due days, at conference
BENEFITS = [
    ("website-placement", "Supporter", "Placement on the PyTorch website",
     "The sponsor's logo on the cloud credit programme's page, at its level, for the "
     "programme year.", AUTOMATIC, "", 14, False),
    ("online-programme-slot", "Advocate", "Bonus online programme slot",
     "A live webinar, a live stream or an on-demand webinar, as the sponsor chooses, to "
     "highlight its participation in the programme.", INPUT,
     "The format (live webinar, live stream or on-demand webinar) and the dates you propose",
     90, False),
    ("top-placement", "Champion", "Top placement on the PyTorch website",
     "The sponsor's logo at the top of the sponsor wall, with an explanation of its offering.",
     INPUT, "The description of your offering and your logo", 30, False),
    ("blog-post", "Champion", "Coordinated blog post and media outreach",
     "A blog post on the PyTorch blog about the donation, with the foundation's media "
     "outreach.", INPUT, "A draft of the blog post, or its key points", 60, False),
    ("social-shout-out", "Champion", "Social media shout-out",
     "The foundation thanks the sponsor for its contribution on its social media accounts.",
     STAFF, "", 30, False),
    ("keynote-mention", "Champion", "Mention in the keynote at the next PyTorch Conference",
     "The sponsor is thanked in the keynote of the next PyTorch Conference.", STAFF, "", 300,
     True),
    ("resource-pooling", "Champion", "Resource pooling and CI capacity for self-service",
     "The foundation sets up resource pooling and CI capacity so projects can use the "
     "sponsor's offering self-service.", STAFF, "", 60, False),
]

# name, logo in the landscape, the services sponsors usually give
PROVIDERS = [
    ("AWS", "aws.svg", "Amazon EC2 (GPU instances)\nAmazon S3\nAWS CodeBuild"),
    ("Google Cloud", "google-cloud.svg", "Compute Engine (GPU VMs)\nCloud TPU\n"
                                         "Google Kubernetes Engine"),
    ("Microsoft Azure", "microsoft-azure.svg", "Azure Virtual Machines (ND-series GPUs)\n"
                                               "Azure Kubernetes Service\nAzure Blob Storage"),
]

DEMO_NOTE = ("Demo data: the amounts, dates and references of this pledge are made up for "
             "the demo; they are not the sponsor's real contribution.")


@dataclass
class Credit:
    provider: str
    service: str
    face_value: str
    received: bool = False
    valid_days: int | None = None  # days from today to its expiry; None: the end of next year


@dataclass
class Sponsor:
    """One demo sponsor: a landscape member (by slug) and what happens to its pledge."""

    slug: str
    contact: Contact
    credits: list[Credit] = field(default_factory=list)
    cash: str = ""
    cash_paid: bool = False
    submitted_days_ago: int = 200
    confirmed_days_ago: int | None = None  # None: still waiting for staff
    listed: bool = True
    offering: str = ""
    # key: (what the sponsor provided or "", proof of delivery or "", due in days from today)
    items: dict[str, tuple[str, str, int | None]] = field(default_factory=dict)


def _contact(name: str, email: str, sla: int, channel: str, value: str, hours: str) -> Contact:
    return Contact(name=name, email=email, sla_hours=sla, support_channel=channel,
                   support_channel_value=value, support_hours=hours)


SPONSORS = [
    Sponsor(
        slug="amazon-web-services-inc",
        contact=_contact("AWS Open Source Credits team", "oss-credits@aws.example", 24,
                         Pledge.Channel.TICKET, "https://support.aws.example/oss-credits",
                         "Every day, around the clock"),
        credits=[Credit("AWS", "Amazon EC2 GPU instances for PyTorch CI", "1000000", True),
                 Credit("AWS", "Amazon S3 and AWS CodeBuild for build artifacts", "250000")],
        submitted_days_ago=250, confirmed_days_ago=240,
        offering=("AWS credits run PyTorch's GPU continuous integration on Amazon EC2, and "
                  "projects hosted by the foundation can request capacity through the "
                  "self-service portal."),
        items={
            "online-programme-slot": ("On-demand webinar: “Scaling PyTorch CI on Amazon EC2”, "
                                      "recorded in the second half of the year.",
                                      "https://pytorch.org/webinars/", None),
            "top-placement": ("AWS credits run PyTorch's GPU CI on Amazon EC2; projects "
                              "request capacity through the self-service portal.",
                              "Top of the sponsor wall at /credits/ with the offering", None),
            "social-shout-out": ("", "Thank-you posts on the foundation's LinkedIn and X "
                                     "accounts", None),
            "blog-post": ("", "", -12),
            "resource-pooling": ("", "", -5),
        },
    ),
    Sponsor(
        slug="google-llc",
        contact=_contact("Google Cloud OSS programs", "oss-programs@google.example", 48,
                         Pledge.Channel.EMAIL, "cloud-oss-support@google.example",
                         "Monday to Friday, 9:00–17:00 PT"),
        credits=[Credit("Google Cloud", "Cloud TPU and Compute Engine GPU VMs for CI",
                        "400000", True, valid_days=45)],
        cash="100000", cash_paid=True, submitted_days_ago=150, confirmed_days_ago=140,
        items={
            "online-programme-slot": ("Live stream on Cloud TPU and PyTorch/XLA; we propose "
                                      "the second or third week of next month.", "", 21),
        },
    ),
    Sponsor(
        slug="amd",
        contact=_contact("AMD open source developer relations", "oss-devrel@amd.example", 72,
                         Pledge.Channel.CHAT, "https://chat.amd.example/pytorch-credits",
                         "Monday to Friday, 8:00–18:00 CT"),
        cash="500000", submitted_days_ago=24, confirmed_days_ago=18,
    ),
    Sponsor(
        slug="microsoft-corporation",
        contact=_contact("Azure open source team", "azure-oss@microsoft.example", 24,
                         Pledge.Channel.EMAIL, "azure-oss-support@microsoft.example",
                         "Monday to Friday, 9:00–17:00 PT"),
        credits=[Credit("Microsoft Azure", "Azure Virtual Machines (ND-series) for CI",
                        "300000")],
        submitted_days_ago=75, confirmed_days_ago=60,
    ),
    Sponsor(
        slug="nvidia-corporation",
        contact=_contact("NVIDIA developer programs", "devprograms@nvidia.example", 48,
                         Pledge.Channel.EMAIL, "devprograms-support@nvidia.example",
                         "Monday to Friday, 9:00–17:00 PT"),
        cash="250000", submitted_days_ago=4, listed=False,
    ),
]


def seed_programme(owner: User) -> dict[str, Provider]:
    """The levels, benefits and providers, each created once; staff's later edits stay."""
    levels = {}
    for name, threshold, order in LEVELS:
        levels[name], _ = Level.objects.get_or_create(
            name=name, defaults={"threshold_usd": threshold, "order": order})
    for order, (key, level, title, description, fulfilment, provide, due_days,
                at_conference) in enumerate(BENEFITS):
        Benefit.objects.get_or_create(key=key, defaults={
            "level": levels[level], "title": title, "description": description,
            "fulfilment": fulfilment, "sponsor_must_provide": provide, "due_days": due_days,
            "due_at_conference": at_conference, "default_owner": owner, "order": order})
    providers = {}
    for name, logo, services in PROVIDERS:
        provider, created = Provider.objects.get_or_create(name=name,
                                                           defaults={"services": services})
        if created:
            path = LANDSCAPE_DIR / "hosted_logos" / logo
            try:
                with path.open("rb") as fh:
                    cleaned = clean_logo(File(fh, name=path.name))
                provider.logo.save(f"{logo.removesuffix('.svg')}-{cleaned.name}", cleaned,
                                   save=True)
            except (OSError, UploadRejected):
                pass  # a provider without a logo is still a useful demo
        providers[name] = provider
    return providers


def _admin_of(org: Organization) -> User:
    """The organization's admin, or a demo one (who cannot log in) when it has none."""
    role = OrganizationRole.objects.filter(organization=org, role=Role.ADMIN).select_related(
        "user").order_by("pk").first()
    if role:
        return role.user
    email = f"sponsorship@{org.slug}.example"
    user = User.objects.filter(email__iexact=email).first() or User.objects.create_user(
        email=email, password=None)
    EmailAddress.objects.get_or_create(user=user, email=email,
                                       defaults={"verified": True, "primary": True})
    OrganizationRole.objects.get_or_create(organization=org, user=user, role=Role.ADMIN)
    return user


def _at(day: date, hour: int = 10) -> datetime:
    """A time on `day`, never later than now."""
    return min(timezone.make_aware(datetime.combine(day, time(hour))), timezone.now())


class _Calendar:
    """Days of the programme year, never before its first day nor after today."""

    def __init__(self, year: int, today: date):
        self.year, self.today, self.first = year, today, min(date(year, 1, 1), today)

    def ago(self, days: int) -> date:
        return max(self.first, self.today - timedelta(days=days))


def _pledge(spec: Sponsor, org: Organization, providers: dict[str, Provider], staff: User,
            days: _Calendar) -> Pledge:
    admin = _admin_of(org)
    year_end = date(days.year, 12, 31)
    contributions = [
        ContributionInput(kind=Contribution.Kind.CREDIT, provider=providers[c.provider],
                          service=c.service, face_value=Decimal(c.face_value),
                          valid_from=days.ago(spec.submitted_days_ago),
                          valid_to=(days.today + timedelta(days=c.valid_days) if c.valid_days
                                    else year_end + timedelta(days=365)),
                          redemption_method=Contribution.Redemption.ACCOUNT_CREDIT)
        for c in spec.credits]
    if spec.cash:
        contributions.append(ContributionInput(kind=Contribution.Kind.CASH,
                                               cash_amount=Decimal(spec.cash)))
    pledge = pledge_services.pledge_submit(
        organization=org, actor=admin, contributions=contributions, contact=spec.contact,
        listed_publicly=spec.listed, offering_description=spec.offering,
        billing_address=f"{org.legal_name}\nAccounts payable")
    submitted = days.ago(spec.submitted_days_ago)
    Pledge.objects.filter(pk=pledge.pk).update(created_at=_at(submitted))
    audit.record(pledge, actor=staff, action="pledge.note", note=DEMO_NOTE)
    if spec.confirmed_days_ago is None:
        return pledge
    confirmed = days.ago(spec.confirmed_days_ago)
    pledge_services.pledge_confirm(pledge_id=pledge.pk, actor=staff,
                                   agreement_signed_on=confirmed)
    Pledge.objects.filter(pk=pledge.pk).update(confirmed_at=_at(confirmed, 15))
    # The task that follows a confirmation, run here: it is safe to run again after commit.
    benefit_services.pledge_confirmed(pledge_id=pledge.pk)
    received_on = min(confirmed + timedelta(days=21), days.today)
    for n, (given, contribution) in enumerate(zip(spec.credits, pledge.contributions.filter(
            kind=Contribution.Kind.CREDIT).order_by("pk"), strict=True)):
        if given.received:
            pledge_services.contribution_receive(
                contribution_id=contribution.pk, actor=staff, amount_granted=given.face_value,
                redemption_reference=f"DEMO-{org.slug[:12].upper()}-{year_end.year}-{n + 1}",
                received_on=received_on)
    if spec.cash_paid:
        cash = pledge.contributions.select_related("invoice").get(kind=Contribution.Kind.CASH)
        assert cash.invoice is not None  # confirming invoices cash
        billing.payment_record(invoice_id=cash.invoice.pk, method=Payment.Method.WIRE,
                               amount=cash.invoice.total, reference=f"Wire {cash.invoice}",
                               received_at=_at(received_on), actor=staff)
    return pledge


def _items(spec: Sponsor, org: Organization, staff: User, days: _Calendar) -> None:
    """The checklist's states: what the sponsor provided, what staff delivered and when, and
    which items are overdue."""
    sponsor_year = SponsorYear.objects.get(organization=org, year=days.year)
    items = {item.key: item for item in benefit_services.items_of(sponsor_year)}
    admin = _admin_of(org)
    confirmed = days.ago(spec.confirmed_days_ago or 0)
    for key, (provided, proof, due_in) in spec.items.items():
        item = items.get(key)
        if item is None:
            continue
        if provided:
            benefit_services.benefit_provide(item_id=item.pk, actor=admin, text=provided)
            ChecklistItem.objects.filter(pk=item.pk).update(
                provided_at=_at(min(confirmed + timedelta(days=10), days.today)))
        if proof:
            benefit_services.benefit_deliver(item_id=item.pk, actor=staff, proof=proof)
            ChecklistItem.objects.filter(pk=item.pk).update(
                delivered_at=_at(min(confirmed + timedelta(days=25), days.today), 16))
        if due_in is not None:
            ChecklistItem.objects.filter(pk=item.pk).update(
                due_date=max(days.today + timedelta(days=due_in), confirmed))


@dataclass
class Allocation:
    """Credits staff gave a hosted project from the pool, and what it used each month since."""

    project: str  # the hosted project's slug
    provider: str
    amount: str
    days_ago: int
    monthly_use: str
    cash_cover: str = "0"


# Azure's credits are pledged but not received yet: Ray's share is covered from earmarked cash.
ALLOCATIONS = [
    Allocation("pytorch", "AWS", "300000", 200, "28000"),
    Allocation("vllm", "AWS", "120000", 150, "14000"),
    Allocation("deepspeed", "Google Cloud", "150000", 110, "18000"),
    Allocation("ray", "Microsoft Azure", "0", 60, "6000", cash_cover="20000"),
]
USE_SWING = (Decimal("0.85"), Decimal("1.1"), Decimal("0.95"), Decimal("1.2"), Decimal("1"))


def _ledger(providers: dict[str, Provider], days: _Calendar) -> None:
    """Allocations to the demo's hosted projects and their usage each month until today,
    through the ledger's postings under stable keys, so a second run on a day changes
    nothing. A month's usage is posted on its 28th (this month's, today, in part)."""
    projects = Project.objects.in_bulk([a.project for a in ALLOCATIONS], field_name="slug")
    if not projects:  # the landscape loads after this programme's demo: load it first
        projects_demo.seed({})
        projects = Project.objects.in_bulk([a.project for a in ALLOCATIONS], field_name="slug")
    received = dict(Lot.objects.order_by().values("provider").annotate(first=Min(
        "contribution__received_on")).values_list("provider", "first"))
    for spec in ALLOCATIONS:
        project, provider = projects.get(spec.project), providers[spec.provider]
        source = None if Decimal(spec.amount) == 0 else provider.pk  # all cash cover
        if project is None or project.status != Project.Status.HOSTED \
                or received.get(source) is None:
            continue
        on = max(days.ago(spec.days_ago), received[source])
        posting.allocate(project, provider, Decimal(spec.amount),
                         cover_with_cash=Decimal(spec.cash_cover), on=on,
                         key=f"demo:allocation:{spec.project}:{provider.pk}")
        allocation = posting.allocation_account(project, provider)
        month = month_start(on)
        for n in itertools.count():
            if month > days.today:
                break
            used_on = min(month.replace(day=28), days.today)
            share = Decimal(used_on.day) / 28 if used_on == days.today else Decimal(1)
            amount = (Decimal(spec.monthly_use) * USE_SWING[n % len(USE_SWING)] * share
                      ).quantize(Decimal("1"))
            if amount and used_on >= on:
                posting.record_usage(allocation, amount, used_on,
                                     key=f"demo:usage:{spec.project}:{provider.pk}:{month:%Y-%m}")
            month = month_start(month, -1)


def seed(users: dict[str, User]) -> None:
    """The programme, then each demo sponsor's pledge of the programme year, once, and the
    pool's allocations to hosted projects with their usage."""
    staff = users["staff"]
    providers = seed_programme(owner=staff)
    year, today = programme_year(), timezone.localdate()
    days = _Calendar(year, today)
    organizations = Organization.objects.in_bulk([s.slug for s in SPONSORS], field_name="slug")
    pledged = set(Pledge.objects.filter(year=year, organization__in=organizations.values())
                  .values_list("organization__slug", flat=True))
    for spec in SPONSORS:
        org = organizations.get(spec.slug)
        if org is None or spec.slug in pledged:
            continue
        _pledge(spec, org, providers, staff, days)
        if spec.confirmed_days_ago is not None:
            _items(spec, org, staff, days)
    _ledger(providers, days)
