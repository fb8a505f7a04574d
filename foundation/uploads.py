"""Logo uploads: accept only images we have decoded or checked, never the bytes as sent.

Logos are shown to everyone on our own origin, so an upload is treated as hostile until
proven to be a picture. Raster images are decoded with Pillow (their name and content type
are ignored). SVGs are parsed with defusedxml, refused if they can run script or load
anything from elsewhere, and re-serialized from the parsed tree. Forms call
`charge_logo_upload` and `clean_logo`, and store the `ContentFile` it returns;
`foundation.media.serve` adds a second line of defence when the file is served.

Checking costs time, so it has a budget: a person may send a few logos a minute, an SVG is
refused above 512 KB, and its tree above an element count and depth before anything walks it.
Every scan of the text is linear (no regular expression backtracks over an unclosed comment),
so the whole check stays well under a second; a wall-clock guard would only add a way for a
busy server to refuse a good logo.
"""

from __future__ import annotations

import contextlib
import functools
import io
import math
import re
import struct
import time
import xml.etree.ElementTree as ET
import zlib
from typing import IO, Any

import defusedxml.ElementTree as DET
from defusedxml import DTDForbidden, EntitiesForbidden, ExternalReferenceForbidden
from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import Storage, storages
from django.db import transaction
from PIL import Image, UnidentifiedImageError

__all__ = [
    "CheckedLogoMixin",
    "UploadRejected",
    "charge_logo_upload",
    "clean_logo",
    "delete_after_commit",
    "public_storage",
]

SVG_NS = "http://www.w3.org/2000/svg"
XLINK_NS = "http://www.w3.org/1999/xlink"
XHTML_NS = "http://www.w3.org/1999/xhtml"
XML_NS = "http://www.w3.org/XML/1998/namespace"

# Decoded Pillow format -> extension of the stored file.
RASTER_EXTENSIONS = {"PNG": "png", "JPEG": "jpg", "GIF": "gif", "WEBP": "webp"}

NOT_AN_IMAGE = "This file is not a PNG, JPEG, GIF or WebP image, nor an SVG."
DAMAGED_IMAGE = "This image file is damaged or incomplete, so it could not be read."

# An SVG's text is parsed into a tree, which costs far more than its bytes; the landscape's
# logos are at most a few hundred elements, 7 deep, and mostly well under 512 KB.
SVG_MAX_BYTES = 512 * 1024
SVG_MAX_ELEMENTS = 20_000
SVG_MAX_DEPTH = 100

LOGO_UPLOADS_PER_MINUTE = 5
# Uploads are counted per person in short slots; the slots summed reach back a full minute.
_UPLOAD_SLOT_SECONDS = 5
_UPLOAD_SLOTS = 60 // _UPLOAD_SLOT_SECONDS + 1

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
# parsing; every other DOCTYPE is refused by defusedxml. It is matched on a short slice only.
_QUOTED = rb"""(?:"[^"]*"|'[^']*')"""
_PLAIN_SVG_DOCTYPE = re.compile(
    rb"<!DOCTYPE\s+svg(?:\s+PUBLIC\s+" + _QUOTED + rb"\s+" + _QUOTED
    + rb"|\s+SYSTEM\s+" + _QUOTED + rb")?\s*>"
)
_DOCTYPE_WINDOW = 1024
_NOT_XML_SPACE = re.compile(rb"[^ \t\r\n]")
_UTF8_BOM = b"\xef\xbb\xbf"

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


def charge_logo_upload(user: AbstractBaseUser) -> None:
    """Count one logo upload by `user`, or raise UploadRejected past the minute's budget.

    Called before the file is read, so refused uploads cost nothing to check. Counts live in
    the shared cache, one key per person and 5-second slot, summed over the last minute. The
    current slot's count comes from an atomic increment, which gives concurrent uploads (on
    any server) distinct counts, so exactly the budget gets through; a refused upload takes
    its count back.
    """
    slot = int(time.time()) // _UPLOAD_SLOT_SECONDS
    keys = [f"logo-uploads:{user.pk}:{s}" for s in range(slot - _UPLOAD_SLOTS + 1, slot + 1)]
    cache.add(keys[-1], 0, timeout=(_UPLOAD_SLOTS + 1) * _UPLOAD_SLOT_SECONDS)
    count = cache.incr(keys[-1])
    if count + sum(cache.get_many(keys[:-1]).values()) > LOGO_UPLOADS_PER_MINUTE:
        with contextlib.suppress(ValueError):  # The slot expired meanwhile: nothing to return.
            cache.decr(keys[-1])
        raise UploadRejected(
            f"You have uploaded {LOGO_UPLOADS_PER_MINUTE} logos in the last minute; "
            "wait a minute and try again."
        )


