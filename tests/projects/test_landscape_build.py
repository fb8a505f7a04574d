"""/projects/landscape.yml built ahead: a change to what it shows builds the file after commit
for the current version of the public pages, and the view streams the stored file (gzipped to
a client that takes gzip) without a query; a newer version is never answered with an older
file, but with the live export until its own is built; a burst of changes costs one build;
the memory used stays flat as the landscape grows; HEAD works."""

import gzip
import io
import tracemalloc
from pathlib import Path

import pytest
import yaml
from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.http import FileResponse
from django.test.utils import CaptureQueriesContext

from foundation import pagecache
from members.demo_programme import seed_catalogue
from members.demo_scale import seed_scale as seed_organizations
from projects import demo_scale, landscape_build
from projects.landscape import yaml_chunks
from projects.models import Project

pytestmark = pytest.mark.django_db


def _stored() -> list[str]:
    directory = Path(settings.MEDIA_ROOT) / landscape_build.DIRECTORY
    return sorted(path.name for path in directory.iterdir()) if directory.is_dir() else []


def _live() -> bytes:
    return "".join(yaml_chunks()).encode()


def _download(client, **headers):
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/projects/landscape.yml", headers=headers)
        body = b"".join(response.streaming_content)
    assert response.status_code == 200
    return response, body, len(queries)


def test_a_change_builds_the_file_and_the_download_is_that_file(
        client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        Project.objects.create(slug="flux", name="Flux", status=Project.Status.ECOSYSTEM)

    version = pagecache.version()
    assert _stored() == [f"landscape-{version}.yml", f"landscape-{version}.yml.gz"]
    response, body, queries = _download(client)
    assert isinstance(response, FileResponse)
    assert queries == 0  # from storage, not the database
    assert body == _live() and b"name: Flux" in body
    assert response["Content-Type"] == "application/yaml; charset=utf-8"
    assert response["Content-Disposition"] == 'inline; filename="landscape.yml"'
    assert "Content-Encoding" not in response

    response, body, queries = _download(client, accept_encoding="gzip, deflate, br")
    assert response["Content-Encoding"] == "gzip" and queries == 0
    assert gzip.decompress(body) == _live()
    assert len(body) < len(_live())
    assert "Accept-Encoding" in response["Vary"]


def test_after_a_change_the_download_is_fresh_until_and_after_its_file_is_built(
        client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        project = Project.objects.create(slug="flux", name="Flux",
                                         status=Project.Status.ECOSYSTEM)
    first = _stored()

    # A change whose build has not run yet (an update sends no signal; the pages' version
    # moves as any change moves it): the older file is not served, the live export is.
    Project.objects.filter(pk=project.pk).update(name="FluxML")
    with django_capture_on_commit_callbacks(execute=False) as queued:
        pagecache.invalidate()
    queued[0]()
    with django_capture_on_commit_callbacks(execute=False) as build:
        response, body, queries = _download(client)
    assert not isinstance(response, FileResponse) and queries == 3
    assert b"name: FluxML" in body and b"name: Flux\n" not in body
    assert _stored() == first

    # The download queued the build; once it has run, the new file is served, the old gone.
    build[0]()
    response, body, queries = _download(client)
    assert isinstance(response, FileResponse) and queries == 0
    assert body == _live() and b"name: FluxML" in body
    assert len(_stored()) == 2 and not set(first) & set(_stored())


def test_a_burst_of_changes_while_a_build_is_queued_adds_none_and_a_build_is_idempotent(
        django_capture_on_commit_callbacks):
    seed_catalogue()
    cache.set(landscape_build.QUEUED_KEY, 1)  # a build queued, not yet started by a worker
    with CaptureQueriesContext(connection) as queries, \
            django_capture_on_commit_callbacks(execute=True) as callbacks:
        for n in range(20):
            Project.objects.create(slug=f"p{n}", name=f"P{n}", status=Project.Status.ECOSYSTEM)
    assert len(callbacks) >= 20
    assert _stored() == []  # nothing built, nothing more queued
    assert not any('"members_membership"' in q["sql"] for q in queries.captured_queries)

    # The queued build, when it runs, writes the file for the latest version, all included.
    with CaptureQueriesContext(connection) as queries:
        assert landscape_build.build() is True
    assert sum('FROM "members_membership"' in q["sql"] for q in queries.captured_queries) == 1
    built = Path(settings.MEDIA_ROOT) / landscape_build.name(pagecache.version())
    assert yaml.safe_load(built.read_bytes()) == yaml.safe_load(_live())
    assert b"name: P19" in built.read_bytes()
    written = built.stat().st_mtime_ns

    assert landscape_build.build() is False  # again: the current file exists
    assert built.stat().st_mtime_ns == written


def test_a_membership_or_an_organization_change_builds_a_new_file(
        client, django_capture_on_commit_callbacks):
    seed_catalogue()
    seed_organizations(3, io.StringIO())
    assert landscape_build.build() is True
    _response, body, _queries = _download(client)
    member = yaml.safe_load(body)["landscape"][-1]["subcategories"][0]["items"][0]["name"]

    from foundation.accounts.models import Organization

    org = Organization.objects.get(display_name=member.removesuffix(" (member)"))
    org.display_name = "Renamed Labs"
    with django_capture_on_commit_callbacks(execute=True):
        org.save()
    response, body, queries = _download(client)
    assert isinstance(response, FileResponse) and queries == 0
    assert b"Renamed Labs (member)" in body


def test_head_answers_without_a_body_before_and_after_the_build(client):
    response = client.head("/projects/landscape.yml")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/yaml; charset=utf-8"

    Project.objects.create(slug="flux", name="Flux", status=Project.Status.ECOSYSTEM)
    cache.delete(pagecache.VERSION_KEY)  # a new version, as the change's commit would set
    landscape_build.build()
    response = client.head("/projects/landscape.yml")
    assert response.status_code == 200
    assert int(response["Content-Length"]) == len(_live())
    assert b"".join(response.streaming_content) == b""


def _peaks() -> tuple[int, int, int]:
    """The most memory a build takes, a download of the built file takes, and its size."""
    from django.test import Client

    cache.delete(pagecache.VERSION_KEY)  # a new version: the next build writes its file
    tracemalloc.start()
    try:
        assert landscape_build.build() is True
        build = tracemalloc.get_traced_memory()[1]
        tracemalloc.reset_peak()
        response = Client().get("/projects/landscape.yml")
        assert isinstance(response, FileResponse)
        for _chunk in response.streaming_content:  # closes the file at the end
            pass
        return build, tracemalloc.get_traced_memory()[1], int(response["Content-Length"])
    finally:
        tracemalloc.stop()


def test_building_and_serving_the_file_take_flat_memory_as_the_projects_grow():
    demo_scale.seed_scale(2000, io.StringIO())
    _peaks()  # once, so what is set up once is not counted
    small_build, _serve, _size = _peaks()
    demo_scale.seed_scale(8000, io.StringIO())
    large_build, serve, size = _peaks()

    # Five times the projects, about the same peak: it would grow five times if the file
    # were held whole.
    assert large_build < small_build * 1.3, (small_build, large_build)
    # The download reads the file a block at a time: a small part of it in memory.
    assert size > 2_000_000 and serve < size / 4, (serve, size)
