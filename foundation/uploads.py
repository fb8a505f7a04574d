"""Logo uploads: accept only images we have decoded or checked, never the bytes as sent.

Logos are shown to everyone on our own origin, so an upload is treated as hostile until
proven to be a picture. Raster images are decoded with Pillow (their name and content type
are ignored). SVGs are parsed with defusedxml, refused if they can run script or load
anything from elsewhere, and re-serialized from the parsed tree. Forms call `clean_logo`
and store the `ContentFile` it returns; `foundation.media.serve` adds a second line of
defence when the file is served.
"""

from __future__ import annotations

import contextlib
import io
import re
import struct
import xml.etree.ElementTree as ET
import zlib
from typing import IO

import defusedxml.ElementTree as DET
from defusedxml import DTDForbidden, EntitiesForbidden, ExternalReferenceForbidden
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import Storage, storages
from PIL import Image, UnidentifiedImageError

__all__ = ["UploadRejected", "clean_logo", "public_storage"]

SVG_NS = "http://www.w3.org/2000/svg"
XLINK_NS = "http://www.w3.org/1999/xlink"
XHTML_NS = "http://www.w3.org/1999/xhtml"
XML_NS = "http://www.w3.org/XML/1998/namespace"

# Decoded Pillow format -> extension of the stored file.
RASTER_EXTENSIONS = {"PNG": "png", "JPEG": "jpg", "GIF": "gif", "WEBP": "webp"}

NOT_AN_IMAGE = "This file is not a PNG, JPEG, GIF or WebP image, nor an SVG."
DAMAGED_IMAGE = "This image file is damaged or incomplete, so it could not be read."

# Elements that run script, embed documents or pull in HTML.
_FORBIDDEN_ELEMENTS = {
    "script": "a <script> element; scripts are not allowed in logos",
    "foreignobject": "a <foreignObject> element, which can embed HTML",
    "iframe": "an <iframe> element, which embeds another page",
    "embed": "an <embed> element, which embeds another document",
    "object": "an <object> element, which embeds another document",
    "handler": "a <handler> element, which runs script",
    "listener": "a <listener> element, which runs script",
}

# A data: URI of a raster image is the only non-fragment reference a logo may hold.
_RASTER_DATA_URI = re.compile(r"data:image/(?:png|jpeg|jpg|gif|webp)[;,]", re.IGNORECASE)
# An embedded ICC profile, which design tools write into <color-profile>: inert data.
_ICC_DATA_URI = re.compile(r"data:application/vnd\.iccprofile[;,]", re.IGNORECASE)
# Event-handler attributes are "on" followed by letters (onload, onbegin...). Editors write
# others such as Inkscape's only_selected="false", which no browser runs.
_EVENT_HANDLER = re.compile(r"on[a-z]+", re.IGNORECASE)
# Characters browsers ignore inside URLs ("java\tscript:"), stripped before looking for schemes.
_URL_IGNORED = re.compile(r"[\x00-\x20\x7f]+")
_SCRIPT_SCHEME = re.compile(r"(?:java|vb)script:", re.IGNORECASE)
# An unclosed comment runs to the end of the sheet (and keeps this regex linear).
_CSS_COMMENT = re.compile(r"/\*.*?(?:\*/|\Z)", re.DOTALL)
_CSS_ESCAPE = re.compile(r"\\(?:([0-9a-fA-F]{1,6})[ \t\r\n\f]?|(.))", re.DOTALL)
_CSS_URL = re.compile(r"url\s*\(\s*['\"]?\s*", re.IGNORECASE)
_CSS_EXPRESSION = re.compile(r"expression\s*\(", re.IGNORECASE)
# Other CSS hooks that load or run something without url(...).
_CSS_OTHER_LOADERS = re.compile(
    r"image-set\s*\(|(?<![\w-])image\s*\(|-moz-binding|behavior\s*:", re.IGNORECASE
)

# The standard SVG DOCTYPE (public/system identifier, no internal subset) that Illustrator and
# potrace still write. It declares nothing and is never fetched, so it is dropped before
# parsing; every other DOCTYPE is refused by defusedxml.
_QUOTED = r"""(?:"[^"]*"|'[^']*')"""
_PROLOG = r"(?:\xef\xbb\xbf)?(?:\s|<\?(?:[^?]|\?(?!>))*\?>|<!--(?:[^-]|-(?!->))*-->)*"
_PLAIN_SVG_DOCTYPE = re.compile(
    (
        rf"\A(?P<prolog>{_PROLOG})"
        rf"<!DOCTYPE\s+svg(?:\s+PUBLIC\s+{_QUOTED}\s+{_QUOTED}|\s+SYSTEM\s+{_QUOTED})?\s*>"
    ).encode("latin-1"),
    re.DOTALL,
)

