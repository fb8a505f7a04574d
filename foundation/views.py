from django.db.models import Count, Q
from django.shortcuts import render

from members.models import Membership, Organization, OrganizationRole, Tier


def home(request):
    """The front page with live figures, read in a constant number of queries."""
    figures = {
        "organizations": Organization.objects.aggregate(n=Count("pk"))["n"],
        "people": OrganizationRole.objects.aggregate(n=Count("user", distinct=True))["n"],
    }
    members_per_tier = Tier.objects.annotate(
        members=Count("memberships", filter=Q(memberships__status=Membership.Status.ACTIVE))
    ).values("name", "members")
    return render(request, "home.html",
                  {"figures": figures, "members_per_tier": list(members_per_tier)})
