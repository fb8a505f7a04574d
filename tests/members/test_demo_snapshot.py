"""The demo is a plausible snapshot of today: founding members since the launch in September
2022 with a paid invoice for every year, benefits due in the coming weeks, renewals ahead,
invoices in each state, and no placeholder anywhere; an older demo database is put right."""

import re
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from foundation.billing.models import Invoice, InvoiceLine
from foundation.checklists.models import ChecklistItem
from foundation.models import AuditEntry
from members import demo_history, models
from members.demo_programme import AGREEMENT_TITLE, FOUNDING
from members.models import AgreementVersion, Membership, MembershipTerm
from members.models.memberships import add_year

pytestmark = pytest.mark.django_db

# "demo" as a word: a founding member's quote may say "democratize".
PLACEHOLDERS = re.compile(r"\bdemo\b|placeholder|to be named|\btbd\b|lorem", re.I)


def snapshot():
    return (
        sorted(Membership.objects.values_list("pk", "starts_on", "ends_on", "status")),
        sorted(MembershipTerm.objects.values_list("pk", "starts_on", "ends_on", "paid",
                                                  "invoice")),
        sorted(Invoice.objects.values_list("pk", "number", "status", "issue_date", "due_date")),
        sorted(ChecklistItem.objects.values_list("pk", "status", "due_date", "proof")),
        AuditEntry.objects.count(),
    )


def assert_founders_since_the_launch(today):
    founders = Membership.objects.filter(organization__slug__in=FOUNDING)
    assert founders.count() == 6
    for membership in founders:
        assert membership.starts_on == demo_history.LAUNCH
        terms = list(membership.terms.order_by("starts_on"))
        # A term a year from the launch to today, each starting the day after the last.
        assert terms[0].starts_on == demo_history.LAUNCH
        for before, after in zip(terms, terms[1:], strict=False):
            assert after.starts_on == before.ends_on + timedelta(days=1)
            assert after.starts_on == add_year(before.starts_on)
        assert any(t.starts_on <= today <= t.ends_on for t in terms)
        assert membership.ends_on >= today
        for term in terms:
            assert term.paid and term.invoice.status == Invoice.Status.PAID
            assert term.invoice.number.startswith(f"INV-{term.invoice.issue_date.year}-")
            assert term.invoice.issue_date < term.starts_on
            assert term.invoice.paid_at.date() < today
        started = AuditEntry.objects.get(action="membership.activate",
                                         object_id=str(membership.pk))
        assert started.created_at.date() == demo_history.LAUNCH
        assert started.new_value["starts_on"] == demo_history.LAUNCH.isoformat()
        assert timezone.localtime(membership.application.signed_at).date() == \
            demo_history.LAUNCH


def test_the_demo_is_a_snapshot_of_today_and_a_second_run_changes_nothing():
    call_command("seed_demo")
    today = timezone.localdate()
    assert_founders_since_the_launch(today)
    # Nobody shows as having joined in the last days.
    assert not Membership.objects.filter(starts_on__gt=today - timedelta(days=21)).exists()
    # Past invoices are numbered in the order they went out.
    past = list(Invoice.objects.filter(number__startswith="INV-2023-").order_by("number"))
    assert past and [i.issue_date for i in past] == sorted(i.issue_date for i in past)

    # Invoices in each state the model has, and some overdue.
    states = set(Invoice.objects.values_list("status", flat=True))
    assert {"draft", "open", "paid", "void"} <= states
    assert Invoice.objects.filter(status="open", due_date__lt=today).exists()
    assert Invoice.objects.filter(status="open", due_date__gte=today).exists()
    # Renewals ahead: terms starting within 60 days, invoiced, some paid already.
    ahead = MembershipTerm.objects.filter(starts_on__gt=today,
                                          starts_on__lte=today + timedelta(days=61),
                                          invoice__isnull=False)
    assert ahead.filter(invoice__status="open").exists()
    assert ahead.filter(invoice__status="paid").exists()

    # Benefits due over the coming weeks: some delivered with proof, some waiting on the
    # member, some with the member's input waiting for staff.
    soon = ChecklistItem.objects.filter(due_date__gte=today,
                                        due_date__lte=today + timedelta(days=42))
    assert soon.filter(status="delivered").exclude(proof="").exists()
    assert soon.filter(status="waiting").exists()
    assert soon.filter(status="todo").exclude(member_input="").exists()
    assert not ChecklistItem.objects.filter(status="delivered", proof="").exists()

    # No placeholder text anywhere in the data.
    agreement = AgreementVersion.objects.get()
    assert agreement.title == AGREEMENT_TITLE
    texts = [agreement.title, agreement.body,
             *models.Testimonial.objects.values_list("quote", flat=True),
             *models.Testimonial.objects.values_list("author", flat=True),
             # The membership programme's and billing's history (the credit programme's demo
             # says of itself that its pledges are made up).
             *AuditEntry.objects.exclude(content_type__app_label="credits")
             .values_list("note", flat=True),
             *ChecklistItem.objects.values_list("proof", flat=True),
             *ChecklistItem.objects.values_list("member_input", flat=True),
             *InvoiceLine.objects.values_list("description", flat=True)]
    assert [t for t in texts if PLACEHOLDERS.search(t)] == []

    first = snapshot()
    call_command("seed_demo")
    assert snapshot() == first


def test_an_older_demo_database_is_put_right(monkeypatch):
    """What an earlier seed_demo left: every member imported over the past year, the first
    founding member as joining yesterday, one term each and no invoice."""
    today = timezone.localdate()
    with monkeypatch.context() as old:
        old.setattr(demo_history, "joined_on", lambda index, founding, today: (
            today - timedelta(days=index * 37 % 360 + 1),) * 2)
        old.setattr(demo_history, "settle", lambda *args, **kwargs: [])
        old.setattr(demo_history, "renewals_ahead", lambda staff: None)
        old.setattr(demo_history, "one_off_invoices", lambda organizations, staff: None)
        call_command("seed_demo")
    amd = Membership.objects.get(organization__slug="amd")
    assert amd.starts_on == today - timedelta(days=1) and amd.terms.count() == 1
    AgreementVersion.objects.update(title="Membership agreement")

    call_command("seed_demo")
    assert_founders_since_the_launch(today)
    assert AgreementVersion.objects.get().title == AGREEMENT_TITLE
    assert not Membership.objects.filter(starts_on__gt=today - timedelta(days=21)).exists()
    first = snapshot()
    call_command("seed_demo")
    assert snapshot() == first
