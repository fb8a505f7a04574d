"""Addresses in URLs are lower case: /dashboard/BOB-CORP/ is /dashboard/bob-corp/."""

from django.http import HttpResponsePermanentRedirect
from django.urls import reverse

SAFE_METHODS = {"GET", "HEAD"}


class LowerCaseSlugMiddleware:
    """Organizations' addresses (a `slug` in the URL) are stored in lower case and unique
    whatever their case, so a mixed-case one is redirected to the one URL that names the
    page, for every page with a slug, now and to come. A GET gets a 301; any other method a
    308, which keeps the method and the body."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        slug = view_kwargs.get("slug")
        if not isinstance(slug, str) or slug == slug.lower():
            return None
        url = reverse(request.resolver_match.view_name, args=view_args,
                      kwargs={**view_kwargs, "slug": slug.lower()})
        if request.META.get("QUERY_STRING"):
            url = f"{url}?{request.META['QUERY_STRING']}"
        response = HttpResponsePermanentRedirect(url)
        if request.method not in SAFE_METHODS:
            response.status_code = 308
        return response
