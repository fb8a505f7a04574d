import pytest
from django.core.management import call_command

from foundation.demo_accounts import STAFF_EMAIL
from members.models import Organization, OrganizationRole, User

pytestmark = pytest.mark.django_db


def counts():
    return (User.objects.count(), Organization.objects.count(), OrganizationRole.objects.count())


def test_seed_demo_loads_the_landscape_members_and_a_second_run_changes_nothing():
    call_command("seed_demo")
    first = counts()
    logos = sorted(Organization.objects.values_list("logo", flat=True))
    call_command("seed_demo")
    assert counts() == first
    assert sorted(Organization.objects.values_list("logo", flat=True)) == logos
    assert first[1] == 45  # every member in the landscape
    assert Organization.objects.get(slug="amd").legal_name == "Advanced Micro Devices (AMD)"
    assert Organization.objects.get(slug="carnegie-mellon-university").type == "academic"
    assert Organization.objects.exclude(logo="").count() == 45
    founders = Organization.objects.filter(is_founding_member=True)
    assert founders.count() == founders.filter(testimonial__isnull=False).count() == 6
    assert not Organization.objects.filter(testimonial__author__icontains="demo quote").exists()
    staff = User.objects.get(email=STAFF_EMAIL)
    assert staff.is_staff and staff.emailaddress_set.get().verified


def test_seed_demo_prints_the_demo_logins(capsys):
    from foundation.demo_accounts import STAFF_PASSWORD

    call_command("seed_demo")
    out = capsys.readouterr().out
    assert STAFF_EMAIL in out and STAFF_PASSWORD in out and "/admin/" in out
