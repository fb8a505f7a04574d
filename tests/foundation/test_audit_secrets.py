"""The audit log never holds a secret: passwords typed into the admin are named, not kept."""

import importlib
from datetime import UTC, datetime

import pytest
from django.apps import apps

from foundation import audit
from foundation.accounts.models import User
from foundation.models import AuditEntry
from tests.accounts.factories import OrganizationFactory, UserFactory

pytestmark = pytest.mark.django_db

SECRET = "Tr0ub4dor&3-horse-staple"
JOINED = datetime(2024, 3, 1, 9, 30, tzinfo=UTC)
# The change form's date_joined, as rendered (a callable default also sends its initial value).
JOINED_FIELDS = {"date_joined_0": "2024-03-01", "date_joined_1": "09:30:00",
                 "initial-date_joined_0": "2024-03-01", "initial-date_joined_1": "09:30:00"}


def assert_secret_nowhere_in_the_log():
    assert AuditEntry.objects.exists()
    for entry in AuditEntry.objects.all():
        text = " ".join(map(str, [entry.old_value, entry.new_value, entry.note,
                                  entry.object_repr]))
        assert SECRET not in text, entry


def test_adding_a_user_in_the_admin_records_no_password(admin_client):
    response = admin_client.post("/admin/accounts/user/add/", {
        "email": "new@example.org", "password1": SECRET, "password2": SECRET,
        "usable_password": "true",
    })
    assert response.status_code == 302, response.context["adminform"].form.errors
    user = User.objects.get(email="new@example.org")
    assert user.check_password(SECRET)
    entry = AuditEntry.objects.get(action="admin.add", object_id=str(user.pk))
    assert entry.new_value == {"email": "new@example.org"}
    assert "password1" in entry.note and "password2" in entry.note
    assert_secret_nowhere_in_the_log()


def test_changing_a_password_in_the_admin_records_no_password(admin_client):
    user = UserFactory()
    audit.record(user, action="user.created")
    response = admin_client.post(f"/admin/accounts/user/{user.pk}/password/", {
        "password1": SECRET, "password2": SECRET, "usable_password": "true",
    })
    assert response.status_code == 302, response.context["adminform"].form.errors
    user.refresh_from_db()
    assert user.check_password(SECRET)
    assert_secret_nowhere_in_the_log()
    assert AuditEntry.objects.filter(action="admin.password_change",
                                     object_id=str(user.pk)).exists()


def test_ordinary_user_change_is_recorded_readably(admin_client):
    user = UserFactory(first_name="Ada", last_name="Lovelace", date_joined=JOINED)
    response = admin_client.post(f"/admin/accounts/user/{user.pk}/change/", {
        "email": user.email, "first_name": "Grace", "last_name": "Lovelace",
        "is_active": "on", **JOINED_FIELDS,
    })
    assert response.status_code == 302, response.context["adminform"].form.errors
    entry = AuditEntry.objects.get(action="admin.change", object_id=str(user.pk))
    assert entry.old_value == {"first_name": "Ada"}
    assert entry.new_value == {"first_name": "Grace"}
    assert entry.note == ""


def test_many_to_many_is_named_not_dumped(admin_client):
    group = apps.get_model("auth", "Group").objects.create(name="Board")
    user = UserFactory(date_joined=JOINED)
    response = admin_client.post(f"/admin/accounts/user/{user.pk}/change/", {
        "email": user.email, "first_name": user.first_name, "last_name": user.last_name,
        "is_active": "on", "groups": [group.pk], **JOINED_FIELDS,
    })
    assert response.status_code == 302, response.context["adminform"].form.errors
    entry = AuditEntry.objects.get(action="admin.change", object_id=str(user.pk))
    assert entry.old_value == {} and entry.new_value == {}
    assert entry.note == "Changed: groups"


def test_history_page_names_the_changed_secret(admin_client):
    admin_client.post("/admin/accounts/user/add/", {
        "email": "new@example.org", "password1": SECRET, "password2": SECRET,
        "usable_password": "true",
    })
    user = User.objects.get(email="new@example.org")
    html = admin_client.get(f"/admin/accounts/user/{user.pk}/history/").content.decode()
    assert "Changed: password1, password2" in html
    assert SECRET not in html


def test_migration_scrubs_secrets_already_in_the_log():
    migration = importlib.import_module("foundation.migrations.0002_scrub_audit_secrets")
    org = OrganizationFactory()
    leaked = audit.record(
        org, action="admin.change", old={"employees": 1, "api_token": "old-token"},
        new={"employees": 2, "password1": SECRET, "password2": SECRET,
             "STRIPE_SECRET": "sk_live_x"},
    )
    status = audit.record(org, action="organization.update", old="draft", new="live",
                          note="published")
    migration.scrub_audit_secrets(apps, None)
    leaked.refresh_from_db()
    assert leaked.old_value == {"employees": 1}
    assert leaked.new_value == {"employees": 2}
    assert leaked.note == "Changed: api_token, password1, password2, STRIPE_SECRET"
    status.refresh_from_db()
    assert (status.old_value, status.new_value, status.note) == ("draft", "live", "published")
    assert_secret_nowhere_in_the_log()


def test_without_secrets_keeps_the_note_and_is_idempotent():
    once = audit.without_secrets({"password": "x"}, {"password": "y", "name": "n"}, "why")
    assert once == ({}, {"name": "n"}, "why\nChanged: password")
    assert audit.without_secrets(*once) == once
