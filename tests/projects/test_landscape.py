"""The landscape out: /projects/landscape.yml in the landscape2 format, streamed in memory
that does not grow with the number of projects; the foundation's real file survives an import,
an export, an import into an empty database and a second export; /api/projects.json gives the
same items a page at a time (the first without `page`, with the count and the next page's URL)
in the same queries at any size, fresh after a change; seed_demo loads the real landscape and
--projects N adds generated projects. The file built ahead: test_landscape_build."""

import io
import json
import tracemalloc
from pathlib import Path

import pytest
import yaml
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db import connection
from django.http import StreamingHttpResponse
from django.test.utils import CaptureQueriesContext

from members.demo_programme import seed_catalogue
from members.demo_scale import seed_scale as seed_organizations
from projects import demo_scale
from projects.landscape import yaml_chunks
from projects.landscape_file import MEMBERS_CATEGORY, read
from projects.landscape_import import import_landscape
from projects.models import Project, ProjectRepository

pytestmark = pytest.mark.django_db

DATA = Path(settings.BASE_DIR) / "data" / "pytorch-landscape"
HOSTED = {"PyTorch", "DeepSpeed", "Ray", "vLLM", "Helion", "Safetensors"}


def _items(text: str | bytes) -> dict[str, dict]:
    """The file's project items by name, as the import reads them; a logo by its presence
    only (its stored file is named after the project)."""
    found = {}
    for item in read(text):
        if item.is_member:
            continue
        fields = vars(item).copy()
        del fields["line"]
        fields["logo"] = bool(fields["logo"])
        found[item.name] = fields
    return found


def _export(client) -> str:
    response = client.get("/projects/landscape.yml")
    assert response.status_code == 200
    return b"".join(response.streaming_content).decode()


def test_the_real_landscape_round_trips_through_an_empty_database(client):
    original = (DATA / "landscape.yml").read_text()
    import_landscape(original, DATA / "hosted_logos")
    first = _export(client)

    ProjectRepository.objects.all().delete()
    Project.objects.all().delete()
    logos = Path(settings.MEDIA_ROOT) / "projects" / "logos"
    import_landscape(first, logos)
    second = _export(client)

    assert _items(second) == _items(first) == _items(original)
    assert len(_items(second)) == 143
    exported = yaml.safe_load(second)["landscape"]
    hosted = next(c for c in exported if c["name"] == "PyTorch Projects")
    items = hosted["subcategories"][0]["items"]
    assert {item["name"] for item in items} == HOSTED
    pytorch = next(item for item in items if item["name"] == "PyTorch")
    assert pytorch["project"] == "foundation"
    assert pytorch["extra"] == {"annotations": {"slug": "ptproject"}, "accepted": "2022-09-07"}
    assert pytorch["second_path"] == ["Training / General"]
    assert (logos / pytorch["logo"]).is_file()


def test_the_file_is_a_streamed_download_with_the_members_by_tier(client):
    seed_catalogue()
    seed_organizations(12, io.StringIO())
    demo_scale.seed_scale(30, io.StringIO())

    response = client.get("/projects/landscape.yml")

    assert isinstance(response, StreamingHttpResponse)
    assert response["Content-Type"] == "application/yaml; charset=utf-8"
    assert response["Content-Disposition"] == 'inline; filename="landscape.yml"'
    data = yaml.safe_load(b"".join(response.streaming_content))
    names = [c["name"] for c in data["landscape"]]
    assert names[-1] == MEMBERS_CATEGORY
    members = data["landscape"][-1]["subcategories"]
    assert all(item["name"].endswith(" (member)") for s in members for item in s["items"])
    listed = sum(len(s["items"]) for c in data["landscape"] for s in c["subcategories"]
                 if c["name"] != MEMBERS_CATEGORY)
    assert listed == Project.objects.public().count()
    assert Project.objects.public().count() < 30  # drafts and applications are not listed


def _peak_export_memory() -> int:
    tracemalloc.start()
    try:
        for _chunk in yaml_chunks():
            pass
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_the_export_memory_stays_flat_as_the_projects_grow():
    # Both sizes read several chunks of rows (landscape.CHUNK), so the first size's peak is
    # already the most a chunk at a time holds.
    demo_scale.seed_scale(2000, io.StringIO())
    _peak_export_memory()  # once, so what is set up once is not counted
    small = _peak_export_memory()
    demo_scale.seed_scale(8000, io.StringIO())
    large = _peak_export_memory()

    # Five times the projects, about the same peak: it would be five times if rows were kept.
    assert large < small * 1.3, (small, large)


