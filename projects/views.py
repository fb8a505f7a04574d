"""The public project pages: the landscape and a project's page, cached for anonymous
visitors and shown fresh the moment a project, its vote or its maintainers change."""

from urllib.parse import urlencode

from django.http import Http404
from django.shortcuts import render

from foundation.pagecache import cached_page

from . import public
from .models import Project


@cached_page
def landscape(request):
    """The landscape as a grid of logos a page at a time, filtered by a GET form (no script
    needed); an odd parameter gives the unfiltered landscape or an empty one, never an
    error."""
    page = request.GET.get("page", "1")
    # ASCII digits only: "¹" is a digit to str.isdigit() but not to int().
    page = int(page) if page.isascii() and page.isdigit() and 0 < int(page) < 100_000 else 1
    filters = public.Filters.from_query(request.GET)
    groups, more = public.landscape_page(page, filters)
    return render(request, "projects/landscape.html", {
        "groups": groups, "page": page, "more": more, "filters": filters,
        "statuses": [(status.value, status.label) for status in public.ORDER],
        "categories": Project.Category.choices, "tags": public.tags(),
        # The filters for the pager's links, as they were read (an odd one left out).
        "query": urlencode({name: value for name, value in vars(filters).items() if value}),
    })


@cached_page
def project_detail(request, slug):
    """A public project's page; an application not yet accepted (or declined) is a 404."""
    found = public.project_page(slug)
    if found is None:
        raise Http404("No public project has this address.")
    return render(request, "projects/project_detail.html", {"p": found,
                                                            "project": found.project})
