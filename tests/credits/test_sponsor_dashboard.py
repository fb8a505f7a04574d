"""The sponsor's side after pledging: the credits panel on the organization's page (pledges,
level and gap, the contact, the benefits checklist), the technical contact's edit, what a
benefit needs from the sponsor, its line and next steps on /dashboard/, and 404s for another
organization's pledge or item."""

import io

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from PIL import Image

from credits.models import Pledge, SponsorYear
from credits.services import pledges
from foundation.accounts.models import OrganizationRole, Role
from foundation.checklists.models import ChecklistItem
from foundation.models import AuditEntry
from tests.accounts.factories import OrganizationFactory, UserFactory
from tests.credits.conftest import cash, credit

pytestmark = pytest.mark.django_db


def items(org, year):
    return {item.key: item for item in ChecklistItem.objects.for_holder(
        SponsorYear.objects.get(organization=org, year=year))}


@pytest.fixture
def advocate(programme, sponsor, submit, confirm, staff, django_capture_on_commit_callbacks):
    """A confirmed Advocate: $400,000 of AWS credit (received, with its reference) and
    $100,000 cash; its checklist made."""
    pledge = submit(credit("400000", programme["aws"]), cash("100000"))
    confirm(pledge)
    received = pledge.contributions.get(kind="credit")
    with django_capture_on_commit_callbacks(execute=True):
        pledges.contribution_receive(contribution_id=received.pk, actor=staff,
                                     amount_granted="400000",
                                     redemption_reference="ACCT-SECRET-4242",
                                     received_on=timezone.localdate())
    return pledge


@pytest.fixture
def page(client, sponsor):
    client.force_login(sponsor[1])
    return client


def test_the_panel_shows_pledges_level_gap_contact_and_checklist(page, sponsor, advocate,
                                                                 programme):
    org = sponsor[0]
    html = page.get(org.get_absolute_url()).content.decode()
    assert '<h2 id="credits">Cloud credit sponsorship</h2>' in html
    assert (f'<span class="badge ok">Advocate</span> for {advocate.year}, with $500,000 of '
            "confirmed contributions.") in html
    assert "$500,000 more reaches Champion." in html
    assert f"Pledge for {advocate.year}: $500,000" in html
    assert "$400,000 of AWS credit for EC2 and S3" in html
    assert "$100,000 cash, invoice " in html
    assert "$400,000 granted" in html
    assert "Lin Cloud (lin@cloud.example)" in html and "24 hours" in html
    assert f'href="/credits/pledges/{advocate.pk}/contact/"' in html
    # The checklist: each item with its status, due date, owner and, once delivered, proof.
    slot = items(org, advocate.year)["online-programme-slot"]
    assert f'id="sponsor-item-{slot.pk}"' in html
    assert "Waiting on the member" in html and "Delivered" in html
    assert f"Due {slot.due_date:%-d %B %Y}." in html
    assert f"Owner: {programme['owner'].get_full_name()}." in html
    assert "Proof: " in html and "/credits/" in html  # website placement, delivered
    assert "Live webinar" in html and f'name="item-{slot.pk}-dates"' in html
    assert "ACCT-SECRET-4242" not in html  # the redemption reference stays with staff


def test_people_who_are_not_admins_see_the_panel_without_forms(client, sponsor, advocate):
    person = UserFactory()
    OrganizationRole.objects.create(organization=sponsor[0], user=person, role=Role.BILLING)
    client.force_login(person)
    html = client.get(sponsor[0].get_absolute_url()).content.decode()
    assert "Cloud credit sponsorship" in html and "Advocate" in html
    assert "/contact/" not in html and "-dates" not in html
    assert "We need from your admins: The format" in html


def test_an_admin_of_an_organization_that_never_pledged_is_invited_to(page, programme):
    org, admin = OrganizationFactory.with_admin()
    page.force_login(admin)
    html = page.get(org.get_absolute_url()).content.decode()
    assert f'href="/credits/pledge/?organization={org.slug}"' in html


def test_the_panel_reads_the_same_queries_for_one_pledge_as_for_five(page, sponsor, programme,
                                                                     submit, confirm):
    org = sponsor[0]
    confirm(submit(credit("400000", programme["aws"]), cash("100000")))

    def count():
        with CaptureQueriesContext(connection) as queries:
            assert page.get(org.get_absolute_url()).status_code == 200
        return len(queries)

    one = count()
    for _ in range(4):
        confirm(submit(credit("100000", programme["aws"]), cash("50000")))
    assert Pledge.objects.filter(organization=org).count() == 5
    assert count() == one


def test_dashboard_line_and_next_step(page, sponsor, advocate):
    html = page.get("/dashboard/").content.decode()
    assert (f"Cloud credit sponsor: Advocate for {advocate.year}, with $500,000 confirmed. "
            "$500,000 more reaches Champion.") in html
    assert "things to do next." in html  # the benefit's input and the cash invoice
    slot = items(sponsor[0], advocate.year)["online-programme-slot"]
    html = page.get(sponsor[0].get_absolute_url()).content.decode()  # every step, in full
    assert f'href="{sponsor[0].get_absolute_url()}#sponsor-item-{slot.pk}">Send it</a>' in html
    assert ("Send us the format (live webinar, live stream or on-demand webinar) and proposed "
            "dates for your sponsor benefit “Online programme slot”.") in html


