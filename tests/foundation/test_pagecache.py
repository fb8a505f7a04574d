"""Public pages come from the cache for anonymous visitors, and a change shows at once."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from foundation.accounts.services import organization_update
from members.demo_programme import seed_catalogue
from members.models import Membership
from members.services import memberships
from tests.accounts.factories import OrganizationFactory

pytestmark = pytest.mark.django_db

PAGES = ["/", "/membership/", "/members/", "/api/members.json", "/api/members.json?page=1",
         "/credits/", "/api/sponsors.json", "/api/openapi.json", "/api/docs"]


@pytest.fixture
def tiers(db):
    return seed_catalogue()


def join(tiers, admin_user, name, tier="general"):
    org = OrganizationFactory(display_name=name, type="academic")
    return memberships.membership_import(organization=org, tier=tiers[tier],
                                         starts_on=timezone.localdate(), actor=admin_user)


def queries(client, path):
    with CaptureQueriesContext(connection) as captured:
        assert client.get(path).status_code == 200
    return len(captured)


@pytest.mark.parametrize("path", PAGES)
def test_a_second_anonymous_visit_runs_no_query(client, tiers, path):
    queries(client, path)
    assert queries(client, path) == 0


def test_a_new_member_a_lapsed_one_and_a_new_name_show_at_once(
    client, tiers, admin_user, django_capture_on_commit_callbacks, time_machine
):
    time_machine.move_to("2026-06-01 09:00Z")
    with django_capture_on_commit_callbacks(execute=True):
        join(tiers, admin_user, "Walker Robotics")
    assert "Walker Robotics" in client.get("/members/").content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        newcomer = join(tiers, admin_user, "Ada Analytics")
    assert "Ada Analytics" in client.get("/members/").content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        organization_update(organization=newcomer.organization, actor=admin_user,
                            display_name="Ada Engines")
    page = client.get("/members/").content.decode()
    assert "Ada Engines" in page and "Ada Analytics" not in page
    time_machine.move_to("2027-08-01 09:00Z")
    with django_capture_on_commit_callbacks(execute=True):
        memberships.lapse_memberships()
    assert Membership.objects.filter(status=Membership.Status.LAPSED).count() == 2
    assert "Ada Engines" not in client.get("/members/").content.decode()


def test_signed_in_visitors_get_the_page_fresh(client, tiers, org_admin):
    org, admin = org_admin
    client.force_login(admin)
    client.get("/members/")
    assert queries(client, "/members/") > 0


def test_the_directory_pages_the_lower_tiers_and_keeps_the_first_tier_whole(
    client, tiers, admin_user, monkeypatch
):
    from members import selectors

    monkeypatch.setattr(selectors, "DIRECTORY_PAGE", 2)
    join(tiers, admin_user, "Premier One", tier="premier")
    for n in range(5):
        join(tiers, admin_user, f"General {n}")
    first = client.get("/members/").content.decode()
    assert "Premier One" in first and "General 0" in first and "General 2" not in first
    assert "More members" in first
    third = client.get("/members/?page=3").content.decode()
    assert "Premier One" in third and "General 4" in third and "More members" not in third
    assert client.get("/members/?page=banana").status_code == 200


def test_a_message_for_one_visitor_is_never_cached_for_another(client, tiers, org_admin):
    from django.test import Client

    org, admin = org_admin
    client.force_login(admin)
    client.post("/accounts/logout/")
    assert "signed out" in client.get("/").content.decode()
    assert "signed out" not in Client().get("/").content.decode()


@pytest.mark.parametrize("path", PAGES + ["/members/?page=2", "/members/?tier=general",
                                  "/api/openapi.json", "/api/docs"])
def test_public_pages_run_as_many_queries_at_20_organizations_as_at_300(client, tiers, path):
    from io import StringIO

    from django.core.cache import cache

    from members.demo_scale import seed_scale

    seed_scale(20, StringIO())
    small = queries(client, path)
    seed_scale(280, StringIO())
    cache.clear()
    assert queries(client, path) == small


def test_the_api_answers_the_same_bytes_from_the_cache_and_a_change_at_once(
    client, tiers, admin_user, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        member = join(tiers, admin_user, "Walker Robotics")
    first = client.get("/api/members.json")
    with CaptureQueriesContext(connection) as captured:
        second = client.get("/api/members.json")
    assert len(captured) == 0
    assert second.content == first.content and b"Walker Robotics" in second.content
    assert second["Content-Type"] == first["Content-Type"]
    with django_capture_on_commit_callbacks(execute=True):
        organization_update(organization=member.organization, actor=admin_user,
                            display_name="Walker Engines")
    third = client.get("/api/members.json").content
    assert b"Walker Engines" in third and b"Walker Robotics" not in third


def test_signed_in_api_readers_get_it_fresh(client, tiers, org_admin):
    org, admin = org_admin
    client.force_login(admin)
    client.get("/api/members.json")
    assert queries(client, "/api/members.json") > 0


def test_a_long_query_string_makes_a_short_cache_key(client, tiers, recwarn):
    from django.core.cache.backends.base import CacheKeyWarning

    assert client.get("/members/?page=" + "9" * 2000).status_code == 200
    assert not [w for w in recwarn if issubclass(w.category, CacheKeyWarning)]


@pytest.mark.parametrize("path", PAGES)
def test_a_browser_that_has_the_page_gets_304_until_it_changes(
    client, tiers, admin_user, django_capture_on_commit_callbacks, path
):
    with django_capture_on_commit_callbacks(execute=True):
        member = join(tiers, admin_user, "Walker Robotics")
    first = client.get(path)
    etag = first["ETag"]
    assert etag.startswith('"') and "no-cache" in first["Cache-Control"]
    assert client.get(path)["ETag"] == etag  # from the cache, the same
    again = client.get(path, headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.content == b"" and again["ETag"] == etag
    assert client.get(path, headers={"If-None-Match": f"W/{etag}"}).status_code == 304
    assert client.get(path, headers={"If-None-Match": '"other"'}).status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        organization_update(organization=member.organization, actor=admin_user,
                            display_name="Walker Engines")
    if not any(p in path for p in ("/members/", "members.json")):
        return  # the home and tiers pages name no ordinary member: the same page, still 304
    changed = client.get(path, headers={"If-None-Match": etag})
    assert changed.status_code == 200 and changed["ETag"] != etag
    assert b"Walker Engines" in changed.content


def test_signed_in_visitors_get_no_304_for_the_anonymous_page(client, tiers, org_admin):
    org, admin = org_admin
    etag = client.get("/members/")["ETag"]
    client.force_login(admin)
    response = client.get("/members/", headers={"If-None-Match": etag})
    assert response.status_code == 200 and "ETag" not in response


def test_a_cached_page_is_one_round_trip_to_the_cache(client, tiers, monkeypatch):
    from django.core.cache import cache

    client.get("/members/")
    calls = []
    for name in ("get", "get_many", "get_or_set", "set", "add", "incr"):
        original = getattr(cache, name)
        monkeypatch.setattr(cache, name, lambda *a, _n=name, _o=original, **k: (
            calls.append(_n), _o(*a, **k))[1])
    assert client.get("/members/").status_code == 200
    assert calls == ["get_many"]


def test_a_version_lost_from_the_cache_never_brings_back_an_old_page(
    client, tiers, admin_user
):
    from django.core.cache import cache

    from foundation import pagecache
    from foundation.accounts.models import Organization

    member = join(tiers, admin_user, "Walker Robotics")
    assert b"Walker Robotics" in client.get("/members/").content
    cache.delete(pagecache.VERSION_KEY)  # evicted, say
    client.get("/")  # a new version is made
    # A change the signals do not see, to tell a fresh page from the stored one.
    Organization.objects.filter(pk=member.organization_id).update(display_name="Walker Engines")
    assert b"Walker Engines" in client.get("/members/").content


def test_each_process_keeps_a_bounded_share_of_the_pages_bytes(client, tiers, monkeypatch):
    from foundation import pagecache

    first = client.get("/members/").content
    with pagecache._local_lock:
        pagecache._local.clear()  # as in another process: the bytes come from the cache
    pagecache._local_size = 0
    assert client.get("/members/").content == first
    assert sum(map(len, pagecache._local.values())) == len(first)
    monkeypatch.setattr(pagecache, "LOCAL_BYTES", len(first) + 1)
    client.get("/membership/")  # bigger than what is left: the least used page goes
    assert pagecache._local_size <= len(first) + 1
    assert client.get("/members/").content == first
