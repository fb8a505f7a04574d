from django.db.models import Count
from django.shortcuts import render

from members.models import Organization, OrganizationRole


def home(request):
    """The front page with live figures, read in a constant number of queries."""
    figures = {
        "organizations": Organization.objects.aggregate(n=Count("pk"))["n"],
        "people": OrganizationRole.objects.aggregate(n=Count("user", distinct=True))["n"],
    }
    return render(request, "home.html", {"figures": figures})
