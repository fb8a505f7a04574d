"""Joining the foundation, end to end in a real browser: an organization's admin applies, the
signatory accepts the agreement from the e-mailed link, the invoice is issued and paid (by the
Stripe webhook for General, by a wire payment staff record for Premier after the board's
approval), and the organization shows up in the public member directory."""

import json
import re
import time
import urllib.request
from decimal import Decimal

import pytest
from django.core import mail
from django.utils import timezone
from playwright.sync_api import Page, expect

from foundation.accounts.models import Organization
from foundation.billing.models import Invoice, Payment
from members.demo_programme import seed_catalogue
from members.models import Application, Membership, Tier
from tests.accounts.factories import PASSWORD, OrganizationFactory, UserFactory
from tests.billing.webhooks import URL as WEBHOOK_PATH
from tests.billing.webhooks import WEBHOOK_SECRET, invoice_event, signature
from tests.mail import link_in
from tests.mfa import totp_code

pytestmark = [pytest.mark.e2e]

SIGNATORY = "cfo@acme.example"
ACCOUNTS_PAYABLE = "ap@acme.example"


def email_to(address: str, pattern: str, timeout: float = 5.0):
    """The newest message to `address` whose subject or body contains `pattern`. Mail is sent
    after commit by an (eager) Celery task in the live server's thread: wait a little."""
    deadline = time.monotonic() + timeout
    while True:
        for message in reversed(mail.outbox):
            if address in message.to and (pattern in message.body or pattern in message.subject):
                return message
        if time.monotonic() > deadline:
            sent = [(m.to, m.subject) for m in mail.outbox]
            raise AssertionError(f"No e-mail to {address} with {pattern!r}; sent: {sent}")
        time.sleep(0.05)


def wait_for(condition, what: str, timeout: float = 5.0) -> None:
    """Poll the database until `condition()` holds (work done after commit elsewhere)."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"Timed out waiting for {what}")
        time.sleep(0.05)


def log_in(page: Page, base: str, email: str) -> None:
    page.goto(f"{base}/accounts/login/")
    page.locator('input[name="login"]').fill(email)
    page.locator('input[name="password"]').fill(PASSWORD)
    page.locator('form:has(input[name="password"]) button[type="submit"]').click()
    expect(page.get_by_role("button", name="Log out")).to_be_visible()


def admin_log_in(page: Page, base: str, email: str) -> None:
    """Staff open the admin: the portal's login, then the code their authenticator app shows."""
    page.goto(f"{base}/admin/")
    expect(page).to_have_url(re.compile(r"/accounts/login/"))
    page.locator('input[name="login"]').fill(email)
    page.locator('input[name="password"]').fill(PASSWORD)
    page.locator('form:has(input[name="password"]) button[type="submit"]').click()
    page.locator('input[name="code"]').fill(totp_code())
    page.get_by_role("button", name="Log in", exact=True).click()
    expect(page.locator("#site-name")).to_be_visible()
    expect(page).to_have_url(f"{base}/admin/")


def fill_application(page: Page, tier: Tier, *, questionnaire: bool = False) -> None:
    """Fill in an organization's application for `tier` (the page must be open)."""
    form = page.locator("form:has(input[name='signatory_email'])")
    form.locator(f"input[name='tier'][value='{tier.pk}']").check()
    form.locator("input[name='signatory_name']").fill("Clara Finck")
    form.locator("input[name='signatory_title']").fill("Chief Financial Officer")
    form.locator("input[name='signatory_email']").fill(SIGNATORY)
    form.locator("input[name='billing_email']").fill(ACCOUNTS_PAYABLE)
    form.locator("textarea[name='billing_address']").fill(
        "Acme AI GmbH\nHauptstrasse 1\n10115 Berlin"
    )
    form.locator("input[name='po_number']").fill("PO-7781")
    form.locator("input[name='tax_id']").fill("DE123456789")
    if questionnaire:
        form.locator("textarea[name='motivation']").fill("PyTorch is the core of our stack.")
        form.locator("textarea[name='planned_contributions']").fill(
            "Two full-time maintainers for the compiler and CI hardware."
        )
        form.locator("input[name='board_representative']").fill("Dana Board, CTO")
        form.locator("input[name='tac_representative']").fill("Tomas Tech, Principal Engineer")
    form.locator("input[name='lf_silver_attested']").check()
    form.locator("input[name='agreement_accepted']").check()