# The technical contact


def contact(**overrides):
    return {"contact_name": "Ada Ops", "contact_email": "ada@cloud.example", "sla_hours": "8",
            "support_channel": "ticket", "support_channel_value": "https://help.cloud.example/",
            "support_hours": "Around the clock", **overrides}


def test_the_contact_is_changed_and_audited(page, sponsor, advocate):
    url = f"/credits/pledges/{advocate.pk}/contact/"
    html = page.get(url).content.decode()
    assert 'value="Lin Cloud"' in html
    response = page.post(url, contact())
    assert response.status_code == 302
    assert response["Location"] == f"{sponsor[0].get_absolute_url()}#credits"
    advocate.refresh_from_db()
    assert (advocate.contact_name, advocate.sla_hours, advocate.support_channel) == \
        ("Ada Ops", 8, "ticket")
    entry = AuditEntry.objects.get(action="pledge.update")
    assert entry.actor == sponsor[1]
    assert entry.old_value["contact_name"] == "Lin Cloud"
    assert entry.new_value["contact_name"] == "Ada Ops"


@pytest.mark.parametrize(("field", "value", "message"), [
    ("sla_hours", "0", "Give the SLA response time as a positive whole number of hours, e.g. 24."),
    ("sla_hours", "soon", "Give the SLA response time as a positive whole number of hours, "
                          "e.g. 24."),
    ("contact_name", "", "Name the technical point of contact."),
    ("support_channel_value", "not a url", "Give the ticket URL, starting with https://."),
])
def test_a_bad_contact_is_refused_beside_its_field(page, advocate, field, value, message):
    response = page.post(f"/credits/pledges/{advocate.pk}/contact/", contact(**{field: value}))
    assert response.status_code == 200
    assert f'id="id_{field}_error" role="alert"><p>{message}</p>' in response.content.decode()
    advocate.refresh_from_db()
    assert advocate.contact_name == "Lin Cloud"
    assert not AuditEntry.objects.filter(action="pledge.update").exists()


def test_another_organizations_pledge_is_a_404(client, advocate):
    for person, role in [(OrganizationFactory.with_admin()[1], None),
                         (UserFactory(), Role.TECHNICAL)]:
        if role:
            OrganizationRole.objects.create(organization=advocate.organization, user=person,
                                            role=role)
        client.force_login(person)
        url = f"/credits/pledges/{advocate.pk}/contact/"
        assert client.get(url).status_code == 404
        assert client.post(url, contact()).status_code == 404
    advocate.refresh_from_db()
    assert advocate.contact_name == "Lin Cloud"


# What a benefit needs from the sponsor


def test_the_webinar_format_and_dates_are_stored_and_audited(page, sponsor, advocate):
    slot = items(sponsor[0], advocate.year)["online-programme-slot"]
    response = page.post(f"/credits/benefits/{slot.pk}/", {
        f"item-{slot.pk}-format": "Live stream", f"item-{slot.pk}-dates": "12 or 19 May"})
    assert response.status_code == 302
    slot.refresh_from_db()
    assert slot.member_input == "Live stream. Proposed dates: 12 or 19 May"
    assert slot.status == ChecklistItem.Status.TODO  # back with staff to deliver
    entry = AuditEntry.objects.get(action="checklist.todo")
    assert entry.actor == sponsor[1] and entry.object_id == str(slot.pk)
    html = page.get(response["Location"]).content.decode()
    assert "You sent: Live stream. Proposed dates: 12 or 19 May" in html


def test_a_webinar_without_its_format_is_refused(page, sponsor, advocate):
    slot = items(sponsor[0], advocate.year)["online-programme-slot"]
    response = page.post(f"/credits/benefits/{slot.pk}/", {f"item-{slot.pk}-dates": "12 May"})
    assert response.status_code == 200
    assert "This field is required." in response.content.decode()
    slot.refresh_from_db()
    assert slot.member_input == "" and slot.status == ChecklistItem.Status.WAITING_ON_MEMBER


def png() -> io.BytesIO:
    data = io.BytesIO()
    Image.new("RGB", (40, 20), "orange").save(data, "PNG")
    data.seek(0)
    data.name = "logo.png"
    return data


@pytest.fixture
def champion(programme, sponsor, submit, confirm):
    pledge = submit(credit("1000000", programme["aws"]))
    confirm(pledge)
    return items(sponsor[0], pledge.year)