def delete_after_commit(storage: Storage, name: str) -> None:
    """Delete a file the database stops naming, once that is committed, never before.

    On rollback the row still names the old file, so it must still be there. A failed delete
    only leaves an unused file behind, so it is logged, not raised after the commit.
    """
    transaction.on_commit(functools.partial(storage.delete, name), robust=True)


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
    size = getattr(upload, "size", None)
    if isinstance(size, int) and size > limit:
        _rewind(upload)
        head = upload.read(64)
        _rewind(upload)
        raise UploadRejected(_too_big(head if isinstance(head, bytes) else b"", size))
    _rewind(upload)
    data = upload.read(limit + 1)
    _rewind(upload)  # Leave the file readable for whoever comes next (e.g. a later validator).
    if not isinstance(data, bytes):
        raise UploadRejected(NOT_AN_IMAGE)
    if len(data) > limit:
        raise UploadRejected(_too_big(data, len(data)))
    if not data.strip():
        raise UploadRejected("This file is empty.")
    return data


def _rewind(upload: IO[bytes]) -> None:
    with contextlib.suppress(AttributeError, OSError, ValueError):
        upload.seek(0)


def _too_big(head: bytes, size: int) -> str:
    """The message for a file over the raster limit, naming the SVG limit if it is text."""
    if head.lstrip(_UTF8_BOM + b" \t\r\n").startswith(b"<"):  # No raster format starts so.
        return _svg_too_big(size)
    limit: int = settings.LOGO_MAX_BYTES
    return f"This file is larger than {_size(limit)}; logos can be at most that size."


def _svg_too_big(size: int) -> str:
    return (
        f"SVG logos can be at most {_size(SVG_MAX_BYTES)}; this one is {_size(size)}. "
        "Simplify it or upload a PNG instead."
    )


def _size(n: int) -> str:
    """512 KB, 1.2 MB: kilobytes rounded up, so a file just over a limit never reads as at it."""
    if n < 1024 * 1024:
        return f"{math.ceil(n / 1024)} KB"
    return f"{round(n / (1024 * 1024), 1):g} MB"


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


def _drop_plain_doctype(data: bytes) -> bytes:
    """Remove the standard SVG DOCTYPE if it follows only the prolog's comments and PIs.

    The prolog is skipped with find(), so an unclosed comment costs one linear scan.
    """
    pos = len(_UTF8_BOM) if data.startswith(_UTF8_BOM) else 0
    while token := _NOT_XML_SPACE.search(data, pos):
        pos = token.start()
        if data.startswith(b"<?", pos):
            end, closer = data.find(b"?>", pos + 2), b"?>"
        elif data.startswith(b"<!--", pos):
            end, closer = data.find(b"-->", pos + 4), b"-->"
        else:
            match = _PLAIN_SVG_DOCTYPE.match(data[pos : pos + _DOCTYPE_WINDOW])
            return data[:pos] + data[pos + match.end() :] if match else data
        if end < 0:
            return data  # Unclosed: the parser will say so.
        pos = end + len(closer)
    return data


class _BoundedTreeBuilder(ET.TreeBuilder):
    """Builds the tree, but stops at the first element past the count or depth limit, so a
    small file cannot build a tree too big to hold or too deep to walk."""

    def __init__(self) -> None:
        super().__init__()
        self._count = 0
        self._depth = 0

    def start(self, tag: str, attrs: dict[str, str], /) -> ET.Element:
        self._count += 1
        self._depth += 1
        if self._count > SVG_MAX_ELEMENTS:
            raise UploadRejected(
                f"This SVG has more than {SVG_MAX_ELEMENTS:,} elements; logos can have at "
                "most that many. Simplify it or upload a PNG instead."
            )
        if self._depth > SVG_MAX_DEPTH:
            raise UploadRejected(
                f"This SVG nests elements more than {SVG_MAX_DEPTH} deep; logos can nest at "
                "most that deep."
            )
        return super().start(tag, attrs)

    def end(self, tag: str, /) -> ET.Element:
        self._depth -= 1
        return super().end(tag)


def _clean_svg(data: bytes) -> ContentFile[bytes]:
    """Parse data as SVG, refuse anything active or external, and re-serialize it."""
    if len(data) > SVG_MAX_BYTES:
        raise UploadRejected(_svg_too_big(len(data)))
    data = _drop_plain_doctype(data)
    parser = DET.XMLParser(
        target=_BoundedTreeBuilder(), forbid_dtd=True, forbid_entities=True, forbid_external=True
    )
    try:
        parser.feed(data)
        root = parser.close()
    except UploadRejected:
        raise
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
        if len(element):  # Its text is then spread over its children: no logo does that.
            raise _refuse("elements inside a <style> element")
        _check_css(element.text or "")


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
    body = ET.tostring(root, encoding="unicode")  # Recursive, but SVG_MAX_DEPTH keeps it shallow.
    return ('<?xml version="1.0" encoding="UTF-8"?>\n' + body + "\n").encode("utf-8")


class CheckedLogoMixin:
    """For a form with a `logo` file field and the uploading `user`: a new logo goes through
    the checks above and the uploader's budget, whatever form it comes in."""

    cleaned_data: dict
    initial: dict
    user: Any

    def clean_logo(self):
        """A checked copy of a new logo; False when "Clear" removes the current one; else None
        (a model form then leaves the logo as it is)."""
        upload = self.cleaned_data.get("logo")
        if upload is False:
            return False if self.initial.get("logo") else None
        if not upload or upload == self.initial.get("logo"):
            return None
        try:
            charge_logo_upload(self.user)
            return clean_logo(upload)
        except UploadRejected as exc:
            raise ValidationError(str(exc), code="invalid_logo") from exc
