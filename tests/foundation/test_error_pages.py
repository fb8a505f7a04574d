"""Error pages (tests run with DEBUG off): each in the portal's frame, saying what happened and
leading home; the 500 page renders without the database."""

from unittest import mock

import pytest
from django.core.exceptions import PermissionDenied, SuspiciousOperation
from django.db import OperationalError
from django.db.backends.base.base import BaseDatabaseWrapper
from django.template.loader import get_template
from django.test import Client, RequestFactory
from django.urls import path
from psycopg.errors import DeadlockDetected

from foundation import urls as portal_urls
from foundation import views
from foundation.accounts.models import Organization

pytestmark = [pytest.mark.django_db, pytest.mark.urls(__name__)]


def _forbidden(request):
    raise PermissionDenied


def _suspicious(request):
    raise SuspiciousOperation("A tampered request.")


def _needs_the_database(request):
    Organization.objects.count()


# The portal's URLs and error handlers, plus three views that fail on purpose.
urlpatterns = [
    path("test/forbidden/", _forbidden),
    path("test/suspicious/", _suspicious),
    path("test/database/", _needs_the_database),
    *portal_urls.urlpatterns,
]
handler500 = portal_urls.handler500


def assert_in_frame(html, title):
    assert f"<title>{title} · PyTorch Foundation</title>" in html
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in html
    assert '<header class="site-header">' in html and '<footer class="site-footer">' in html
    assert 'href="/membership/"' in html
    assert 'class="button" href="/">Go to the home page</a>' in html


def test_a_missing_page_is_a_404_in_the_frame(client):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    html = response.content.decode()
    assert_in_frame(html, "Page not found")
    assert "There is no page at this address" in html


def test_a_missing_page_keeps_the_visitor_logged_in(client, user):
    client.force_login(user)
    html = client.get("/no-such-page/").content.decode()
    assert 'href="/dashboard/"' in html and "Log out" in html


def test_permission_denied_is_a_403_offering_to_log_in(client):
    response = client.get("/test/forbidden/")
    assert response.status_code == 403
    html = response.content.decode()
    assert_in_frame(html, "Not allowed")
    assert 'href="/accounts/login/?next=/test/forbidden/">Log in</a>' in html


def test_permission_denied_tells_a_member_whom_to_ask(client, user):
    client.force_login(user)
    html = client.get("/test/forbidden/").content.decode()
    assert "ask an admin of\n      your organization" in html
    assert "?next=" not in html


def test_a_suspicious_request_is_a_400_in_the_frame(client):
    response = client.get("/test/suspicious/")
    assert response.status_code == 400
    assert_in_frame(response.content.decode(), "Bad request")


def test_an_unknown_host_is_a_400_in_the_frame(client):
    response = client.get("/", HTTP_HOST="evil.example")
    assert response.status_code == 400
    assert_in_frame(response.content.decode(), "Bad request")


def test_a_form_without_its_csrf_token_explains_itself():
    response = Client(enforce_csrf_checks=True).post(
        "/accounts/login/", {"login": "a@example.com", "password": "x"})
    assert response.status_code == 403
    html = response.content.decode()
    assert_in_frame(html, "Form expired")
    assert "Your session expired or the form was open too long" in html


def test_the_500_page_is_plain_html_without_context():
    html = get_template("500.html").render()
    assert "{%" not in html and "{{" not in html
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in html
    assert '<a class="button" href="/">Go to the home page</a>' in html
    assert "Something went wrong" in html


def test_the_500_handler_needs_no_database(django_assert_num_queries):
    with django_assert_num_queries(0):
        response = views.server_error(RequestFactory().get("/"))
    assert response.status_code == 500
    html = response.content.decode()
    assert '<a class="brand" href="/">PyTorch Foundation</a>' in html
    assert "{{" not in html


def test_a_database_error_that_is_not_an_outage_is_the_500_page(client, user):
    """The database unreachable is the 503 page (tests/foundation/test_outage_page.py); any
    other database error is the 500 page, which needs no database either."""
    client.force_login(user)  # a logged-in visitor: the page must not look the user up
    client.raise_request_exception = False
    deadlock = OperationalError("deadlock detected")
    deadlock.__cause__ = DeadlockDetected("deadlock detected")
    with mock.patch.object(BaseDatabaseWrapper, "ensure_connection", side_effect=deadlock):
        response = client.get("/test/database/")
    assert response.status_code == 500
    html = response.content.decode()
    assert "Something went wrong" in html
    assert '<a class="button" href="/">Go to the home page</a>' in html
