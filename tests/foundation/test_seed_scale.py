import pytest
from django.core.management import CommandError, call_command

from foundation.accounts.models import Organization, OrganizationRole, Role, User
from foundation.billing.models import Invoice, InvoiceSequence
from members.models import Membership

pytestmark = pytest.mark.django_db


def assert_invoice_numbers_gap_free():
    for sequence in InvoiceSequence.objects.all():
        numbers = set(Invoice.objects.filter(number__startswith=f"INV-{sequence.year}-")
                      .values_list("number", flat=True))
        expected = {f"INV-{sequence.year}-{n:04d}" for n in range(1, sequence.last_number + 1)}
        assert numbers == expected


def test_seed_demo_orgs_adds_members_across_tiers_and_a_second_run_adds_more():
    call_command("seed_demo")
    landscape = set(Organization.objects.values_list("pk", flat=True))

    call_command("seed_demo", orgs=60)
    added = Organization.objects.exclude(pk__in=landscape)
    assert added.count() == 60
    assert not added.filter(memberships=None).exists()
    tiers = set(Membership.objects.filter(organization__in=added)
                .values_list("tier__slug", flat=True))
    assert {"general", "associate"} <= tiers
    assert not added.exclude(roles__role=Role.ADMIN).exists()
    people = User.objects.filter(organization_roles__organization__in=added).distinct()
    assert not any(person.has_usable_password() for person in people)
    assert Invoice.objects.filter(status=Invoice.Status.PAID).exists()
    assert Invoice.objects.filter(status=Invoice.Status.OPEN).exists()
    for invoice in Invoice.objects.prefetch_related("payments"):
        paid = sum(p.amount for p in invoice.payments.all())
        assert paid == (invoice.total if invoice.status == Invoice.Status.PAID else 0)
    assert_invoice_numbers_gap_free()

    call_command("seed_demo", orgs=60)
    assert Organization.objects.count() == len(landscape) + 120
    assert_invoice_numbers_gap_free()


def test_the_directory_lists_the_added_members(client):
    call_command("seed_demo", orgs=60)
    member = Membership.objects.active().select_related("organization").latest("pk")
    for url in ["/members/", "/api/members.json", "/"]:
        response = client.get(url)
        assert response.status_code == 200
    assert member.organization.display_name in client.get("/members/").content.decode()


def test_a_negative_number_of_organizations_is_refused_and_nothing_is_written():
    with pytest.raises(CommandError, match="0 or more"):
        call_command("seed_demo", orgs=-1)
    assert not Organization.objects.exists()
    assert not OrganizationRole.objects.exists()
