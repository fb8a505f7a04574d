"""The credit pool in public: /credits/transparency/ and /api/credits.json show each
provider's figures and the cash pool's, equal to independent sums over the ledger's entries,
nothing private, the call to pledge when there is nothing yet, and a change at once; the
home page's pool figure."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db.models import Q, Sum
from django.utils import timezone

from credits.ledger import posting
from credits.ledger.models import Account, Entry
from credits.models import Contribution
from tests.credits.ledger_helpers import (
    a_pledge,
    a_project,
    a_provider,
    received_cash,
    received_credit,
)

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()
PAGE, API = "/credits/transparency/", "/api/credits.json"
SECRET_REFERENCE = "REDEEM-7Q4X-SECRET"
CONTACT = "lin@cloud.example"  # a_pledge's technical contact


def entry_sum(**where) -> Decimal:
    return Entry.objects.filter(Q(**where)).aggregate(total=Sum("amount"))["total"] or Decimal(0)


def ledger_sums(provider) -> dict[str, Decimal]:
    """The provider's figures, each its own Sum() over the entries."""
    lot = {"lot__provider": provider} if provider else {"lot__provider__isnull": True}
    return {
        "received": -entry_sum(account__kind=Account.Kind.SPONSORS, **lot),
        "allocated": entry_sum(account__kind=Account.Kind.ALLOCATION, amount__gt=0, **lot),
        "used": entry_sum(account__kind=Account.Kind.CONSUMED, **lot),
        "expired": entry_sum(account__kind=Account.Kind.EXPIRED, **lot),
        "remaining": entry_sum(account__kind__in=[Account.Kind.POOL, Account.Kind.CASH], **lot),
    }


@pytest.fixture
def pool(db, django_capture_on_commit_callbacks):
    """Two providers' credits (one lot lapsed), cash, allocations with and without cash
    cover, usage and expiry, each posted through the ledger."""
    pledge = a_pledge()
    cloud, other = a_provider(), a_provider()
    project, second = a_project(), a_project()
    with django_capture_on_commit_callbacks(execute=True):
        lapsing = received_credit(pledge, cloud, "1000", TODAY - timedelta(days=10),
                                  TODAY - timedelta(days=100))
        lapsing.redemption_reference = SECRET_REFERENCE
        lapsing.save()
        posting.receive_contribution(lapsing)
        posting.receive_contribution(received_credit(pledge, cloud, "1200000", TODAY
                                                     + timedelta(days=300), TODAY))
        posting.receive_contribution(received_credit(pledge, other, "50000", TODAY
                                                     + timedelta(days=200), TODAY))
        posting.receive_contribution(received_cash(pledge, "25000", TODAY))
        posting.allocate(project, cloud, Decimal("300"), key="a1",
                         on=TODAY - timedelta(days=50))
        posting.allocate(second, other, Decimal("50000"), cover_with_cash=Decimal("5000"),
                         key="a2")
        allocation = posting.allocation_account(second, other)
        posting.record_usage(allocation, Decimal("52000"), TODAY, key="u1")
        posting.record_usage(posting.allocation_account(project, cloud), Decimal("100"),
                             TODAY - timedelta(days=40), key="u2")
        posting.expire_lapsed(TODAY)
    return {"cloud": cloud, "other": other}


def money(amount: Decimal) -> str:
    return f"{amount:.2f}"


def test_the_api_figures_equal_the_ledgers_sums(client, pool):
    data = client.get(API).json()
    providers = {row["provider"]: row for row in data["providers"]}
    assert set(providers) == {pool["cloud"].name, pool["other"].name}
    for provider in (pool["cloud"], pool["other"]):
        row, sums = providers[provider.name], ledger_sums(provider)
        for name, value in sums.items():
            assert row[name] == money(value), (provider, name)
        assert row["left"] == money(sums["received"] - sums["used"] - sums["expired"])
    cash = ledger_sums(None)
    assert {name: data["cash"][name] for name in ("received", "allocated", "used",
                                                  "remaining")} == {
        name: money(cash[name]) for name in ("received", "allocated", "used", "remaining")}
    assert data["available"] == money(sum(ledger_sums(p)["remaining"] for p in pool.values())
                                       + cash["remaining"])
    # The scenario's own numbers, so a wrong sum on both sides would show.
    # 700 lapsed in the pool and 200 in the project's allocation (300 allocated, 100 used).
    assert providers[pool["cloud"].name]["expired"] == "900.00"
    assert providers[pool["other"].name]["used"] == "50000.00"
    assert data["cash"]["allocated"] == "5000.00" and data["cash"]["used"] == "2000.00"
    assert data["cash"]["remaining"] == "20000.00"


def test_the_page_shows_the_same_figures_as_a_person_writes_them(client, pool):
    page = client.get(PAGE).content.decode()
    sums = ledger_sums(pool["cloud"])
    assert f"${sums['received']:,.0f}" == "$1,201,000" and "$1,201,000" in page
    assert f"${sums['remaining']:,.0f}" == "$1,200,000" and "$1,200,000" in page
    assert "$900" in page and "$25,000" in page and "Earmarked cash" in page
    assert 'role="img"' in page and "<title" in page


def test_nothing_private_appears(client, pool):
    contribution = Contribution.objects.get(redemption_reference=SECRET_REFERENCE)
    assert contribution.pledge.contact_email == CONTACT
    for path in (PAGE, API):
        body = client.get(path).content.decode()
        assert SECRET_REFERENCE not in body and CONTACT not in body, path
        assert "Ledger 1" not in body and contribution.pledge.organization.display_name \
            not in body, path


def test_without_a_pledge_the_page_asks_for_one_instead_of_zeros(client, db):
    page = client.get(PAGE).content.decode()
    assert 'href="/credits/pledge/"' in page and "$0" not in page
    data = client.get(API).json()
    assert data["providers"] == [] and data["available"] == "0.00"


