"""Staff's admin for the credit programme: every change to a pledge, a contribution or a
sponsor's benefit goes through its service, and a refusal is an error message with nothing
written; the benefit items' filters, the accountants' CSV and the queue on the admin index."""

import csv
import io
import re
from datetime import timedelta
from decimal import Decimal
from html import escape

import pytest
from django.contrib.messages import get_messages
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from PIL import Image

from credits.demo_scale import seed_scale
from credits.models import Contribution, Pledge, Provider, SponsorYear
from credits.services import pledges
from credits.services.pledges import Contact
from foundation.billing.models import Invoice
from foundation.checklists.models import ChecklistItem
from foundation.checklists.services import ItemSpec, checklist_ensure
from foundation.models import AuditEntry
from tests.accounts.factories import OrganizationFactory, UserFactory
from tests.admin_forms import change_form_data
from tests.credits.conftest import cash, credit

pytestmark = pytest.mark.django_db

PLEDGES = "/admin/credits/pledge/"
CONTRIBUTIONS = "/admin/credits/contribution/"
ITEMS = "/admin/credits/sponsorbenefititem/"


def messages_of(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def audit_count() -> int:
    return AuditEntry.objects.count()


@pytest.fixture
def post(admin_client, django_capture_on_commit_callbacks):
    """A staff POST whose after-commit work (the checklist task, e-mails) runs."""
    def send(url, data, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return admin_client.post(url, data, **kwargs)

    return send


# Confirm


def test_staff_confirm_a_pledge_with_the_agreements_date_and_the_checklist_exists(
        post, admin_user, programme, sponsor, submit):
    org, _ = sponsor
    pledge = submit(credit("500000", programme["aws"]), cash("100000"))
    signed = timezone.localdate() - timedelta(days=3)
    response = post(f"{PLEDGES}{pledge.pk}/confirm/", {"agreement_signed_on": signed})
    assert response.status_code == 302
    assert response["Location"] == f"{PLEDGES}{pledge.pk}/change/"
    pledge.refresh_from_db()
    assert pledge.status == Pledge.Status.CONFIRMED and pledge.agreement_signed_on == signed
    entry = AuditEntry.objects.get(action="pledge.confirm")
    assert entry.actor == admin_user
    items = ChecklistItem.objects.for_holder(SponsorYear.objects.get(organization=org))
    assert set(items.values_list("key", flat=True)) == {"website-placement",
                                                         "online-programme-slot"}
    cash_row = pledge.contributions.get(kind="cash")
    assert cash_row.invoice.status == Invoice.Status.OPEN  # invoiced like dues
    assert any("is confirmed" in m for m in messages_of(response))


@pytest.mark.parametrize("signed, message", [
    ("", "Give the date the sponsorship agreement was signed."),
    ("future", "The agreement's date is in the future"),
])
def test_a_refused_confirmation_is_a_message_and_writes_nothing(admin_client, programme, submit,
                                                               signed, message):
    pledge = submit(credit("300000", programme["aws"]), cash("50000"))
    if signed == "future":
        signed = timezone.localdate() + timedelta(days=1)
    before = audit_count()
    response = admin_client.post(f"{PLEDGES}{pledge.pk}/confirm/",
                                 {"agreement_signed_on": signed})
    assert response.status_code == 200
    assert any(message in m for m in messages_of(response))
    assert escape(message) in response.content.decode()
    pledge.refresh_from_db()
    assert pledge.status == Pledge.Status.SUBMITTED
    assert audit_count() == before
    assert not Invoice.objects.exists() and not SponsorYear.objects.exists()


def test_a_pledge_that_is_no_number_or_none_is_a_404(admin_client, programme):
    assert admin_client.get(f"{PLEDGES}999999/confirm/").status_code == 404
    assert admin_client.get(f"{CONTRIBUTIONS}999999/receive/").status_code == 404
    assert admin_client.get(f"{ITEMS}999999/deliver/").status_code == 404


def test_the_confirm_action_asks_the_date_then_confirms_and_a_refusal_names_the_pledge(
        post, admin_client, programme, sponsor, submit, staff):
    good = submit(credit("300000", programme["aws"]))
    cancelled = submit(credit("300000", programme["aws"]))
    pledges.pledge_cancel(pledge_id=cancelled.pk, actor=staff, reason="Budget moved")
    chosen = {"action": "confirm", "_selected_action": [good.pk]}
    page = admin_client.post(PLEDGES, chosen)
    assert page.status_code == 200
    assert "Agreement signed on" in page.content.decode()
    assert Pledge.objects.get(pk=good.pk).status == Pledge.Status.SUBMITTED  # asked first
    today = timezone.localdate()
    response = post(PLEDGES, {**chosen, "apply": "1", "agreement_signed_on": today},
                    follow=True)
    assert Pledge.objects.get(pk=good.pk).status == Pledge.Status.CONFIRMED
    assert "1 pledge(s) confirmed." in [str(m) for m in response.context["messages"]]
    assert SponsorYear.objects.get().level.name == "Supporter"

    before = audit_count()
    response = post(PLEDGES, {"action": "confirm", "_selected_action": [cancelled.pk],
                              "apply": "1", "agreement_signed_on": today}, follow=True)
    shown = [str(m) for m in response.context["messages"]]
    assert shown == [f"{cancelled}: Cannot go from “cancelled” to “confirmed”."]
    assert Pledge.objects.get(pk=cancelled.pk).status == Pledge.Status.CANCELLED
    assert audit_count() == before


# Cancel


def test_cancelling_needs_a_reason_and_a_received_pledge_cannot_be_cancelled(
        admin_client, programme, submit, confirm, staff):
    pledge = submit(credit("300000", programme["aws"]))
    before = audit_count()
    response = admin_client.post(f"{PLEDGES}{pledge.pk}/cancel/", {"reason": "  "})
    assert "Give the reason for cancelling the pledge." in messages_of(response)
    assert Pledge.objects.get(pk=pledge.pk).status == Pledge.Status.SUBMITTED
    assert audit_count() == before

    confirm(pledge)
    contribution = pledge.contributions.get()
    pledges.contribution_receive(contribution_id=contribution.pk, actor=staff,
                                 amount_granted="300000", redemption_reference="acct-1",
                                 received_on=timezone.localdate())
    before = audit_count()
    response = admin_client.post(f"{PLEDGES}{pledge.pk}/cancel/", {"reason": "Changed mind"})
    assert response.status_code == 200
    assert any("can no longer be cancelled" in m for m in messages_of(response))
    assert Pledge.objects.get(pk=pledge.pk).status == Pledge.Status.FULFILLED
    assert audit_count() == before


def test_staff_cancel_with_a_reason_and_its_open_invoice_is_voided(admin_client, programme,
                                                                  submit, confirm):
    pledge = submit(cash("300000"))
    confirm(pledge)
    response = admin_client.post(f"{PLEDGES}{pledge.pk}/cancel/",
                                 {"reason": "The sponsor's budget was cut"})
    assert response.status_code == 302
    pledge.refresh_from_db()
    assert pledge.status == Pledge.Status.CANCELLED
    assert pledge.cancel_reason == "The sponsor's budget was cut"
    assert pledge.contributions.get().invoice.status == Invoice.Status.VOID


# Record a credit received


def test_staff_record_a_credits_receipt(admin_client, programme, submit, confirm):
    pledge = submit(credit("300000", programme["aws"]))
    confirm(pledge)
    contribution = pledge.contributions.get()
    page = admin_client.get(f"{PLEDGES}{pledge.pk}/change/").content.decode()
    assert f"{CONTRIBUTIONS}{contribution.pk}/receive/" in page
    today = timezone.localdate()
    response = admin_client.post(f"{CONTRIBUTIONS}{contribution.pk}/receive/", {
        "amount_granted": "$299,500", "redemption_reference": "AWS-ACCT-42",
        "received_on": today})
    assert response.status_code == 302
    contribution.refresh_from_db()
    assert contribution.status == Contribution.Status.RECEIVED
    assert (contribution.amount_granted, contribution.redemption_reference,
            contribution.received_on) == (Decimal("299500.00"), "AWS-ACCT-42", today)
    assert Pledge.objects.get(pk=pledge.pk).status == Pledge.Status.FULFILLED


@pytest.mark.parametrize("data, message", [
    ({"amount_granted": "0", "redemption_reference": "A-1"}, "Give an amount of more than $0."),
    ({"amount_granted": "lots", "redemption_reference": "A-1"}, "as a number"),
    ({"amount_granted": "1000", "redemption_reference": ""}, "Give the redemption reference"),
    ({"amount_granted": "1000", "redemption_reference": "A-1", "received_on": "2999-01-01"},
     "The date is in the future"),
])
def test_a_refused_receipt_is_a_message_and_writes_nothing(admin_client, programme, submit,
                                                          confirm, data, message):
    pledge = submit(credit("300000", programme["aws"]))
    confirm(pledge)
    contribution = pledge.contributions.get()
    before = audit_count()
    response = admin_client.post(f"{CONTRIBUTIONS}{contribution.pk}/receive/",
                                 {"received_on": timezone.localdate(), **data})
    assert response.status_code == 200
    assert any(message in m for m in messages_of(response))
    contribution.refresh_from_db()
    assert contribution.status == Contribution.Status.PLEDGED
    assert contribution.redemption_reference == "" and contribution.amount_granted is None
    assert audit_count() == before


def test_cash_and_unconfirmed_credit_cannot_be_recorded_from_the_admin(admin_client, programme,
                                                                      submit, confirm):
    unconfirmed = submit(credit("300000", programme["aws"])).contributions.get()
    response = admin_client.post(f"{CONTRIBUTIONS}{unconfirmed.pk}/receive/", {
        "amount_granted": "300000", "redemption_reference": "X", "received_on":
        timezone.localdate()})
    assert "Confirm the pledge before recording what was received." in messages_of(response)
    pledge = submit(cash("300000"))
    confirm(pledge)
    response = admin_client.post(f"{CONTRIBUTIONS}{pledge.contributions.get().pk}/receive/", {
        "amount_granted": "300000", "redemption_reference": "X",
        "received_on": timezone.localdate()})
    assert any("Cash is received when its invoice is paid" in m for m in messages_of(response))
    assert not Contribution.objects.filter(status=Contribution.Status.RECEIVED).exists()


# No raw status edits; the contact's history


def test_pledges_and_contributions_are_read_only_in_the_admin(admin_client, programme, submit):
    pledge = submit(credit("300000", programme["aws"]))
    contribution = pledge.contributions.get()
    admin_client.post(f"{PLEDGES}{pledge.pk}/change/", {"status": "confirmed",
                                                        "contact_name": "Someone else"})
    admin_client.post(f"{CONTRIBUTIONS}{contribution.pk}/change/", {"status": "received"})
    pledge.refresh_from_db()
    contribution.refresh_from_db()
    assert pledge.status == Pledge.Status.SUBMITTED and pledge.contact_name == "Lin Cloud"
    assert contribution.status == Contribution.Status.PLEDGED
    assert admin_client.get(f"{PLEDGES}add/").status_code == 403
    assert admin_client.post(f"{PLEDGES}{pledge.pk}/delete/", {"post": "yes"}).status_code \
        == 403
    assert Pledge.objects.filter(pk=pledge.pk).exists()


def test_the_technical_contact_is_shown_and_its_changes_are_in_the_history(
        admin_client, programme, sponsor, submit):
    org, admin = sponsor
    pledge = submit(credit("300000", programme["aws"]))
    page = admin_client.get(f"{PLEDGES}{pledge.pk}/change/").content.decode()
    assert "Technical point of contact" in page and "lin@cloud.example" in page
    pledges.contact_update(pledge_id=pledge.pk, actor=admin, contact=Contact(
        name="Sam Ops", email="sam@cloud.example", sla_hours=8, support_channel="email",
        support_channel_value="oss-support@cloud.example"))
    history = admin_client.get(f"{PLEDGES}{pledge.pk}/history/").content.decode()
    assert "pledge.update" in history and "sam@cloud.example" in history
    assert "lin@cloud.example" in history  # the old value too


# The accountants' CSV


def test_contributions_export_as_a_streamed_csv_for_accountants(admin_client, programme,
                                                               sponsor, submit, confirm,
                                                               staff):
    org, _ = sponsor
    pledge = submit(credit("300000", programme["aws"], service="Amazon EC2"), cash("50000.50"))
    confirm(pledge, signed_on=timezone.localdate() - timedelta(days=1))
    received = pledge.contributions.get(kind="credit")
    pledges.contribution_receive(contribution_id=received.pk, actor=staff,
                                 amount_granted="299000", redemption_reference="SECRET-REF",
                                 received_on=timezone.localdate())
    ids = list(Contribution.objects.values_list("pk", flat=True))
    response = admin_client.post(CONTRIBUTIONS, {"action": "export_csv",
                                                 "_selected_action": ids})
    assert response.streaming and response["Content-Type"] == "text/csv"
    assert 'filename="contributions.csv"' in response["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[0] == ["organization", "programme year", "kind", "provider", "service",
                       "face value", "cash amount", "amount received", "currency",
                       "valid from", "valid to", "agreement signed", "received on", "status",
                       "pledge status", "invoice number"]
    by_kind = {row[2]: row for row in rows[1:]}
    today = timezone.localdate()
    invoice = pledge.contributions.get(kind="cash").invoice
    assert by_kind["Credit"] == [
        "Cloud Giant Inc.", str(pledge.year), "Credit", "AWS", "Amazon EC2", "300000.00", "",
        "299000.00", "USD", str(today), str(today + timedelta(days=365)),
        str(today - timedelta(days=1)), str(today), "Received", "Confirmed", ""]
    assert by_kind["Cash"][:9] == ["Cloud Giant Inc.", str(pledge.year), "Cash", "", "", "",
                                   "50000.50", "", "USD"]
    assert by_kind["Cash"][13:] == ["Pledged", "Confirmed", invoice.number]
    assert invoice.number
    assert "SECRET-REF" not in "".join(",".join(row) for row in rows)


# The sponsors' benefit items


@pytest.fixture
def two_sponsors(programme, sponsor, submit, confirm):
    """An Advocate and a Champion, confirmed."""
    advocate, _ = sponsor
    pledge_a = submit(credit("500000", programme["aws"]))
    confirm(pledge_a)
    champion, admin = OrganizationFactory.with_admin(legal_name="Big Cloud Inc.",
                                                     display_name="Big Cloud")
    pledge_c = submit(credit("1000000", programme["aws"]), org=champion, admin=admin)
    confirm(pledge_c)
    return {"advocate": advocate, "champion": champion, "year": pledge_a.year}


def keys_listed(response) -> list[tuple[str, str]]:
    return sorted((item.key, str(item.sponsor_year.organization))
                  for item in response.context["cl"].result_list)


def test_benefit_items_filter_by_level_year_owner_and_overdue(admin_client, programme,
                                                             two_sponsors):
    champion_level = programme["levels"]["champion"]
    by_level = admin_client.get(f"{ITEMS}?level={champion_level.pk}")
    assert {org for _, org in keys_listed(by_level)} == {"Big Cloud"}
    assert len(keys_listed(by_level)) == 7
    year = two_sponsors["year"]
    assert len(keys_listed(admin_client.get(f"{ITEMS}?year={year}"))) == 9
    assert keys_listed(admin_client.get(f"{ITEMS}?year={year - 1}")) == []

    other_owner = UserFactory(email="events@foundation.example", is_staff=True)
    slot = ChecklistItem.objects.get(key="online-programme-slot",
                                     holder_id=str(SponsorYear.objects.get(
                                         organization=two_sponsors["advocate"]).pk))
    ChecklistItem.objects.filter(pk=slot.pk).update(
        owner=other_owner, due_date=timezone.localdate() - timedelta(days=1))
    assert keys_listed(admin_client.get(f"{ITEMS}?owner={other_owner.pk}")) == [
        ("online-programme-slot", str(two_sponsors["advocate"]))]
    assert keys_listed(admin_client.get(f"{ITEMS}?deadline=overdue")) == [
        ("online-programme-slot", str(two_sponsors["advocate"]))]
    page = admin_client.get(f"{ITEMS}?deadline=overdue").content.decode()
    assert "Advocate" in page and str(year) in page

    # Only sponsors' items: another holder's checklist is not listed here.
    checklist_ensure(holder=OrganizationFactory(), items=[
        ItemSpec(key="logo", title="Logo", due_date=timezone.localdate() - timedelta(days=3))])
    assert all(key != "logo" for key, _ in keys_listed(admin_client.get(ITEMS)))
    # Odd filter values list everything rather than fail.
    for odd in ["level=x", "year=%00", "owner=-1"]:
        assert admin_client.get(f"{ITEMS}?{odd}").status_code == 200


def test_staff_deliver_a_benefit_with_proof_and_the_sponsor_is_told(
        post, admin_client, programme, two_sponsors):
    item = ChecklistItem.objects.get(key="social-shout-out")
    mail.outbox.clear()
    chosen = {"action": "deliver_with_proof", "_selected_action": [item.pk]}
    assert "Proof" in admin_client.post(ITEMS, chosen).content.decode()
    response = post(ITEMS, {**chosen, "apply": "1", "proof": "https://x.example/post/1"},
                    follow=True)
    item.refresh_from_db()
    assert item.status == ChecklistItem.Status.DELIVERED
    assert item.proof == "https://x.example/post/1"
    assert "1 item(s) delivered." in [str(m) for m in response.context["messages"]]
    assert [m.subject for m in mail.outbox] == ["Delivered for Big Cloud: Social shout out"]


def test_delivering_without_proof_is_a_message_and_writes_nothing(admin_client, programme,
                                                                 two_sponsors):
    item = ChecklistItem.objects.get(key="resource-pooling")
    before = audit_count()
    response = admin_client.post(f"{ITEMS}{item.pk}/deliver/", {"proof": " "})
    assert "Give the proof of delivery: a link or a note." in messages_of(response)
    response = admin_client.post(ITEMS, {"action": "deliver_with_proof", "apply": "1",
                                         "_selected_action": [item.pk], "proof": ""},
                                 follow=True)
    assert any("Give the proof of delivery" in str(m) for m in response.context["messages"])
    item.refresh_from_db()
    assert item.status == ChecklistItem.Status.TODO and item.proof == ""
    assert audit_count() == before
    assert admin_client.post(f"{ITEMS}{item.pk}/delete/", {"post": "yes"}).status_code == 403
    response = admin_client.post(f"{ITEMS}{item.pk}/deliver/", {"proof": "Pool set up"})
    assert response.status_code == 302
    history = admin_client.get(f"{ITEMS}{item.pk}/history/").content.decode()
    assert "checklist.delivered" in history and "Pool set up" in history


# Queues


def test_the_admin_index_shows_pledges_to_confirm_and_sponsors_overdue_items(
        admin_client, programme, sponsor, submit, two_sponsors):
    waiting = submit(credit("300000", programme["aws"]))
    Pledge.objects.filter(pk=waiting.pk).update(
        created_at=timezone.now() - timedelta(days=10))
    page = admin_client.get("/admin/").content.decode()
    assert "Pledges to confirm" in page and "1 pledge to confirm" in page
    assert f"{PLEDGES}?status__exact=submitted" in page
    listed = admin_client.get(f"{PLEDGES}?status__exact=submitted")
    assert [p.pk for p in listed.context["cl"].result_list] == [waiting.pk]

    item = ChecklistItem.objects.get(key="blog-post")
    ChecklistItem.objects.filter(pk=item.pk).update(
        due_date=timezone.localdate() - timedelta(days=2))
    page = admin_client.get("/admin/").content.decode()
    assert "1 overdue benefit item" in page
    kernel = admin_client.get("/admin/checklists/checklistitem/?deadline=overdue")
    assert [i.pk for i in kernel.context["cl"].result_list] == [item.pk]
    assert "Big Cloud" in kernel.content.decode()  # the holder: the sponsor's year


# Programme data


def png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 32), "orange").save(buffer, "PNG")
    return buffer.getvalue()


