"""What needs doing next, on an organization's page and on /dashboard/: each kind of step
shows to the people who can take it, goes away once taken, never shows to another
organization, and /dashboard/ reads it in the same number of queries for one organization or
six."""

from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from foundation.accounts.models import Organization, OrganizationRole, Role
from foundation.billing import services as billing
from foundation.billing.models import Invoice, Payment
from foundation.checklists.models import ChecklistItem
from foundation.checklists.services import item_provide
from members.services import applications
from tests.accounts.factories import OrganizationFactory, UserFactory

pytestmark = pytest.mark.django_db

STEPS = "What needs doing next"


def pay(invoice):
    billing.payment_record(invoice_id=invoice.pk, method=Payment.Method.WIRE,
                           amount=invoice.total, reference="WIRE")


def steps_section(html: str) -> str:
    """The organization page's next-steps section, up to the next section."""
    start = html.index(STEPS)
    return html[start:html.index("</section>", start)]


def page(client, user, org) -> str:
    client.force_login(user)
    response = client.get(org.get_absolute_url())
    assert response.status_code == 200
    return steps_section(response.content.decode())


def dashboard(client, user) -> str:
    client.force_login(user)
    response = client.get("/dashboard/")
    assert response.status_code == 200
    return response.content.decode()


def colleague(org, *roles):
    person = UserFactory()
    for role in roles:
        OrganizationRole.objects.create(organization=org, user=person, role=role)
    return person


@pytest.fixture
def applied(apply_for, time_machine):
    time_machine.move_to("2026-03-02 09:00Z")
    application = apply_for("general")
    return application, application.organization, application.submitted_by


def test_the_signatory_step_shows_to_an_admin_and_the_signatory_until_signed(
        client, applied, sign):
    application, org, admin = applied
    signatory, technical = colleague(org, Role.SIGNATORY), colleague(org, Role.TECHNICAL)
    sentence = "Accept the membership agreement for the General application"
    assert sentence in page(client, admin, org)
    assert "Grace Hopper (ceo@" in page(client, signatory, org)
    assert f'href="{org.get_absolute_url()}#application"' in page(client, admin, org)
    assert sentence not in page(client, technical, org)
    assert sentence in dashboard(client, admin)
    assert "1 thing to do next" in dashboard(client, admin)
    client.logout()
    sign(application)
    assert sentence not in page(client, admin, org)
    assert sentence not in dashboard(client, admin)


def test_an_open_invoice_asks_admins_and_billing_contacts_to_pay_until_paid(
        client, applied, sign):
    application, org, admin = applied
    sign(application)
    invoice = Invoice.objects.get(organization=org)
    billing_contact, technical = colleague(org, Role.BILLING), colleague(org, Role.TECHNICAL)
    assert invoice.total == 35000
    sentence = f"Pay invoice {invoice.number} for $35,000."
    steps = page(client, admin, org)
    assert "Who can do it: an admin or billing contact." in steps
    assert sentence in steps
    assert f"Due {invoice.due_date:%-d %B %Y}" in steps
    assert f'href="/dashboard/{org.slug}/invoices/{invoice.pk}/"' in steps
    assert sentence in page(client, billing_contact, org)
    assert sentence not in page(client, technical, org)
    assert sentence in dashboard(client, admin)
    pay(invoice)
    assert sentence not in page(client, admin, org)
    assert "Pay invoice" not in dashboard(client, billing_contact)


def test_a_benefit_waiting_on_the_member_asks_anyone_in_it_until_provided(
        client, applied, sign):
    application, org, admin = applied
    sign(application)
    pay(Invoice.objects.get(organization=org))
    item = ChecklistItem.objects.get(status=ChecklistItem.Status.WAITING_ON_MEMBER)
    technical = colleague(org, Role.TECHNICAL)
    sentence = f"Send us {item.member_must_provide[:1].lower()}{item.member_must_provide[1:]}"
    steps = page(client, technical, org)
    assert sentence in steps and f"#provide-{item.pk}" in steps
    assert f"Due {item.due_date:%-d %B %Y}" in steps
    assert sentence in dashboard(client, admin)
    item_provide(item_id=item.pk, actor=technical, text="Our launches: PyTorch 3")
    assert sentence not in page(client, technical, org)
    assert "All done: nothing needs doing for" in page(client, admin, org)
    assert "All done: nothing needs doing." in dashboard(client, admin)


