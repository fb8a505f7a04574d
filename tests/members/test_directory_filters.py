"""The directory filters by tier and searches by name with plain GET parameters (no script),
and keeps its paging."""

import pytest
from django.utils import timezone

from members.selectors import DIRECTORY_PAGE
from members.services import memberships
from tests.accounts.factories import OrganizationFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def members(tiers, admin_user):
    names = {"premier": ["Walker Robotics", "Orbital Compute"],
             "general": ["Walker Analytics", "Quiet Labs"],
             "associate": ["Walker University"]}
    for slug, orgs in names.items():
        for name in orgs:
            org = OrganizationFactory(display_name=name,
                                      type="academic" if slug == "associate" else "company")
            memberships.membership_import(organization=org, tier=tiers[slug],
                                          starts_on=timezone.localdate(), actor=admin_user)


def names_in(html: str) -> set[str]:
    all_names = {"Walker Robotics", "Orbital Compute", "Walker Analytics", "Quiet Labs",
                 "Walker University"}
    return {n for n in all_names if n in html}


def test_filter_by_tier(client, members):
    html = client.get("/members/?tier=general").content.decode()
    assert names_in(html) == {"Walker Analytics", "Quiet Labs"}
    assert '<option value="general" selected>' in html


def test_search_by_name_any_case_across_tiers(client, members):
    html = client.get("/members/?q=walker").content.decode()
    assert names_in(html) == {"Walker Robotics", "Walker Analytics", "Walker University"}
    assert 'value="walker"' in html
    html = client.get("/members/?q=WALKER&tier=associate").content.decode()
    assert names_in(html) == {"Walker University"}


def test_no_match_says_so_and_offers_everyone(client, members):
    html = client.get("/members/?q=nobody").content.decode()
    assert "No member matches “nobody”." in html
    assert names_in(html) == set()


def test_unknown_tier_shows_no_one_and_does_not_fail(client, members):
    response = client.get("/members/?tier=<script>")
    assert response.status_code == 200
    assert "<script>" not in response.content.decode()


def test_paging_keeps_the_filter(client, tiers, admin_user):
    premier = OrganizationFactory(display_name="Orbital Compute")
    memberships.membership_import(organization=premier, tier=tiers["premier"],
                                  starts_on=timezone.localdate(), actor=admin_user)
    for n in range(DIRECTORY_PAGE + 1):
        org = OrganizationFactory(display_name=f"Member {n:04}")
        memberships.membership_import(organization=org, tier=tiers["general"],
                                      starts_on=timezone.localdate(), actor=admin_user)
    html = client.get("/members/?tier=general&q=member").content.decode()
    assert "?page=2&amp;tier=general&amp;q=member" in html
    assert "Member 0120" in client.get("/members/?page=2&tier=general&q=member").content.decode()
