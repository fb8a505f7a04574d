import csv
import io

import pytest
from django.utils import timezone

from members.models import Application
from members.services.memberships import membership_import
from tests.accounts.factories import OrganizationFactory

pytestmark = pytest.mark.django_db


def test_reject_without_a_reason_shows_the_error_and_changes_nothing(admin_client, apply_for):
    application = apply_for("premier")
    url = f"/admin/members/application/{application.pk}/decide/reject/"
    response = admin_client.post(url, {"note": ""})
    assert response.status_code == 200
    assert "Give the reason" in response.content.decode()
    application.refresh_from_db()
    assert application.status == Application.Status.UNDER_REVIEW


def test_staff_ask_for_changes_in_the_admin(admin_client, admin_user, apply_for):
    application = apply_for("premier")
    page = admin_client.get(f"/admin/members/application/{application.pk}/change/")
    assert "Ask for changes" in page.content.decode()
    admin_client.post(f"/admin/members/application/{application.pk}/decide/changes/",
                      {"note": "Name your TAC representative"})
    application.refresh_from_db()
    assert application.status == Application.Status.CHANGES_REQUESTED
    history = admin_client.get(f"/admin/members/application/{application.pk}/history/")
    assert "application.changes_requested" in history.content.decode()


def test_unknown_decision_is_404(admin_client, apply_for):
    application = apply_for("premier")
    url = f"/admin/members/application/{application.pk}/decide/promote/"
    assert admin_client.post(url, {"note": "x"}).status_code == 404


def test_review_queue_filters_by_tier_and_status(admin_client, apply_for, tiers):
    apply_for("premier")
    apply_for("general")
    page = admin_client.get(f"/admin/members/application/?tier__id__exact={tiers['premier'].pk}"
                            "&status__exact=under_review")
    assert page.context["cl"].result_count == 1


def test_members_export_as_csv_and_board_seats_show_to_staff(admin_client, admin_user, tiers):
    org = OrganizationFactory(legal_name="Acme AI GmbH", is_founding_member=True)
    membership = membership_import(organization=org, tier=tiers["general"],
                                   starts_on=timezone.localdate(), actor=admin_user)
    page = admin_client.get("/admin/members/membership/").content.decode()
    assert "1 active member, 0 elected Governing Board seats" in page
    response = admin_client.post("/admin/members/membership/", {
        "action": "export_csv", "_selected_action": [membership.pk]})
    rows = list(csv.reader(io.StringIO(response.getvalue().decode())))
    assert rows[0][:4] == ["legal name", "name", "tier", "status"]
    assert rows[1][0] == "Acme AI GmbH" and rows[1][2] == "General" and rows[1][10] == "yes"
