"""Every status change goes through one audited transition; locks come in one order; a
repeated click changes nothing; money for a lapsed membership reaches staff at once."""

import pytest
from django.core import mail

from foundation.billing import services as billing
from foundation.billing.models import Invoice, Payment
from foundation.models import AuditEntry
from foundation.transitions import DomainError, transition
from members.models import Application, Membership
from members.services import applications, memberships
from tests.concurrency import at_once

pytestmark = pytest.mark.django_db


def pay(invoice, reference="WIRE"):
    return billing.payment_record(invoice_id=invoice.pk, method=Payment.Method.WIRE,
                                  amount=invoice.total, reference=reference)


def audit(action):
    return AuditEntry.objects.get(action=action)


def test_activation_audits_the_real_old_statuses(apply_for, sign):
    application = apply_for("general")
    sign(application)
    pay(Invoice.objects.get())
    assert audit("membership.activate").old_value == {"status": "pending"}
    assert audit("application.completed").old_value == {"status": "approved"}
    activated = audit("membership.activate").new_value
    assert activated["status"] == "active" and activated["ends_on"]


def test_an_upgrade_ends_the_previous_membership_through_its_transition(apply_for, sign,
                                                                         admin_user):
    first = apply_for("general")
    sign(first)
    pay(Invoice.objects.get())
    org = first.organization
    upgrade = apply_for("premier", org=org, admin=org.roles.get(role="admin").user)
    sign(upgrade)
    applications.application_approve(application_id=upgrade.pk, actor=admin_user)
    pay(Invoice.objects.get(status=Invoice.Status.OPEN), reference="WIRE-2")
    ended = audit("membership.ended")
    assert ended.old_value == {"status": "active"} and ended.new_value == {"status": "ended"}


def test_an_invalid_move_is_refused_and_nothing_is_written(apply_for, sign):
    application = apply_for("general")
    sign(application)
    pay(Invoice.objects.get())
    membership = Membership.objects.get(application=application)
    before = AuditEntry.objects.count()
    with pytest.raises(DomainError):
        transition(membership, Membership.Status.PENDING, action="membership.reopen")
    membership.refresh_from_db()
    assert membership.status == Membership.Status.ACTIVE
    assert AuditEntry.objects.count() == before


def test_resubmitting_twice_is_a_no_op(apply_for, admin_user):
    application = apply_for("premier")
    applications.application_request_changes(application_id=application.pk, actor=admin_user,
                                              note="Name your TAC representative")
    admin = application.organization.roles.get(role="admin").user
    answers = {"motivation": "To steer", "planned_contributions": "Engineers",
               "board_representative": "Ada", "tac_representative": "Katherine Johnson"}
    for _ in range(2):
        applications.application_resubmit(application_id=application.pk, actor=admin, **answers)
    assert AuditEntry.objects.filter(action="application.resubmit").count() == 1


def test_services_take_only_the_fields_they_name(apply_for, admin_user):
    application = apply_for("premier")
    applications.application_request_changes(application_id=application.pk, actor=admin_user,
                                              note="More")
    admin = application.organization.roles.get(role="admin").user
    with pytest.raises(TypeError):
        applications.application_resubmit(  # type: ignore[call-arg]
            application_id=application.pk, actor=admin, motivation="m",
            planned_contributions="p", board_representative="b", tac_representative="t",
            annual_fee="0.00")
    application.refresh_from_db()
    assert application.annual_fee > 0


def test_a_payment_for_a_lapsed_membership_s_renewal_reaches_staff_at_once(
    apply_for, sign, admin_user, time_machine, django_capture_on_commit_callbacks
):
    time_machine.move_to("2026-01-10 09:00Z")
    application = apply_for("general")
    sign(application)
    pay(Invoice.objects.get())
    time_machine.move_to("2026-11-20 09:00Z")
    memberships.issue_renewal_invoices()
    renewal = Invoice.objects.get(status=Invoice.Status.OPEN)
    time_machine.move_to("2027-02-20 09:00Z")
    memberships.lapse_memberships()
    assert Membership.objects.get().status == Membership.Status.LAPSED
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        payment = pay(renewal, reference="LATE-WIRE")
    payment.refresh_from_db()
    assert payment.needs_review and "lapsed" in payment.review_note.lower()
    alerts = [m for m in mail.outbox if m.to == [admin_user.email]]
    assert alerts and "LATE-WIRE" in alerts[0].body


@pytest.mark.django_db(transaction=True)
def test_withdrawing_and_paying_at_once_cannot_deadlock(apply_for, sign):
    """Both lock the organization first, so one waits for the other instead of each holding
    what the other needs."""
    for round_ in range(3):
        application = apply_for("general")
        sign(application)
        invoice = Invoice.objects.get(organization=application.organization)
        admin = application.organization.roles.get(role="admin").user

        def withdraw(application=application, admin=admin):
            try:
                return applications.application_withdraw(application_id=application.pk,
                                                          actor=admin)
            except DomainError:
                return None

        at_once(withdraw, lambda invoice=invoice, ref=f"W{round_}": pay(invoice, reference=ref))
        application.refresh_from_db()
        invoice.refresh_from_db()
        membership = Membership.objects.get(application=application)
        if application.status == Application.Status.WITHDRAWN:  # withdrawn first
            assert invoice.status == Invoice.Status.VOID
            assert membership.status == Membership.Status.ENDED
            assert Payment.objects.get(invoice=invoice).needs_review  # kept for refund
        else:  # paid first: the withdrawal was refused
            assert application.status == Application.Status.COMPLETED
            assert invoice.status == Invoice.Status.PAID
            assert membership.status == Membership.Status.ACTIVE