def test_a_receipt_an_allocation_and_usage_show_at_once(client, db,
                                                        django_capture_on_commit_callbacks):
    pledge, cloud, project = a_pledge(), a_provider(), a_project()
    client.get(PAGE), client.get(API)  # cached
    with django_capture_on_commit_callbacks(execute=True):
        posting.receive_contribution(received_credit(pledge, cloud, "4321", TODAY
                                                     + timedelta(days=90), TODAY))
    assert "$4,321" in client.get(PAGE).content.decode()
    assert client.get(API).json()["providers"][0]["received"] == "4321.00"
    with django_capture_on_commit_callbacks(execute=True):
        posting.allocate(project, cloud, Decimal("1000"), key="alloc")
    assert client.get(API).json()["providers"][0]["allocated"] == "1000.00"
    assert "$3,321" in client.get(PAGE).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        posting.record_usage(posting.allocation_account(project, cloud), Decimal("250"),
                             TODAY, key="use")
    assert client.get(API).json()["providers"][0]["used"] == "250.00"
    assert "$4,071" in client.get(PAGE).content.decode()  # not yet used or expired


def test_the_home_page_shows_what_the_pool_can_give(client, pool):
    page = client.get("/").content.decode()
    # $1,200,000 + $0 (all of the other provider's allocated) + $20,000 cash.
    assert "$1.22 million" in page and 'href="/credits/transparency/"' in page


def test_the_home_page_asks_for_credits_when_the_pool_is_empty(client, db):
    page = client.get("/").content.decode()
    assert "Pledge credits for hosted projects" in page


def test_the_schema_documents_the_api(client, db):
    schema = client.get("/api/openapi.json").json()
    assert "/api/credits.json" in schema["paths"]
    fields = schema["components"]["schemas"]["ProviderFigures"]["properties"]
    assert {"pledged", "received", "allocated", "used", "expired", "remaining"} <= set(fields)


def ledger_counts() -> tuple[int, int, int]:
    from credits.ledger.models import LedgerTransaction, Lot

    return Lot.objects.count(), LedgerTransaction.objects.count(), Entry.objects.count()


def never_negative() -> bool:
    """No pool, cash pool or allocation holds less than nothing of any lot."""
    return not (Entry.objects.filter(account__kind__in=[
        Account.Kind.POOL, Account.Kind.CASH, Account.Kind.ALLOCATION])
        .values("account", "lot").annotate(total=Sum("amount")).filter(total__lt=0).exists())


def test_seed_demo_gives_the_pool_allocations_usage_and_a_lot_expiring_soon(settings, client):
    from django.core.management import call_command

    from credits.ledger.models import LedgerTransaction, Lot
    from tests.credits.ledger_helpers import unbalanced_transactions

    settings.CREDITS_PROGRAMME_YEAR = None
    call_command("seed_demo")
    first = ledger_counts()
    allocated = set(Account.objects.filter(kind=Account.Kind.ALLOCATION)
                    .values_list("project__slug", flat=True))
    assert {"pytorch", "vllm", "deepspeed", "ray"} <= allocated
    assert LedgerTransaction.objects.filter(kind=LedgerTransaction.Kind.CASH_COVER).exists()
    months = {on.replace(day=1) for on in LedgerTransaction.objects.filter(
        kind=LedgerTransaction.Kind.USAGE).values_list("on", flat=True)}
    assert len(months) >= 3
    assert Lot.objects.filter(valid_to__gt=TODAY,
                              valid_to__lte=TODAY + timedelta(days=60)).exists()
    assert not unbalanced_transactions() and never_negative()
    call_command("seed_demo")
    assert ledger_counts() == first
    data = client.get(API).json()
    assert any(row["exhausted_on"] for row in data["providers"])
    assert Decimal(data["cash"]["allocated"]) > 0


def test_seed_demo_scale_posts_receipts_allocations_and_usage_in_bulk(settings):
    from django.core.management import call_command

    from credits.ledger.models import LedgerTransaction
    from projects.models import Project
    from tests.credits.ledger_helpers import unbalanced_transactions

    settings.CREDITS_PROGRAMME_YEAR = None
    call_command("seed_demo", sponsors=30, projects=400)
    received = Contribution.objects.filter(status=Contribution.Status.RECEIVED)
    assert received.count() > 10
    assert not received.filter(ledger_lot=None).exists()
    keys = {f"receipt:contribution:{pk}" for pk in received.values_list("pk", flat=True)}
    assert keys == set(LedgerTransaction.objects.filter(
        kind=LedgerTransaction.Kind.RECEIPT).values_list("key", flat=True))
    hosted = Project.objects.filter(status=Project.Status.HOSTED)
    assert not hosted.exclude(ledger_accounts__kind=Account.Kind.ALLOCATION).exists()
    scale = LedgerTransaction.objects.filter(key__startswith="scale:")
    allocated_on = dict(scale.filter(kind="allocation").values_list("key", "on"))
    usage = scale.filter(kind="usage").values_list("key", "on")
    assert usage and all(on >= allocated_on[key.split(":usage:")[0] + ":allocation"]
                         for key, on in usage)
    assert not unbalanced_transactions() and never_negative()
    granted = received.aggregate(total=Sum("amount_granted"))["total"]
    assert -entry_sum(account__kind=Account.Kind.SPONSORS) == granted
    before = ledger_counts()
    call_command("seed_demo", sponsors=10)  # new sponsors' receipts; no project twice
    assert not Contribution.objects.filter(status=Contribution.Status.RECEIVED,
                                           ledger_lot=None).exists()
    assert ledger_counts()[0] > before[0]
    assert not unbalanced_transactions() and never_negative()
