"""A hosted project's credits, end to end in a real browser: its maintainer requests credits
from the dashboard (the form shows each provider's balance, expiry and technical contact,
and fits a phone), staff approve part of it with the rest covered from earmarked cash, the
maintainer imports usage from a CSV, and the project's dashboard and the public
transparency page show the new figures."""

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from credits.ledger import balances, posting
from credits.models import Provider, ResourceRequest, UsageRecord
from projects.models import Project, ProjectMaintainer
from tests.accounts.factories import UserFactory
from tests.credits.ledger_helpers import a_pledge, received_cash, received_credit
from tests.e2e.test_every_page import PHONE
from tests.e2e.test_membership_journeys import admin_log_in, email_to, log_in
from tests.e2e.test_sponsor_journey import sideways

pytestmark = [pytest.mark.e2e]

PURPOSE = "Nightly GPU benchmarks of TorchTide's training loops"
NOTE = "Six thousand in credits now; the rest from earmarked cash until more credits arrive."


def test_a_maintainer_requests_credits_staff_approve_in_part_with_cash_and_usage_is_imported(
    new_page, live_server, settings
):
    base = live_server.url
    settings.SITE_URL = base
    today = timezone.localdate()
    staff = UserFactory(email="desk@foundation.example", is_staff=True, is_superuser=True)
    maintainer = UserFactory(email="mara@tide.example", first_name="Mara", last_name="Tide")
    project = Project.objects.create(slug="torchtide", name="TorchTide",
                                     status=Project.Status.HOSTED)
    ProjectMaintainer.objects.create(project=project, user=maintainer)
    nimbus = Provider.objects.create(name="Nimbus Cloud")
    expires = today + timedelta(days=200)
    posting.receive_contribution(received_credit(a_pledge(), nimbus, "10000", expires, today))
    posting.receive_contribution(received_cash(a_pledge(), "5000", today))

    # 1. The maintainer asks for $8,000 from the dashboard, on a phone-wide screen.
    mara = new_page()
    log_in(mara, base, maintainer.email)
    mara.set_viewport_size(PHONE)
    mara.goto(f"{base}/dashboard/")
    card = mara.locator(f"#pool-{project.pk}")
    expect(card).to_contain_text("TorchTide has no credits allocated yet.")
    card.get_by_role("link", name="Request credits").click()
    expect(mara.get_by_role("heading", name="Request cloud credits for TorchTide")).to_be_visible()
    offer = mara.locator(f"#offer-{nimbus.pk}")
    expect(offer).to_contain_text("$10,000")
    expect(offer).to_contain_text(f"{expires.day} {expires:%B %Y}")
    expect(offer).to_contain_text("Lin Cloud")
    expect(offer).to_contain_text("24 hours")
    assert sideways(mara) <= 0, "the request page scrolls sideways at 390px"
    mara.locator("[name='provider']").select_option(label="Nimbus Cloud")
    mara.locator("[name='amount']").fill("8000")
    mara.locator("[name='purpose']").fill(PURPOSE)
    mara.locator("[name='starts_on']").fill(today.isoformat())
    mara.locator("[name='ends_on']").fill((today + timedelta(days=120)).isoformat())
    mara.locator("[name='monthly_use']").fill("2000")
    mara.get_by_role("button", name="Send the request").click()
    expect(mara).to_have_url(f"{base}/dashboard/#pool-{project.pk}")
    expect(mara.get_by_text("request for $8,000 of Nimbus Cloud credits is sent")).to_be_visible()
    expect(card).to_contain_text("Waiting for a decision")
    request = ResourceRequest.objects.get(project=project)

    # 2. Staff approve $6,000 of credits and cover $1,000 from earmarked cash.
    desk = new_page()
    admin_log_in(desk, base, staff.email)
    expect(desk.get_by_text("1 resource request to decide")).to_be_visible()
    desk.goto(f"{base}/admin/credits/resourcerequest/{request.pk}/change/")
    desk.get_by_role("link", name="Approve or reject").click()
    expect(desk.get_by_text("Available now: $10,000 of Nimbus Cloud credits")).to_be_visible()
    desk.locator("[name='decision'][value='approve']").check()
    desk.locator("[name='amount']").fill("6000")
    desk.locator("[name='cash_cover']").fill("1000")
    desk.locator("[name='note']").fill(NOTE)
    desk.get_by_role("button", name="Decide").click()
    expect(desk.get_by_text("is approved; the maintainers are told")).to_be_visible()
    request.refresh_from_db()
    assert (request.status, request.approved_amount, request.cash_cover) == (
        "approved", Decimal("6000.00"), Decimal("1000.00"))
    assert request.ledger_transaction.kind == "cash_cover"
    assert "$1,000 covered from the foundation's earmarked cash" in email_to(
        maintainer.email, "approved").body

    # 3. The dashboard shows the allocation; the maintainer imports usage from a CSV.
    mara.goto(f"{base}/dashboard/")
    allocation = posting.allocation_account(project, nimbus)
    row = mara.locator(f"#allocation-{allocation.pk}")
    expect(row).to_contain_text("$7,000")
    expect(row).to_contain_text("$1,000 from cash")
    expect(card).to_contain_text(NOTE)
    card.get_by_role("link", name="Import usage (CSV)").click()
    expect(mara.get_by_text(f"Allocation {allocation.pk}: Nimbus Cloud")).to_be_visible()
    assert sideways(mara) <= 0, "the import page scrolls sideways at 390px"
    csv = (f"allocation,date,amount,note\n"
           f"{allocation.pk},{today - timedelta(days=1)},1200.25,GPU runners\n"
           f"{allocation.pk},{today},300,Storage\n")
    mara.locator("[name='file']").set_input_files(
        {"name": "usage.csv", "mimeType": "text/csv", "buffer": csv.encode()})
    mara.get_by_role("button", name="Import the usage").click()
    expect(mara.get_by_text("2 usage lines recorded.")).to_be_visible()
    assert UsageRecord.objects.filter(allocation=allocation).count() == 2

    # 4. The project's figures: allocated, used, remaining, the soonest expiry.
    row = mara.locator(f"#allocation-{allocation.pk}")
    expect(row).to_contain_text("$1,500.25")
    expect(row).to_contain_text("$5,499.75")
    expect(row).to_contain_text(f"{expires.day} {expires:%B %Y}")
    assert balances.allocation_balance(project, nimbus) == Decimal("5499.75")

    # 5. The public transparency page counts the same.
    visitor = new_page()
    visitor.goto(f"{base}/credits/transparency/")
    nimbus_row = visitor.get_by_role("row", name=re.compile("Nimbus Cloud"))
    for figure in ("$10,000", "$6,000", "$1,500.25", "$4,000"):
        expect(nimbus_row).to_contain_text(figure)
    cash_row = visitor.get_by_role("row", name=re.compile("Earmarked cash"))
    for figure in ("$5,000", "$1,000", "$4,000"):
        expect(cash_row).to_contain_text(figure)
