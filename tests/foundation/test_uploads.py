"""Logo uploads: every real logo survives, anything that could run or fetch is refused."""

import io
import struct
import time
import zlib
from datetime import UTC, datetime, timedelta
from pathlib import Path

import defusedxml.ElementTree as DET
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from foundation import uploads
from foundation.uploads import NOT_AN_IMAGE, UploadRejected, charge_logo_upload, clean_logo
from tests.accounts.factories import UserFactory
from tests.concurrency import at_once

LOGO_DIR = Path(__file__).resolve().parents[2] / "data" / "pytorch-landscape" / "hosted_logos"
LOGOS = sorted(path.name for path in LOGO_DIR.iterdir())
# The landscape's logos that are rightly refused, and a word their message must contain.
REFUSED_LOGOS = {
    "iit.png": "4000",  # 8053 × 1733 pixels.
    "test": "empty",  # A one-byte placeholder (a newline), not a logo.
    # SVGs over 512 KB, mostly a raster image wrapped in SVG: a PNG of them is the logo to send.
    "DGL.svg": "this one is 1 MB",
    "GPyTorch.svg": "this one is 1.1 MB",
    "GaNDLF.svg": "this one is 619 KB",
    "huawei.svg": "this one is 1.6 MB",
    "instituto_tecnologico_de_la_piedad.svg": "this one is 893 KB",
    "kubetorch.svg": "this one is 562 KB",
    "miles.svg": "this one is 703 KB",
    "sgl_logo.svg": "this one is 612 KB",
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


def test_oversized_raster_file_is_refused():
    content = png() + b"\0" * (2 * 1024 * 1024)
    assert "larger than 2 MB" in rejection(content, "logo.png")


def test_svg_over_512_kb_is_refused_before_parsing(monkeypatch):
    def no_parsing(*args, **kwargs):
        raise AssertionError("parsed")

    monkeypatch.setattr(uploads.DET, "XMLParser", no_parsing)
    content = svg("<rect/>" + " " * (512 * 1024))
    assert rejection(content) == (
        "SVG logos can be at most 512 KB; this one is 513 KB. Simplify it or upload a PNG instead."
    )
    content = svg("<rect/>" + " " * int(1.2 * 1024 * 1024))
    assert rejection(content) == (
        "SVG logos can be at most 512 KB; this one is 1.2 MB. Simplify it or upload a PNG instead."
    )
    # Over the raster limit too: the message still names the SVG limit.
    content = b"\n" + svg("<rect/>" + " " * (3 * 1024 * 1024))
    assert rejection(content) == (
        "SVG logos can be at most 512 KB; this one is 3 MB. Simplify it or upload a PNG instead."
    )


def test_svg_of_exactly_512_kb_is_accepted():
    body = "<rect/>"
    content = svg(body + " " * (512 * 1024 - len(svg(body))))
    assert len(content) == 512 * 1024
    assert clean_logo(upload(content)).name == "logo.svg"


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



# -- Bounded in time and memory --------------------------------------------------------------

KB = 1024
PATHOLOGICAL_SVGS = {
    # The prolog before a DOCTYPE, once scanned by a backtracking regular expression.
    "unclosed comment before the root": (
        b"<!--" + b"a" * (500 * KB) + svg("<rect/>"), "not well-formed XML"),
    "unclosed comment of dashes": (b"<!--" + b"-a" * (250 * KB), NOT_AN_IMAGE),
    "unclosed processing instruction": (b"<?xml " + b"?" * (500 * KB), NOT_AN_IMAGE),
    "many comments, then the standard DOCTYPE": (
        b"<!-- c -->\n" * (40 * KB)
        + b'<!DOCTYPE svg PUBLIC "-//W3C//DTD SVG 1.1//EN" "http://www.w3.org/Graphics/SVG/1.1/'
        b'DTD/svg11.dtd">' + svg("<rect/>"), None),
    "DOCTYPE with an unclosed identifier": (
        b'<!DOCTYPE svg PUBLIC "' + b"a" * (500 * KB) + svg("<rect/>"), "not well-formed XML"),
    "DOCTYPE followed by spaces": (b"<!DOCTYPE svg" + b" " * (500 * KB), NOT_AN_IMAGE),
    # Entities, which defusedxml refuses before expanding any.
    "billion laughs": (
        b'<!DOCTYPE svg [<!ENTITY a "aaaaaaaaaa">'
        + b"".join(b'<!ENTITY %c "%s">' % (98 + i, b"&%c;" % (97 + i) * 10) for i in range(9))
        + b"]>" + svg("<text>&j;</text>"), "DOCTYPE or XML entities"),
    "quadratic blowup": (
        b'<!DOCTYPE svg [<!ENTITY a "' + b"a" * (100 * KB) + b'">]>'
        + svg("<text>" + "&a;" * 100 * KB + "</text>"), "DOCTYPE or XML entities"),
    # The tree: too many elements, too deep, or CSS spread over nested <style> elements.
    "many elements": (svg("<g/>" * (120 * KB)), "more than 20,000 elements"),
    "deeply nested elements": (svg("<g>" * (60 * KB) + "</g>" * (60 * KB)), "more than 100 deep"),
    "nested style elements": (
        svg("<style>" * 99 + "a{}" * (150 * KB) + "</style>" * 99), "elements inside a <style>"),
    "many attributes": (svg("<rect " + " ".join(f'a{i}="1"' for i in range(40_000)) + "/>"), None),
    "many namespaces": (
        svg("<rect " + " ".join(f'xmlns:n{i}="urn:{i}" n{i}:a="1"' for i in range(10_000))
            + "/>"), None),
    # Each regular expression of the CSS and URL checks, on a huge value.
    "huge attribute value": (svg(f'<rect fill="{"u" * 500 * KB}"/>'), None),
    "huge attribute of url": (svg(f'<rect fill="{"url " * 120 * KB}"/>'), None),
    "javascript: behind tabs": (
        svg(f'<a href="java{"&#9;" * 100 * KB}script:x"/>'), "javascript: URL"),
    "unclosed CSS comment": (svg("<style>/*" + "a" * 500 * KB + "</style>"), None),
    "unclosed CSS comment in an attribute": (svg(f'<rect style="/*{"a" * 500 * KB}"/>'), None),
    "many CSS comment openers": (svg("<style>" + "/*" * 250 * KB + "</style>"), None),
    "url followed by spaces": (
        svg("<style>a{fill:url" + " " * 500 * KB + "(http://x)}</style>"), "url(http://x"),
    "many url(#id)": (svg("<style>" + "a{fill:url(#g)}" * 30 * KB + "</style>"), None),
    "many CSS escapes": (svg("<style>" + "\\" * 500 * KB + "</style>"), None),
    "expression followed by spaces": (
        svg("<style>" + "expression " * 45 * KB + "</style>"), None),
}


@pytest.mark.parametrize(("content", "expected"), PATHOLOGICAL_SVGS.values(),
                         ids=PATHOLOGICAL_SVGS.keys())
def test_pathological_svg_is_refused_or_sanitized_quickly(content, expected):
    """A generous bound that catches blow-ups (backtracking, quadratic walks), not a speed
    figure: each of these takes a fraction of a second. It counts this process's CPU time,
    so a busy machine does not fail it."""
    assert len(content) <= uploads.SVG_MAX_BYTES
    started = time.process_time()
    if expected is None:
        assert DET.fromstring(clean_logo(upload(content)).read()).tag == SVG_TAG
    else:
        assert expected in rejection(content)
    assert time.process_time() - started < 2


def test_nesting_and_element_limits_let_real_logos_through():
    assert clean_logo(upload(svg("<g>" * 99 + "</g>" * 99))).name == "logo.svg"
    assert clean_logo(upload(svg("<g/>" * 19_999))).name == "logo.svg"
    assert "more than 100 deep" in rejection(svg("<g>" * 100 + "</g>" * 100))
    assert "more than 20,000 elements" in rejection(svg("<g/>" * 20_000))


def test_style_with_elements_inside_is_refused():
    """Browsers read a <style>'s text across its children; we check only text we can see."""
    message = rejection(svg("<style><g>a{fill:url(</g>http://x)}</style>"))
    assert "elements inside a <style> element" in message


# -- Upload budget -------------------------------------------------------------------------

BUDGET_MESSAGE = "You have uploaded 5 logos in the last minute; wait a minute and try again."


@pytest.mark.django_db
def test_sixth_upload_in_a_minute_is_refused_until_the_minute_has_passed(time_machine):
    start = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    time_machine.move_to(start, tick=False)
    person, other = UserFactory(), UserFactory()
    for _ in range(5):
        charge_logo_upload(person)
    with pytest.raises(UploadRejected, match=BUDGET_MESSAGE):
        charge_logo_upload(person)
    charge_logo_upload(other)  # Each person has their own budget.
    time_machine.move_to(start + timedelta(seconds=59), tick=False)
    with pytest.raises(UploadRejected):
        charge_logo_upload(person)
    time_machine.move_to(start + timedelta(seconds=65), tick=False)
    charge_logo_upload(person)


@pytest.mark.django_db
def test_refused_uploads_do_not_use_the_budget(time_machine):
    start = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    time_machine.move_to(start, tick=False)
    person = UserFactory()
    for _ in range(4):
        charge_logo_upload(person)
    time_machine.move_to(start + timedelta(seconds=30), tick=False)
    charge_logo_upload(person)
    for _ in range(3):
        with pytest.raises(UploadRejected):
            charge_logo_upload(person)
    # The first four leave the minute; the fifth and nothing refused since still count.
    time_machine.move_to(start + timedelta(seconds=65), tick=False)
    for _ in range(4):
        charge_logo_upload(person)
    with pytest.raises(UploadRejected):
        charge_logo_upload(person)


@pytest.mark.django_db(transaction=True)
def test_concurrent_uploads_get_at_most_the_budget():
    person = UserFactory()

    def attempt():
        try:
            charge_logo_upload(person)
        except UploadRejected:
            return False
        return True

    assert sum(at_once(*[attempt] * 12)) == 5
