"""Staff add a security key in the browser, then open the admin with it. Chromium's virtual
authenticator (over the DevTools protocol) stands in for the key."""

import re

import pytest
from playwright.sync_api import Page, expect

from foundation.staff_mfa import SET_UP_FIRST
from tests.accounts.factories import PASSWORD, UserFactory

pytestmark = [pytest.mark.e2e]


def log_in(page: Page, base: str, email: str) -> None:
    page.goto(f"{base}/admin/")
    expect(page).to_have_url(re.compile(r"/accounts/login/"))
    page.locator('input[name="login"]').fill(email)
    page.locator('input[name="password"]').fill(PASSWORD)
    page.locator('form:has(input[name="password"]) button[type="submit"]').click()


def test_staff_add_a_security_key_and_open_the_admin_with_it(page, live_server):
    base = live_server.url
    staff = UserFactory(email="desk@foundation.example", is_staff=True, second_factor=False)
    devtools = page.context.new_cdp_session(page)
    devtools.send("WebAuthn.enable")
    devtools.send("WebAuthn.addVirtualAuthenticator", {"options": {
        "protocol": "ctap2", "transport": "usb", "hasResidentKey": True,
        "hasUserVerification": True, "isUserVerified": True,
    }})

    # No second factor yet: the admin sends them to set one up.
    log_in(page, base, staff.email)
    page.goto(f"{base}/admin/")
    expect(page).to_have_url(f"{base}/accounts/2fa/")
    expect(page.get_by_text(SET_UP_FIRST)).to_be_visible()
    expect(page.locator("#site-name")).to_have_count(0)

    page.get_by_role("link", name="Add a security key").click()
    page.locator('input[name="password"]').fill(PASSWORD)  # allauth asks for it again
    page.locator('form:has(input[name="password"]) button[type="submit"]').click()
    page.get_by_role("button", name="Add").click()
    expect(page.get_by_text("Security key added.")).to_be_visible()
    expect(page.get_by_label("Unused codes")).to_be_visible()  # recovery codes, once

    page.goto(f"{base}/admin/")
    expect(page.locator("#site-name")).to_be_visible()

    # Next time the key is the second factor.
    page.get_by_role("button", name="Log out").click()
    log_in(page, base, staff.email)
    expect(page).to_have_url(f"{base}/accounts/2fa/authenticate/")
    page.get_by_role("button", name="Use a security key").click()
    expect(page.locator("#site-name")).to_be_visible()
    expect(page).to_have_url(f"{base}/admin/")