def apply_in_browser(
    page: Page,
    base: str,
    org: Organization,
    tier: Tier,
    *,
    fee_text: str,
    questionnaire: bool = False,
    open_form: bool = True,
) -> Application:
    """Apply, review the computed fee, submit; land on the organization's dashboard."""
    if open_form:
        page.goto(f"{base}/membership/apply/")
    expect(page).to_have_url(re.compile(rf"{base}/dashboard/{org.slug}/apply/"))
    expect(page.get_by_role("heading", name=f"Apply for membership: {org}")).to_be_visible()
    fill_application(page, tier, questionnaire=questionnaire)
    page.get_by_role("button", name="Review fee").click()

    fee = page.locator("#fee")
    expect(fee).to_contain_text(fee_text)
    expect(fee).to_contain_text("plus Linux Foundation Silver membership")
    assert not Application.objects.filter(organization=org).exists()  # only reviewed so far

    fee.get_by_role("button", name="Submit application").click()
    expect(page).to_have_url(f"{base}/dashboard/{org.slug}/")
    expect(page.get_by_text("your application is submitted")).to_be_visible()
    return Application.objects.get(organization=org)


def sign_agreement(new_page, base: str, org: Organization, fee: str) -> None:
    """The signatory opens the e-mailed link in their own browser (no account) and accepts."""
    message = email_to(SIGNATORY, "/membership/sign/")
    signer = new_page()
    signer.goto(base + link_in(message, "/membership/sign/"))
    expect(signer.get_by_role("heading", name=re.compile("agreement", re.I))).to_be_visible()
    expect(signer.get_by_text(f"Yearly fee: ${fee}")).to_be_visible()
    signer.locator("input[name='name']").fill("Clara Finck")
    signer.get_by_role("button", name=f"I accept on behalf of {org.display_name}").click()
    expect(signer.get_by_role("heading", name="Thank you")).to_be_visible()
    # The link works once.
    signer.goto(base + link_in(message, "/membership/sign/"))
    expect(signer.get_by_text("This signature link has been used already.")).to_be_visible()


def membership_panel(page: Page):
    return page.locator("section[aria-labelledby='membership-h']")


def invoices_table(page: Page):
    return page.locator("section[aria-labelledby='invoices'] table")