# Namespaces written back with their usual prefixes rather than ns1, ns2...
_PREFERRED_PREFIXES = {
    SVG_NS: "svg",  # Only for attributes; SVG elements use the default namespace.
    XLINK_NS: "xlink",
    XML_NS: "xml",
    "http://www.inkscape.org/namespaces/inkscape": "inkscape",
    "http://sodipodi.sourceforge.net/DTD/sodipodi-0.dtd": "sodipodi",
    "http://creativecommons.org/ns#": "cc",
    "http://www.w3.org/1999/02/22-rdf-syntax-ns#": "rdf",
    "http://purl.org/dc/elements/1.1/": "dc",
}


def public_storage() -> Storage:
    """STORAGES["public"], where logos go: a callable, so migrations name it instead of
    freezing one environment's storage."""
    return storages["public"]


class UploadRejected(ValueError):
    """An upload that is not an acceptable logo; str() is a sentence to show in the form."""


def clean_logo(upload: IO[bytes]) -> ContentFile[bytes]:
    """Check an uploaded logo and return a safe copy to store, or raise UploadRejected.

    Raster images keep their bytes (once fully decoded) under a generated name for the decoded
    format; SVGs are returned re-serialized from the checked tree as "logo.svg".
    """
    data = _read_limited(upload)
    raster = _clean_raster(data)
    if raster is not None:
        return raster
    return _clean_svg(data)


def _read_limited(upload: IO[bytes]) -> bytes:
    """Read the whole upload, but never more than the limit plus one byte."""
    limit: int = settings.LOGO_MAX_BYTES
    too_big = f"This file is larger than {_megabytes(limit)}; logos can be at most that size."
    size = getattr(upload, "size", None)
    if isinstance(size, int) and size > limit:
        raise UploadRejected(too_big)
    _rewind(upload)
    data = upload.read(limit + 1)
    _rewind(upload)  # Leave the file readable for whoever comes next (e.g. a later validator).
    if not isinstance(data, bytes):
        raise UploadRejected(NOT_AN_IMAGE)
    if len(data) > limit:
        raise UploadRejected(too_big)
    if not data.strip():
        raise UploadRejected("This file is empty.")
    return data


def _rewind(upload: IO[bytes]) -> None:
    with contextlib.suppress(AttributeError, OSError, ValueError):
        upload.seek(0)


def _megabytes(n: int) -> str:
    return f"{n / (1024 * 1024):g} MB"


def _clean_raster(data: bytes) -> ContentFile[bytes] | None:
    """Decode data as PNG, JPEG, GIF or WebP; None when Pillow does not recognise it."""
    max_pixels: int = settings.LOGO_MAX_PIXELS
    data = _drop_corrupt_png_metadata(data)
    try:
        with Image.open(io.BytesIO(data), formats=list(RASTER_EXTENSIONS)) as image:
            image_format = image.format or ""
            width, height = image.size
            # Check the header's size before decoding anything, so a small file cannot make us
            # allocate a huge bitmap. (Image.open itself refuses beyond Image.MAX_IMAGE_PIXELS.)
            if width > max_pixels or height > max_pixels:
                raise UploadRejected(
                    f"This image is {width} × {height} pixels; logos can be at most "
                    f"{max_pixels} pixels wide and {max_pixels} pixels high."
                )
            image.verify()
        with Image.open(io.BytesIO(data), formats=[image_format]) as image:
            image.load()
    except UnidentifiedImageError as exc:
        if _looks_like_raster(data):
            raise UploadRejected(DAMAGED_IMAGE) from exc
        return None
    except Image.DecompressionBombError as exc:
        raise UploadRejected("This image is too large to decode safely.") from exc
    except UploadRejected:
        raise
    except Exception as exc:  # Pillow raises many types for damaged files.
        raise UploadRejected(DAMAGED_IMAGE) from exc
    if image_format not in RASTER_EXTENSIONS:
        raise UploadRejected(NOT_AN_IMAGE)
    return ContentFile(data, name=f"logo.{RASTER_EXTENSIONS[image_format]}")


