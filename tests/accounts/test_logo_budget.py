"""Logo uploads have a budget wherever they happen, and a replaced or removed logo's file is
deleted once the change is committed, never before."""

import io
from datetime import UTC, datetime, timedelta

import pytest
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from PIL import Image

from foundation.accounts.models import Organization, OrganizationRole, Role
from foundation.accounts.services import organization_update
from foundation.models import AuditEntry
from tests.accounts.factories import OrganizationFactory
from tests.admin_forms import change_form_data

pytestmark = pytest.mark.django_db

BUDGET_MESSAGE = "You have uploaded 5 logos in the last minute; wait a minute and try again."
START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def png(colour: str = "red") -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 32), colour).save(buffer, "PNG")
    return buffer.getvalue()


def edit_data(client, org: Organization, **extra) -> dict:
    """What the dashboard's edit form posts back untouched, plus `extra`."""
    form = client.get(f"/dashboard/{org.slug}/edit/").context["form"]
    data = {name: form[name].value() for name in form.fields if name != "logo"}
    return {**data, **extra}


def post_logo(client, org: Organization, content: bytes):
    return client.post(f"/dashboard/{org.slug}/edit/",
                       edit_data(client, org, logo=SimpleUploadedFile("logo.png", content)))


def stored_logos(org: Organization) -> list[str]:
    return sorted(org.logo.storage.listdir("logos")[1])


@pytest.fixture
def org_with_logo(org_admin, django_capture_on_commit_callbacks):
    org, admin = org_admin
    with django_capture_on_commit_callbacks(execute=True):
        org = organization_update(organization=org, actor=admin,
                                  logo=ContentFile(png("blue"), name="logo.png"))
    return org, admin


# The budget


def test_sixth_logo_in_a_minute_is_refused_and_nothing_is_stored(
    client, org_admin, time_machine, django_capture_on_commit_callbacks
):
    time_machine.move_to(START, tick=False)
    org, admin = org_admin
    client.force_login(admin)
    with django_capture_on_commit_callbacks(execute=True):
        for _ in range(5):
            assert post_logo(client, org, png()).status_code == 302
    org.refresh_from_db()
    logo, files = org.logo.name, stored_logos(org)

    response = post_logo(client, org, png("green"))
    assert response.status_code == 200
    assert BUDGET_MESSAGE in response.content.decode()
    org.refresh_from_db()
    assert org.logo.name == logo
    assert stored_logos(org) == files

    time_machine.move_to(START + timedelta(seconds=65), tick=False)
    assert post_logo(client, org, png("green")).status_code == 302
    org.refresh_from_db()
    assert org.logo.name != logo


def test_the_admin_counts_against_the_same_budget(
    client, admin_client, admin_user, time_machine, django_capture_on_commit_callbacks
):
    time_machine.move_to(START, tick=False)
    org = OrganizationFactory()
    OrganizationRole.objects.create(organization=org, user=admin_user, role=Role.ADMIN)
    client.force_login(admin_user)
    with django_capture_on_commit_callbacks(execute=True):
        for _ in range(5):
            assert post_logo(client, org, png()).status_code == 302
    org.refresh_from_db()
    logo = org.logo.name

    url = f"/admin/accounts/organization/{org.pk}/change/"
    data = change_form_data(admin_client.get(url))
    response = admin_client.post(url, {**data, "logo": SimpleUploadedFile("l.png", png("green"))})
    assert response.status_code == 200
    assert BUDGET_MESSAGE in response.content.decode()
    org.refresh_from_db()
    assert org.logo.name == logo


# Replaced and removed files


def test_a_replaced_logo_is_deleted_after_commit(org_with_logo,
                                                 django_capture_on_commit_callbacks):
    org, admin = org_with_logo
    old = org.logo.name
    with django_capture_on_commit_callbacks(execute=True):
        org = organization_update(organization=org, actor=admin,
                                  logo=ContentFile(png(), name="logo.png"))
    assert org.logo.name != old
    assert org.logo.storage.exists(org.logo.name)
    assert not org.logo.storage.exists(old)


def test_a_replaced_logo_is_kept_until_commit(org_with_logo, django_capture_on_commit_callbacks):
    org, admin = org_with_logo
    old = org.logo.name
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        org = organization_update(organization=org, actor=admin,
                                  logo=ContentFile(png(), name="logo.png"))
    assert callbacks  # The delete waits for the commit...
    assert org.logo.storage.exists(old)  # ...so until then the old file is still there.
    assert org.logo.storage.exists(org.logo.name)


def test_a_rolled_back_replacement_keeps_the_old_logo(org_with_logo,
                                                      django_capture_on_commit_callbacks):
    org, admin = org_with_logo
    old = org.logo.name
    with (django_capture_on_commit_callbacks(execute=True) as callbacks,
          pytest.raises(RuntimeError), transaction.atomic()):
        organization_update(organization=org, actor=admin,
                            logo=ContentFile(png(), name="logo.png"))
        raise RuntimeError("a later step failed")
    assert callbacks == []
    org.refresh_from_db()
    assert org.logo.name == old
    assert org.logo.storage.exists(old)


def test_clear_on_the_dashboard_removes_the_logo_after_commit(
    client, org_with_logo, django_capture_on_commit_callbacks
):
    org, admin = org_with_logo
    old = org.logo.name
    client.force_login(admin)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/dashboard/{org.slug}/edit/",
                               edit_data(client, org, **{"logo-clear": "on"}))
    assert response.status_code == 302
    org.refresh_from_db()
    assert not org.logo
    assert not org.logo.storage.exists(old)
    entry = AuditEntry.objects.filter(action="organization.update").latest("pk")
    assert entry.actor == admin and entry.new_value == {"logo": "removed"}


def test_clear_in_the_admin_removes_the_logo_after_commit(
    admin_client, org_with_logo, django_capture_on_commit_callbacks
):
    org, _ = org_with_logo
    old = org.logo.name
    url = f"/admin/accounts/organization/{org.pk}/change/"
    data = {**change_form_data(admin_client.get(url)), "logo-clear": "on"}
    with django_capture_on_commit_callbacks(execute=True):
        assert admin_client.post(url, data).status_code == 302
    org.refresh_from_db()
    assert not org.logo
    assert not org.logo.storage.exists(old)


def test_clear_without_a_logo_changes_nothing(client, user):
    """A forged "Clear" on the new-organization form, which has no logo to clear."""
    client.force_login(user)
    data = {"legal_name": "Acme AI Ltd", "display_name": "Acme AI", "slug": "acme-ai",
            "website": "https://acme.example", "country": "DE", "type": "company",
            "employees": "10", "logo-clear": "on"}
    assert client.post("/dashboard/organizations/new/", data).status_code == 302
    assert not Organization.objects.get(slug="acme-ai").logo
