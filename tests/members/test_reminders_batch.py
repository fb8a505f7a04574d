"""Renewal reminders read their memberships' renewal terms and contacts in a constant number
of queries: only the e-mails themselves cost a query each."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from foundation.billing import services as billing
from foundation.billing.models import Invoice, Payment
from foundation.models import OutboundEmail
from members.models import Membership
from members.services import memberships

pytestmark = pytest.mark.django_db


def members(apply_for, sign, count):
    for _ in range(count):
        application = apply_for("general")
        sign(application)
        invoice = Invoice.objects.get(organization=application.organization)
        billing.payment_record(invoice_id=invoice.pk, method=Payment.Method.WIRE,
                               amount=invoice.total, reference="WIRE")


def reads_per_table(run) -> dict[str, int]:
    with CaptureQueriesContext(connection) as queries:
        run()
    tables: dict[str, int] = {}
    for query in queries.captured_queries:
        sql = query["sql"]
        if sql.lstrip().upper().startswith("SELECT"):
            table = re.search(r'FROM "(\w+)"', sql)
            if table and table.group(1) != "foundation_outboundemail":  # one look per e-mail
                tables[table.group(1)] = tables.get(table.group(1), 0) + 1
    return tables


@pytest.mark.parametrize("count", [1, 4])
def test_reminders_read_the_same_queries_for_one_membership_or_many(
        apply_for, sign, time_machine, django_capture_on_commit_callbacks, count):
    time_machine.move_to("2026-01-10 09:00Z")
    members(apply_for, sign, count)
    time_machine.move_to("2026-12-12 06:00Z")  # 28 days before the end
    with django_capture_on_commit_callbacks(execute=False):
        memberships.issue_renewal_invoices()
        reads = reads_per_table(memberships.send_renewal_reminders)
    assert reads == {"members_membership": 1, "members_membershipterm": 1,
                     "accounts_organizationrole": 1}
    reminded = OutboundEmail.objects.filter(kind="renewal_reminder_30")
    assert reminded.count() == count  # each organization's one admin, once
    assert set(reminded.values_list("to", flat=True)) == {
        email for m in Membership.objects.select_related("organization")
        for email in billing.billing_emails(m.organization)}
    assert all("please pay invoice" in e.body_text for e in reminded)


def test_a_paid_renewal_is_not_reminded(apply_for, sign, time_machine,
                                        django_capture_on_commit_callbacks):
    time_machine.move_to("2026-01-10 09:00Z")
    members(apply_for, sign, 2)
    time_machine.move_to("2026-12-12 06:00Z")
    with django_capture_on_commit_callbacks(execute=False):
        memberships.issue_renewal_invoices()
    renewal = Invoice.objects.filter(status=Invoice.Status.OPEN).order_by("pk").first()
    billing.payment_record(invoice_id=renewal.pk, method=Payment.Method.WIRE,
                           amount=renewal.total, reference="WIRE")
    with django_capture_on_commit_callbacks(execute=False):
        assert memberships.send_renewal_reminders() == 1
