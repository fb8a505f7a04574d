"""Logo uploads: every real logo survives, anything that could run or fetch is refused."""

import io
import struct
import zlib
from pathlib import Path

import defusedxml.ElementTree as DET
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from foundation.uploads import NOT_AN_IMAGE, UploadRejected, clean_logo

LOGO_DIR = Path(__file__).resolve().parents[2] / "data" / "pytorch-landscape" / "hosted_logos"
LOGOS = sorted(path.name for path in LOGO_DIR.iterdir())
# The landscape's logos that are rightly refused, and a word their message must contain.
REFUSED_LOGOS = {
    "iit.png": "4000",  # 8053 × 1733 pixels.
    "test": "empty",  # A one-byte placeholder (a newline), not a logo.
}
SVG_TAG = "{http://www.w3.org/2000/svg}svg"


def upload(content: bytes, name: str = "logo.svg") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content)


def svg(body: str, extra_ns: str = "") -> bytes:
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink"'
        f'{extra_ns} width="10" height="10">{body}</svg>'
    ).encode()


def png(size: tuple[int, int] = (3, 2), mode: str = "RGB", fmt: str = "PNG") -> bytes:
    buffer = io.BytesIO()
    Image.new(mode, size).save(buffer, format=fmt)
    return buffer.getvalue()


def rejection(content: bytes, name: str = "logo.svg") -> str:
    with pytest.raises(UploadRejected) as excinfo:
        clean_logo(upload(content, name))
    return str(excinfo.value)


# -- The real logos -----------------------------------------------------------------------


def test_the_landscape_is_here():
    assert len(LOGOS) == 245


@pytest.mark.parametrize("name", LOGOS)
def test_real_logo(name):
    content = (LOGO_DIR / name).read_bytes()
    if name in REFUSED_LOGOS:
        assert REFUSED_LOGOS[name] in rejection(content, name)
        return
    cleaned = clean_logo(upload(content, name)).read()
    if name.endswith(".svg"):
        assert DET.fromstring(cleaned).tag == SVG_TAG
        assert b"<!--" not in cleaned
        assert b"<!DOCTYPE" not in cleaned
        assert cleaned.count(b"<?") == 1  # Only the XML declaration we write.
    else:
        with Image.open(io.BytesIO(cleaned)) as image:
            image.load()
            assert image.format in {"PNG", "JPEG"}


def test_oversized_real_logo_names_the_limit():
    message = rejection((LOGO_DIR / "iit.png").read_bytes(), "iit.png")
    assert "8053 × 1733" in message
    assert "at most 4000 pixels" in message


def test_png_with_a_corrupt_metadata_chunk_is_repaired():
    """wedf.png has an iCCP chunk with a wrong CRC: browsers show it, Pillow refused it."""
    cleaned = clean_logo(upload((LOGO_DIR / "wedf.png").read_bytes(), "wedf.png"))
    assert cleaned.name == "logo.png"
    content = cleaned.read()
    assert b"iCCP" not in content
    with Image.open(io.BytesIO(content)) as image:
        image.verify()


def test_corrupt_critical_png_chunk_is_refused():
    content = bytearray(png())
    content[29] ^= 0xFF  # Inside the IHDR chunk's CRC.
    assert "damaged" in rejection(bytes(content), "logo.png")


def test_plain_svg_doctype_is_dropped_but_a_declaring_one_is_refused():
    doctype = (
        '<!DOCTYPE svg PUBLIC "-//W3C//DTD SVG 1.1//EN" '
        '"http://www.w3.org/Graphics/SVG/1.1/DTD/svg11.dtd">'
    )
    cleaned = clean_logo(upload(f'<?xml version="1.0"?>\n{doctype}\n'.encode() + svg(""))).read()
    assert b"DOCTYPE" not in cleaned
    with_subset = doctype[:-1] + ' [<!ATTLIST svg onload CDATA "alert(1)">]>'
    assert "DOCTYPE" in rejection(with_subset.encode() + svg(""))


