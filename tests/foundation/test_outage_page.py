"""The database server gone: every page answers 503 with the portal's own "we'll be back" page
and a Retry-After, never a traceback; /healthz names the database; the next request after it
is back is served as usual. The outside world here is the database server, made unreachable
by failing every connection attempt."""

from unittest import mock

import psycopg
import pytest
from django.conf import settings
from django.db import OperationalError
from django.db.backends.base.base import BaseDatabaseWrapper

from foundation.outage import database_unavailable

pytestmark = pytest.mark.django_db


def server_gone():
    """Every connection attempt fails as psycopg reports a refused connection."""
    cause = psycopg.OperationalError("connection failed: Connection refused")
    error = OperationalError("connection failed: Connection refused")
    error.__cause__ = cause
    return mock.patch.object(BaseDatabaseWrapper, "ensure_connection", side_effect=error)


def assert_outage_page(response):
    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    assert response["Cache-Control"] == "no-store"
    html = response.content.decode()
    assert "<title>Back in a few minutes · PyTorch Foundation</title>" in html
    assert '<a class="brand" href="/">PyTorch Foundation</a>' in html
    assert "<h1>We'll be back in a few minutes</h1>" in html
    assert "Traceback" not in html and "OperationalError" not in html
    # Its styles are inline, allowed for this page alone.
    assert "style-src 'self' 'unsafe-inline'" in response["Content-Security-Policy"]


@pytest.mark.parametrize("path", ["/", "/members/", "/membership/", "/credits/", "/projects/",
                                  "/projects/pytorch/"])
def test_every_public_page_is_the_outage_page(client, path):
    client.raise_request_exception = False
    with server_gone():
        assert_outage_page(client.get(path))


@pytest.mark.parametrize("path", ["/dashboard/", "/admin/", "/admin/billing/invoice/"])
def test_signed_in_pages_are_the_outage_page(client, admin_user, path):
    """The admin looks the user up in a middleware, before any view: that failure too."""
    client.force_login(admin_user)
    client.raise_request_exception = False
    with server_gone():
        assert_outage_page(client.get(path))


def test_a_form_sent_during_the_outage_is_the_outage_page(client):
    client.raise_request_exception = False
    with server_gone():
        response = client.post("/accounts/login/", {"login": "a@example.org", "password": "x"})
    assert_outage_page(response)


def test_an_api_client_gets_json(client):
    client.raise_request_exception = False
    with server_gone():
        response = client.get("/api/members.json", HTTP_ACCEPT="application/json")
    assert response.status_code == 503 and response["Retry-After"] == "30"
    assert response.json() == {
        "detail": "The service is briefly unavailable; try again in a minute."}


def test_healthz_names_the_database(client):
    with server_gone():
        response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["failing"] == ["database"]
    assert "Connection refused" in response.json()["checks"]["database"]


def test_the_portal_answers_again_once_the_database_is_back(client, user):
    client.force_login(user)
    client.raise_request_exception = False
    with server_gone():
        assert client.get("/dashboard/").status_code == 503
    assert client.get("/dashboard/").status_code == 200
    assert client.get("/healthz").status_code == 200
    # Kept connections are checked before reuse, so each process reconnects by itself.
    assert settings.DATABASES["default"]["CONN_HEALTH_CHECKS"] is True


@pytest.mark.parametrize("cause, unavailable", [
    (None, True),  # no SQLSTATE: the connection itself failed
    (psycopg.errors.AdminShutdown("terminating connection"), True),  # 57P01
    (psycopg.errors.CannotConnectNow("the database system is starting up"), True),  # 57P03
    (psycopg.errors.DeadlockDetected("deadlock detected"), False),  # 40P01: a query's fault
    (psycopg.errors.QueryCanceled("statement timeout"), False),  # 57014
])
def test_only_an_unreachable_database_is_an_outage(cause, unavailable):
    error = OperationalError(str(cause))
    error.__cause__ = cause
    assert database_unavailable(error) is unavailable


def test_another_database_error_stays_a_500(client):
    """A deadlock is a bug to look at, not an outage to wait out: the 500 page, logged."""
    error = OperationalError("deadlock detected")
    error.__cause__ = psycopg.errors.DeadlockDetected("deadlock detected")
    client.raise_request_exception = False
    with mock.patch.object(BaseDatabaseWrapper, "ensure_connection", side_effect=error):
        response = client.get("/members/")
    assert response.status_code == 500
    assert "Something went wrong" in response.content.decode()
