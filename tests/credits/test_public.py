"""The programme's public face: /credits/ with its sponsor wall, /api/sponsors.json and the
home page's figures. Only confirmed, listed sponsors of the programme year appear, by level;
the pages change the moment a sponsor or its logo does; no redemption reference and no amount
per sponsor is ever public."""

import io
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.core.files.base import ContentFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from PIL import Image

from credits.demo_scale import seed_scale
from credits.models import Contribution, Pledge, SponsorYear
from credits.services import pledges
from foundation.accounts.services import organization_update
from foundation.checklists.models import ChecklistItem
from tests.accounts.factories import OrganizationFactory
from tests.credits.conftest import cash, credit

pytestmark = pytest.mark.django_db

PAGES = ["/credits/", "/api/sponsors.json", "/"]


def png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 32), "blue").save(buffer, "PNG")
    return buffer.getvalue()


@pytest.fixture
def pledge_for(programme, submit, confirm):
    """A pledge by a new organization named `name`, confirmed unless told otherwise."""
    def make(name, *contributions, confirmed=True, **kwargs):
        site = name.lower().replace(" ", "-")
        org, admin = OrganizationFactory.with_admin(display_name=name,
                                                    website=f"https://{site}.example/")
        pledge = submit(*(contributions or [credit("250000", programme["aws"])]), org=org,
                        admin=admin, **kwargs)
        if confirmed:
            pledge = confirm(pledge)
        return pledge

    return make


def page(client, path="/credits/") -> str:
    response = client.get(path)
    assert response.status_code == 200
    return response.content.decode()


def context(client, path="/credits/"):
    """The page's context, rendered afresh (a page from the cache has none)."""
    cache.clear()
    return client.get(path).context


def wall_of(client) -> list[tuple[str, list[str]]]:
    """The wall as the page shows it: each level's heading and its sponsors' names."""
    return [(group.level.name, [s.organization.display_name for s in group.sponsors])
            for group in context(client)["wall"]]


def test_the_wall_groups_listed_sponsors_by_level_champions_first(client, programme, pledge_for):
    pledge_for("Zeta Cloud", credit("1000000", programme["aws"]),
               offering_description="GPU hours for every hosted project's CI.")
    pledge_for("Beta Compute", cash("600000"), offering_description="Not shown below Champion")
    pledge_for("Alpha Hosting", credit("300000", programme["aws"]))
    pledge_for("Aardvark Nodes", credit("200000", programme["aws"]), cash("50000"))
    assert wall_of(client) == [("Champion", ["Zeta Cloud"]), ("Advocate", ["Beta Compute"]),
                               ("Supporter", ["Aardvark Nodes", "Alpha Hosting"])]
    html = page(client)
    order = [html.index(text) for text in ("Champion sponsors", "Zeta Cloud", "Advocate sponsors",
                                           "Beta Compute", "Supporter sponsors", "Aardvark Nodes",
                                           "Alpha Hosting")]
    assert order == sorted(order)
    assert "GPU hours for every hosted project&#x27;s CI." in html
    assert "Not shown below Champion" not in html
    assert '<a href="https://zeta-cloud.example/" rel="noopener">Zeta Cloud</a>' in html


def test_unlisted_unconfirmed_cancelled_and_other_years_stay_off_the_wall(
    client, programme, pledge_for, staff, settings, django_capture_on_commit_callbacks
):
    this_year = timezone.localdate().year
    settings.CREDITS_PROGRAMME_YEAR = this_year - 1
    pledge_for("Last Year Cloud")
    settings.CREDITS_PROGRAMME_YEAR = None
    pledge_for("Shy Cloud", listed_publicly=False)
    pledge_for("Waiting Cloud", confirmed=False)
    cancelled = pledge_for("Gone Cloud")
    with django_capture_on_commit_callbacks(execute=True):
        pledges.pledge_cancel(pledge_id=cancelled.pk, actor=staff, reason="Budget cut")
    pledge_for("Shown Cloud")
    assert wall_of(client) == [("Champion", []), ("Advocate", []), ("Supporter", ["Shown Cloud"])]
    html = page(client) + page(client, "/api/sponsors.json") + page(client, "/")
    for name in ("Last Year Cloud", "Shy Cloud", "Waiting Cloud", "Gone Cloud"):
        assert name not in html
    # The year's figure counts confirmed pledges, listed or not: Shy and Shown.
    figures = context(client)["figures"]
    assert (figures["year"], figures["sponsors"], figures["total"]) == (
        this_year, 2, Decimal("500000.00"))
    assert "$500,000" in page(client)


