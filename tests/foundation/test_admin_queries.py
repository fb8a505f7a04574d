"""Every admin changelist runs as many queries for a few rows as for many: foreign keys shown
in a list are selected with the rows, and no column runs a query of its own per row."""

from datetime import timedelta
from io import StringIO

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from foundation.accounts.models import Invitation, Organization
from foundation.billing.models import StripeEvent
from foundation.models import OutboundEmail
from members import models as programme
from members.demo_programme import seed_catalogue
from members.demo_scale import seed_scale
from members.models import Application, EligibilityCheck

pytestmark = pytest.mark.django_db

CHANGELISTS = [
    "/admin/accounts/user/", "/admin/accounts/organization/", "/admin/accounts/invitation/",
    "/admin/billing/invoice/", "/admin/billing/payment/", "/admin/billing/stripeevent/",
    "/admin/checklists/checklistitem/", "/admin/foundation/auditentry/",
    "/admin/foundation/outboundemail/", "/admin/members/tier/", "/admin/members/benefit/",
    "/admin/members/agreementversion/", "/admin/members/testimonial/",
    "/admin/members/application/", "/admin/members/membership/",
    "/admin/members/eligibilitycheck/",
]


def grow(n: int, inviter) -> None:
    """About n rows more in every table the admin lists (the catalogue's stay as they are)."""
    seed_scale(n, StringIO())
    start = Organization.objects.count()
    orgs = list(Organization.objects.filter(testimonial__isnull=True).order_by("-pk")[:n])
    today = timezone.localdate()
    Invitation.objects.bulk_create(
        Invitation(organization=org, email=f"new{start}-{i}@example.org", roles=["admin"],
                   invited_by=inviter) for i, org in enumerate(orgs))
    programme.Testimonial.objects.bulk_create(
        programme.Testimonial(organization=org, quote="Worth it.", author="A. Person")
        for org in orgs)
    applications = Application.objects.filter(organization__in=orgs)
    EligibilityCheck.objects.bulk_create(
        EligibilityCheck(organization=a.organization, application=a, reason="Type changed",
                         due_date=today + timedelta(days=10)) for a in applications)
    OutboundEmail.objects.bulk_create(
        OutboundEmail(key=f"bench-{start}-{i}", kind="test", to=f"to{i}@example.org",
                      subject="Hello", body_text="Hello") for i in range(n))
    StripeEvent.objects.bulk_create(
        StripeEvent(stripe_id=f"evt_{start}_{i}", type="invoice.paid", payload={})
        for i in range(n))


def queries(client, path: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(path)
    assert response.status_code == 200, path
    return len(captured)


def test_every_changelist_runs_as_many_queries_for_30_rows_as_for_3(admin_client, admin_user):
    seed_catalogue()
    grow(3, admin_user)
    for path in CHANGELISTS:  # warm what is cached once per process (content types, ...)
        queries(admin_client, path)
    small = {path: queries(admin_client, path) for path in CHANGELISTS}
    grow(27, admin_user)
    large = {path: queries(admin_client, path) for path in CHANGELISTS}
    assert large == small
    for path in CHANGELISTS:  # each list has rows, or it would prove nothing
        assert admin_client.get(path).context["cl"].result_count > 0, path


def test_an_n_plus_one_in_a_request_fails_the_test(settings, admin_user):
    """django-zeal watches every request the tests make (settings_test)."""
    from zeal import NPlusOneError, zeal_context

    from tests.accounts.factories import OrganizationFactory

    assert "zeal.middleware.zeal_middleware" in settings.MIDDLEWARE
    for _ in range(2):
        Invitation.objects.create(organization=OrganizationFactory(), email="a@example.org",
                                  invited_by=admin_user)
    with zeal_context(), pytest.raises(NPlusOneError):
        [invitation.organization.display_name for invitation in Invitation.objects.all()]
