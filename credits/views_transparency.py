"""The credit pool in public (/credits/transparency/) and for staff (the burn-down in the
admin): the same figures and charts, read from the ledger by credits/transparency.py."""

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.shortcuts import render

from foundation.pagecache import cached_page

from . import burndown_svg
from .transparency import Burndown, transparency


def _charts(burndowns: list[Burndown], id_prefix: str) -> list[tuple[Burndown, str]]:
    return [(b, burndown_svg.render(b, id_prefix)) for b in burndowns]


def _context() -> dict:
    figures = transparency()
    return {"pool": figures, "charts": _charts(figures.burndowns, "burndown")}


@cached_page
def transparency_page(request):
    """/credits/transparency/: each provider's pledged, received, allocated, used, expired
    and remaining credits, the cash pool, and the burn-downs; the call to pledge when the
    pool has nothing yet."""
    return render(request, "credits/transparency.html", _context())


def staff_burndown(request):
    """Staff's burn-down in the admin (credits/ledger/admin.py mounts it behind the admin's
    login and second factor): the figures, each provider's chart, pace and forecast, for
    whoever may read the ledger."""
    if not request.user.has_perm("credits.view_ledgertransaction"):
        raise PermissionDenied
    return render(request, "admin/credits/burndown.html", {
        **admin.site.each_context(request), **_context(), "title": "Credit pool burn-down",
    })