def test_changes_requested_ask_an_admin_to_send_the_application_back(
        client, apply_for, admin_user):
    application = apply_for("premier")
    org, admin = application.organization, application.submitted_by
    technical = colleague(org, Role.TECHNICAL)
    applications.application_request_changes(application_id=application.pk,
                                             actor=admin_user, note="Name a TAC rep")
    sentence = "Make the changes asked for in the Premier application"
    assert sentence in page(client, admin, org)
    assert f"{org.get_absolute_url()}#resubmit" in page(client, admin, org)
    assert sentence not in page(client, technical, org)
    applications.application_resubmit(
        application_id=application.pk, actor=admin, motivation="m",
        planned_contributions="p", board_representative="b", tac_representative="t")
    assert sentence not in page(client, admin, org)


def test_the_most_urgent_step_comes_first_and_an_overdue_one_says_so(
        client, applied, sign, time_machine):
    application, org, admin = applied
    sign(application)
    invoice = Invoice.objects.get(organization=org)
    pay(invoice)
    renewal = billing.invoice_create(organization=org, lines=[("Event sponsorship", 5000)])
    billing.invoice_issue(invoice_id=renewal.pk)
    renewal.refresh_from_db()
    item = ChecklistItem.objects.get(status=ChecklistItem.Status.WAITING_ON_MEMBER)
    ChecklistItem.objects.filter(pk=item.pk).update(due_date=date(2026, 4, 20))
    assert renewal.due_date == date(2026, 4, 1)
    steps = page(client, admin, org)
    assert steps.index(f"Pay invoice {renewal.number}") < steps.index("Send us")
    ChecklistItem.objects.filter(pk=item.pk).update(due_date=date(2026, 3, 1))
    steps = page(client, admin, org)
    assert steps.index("Send us") < steps.index(f"Pay invoice {renewal.number}")
    assert "Overdue: due 1 March 2026" in steps
    assert "2 things to do next" in dashboard(client, admin)
    assert "First: Send us" in dashboard(client, admin)


def test_another_organizations_steps_never_show(client, applied, apply_for, sign):
    application, org, admin = applied
    other = apply_for("general")
    sign(other)
    theirs = Invoice.objects.get(organization=other.organization)
    assert theirs.number not in dashboard(client, admin)
    assert theirs.number not in page(client, admin, org)
    assert client.get(other.organization.get_absolute_url()).status_code == 404


def dashboard_queries(client, user) -> int:
    client.force_login(user)
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/dashboard/").status_code == 200
    return len(queries)


def test_the_dashboard_runs_the_same_queries_for_one_organization_or_six(
        client, apply_for, sign, admin_user):
    """Each organization in another state: applied, signed and owing, active with a benefit
    waiting, changes requested, no application; zeal (ZEAL_RAISE) fails a per-row query."""
    person = UserFactory()

    def join(org):
        OrganizationRole.objects.create(organization=org, user=person, role=Role.ADMIN)

    active = apply_for("general")
    sign(active)
    pay(Invoice.objects.get(organization=active.organization))
    join(active.organization)
    one = dashboard_queries(client, person)
    applied = apply_for("general")
    owing = apply_for("general")
    sign(owing)
    changes = apply_for("premier")
    applications.application_request_changes(application_id=changes.pk, actor=admin_user,
                                              note="Name a TAC rep")
    nonprofit, its_admin = OrganizationFactory.with_admin(type=Organization.Type.NONPROFIT)
    signed_first = apply_for("associate", org=nonprofit, admin=its_admin)
    sign(signed_first)
    for application in (applied, owing, changes, signed_first):
        join(application.organization)
    join(OrganizationFactory())
    html = dashboard(client, person)
    assert html.count('class="card"') == 6
    for first in ("Premier application", "Pay invoice", "Send us", "All done"):
        assert first in html
    assert dashboard_queries(client, person) == one


def test_the_page_reads_next_steps_then_invoices_people_and_history_in_sentences(
        client, applied, sign):
    application, org, admin = applied
    sign(application)
    client.force_login(admin)
    html = client.get(org.get_absolute_url()).content.decode()
    order = [html.index(f'id="{section}"')
             for section in ("next-steps", "invoices", "people", "history")]
    assert order == sorted(order)
    history = html[html.index('id="history"'):]
    history = history[:history.index("</ul>")]
    entries = [line.split("</time> · ", 1)[1].split("</li>")[0]
               for line in history.split("<li>")[1:]]
    assert len(entries) >= 3
    for sentence in entries:
        assert sentence.endswith(".") and "{" not in sentence and "_" not in sentence