def test_editor_metadata_and_namespaces_survive():
    content = svg(
        '<sodipodi:namedview id="base" inkscape:zoom="1"/>'
        '<inkscape:path-effect only_selected="false"/>'
        '<defs><linearGradient id="g"/></defs>'
        '<rect fill="url(#g)" style="fill:url(#g)" inkscape:label="box"/>'
        '<use xlink:href="#g"/><use href="#g"/>'
        '<image href="data:image/png;base64,iVBORw0KGgo="/>',
        extra_ns=' xmlns:inkscape="http://www.inkscape.org/namespaces/inkscape"'
        ' xmlns:sodipodi="http://sodipodi.sourceforge.net/DTD/sodipodi-0.dtd"',
    )
    cleaned = clean_logo(upload(content)).read()
    assert cleaned.startswith(b'<?xml version="1.0" encoding="UTF-8"?>\n<svg ')
    assert b'xmlns="http://www.w3.org/2000/svg"' in cleaned
    assert b'inkscape:label="box"' in cleaned
    assert b'xlink:href="#g"' in cleaned
    root = DET.fromstring(cleaned)
    assert root.tag == SVG_TAG
    assert root.find(".//{http://www.inkscape.org/namespaces/inkscape}path-effect") is not None


# -- Refused SVGs ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("<script>alert(1)</script>", "<script> element"),
        ('<rect onload="alert(1)"/>', "event-handler attribute (onload"),
        ('<g onMouseOver="alert(1)"/>', "event-handler attribute (onMouseOver"),
        ("<foreignObject><div>hi</div></foreignObject>", "<foreignObject> element"),
        ('<image href="https://evil.example/x.png"/>', 'link to "https://evil.example/x.png"'),
        ('<image xlink:href="//evil.example/x.png"/>', 'link to "//evil.example/x.png"'),
        ('<use href="https://evil.example/s.svg#a"/>', "link to"),
        ('<filter><feImage href="file:///etc/passwd"/></filter>', "link to"),
        ('<image href="data:image/svg+xml;base64,PHN2Zz4="/>', "link to"),
        ('<a xlink:href="javascript:alert(1)"><text>x</text></a>', "javascript: URL"),
        ('<a href="java&#9;script:alert(1)"/>', "javascript: URL"),
        ('<set attributeName="href" to="#a"/>', "animation of the"),
        ("<style>@import url(http://x);</style>", "@import"),
        ("<style><![CDATA[rect { fill: url(http://x/y.svg#a) }]]></style>", "url(http://x"),
        ("<style>rect { background: u\\72l(http://x) }</style>", "url(http://x"),
        ("<style>rect { width: expression(alert(1)) }</style>", "expression()"),
        ("<rect style=\"fill: url('https://x/p.svg#p')\"/>", "url(https://x"),
        ('<rect fill="url(https://x/p.svg#p)"/>', "url(https://x"),
        ("<iframe/>", "<iframe> element"),
        ("<embed/>", "<embed> element"),
        ("<object/>", "<object> element"),
        ("<handler/>", "<handler> element"),
        ("<listener/>", "<listener> element"),
        ('<div xmlns="http://www.w3.org/1999/xhtml"/>', "HTML <div> element"),
        ('<g xml:base="https://evil.example/"/>', "xml:base"),
    ],
)
def test_active_or_external_svg_is_refused(body, expected):
    message = rejection(svg(body))
    assert expected in message
    assert message.startswith("This SVG contains")
    assert message.endswith("it is not allowed in logos.")


def test_billion_laughs_is_refused():
    bomb = (
        '<?xml version="1.0"?>\n<!DOCTYPE svg [\n<!ENTITY lol "lol">\n'
        + "".join(
            f'<!ENTITY lol{i} "{("&lol" + str(i - 1) + ";") * 10}">\n' for i in range(1, 10)
        ).replace("&lol0;", "&lol;")
        + ']>\n<svg xmlns="http://www.w3.org/2000/svg"><text>&lol9;</text></svg>'
    )
    assert rejection(bomb.encode()) == (
        "This SVG declares a DOCTYPE or XML entities, which are not allowed in logos."
    )