def test_the_wall_shows_exactly_the_sponsors_whose_placement_was_delivered(
    client, programme, pledge_for
):
    """The portal delivers the website placement benefit by the wall's own rule."""
    pledge_for("Listed Cloud")
    pledge_for("Shy Cloud", listed_publicly=False)
    pledge_for("Champion Cloud", credit("1000000", programme["aws"]))
    delivered = set()
    for sponsor_year in SponsorYear.objects.select_related("organization"):
        item = ChecklistItem.objects.for_holder(sponsor_year).get(key="website-placement")
        if item.status == ChecklistItem.Status.DELIVERED:
            delivered.add(sponsor_year.organization.display_name)
    shown = {name for _, names in wall_of(client) for name in names}
    assert shown == delivered == {"Listed Cloud", "Champion Cloud"}


def test_a_level_without_a_sponsor_invites_one_and_an_empty_year_has_no_zero(client, programme):
    html = page(client)
    year = timezone.localdate().year
    for level in ("Champion", "Advocate", "Supporter"):
        assert f"No {level} sponsor yet in {year}." in html
        assert f"Become the first {level}" in html
    assert f"Be the first sponsor of {year}" in html and "$0" not in html
    assert 'href="/credits/pledge/"' in html
    # The programme from data: thresholds as people write them, cumulative benefits.
    for text in ("$250,000", "$500,000", "$1,000,000", "Everything Supporter brings, plus:",
                 "Everything Advocate brings, plus:", "Online programme slot",
                 "The program accepts credits from AWS.", "SLA"):
        assert text in html
    assert "Retired Cloud" not in html  # a provider the programme no longer accepts


def test_confirming_a_sponsor_or_changing_its_logo_shows_at_once(
    client, programme, pledge_for, django_capture_on_commit_callbacks
):
    pledge = pledge_for("Fresh Cloud", confirmed=False)
    for path in PAGES:
        assert "Fresh Cloud" not in page(client, path)
        assert page(client, path) == page(client, path)  # cached now
    with CaptureQueriesContext(connection) as captured:
        page(client)
    assert len(captured) == 0
    with django_capture_on_commit_callbacks(execute=True):
        pledges.pledge_confirm(pledge_id=pledge.pk, actor=programme["owner"],
                               agreement_signed_on=timezone.localdate())
    assert "Fresh Cloud" in page(client)
    assert client.get("/api/sponsors.json").json()["levels"][0]["sponsors"][0]["name"] == \
        "Fresh Cloud"
    home = page(client, "/")
    assert "Be the first sponsor of" not in home and "$250,000" in home
    assert 'class="monogram"' in page(client)
    org = pledge.organization
    with django_capture_on_commit_callbacks(execute=True):
        org = organization_update(organization=org, actor=programme["owner"],
                                  logo=ContentFile(png(), name="fresh.png"))
    assert f'src="{org.logo.url}"' in page(client)
    logo = client.get("/api/sponsors.json").json()["levels"][0]["sponsors"][0]["logo"]
    assert logo == f"http://testserver{org.logo.url}"


def test_no_redemption_reference_or_amount_per_sponsor_is_ever_public(
    client, programme, pledge_for, staff, django_capture_on_commit_callbacks
):
    pledge = pledge_for("Secret Cloud", credit("1234567.89", programme["aws"]),
                        offering_description="Credits for CI")
    contribution = pledge.contributions.get()
    with django_capture_on_commit_callbacks(execute=True):
        pledges.contribution_receive(contribution_id=contribution.pk, actor=staff,
                                     amount_granted="1234567.89",
                                     redemption_reference="ACCT-7731-SECRET",
                                     received_on=timezone.localdate())
    assert Contribution.objects.get().redemption_reference == "ACCT-7731-SECRET"
    for path in [*PAGES, "/api/openapi.json", "/credits/?x=1"]:
        body = page(client, path)
        assert "7731" not in body
    api = client.get("/api/sponsors.json").content.decode()
    assert "Secret Cloud" in api and "1234567" not in api and "1,234,567" not in api


