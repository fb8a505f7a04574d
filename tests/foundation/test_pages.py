import pytest

from foundation.accounts.models import OrganizationRole, Role
from tests.accounts.factories import OrganizationFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_home_page_shows_live_figures(client):
    for _ in range(3):
        org = OrganizationFactory()
        OrganizationRole.objects.create(organization=org, user=UserFactory(), role=Role.ADMIN)
    response = client.get("/")
    assert response.status_code == 200
    assert response.context["figures"] == {"organizations": 3, "people": 3}


def test_home_page_counts_active_members_per_tier(client, admin_user):
    from django.utils import timezone

    from members.demo_programme import seed_catalogue
    from members.services.memberships import membership_import

    tiers = seed_catalogue()
    for slug in ["general", "general", "premier"]:
        membership_import(organization=OrganizationFactory(), tier=tiers[slug],
                          starts_on=timezone.localdate(), actor=admin_user)
    tiers_shown = client.get("/").context["members_per_tier"]
    assert [(t["name"], t["members"]) for t in tiers_shown] == [  # most prominent first
        ("Premier", 1), ("General", 2), ("Associate", 0)]


def test_home_page_runs_a_constant_number_of_queries(client, django_assert_max_num_queries):
    OrganizationFactory.create_batch(30)
    # Organizations and people, the founding strip, members by tier, the year's sponsors, the
    # credit pool, projects by status: one query each (the two-scale test is test_pagecache's).
    with django_assert_max_num_queries(7):
        client.get("/")


@pytest.mark.parametrize("path", ["/", "/membership/", "/members/", "/credits/", "/projects/",
                                  "/accounts/login/", "/accounts/signup/"])
def test_public_pages_share_the_layout_and_navigation(client, path):
    html = client.get(path).content.decode()
    for link in ['href="/membership/"', 'href="/members/"', 'href="/credits/"',
                 'href="/projects/"', 'href="/accounts/login/"']:
        assert link in html, (path, link)
    assert '<main id="main"' in html
    assert "https://cdn" not in html


def test_navigation_offers_dashboard_when_logged_in(client, user):
    client.force_login(user)
    html = client.get("/").content.decode()
    assert 'href="/dashboard/"' in html
    assert "Log out" in html


def test_admin_is_branded(admin_client):
    html = admin_client.get("/admin/").content.decode()
    assert "PyTorch Foundation staff" in html
