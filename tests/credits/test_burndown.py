"""The burn-down: each provider's usage per month, what is left at each month's end, the
forecast from the trailing three complete months (none without usage), drawn as well-formed,
accessible SVG on the public page and on staff's page in the admin."""

import xml.etree.ElementTree as ET
from datetime import date, timedelta
from decimal import Decimal

import pytest

from credits import burndown_svg
from credits.ledger import posting
from credits.transparency import burndowns, forecast, month_start
from tests.credits.ledger_helpers import a_pledge, a_project, a_provider, received_credit

pytestmark = pytest.mark.django_db

TODAY = date(2026, 7, 15)
SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture
def cloud(db):
    """$12,000 of credits received in January; 1,000, 2,000 and 3,000 used in the three
    months before July, 500 so far in July, 4,000 long before (in February)."""
    provider, project = a_provider(), a_project()
    lot = received_credit(a_pledge(), provider, "20000", date(2027, 12, 31), date(2026, 1, 10))
    posting.receive_contribution(lot)
    posting.allocate(project, provider, Decimal("12000"), key="alloc", on=date(2026, 1, 20))
    allocation = posting.allocation_account(project, provider)
    for on, amount in [(date(2026, 2, 3), "4000"), (date(2026, 4, 9), "1000"),
                       (date(2026, 5, 1), "1500"), (date(2026, 5, 31), "500"),
                       (date(2026, 6, 30), "3000"), (date(2026, 7, 2), "500")]:
        posting.record_usage(allocation, Decimal(amount), on, key=f"use-{on}")
    return provider


def test_usage_is_grouped_by_month_and_what_is_left_follows_it(cloud):
    [burndown] = burndowns([cloud], TODAY)
    months = {m.start: m for m in burndown.months}
    assert len(burndown.months) == 12 and burndown.months[-1].start == date(2026, 7, 1)
    assert burndown.months[0].start == date(2025, 8, 1)
    assert months[date(2025, 12, 1)].left == 0  # before the receipt
    assert months[date(2026, 1, 1)].left == Decimal("20000")
    assert [months[date(2026, m, 1)].used for m in (2, 3, 4, 5, 6, 7)] == [
        Decimal("4000"), 0, Decimal("1000"), Decimal("2000"), Decimal("3000"), Decimal("500")]
    assert months[date(2026, 6, 1)].left == Decimal("10000")
    assert burndown.left == Decimal("9500")


def test_the_forecast_takes_the_three_complete_months_before_this_one(cloud):
    [burndown] = burndowns([cloud], TODAY)
    assert burndown.monthly_pace == Decimal("2000.00")  # (1,000 + 2,000 + 3,000) / 3
    # 9,500 / 2,000 = 4.75 months of 30.4375 days: 145 days.
    assert burndown.exhausted_on == TODAY + timedelta(days=145)


def test_no_usage_in_those_months_means_no_forecast(cloud):
    [burndown] = burndowns([cloud], date(2027, 3, 10))
    assert burndown.monthly_pace is None and burndown.exhausted_on is None
    assert "no forecast" in burndown_svg.describe(burndown)


def test_a_provider_with_nothing_received_has_no_burndown(cloud):
    assert burndowns([a_provider()], TODAY) == []


def test_forecast_edges():
    assert forecast(Decimal("100"), None, TODAY) is None
    assert forecast(Decimal("0"), Decimal("10"), TODAY) == TODAY
    assert forecast(Decimal("300"), Decimal("100"), TODAY) == TODAY + timedelta(days=91)
    assert month_start(date(2026, 1, 31), 1) == date(2025, 12, 1)
    assert month_start(date(2026, 12, 5), -1) == date(2027, 1, 1)


def test_the_chart_is_well_formed_accessible_svg(cloud):
    [burndown] = burndowns([cloud], TODAY)
    root = ET.fromstring(str(burndown_svg.render(burndown)))
    assert root.tag == f"{SVG}svg" and root.get("role") == "img"
    title, desc = root.find(f"{SVG}title"), root.find(f"{SVG}desc")
    assert root.get("aria-labelledby") == f"{title.get('id')} {desc.get('id')}"
    assert cloud.name in title.text and "run out on 7 December 2026" in desc.text
    bars = root.findall(f"{SVG}rect")
    assert len(bars) == 5  # the months with usage
    heights = [float(bar.get("height")) for bar in bars]
    assert heights[0] == max(heights)  # February's 4,000 is the tallest
    assert root.find(f"{SVG}polyline[@class='chart-forecast']") is not None
    labels = [t.text for t in root.findall(f"{SVG}text")]
    assert "$20,000" in labels and "$0" in labels


def test_a_name_is_escaped_in_the_chart(cloud):
    cloud.name = "<Cloud & Co>"
    [burndown] = burndowns([cloud], TODAY)
    root = ET.fromstring(str(burndown_svg.render(burndown)))
    assert "<Cloud & Co>" in root.find(f"{SVG}title").text


def test_the_public_page_has_the_chart_and_its_table(client, cloud):
    page = client.get("/credits/transparency/").content.decode()
    assert page.count('role="img"') == 1 and "The chart’s figures as a table" in page
    assert "not yet used or expired" in page


def test_staff_see_the_burndown_linked_from_the_admin_index(admin_client, cloud):
    index = admin_client.get("/admin/").content.decode()
    assert 'href="/admin/credits/ledgertransaction/burn-down/"' in index
    page = admin_client.get("/admin/credits/ledgertransaction/burn-down/")
    assert page.status_code == 200
    body = page.content.decode()
    assert 'role="img"' in body and cloud.name in body


def test_the_burndown_is_for_staff_who_may_read_the_ledger(client, cloud):
    from tests.accounts.factories import UserFactory

    clerk = UserFactory(is_staff=True)  # with a second factor, but no permission
    client.force_login(clerk)
    assert client.get("/admin/credits/ledgertransaction/burn-down/").status_code == 403
    assert "burn-down" not in client.get("/admin/").content.decode()
    client.logout()
    response = client.get("/admin/credits/ledgertransaction/burn-down/")
    assert response.status_code == 302
