"""Logos brought in by `import_landscape`: checked by the same rules as uploaded logos
(foundation.uploads), but a logo too large for those rules is made to fit rather than dropped.

A landscape's logos come from design tools: photos of several thousand pixels, and SVGs of a
megabyte that are mostly an embedded PNG or JPEG, or path data written to five decimals. A
raster is scaled down with Pillow; an SVG has its embedded images scaled down and its numbers
cut to two decimals (a hundredth of a unit is far below a pixel at logo sizes). No SVG
rasterizer is installed, so an SVG still over the budget after that is reported, as is one
that can run script: the import never stores an SVG the upload checks refuse.
"""

from __future__ import annotations

import base64
import binascii
import functools
import hashlib
import io
import re

from django.core.files.base import ContentFile
from PIL import Image

from foundation.uploads import SVG_MAX_BYTES, UploadRejected, clean_logo

# Largest side of a scaled-down logo, raster or embedded: sharp on any screen at logo sizes.
SCALED_SIDE = 1200
_DATA_URI = re.compile(rb"data:image/(png|jpeg|jpg|gif|webp);base64,([A-Za-z0-9+/=\s]+)")
_SPACES = re.compile(rb"[ \t\r\n]+")
_LEADING_ZERO = re.compile(rb"(?<![\w.])0\.(?=\d)")


class LogoProblem(ValueError):
    """A logo the import could not make acceptable; str() says why."""


def fit_logo(data: bytes) -> tuple[ContentFile[bytes], str]:
    """A safe copy of the logo to store, and "" or a note of what was changed to fit.

    Raises LogoProblem when it cannot be accepted (e.g. an SVG with script)."""
    content, name, note = _fit(hashlib.sha256(data).hexdigest(), data)
    return ContentFile(content, name=name), note


@functools.lru_cache(maxsize=512)
def _fit(digest: str, data: bytes) -> tuple[bytes, str, str]:
    """Kept per process by content: the demo and the tests import the same logos often, and
    checking and scaling them is most of an import's time."""
    del digest  # the key only, so the cache compares hashes rather than whole files
    try:
        logo = clean_logo(io.BytesIO(data))
        return logo.read(), str(logo.name), ""
    except UploadRejected as refused:
        first = refused
    if data.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"<"):
        smaller = _shrink_svg(data)
        note = f"SVG simplified from {_kb(len(data))} to {_kb(len(smaller))}"
    else:
        smaller = _shrink_raster(data, first)
        note = "image scaled down to fit the logo limits"
    if smaller == data:
        raise LogoProblem(str(first))
    try:
        logo = clean_logo(io.BytesIO(smaller))
        return logo.read(), str(logo.name), note
    except UploadRejected as refused:
        raise LogoProblem(str(refused)) from refused


def _kb(n: int) -> str:
    return f"{-(-n // 1024):,} KB"


def _shrink_raster(data: bytes, refused: UploadRejected) -> bytes:
    """The image at most SCALED_SIDE pixels a side, as PNG; unchanged if Pillow cannot read
    it (then the first refusal stands)."""
    try:
        with Image.open(io.BytesIO(data)) as image:
            image.load()
            return _scaled_png(image, SCALED_SIDE)
    except (OSError, ValueError, Image.DecompressionBombError):
        return data


def _scaled_png(image: Image.Image, side: int) -> bytes:
    image = image.convert("RGBA") if image.mode not in ("RGB", "RGBA") else image
    image.thumbnail((side, side))
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def _embedded_shrinker(side: int):
    def shrink(match: re.Match[bytes]) -> bytes:
        kind, payload = match.group(1), match.group(2)
        try:
            raw = base64.b64decode(_SPACES.sub(b"", payload), validate=True)
            with Image.open(io.BytesIO(raw)) as image:
                image.load()
                if kind in (b"jpeg", b"jpg"):
                    photo = image.convert("RGB")
                    photo.thumbnail((side, side))
                    out = io.BytesIO()
                    photo.save(out, format="JPEG", quality=85)
                    smaller, kind = out.getvalue(), b"jpeg"
                else:
                    smaller, kind = _scaled_png(image, side), b"png"
        except (OSError, ValueError, binascii.Error, Image.DecompressionBombError):
            return match.group(0)
        if len(smaller) >= len(raw):
            return match.group(0)
        return b"data:image/" + kind + b";base64," + base64.b64encode(smaller)
    return shrink


def _shrink_svg(data: bytes) -> bytes:
    """Smaller step by step until under the budget: embedded images scaled down to
    SCALED_SIDE and then half that, numbers cut to two and then one decimal, spaces
    collapsed, 0.5 written .5. The result is checked again by clean_logo like any upload."""
    steps = [
        lambda d: _DATA_URI.sub(_embedded_shrinker(SCALED_SIDE), d),
        lambda d: _DATA_URI.sub(_embedded_shrinker(SCALED_SIDE // 2), d),
        lambda d: _SPACES.sub(b" ", _decimals(2).sub(rb"\1", d)),
        lambda d: _decimals(1).sub(rb"\1", d),
        lambda d: _LEADING_ZERO.sub(rb".", d),
    ]
    for step in steps:
        if len(data) <= SVG_MAX_BYTES:
            break
        data = step(data)
    return data


def _decimals(places: int) -> re.Pattern[bytes]:
    return re.compile(rb"(\d*\.\d{%d})\d+" % places)
