"""Staff open the admin only with a second factor; members may turn one on."""

import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import SECRET_SESSION_KEY

from foundation.staff_mfa import SET_UP_FIRST
from tests.accounts.factories import PASSWORD, UserFactory
from tests.mfa import totp_code

pytestmark = pytest.mark.django_db

LOGIN = "/accounts/login/"


def log_in(client, user):
    """The login form, as a person fills it in: it answers with the second-factor step when
    the account has one."""
    return client.post(f"{LOGIN}?next=/admin/", {"login": user.email, "password": PASSWORD})


@pytest.mark.parametrize("path", ["/admin/", "/admin/billing/invoice/", "/admin/members/tier/"])
def test_staff_without_a_second_factor_are_sent_to_set_one_up(client, path):
    staff = UserFactory(is_staff=True, is_superuser=True, second_factor=False)
    client.force_login(staff)
    response = client.get(path, follow=True)
    assert response.redirect_chain == [("/accounts/2fa/", 302)]
    html = response.content.decode()
    assert SET_UP_FIRST in html
    assert 'id="site-name"' not in html and "Run the foundation" not in html


def test_staff_without_a_second_factor_change_nothing_in_the_admin(client):
    staff = UserFactory(is_staff=True, is_superuser=True, second_factor=False)
    member = UserFactory()
    client.force_login(staff)
    response = client.post(f"/admin/accounts/user/{member.pk}/change/",
                           {"email": "changed@example.com"})
    assert response["Location"] == "/accounts/2fa/"
    member.refresh_from_db()
    assert member.email != "changed@example.com"


def test_staff_without_a_second_factor_can_still_log_out(client):
    client.force_login(UserFactory(is_staff=True, second_factor=False))
    client.post("/admin/logout/")
    assert "_auth_user_id" not in client.session


def test_staff_log_in_with_password_and_code_and_the_admin_opens(client):
    staff = UserFactory(is_staff=True, is_superuser=True)
    response = log_in(client, staff)
    assert response["Location"] == "/accounts/2fa/authenticate/"
    assert "_auth_user_id" not in client.session

    response = client.post("/accounts/2fa/authenticate/", {"code": totp_code()})
    assert response["Location"] == "/admin/"
    response = client.get("/admin/")
    assert response.status_code == 200
    assert "Run the foundation" in response.content.decode()


def test_a_wrong_code_does_not_log_staff_in(client):
    staff = UserFactory(is_staff=True, is_superuser=True)
    log_in(client, staff)
    wrong = f"{(int(totp_code()) + 1) % 1_000_000:06d}"
    response = client.post("/accounts/2fa/authenticate/", {"code": wrong})
    assert response.status_code == 200
    assert "Incorrect code" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_the_admin_login_form_cannot_skip_the_second_factor(client):
    staff = UserFactory(is_staff=True, is_superuser=True)
    response = client.get("/admin/login/?next=/admin/billing/invoice/")
    assert response["Location"] == "/accounts/login/?next=/admin/billing/invoice/"
    response = client.post("/admin/login/", {"username": staff.email, "password": PASSWORD})
    assert response["Location"].startswith("/accounts/login/")
    assert "_auth_user_id" not in client.session


def test_a_member_who_opens_the_admin_login_is_refused(client):
    client.force_login(UserFactory())
    assert client.get("/admin/login/").status_code == 403


def test_staff_set_up_an_authenticator_app_and_then_the_admin_opens(client):
    staff = UserFactory(is_staff=True, is_superuser=True, second_factor=False)
    log_in(client, staff)
    assert client.get("/admin/")["Location"] == "/accounts/2fa/"

    response = client.get("/accounts/2fa/totp/activate/")
    assert response["Location"].startswith("/accounts/reauthenticate/")  # the password again
    page = client.post(response["Location"], {"password": PASSWORD}, follow=True)
    assert page.redirect_chain[-1][0] == "/accounts/2fa/totp/activate/"
    secret = client.session[SECRET_SESSION_KEY]
    assert secret in page.content.decode()  # for typing into an app that cannot scan
    response = client.post("/accounts/2fa/totp/activate/", {"code": totp_code(secret)})
    assert response.status_code == 302
    assert Authenticator.objects.filter(user=staff, type=Authenticator.Type.TOTP).exists()
    assert client.get("/admin/").status_code == 200


def test_a_member_opens_two_factor_authentication_from_the_dashboard(client):
    client.force_login(UserFactory())
    dashboard = client.get("/dashboard/").content.decode()
    assert 'href="/accounts/2fa/"' in dashboard
    response = client.get("/accounts/2fa/")
    html = response.content.decode()
    assert response.status_code == 200
    assert 'class="site-header"' in html
    assert 'href="/accounts/2fa/totp/activate/"' in html
