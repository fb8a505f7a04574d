"""Levels from the year's confirmed contributions, at each threshold and across pledges and
years."""

from datetime import date
from decimal import Decimal

import pytest

from credits.models import Pledge
from credits.selectors import level_for, standing
from tests.credits.conftest import cash, credit

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(("total", "level", "next_level", "gap"), [
    ("249999.99", None, "Supporter", "0.01"),
    ("250000", "Supporter", "Advocate", "250000"),
    ("499999.99", "Supporter", "Advocate", "0.01"),
    ("500000", "Advocate", "Champion", "500000"),
    ("999999.99", "Advocate", "Champion", "0.01"),
    ("1000000", "Champion", None, "0"),
    ("25000000", "Champion", None, "0"),
])
def test_level_at_each_boundary(programme, total, level, next_level, gap):
    found = level_for(Decimal(total))
    assert (str(found.level) if found.level else None) == level
    assert (str(found.next_level) if found.next_level else None) == next_level
    assert found.gap == Decimal(gap)


def test_two_pledges_in_one_year_add_up_once_confirmed(programme, sponsor, submit, confirm):
    org, _ = sponsor
    aws = programme["aws"]
    first = submit(credit("250000", aws))
    year = first.year
    assert standing(org, year).level is None  # submitted, not yet confirmed
    confirm(first)
    assert str(standing(org, year).level) == "Supporter"
    second = submit(credit("200000", aws), cash("49999.99"))
    # Before confirmation the page shows the pledge as prospective.
    prospective = standing(org, year, second.total)
    assert prospective.total == Decimal("499999.99")
    assert str(prospective.level) == "Supporter" and prospective.gap == Decimal("0.01")
    confirm(second)
    assert standing(org, year).total == Decimal("499999.99")
    third = submit(cash("0.01"))
    confirm(third)
    assert str(standing(org, year).level) == "Advocate"
    assert str(standing(org, year, Decimal("499999.99")).level) == "Advocate"
    assert str(standing(org, year, Decimal("500000")).level) == "Champion"


def test_a_cancelled_pledge_does_not_count(programme, sponsor, submit, confirm, staff):
    from credits.services.pledges import pledge_cancel

    org, _ = sponsor
    pledge = submit(credit("600000", programme["aws"]))
    confirm(pledge)
    assert str(standing(org, pledge.year).level) == "Advocate"
    pledge_cancel(pledge_id=pledge.pk, actor=staff, reason="Budget withdrawn")
    assert standing(org, pledge.year).level is None


def test_the_programme_year_is_the_calendar_year_and_totals_do_not_cross_it(
    programme, sponsor, submit, confirm, time_machine
):
    org, _ = sponsor
    aws = programme["aws"]
    time_machine.move_to(date(2026, 12, 31))
    late = submit(credit("750000", aws, valid_to=date(2027, 12, 31)))
    confirm(late)
    assert late.year == 2026
    time_machine.move_to(date(2027, 1, 1))
    early = submit(credit("300000", aws, valid_to=date(2027, 12, 31)))
    confirm(early)
    assert early.year == 2027
    assert standing(org, 2026).total == Decimal("750000")
    assert str(standing(org, 2026).level) == "Advocate"
    assert standing(org, 2027).total == Decimal("300000")
    assert str(standing(org, 2027).level) == "Supporter"  # not Champion: 2026 does not count


def test_the_programme_year_setting_wins_over_the_calendar(programme, submit, settings):
    settings.CREDITS_PROGRAMME_YEAR = 2031
    pledge = submit(credit("250000", programme["aws"]))
    assert pledge.year == 2031
    assert Pledge.objects.get().year == 2031