def test_a_providers_logo_goes_through_the_logo_checks(admin_client, programme):
    provider = programme["aws"]
    url = f"/admin/credits/provider/{provider.pk}/change/"
    data = {"name": "AWS", "services": "EC2", "accepted": "on"}
    bad = SimpleUploadedFile("logo.svg", b'<svg xmlns="http://www.w3.org/2000/svg">'
                                         b'<script>alert(1)</script></svg>')
    response = admin_client.post(url, {**data, "logo": bad})
    assert response.status_code == 200 and response.context["adminform"].form.errors["logo"]
    assert Provider.objects.get(pk=provider.pk).logo == ""
    response = admin_client.post(url, {**data, "logo": SimpleUploadedFile("x.svg", png())})
    assert response.status_code == 302
    provider.refresh_from_db()
    assert provider.logo.name.endswith(".png")  # decoded, named for what it is
    entry = AuditEntry.objects.get(action="admin.change", object_id=str(provider.pk))
    assert "logo" in entry.note


def test_levels_and_benefits_are_edited_by_staff_and_audited(admin_client, programme):
    level = programme["levels"]["supporter"]
    url = f"/admin/credits/level/{level.pk}/change/"
    response = admin_client.post(url, {**change_form_data(admin_client.get(url)),
                                       "threshold_usd": "300000"})
    assert response.status_code == 302
    entry = AuditEntry.objects.get(action="admin.change")
    assert entry.old_value == {"threshold_usd": "250000.00"}
    assert entry.new_value == {"threshold_usd": "300000"}
    assert "$300,000" in admin_client.get("/admin/credits/level/").content.decode()
    assert admin_client.get("/admin/credits/benefit/").status_code == 200