def test_the_top_placement_takes_the_offering_and_a_checked_logo(page, sponsor, champion):
    item = champion["top-placement"]
    response = page.post(f"/credits/benefits/{item.pk}/", {
        f"item-{item.pk}-text": "GPU instances for CI, self-service",
        f"item-{item.pk}-logo": png()})
    assert response.status_code == 302
    item.refresh_from_db()
    assert item.member_input == "GPU instances for CI, self-service\n\nLogo: uploaded."
    sponsor[0].refresh_from_db()
    assert sponsor[0].logo.name.endswith(".png")
    # The wall shows the offering from the year's pledge: it takes the new words, audited.
    pledge = Pledge.objects.get(organization=sponsor[0])
    assert pledge.offering_description == "GPU instances for CI, self-service"
    entry = AuditEntry.objects.get(action="pledge.update")
    assert entry.actor == sponsor[1]
    assert entry.new_value == {"offering_description": "GPU instances for CI, self-service"}
    assert AuditEntry.objects.filter(action="organization.update").exists()


def test_a_logo_that_is_not_an_image_is_refused_and_nothing_stored(page, sponsor, champion):
    item = champion["top-placement"]
    bad = io.BytesIO(b"<script>alert(1)</script>")
    bad.name = "logo.png"
    response = page.post(f"/credits/benefits/{item.pk}/", {
        f"item-{item.pk}-text": "GPU instances", f"item-{item.pk}-logo": bad})
    assert response.status_code == 200
    assert "This file is not a PNG, JPEG, GIF or WebP image, nor an SVG." in \
        response.content.decode()
    item.refresh_from_db()
    sponsor[0].refresh_from_db()
    assert item.member_input == "" and not sponsor[0].logo
    assert not AuditEntry.objects.filter(action="pledge.update").exists()


def test_the_blog_draft_is_stored(page, sponsor, champion):
    item = champion["blog-post"]
    assert page.post(f"/credits/benefits/{item.pk}/",
                     {f"item-{item.pk}-text": "https://docs.example/draft"}).status_code == 302
    item.refresh_from_db()
    assert item.member_input == "https://docs.example/draft"


def test_another_organizations_item_is_a_404(client, sponsor, advocate):
    slot = items(sponsor[0], advocate.year)["online-programme-slot"]
    data = {f"item-{slot.pk}-format": "Live stream", f"item-{slot.pk}-dates": "12 May"}
    for person, role in [(OrganizationFactory.with_admin()[1], None),
                         (UserFactory(), Role.MARKETING)]:
        if role:
            OrganizationRole.objects.create(organization=sponsor[0], user=person, role=role)
        client.force_login(person)
        assert client.get(f"/credits/benefits/{slot.pk}/").status_code == 404
        assert client.post(f"/credits/benefits/{slot.pk}/", data).status_code == 404
    # A checklist item of another holder (here the organization itself, with a sponsor
    # year's id) is no sponsor benefit.
    client.force_login(sponsor[1])
    other = ChecklistItem.objects.create(
        holder_type=ContentType.objects.get_for_model(sponsor[0]), holder_id=slot.holder_id,
        key="logo", title="Logo", member_must_provide="A logo")
    assert client.get(f"/credits/benefits/{other.pk}/").status_code == 404
    slot.refresh_from_db()
    assert slot.member_input == ""


def test_a_delivered_item_takes_no_more_input(page, sponsor, advocate, staff):
    from credits.services import benefits

    slot = items(sponsor[0], advocate.year)["online-programme-slot"]
    benefits.benefit_deliver(item_id=slot.pk, actor=staff, proof="https://video.example/1")
    html = page.get(sponsor[0].get_absolute_url()).content.decode()
    assert f'name="item-{slot.pk}-dates"' not in html
    assert "Proof: " in html and "https://video.example/1" in html
    response = page.post(f"/credits/benefits/{slot.pk}/", {
        f"item-{slot.pk}-format": "Live stream", f"item-{slot.pk}-dates": "12 May"})
    assert "This benefit is closed; nothing more is needed." in response.content.decode()



def test_the_redemption_reference_stays_off_the_sponsors_own_pages(page, sponsor, advocate):
    """Staff keep it: the sponsor's panel, /dashboard/ and the sponsor's forms never show it."""
    slot = items(sponsor[0], advocate.year)["online-programme-slot"]
    assert advocate.contributions.get(kind="credit").redemption_reference == "ACCT-SECRET-4242"
    for url in (sponsor[0].get_absolute_url(), "/dashboard/",
                f"/credits/pledges/{advocate.pk}/contact/", f"/credits/benefits/{slot.pk}/",
                f"/credits/pledge/?organization={sponsor[0].slug}"):
        response = page.get(url)
        assert response.status_code == 200, url
        assert "SECRET-4242" not in response.content.decode(), url
    assert "$400,000 granted" in page.get(sponsor[0].get_absolute_url()).content.decode()


def test_another_organizations_contribution_invoice_is_a_404(client, sponsor, advocate):
    """A contribution has no page of its own; the cash one's invoice is the organization's."""
    invoice = advocate.contributions.get(kind="cash").invoice
    other, outsider = OrganizationFactory.with_admin()
    client.force_login(outsider)
    for slug in (sponsor[0].slug, other.slug):
        url = f"/dashboard/{slug}/invoices/{invoice.pk}/"
        assert client.get(url).status_code == 404, url
        assert client.get(f"{url}pdf/").status_code == 404, url
    client.force_login(sponsor[1])
    assert client.get(f"/dashboard/{sponsor[0].slug}/invoices/{invoice.pk}/").status_code == 200
