"""The benefits checklist: made once per organization and year on confirmation, raised by a
higher level with exactly its items, website placement delivered by the portal, overdue items
reminding their owner once a day."""

from datetime import date, timedelta

import pytest
from django.core import mail
from django.utils import timezone

from credits import tasks
from credits.models import SponsorYear
from credits.services import benefits
from foundation.checklists.models import ChecklistItem
from foundation.models import OutboundEmail
from foundation.transitions import DomainError
from tests.credits.conftest import credit

pytestmark = pytest.mark.django_db

ADVOCATE = {"website-placement", "online-programme-slot"}
CHAMPION_ONLY = {"top-placement", "blog-post", "social-shout-out", "keynote-mention",
                 "resource-pooling"}


def checklist(org, year):
    return ChecklistItem.objects.for_holder(SponsorYear.objects.get(organization=org,
                                                                    year=year))


def test_confirmation_makes_the_checklist_of_the_level(programme, sponsor, submit, confirm):
    org, admin = sponsor
    pledge = submit(credit("500000", programme["aws"]))
    assert not SponsorYear.objects.exists()  # nothing before confirmation
    mail.outbox.clear()
    confirm(pledge, signed_on=timezone.localdate() - timedelta(days=2))
    sponsor_year = SponsorYear.objects.get(organization=org, year=pledge.year)
    assert str(sponsor_year.level) == "Advocate"
    items = {item.key: item for item in checklist(org, pledge.year)}
    assert set(items) == ADVOCATE
    slot = items["online-programme-slot"]
    assert slot.status == ChecklistItem.Status.WAITING_ON_MEMBER
    assert "live webinar, live stream or on-demand webinar" in slot.member_must_provide
    assert slot.owner == programme["owner"]
    assert slot.due_date == timezone.localdate() + timedelta(days=30)
    placement = items["website-placement"]  # listed and confirmed: on the wall
    assert placement.status == ChecklistItem.Status.DELIVERED
    assert "/credits/" in placement.proof and "as an Advocate for" in placement.proof
    subjects = [m.subject for m in mail.outbox if m.to == [admin.email]]
    assert sorted(subjects) == sorted([
        f"{org}'s cloud credit pledge for {pledge.year} is confirmed",
        f"We need something from {org}: Online programme slot",
        f"Delivered for {org}: Website placement",
    ])
    confirmed = next(m for m in mail.outbox if "is confirmed" in m.subject)
    assert f"{org} is an Advocate for {pledge.year}" in confirmed.body
    assert "- Online programme slot: waiting on you, due " in confirmed.body
    assert "- Website placement: delivered\n" in confirmed.body


def test_an_unlisted_sponsor_waits_for_its_placement(programme, sponsor, submit, confirm):
    org, _ = sponsor
    pledge = submit(credit("250000", programme["aws"]), listed_publicly=False)
    confirm(pledge)
    item = checklist(org, pledge.year).get()
    assert (item.key, item.status) == ("website-placement", ChecklistItem.Status.TODO)


def test_the_task_run_twice_creates_nothing_more(programme, sponsor, submit, confirm,
                                                 django_capture_on_commit_callbacks):
    org, _ = sponsor
    pledge = submit(credit("1000000", programme["aws"]))
    confirm(pledge)
    before = list(checklist(org, pledge.year).values_list("pk", "key", "status"))
    emails = OutboundEmail.objects.count()
    assert len(before) == 7
    with django_capture_on_commit_callbacks(execute=True):
        tasks.pledge_confirmed(pledge.pk)
        tasks.pledge_confirmed(pledge.pk)
        tasks.refresh_sponsor_year(org.pk, pledge.year)
    assert list(checklist(org, pledge.year).values_list("pk", "key", "status")) == before
    assert OutboundEmail.objects.count() == emails
    assert SponsorYear.objects.count() == 1


def test_advocate_raised_to_champion_gains_exactly_the_new_items(
    programme, sponsor, submit, confirm, staff, settings
):
    settings.CREDITS_CONFERENCE_DATE = date(2099, 10, 22)
    org, _ = sponsor
    first = submit(credit("600000", programme["aws"]))
    confirm(first)
    advocate_items = {i.key: (i.pk, i.status, i.due_date) for i in checklist(org, first.year)}
    assert set(advocate_items) == ADVOCATE
    slot = checklist(org, first.year).get(key="online-programme-slot")
    benefits.benefit_provide(item_id=slot.pk, actor=sponsor[1], text="Live webinar, 12 May")
    second = submit(credit("400000", programme["aws"]))
    confirm(second)
    items = {i.key: i for i in checklist(org, first.year)}
    assert set(items) - set(advocate_items) == CHAMPION_ONLY
    for key, (pk, _status, due) in advocate_items.items():  # the earlier items are untouched
        assert items[key].pk == pk and items[key].due_date == due
    assert items["online-programme-slot"].member_input == "Live webinar, 12 May"
    assert items["keynote-mention"].due_date == date(2099, 10, 22)
    assert str(SponsorYear.objects.get(organization=org).level) == "Champion"


