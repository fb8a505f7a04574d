"""/credits/pledge/ through the browser's eyes (no JavaScript): each bad input comes back
beside its field with nothing written, "Check the level" shows the level without saving,
and a good pledge is submitted for an organization the person administers only."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from credits.models import Contribution, Pledge
from foundation.accounts.models import OrganizationRole, Role
from foundation.models import AuditEntry, OutboundEmail
from tests.accounts.factories import OrganizationFactory, UserFactory
from tests.credits.conftest import credit

pytestmark = pytest.mark.django_db
URL = "/credits/pledge/"


def credit_row(amount, provider, **overrides):
    today = timezone.localdate()
    return {"kind": "credit", "provider": str(provider.pk), "service": "EC2 and S3",
            "face_value": amount, "valid_from": today.isoformat(),
            "valid_to": (today + timedelta(days=365)).isoformat(),
            "redemption_method": "account_credit", **overrides}


def cash_row(amount):
    return {"kind": "cash", "cash_amount": amount}


def pledge_data(org, *rows, step="submit", **overrides):
    data = {"organization": org.slug, "step": step,
            "contributions-TOTAL_FORMS": str(len(rows)), "contributions-INITIAL_FORMS": "0",
            "contributions-MIN_NUM_FORMS": "1", "contributions-MAX_NUM_FORMS": "10",
            "contact_name": "Lin Cloud", "contact_email": "lin@cloud.example", "sla_hours": "24",
            "support_channel": "email", "support_channel_value": "oss-support@cloud.example",
            "support_hours": "Monday to Friday, 9:00–17:00 PT", "listed_publicly": "on",
            "po_number": "PO-88", "tax_id": "US-12"}
    for i, row in enumerate(rows):
        data.update({f"contributions-{i}-{name}": value for name, value in row.items()})
    data.update(overrides)
    return data


def nothing_written():
    assert not Pledge.objects.exists()
    assert not Contribution.objects.exists()
    assert not OutboundEmail.objects.exists()
    assert not AuditEntry.objects.filter(action__startswith="pledge").exists()


@pytest.fixture
def page(client, sponsor):
    client.force_login(sponsor[1])
    return client


def test_anonymous_people_are_sent_to_log_in_first(client, programme):
    response = client.get(URL)
    assert response.status_code == 302
    assert response["Location"] == f"/accounts/login/?next={URL}"


def test_someone_with_no_organization_creates_one_first(client, programme):
    client.force_login(UserFactory())
    response = client.get(URL)
    assert response.status_code == 302
    assert response["Location"] == "/dashboard/organizations/new/?next=/credits/pledge/"


def test_the_one_organization_is_preselected(page, sponsor):
    html = page.get(URL).content.decode()
    assert f'<option value="{sponsor[0].slug}" selected>' in html
    assert 'name="contributions-0-kind"' in html
    assert "Check the level" in html and "Add a contribution" in html


def test_a_person_with_several_organizations_chooses(page, sponsor):
    other = OrganizationFactory(display_name="Second Cloud")
    OrganizationRole.objects.create(organization=other, user=sponsor[1], role=Role.ADMIN)
    html = page.get(URL).content.decode()
    assert '<option value="" selected>Choose…</option>' in html
    assert "Second Cloud" in html
    html = page.get(f"{URL}?organization={other.slug}").content.decode()
    assert f'<option value="{other.slug}" selected>' in html


def test_another_organization_is_a_404_on_get_and_post(page, programme, sponsor):
    other, _ = OrganizationFactory.with_admin()
    assert page.get(f"{URL}?organization={other.slug}").status_code == 404
    response = page.post(URL, pledge_data(other, credit_row("500000", programme["aws"])))
    assert response.status_code == 404
    nothing_written()


def test_a_member_who_is_not_an_admin_cannot_pledge_for_it(client, programme, sponsor):
    person = UserFactory()
    OrganizationRole.objects.create(organization=sponsor[0], user=person, role=Role.TECHNICAL)
    client.force_login(person)
    response = client.post(URL, pledge_data(sponsor[0], credit_row("500000", programme["aws"])))
    assert response.status_code == 404
    nothing_written()


def refused(page, data) -> str:
    response = page.post(URL, data)
    assert response.status_code == 200
    nothing_written()
    return response.content.decode()


def test_a_year_total_below_the_lowest_level(page, programme, sponsor):
    html = refused(page, pledge_data(sponsor[0], credit_row("249,999.99", programme["aws"])))
    assert ('<div class="alert error" role="alert"><p>This year&#x27;s confirmed contributions '
            "and this pledge come to $249,999.99, below the lowest level, Supporter, at "
            "$250,000: it needs $0.01 more.</p></div>") in html


@pytest.mark.parametrize(("amount", "message"), [
    ("0", "Give an amount of more than $0."),
    ("-250000", "Give an amount of more than $0."),
    ("100000000.01", "An amount over $100,000,000 is surely a typo: please check it."),
    ("lots", "Give the amount in US dollars as a number, e.g. 250000."),
])
def test_an_amount_not_positive_or_absurd_is_refused_beside_its_field(page, programme, sponsor,
                                                                      amount, message):
    html = refused(page, pledge_data(sponsor[0], credit_row(amount, programme["aws"])))
    assert f'id="id_contributions-0-face_value_error" role="alert"><p>{message}</p>' in html
    html = refused(page, pledge_data(sponsor[0], credit_row("300000", programme["aws"]),
                                     cash_row(amount)))
    assert f'id="id_contributions-1-cash_amount_error" role="alert"><p>{message}</p>' in html


def test_validity_ending_before_it_starts_or_already_ended(page, programme, sponsor):
    today = timezone.localdate()
    html = refused(page, pledge_data(sponsor[0], credit_row(
        "500000", programme["aws"], valid_from=today.isoformat(),
        valid_to=(today - timedelta(days=1)).isoformat())))
    assert "The validity ends before it starts: check the dates." in html
    html = refused(page, pledge_data(sponsor[0], credit_row(
        "500000", programme["aws"], valid_from=(today - timedelta(days=400)).isoformat(),
        valid_to=(today - timedelta(days=35)).isoformat())))
    assert ('id="id_contributions-0-valid_to_error" role="alert"><p>This credit&#x27;s '
            "validity has already ended.</p>") in html


def test_a_provider_the_programme_does_not_accept(page, programme, sponsor):
    html = refused(page, pledge_data(sponsor[0], credit_row("500000", programme["retired"])))
    assert ('id="id_contributions-0-provider_error" role="alert"><p>The programme does not '
            "accept credits from Retired Cloud at present: choose another provider.</p>") in html
    assert f'<option value="{programme["retired"].pk}"' not in html  # not offered either


def test_a_missing_contact(page, programme, sponsor):
    html = refused(page, pledge_data(sponsor[0], credit_row("500000", programme["aws"]),
                                     contact_name="", contact_email="", support_channel=""))
    assert 'id="id_contact_name_error" role="alert"><p>Name the technical point of contact.' \
        in html
    assert "Give the technical contact&#x27;s e-mail address." in html
    assert "Choose the support channel: e-mail, chat or a ticket URL." in html


@pytest.mark.parametrize("hours", ["0", "-4", "two", "1.5", ""])
def test_an_sla_that_is_not_a_positive_number_of_hours(page, programme, sponsor, hours):
    html = refused(page, pledge_data(sponsor[0], credit_row("500000", programme["aws"]),
                                     sla_hours=hours))
    assert ('id="id_sla_hours_error" role="alert"><p>Give the SLA response time as a positive '
            "whole number of hours, e.g. 24.</p>") in html


def test_an_error_lands_on_its_row_when_an_empty_row_comes_first(page, programme, sponsor):
    html = refused(page, pledge_data(sponsor[0], {"kind": "credit"},
                                     credit_row("0", programme["aws"])))
    assert 'id="id_contributions-1-face_value_error"' in html
    assert 'id="id_contributions-0-face_value_error"' not in html


def test_no_contribution_at_all(page, programme, sponsor):
    html = refused(page, pledge_data(sponsor[0], {"kind": "credit"}))
    assert "Add at least one contribution: credit or cash." in html


def test_check_the_level_shows_level_and_gap_without_saving(page, programme, sponsor, submit,
                                                            confirm):
    confirm(submit(credit("300000", programme["aws"])))  # $300,000 confirmed this year
    before = (Pledge.objects.count(), Contribution.objects.count(), OutboundEmail.objects.count())
    response = page.post(URL, pledge_data(sponsor[0], credit_row("$150,000", programme["aws"]),
                                          cash_row("50000"), step="check"))
    html = response.content.decode()
    assert response.status_code == 200
    assert "This pledge: <strong>$200,000</strong>." in html
    assert "that comes to $500,000: <strong>Advocate</strong>." in html
    assert "$500,000 more reaches Champion ($1,000,000)." in html
    after = (Pledge.objects.count(), Contribution.objects.count(), OutboundEmail.objects.count())
    assert after == before
    assert 'value="$150,000"' in html  # the page keeps what was typed


def test_check_the_level_below_the_lowest_and_at_the_top(page, programme, sponsor):
    html = page.post(URL, pledge_data(sponsor[0], cash_row("100000"), step="check")).content \
        .decode()
    assert "that comes to $100,000, below the lowest level." in html
    assert "$150,000 more reaches Supporter ($250,000)." in html
    html = page.post(URL, pledge_data(sponsor[0], cash_row("1000000"), step="check")).content \
        .decode()
    assert "<strong>Champion</strong>." in html and "That is the top level." in html
    nothing_written()


def test_check_the_level_says_which_amount_is_not_a_number(page, programme, sponsor):
    html = page.post(URL, pledge_data(sponsor[0], cash_row("a lot"), step="check")).content \
        .decode()
    assert ('id="id_contributions-0-cash_amount_error" role="alert"><p>Give the amount in US '
            "dollars as a number, e.g. 250000.</p>") in html
    assert 'id="level"' not in html
    nothing_written()


def test_a_row_with_only_a_cash_amount_is_cash(page, programme, sponsor):
    html = page.post(URL, pledge_data(sponsor[0], {"kind": "credit", "cash_amount": "300000"},
                                      step="check")).content.decode()
    assert "This pledge: <strong>$300,000</strong>." in html
    assert page.post(URL, pledge_data(sponsor[0], {"kind": "credit",
                                                   "cash_amount": "300000"})).status_code == 302
    assert Contribution.objects.get().kind == "cash"


def test_add_a_contribution_shows_one_more_row_and_saves_nothing(page, programme, sponsor):
    html = page.post(URL, pledge_data(sponsor[0], cash_row("300000"), step="add")).content \
        .decode()
    assert 'name="contributions-TOTAL_FORMS" value="2"' in html
    assert 'name="contributions-1-kind"' in html
    assert 'value="300000"' in html
    nothing_written()


def test_a_good_pledge_is_submitted_and_shown_on_the_organizations_page(page, programme,
                                                                        sponsor):
    org, admin = sponsor
    response = page.post(URL, pledge_data(org, credit_row("400,000", programme["aws"]),
                                          {"kind": "credit"}, cash_row("$100,000"),
                                          offering_description="GPU instances for CI"))
    assert response.status_code == 302
    assert response["Location"] == f"{org.get_absolute_url()}#credits"
    pledge = Pledge.objects.get()
    assert (pledge.organization, pledge.created_by, pledge.status) == (org, admin, "submitted")
    assert pledge.total == Decimal("500000")
    assert sorted(pledge.contributions.values_list("kind", flat=True)) == ["cash", "credit"]
    assert (pledge.contact_name, pledge.sla_hours, pledge.po_number) == ("Lin Cloud", 24, "PO-88")
    assert pledge.listed_publicly and pledge.offering_description == "GPU instances for CI"
    assert AuditEntry.objects.filter(action="pledge.create").count() == 1
    html = page.get(response["Location"]).content.decode()
    assert "is submitted" in html  # the message
    assert "Pledge for" in html and "$500,000" in html


def test_odd_posts_never_fail(page, programme, sponsor):
    assert page.post(URL, {"organization": sponsor[0].slug, "step": "submit"}).status_code == 200
    data = pledge_data(sponsor[0], {**credit_row("500000", programme["aws"]),
                                    "provider": "99999", "valid_from": "31/02/2026"})
    data["contributions-TOTAL_FORMS"] = "5000"
    assert page.post(URL, data).status_code == 200
    assert page.post(URL, {**data, "step": "add"}).status_code == 200
    for amount in ("1e999999", "NaN", "Infinity"):
        for step in ("check", "submit"):
            assert page.post(URL, pledge_data(sponsor[0], cash_row(amount), step=step,
                                              sla_hours="\x00")).status_code == 200
    for slug in ("%00", "x" * 500, "a%2Fb"):
        assert page.get(f"{URL}?organization={slug}").status_code == 404
    assert page.post(URL, {"organization": "\x00", "step": "check"}).status_code == 404
    nothing_written()
