"""seed_demo's programme year: the foundation's levels and benefits, the providers with their
logos, AWS a Champion giving credits and other members in every state; twice changes nothing.
`--sponsors N` adds N generated sponsors in bulk, and more on each run."""

from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from django.db.models import Count
from django.utils import timezone

from credits import programme_year
from credits.models import Benefit, Contribution, Level, Pledge, Provider, SponsorYear
from credits.selectors import confirmed_total, level_for
from foundation.accounts.models import Organization, OrganizationRole, Role, User
from foundation.billing.models import Invoice, InvoiceSequence
from foundation.checklists.models import ChecklistItem
from foundation.demo_accounts import MEMBER_EMAIL, STAFF_EMAIL
from foundation.models import AuditEntry

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _this_year(settings):
    settings.CREDITS_PROGRAMME_YEAR = None
    settings.CREDITS_CONFERENCE_DATE = None


def counts():
    return {model.__name__: model.objects.count()
            for model in (User, Organization, OrganizationRole, Level, Benefit, Provider, Pledge,
                          Contribution, SponsorYear, ChecklistItem, Invoice)}


def items_of(slug: str) -> dict[str, ChecklistItem]:
    year = SponsorYear.objects.get(organization__slug=slug, year=programme_year())
    return {item.key: item for item in ChecklistItem.objects.for_holder(year)}


def test_seed_demo_loads_the_programme_and_a_second_run_changes_nothing():
    call_command("seed_demo")
    first = counts()
    logos = sorted(Provider.objects.values_list("logo", flat=True))
    call_command("seed_demo")
    assert counts() == first
    assert sorted(Provider.objects.values_list("logo", flat=True)) == logos

    assert [(level.name, level.threshold_usd) for level in Level.objects.all()] == [
        ("Supporter", Decimal("250000")), ("Advocate", Decimal("500000")),
        ("Champion", Decimal("1000000"))]
    champion = Benefit.objects.filter(level__name="Champion")
    assert set(champion.values_list("key", flat=True)) == {
        "top-placement", "blog-post", "social-shout-out", "keynote-mention", "resource-pooling"}
    slot = Benefit.objects.get(key="online-programme-slot")
    assert slot.fulfilment == Benefit.Fulfilment.SPONSOR_INPUT
    assert "live stream" in slot.sponsor_must_provide
    staff = User.objects.get(email=STAFF_EMAIL)
    assert not Benefit.objects.exclude(default_owner=staff).exists()
    assert Benefit.objects.get(key="keynote-mention").due_at_conference

    assert set(Provider.objects.values_list("name", flat=True)) == {
        "AWS", "Google Cloud", "Microsoft Azure"}
    assert not Provider.objects.filter(logo="").exists()
    assert all(name.endswith(".svg") for name in logos)


def test_aws_is_a_champion_giving_credits_marked_as_demo():
    call_command("seed_demo")
    aws = Organization.objects.get(slug="amazon-web-services-inc")
    pledge = Pledge.objects.get(organization=aws)
    assert pledge.status == Pledge.Status.CONFIRMED and pledge.listed_publicly
    assert pledge.offering_description
    assert {c.kind for c in pledge.contributions.all()} == {Contribution.Kind.CREDIT}
    assert {c.provider.name for c in pledge.contributions.all()} == {"AWS"}
    received = pledge.contributions.get(status=Contribution.Status.RECEIVED)
    assert received.amount_granted == received.face_value and received.redemption_reference
    year = SponsorYear.objects.get(organization=aws, year=programme_year())
    assert year.level.name == "Champion"
    notes = AuditEntry.objects.filter(object_id=str(pledge.pk), action="pledge.note")
    assert "made up for the demo" in notes.get().note
    assert pledge.agreement_signed_on <= timezone.localdate()
    assert pledge.created_at.year == programme_year()


def test_the_checklists_are_in_every_state():
    call_command("seed_demo")
    today = timezone.localdate()
    aws = items_of("amazon-web-services-inc")
    assert aws["website-placement"].status == ChecklistItem.Status.DELIVERED
    assert aws["social-shout-out"].status == ChecklistItem.Status.DELIVERED
    assert aws["social-shout-out"].proof
    assert aws["top-placement"].member_input and aws["top-placement"].proof
    assert aws["blog-post"].status == ChecklistItem.Status.WAITING_ON_MEMBER
    assert aws["resource-pooling"].status == ChecklistItem.Status.TODO
    assert aws["resource-pooling"].due_date < today
    overdue = ChecklistItem.objects.overdue(today)
    assert {"blog-post", "resource-pooling"} <= set(overdue.values_list("key", flat=True))
    google = items_of("google-llc")
    assert set(google) == {"website-placement", "online-programme-slot"}
    assert google["online-programme-slot"].member_input
    assert google["online-programme-slot"].status == ChecklistItem.Status.TODO
    amd = items_of("amd")
    assert amd["online-programme-slot"].status == ChecklistItem.Status.WAITING_ON_MEMBER


