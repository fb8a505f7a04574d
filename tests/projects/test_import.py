"""import_landscape: the foundation's real file loads as hosted, ecosystem and archived
projects with their logos, a second run changes nothing, a bad file is refused with its line
and reason and nothing is written, and logos too large or unsafe are scaled or reported."""

import base64
import io
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from PIL import Image

from foundation.models import AuditEntry
from foundation.uploads import SVG_MAX_BYTES
from projects.landscape_file import LandscapeError, read
from projects.landscape_import import import_landscape
from projects.models import Project, ProjectRepository

pytestmark = pytest.mark.django_db

DATA = Path(settings.BASE_DIR) / "data" / "pytorch-landscape"
REAL = DATA / "landscape.yml"
LOGOS = DATA / "hosted_logos"
HOSTED = {"PyTorch", "DeepSpeed", "Ray", "vLLM", "Helion", "Safetensors"}


def _run(path: Path, logos: Path | None = None) -> str:
    out = io.StringIO()
    args = [str(path)] + (["--logos", str(logos)] if logos else [])
    call_command("import_landscape", *args, stdout=out)
    return out.getvalue()


def _file(tmp_path: Path, items: str, name: str = "landscape.yml") -> Path:
    path = tmp_path / name
    path.write_text(
        "landscape:\n"
        "  - category:\n"
        "    name: Training\n"
        "    subcategories:\n"
        "      - subcategory:\n"
        "        name: General\n"
        "        items:\n" + items)
    return path


def _item(name: str, repo: str = "", logo: str = "", extra: str = "") -> str:
    text = (f"          - item:\n"
            f"            name: {name}\n"
            f"            homepage_url: https://{name.lower()}.example/\n"
            f"            description: {name} trains models.\n")
    if logo:
        text += f"            logo: {logo}\n"
    if repo:
        text += f"            repo_url: {repo}\n"
    return text + extra


def test_the_real_file_loads_hosted_ecosystem_and_archived_projects_with_their_logos():
    output = _run(REAL, LOGOS)

    assert "143 created, 0 updated, 0 unchanged; 45 member items left out" in output
    statuses = dict.fromkeys(Project.Status.values, 0)
    for status in Project.objects.values_list("status", flat=True):
        statuses[status] += 1
    assert statuses["hosted"] == 6 and statuses["archived"] == 68
    assert statuses["ecosystem"] == 69
    assert set(Project.objects.filter(status="hosted").values_list("name", flat=True)) == HOSTED
    pytorch = Project.objects.get(name="PyTorch")
    assert (pytorch.landscape_category, pytorch.landscape_subcategory) == ("Training", "General")
    assert pytorch.joined_on.isoformat() == "2022-09-07"
    assert pytorch.extra == {"annotations": {"slug": "ptproject"}}
    assert pytorch.landscape_item["second_path"] == ["Training / General"]
    assert pytorch.repositories.get().url == "https://github.com/pytorch/pytorch"
    assert pytorch.logo.read().startswith(b"<?xml")
    # Every project's logo is in the folder, and each one survives the checks.
    assert Project.objects.filter(logo="").count() == 0
    # The oversized SVGs are simplified, not dropped, and said so.
    dgl = Project.objects.get(name="DGL")
    assert dgl.logo.size <= SVG_MAX_BYTES
    assert "DGL: logo DGL.svg: SVG simplified from 1,038 KB" in output
    assert Project.objects.get(name="Albumentations").category == Project.Category.VERTICAL
    assert AuditEntry.objects.filter(action="project.imported").count() == 143


def test_a_second_import_changes_nothing(tmp_path):
    _run(REAL, LOGOS)
    before = {p.pk: (p.updated_at, p.logo.name) for p in Project.objects.all()}
    files = sorted((Path(settings.MEDIA_ROOT) / "projects" / "logos").iterdir())

    output = _run(REAL, LOGOS)

    assert "0 created, 0 updated, 143 unchanged" in output
    assert {p.pk: (p.updated_at, p.logo.name) for p in Project.objects.all()} == before
    assert sorted((Path(settings.MEDIA_ROOT) / "projects" / "logos").iterdir()) == files


def test_an_item_is_matched_by_its_repository_then_by_its_name(tmp_path):
    _run(_file(tmp_path, _item("Flux", "https://github.com/flux/flux")
                         + _item("Stream")))
    flux, stream = Project.objects.get(name="Flux"), Project.objects.get(name="Stream")

    # Renamed, same repository (spelt differently); a repository added to Stream.
    _run(_file(tmp_path, _item("FluxML", "http://GitHub.com/flux/flux.git/")
                         + _item("Stream", "https://github.com/stream/stream")))

    assert Project.objects.count() == 2
    flux.refresh_from_db()
    assert flux.name == "FluxML"
    assert stream.repositories.get().url == "https://github.com/stream/stream"