_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _looks_like_raster(data: bytes) -> bool:
    """Whether data starts like an allowed raster format (for a better message when broken)."""
    return data.startswith((_PNG_SIGNATURE, b"\xff\xd8\xff", b"GIF87a", b"GIF89a")) or (
        data[:4] == b"RIFF" and data[8:12] == b"WEBP"
    )


def _drop_corrupt_png_metadata(data: bytes) -> bytes:
    """Remove PNG ancillary chunks whose checksum is wrong, as browsers (libpng) do.

    Some exporters write metadata chunks (iCCP, zTXt...) with a bad CRC; browsers ignore those
    chunks and show the image, but Pillow refuses the whole file. Critical chunks are never
    touched: a PNG with a damaged IHDR or IDAT stays damaged and is refused when decoded.
    """
    if not data.startswith(_PNG_SIGNATURE):
        return data
    kept = [_PNG_SIGNATURE]
    dropped = False
    pos = len(_PNG_SIGNATURE)
    while pos + 12 <= len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        end = pos + 12 + length
        if end > len(data):
            return data  # Truncated: let Pillow report it.
        chunk_type = data[pos + 4 : pos + 8]
        (crc,) = struct.unpack(">I", data[end - 4 : end])
        ancillary = bool(chunk_type[0] & 0x20)
        if ancillary and zlib.crc32(data[pos + 4 : end - 4]) != crc:
            dropped = True
        else:
            kept.append(data[pos:end])
        pos = end
        if chunk_type == b"IEND":
            break
    return b"".join(kept) if dropped else data


