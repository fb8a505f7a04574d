"""Public pages served from the cache (Redis in production) to anonymous visitors, and shown
fresh the moment what they show changes: one version, which any save or delete of the models
they show replaces after commit, and a cached page counts only at the version it was rendered
at.

A hit is one round trip to the cache, reading the version and the page's entry together: the
version it was rendered at and its ETag, a hash of its bytes. The bytes themselves are stored
under the ETag, so they never change, and each process keeps the most used in memory rather
than read them from the cache every time. A browser that has the page gets 304 Not Modified.

A page is gzipped once, when it is stored, and sent so to every browser that accepts gzip:
sending the bytes is most of the cost of a big page. The gzipped copy is another
representation, with an ETag of its own (the page's with `-gzip`, as Apache names it), so a
304 answers only a browser that has the encoding it asks for."""

import gzip
import hashlib
import threading
import uuid
from collections import OrderedDict
from collections.abc import Callable
from functools import wraps

from django.contrib import messages
from django.core.cache import cache
from django.db import models, transaction
from django.db.models.signals import post_delete, post_save
from django.http import HttpRequest, HttpResponse, HttpResponseNotModified
from django.utils.cache import patch_cache_control, patch_vary_headers
from django.utils.http import parse_etags

VERSION_KEY = "pagecache:version"
TIMEOUT = 60 * 60
LOCAL_BYTES = 32 * 1024 * 1024  # pages' bytes (both encodings) each process keeps, least used out
GZIP_FROM = 1024  # smaller pages are sent as they are: the header and the round trip dominate
GZIP_LEVEL = 9  # compressed once per version and sent on every hit: the smallest

_local: OrderedDict[str, bytes] = OrderedDict()
_local_lock = threading.Lock()
_local_size = 0


def version() -> str:
    """The current version. A new one is random, never a count that could start again at 1
    after the cache lost the key while pages of an earlier 1 are still stored."""
    return str(cache.get_or_set(VERSION_KEY, uuid.uuid4().hex, None))


def invalidate(**kwargs) -> None:
    """Every cached public page is out of date from the next request on."""
    transaction.on_commit(lambda: cache.set(VERSION_KEY, uuid.uuid4().hex, None))


def invalidate_on(*watched: type[models.Model]) -> None:
    """Public pages show these models: a change to any of them invalidates the pages."""
    for model in watched:
        post_save.connect(invalidate, sender=model, dispatch_uid=f"pagecache-save-{model}")
        post_delete.connect(invalidate, sender=model, dispatch_uid=f"pagecache-del-{model}")


def _keep(etag: str, content: bytes) -> None:
    global _local_size
    with _local_lock:
        if etag not in _local:
            _local[etag] = content
            _local_size += len(content)
        while _local_size > LOCAL_BYTES and _local:
            _local_size -= len(_local.popitem(last=False)[1])


def _content(etag: str) -> bytes | None:
    """A page's bytes by their ETag: from this process's memory, or else the cache."""
    with _local_lock:
        content = _local.get(etag)
        if content is not None:
            _local.move_to_end(etag)
            return content
    content = cache.get(f"pagecache:bytes:{etag}")
    if content is not None:
        _keep(etag, content)
    return content


def _gzip_etag(etag: str) -> str:
    return etag[:-1] + '-gzip"'


def _compress(content: bytes) -> bytes | None:
    """The page gzipped, if that makes it smaller. No timestamp, so the same page gives the
    same bytes."""
    if len(content) < GZIP_FROM:
        return None
    compressed = gzip.compress(content, compresslevel=GZIP_LEVEL, mtime=0)
    return compressed if len(compressed) < len(content) else None


def accepts_gzip(accept_encoding: str) -> bool:
    """Whether an Accept-Encoding header allows gzip: named (or `*`) with a q above 0."""
    anything = False
    for item in accept_encoding.split(","):
        coding, *params = (part.strip() for part in item.split(";"))
        q = 1.0
        for param in params:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        coding = coding.lower()
        if coding in ("gzip", "x-gzip"):
            return q > 0
        if coding == "*":
            anything = q > 0
    return anything


def _answer(request: HttpRequest, content: bytes, content_type: str, etag: str, *,
            has_gzip: bool, gzipped: bool) -> HttpResponse:
    """The page (`gzipped` or not), or 304 to a browser whose copy has this ETag. Browsers
    keep the page but ask every time (no-cache), so a change shows at once."""
    if etag in {tag.removeprefix("W/") for tag in parse_etags(
            request.headers.get("If-None-Match", ""))}:
        response: HttpResponse = HttpResponseNotModified()
    else:
        response = HttpResponse(content, content_type=content_type)
        if gzipped:
            response["Content-Encoding"] = "gzip"
    response["ETag"] = etag
    patch_cache_control(response, no_cache=True)
    # The page differs for a signed-in visitor: a shared cache must not give theirs to others;
    # and, if it has a gzipped copy, for a browser that takes gzip.
    patch_vary_headers(response, ["Cookie", "Accept-Encoding"] if has_gzip else ["Cookie"])
    return response


def cached_page(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Serve the view's 200 answer to anonymous GETs from the cache, per URL and query.

    It wraps a Django view, or a django-ninja operation through
    `@decorate_view(cached_page)`, whose answer is then cached byte for byte."""
    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if (request.method != "GET" or request.user.is_authenticated
                or len(messages.get_messages(request))):  # a message is for one visitor
            return view(request, *args, **kwargs)
        # Scheme and host too: a page may hold absolute URLs (the API's logos). Hashed: a
        # visitor's query string may be any length.
        url = request.build_absolute_uri().encode()
        key = f"pagecache:entry:{hashlib.sha256(url).hexdigest()}"
        wants_gzip = accepts_gzip(request.headers.get("Accept-Encoding", ""))
        found = cache.get_many([VERSION_KEY, key])
        current = found.get(VERSION_KEY)
        hit = found.get(key)
        if current is not None and hit is not None and hit[0] == current:
            etag, content_type, has_gzip = hit[1:]
            gzipped = has_gzip and wants_gzip
            if gzipped:
                etag = _gzip_etag(etag)
            content = _content(etag)
            if content is not None:
                return _answer(request, content, content_type, etag, has_gzip=has_gzip,
                               gzipped=gzipped)
        # Read before rendering: a change committed meanwhile moves the version past the
        # one stored with this page, so the page is never served stale.
        current = current if current is not None else version()
        response = view(request, *args, **kwargs)
        if response.status_code != 200 or response.streaming:
            return response
        if hasattr(response, "render"):
            response.render()
        content, content_type = response.content, response["Content-Type"]
        etag = f'"{hashlib.md5(content, usedforsecurity=False).hexdigest()}"'
        compressed = _compress(content)
        stored = {key: (current, etag, content_type, compressed is not None),
                  f"pagecache:bytes:{etag}": content}
        if compressed is not None:
            stored[f"pagecache:bytes:{_gzip_etag(etag)}"] = compressed
        cache.set_many(stored, TIMEOUT)
        _keep(etag, content)
        if compressed is not None:
            _keep(_gzip_etag(etag), compressed)
        if compressed is not None and wants_gzip:
            return _answer(request, compressed, content_type, _gzip_etag(etag), has_gzip=True,
                           gzipped=True)
        return _answer(request, content, content_type, etag, has_gzip=compressed is not None,
                       gzipped=False)

    return wrapper
