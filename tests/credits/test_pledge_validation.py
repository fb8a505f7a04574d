"""Every bad pledge is refused with a clear message, and nothing is written."""

from dataclasses import replace
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.http import Http404
from django.utils import timezone

from credits.models import Contribution, Pledge
from foundation.accounts.models import OrganizationRole, Role
from foundation.models import AuditEntry, OutboundEmail
from tests.accounts.factories import OrganizationFactory, UserFactory
from tests.credits.conftest import CONTACT, cash, credit

pytestmark = pytest.mark.django_db


def nothing_written():
    assert not Pledge.objects.exists()
    assert not Contribution.objects.exists()
    assert not OutboundEmail.objects.exists()
    assert not AuditEntry.objects.filter(action__startswith="pledge").exists()
    assert not mail.outbox


def refused(submit, *contributions, **kwargs) -> dict[str, list[str]]:
    with pytest.raises(ValidationError) as caught:
        submit(*contributions, **kwargs)
    nothing_written()
    return caught.value.message_dict


def test_a_good_pledge_is_saved_with_its_contributions_and_e_mails(programme, submit, staff):
    pledge = submit(credit("400000", programme["aws"]), cash("100000"),
                    po_number="PO-88", tax_id="US-12")
    assert pledge.status == Pledge.Status.SUBMITTED
    assert pledge.total == Decimal("500000")
    assert pledge.contributions.count() == 2
    subjects = sorted(m.subject for m in mail.outbox)
    assert any(s.startswith("We received") and "cloud credit pledge for" in s for s in subjects)
    assert any(s.startswith("New cloud credit pledge") and "$500,000" in s for s in subjects)


def test_a_year_total_below_the_lowest_level(programme, submit):
    errors = refused(submit, credit("249999.99", programme["aws"]))
    assert errors[NON_FIELD_ERRORS] == [
        "This year's confirmed contributions and this pledge come to $249,999.99, below the "
        "lowest level, Supporter, at $250,000: it needs $0.01 more."]


def test_no_contribution_at_all(programme, submit):
    errors = refused(submit)
    assert "Add at least one contribution: credit or cash." in errors[NON_FIELD_ERRORS]


@pytest.mark.parametrize(("amount", "message"), [
    ("0", "Give an amount of more than $0."),
    ("-250000", "Give an amount of more than $0."),
    ("100000000.01", "An amount over $100,000,000 is surely a typo: please check it."),
    ("1e12", "An amount over $100,000,000 is surely a typo: please check it."),
    ("lots", "Give the amount in US dollars as a number, e.g. 250000."),
    ("NaN", "Give an amount of more than $0."),
    ("250000.001", "Give the amount to the cent at most."),
])
def test_an_amount_that_is_not_positive_or_absurd(programme, submit, amount, message):
    errors = refused(submit, replace(credit("1", programme["aws"]), face_value=amount))
    assert errors["contributions-0-face_value"] == [message]
    errors = refused(submit, cash("300000"), replace(cash("1"), cash_amount=amount))
    assert errors["contributions-1-cash_amount"] == [message]


def test_validity_that_ends_before_it_starts(programme, submit):
    today = timezone.localdate()
    errors = refused(submit, credit("300000", programme["aws"], valid_from=today,
                                    valid_to=today - timedelta(days=1)))
    assert errors["contributions-0-valid_to"] == [
        "The validity ends before it starts: check the dates."]


def test_validity_that_has_already_ended(programme, submit):
    today = timezone.localdate()
    errors = refused(submit, credit("300000", programme["aws"],
                                    valid_from=today - timedelta(days=400),
                                    valid_to=today - timedelta(days=1)))
    assert errors["contributions-0-valid_to"] == ["This credit's validity has already ended."]


def test_a_provider_the_programme_does_not_accept(programme, submit):
    errors = refused(submit, credit("300000", programme["retired"]))
    assert errors["contributions-0-provider"] == [
        "The programme does not accept credits from Retired Cloud at present: choose another "
        "provider."]


def test_a_credit_without_provider_service_or_redemption(programme, submit):
    errors = refused(submit, credit("300000", None, service=" ", redemption_method=""))
    assert errors["contributions-0-provider"] == ["Choose the provider of the credit."]
    assert errors["contributions-0-service"] == ["Name the service the credit is for."]
    assert errors["contributions-0-redemption_method"] == ["Choose how the credit is redeemed."]
    errors = refused(submit, credit("300000", programme["aws"], redemption_method="other"))
    assert errors["contributions-0-redemption_note"] == ["Say how the credit is redeemed."]


@pytest.mark.parametrize(("change", "key", "message"), [
    ({"name": "  "}, "contact_name", "Name the technical point of contact."),
    ({"email": ""}, "contact_email", "Give the technical contact's e-mail address."),
    ({"email": "lin@"}, "contact_email",
     "Give a valid e-mail address for the technical contact."),
    ({"support_channel_value": ""}, "support_channel_value",
     "Give the support address or URL."),
    ({"support_channel": "pigeon"}, "support_channel",
     "Choose the support channel: e-mail, chat or a ticket URL."),
    ({"support_channel": "ticket", "support_channel_value": "javascript:alert(1)"},
     "support_channel_value", "Give the ticket URL, starting with https://."),
])
def test_a_missing_contact(programme, submit, change, key, message):
    errors = refused(submit, credit("300000", programme["aws"]),
                     contact=replace(CONTACT, **change))
    assert errors[key] == [message]


@pytest.mark.parametrize("hours", [0, -4, "1.5", "a day", "", None, 10**9])
def test_an_sla_that_is_not_a_positive_number_of_hours(programme, submit, hours):
    errors = refused(submit, credit("300000", programme["aws"]),
                     contact=replace(CONTACT, sla_hours=hours))
    assert errors["sla_hours"] == [
        "Give the SLA response time as a positive whole number of hours, e.g. 24."]


def test_every_problem_is_reported_at_once(programme, submit):
    errors = refused(submit, credit("0", programme["retired"]),
                     contact=replace(CONTACT, name="", sla_hours=0))
    assert set(errors) == {"contributions-0-face_value", "contributions-0-provider",
                           "contact_name", "sla_hours"}


def test_an_organization_the_person_does_not_administer_is_a_404(programme, sponsor, submit):
    org, _ = sponsor
    other_org, other_admin = OrganizationFactory.with_admin()
    with pytest.raises(Http404):
        submit(credit("300000", programme["aws"]), org=org, admin=other_admin)
    marketing = UserFactory()
    OrganizationRole.objects.create(organization=org, user=marketing, role=Role.MARKETING)
    with pytest.raises(Http404):
        submit(credit("300000", programme["aws"]), org=org, admin=marketing)
    nothing_written()
    assert other_org.pk != org.pk


def test_the_total_counts_confirmed_pledges_of_the_year_only(programme, submit, confirm):
    """A submitted pledge does not lift the next one over the lowest level."""
    submit(credit("250000", programme["aws"]))
    with pytest.raises(ValidationError) as caught:
        submit(credit("100000", programme["aws"]))
    assert "come to $100,000, below the lowest level" in caught.value.messages[0]
    assert Pledge.objects.count() == 1
    confirm(Pledge.objects.get())
    assert submit(credit("100000", programme["aws"])).total == Decimal("100000")


def test_a_missing_amount(programme, submit):
    errors = refused(submit, replace(credit("1", programme["aws"]), face_value=None))
    assert errors["contributions-0-face_value"] == ["Give the amount in US dollars."]