def _api(client, url="/api/projects.json"):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return response.json(), len(queries)


def _names(data: dict) -> list[str]:
    return [i["name"] for c in data["categories"] for s in c["subcategories"]
            for i in s["items"]]


def test_the_api_gives_the_files_items_a_page_at_a_time_in_the_same_queries(client):
    import_landscape((DATA / "landscape.yml").read_bytes(), DATA / "hosted_logos")
    seed_catalogue()
    seed_organizations(4, io.StringIO())
    data, small = _api(client)

    pytorch = next(item for c in data["categories"] if c["name"] == "PyTorch Projects"
                   for s in c["subcategories"] for item in s["items"]
                   if item["name"] == "PyTorch")
    assert pytorch["project"] == "foundation"
    assert pytorch["repo_url"] == "https://github.com/pytorch/pytorch"
    assert pytorch["logo"].startswith("http://testserver/media/projects/logos/")
    assert pytorch["extra"]["accepted"] == "2022-09-07"
    file_items = [i["name"] for c in yaml.safe_load(_export(client))["landscape"]
                  for s in c["subcategories"] for i in s["items"]]
    assert _names(data) == file_items and data["count"] == len(file_items) < 500
    assert data["next"] is None

    seed_organizations(40, io.StringIO())
    demo_scale.seed_scale(1500, io.StringIO())
    file_items = [i["name"] for c in yaml.safe_load(_export(client))["landscape"]
                  for s in c["subcategories"] for i in s["items"]]
    assert len(file_items) > 1000  # three pages
    # Without `page`, the first page; each page's `next` leads to the following one.
    data, queries = _api(client, "/api/projects.json?cache=miss")
    pages, counted = [data], [queries]
    while pages[-1]["next"]:
        paged, queries = _api(client, pages[-1]["next"])
        pages.append(paged)
        counted.append(queries)
    # Three counts, then a query for each of the file's three parts, on every page.
    assert small == 6 and set(counted) == {6}
    # A page holds up to 500 items of each part, each part in the file's order.
    assert len(pages) == 3 and len(_names(pages[0])) > 500
    place = {name: index for index, name in enumerate(file_items)}
    for page in pages:
        names = _names(page)
        assert [place[name] for name in names] == sorted(place[name] for name in names)
    assert sorted(name for page in pages for name in _names(page)) == sorted(file_items)
    assert {page["count"] for page in pages} == {len(file_items)}
    assert pages[1]["categories"][0]["name"] in {c["name"] for c in pages[0]["categories"]}
    past = _api(client, "/api/projects.json?page=99")[0]
    assert past == {"count": len(file_items), "next": None, "categories": []}
    assert client.get("/api/projects.json?page=0").status_code == 422


def test_the_api_is_cached_and_fresh_after_a_change(client, django_capture_on_commit_callbacks):
    project = Project.objects.create(slug="flux", name="Flux", status=Project.Status.ECOSYSTEM)
    first, _ = _api(client)
    again, queries = _api(client)
    assert again == first and queries == 0  # from the cache

    project.name = "FluxML"
    with django_capture_on_commit_callbacks(execute=True):
        project.save()
    data, _ = _api(client)
    assert json.dumps(data).count("FluxML") == 1


def test_seed_demo_loads_the_real_landscape_once_and_projects_n_adds_more():
    call_command("seed_demo", stdout=io.StringIO())
    assert set(Project.objects.filter(status="hosted").values_list("name", flat=True)) == HOSTED
    assert Project.objects.filter(status="archived").count() == 68
    assert Project.objects.count() == 143

    out = io.StringIO()
    call_command("seed_demo", "--projects", "250", stdout=out)
    call_command("seed_demo", "--projects", "250", stdout=out)

    assert Project.objects.count() == 143 + 500
    assert ProjectRepository.objects.filter(project__name__contains=" ").count() >= 500
    assert "Added 250 generated projects" in out.getvalue()
    statuses = set(Project.objects.values_list("status", flat=True))
    assert {"ecosystem", "hosted", "archived", "submitted", "draft"} <= statuses
    with pytest.raises(CommandError, match="--projects takes the number of projects"):
        call_command("seed_demo", "--projects", "-1")


def test_twenty_thousand_generated_projects_take_well_under_a_minute():
    import time

    started = time.monotonic()
    demo_scale.seed_scale(20_000, io.StringIO())
    assert time.monotonic() - started < 30
    assert Project.objects.count() == 20_000
    assert ProjectRepository.objects.count() == 20_000