def test_external_entity_is_refused():
    xxe = (
        '<!DOCTYPE svg [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
        '<svg xmlns="http://www.w3.org/2000/svg"><text>&x;</text></svg>'
    )
    assert "DOCTYPE or XML entities" in rejection(xxe.encode())


def test_malformed_svg_is_refused_with_a_reason():
    assert "not well-formed XML" in rejection(b'<svg xmlns="http://www.w3.org/2000/svg"><g></svg>')


def test_xml_that_is_not_svg_is_refused():
    assert rejection(b"<html><body>hi</body></html>") == NOT_AN_IMAGE
    assert rejection(b"<svg><rect/></svg>") == NOT_AN_IMAGE  # No SVG namespace: not drawn.


def test_output_has_no_comments_or_processing_instructions():
    content = (
        b'<?xml version="1.0"?>\n<?xml-stylesheet href="https://evil.example/s.css"?>\n'
        b"<!-- Generator: secret editor -->\n"
        + svg("<!-- inner comment --><?php echo 1; ?><rect/>")
    )
    cleaned = clean_logo(upload(content)).read()
    assert b"<!--" not in cleaned
    assert b"xml-stylesheet" not in cleaned
    assert b"php" not in cleaned
    assert cleaned.count(b"<?") == 1
    assert b"<rect />" in cleaned


# -- Refused and accepted raster files -------------------------------------------------------


def test_text_named_png_is_refused():
    assert rejection(b"just some text, honest\n", "logo.png") == NOT_AN_IMAGE


def test_other_image_formats_are_refused():
    assert rejection(png(fmt="BMP"), "logo.bmp") == NOT_AN_IMAGE


def test_png_renamed_gif_is_decoded_and_named_png():
    cleaned = clean_logo(upload(png(), "logo.gif"))
    assert cleaned.name == "logo.png"
    assert cleaned.read() == png()


@pytest.mark.parametrize(
    ("fmt", "mode", "name"),
    [
        ("PNG", "RGBA", "logo.png"),
        ("JPEG", "RGB", "logo.jpg"),
        ("GIF", "P", "logo.gif"),
        ("WEBP", "RGB", "logo.webp"),
    ],
)
def test_allowed_raster_formats(fmt, mode, name):
    cleaned = clean_logo(upload(png(mode=mode, fmt=fmt), "upload.bin"))
    assert cleaned.name == name


def test_oversized_file_is_refused():
    content = svg("<rect/>" + " " * (2 * 1024 * 1024))
    assert "larger than 2 MB" in rejection(content)


def test_oversized_stream_without_size_is_refused():
    """The limit holds even when the upload does not say how big it is."""
    with pytest.raises(UploadRejected, match="larger than 2 MB"):
        clean_logo(io.BytesIO(b"\0" * (2 * 1024 * 1024 + 1)))


def test_image_wider_than_the_limit_is_refused():
    content = png(size=(4001, 1), mode="1")
    assert len(content) < 2000
    assert "at most 4000 pixels wide" in rejection(content, "logo.png")
    assert clean_logo(upload(png(size=(4000, 1), mode="1"), "logo.png")).name == "logo.png"


def test_decompression_bomb_is_refused():
    """A tiny PNG whose header claims 20000 × 20000 pixels is never decoded."""
    ihdr = struct.pack(">IIBBBBB", 20000, 20000, 8, 2, 0, 0, 0)
    chunk = struct.pack(">I", len(ihdr)) + b"IHDR" + ihdr
    chunk += struct.pack(">I", zlib.crc32(b"IHDR" + ihdr))
    content = png()[:8] + chunk + png()[33:]
    message = rejection(content, "logo.png")
    assert "too large" in message or "4000" in message


def test_truncated_image_is_refused():
    content = png(size=(200, 200), mode="RGB", fmt="JPEG")
    assert "damaged" in rejection(content[: len(content) // 2], "logo.jpg")


@pytest.mark.parametrize("content", [b"", b"\n  \n"])
def test_empty_file_is_refused(content):
    assert rejection(content) == "This file is empty."

