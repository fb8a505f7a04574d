"""The media view serves uploads as inert files: sandboxed, never sniffed, never outside."""

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.http import Http404
from django.test import RequestFactory, override_settings

from foundation import media

PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00"
    b"\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\xcf\xc0\xf0\x1f\x00\x05\x00\x01\xff\x89\x99"
    b"=\x1d\x00\x00\x00\x00IEND\xaeB`\x82"
)
SVG = b'<svg xmlns="http://www.w3.org/2000/svg" width="1" height="1"/>'


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    with override_settings(ROOT_URLCONF="tests.foundation.media_urls"):
        yield tmp_path / "media"


def test_serves_a_stored_file_sandboxed(client):
    name = default_storage.save("logos/acme.png", ContentFile(PNG))
    response = client.get(f"/media/{name}")
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PNG
    assert response["Content-Type"] == "image/png"
    assert response["Content-Security-Policy"] == media.CONTENT_SECURITY_POLICY
    assert response["Content-Security-Policy"].endswith("; sandbox")
    assert "default-src 'none'" in response["Content-Security-Policy"]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Cross-Origin-Resource-Policy"] == "same-origin"


def test_svg_is_served_as_svg(client):
    name = default_storage.save("logos/acme.svg", ContentFile(SVG))
    response = client.get(f"/media/{name}")
    assert response.status_code == 200
    assert response["Content-Type"] == "image/svg+xml"
    assert "sandbox" in response["Content-Security-Policy"]


def test_head_is_allowed_and_post_is_not(client):
    name = default_storage.save("logos/acme.png", ContentFile(PNG))
    assert client.head(f"/media/{name}").status_code == 200
    assert client.post(f"/media/{name}").status_code == 405


def test_missing_file_is_404(client):
    assert client.get("/media/logos/nope.png").status_code == 404


def test_path_traversal_is_404(client, media_root):
    media_root.mkdir(parents=True, exist_ok=True)
    (media_root.parent / "secret.txt").write_text("do not serve me")
    default_storage.save("logos/acme.png", ContentFile(PNG))
    urls = ["/media/../secret.txt", "/media/logos/../../secret.txt", "/media/%2e%2e/secret.txt"]
    for url in urls:
        assert client.get(url).status_code == 404, url


@pytest.mark.parametrize(
    "path", ["../secret.txt", "logos/../../secret.txt", "/etc/passwd", "..\\secret.txt", ""]
)
def test_view_refuses_paths_outside_storage(media_root, path):
    media_root.mkdir(parents=True, exist_ok=True)
    (media_root.parent / "secret.txt").write_text("do not serve me")
    with pytest.raises(Http404):
        media.serve(RequestFactory().get("/media/x"), path)


@pytest.mark.parametrize(
    ("name", "content_type"),
    [
        ("a.svg", "image/svg+xml"),
        ("a.SVG", "image/svg+xml"),
        ("a.png", "image/png"),
        ("a.jpg", "image/jpeg"),
        ("a.gif", "image/gif"),
        ("a.webp", "image/webp"),
        ("a", "application/octet-stream"),
    ],
)
def test_content_type_comes_from_the_name(name, content_type):
    assert media.content_type_for(name) == content_type
