"""Public pages served from the cache (Redis in production) to anonymous visitors, and shown
fresh the moment what they show changes: each page's key holds a version that any save or
delete of the models it shows moves on, after commit."""

import hashlib
from collections.abc import Callable
from functools import wraps

from django.contrib import messages
from django.core.cache import cache
from django.db import models, transaction
from django.db.models.signals import post_delete, post_save
from django.http import HttpRequest, HttpResponse

VERSION_KEY = "pagecache:version"
TIMEOUT = 60 * 60


def version() -> int:
    return int(cache.get_or_set(VERSION_KEY, 1, None) or 1)


def invalidate(**kwargs) -> None:
    """Every cached public page is out of date from the next request on."""
    def bump() -> None:
        try:
            cache.incr(VERSION_KEY)
        except ValueError:  # no version yet: nothing cached under one either
            cache.set(VERSION_KEY, 2, None)

    transaction.on_commit(bump)


def invalidate_on(*watched: type[models.Model]) -> None:
    """Public pages show these models: a change to any of them invalidates the pages."""
    for model in watched:
        post_save.connect(invalidate, sender=model, dispatch_uid=f"pagecache-save-{model}")
        post_delete.connect(invalidate, sender=model, dispatch_uid=f"pagecache-del-{model}")


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
        url = hashlib.sha256(request.build_absolute_uri().encode()).hexdigest()
        key = f"pagecache:{version()}:{url}"
        hit = cache.get(key)
        if hit is not None:
            content, content_type = hit
            return HttpResponse(content, content_type=content_type)
        response = view(request, *args, **kwargs)
        if response.status_code == 200 and not response.streaming:
            if hasattr(response, "render"):
                response.render()
            cache.set(key, (response.content, response["Content-Type"]), TIMEOUT)
        return response

    return wrapper