def _clean_svg(data: bytes) -> ContentFile[bytes]:
    """Parse data as SVG, refuse anything active or external, and re-serialize it."""
    match = _PLAIN_SVG_DOCTYPE.match(data)
    if match:
        data = match.group("prolog") + data[match.end() :]
    try:
        root = DET.fromstring(data, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except (DTDForbidden, EntitiesForbidden, ExternalReferenceForbidden) as exc:
        raise UploadRejected(
            "This SVG declares a DOCTYPE or XML entities, which are not allowed in logos."
        ) from exc
    except ET.ParseError as exc:
        if b"<svg" in data:
            raise UploadRejected(
                f"This SVG is not well-formed XML ({exc}), so it cannot be checked."
            ) from exc
        raise UploadRejected(NOT_AN_IMAGE) from exc
    except ValueError as exc:  # e.g. an unknown encoding
        raise UploadRejected(NOT_AN_IMAGE) from exc
    if root.tag != f"{{{SVG_NS}}}svg":
        raise UploadRejected(NOT_AN_IMAGE)
    for element in root.iter():
        _check_element(element)
    return ContentFile(_serialize(root), name="logo.svg")


def _split(name: str) -> tuple[str, str]:
    """'{ns}local' -> ('ns', 'local'); 'local' -> ('', 'local')."""
    if name.startswith("{"):
        namespace, _, local = name[1:].partition("}")
        return namespace, local
    return "", name


def _refuse(problem: str) -> UploadRejected:
    return UploadRejected(f"This SVG contains {problem}; it is not allowed in logos.")


def _shorten(value: str, limit: int = 60) -> str:
    value = " ".join(value.split())
    return value if len(value) <= limit else value[: limit - 1] + "…"


def _check_element(element: ET.Element) -> None:
    namespace, local = _split(element.tag)
    if namespace == XHTML_NS:
        raise _refuse(f"an HTML <{local}> element")
    if not namespace:  # Only possible with xmlns=""; browsers do not draw it anyway.
        raise _refuse(f"a <{local}> element outside the SVG namespace")
    if local.lower() in _FORBIDDEN_ELEMENTS:
        raise _refuse(_FORBIDDEN_ELEMENTS[local.lower()])
    for name, value in element.attrib.items():
        _check_attribute(local, name, value)
    if local.lower() == "style":
        _check_css("".join(element.itertext()))


def _check_attribute(element: str, name: str, value: str) -> None:
    namespace, local = _split(name)
    lowered = local.lower()
    if _EVENT_HANDLER.fullmatch(local):
        raise _refuse(f'an event-handler attribute ({local}="…"), which runs script')
    if namespace == XML_NS and lowered == "base":
        raise _refuse("an xml:base attribute, which changes where links point")
    if _SCRIPT_SCHEME.search(_URL_IGNORED.sub("", value)):
        raise _refuse("a javascript: URL, which runs script")
    if lowered == "href":
        _check_reference(element, value)
    if lowered == "attributename":
        # <animate>/<set> can rewrite an href or add a handler after our checks.
        target = _split(value.split(":")[-1])[1].strip().lower()
        if target == "href" or _EVENT_HANDLER.fullmatch(target):
            raise _refuse(f'an animation of the "{value}" attribute')
    if not namespace:
        if lowered == "style":
            _check_css(value)
        elif "url" in value.lower():  # Presentation attributes such as fill="url(#gradient)".
            _check_css_urls(value)


def _check_reference(element: str, value: str) -> None:
    """An href may only point inside this SVG (#id) or embed raster image data."""
    url = _URL_IGNORED.sub("", value)
    if url.startswith("#") or _RASTER_DATA_URI.match(url):
        return
    if element == "color-profile" and _ICC_DATA_URI.match(url):
        return
    raise _refuse(
        f'a link to "{_shorten(value)}"; logos may only refer to their own parts (#id) '
        "or embed PNG, JPEG, GIF or WebP data"
    )


def _decode_css_escapes(css: str) -> str:
    def replace(match: re.Match[str]) -> str:
        if match.group(1):
            code = int(match.group(1), 16)
            return chr(code) if 0 < code <= 0x10FFFF else "\ufffd"
        return match.group(2)

    return _CSS_ESCAPE.sub(replace, css)


def _check_css(css: str) -> None:
    """Refuse CSS that loads anything from elsewhere or runs script."""
    css = _decode_css_escapes(_CSS_COMMENT.sub("", css))
    if "@import" in css.lower():
        raise _refuse("CSS with @import, which loads styles from elsewhere")
    if _CSS_EXPRESSION.search(css):
        raise _refuse("CSS with expression(), which runs script")
    if _CSS_OTHER_LOADERS.search(css):
        raise _refuse("CSS that loads an image or behaviour from elsewhere")
    _check_decoded_css_urls(css)


def _check_css_urls(css: str) -> None:
    """Every url(...) must be a fragment (#id) or raster image data."""
    _check_decoded_css_urls(_decode_css_escapes(_CSS_COMMENT.sub("", css)))


def _check_decoded_css_urls(css: str) -> None:
    for match in _CSS_URL.finditer(css):
        target = _URL_IGNORED.sub("", css[match.end() : match.end() + 200])
        if not (target.startswith("#") or _RASTER_DATA_URI.match(target)):
            raise _refuse(
                f"CSS with url({_shorten(css[match.end() :].split(')')[0], 40)}); logos may "
                "only use url(#id) or embedded PNG, JPEG, GIF or WebP data"
            )


def _serialize(root: ET.Element) -> bytes:
    """Write the checked tree back out: comments, PIs and the DOCTYPE do not survive parsing.

    SVG elements are written in the default namespace (as "<svg xmlns=...>", which is what
    every tool expects) and other namespaces with their usual prefixes.
    """
    prefixes: dict[str, str] = {XML_NS: "xml"}

    def qualify(name: str, *, element: bool) -> str:
        namespace, local = _split(name)
        if not namespace or (element and namespace == SVG_NS):
            return local
        if namespace not in prefixes:
            prefix = _PREFERRED_PREFIXES.get(namespace, "")
            if not prefix or prefix in prefixes.values():
                prefix = f"ns{len(prefixes)}"
            prefixes[namespace] = prefix
        return f"{prefixes[namespace]}:{local}"

    for element in root.iter():
        element.tag = qualify(element.tag, element=True)
        element.attrib = {qualify(k, element=False): v for k, v in element.attrib.items()}
    declarations = {f"xmlns:{p}": uri for uri, p in prefixes.items() if p != "xml"}
    root.attrib = {"xmlns": SVG_NS, **declarations, **root.attrib}
    try:
        body = ET.tostring(root, encoding="unicode")
    except RecursionError as exc:
        raise UploadRejected("This SVG is nested too deeply to be checked.") from exc
    return ('<?xml version="1.0" encoding="UTF-8"?>\n' + body + "\n").encode("utf-8")