# At scale


CHANGELISTS = {PLEDGES: "credits_pledge", CONTRIBUTIONS: "credits_contribution",
               ITEMS: "checklists_checklistitem", f"{ITEMS}?deadline=overdue":
               "checklists_checklistitem", "/admin/credits/provider/": "credits_provider",
               "/admin/credits/level/": "credits_level", "/admin/credits/benefit/":
               "credits_benefit"}


def captured(client, path: str) -> list[str]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(path)
    assert response.status_code == 200, path
    return [q["sql"] for q in queries.captured_queries]


def reads_every_row(sql: str, table: str) -> bool:
    """A query from the list's table that is neither a page (LIMIT) nor its count."""
    return (re.search(rf'FROM "{table}"', sql) is not None and " LIMIT " not in sql
            and not sql.startswith("SELECT COUNT(*)"))


def test_the_programmes_changelists_run_the_same_queries_for_3_and_30_sponsors(
        admin_client, programme, monkeypatch):
    from django.contrib import admin

    for model_admin in admin.site._registry.values():  # 30 sponsors make several pages
        monkeypatch.setattr(model_admin, "list_per_page", 10)
    seed_scale(3, io.StringIO())
    late = ChecklistItem.objects.filter(status=ChecklistItem.Status.DELIVERED).first()
    ChecklistItem.objects.filter(pk=late.pk).update(  # rows in every list, overdue too
        status=ChecklistItem.Status.TODO, due_date=timezone.localdate() - timedelta(days=1))
    for path in CHANGELISTS:  # warm what is cached once per process (content types, ...)
        captured(admin_client, path)
    small = {path: captured(admin_client, path) for path in CHANGELISTS}
    seed_scale(27, io.StringIO())
    large = {path: captured(admin_client, path) for path in CHANGELISTS}
    for path, table in CHANGELISTS.items():
        assert len(large[path]) == len(small[path]), path
        if "?" not in path and table not in {"credits_provider", "credits_level",
                                             "credits_benefit"}:
            assert not [sql for sql in large[path] if reads_every_row(sql, table)], path
    assert admin_client.get(ITEMS).context["cl"].result_count > 30