def test_no_api_response_holds_a_redemption_reference(
    client, programme, pledge_for, staff, django_capture_on_commit_callbacks
):
    """Every GET the API documents, without parameters and with its `page` and `year`."""
    pledge = pledge_for("Secret Cloud", credit("500000", programme["aws"]))
    with django_capture_on_commit_callbacks(execute=True):
        pledges.contribution_receive(contribution_id=pledge.contributions.get().pk,
                                     actor=staff, amount_granted="500000",
                                     redemption_reference="ACCT-7731-SECRET",
                                     received_on=timezone.localdate())
    paths = [path for path, operations in client.get("/api/openapi.json").json()["paths"]
             .items() if "get" in operations and "{" not in path]
    assert "/api/sponsors.json" in paths
    for path in paths:
        for query in ("", "?page=1", f"?year={pledge.year}"):
            response = client.get(f"{path}{query}")
            assert response.status_code < 500, path
            assert "7731" not in response.content.decode(), path


def test_the_api_lists_sponsors_by_level_in_its_documented_shape(
    client, programme, pledge_for
):
    pledge_for("Zeta Cloud", credit("1000000", programme["aws"]),
               offering_description="GPU hours for CI")
    pledge_for("Beta Compute", cash("500000"), offering_description="Ignored below Champion")
    pledge_for("Alpha Hosting")
    response = client.get("/api/sponsors.json")
    assert response.status_code == 200 and response["Content-Type"].startswith("application/json")
    assert response.json() == {"year": timezone.localdate().year, "levels": [
        {"level": "Champion", "sponsors": [
            {"name": "Zeta Cloud", "level": "Champion", "website": "https://zeta-cloud.example/",
             "logo": None, "offering": "GPU hours for CI"}]},
        {"level": "Advocate", "sponsors": [
            {"name": "Beta Compute", "level": "Advocate",
             "website": "https://beta-compute.example/", "logo": None, "offering": None}]},
        {"level": "Supporter", "sponsors": [
            {"name": "Alpha Hosting", "level": "Supporter",
             "website": "https://alpha-hosting.example/", "logo": None, "offering": None}]},
    ]}
    schema = client.get("/api/openapi.json").json()
    operation = schema["paths"]["/api/sponsors.json"]["get"]
    assert operation["summary"] == "Cloud credit sponsors"
    assert set(schema["components"]["schemas"]["Sponsor"]["properties"]) == {
        "name", "level", "website", "logo", "offering"}


def test_an_empty_year_gives_an_empty_list_not_an_error(client, db):
    assert client.get("/api/sponsors.json").json() == {"year": timezone.localdate().year,
                                                       "levels": []}
    assert "The program’s levels are not published yet." in page(client)


def test_the_home_page_shows_the_years_sponsors_or_the_call_to_action(
    client, programme, pledge_for
):
    year = timezone.localdate().year
    home = page(client, "/")
    assert f"Be the first sponsor of {year}" in home and "$0" not in home
    pledge_for("One Cloud", credit("1000000", programme["aws"]))
    pledge_for("Two Cloud", cash("250000.50"), listed_publicly=False)
    pledge_for("Waiting Cloud", credit("900000", programme["aws"]), confirmed=False)
    figures = context(client, "/")["credits_figures"]
    assert (figures["sponsors"], figures["total_words"]) == (2, "$1,250,000.50")
    home = page(client, "/")
    assert f"Cloud credit sponsors in {year}" in home and "$1.25 million" in home
    assert "$1,250,000.50" in page(client)  # /credits/ has room for the exact figure


@pytest.mark.parametrize("path", PAGES)
def test_public_pages_run_as_many_queries_at_5_sponsors_as_at_80(client, programme, path):
    """Generated sponsors in every state (seed_demo --sponsors), credits received with their
    redemption references among them."""
    seed_scale(5, io.StringIO())
    cache.clear()
    with CaptureQueriesContext(connection) as small:
        page(client, path)
    seed_scale(75, io.StringIO())
    assert Contribution.objects.exclude(redemption_reference="").exists()
    cache.clear()
    with CaptureQueriesContext(connection) as large:
        body = page(client, path)
    assert len(large) == len(small)
    assert "DEMO-" not in body
    if path != "/":
        listed = SponsorYear.objects.filter(
            organization__pledges__in=Pledge.objects.listed(timezone.localdate().year))
        assert listed.count() > 40
        assert all(name in body for name in listed.values_list(
            "organization__display_name", flat=True)[:40])
