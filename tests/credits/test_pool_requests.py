"""Resource requests: what a maintainer may ask for, the request, and staff's decision
(in full, in part, with explicit cash cover, or rejected), through the services and the
admin's decision page; two approvals at once cannot overdraw the pool."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.http import Http404

from credits.ledger import balances
from credits.ledger.models import Entry, LedgerTransaction
from credits.ledger.posting import LedgerError
from credits.models import ResourceRequest
from credits.services import requests
from foundation.models import AuditEntry, OutboundEmail
from foundation.transitions import DomainError
from projects.models import Project
from tests.accounts.factories import UserFactory
from tests.concurrency import at_once
from tests.credits.ledger_helpers import a_pledge, a_provider
from tests.credits.pool_helpers import TODAY, cash_in_pool, credits_in_pool, maintained

pytestmark = pytest.mark.django_db


def ask(project, person, provider, amount="400", **overrides):
    fields = {"provider_id": provider.pk, "amount": amount, "purpose": "CI runners",
              "starts_on": TODAY, "ends_on": TODAY + timedelta(days=180),
              "monthly_use": "50", **overrides}
    return requests.request_submit(project=project, actor=person, **fields)


@pytest.fixture
def staff(db):
    return UserFactory(is_staff=True, email="staff@foundation.example")


def test_offers_list_providers_with_credits_today_their_soonest_expiry_and_contacts():
    pledge = a_pledge()
    cloud = credits_in_pool(amount="600", days=200, pledge=pledge)
    credits_in_pool(cloud, amount="400", days=40, pledge=pledge)
    credits_in_pool(a_provider(), amount="100", days=-1)  # lapsed: nothing to offer
    a_provider()  # no credits at all

    [offer] = requests.offers()

    assert offer.provider == cloud
    assert offer.available == Decimal("1000.00")
    assert offer.soonest_expiry == TODAY + timedelta(days=40)
    assert [(c.name, c.email, c.sla_hours) for c in offer.contacts] == [
        ("Lin Cloud", "lin@cloud.example", 24)]


def test_a_maintainer_requests_credits_and_staff_hear_of_it(
        staff, django_capture_on_commit_callbacks):
    project, person = maintained()
    cloud = credits_in_pool()

    with django_capture_on_commit_callbacks(execute=True):
        request = ask(project, person, cloud, amount="$1,000")

    assert request.status == ResourceRequest.Status.SUBMITTED
    assert request.amount == Decimal("1000.00")
    assert request.requested_by == person
    assert AuditEntry.objects.filter(action="resource_request.create",
                                     object_id=str(request.pk)).exists()
    assert OutboundEmail.objects.filter(kind="resource_request_staff",
                                        to=staff.email).count() == 1


@pytest.mark.parametrize("status", [Project.Status.ECOSYSTEM, Project.Status.CANDIDATE])
def test_a_project_not_hosted_cannot_request(status):
    project, person = maintained(status)
    with pytest.raises(Http404):
        ask(project, person, credits_in_pool())
    assert not ResourceRequest.objects.exists()


def test_a_person_not_the_maintainer_cannot_request():
    project, _ = maintained()
    with pytest.raises(Http404):
        ask(project, UserFactory(), credits_in_pool())
    assert not ResourceRequest.objects.exists()


@pytest.mark.parametrize(("overrides", "field"), [
    ({"amount": "0"}, "amount"),
    ({"amount": "-5"}, "amount"),
    ({"amount": "lots"}, "amount"),
    ({"amount": "1.005"}, "amount"),
    ({"amount": "1e999"}, "amount"),
    ({"amount": "1001"}, "amount"),  # more than is available
    ({"monthly_use": "-1"}, "monthly_use"),
    ({"monthly_use": "5000"}, "monthly_use"),  # more than the whole amount
    ({"purpose": "  "}, "purpose"),
    ({"starts_on": None}, "starts_on"),
    ({"ends_on": TODAY - timedelta(days=400), "starts_on": TODAY - timedelta(days=500)},
     "ends_on"),
    ({"ends_on": TODAY - timedelta(days=1)}, "ends_on"),
    ({"ends_on": TODAY + timedelta(days=5000)}, "ends_on"),
    ({"provider_id": "nope"}, "provider"),
])
def test_bad_input_is_a_clear_error_and_nothing_is_written(overrides, field):
    project, person = maintained()
    cloud = credits_in_pool()
    with pytest.raises(ValidationError) as refused:
        ask(project, person, cloud, **overrides)
    assert field in refused.value.message_dict
    assert not ResourceRequest.objects.exists()
    assert not AuditEntry.objects.filter(action="resource_request.create").exists()


def test_a_provider_without_credits_today_cannot_be_asked_for():
    project, person = maintained()
    lapsed = credits_in_pool(days=-1)
    with pytest.raises(ValidationError) as refused:
        ask(project, person, lapsed, amount="10")
    assert refused.value.message_dict["provider"] == ["Choose a provider with credits available."]


def test_approval_in_full_allocates_audits_and_tells_the_maintainers(
        staff, django_capture_on_commit_callbacks):
    project, person = maintained()
    cloud = credits_in_pool(amount="1000")
    request = ask(project, person, cloud, amount="400")

    with django_capture_on_commit_callbacks(execute=True):
        requests.request_approve(request_id=request.pk, actor=staff, amount="400")

    request.refresh_from_db()
    assert request.status == ResourceRequest.Status.APPROVED
    assert (request.approved_amount, request.cash_cover) == (Decimal("400.00"), Decimal("0"))
    assert request.ledger_transaction.key == f"request:{request.pk}"
    assert request.ledger_transaction.kind == LedgerTransaction.Kind.ALLOCATION
    assert balances.allocation_balance(project, cloud) == Decimal("400.00")
    assert balances.available(cloud) == Decimal("600.00")
    entry = AuditEntry.objects.get(action="resource_request.approve")
    assert (entry.actor, entry.old_value, entry.new_value["status"]) == (
        staff, {"status": "submitted"}, "approved")
    mail = OutboundEmail.objects.get(kind="resource_request_approved")
    assert mail.to == person.email and "$400" in mail.body_text

    # A second click changes nothing.
    requests.request_approve(request_id=request.pk, actor=staff, amount="400")
    assert balances.allocation_balance(project, cloud) == Decimal("400.00")
    assert AuditEntry.objects.filter(action="resource_request.approve").count() == 1


def test_partial_approval_needs_a_note_and_cash_cover_is_explicit(staff):
    project, person = maintained()
    cloud = credits_in_pool(amount="300")
    cash_in_pool("500")
    request = ask(project, person, cloud, amount="300")

    with pytest.raises(ValidationError) as refused:
        requests.request_approve(request_id=request.pk, actor=staff, amount="200",
                                 cash_cover="50")
    assert "note" in refused.value.message_dict
    assert ResourceRequest.objects.get(pk=request.pk).status == "submitted"

    requests.request_approve(request_id=request.pk, actor=staff, amount="200",
                             cash_cover="50", note="Half the CI from credits, some cash.")

    request.refresh_from_db()
    assert (request.approved_amount, request.cash_cover) == (Decimal("200.00"),
                                                             Decimal("50.00"))
    assert request.is_partial
    assert request.ledger_transaction.kind == LedgerTransaction.Kind.CASH_COVER
    assert balances.allocation_balance(project, cloud) == Decimal("250.00")
    assert balances.cash_available() == Decimal("450.00")


@pytest.mark.parametrize(("amount", "cover", "field"), [
    ("401", "0", "amount"),
    ("300", "200", "cash_cover"),
    ("0", "0", "__all__"),
    ("-1", "0", "amount"),
    ("100", "-1", "cash_cover"),
    ("x", "0", "amount"),
])
def test_a_bad_decision_is_an_error_and_writes_nothing(staff, amount, cover, field):
    project, person = maintained()
    cloud = credits_in_pool()
    request = ask(project, person, cloud, amount="400")
    with pytest.raises(ValidationError) as refused:
        requests.request_approve(request_id=request.pk, actor=staff, amount=amount,
                                 cash_cover=cover, note="A note.")
    assert field in refused.value.message_dict
    assert ResourceRequest.objects.get(pk=request.pk).status == "submitted"
    assert not LedgerTransaction.objects.filter(key=f"request:{request.pk}").exists()


def test_the_ledgers_refusal_writes_nothing(staff):
    project, person = maintained()
    cloud = credits_in_pool(amount="400")
    request = ask(project, person, cloud, amount="400")
    cash_before = balances.cash_available()
    with pytest.raises(LedgerError, match="cannot cover"):
        requests.request_approve(request_id=request.pk, actor=staff, amount="300",
                                 cash_cover="100", note="Cash for the rest.")
    request.refresh_from_db()
    assert request.status == "submitted" and request.approved_amount is None
    assert not Entry.objects.filter(transaction__key=f"request:{request.pk}").exists()
    assert balances.available(cloud) == Decimal("400.00")
    assert balances.cash_available() == cash_before
    assert not AuditEntry.objects.filter(action="resource_request.approve").exists()


def test_rejection_needs_a_note_and_is_final(staff, django_capture_on_commit_callbacks):
    project, person = maintained()
    request = ask(project, person, credits_in_pool())
    with pytest.raises(ValidationError):
        requests.request_reject(request_id=request.pk, actor=staff, note=" ")
    with django_capture_on_commit_callbacks(execute=True):
        requests.request_reject(request_id=request.pk, actor=staff, note="Use the CI pool.")
    request.refresh_from_db()
    assert request.status == "rejected" and request.decision_note == "Use the CI pool."
    assert "Use the CI pool." in OutboundEmail.objects.get(
        kind="resource_request_rejected").body_text
    with pytest.raises(DomainError):
        requests.request_approve(request_id=request.pk, actor=staff, amount="10")


@pytest.mark.django_db(transaction=True)
def test_two_approvals_at_once_cannot_overdraw_the_pool():
    staff = UserFactory(is_staff=True)
    cloud = credits_in_pool(amount="100")
    first, second = (ask(*maintained(), cloud, amount="70") for _ in range(2))

    def approve(request):
        def run():
            try:
                return requests.request_approve(request_id=request.pk, actor=staff,
                                                amount="70")
            except LedgerError as refused:
                return refused
        return run

    results = at_once(approve(first), approve(second))

    assert sorted(type(r).__name__ for r in results) == ["LedgerError", "ResourceRequest"]
    assert balances.available(cloud) == Decimal("30.00")
    assert sorted(ResourceRequest.objects.values_list("status", flat=True)) == [
        "approved", "submitted"]


# The admin's decision page.

def decide_url(request):
    return f"/admin/credits/resourcerequest/{request.pk}/decide/"


def test_staff_approve_in_part_with_cash_cover_on_the_decision_page(admin_client):
    project, person = maintained()
    cloud = credits_in_pool(amount="1000")
    cash_in_pool("500")
    request = ask(project, person, cloud, amount="800")

    page = admin_client.get(decide_url(request))
    assert page.status_code == 200
    assert "Available now: $1,000 of" in page.content.decode()

    response = admin_client.post(decide_url(request), {
        "decision": "approve", "amount": "600", "cash_cover": "100",
        "note": "The rest next quarter."})

    assert response.status_code == 302
    request.refresh_from_db()
    assert request.status == "approved" and request.cash_cover == Decimal("100.00")
    assert balances.allocation_balance(project, cloud) == Decimal("700.00")
    assert "Approve or reject" not in admin_client.get(
        f"/admin/credits/resourcerequest/{request.pk}/change/").content.decode()


def test_the_decision_pages_errors_are_on_the_form_and_nothing_is_written(admin_client):
    project, person = maintained()
    cloud = credits_in_pool(amount="500")
    request = ask(project, person, cloud, amount="500")

    partial = admin_client.post(decide_url(request), {"decision": "approve", "amount": "100"})
    assert partial.status_code == 200
    assert "Say why less credit than asked is approved." in partial.content.decode()

    short = admin_client.post(decide_url(request), {
        "decision": "approve", "amount": "400", "cash_cover": "100", "note": "Cash."})
    assert short.status_code == 200
    assert "earmarked cash pool cannot cover" in short.content.decode()

    reject = admin_client.post(decide_url(request), {"decision": "reject"})
    assert "Say why the request is rejected" in reject.content.decode()

    request.refresh_from_db()
    assert request.status == "submitted"
    assert not LedgerTransaction.objects.filter(key=f"request:{request.pk}").exists()
    assert admin_client.get("/admin/credits/resourcerequest/999999/decide/").status_code == 404


def test_requests_to_decide_wait_in_staffs_queue(admin_client):
    project, person = maintained()
    ask(project, person, credits_in_pool())
    index = admin_client.get("/admin/").content.decode()
    assert "1 resource request to decide" in index


# The maintainer's request page.

def request_url(project):
    return f"/credits/projects/{project.slug}/request/"


def test_the_request_page_shows_each_providers_balance_expiry_and_contact(client):
    project, person = maintained()
    cloud = credits_in_pool(amount="2500", days=45)
    client.force_login(person)

    page = client.get(request_url(project)).content.decode()

    assert cloud.name in page and "$2,500" in page
    assert (TODAY + timedelta(days=45)).strftime("%B %Y") in page
    assert "Lin Cloud" in page and "lin@cloud.example" in page and "24 hours" in page

    response = client.post(request_url(project), {
        "provider": cloud.pk, "amount": "1200", "purpose": "GPU CI",
        "starts_on": TODAY.isoformat(), "ends_on": (TODAY + timedelta(days=90)).isoformat(),
        "monthly_use": "400"})
    assert response.status_code == 302
    assert ResourceRequest.objects.get().amount == Decimal("1200.00")


def test_bad_input_on_the_request_page_shows_errors_and_keeps_the_input(client):
    project, person = maintained()
    cloud = credits_in_pool(amount="500")
    client.force_login(person)
    response = client.post(request_url(project), {
        "provider": cloud.pk, "amount": "900", "purpose": "GPU CI",
        "starts_on": TODAY.isoformat(), "ends_on": "not a date", "monthly_use": "x"})
    assert response.status_code == 400
    page = response.content.decode()
    assert "Enter a valid date." in page and 'value="900"' in page
    response = client.post(request_url(project), {
        "provider": cloud.pk, "amount": "900", "purpose": "GPU CI",
        "starts_on": TODAY.isoformat(), "ends_on": TODAY.isoformat(), "monthly_use": "10"})
    assert response.status_code == 400
    assert "has $500 available" in response.content.decode()
    assert not ResourceRequest.objects.exists()


def test_the_request_page_is_a_404_for_anyone_but_a_hosted_projects_maintainer(client):
    project, person = maintained()
    ecosystem, other_person = maintained(Project.Status.ECOSYSTEM)
    credits_in_pool()
    client.force_login(person)
    assert client.get(request_url(ecosystem)).status_code == 404
    assert client.get("/credits/projects/no-such-project/request/").status_code == 404
    client.force_login(other_person)
    assert client.get(request_url(project)).status_code == 404
    assert client.post(request_url(project), {"provider": "1"}).status_code == 404
    client.logout()
    assert client.get(request_url(project)).status_code == 302  # to the sign-in page


@pytest.mark.django_db(transaction=True)
def test_the_same_request_approved_twice_at_once_allocates_once():
    staff = UserFactory(is_staff=True)
    cloud = credits_in_pool(amount="100")
    project, person = maintained()
    request = ask(project, person, cloud, amount="40", monthly_use="10")

    def approve():
        return requests.request_approve(request_id=request.pk, actor=staff, amount="40")

    at_once(approve, approve)

    assert balances.allocation_balance(project, cloud) == Decimal("40.00")
    assert AuditEntry.objects.filter(action="resource_request.approve").count() == 1
