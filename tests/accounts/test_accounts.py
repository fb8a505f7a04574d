import re

import pytest
from django.conf import settings
from django.core import mail
from django.test import Client

from foundation.accounts.models import User
from foundation.models import OutboundEmail
from tests.accounts.factories import PASSWORD, UserFactory
from tests.mail import link_in

pytestmark = pytest.mark.django_db

SIGNUP = "/accounts/signup/"
LOGIN = "/accounts/login/"


@pytest.fixture
def client_factory():
    """A new visitor each call: no shared session or cookies."""
    return Client


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


def page_after(response, client, email: str) -> tuple[int, str, str]:
    """What a visitor sees of an answer: its status, where it sends them and that page, with
    the address they typed and the per-session CSRF token set aside."""
    page = client.get(response["Location"]).content.decode() if response.status_code == 302 else ""
    page = re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", page)
    return response.status_code, response.get("Location", ""), page.replace(email.lower(), "…")


def test_signup_answers_a_known_address_like_a_new_one_and_mails_its_owner(
    client_factory, django_capture_on_commit_callbacks
):
    UserFactory(email="taken@example.com")
    answers = []
    for email in ("New@Example.com", "Taken@Example.com"):
        client = client_factory()
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(
                SIGNUP, {"email": email, "password1": PASSWORD, "password2": PASSWORD}
            )
        answers.append(page_after(response, client, email))
    assert answers[0] == answers[1]
    assert answers[0][1] == "/accounts/confirm-email/"
    assert User.objects.filter(email__iexact="taken@example.com").count() == 1

    owner = next(m for m in mail.outbox if m.to == ["taken@example.com"])
    assert owner.subject == f"[{settings.FOUNDATION_NAME}] You already have an account"
    assert "already have an account" in owner.body
    assert link_in(owner, "/accounts/password/reset/") == "/accounts/password/reset/"
    assert OutboundEmail.objects.get(to="taken@example.com").kind == "account_already_exists"


def test_password_reset_answers_an_unknown_address_like_a_known_one(
    client_factory, django_capture_on_commit_callbacks
):
    UserFactory(email="known@example.com")
    answers = []
    for email in ("known@example.com", "unknown@example.com"):
        client = client_factory()
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post("/accounts/password/reset/", {"email": email})
        answers.append(page_after(response, client, email))
    assert answers[0] == answers[1]
    assert answers[0][1] == "/accounts/password/reset/done/"

    known, unknown = (next(m for m in mail.outbox if m.to == [to])
                      for to in ("known@example.com", "unknown@example.com"))
    link_in(known, "/accounts/password/reset/key/")
    assert "no account" in unknown.body
    assert link_in(unknown, "/accounts/signup/") == "/accounts/signup/"
    assert OutboundEmail.objects.get(to="unknown@example.com").kind == "unknown_account"


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


def fail_logins(client, times: int, **headers) -> None:
    """Failed logins for addresses nobody has, so only the per-address limit is spared."""
    for n in range(times):
        client.post(LOGIN, {"login": f"nobody{n}@example.com", "password": "wrong"}, **headers)


def test_behind_the_proxy_one_visitor_s_failed_logins_do_not_lock_out_another(client_factory,
                                                                            settings):
    settings.TRUST_X_FORWARDED_FOR = True
    UserFactory(email="grace@example.com")
    proxy = {"REMOTE_ADDR": "10.0.0.1"}
    visitor_a = client_factory()
    fail_logins(visitor_a, 12, HTTP_X_FORWARDED_FOR="203.0.113.7", **proxy)
    response = visitor_a.post(LOGIN, {"login": "grace@example.com", "password": PASSWORD},
                              HTTP_X_FORWARDED_FOR="203.0.113.7", **proxy)
    assert "Too many failed login attempts" in response.content.decode()

    visitor_b = client_factory()
    visitor_b.post(LOGIN, {"login": "grace@example.com", "password": PASSWORD},
                   HTTP_X_FORWARDED_FOR="198.51.100.20", **proxy)
    assert "_auth_user_id" in visitor_b.session


def test_without_a_trusted_proxy_the_connection_s_address_is_counted(client_factory, settings):
    settings.TRUST_X_FORWARDED_FOR = False
    UserFactory(email="grace@example.com")
    client = client_factory(REMOTE_ADDR="192.0.2.50")
    for n in range(12):  # a made-up X-Forwarded-For each time does not escape the limit
        client.post(LOGIN, {"login": f"nobody{n}@example.com", "password": "wrong"},
                    HTTP_X_FORWARDED_FOR=f"203.0.113.{n}")
    response = client.post(LOGIN, {"login": "grace@example.com", "password": PASSWORD},
                           HTTP_X_FORWARDED_FOR="198.51.100.20")
    assert "Too many failed login attempts" in response.content.decode()
    assert "_auth_user_id" not in client.session


@pytest.mark.parametrize("send", ["signup", "password_reset", "account_already_exists"])
def test_allauth_mails_greet_from_the_foundation(client, send, settings,
                                                 django_capture_on_commit_callbacks):
    settings.SITE_URL = "https://portal.example.org"
    UserFactory(email="known@example.com")
    with django_capture_on_commit_callbacks(execute=True):
        if send == "password_reset":
            client.post("/accounts/password/reset/", {"email": "known@example.com"})
        else:
            email = "known@example.com" if send == "account_already_exists" else "new@example.com"
            client.post(SIGNUP, {"email": email, "password1": PASSWORD, "password2": PASSWORD})
    [message] = mail.outbox
    assert f"Hello from {settings.FOUNDATION_NAME}!" in message.body
    assert f"Thank you for using {settings.FOUNDATION_NAME}!\nportal.example.org" in message.body
    assert "Hello from !" not in message.body
