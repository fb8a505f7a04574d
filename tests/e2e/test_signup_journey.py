"""A new person signs up, verifies the address, creates an organization and invites a colleague,
who signs up from the invitation link and joins the organization — all in a real browser."""

import re
import time

import pytest
from django.core import mail
from PIL import Image
from playwright.sync_api import Page, expect

from foundation.accounts.models import Invitation, Organization, OrganizationRole, Role
from tests.mail import link_in

pytestmark = [pytest.mark.e2e]

PASSWORD = "A-long-and-unusual-passphrase-42"


def email_to(address: str, pattern: str, timeout: float = 5.0):
    """The newest message to `address` with a link containing `pattern`. The portal sends mail
    after commit from an (eager) Celery task in the live server's thread, so wait a little."""
    deadline = time.monotonic() + timeout
    while True:
        for message in reversed(mail.outbox):
            if address in message.to and pattern in message.body:
                return message
        if time.monotonic() > deadline:
            sent = [(m.to, m.subject) for m in mail.outbox]
            raise AssertionError(f"No e-mail to {address} with {pattern!r}; sent: {sent}")
        time.sleep(0.05)


def sign_up(page: Page, base_url: str, email: str, *, open_form: bool = True) -> None:
    if open_form:
        page.goto(f"{base_url}/accounts/signup/")
    page.locator('input[name="email"]').fill(email)
    page.locator('input[name="password1"]').fill(PASSWORD)
    page.locator('input[name="password2"]').fill(PASSWORD)
    page.locator('form:has(input[name="password1"]) button[type="submit"]').click()
    # Verification is mandatory: allauth asks to check the inbox.
    expect(page).to_have_url(re.compile(r"/accounts/confirm-email/$"))


def confirm_email(page: Page, base_url: str, email: str) -> None:
    """Open the verification link from the e-mail and press "Confirm"."""
    message = email_to(email, "/accounts/confirm-email/")
    page.goto(base_url + link_in(message, "/accounts/confirm-email/"))
    expect(page.get_by_role("heading", name="Confirm Email Address")).to_be_visible()
    page.get_by_role("button", name="Confirm").click()
    expect(page.get_by_role("heading", name="Confirm Email Address")).to_have_count(0)
    page.wait_for_load_state()


def ensure_logged_in(page: Page, base_url: str, email: str) -> None:
    """ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION normally logs the person in on confirming; if not,
    log in with the password."""
    log_out = page.get_by_role("button", name="Log out")
    if log_out.count() == 0:
        page.goto(f"{base_url}/accounts/login/")
        page.locator('input[name="login"]').fill(email)
        page.locator('input[name="password"]').fill(PASSWORD)
        page.locator('form:has(input[name="password"]) button[type="submit"]').click()
    expect(log_out).to_be_visible()
    expect(page.get_by_role("link", name="Dashboard")).to_be_visible()


