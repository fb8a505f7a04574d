import pytest
from django.core import mail

from foundation.models import OutboundEmail
from members.models import User
from tests.mail import link_in
from tests.members.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

SIGNUP = "/accounts/signup/"
LOGIN = "/accounts/login/"


def test_signup_sends_verification_and_blocks_login_until_verified(
    client, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            SIGNUP, {"email": "ada@example.com", "password1": PASSWORD, "password2": PASSWORD}
        )
    assert response.status_code == 302
    assert "/accounts/confirm-email/" in response["Location"]
    user = User.objects.get(email="ada@example.com")
    assert len(mail.outbox) == 1
    assert OutboundEmail.objects.get(to="ada@example.com").status == OutboundEmail.Status.SENT

    # Not verified: logging in sends the person back to verification.
    client.logout()
    response = client.post(LOGIN, {"login": "ada@example.com", "password": PASSWORD})
    assert "/accounts/confirm-email/" in response["Location"]
    assert "_auth_user_id" not in client.session

    confirm = link_in(mail.outbox[0], "/accounts/confirm-email/")
    response = client.post(confirm)
    assert response.status_code == 302
    assert user.emailaddress_set.get().verified
    response = client.post(LOGIN, {"login": "ada@example.com", "password": PASSWORD})
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(user.pk)


def test_signup_pages_use_the_portal_layout(client):
    response = client.get(SIGNUP)
    html = response.content.decode()
    assert 'class="site-header"' in html
    assert 'name="email"' in html
    assert 'name="username"' not in html


@pytest.mark.parametrize("email", ["not-an-email", "ada@", ""])
def test_signup_with_invalid_email_shows_error_and_writes_nothing(client, email):
    response = client.post(SIGNUP, {"email": email, "password1": PASSWORD, "password2": PASSWORD})
    assert response.status_code == 200
    assert "email" in response.context["form"].errors
    assert User.objects.count() == 0
    assert OutboundEmail.objects.count() == 0


def test_signup_with_taken_email_shows_error_and_writes_nothing(client):
    UserFactory(email="taken@example.com")
    response = client.post(
        SIGNUP, {"email": "Taken@Example.com", "password1": PASSWORD, "password2": PASSWORD}
    )
    assert response.status_code == 200
    assert "already registered" in str(response.context["form"].errors["email"])
    assert User.objects.count() == 1


def test_login_is_rate_limited_after_repeated_failures(client):
    UserFactory(email="grace@example.com")
    for _ in range(5):
        response = client.post(LOGIN, {"login": "grace@example.com", "password": "wrong"})
        assert response.status_code == 200
    response = client.post(LOGIN, {"login": "grace@example.com", "password": PASSWORD})
    assert "_auth_user_id" not in client.session
    assert "Too many failed login attempts" in response.content.decode()


def test_password_reset_mails_a_workinglink_in(client, django_capture_on_commit_callbacks):
    user = UserFactory(email="reset@example.com")
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/accounts/password/reset/", {"email": "reset@example.com"})
    assert len(mail.outbox) == 1
    link = link_in(mail.outbox[0], "/accounts/password/reset/key/")
    response = client.get(link, follow=True)
    form_url = response.redirect_chain[-1][0] if response.redirect_chain else link
    new = "an entirely new passphrase 42"
    response = client.post(form_url, {"password1": new, "password2": new})
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.check_password(new)


def test_logout_needs_post(client, user):
    client.force_login(user)
    client.get("/accounts/logout/")
    assert "_auth_user_id" in client.session
    client.post("/accounts/logout/")
    assert "_auth_user_id" not in client.session