@pytest.mark.parametrize(("items", "line", "reason"), [
    (_item("Good", "https://github.com/good/good")
     + "          - item:\n            name: Bad: colon\n" + _item("Later"), 14,
     "this is not valid YAML (mapping values are not allowed here)"),
    (_item("Good") + "          - item:\n            homepage_url: https://x.example/\n", 12,
     "this item has no name"),
    (_item("Good") + _item("Bad", "javascript:alert(1)"), 16,
     "repo_url 'javascript:alert(1)' is not an http(s) URL"),
    (_item("Good") + "          - item:\n            name: Odd\n            project: mature\n",
     14, "project 'mature' is not one of"),
    (_item("Good", "https://github.com/a/b") + _item("Twin", "https://github.com/a/b/"), 13,
     "the repository https://github.com/a/b/ is already Good's, on line 8"),
])
def test_an_invalid_file_is_refused_with_its_line_and_reason_and_nothing_is_written(
        tmp_path, items, line, reason):
    path = _file(tmp_path, items)

    with pytest.raises(CommandError) as refused:
        _run(path)

    assert f"landscape.yml, line {line}: {reason}" in str(refused.value)
    assert str(refused.value).endswith("Nothing was imported.")
    assert not Project.objects.exists() and not ProjectRepository.objects.exists()


def test_a_refused_file_leaves_the_projects_as_they_were(tmp_path):
    _run(_file(tmp_path, _item("Good", "https://github.com/good/good")))

    with pytest.raises(LandscapeError):
        import_landscape(_file(tmp_path, _item("Good renamed", "https://github.com/good/good")
                               + _item("Bad", "ftp://bad.example/")).read_bytes())

    assert list(Project.objects.values_list("name", flat=True)) == ["Good"]


def test_an_empty_file_and_a_file_without_landscape_are_refused():
    with pytest.raises(LandscapeError, match="line 1: the file is empty"):
        read("")
    with pytest.raises(LandscapeError, match="line 1: the landscape: list is missing"):
        read("categories: []\n")


def _png(width: int, height: int) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), (200, 30, 30)).save(out, format="PNG")
    return out.getvalue()


def test_a_logo_too_large_for_the_upload_rules_is_scaled_down_not_dropped(tmp_path):
    logos = tmp_path / "logos"
    logos.mkdir()
    (logos / "wide.png").write_bytes(_png(6000, 800))
    # An SVG over the SVG budget because of the photo it embeds.
    picture = Image.effect_mandelbrot((3000, 2000), (-2, -1.2, 1, 1.2), 100).convert("RGB")
    photo = io.BytesIO()
    picture.save(photo, format="PNG")
    big_svg = (b'<svg xmlns="http://www.w3.org/2000/svg" '
               b'xmlns:xlink="http://www.w3.org/1999/xlink" viewBox="0 0 160 120">'
               b'<image width="160" height="120" xlink:href="data:image/png;base64,'
               + base64.b64encode(photo.getvalue()) + b'"/></svg>')
    assert len(big_svg) > SVG_MAX_BYTES
    (logos / "big.svg").write_bytes(big_svg)

    output = _run(_file(tmp_path, _item("Wide", logo="wide.png") + _item("Big", logo="big.svg")),
                  logos)

    wide = Project.objects.get(name="Wide")
    with Image.open(wide.logo) as image:
        assert max(image.size) <= settings.LOGO_MAX_PIXELS
        assert image.size[0] > image.size[1] * 6  # the same shape
    big = Project.objects.get(name="Big")
    assert 0 < big.logo.size <= SVG_MAX_BYTES
    assert "Wide: logo wide.png: image scaled down" in output
    assert "Big: logo big.svg: SVG simplified" in output


def test_an_unsafe_svg_is_reported_and_the_project_imported_without_it(tmp_path):
    logos = tmp_path / "logos"
    logos.mkdir()
    (logos / "evil.svg").write_text('<svg xmlns="http://www.w3.org/2000/svg">'
                                    '<script>alert(1)</script></svg>')

    output = _run(_file(tmp_path, _item("Evil", logo="evil.svg") + _item("Gone", logo="no.svg")),
                  logos)

    assert ("Line 8, Evil: logo evil.svg refused (This SVG contains a <script> element; "
            "scripts are not allowed in logos; it is not allowed in logos.)") in output
    assert "Gone: logo no.svg is not in the logos folder" in output
    assert not Project.objects.get(name="Evil").logo
    assert not list((Path(settings.MEDIA_ROOT)).rglob("*.svg"))


def test_a_missing_file_or_logos_folder_is_a_clear_error(tmp_path):
    with pytest.raises(CommandError, match="cannot be read"):
        _run(tmp_path / "none.yml")
    with pytest.raises(CommandError, match="is not a folder"):
        _run(REAL, tmp_path / "none")