def test_members_are_advocates_and_supporters_with_credit_and_cash_in_several_states():
    call_command("seed_demo")
    year = programme_year()
    levels = {y.organization.slug: y.level.name
              for y in SponsorYear.objects.filter(year=year).select_related("organization",
                                                                          "level")}
    assert levels == {"amazon-web-services-inc": "Champion", "google-llc": "Advocate",
                      "amd": "Advocate", "microsoft-corporation": "Supporter"}
    google = Pledge.objects.get(organization__slug="google-llc")
    assert google.status == Pledge.Status.FULFILLED  # its credit recorded, its cash paid
    cash = google.contributions.get(kind=Contribution.Kind.CASH)
    assert cash.status == Contribution.Status.RECEIVED
    assert cash.invoice.status == Invoice.Status.PAID
    amd = Pledge.objects.get(organization__slug="amd")
    assert amd.contributions.get().invoice.status == Invoice.Status.OPEN
    # The demo member administers a sponsor, so its dashboard shows the programme.
    assert OrganizationRole.objects.filter(organization=amd.organization, role=Role.ADMIN,
                                           user__email=MEMBER_EMAIL).exists()
    microsoft = Pledge.objects.get(organization__slug="microsoft-corporation")
    assert microsoft.contributions.get().status == Contribution.Status.PLEDGED
    waiting = Pledge.objects.get(organization__slug="nvidia-corporation")
    assert waiting.status == Pledge.Status.SUBMITTED
    for sponsor_year in SponsorYear.objects.select_related("organization", "level"):
        total = confirmed_total(sponsor_year.organization, year)
        assert level_for(total).level == sponsor_year.level


def test_seed_demo_sponsors_adds_n_sponsors_in_bulk_and_a_second_run_adds_more():
    call_command("seed_demo")
    before = set(Organization.objects.values_list("pk", flat=True))
    call_command("seed_demo", sponsors=40)
    added = Organization.objects.exclude(pk__in=before)
    assert added.count() == 40
    assert not added.annotate(n=Count("pledges")).exclude(n=1).exists()
    assert not added.exclude(roles__role=Role.ADMIN).exists()
    pledges = Pledge.objects.filter(organization__in=added)
    year = programme_year()
    assert {Pledge.Status.CONFIRMED, Pledge.Status.FULFILLED} <= set(
        pledges.values_list("status", flat=True))
    assert not pledges.filter(contributions=None).exists()
    today = timezone.localdate()
    for pledge in pledges:  # dated in the year, confirmed after they came in
        assert pledge.created_at.year == year and timezone.localdate(pledge.created_at) <= today
        if pledge.agreement_signed_on:
            assert timezone.localdate(pledge.created_at) <= pledge.agreement_signed_on <= today
    years = SponsorYear.objects.filter(organization__in=added).select_related("organization",
                                                                               "level")
    assert years.count() == pledges.counted().count()
    for sponsor_year in years:
        assert level_for(confirmed_total(sponsor_year.organization, year)).level == \
            sponsor_year.level
        items = ChecklistItem.objects.for_holder(sponsor_year)
        assert items.count() == Benefit.objects.filter(
            level__threshold_usd__lte=sponsor_year.level.threshold_usd).count()
    cash = Contribution.objects.filter(pledge__in=pledges.counted(), kind="cash")
    assert not cash.filter(invoice=None).exists()
    assert not cash.filter(status="received").exclude(invoice__status="paid").exists()
    for sequence in InvoiceSequence.objects.all():
        numbers = set(Invoice.objects.filter(number__startswith=f"INV-{sequence.year}-")
                      .values_list("number", flat=True))
        assert numbers == {f"INV-{sequence.year}-{n:04d}"
                           for n in range(1, sequence.last_number + 1)}

    call_command("seed_demo", sponsors=40)
    assert Organization.objects.exclude(pk__in=before).count() == 80


def test_a_negative_number_of_sponsors_is_refused_and_nothing_is_written():
    with pytest.raises(CommandError, match="0 or more"):
        call_command("seed_demo", sponsors=-1)
    assert not Organization.objects.exists() and not Pledge.objects.exists()


def test_the_sponsors_pages_and_admin_open_with_the_generated_sponsors(client, admin_client):
    call_command("seed_demo", sponsors=30)
    for url in ["/admin/credits/pledge/", "/admin/credits/contribution/",
                "/admin/credits/sponsorbenefititem/?deadline=overdue", "/admin/"]:
        assert admin_client.get(url).status_code == 200, url