def test_staff_deliver_with_proof_and_the_sponsor_is_told_once(programme, sponsor, submit,
                                                               confirm, staff):
    org, admin = sponsor
    pledge = submit(credit("1000000", programme["aws"]))
    confirm(pledge)
    item = checklist(org, pledge.year).get(key="social-shout-out")
    with pytest.raises(DomainError, match="Give the proof of delivery"):
        benefits.benefit_deliver(item_id=item.pk, actor=staff, proof="  ")
    mail.outbox.clear()
    for _ in range(2):
        benefits.benefit_deliver(item_id=item.pk, actor=staff,
                                 proof="https://social.example/pytorch/status/1")
    item.refresh_from_db()
    assert item.status == ChecklistItem.Status.DELIVERED
    assert item.proof == "https://social.example/pytorch/status/1"
    assert OutboundEmail.objects.filter(kind="benefit_delivered", key__contains=f":{item.pk}:"
                                        ).count() == 1


def test_another_organizations_item_is_a_404(programme, sponsor, submit, confirm):
    from django.http import Http404

    from tests.accounts.factories import OrganizationFactory

    org, _ = sponsor
    pledge = submit(credit("500000", programme["aws"]))
    confirm(pledge)
    slot = checklist(org, pledge.year).get(key="online-programme-slot")
    _, stranger = OrganizationFactory.with_admin()
    with pytest.raises(Http404):
        benefits.benefit_provide(item_id=slot.pk, actor=stranger, text="Live stream")
    slot.refresh_from_db()
    assert slot.member_input == ""


def test_overdue_items_remind_their_owner_once_a_day(programme, sponsor, submit, confirm,
                                                    time_machine,
                                                    django_capture_on_commit_callbacks):
    org, _ = sponsor
    time_machine.move_to(date(2026, 3, 1))
    pledge = submit(credit("500000", programme["aws"], valid_to=date(2027, 1, 1)),
                    listed_publicly=False)
    confirm(pledge)
    owner = programme["owner"].email

    def reminders():
        return [m for m in mail.outbox if m.subject.startswith("Overdue:")]

    with django_capture_on_commit_callbacks(execute=True):
        assert benefits.send_overdue_reminders(today=date(2026, 3, 31)) == 0  # due today
    time_machine.move_to(date(2026, 4, 2))
    for _ in range(2):  # a second run the same day sends nothing more
        with django_capture_on_commit_callbacks(execute=True):
            tasks.send_overdue_reminders()
    assert sorted(m.subject for m in reminders()) == [
        f"Overdue: Online programme slot for {org}", f"Overdue: Website placement for {org}"]
    assert all(m.to == [owner] for m in reminders())
    assert "2 days late" in reminders()[0].body
    time_machine.move_to(date(2026, 4, 3))
    with django_capture_on_commit_callbacks(execute=True):
        tasks.send_overdue_reminders()
    assert len(reminders()) == 4
    item = checklist(org, pledge.year).get(key="website-placement")
    benefits.benefit_deliver(item_id=item.pk, actor=None, proof="On the wall")
    time_machine.move_to(date(2026, 4, 4))
    with django_capture_on_commit_callbacks(execute=True):
        tasks.send_overdue_reminders()
    assert len(reminders()) == 5  # a delivered item stops reminding


def test_a_lost_confirmation_task_is_caught_up_by_the_daily_job(
    programme, sponsor, submit, staff, django_capture_on_commit_callbacks
):
    from credits.services import pledges

    org, admin = sponsor
    pledge = submit(credit("500000", programme["aws"]))
    with django_capture_on_commit_callbacks(execute=False):  # the worker died: task lost
        pledges.pledge_confirm(pledge_id=pledge.pk, actor=staff,
                               agreement_signed_on=timezone.localdate())
    assert not SponsorYear.objects.exists()
    for _ in range(2):
        with django_capture_on_commit_callbacks(execute=True):
            tasks.send_overdue_reminders()
    assert set(checklist(org, pledge.year).values_list("key", flat=True)) == ADVOCATE
    confirmed = [m for m in mail.outbox if m.subject.endswith("is confirmed")]
    assert [m.to for m in confirmed] == [[admin.email]]