def test_signup_create_organization_and_invite_a_colleague_who_joins(
    new_page, live_server, settings, tmp_path
):
    base = live_server.url
    settings.SITE_URL = base
    founder = "founder@example.com"
    colleague = "colleague@example.com"

    # 1–3. Sign up, verify the address and be logged in.
    page = new_page()
    sign_up(page, base, founder)
    confirm_email(page, base, founder)
    ensure_logged_in(page, base, founder)

    # 4. Create an organization from the dashboard, with a logo.
    page.goto(f"{base}/dashboard/")
    expect(page.get_by_role("heading", name="Your dashboard")).to_be_visible()
    expect(page.get_by_text(f"Signed in as {founder}")).to_be_visible()
    page.get_by_role("link", name="Create an organization").click()
    expect(page.get_by_role("heading", name="Create an organization")).to_be_visible()
    logo = tmp_path / "logo.png"
    Image.new("RGB", (64, 64), (30, 120, 200)).save(logo)
    form = page.locator("form:has(input[name='legal_name'])")
    form.locator("input[name='legal_name']").fill("Acme Artificial Intelligence GmbH")
    form.locator("input[name='display_name']").fill("Acme AI")
    form.locator("input[name='slug']").fill("acme-ai")
    form.locator("input[name='website']").fill("https://acme.example")
    form.locator("select[name='country']").select_option("DE")
    form.locator("select[name='type']").select_option("company")
    form.locator("input[name='employees']").fill("250")
    form.locator("input[name='logo']").set_input_files(logo)
    form.get_by_role("button", name="Create").click()

    expect(page).to_have_url(f"{base}/dashboard/acme-ai/")
    expect(page.get_by_role("heading", name="Acme AI", level=1)).to_be_visible()
    expect(page.get_by_text("Acme AI is created, and you are its admin.")).to_be_visible()
    expect(page.get_by_role("heading", name="People and roles")).to_be_visible()
    expect(page.get_by_role("img", name="Acme AI logo")).to_be_visible()
    people = page.locator("section[aria-labelledby='people']")
    expect(people.get_by_text(founder, exact=True)).to_be_visible()
    expect(people.locator("input[name='roles'][value='admin']")).to_be_checked()
    org = Organization.objects.get(slug="acme-ai")
    assert org.display_name == "Acme AI"
    assert org.employees == 250
    assert org.logo.name.startswith("logos/")
    assert set(
        OrganizationRole.objects.filter(organization=org).values_list("user__email", "role")
    ) == {(founder, Role.ADMIN)}

    # 5. Invite a colleague as technical contact.
    invite_section = page.locator("section[aria-labelledby='invite']")
    expect(invite_section.get_by_role("heading", name="Invite a colleague")).to_be_visible()
    invite_form = invite_section.locator("form:has(input[name='email'])")
    invite_form.locator("input[name='email']").fill(colleague)
    invite_form.locator("input[name='roles'][value='technical']").check()
    invite_form.get_by_role("button", name="Send invitation").click()

    expect(page).to_have_url(f"{base}/dashboard/acme-ai/")
    expect(page.get_by_text(f"Invitation sent to {colleague}")).to_be_visible()
    pending = page.locator("section[aria-labelledby='invite'] ul.plain li")
    expect(pending).to_have_count(1)
    expect(pending.first).to_contain_text(colleague)
    expect(pending.first).to_contain_text("Technical contact")
    invitation = Invitation.objects.get(organization=org, email=colleague)
    assert invitation.status == Invitation.Status.PENDING
    assert invitation.roles == [Role.TECHNICAL]
    invitation_message = email_to(colleague, "/invitations/")
    invitation_path = link_in(invitation_message, "/invitations/")
    assert "Acme AI" in invitation_message.subject
    page.screenshot(path=tmp_path / "organization.png", full_page=True)

    # 6. A new visitor opens the link, signs up with the invited address and joins.
    visitor = new_page()
    visitor.goto(base + invitation_path)
    expect(visitor.get_by_role("heading", name="Join Acme AI")).to_be_visible()
    expect(visitor.get_by_text(colleague).first).to_be_visible()
    visitor.get_by_role("link", name="Sign up to accept").click()
    expect(visitor).to_have_url(re.compile(r"/accounts/signup/"))
    sign_up(visitor, base, colleague, open_form=False)
    confirm_email(visitor, base, colleague)
    ensure_logged_in(visitor, base, colleague)

    assert set(
        OrganizationRole.objects.filter(organization=org, user__email=colleague).values_list(
            "role", flat=True
        )
    ) == {Role.TECHNICAL}
    invitation.refresh_from_db()
    assert invitation.status == Invitation.Status.ACCEPTED
    assert invitation.accepted_by.email == colleague

    visitor.goto(f"{base}/dashboard/")
    expect(visitor.get_by_role("link", name="Acme AI")).to_be_visible()
    visitor.get_by_role("link", name="Acme AI").click()
    expect(visitor).to_have_url(f"{base}/dashboard/acme-ai/")
    expect(visitor.get_by_role("heading", name="People and roles")).to_be_visible()
    # The colleague is no admin: no invitation form for them.
    expect(visitor.get_by_role("heading", name="Invite a colleague")).to_have_count(0)

    # The admin sees the colleague among the people, and no pending invitation any more.
    page.reload()
    people = page.locator("section[aria-labelledby='people']")
    expect(people.get_by_text(colleague, exact=True)).to_be_visible()
    expect(page.locator("section[aria-labelledby='invite'] ul.plain li")).to_have_count(0)