def post_webhook(base: str, event: dict) -> int:
    body = json.dumps(event).encode()
    request = urllib.request.Request(
        base + WEBHOOK_PATH,
        data=body,
        method="POST",
        headers={"Content-Type": "application/json", "Stripe-Signature": signature(body)},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.status


def test_general_membership_applied_signed_invoiced_and_paid_through_stripe(
    new_page, live_server, settings
):
    base = live_server.url
    settings.SITE_URL = base
    settings.STRIPE_SECRET_KEY = ""
    settings.STRIPE_WEBHOOK_SECRET = WEBHOOK_SECRET
    tiers = seed_catalogue()
    # The organization's record is out of date; the admin corrects the size when applying.
    org, admin = OrganizationFactory.with_admin(
        legal_name="Acme AI GmbH", display_name="Acme AI", slug="acme-ai", employees=800
    )

    # 1. The admin logs in, finds the tiers and applies for General.
    page = new_page()
    log_in(page, base, admin.email)
    page.goto(f"{base}/membership/")
    scale = page.locator("section[aria-labelledby='scale-general']")
    expect(scale.get_by_role("row", name=re.compile(r"1,000.*\$35,000"))).to_be_visible()
    page.get_by_role("link", name="Apply for General").click()
    expect(page).to_have_url(f"{base}/dashboard/acme-ai/apply/?tier={tiers['general'].pk}")
    expect(page.locator(f"input[name='tier'][value='{tiers['general'].pk}']")).to_be_checked()
    expect(page.locator("dl.facts")).to_contain_text("800")
    # The size on file is out of date: it is changed on the organization's page, not here.
    page.get_by_role("link", name="Change them on the organization’s page").click()
    page.locator("input[name='employees']").fill("1200")
    page.get_by_role("button", name="Save").click()
    page.get_by_role("link", name="Apply for membership").click()
    expect(page.locator("dl.facts")).to_contain_text("1,200")
    application = apply_in_browser(
        page,
        base,
        org,
        tiers["general"],
        fee_text="Your yearly fee as a General member: $35,000.00",
        open_form=False,
    )
    assert application.status == Application.Status.APPROVED  # no board review for General
    assert application.annual_fee == Decimal("35000.00")
    assert application.employees == 1200
    org.refresh_from_db()
    assert org.employees == 1200
    panel = membership_panel(page)
    expect(panel).to_contain_text("Application: General")
    expect(panel).to_contain_text("Waiting for your signatory, Clara Finck (cfo@acme.example), "
                                  "to accept the membership agreement.")
    expect(panel).not_to_contain_text("Approved")  # not before the signatory has signed
    assert not Invoice.objects.filter(organization=org).exists()  # not before the signature

    # 2. The signatory accepts from the e-mailed link; the invoice is issued at once.
    sign_agreement(new_page, base, org, "35,000.00")
    invoice = Invoice.objects.get(organization=org)
    assert invoice.status == Invoice.Status.OPEN
    assert invoice.total == Decimal("35000.00")
    assert invoice.po_number == "PO-7781"
    assert invoice.number
    assert set(invoice.billing_emails) == {admin.email, ACCOUNTS_PAYABLE}
    for address in (admin.email, ACCOUNTS_PAYABLE):
        issued = email_to(address, f"Invoice {invoice.number}")
        assert "$35,000.00" in issued.body
        assert f"/dashboard/acme-ai/invoices/{invoice.pk}/" in issued.body
    membership = Membership.objects.get(organization=org)
    assert membership.status == Membership.Status.PENDING

    page.reload()
    expect(membership_panel(page)).to_contain_text(
        f"Waiting for payment of invoice {invoice.number} ($35,000.00, due "
    )
    expect(membership_panel(page)).to_contain_text(
        "your General membership starts when it is paid."
    )
    row = invoices_table(page).locator("tbody tr")
    expect(row).to_have_count(1)
    expect(row).to_contain_text(invoice.number)
    expect(row).to_contain_text("Open")

    # 3. Stripe reports the payment through the signed webhook.
    event = invoice_event("invoice.paid", invoice, event_id="evt_e2e_general", id="in_e2e_1")
    assert post_webhook(base, event) == 200
    wait_for(
        lambda: Membership.objects.get(pk=membership.pk).status == Membership.Status.ACTIVE,
        "the membership to become active",
    )
    invoice.refresh_from_db()
    assert invoice.status == Invoice.Status.PAID
    assert invoice.stripe_invoice_id == "in_e2e_1"
    payment = Payment.objects.get(invoice=invoice)
    assert payment.method == Payment.Method.STRIPE
    assert payment.amount == Decimal("35000.00")
    assert Payment.objects.count() == 1
    application.refresh_from_db()
    assert application.status == Application.Status.COMPLETED
    email_to(admin.email, f"Receipt: invoice {invoice.number} is paid")
    email_to(admin.email, "Welcome to")

    # 4. Anyone sees the new member in the directory.
    visitor = new_page()
    visitor.goto(f"{base}/members/")
    general = visitor.locator("section:has(h2:text-is('General members'))")
    expect(general).to_be_visible()
    expect(general.get_by_text("Acme AI").first).to_be_visible()
    expect(visitor.get_by_role("heading", name="Premier members")).to_have_count(0)

    # 5. The admin's dashboard: an active membership and a paid invoice.
    page.reload()
    panel = membership_panel(page)
    today = timezone.localdate()
    expect(panel).to_contain_text(f"member since {today.day} {today:%B %Y}")
    expect(panel).to_contain_text(
        f"Complete: your General membership started on {today.day} {today:%B %Y}.")
    timeline = panel.locator("ol.timeline li")
    expect(timeline).to_have_count(3)
    expect(timeline.nth(0)).to_contain_text("submitted a General application.")
    expect(timeline.nth(1)).to_contain_text(
        "The signatory, Clara Finck, accepted the membership agreement.")
    expect(timeline.nth(2)).to_contain_text("The application is complete")
    row = invoices_table(page).locator("tbody tr")
    expect(row).to_contain_text("Paid")
    row.get_by_role("link", name=invoice.number).click()
    expect(page.get_by_role("heading", name=f"Invoice {invoice.number}")).to_be_visible()
    expect(page.locator("article.invoice tfoot")).to_contain_text("$35,000.00")
    expect(page.get_by_text(re.compile(r"Paid .* Thank you\."))).to_be_visible()


def test_premier_membership_board_approved_and_paid_by_wire(new_page, live_server, settings):
    base = live_server.url
    settings.SITE_URL = base
    settings.STRIPE_SECRET_KEY = ""
    settings.STAFF_EMAILS = []
    tiers = seed_catalogue()
    org, admin = OrganizationFactory.with_admin(
        legal_name="Acme AI GmbH", display_name="Acme AI", slug="acme-ai", employees=12000
    )
    staff = UserFactory(email="staff@foundation.example", is_staff=True, is_superuser=True)

    # 1. The admin applies for Premier, with the questionnaire.
    page = new_page()
    log_in(page, base, admin.email)
    application = apply_in_browser(
        page,
        base,
        org,
        tiers["premier"],
        fee_text="Your yearly fee as a Premier member: $150,000.00",
        questionnaire=True,
    )
    assert application.status == Application.Status.UNDER_REVIEW
    assert application.annual_fee == Decimal("150000.00")
    assert application.board_representative == "Dana Board, CTO"
    email_to(staff.email, "Acme AI")  # staff hear of the application

    # 2. The signatory accepts; nothing is invoiced before the board decides.
    sign_agreement(new_page, base, org, "150,000.00")
    application.refresh_from_db()
    assert application.signed_name == "Clara Finck"
    assert application.status == Application.Status.UNDER_REVIEW
    assert not Invoice.objects.filter(organization=org).exists()
    page.reload()
    panel = membership_panel(page)
    expect(panel).to_contain_text("Application: Premier")
    expect(panel).to_contain_text("Under review by the Governing Board; decision due ")
    expect(panel).not_to_contain_text("Waiting for your signatory")

    # 3. Staff approve the application in the admin: the invoice is issued.
    desk = new_page()
    admin_log_in(desk, base, staff.email)
    desk.goto(f"{base}/admin/members/application/{application.pk}/change/")
    desk.locator(".object-tools").get_by_role("link", name="Approve", exact=True).click()
    expect(desk).to_have_url(f"{base}/admin/members/application/{application.pk}/decide/approve/")
    expect(desk.get_by_text("Dana Board, CTO")).to_be_visible()
    expect(desk.get_by_text("agreement accepted by Clara Finck")).to_be_visible()
    desk.locator("textarea[name='note']").fill("Welcome aboard: approved by the board.")
    desk.get_by_role("button", name="Approve").click()
    expect(desk).to_have_url(f"{base}/admin/members/application/{application.pk}/change/")
    expect(desk.locator(".messagelist")).to_contain_text("recorded")
    # Once approved, the decision links are gone.
    expect(
        desk.locator(".object-tools").get_by_role("link", name="Approve", exact=True)
    ).to_have_count(0)

    application.refresh_from_db()
    assert application.status == Application.Status.APPROVED
    invoice = Invoice.objects.get(organization=org)
    assert invoice.status == Invoice.Status.OPEN
    assert invoice.total == Decimal("150000.00")
    email_to(ACCOUNTS_PAYABLE, f"Invoice {invoice.number}")
    decision = email_to(admin.email, "has approved")
    assert "Welcome aboard: approved by the board." in decision.body
    membership = Membership.objects.get(organization=org)
    assert membership.status == Membership.Status.PENDING
    assert membership.board_representative == "Dana Board, CTO"

    # 4. The wire transfer arrives; staff record it on the invoice.
    desk.goto(f"{base}/admin/billing/invoice/{invoice.pk}/change/")
    desk.locator(".object-tools").get_by_role("link", name="Record a wire payment").click()
    expect(desk).to_have_url(f"{base}/admin/billing/invoice/{invoice.pk}/mark-paid/")
    expect(desk.locator("input[name='amount']")).to_have_value("150000.00")
    desk.locator("input[name='reference']").fill("WIRE-2024-0042")
    desk.locator("input[name='received_on']").fill(timezone.localdate().isoformat())
    desk.get_by_role("button", name="Record").click()
    expect(desk).to_have_url(f"{base}/admin/billing/invoice/{invoice.pk}/change/")
    expect(desk.locator(".messagelist")).to_contain_text("is marked paid")

    invoice.refresh_from_db()
    assert invoice.status == Invoice.Status.PAID
    payment = Payment.objects.get(invoice=invoice)
    assert payment.method == Payment.Method.WIRE
    assert payment.reference == "WIRE-2024-0042"
    assert payment.amount == Decimal("150000.00")
    assert Payment.objects.count() == 1
    membership.refresh_from_db()
    assert membership.status == Membership.Status.ACTIVE
    assert membership.starts_on == timezone.localdate()
    application.refresh_from_db()
    assert application.status == Application.Status.COMPLETED
    email_to(admin.email, f"Receipt: invoice {invoice.number} is paid")

    # 5. The directory shows the new Premier member; the dashboard the active membership.
    visitor = new_page()
    visitor.goto(f"{base}/members/")
    premier = visitor.locator("section:has(h2:text-is('Premier members'))")
    expect(premier).to_be_visible()
    expect(premier.get_by_text("Acme AI").first).to_be_visible()
    page.reload()
    panel = membership_panel(page)
    expect(panel).to_contain_text("Premier member since")
    expect(panel).to_contain_text("Complete: your Premier membership started on ")
    timeline = panel.locator("ol.timeline li")
    expect(timeline).to_have_count(4)
    expect(timeline.nth(2)).to_contain_text(
        "approved the application: Welcome aboard: approved by the board.")
    expect(timeline.nth(3)).to_contain_text("The application is complete")
    expect(invoices_table(page).locator("tbody tr")).to_contain_text("Paid")
