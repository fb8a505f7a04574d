import pytest
from allauth.mfa.models import Authenticator
from django.core.management import call_command

from foundation.accounts.models import Organization, OrganizationRole, User
from foundation.demo_accounts import STAFF_EMAIL, STAFF_PASSWORD, STAFF_TOTP_SECRET

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
    # One member's SVG is over the 512 KB upload budget: it has no logo, not a broken one.
    assert Organization.objects.exclude(logo="").count() == 44
    founders = Organization.objects.filter(is_founding_member=True)
    assert founders.count() == founders.filter(testimonial__isnull=False).count() == 6
    assert not Organization.objects.filter(testimonial__author__icontains="demo quote").exists()
    staff = User.objects.get(email=STAFF_EMAIL)
    assert staff.is_staff and staff.emailaddress_set.get().verified


def test_seed_demo_prints_the_demo_logins(capsys):
    call_command("seed_demo")
    out = capsys.readouterr().out
    assert STAFF_EMAIL in out and STAFF_PASSWORD in out and "/admin/" in out
    assert STAFF_TOTP_SECRET in out
    assert (f"otpauth://totp/staff%40example.org?secret={STAFF_TOTP_SECRET}&issuer=PyTorch%20"
            "Foundation") in out
    assert "demo_totp_code" in out


def test_the_demo_staff_log_in_with_the_printed_code_and_open_the_admin(client, capsys):
    call_command("seed_demo")
    staff = User.objects.get(email=STAFF_EMAIL)
    assert Authenticator.objects.filter(user=staff, type=Authenticator.Type.TOTP).count() == 1
    capsys.readouterr()
    response = client.post("/accounts/login/?next=/admin/",
                            {"login": STAFF_EMAIL, "password": STAFF_PASSWORD})
    assert response["Location"] == "/accounts/2fa/authenticate/"
    call_command("demo_totp_code")
    code = capsys.readouterr().out.strip()
    assert client.post("/accounts/2fa/authenticate/", {"code": code})["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200


def test_seed_demo_leaves_an_authenticator_the_staff_set_up_themselves():
    call_command("seed_demo")
    staff = User.objects.get(email=STAFF_EMAIL)
    Authenticator.objects.filter(user=staff).update(data={"secret": "OWNSECRETOWNSECRET234567"})
    call_command("seed_demo")
    assert Authenticator.objects.get(user=staff).data == {"secret": "OWNSECRETOWNSECRET234567"}
