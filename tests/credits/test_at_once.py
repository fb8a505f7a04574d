"""At most once, with real threads on PostgreSQL: two staff confirming the same pledge, or
two pledges of one sponsor confirmed together."""

import pytest
from django.utils import timezone

from credits.models import SponsorYear
from credits.services import pledges
from foundation.billing.models import Invoice
from foundation.checklists.models import ChecklistItem
from tests.concurrency import at_once
from tests.credits.conftest import cash, credit

pytestmark = pytest.mark.django_db(transaction=True)


def confirming(pledge, staff):
    return lambda: pledges.pledge_confirm(pledge_id=pledge.pk, actor=staff,
                                          agreement_signed_on=timezone.localdate())


def test_two_staff_confirming_at_once_issue_one_invoice(programme, submit, staff):
    pledge = submit(credit("400000", programme["aws"]), cash("100000"))
    at_once(confirming(pledge, staff), confirming(pledge, staff))
    assert Invoice.objects.count() == 1
    assert SponsorYear.objects.count() == 1
    assert ChecklistItem.objects.count() == 2  # Advocate's


def test_two_pledges_confirmed_at_once_reach_the_level_they_add_up_to(programme, sponsor,
                                                                     submit, staff):
    org, _ = sponsor
    first = submit(credit("500000", programme["aws"]))
    second = submit(credit("500000", programme["aws"]))
    at_once(confirming(first, staff), confirming(second, staff))
    sponsor_year = SponsorYear.objects.get()
    assert str(sponsor_year.level) == "Champion"
    assert ChecklistItem.objects.for_holder(sponsor_year).count() == 7
