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
         "/credits/", "/api/sponsors.json", "/api/openapi.json", "/api/docs", "/projects/",
         "/projects/?status=hosted", "/api/projects.json", "/credits/transparency/",
         "/api/credits.json"]
# Generated projects per generated organization in the two-scale test, as the benchmark has.
PROJECTS_PER_ORG = 4
# Generated organizations per generated sponsor (with its ledger rows), as the benchmark has.
ORGS_PER_SPONSOR = 10


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
                                  "/api/openapi.json", "/api/docs", "/projects/?page=2",
                                  "/projects/?category=vertical&q=torch", "/projects/{project}/"])
def test_public_pages_run_as_many_queries_at_20_organizations_as_at_300(client, tiers, path,
                                                                       admin_user):
    from io import StringIO

    from django.core.cache import cache

    from credits import demo_scale as credits_scale
    from credits.demo import seed_programme
    from credits.ledger.models import Entry
    from members.demo_scale import seed_scale
    from projects import demo_scale as projects_scale
    from projects.models import Project

    def grow(orgs):
        """Organizations, sponsors with their ledger lots, projects, and the pool's
        allocations and usage for the hosted ones, in the benchmark's proportions."""
        seed_scale(orgs, StringIO())
        credits_scale.seed_scale(orgs // ORGS_PER_SPONSOR, StringIO())
        projects_scale.seed_scale(orgs * PROJECTS_PER_ORG, StringIO())
        credits_scale.seed_allocations(StringIO())

    seed_programme(owner=admin_user)
    grow(20)
    entries = Entry.objects.count()
    path = path.format(project=Project.objects.public().order_by("pk").first().slug)
    client.get(path)  # the process's caches warm (content types), as under load
    cache.clear()
    small = queries(client, path)
    grow(280)
    assert Entry.objects.count() > entries
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


BROWSER = {"Accept-Encoding": "gzip, deflate, br"}


def vary(response):
    return {v.strip().lower() for v in response.get("Vary", "").split(",")}


@pytest.mark.parametrize("path", ["/", "/members/", "/api/members.json", "/api/openapi.json"])
def test_a_browser_taking_gzip_gets_the_page_gzipped_once_stored_and_served(
    client, tiers, path
):
    import gzip
    from io import StringIO

    from members.demo_scale import seed_scale

    seed_scale(20, StringIO())  # the API's list too is then well over a kilobyte
    plain = client.get(path)  # rendered and stored, with its gzipped copy
    assert "Content-Encoding" not in plain and vary(plain) == {"cookie", "accept-encoding"}
    with CaptureQueriesContext(connection) as captured:
        for response in (client.get(path, headers=BROWSER), client.get(path, headers=BROWSER)):
            assert response.status_code == 200 and response["Content-Encoding"] == "gzip"
            assert vary(response) == {"cookie", "accept-encoding"}
            # Decompressed once it is the page: nothing compressed it a second time.
            assert gzip.decompress(response.content) == plain.content
            assert len(response.content) < len(plain.content) / 2
            assert response["Content-Length"] == str(len(response.content))
            assert response["Content-Type"] == plain["Content-Type"]
            assert response["ETag"] == plain["ETag"][:-1] + '-gzip"'
    assert len(captured) == 0


def test_the_first_visit_of_a_browser_taking_gzip_is_gzipped_too(client, tiers, settings):
    import gzip

    # The cache's copy is the only one: no middleware compresses pages, which it would redo on
    # every request (and the signed-in pages' bytes with a secret in them, as BREACH reads).
    assert not [m for m in settings.MIDDLEWARE if "gzip" in m.lower()]

    first = client.get("/members/", headers=BROWSER)
    assert first["Content-Encoding"] == "gzip" and first["ETag"].endswith('-gzip"')
    assert gzip.decompress(first.content) == client.get("/members/").content


@pytest.mark.parametrize("accept", ["", "identity", "gzip;q=0", "br", "deflate, br",
                                    "*;q=0", "gzip;q=0, *"])
def test_a_client_not_taking_gzip_gets_the_plain_page(client, tiers, accept):
    client.get("/members/", headers=BROWSER)
    response = client.get("/members/", headers={"Accept-Encoding": accept})
    assert "Content-Encoding" not in response
    assert b"<html" in response.content and not response["ETag"].endswith('-gzip"')
    assert vary(response) == {"cookie", "accept-encoding"}


@pytest.mark.parametrize(("header", "expected"), [
    ("gzip", True), ("GZIP", True), ("x-gzip", True), ("gzip, deflate, br", True),
    ("br;q=1.0, gzip;q=0.8, *;q=0.1", True), ("*", True), ("gzip;q=0.001", True),
    ("", False), ("identity", False), ("gzip;q=0", False), ("gzip; q=0.0", False),
    ("*;q=0", False), ("br, *;q=0", False), ("gzip;q=banana", False), ("gzipped", False),
])
def test_accept_encoding_is_read_with_its_weights(header, expected):
    from foundation.pagecache import accepts_gzip

    assert accepts_gzip(header) is expected


def test_a_304_answers_only_the_encoding_the_browser_has(
    client, tiers, admin_user, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        member = join(tiers, admin_user, "Walker Robotics")
    plain_etag = client.get("/members/")["ETag"]
    gzip_etag = client.get("/members/", headers=BROWSER)["ETag"]
    assert gzip_etag == plain_etag[:-1] + '-gzip"'
    again = client.get("/members/", headers={**BROWSER, "If-None-Match": gzip_etag})
    assert again.status_code == 304 and again.content == b"" and again["ETag"] == gzip_etag
    assert vary(again) == {"cookie", "accept-encoding"} and "Content-Encoding" not in again
    assert client.get("/members/", headers={"If-None-Match": plain_etag}).status_code == 304
    # A copy in the other encoding is another representation: the page, not 304.
    crossed = client.get("/members/", headers={**BROWSER, "If-None-Match": plain_etag})
    assert crossed.status_code == 200 and crossed["Content-Encoding"] == "gzip"
    crossed = client.get("/members/", headers={"If-None-Match": gzip_etag})
    assert crossed.status_code == 200 and b"Walker Robotics" in crossed.content
    assert "Content-Encoding" not in crossed
    with django_capture_on_commit_callbacks(execute=True):
        organization_update(organization=member.organization, actor=admin_user,
                            display_name="Walker Engines")
    for headers, etag in ((BROWSER, gzip_etag), ({}, plain_etag)):
        changed = client.get("/members/", headers={**headers, "If-None-Match": etag})
        assert changed.status_code == 200 and changed["ETag"] != etag


def test_a_change_shows_at_once_in_both_encodings(
    client, tiers, admin_user, django_capture_on_commit_callbacks
):
    import gzip

    with django_capture_on_commit_callbacks(execute=True):
        for n in range(10):
            join(tiers, admin_user, f"General {n}")  # well over a kilobyte of JSON
        member = join(tiers, admin_user, "Walker Robotics")
    assert b"Walker Robotics" in gzip.decompress(client.get("/api/members.json",
                                                            headers=BROWSER).content)
    assert b"Walker Robotics" in client.get("/api/members.json").content
    with django_capture_on_commit_callbacks(execute=True):
        organization_update(organization=member.organization, actor=admin_user,
                            display_name="Walker Engines")
    for body in (gzip.decompress(client.get("/api/members.json", headers=BROWSER).content),
                 client.get("/api/members.json").content):
        assert b"Walker Engines" in body and b"Walker Robotics" not in body


def test_a_gzipped_hit_is_one_round_trip_to_the_cache(client, tiers, monkeypatch):
    from django.core.cache import cache

    client.get("/members/")  # stores both encodings
    calls = []
    for name in ("get", "get_many", "get_or_set", "set", "add", "incr"):
        original = getattr(cache, name)
        monkeypatch.setattr(cache, name, lambda *a, _n=name, _o=original, **k: (
            calls.append(_n), _o(*a, **k))[1])
    assert client.get("/members/", headers=BROWSER)["Content-Encoding"] == "gzip"
    assert calls == ["get_many"]


def test_each_process_counts_both_encodings_against_its_share(client, tiers, monkeypatch):
    from foundation import pagecache

    with pagecache._local_lock:
        pagecache._local.clear()
    pagecache._local_size = 0
    plain = client.get("/members/").content
    gzipped = client.get("/members/", headers=BROWSER).content
    assert pagecache._local_size == len(plain) + len(gzipped)
    assert sorted(map(len, pagecache._local.values())) == sorted([len(plain), len(gzipped)])
    with pagecache._local_lock:
        pagecache._local.clear()  # as in another process: each encoding read as asked for
    pagecache._local_size = 0
    assert client.get("/members/", headers=BROWSER).content == gzipped
    assert pagecache._local_size == len(gzipped)


def test_a_small_page_is_sent_as_it_is(rf):
    from django.contrib.auth.models import AnonymousUser
    from django.http import HttpResponse

    from foundation.pagecache import cached_page

    @cached_page
    def tiny(request):
        return HttpResponse(b"ok " * 100, content_type="text/plain")

    for _ in range(2):  # rendered, then from the cache
        request = rf.get("/tiny/", headers=BROWSER)
        request.user = AnonymousUser()
        response = tiny(request)
        assert response.content == b"ok " * 100 and "Content-Encoding" not in response
        assert vary(response) == {"cookie"}
