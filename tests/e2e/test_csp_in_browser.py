"""Pages work in a real browser under the Content-Security-Policy: Chromium reports no
violation and runs their scripts (the invoice's Print button, Swagger UI, the admin's)."""

import re
from decimal import Decimal

import pytest
from django.test import Client
from playwright.sync_api import expect

from foundation.billing import services
from tests.accounts.factories import OrganizationFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def watched_page(new_page, live_server, user=None):
    """A page that keeps what the policy refused and every script error, logged in as `user`."""
    page = new_page()
    page.problems = []
    page.on("console", lambda m: "Content Security Policy" in m.text
            and page.problems.append(m.text))
    page.on("pageerror", lambda error: page.problems.append(str(error)))
    if user is not None:
        client = Client()
        client.force_login(user)
        page.context.add_cookies([{"name": "sessionid", "value": client.cookies["sessionid"].value,
                                   "url": live_server.url}])
    return page


def visit(page, url):
    response = page.goto(url)
    assert response.status == 200, url
    assert "script-src 'self'" in response.headers["content-security-policy"]
    page.wait_for_load_state("networkidle")
    assert page.problems == [], url


def test_public_pages_and_the_invoice_run_under_the_policy(new_page, live_server):
    org, admin = OrganizationFactory.with_admin()
    invoice = services.invoice_issue(invoice_id=services.invoice_create(
        organization=org, lines=[("Dues", Decimal("1200.00"))]).pk)
    page = watched_page(new_page, live_server)
    for path in ["/", "/membership/", "/members/", "/accounts/login/", "/accounts/signup/"]:
        visit(page, f"{live_server.url}{path}")

    page = watched_page(new_page, live_server, admin)
    visit(page, f"{live_server.url}/dashboard/{org.slug}/invoices/{invoice.pk}/")
    expect(page.get_by_role("button", name="Print")).to_be_visible()  # print.js ran
    expect(page.get_by_text("use your browser's Print command")).to_be_hidden()


def test_the_api_documentation_runs_under_the_policy(new_page, live_server):
    page = watched_page(new_page, live_server)
    visit(page, f"{live_server.url}/api/docs")
    page.get_by_text("/api/members.json").click()  # Swagger UI, from our static files
    page.get_by_role("button", name="Try it out").click()
    page.get_by_role("button", name="Execute").click()
    expect(page.locator(".live-responses-table tbody .response-col_status")).to_have_text("200")
    assert page.problems == []


def test_the_admin_runs_under_the_policy(new_page, live_server, admin_user):
    page = watched_page(new_page, live_server, admin_user)
    for path in ["/admin/", "/admin/billing/invoice/", "/admin/accounts/organization/add/",
                 "/admin/foundation/outboundemail/"]:
        visit(page, f"{live_server.url}{path}")
    expect(page.locator("#main")).to_have_class(re.compile(r"\bshifted\b"))
    page.locator("#toggle-nav-sidebar").click()  # the admin's own script folds the sidebar
    expect(page.locator("#main")).not_to_have_class(re.compile(r"\bshifted\b"))
