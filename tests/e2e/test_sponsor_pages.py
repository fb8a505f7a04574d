"""The sponsor's pages as a phone and a laptop show them: the pledge form empty, with its
level checked and with errors; the credits panel
on the organization's page; the contact's edit and a benefit's input. Nothing scrolls sideways
and axe-core finds no serious or critical violation. The pledge page's buttons are plain form
submissions: the page has no script of its own."""

from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import Page

from credits.models import Benefit, Level, Pledge, Provider
from credits.services import pledges
from credits.services.pledges import Contact, ContributionInput
from foundation.checklists.models import ChecklistItem
from tests.accounts.factories import OrganizationFactory, UserFactory
from tests.e2e.conftest import DEFAULT_TIMEOUT_MS
from tests.e2e.test_every_page import LAPTOP, PHONE, check, log_in

pytestmark = [pytest.mark.e2e, pytest.mark.urls("tests.e2e.test_every_page")]


@pytest.fixture
def sponsor(db, django_capture_on_commit_callbacks, settings):
    settings.CREDITS_PROGRAMME_YEAR = None
    supporter = Level.objects.create(name="Supporter", threshold_usd=Decimal("250000"), order=3)
    advocate = Level.objects.create(name="Advocate", threshold_usd=Decimal("500000"), order=2)
    Level.objects.create(name="Champion", threshold_usd=Decimal("1000000"), order=1)
    owner = UserFactory(email="marketing@foundation.example", is_staff=True)
    Benefit.objects.create(key="website-placement", title="Website placement", level=supporter,
                           fulfilment=Benefit.Fulfilment.AUTOMATIC, default_owner=owner)
    Benefit.objects.create(
        key="online-programme-slot", title="Online programme slot", level=advocate,
        fulfilment=Benefit.Fulfilment.SPONSOR_INPUT, default_owner=owner,
        sponsor_must_provide="The format (live webinar, live stream or on-demand webinar) "
                             "and proposed dates")
    aws = Provider.objects.create(name="Amazon Web Services", services="EC2\nS3")
    org, admin = OrganizationFactory.with_admin(
        legal_name="Walker Cloud Infrastructure Incorporated", slug="walker-cloud")
    today = timezone.localdate()
    with django_capture_on_commit_callbacks(execute=True):
        pledge = pledges.pledge_submit(
            organization=org, actor=admin, listed_publicly=True,
            contributions=[
                ContributionInput(kind="credit", provider=aws, service="EC2, S3 and SageMaker",
                                  face_value=Decimal("400000"), valid_from=today,
                                  valid_to=today.replace(year=today.year + 1),
                                  redemption_method="other",
                                  redemption_note="Credits applied to the foundation's org"),
                ContributionInput(kind="cash", cash_amount=Decimal("100000"))],
            contact=Contact(name="Lin Cloud", email="lin.cloud.support@walker-cloud.example",
                            sla_hours=24, support_channel=Pledge.Channel.TICKET,
                            support_channel_value="https://support.walker-cloud.example/oss/"
                                                  "tickets/new?queue=pytorch-foundation",
                            support_hours="Monday to Friday, 9:00–17:00 PT"))
        pledges.pledge_confirm(pledge_id=pledge.pk, actor=owner, agreement_signed_on=today)
    return org, admin, pledge


def test_the_sponsors_pages_fit_a_phone_and_pass_axe(browser, live_server, sponsor):
    org, admin, pledge = sponsor
    item = ChecklistItem.objects.get(key="online-programme-slot")
    problems: list[str] = []
    for viewport, scheme in ((PHONE, "light"), (LAPTOP, "light"), (PHONE, "dark")):
        context = browser.new_context(viewport=viewport, color_scheme=scheme)
        context.set_default_timeout(DEFAULT_TIMEOUT_MS)
        try:
            page: Page = context.new_page()
            log_in(page, live_server.url, admin.email)
            for url, shot in ((f"/dashboard/{org.slug}/", "sponsor-organization"),
                              ("/dashboard/", ""), ("/credits/pledge/", "pledge"),
                              (f"/credits/pledges/{pledge.pk}/contact/", ""),
                              (f"/credits/benefits/{item.pk}/", "")):
                page.goto(f"{live_server.url}{url}")
                check(page, url, problems, shot=shot, scheme=scheme if scheme == "dark" else "")
            page.goto(f"{live_server.url}/credits/pledge/")
            page.get_by_role("button", name="Add a contribution").click()
            page.locator('[name="contributions-0-face_value"]').fill("$100,000")
            page.locator('[name="contributions-1-kind"][value="cash"]').check()
            page.locator('[name="contributions-1-cash_amount"]').fill("50000")
            page.get_by_role("button", name="Check the level").click()
            assert "$350,000 more reaches Champion" in page.content()
            check(page, "the pledge's level checked", problems, shot="pledge-level")
            page.locator('[name="sla_hours"]').fill("soon")
            page.get_by_role("button", name="Submit the pledge").click()
            assert "positive whole number of hours" in page.content()
            check(page, "the pledge with errors", problems)
        finally:
            context.close()
    assert not problems, "\n".join(problems)
