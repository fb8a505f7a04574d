from csp.decorators import csp_replace
from django.conf import settings
from django.contrib.admin.views.decorators import staff_member_required
from django.db.models import Count
from django.http import HttpResponseServerError
from django.shortcuts import render
from django.template import loader

from foundation.accounts.models import Organization, OrganizationRole

from . import programmes
from .pagecache import cached_page


@cached_page
def home(request):
    """The front page with live figures from the kernel and each programme, read in a
    constant number of queries."""
    context = {"figures": {
        "organizations": Organization.objects.aggregate(n=Count("pk"))["n"],
        "people": OrganizationRole.objects.aggregate(n=Count("user", distinct=True))["n"],
    }, "founding": list(Organization.objects.filter(is_founding_member=True)
                        .only("display_name", "logo", "website").order_by("display_name"))}
    for figures in programmes.home_figures:
        context.update(figures())
    return render(request, "home.html", context)


@staff_member_required
def styleguide(request):
    """Staff's page of the design system: every token and component of static/css/portal.css,
    as docs/design.md lists them. It reads no data."""
    from django import forms

    class SampleForm(forms.Form):
        name = forms.CharField(label="Organization name",
                               help_text="As it appears in the directory.")
        employees = forms.IntegerField(label="Consolidated employees")
        kind = forms.ChoiceField(label="Type", widget=forms.RadioSelect,
                                 choices=[("company", "Company"), ("nonprofit", "Nonprofit")])

    form = SampleForm(data={"name": "Walker Robotics", "employees": "many", "kind": "company"})
    form.is_valid()
    colours = ["brand", "brand-strong", "brand-stronger", "brand-tint", "ink", "muted", "line",
               "bg", "surface", "focus", "ok", "ok-tint", "err", "err-tint", "warn", "warn-tint",
               "info", "info-tint"]
    return render(request, "styleguide.html", {
        "form": form, "colours": colours,
        "type_scale": ["sm", "base", "lg", "xl", "2xl", "3xl"],
        "spaces": range(1, 8), "radii": ["sm", "", "pill"], "shadows": ["sm", ""],
    })


def csrf_failure(request, reason=""):
    """A form sent without a valid CSRF token is nearly always one left open too long or from
    an expired session: say so, in our frame, instead of Django's technical page."""
    return render(request, "403_csrf.html", status=403)


# Replaced, not added to: beside the brand style's hash a browser would ignore 'unsafe-inline'.
@csp_replace({"style-src": ["'self'", "'unsafe-inline'"]})
def server_error(request):
    """The 500 page from settings alone: no database, session, user or context processor, any
    of which may be what failed. It loads no file, so its styles are inline, allowed for it
    alone: it shows nothing but the foundation's name."""
    page = loader.get_template("500.html").render({"FOUNDATION_NAME": settings.FOUNDATION_NAME})
    return HttpResponseServerError(page)
