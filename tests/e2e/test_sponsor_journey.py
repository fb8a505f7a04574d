"""Sponsoring the cloud credit programme, end to end in a real browser: an organization's admin
pledges credit and cash on /credits/pledge/ (the page fits a phone), staff confirm the pledge
in the admin, the benefits checklist appears on the sponsor's page, the sponsor picks the
webinar's format there, staff deliver it with proof in the admin, and the sponsor sees it
delivered while /credits/ shows the sponsor on its wall at its level."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from credits.demo import seed_programme
from credits.models import Contribution, Pledge, SponsorYear
from foundation.billing.models import Invoice
from foundation.checklists.models import ChecklistItem
from tests.accounts.factories import OrganizationFactory, UserFactory
from tests.e2e.test_every_page import PHONE
from tests.e2e.test_membership_journeys import admin_log_in, log_in, wait_for

pytestmark = [pytest.mark.e2e]

WEBINAR = "Bonus online programme slot"
PROOF = "https://events.example/webinars/nimbus-compute-for-pytorch"


def sideways(page: Page) -> int:
    return page.evaluate("document.documentElement.scrollWidth - window.innerWidth")


def pledge_in_browser(page: Page, base: str, org, aws) -> None:
    """$400,000 of AWS credit and $100,000 cash, the level checked, then submitted; on a
    phone-wide screen, which must never scroll sideways."""
    page.set_viewport_size(PHONE)
    page.goto(f"{base}/credits/pledge/")
    expect(page.get_by_role("heading", name=f"Pledge to the cloud credit programme: {org}"))\
        .to_be_visible()
    assert sideways(page) <= 0
    today = timezone.localdate()
    page.locator("[name='contributions-0-provider']").select_option(str(aws.pk))
    page.locator("[name='contributions-0-service']").fill("EC2 GPU instances and S3")
    page.locator("[name='contributions-0-face_value']").fill("$400,000")
    page.locator("[name='contributions-0-valid_from']").fill(today.isoformat())
    page.locator("[name='contributions-0-valid_to']").fill(
        (today + timedelta(days=365)).isoformat())
    page.locator("[name='contributions-0-redemption_method']").select_option("account_credit")
    page.get_by_role("button", name="Add a contribution").click()
    page.locator("[name='contributions-1-kind'][value='cash']").check()
    page.locator("[name='contributions-1-cash_amount']").fill("100000")
    page.locator("[name='po_number']").fill("PO-NIMBUS-17")
    page.locator("[name='tax_id']").fill("US-94-1234567")
    page.locator("[name='contact_name']").fill("Lin Cloud")
    page.locator("[name='contact_email']").fill("lin@nimbus.example")
    page.locator("[name='sla_hours']").fill("24")
    page.locator("[name='support_channel'][value='email']").check()
    page.locator("[name='support_channel_value']").fill("oss-support@nimbus.example")
    page.locator("[name='listed_publicly']").check()
    page.get_by_role("button", name="Check the level").click()
    level = page.locator("#level")
    expect(level).to_contain_text("This pledge: $500,000.")
    expect(level).to_contain_text("$500,000: Advocate.")
    expect(level).to_contain_text("$500,000 more reaches Champion ($1,000,000).")
    assert sideways(page) <= 0, "the pledge page scrolls sideways at 390px"
    assert not Pledge.objects.exists()  # only checked so far
    page.get_by_role("button", name="Submit the pledge").click()
    expect(page).to_have_url(f"{base}/dashboard/{org.slug}/#credits")
    expect(page.get_by_text(f"Thank you: {org}’s pledge for")).to_be_visible()


def test_a_sponsor_pledges_is_confirmed_and_sees_its_webinar_delivered(
    new_page, live_server, settings
):
    base = live_server.url
    settings.SITE_URL = base
    settings.STRIPE_SECRET_KEY = ""
    settings.CREDITS_PROGRAMME_YEAR = None
    staff = UserFactory(email="desk@foundation.example", is_staff=True, is_superuser=True)
    aws = seed_programme(UserFactory(email="marketing@foundation.example", is_staff=True))["AWS"]
    org, admin = OrganizationFactory.with_admin(
        legal_name="Nimbus Compute Inc.", display_name="Nimbus Compute", slug="nimbus-compute",
        website="https://nimbus.example/")

    # 1. The organization's admin pledges credit and cash.
    sponsor = new_page()
    log_in(sponsor, base, admin.email)
    pledge_in_browser(sponsor, base, org, aws)
    pledge = Pledge.objects.get(organization=org)
    assert pledge.status == Pledge.Status.SUBMITTED
    assert pledge.total == Decimal("500000.00")
    assert sorted(pledge.contributions.values_list("kind", flat=True)) == ["cash", "credit"]
    panel = sponsor.locator("section[aria-labelledby='credits']")
    expect(panel).to_contain_text(f"Pledge for {pledge.year}: $500,000")
    expect(panel).to_contain_text("Submitted")
    expect(panel).not_to_contain_text("Your benefits")  # no checklist before confirmation

    # 2. Staff confirm it in the admin: the cash is invoiced, the checklist made.
    desk = new_page()
    admin_log_in(desk, base, staff.email)
    desk.goto(f"{base}/admin/credits/pledge/{pledge.pk}/change/")
    desk.locator(".object-tools").get_by_role("link", name="Confirm", exact=True).click()
    expect(desk).to_have_url(f"{base}/admin/credits/pledge/{pledge.pk}/confirm/")
    expect(desk.locator("input[name='agreement_signed_on']")).to_have_value(
        timezone.localdate().isoformat())
    desk.get_by_role("button", name="Confirm the pledge").click()
    expect(desk).to_have_url(f"{base}/admin/credits/pledge/{pledge.pk}/change/")
    expect(desk.locator(".messagelist")).to_contain_text("is confirmed")
    pledge.refresh_from_db()
    assert pledge.status == Pledge.Status.CONFIRMED
    assert pledge.agreement_signed_on == timezone.localdate()
    invoice = Invoice.objects.get(organization=org)
    assert invoice.total == Decimal("100000.00") and invoice.po_number == "PO-NIMBUS-17"
    assert pledge.contributions.get(kind=Contribution.Kind.CASH).invoice == invoice
    wait_for(lambda: SponsorYear.objects.filter(organization=org, level__name="Advocate")
             .exists(), "the sponsor year at Advocate")
    sponsor_year = SponsorYear.objects.get(organization=org, year=pledge.year)
    wait_for(lambda: ChecklistItem.objects.for_holder(sponsor_year).count() == 2,
             "the Advocate's checklist")
    checklist = {item.key: item for item in ChecklistItem.objects.for_holder(sponsor_year)}
    assert set(checklist) == {"website-placement", "online-programme-slot"}
    webinar = checklist["online-programme-slot"]
    assert webinar.status == ChecklistItem.Status.WAITING_ON_MEMBER
    # A listed sponsor is on the wall once confirmed: its website placement is delivered.
    assert checklist["website-placement"].status == ChecklistItem.Status.DELIVERED

    # 3. The checklist is on the sponsor's page; the sponsor picks the webinar's format.
    sponsor.reload()
    expect(panel).to_contain_text(f"Advocate for {pledge.year}, with $500,000 of confirmed "
                                  "contributions.")
    item = sponsor.locator(f"#sponsor-item-{webinar.pk}")
    expect(item).to_contain_text(WEBINAR)
    expect(item).to_contain_text("Waiting on the member")
    item.get_by_label("Live webinar").check()
    item.locator(f"[name='item-{webinar.pk}-dates']").fill("12 or 19 May")
    item.get_by_role("button", name="Send").click()
    expect(sponsor.get_by_text(f"Thank you: “{WEBINAR}” is with our team.")).to_be_visible()
    webinar.refresh_from_db()
    assert webinar.member_input == "Live webinar. Proposed dates: 12 or 19 May"
    assert webinar.status == ChecklistItem.Status.TODO
    expect(sponsor.locator(f"#sponsor-item-{webinar.pk}")).to_contain_text(
        "You sent: Live webinar. Proposed dates: 12 or 19 May")

    # 4. Staff deliver it with proof in the admin.
    desk.goto(f"{base}/admin/credits/sponsorbenefititem/{webinar.pk}/change/")
    desk.locator(".object-tools").get_by_role("link", name="Deliver with proof").click()
    expect(desk).to_have_url(f"{base}/admin/credits/sponsorbenefititem/{webinar.pk}/deliver/")
    expect(desk.get_by_text("the sponsor gave: Live webinar. Proposed dates: 12 or 19 May"))\
        .to_be_visible()
    desk.locator("textarea[name='proof']").fill(PROOF)
    desk.get_by_role("button", name="Deliver").click()
    expect(desk.locator(".messagelist")).to_contain_text("is delivered; the sponsor is told.")
    webinar.refresh_from_db()
    assert webinar.status == ChecklistItem.Status.DELIVERED and webinar.proof == PROOF

    # 5. The sponsor sees it delivered, with its proof, and nothing more to send.
    sponsor.reload()
    item = sponsor.locator(f"#sponsor-item-{webinar.pk}")
    expect(item.locator(".badge")).to_have_text("Delivered")
    expect(item.get_by_role("link", name=PROOF)).to_have_attribute("href", PROOF)
    expect(item.locator(f"[name='item-{webinar.pk}-dates']")).to_have_count(0)

    # 6. Anyone sees the sponsor on the wall at its level, and only there.
    visitor = new_page()
    visitor.goto(f"{base}/credits/")
    advocates = visitor.locator("section.member-group:has(h3:text-is('Advocate sponsors'))")
    expect(advocates.get_by_role("link", name="Nimbus Compute")).to_be_visible()
    for other in ("Champion sponsors", "Supporter sponsors"):
        expect(visitor.locator(f"section.member-group:has(h3:text-is('{other}'))"))\
            .not_to_contain_text("Nimbus Compute")
