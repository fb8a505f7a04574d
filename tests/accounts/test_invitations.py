from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.utils import timezone

from foundation.accounts.models import Invitation, OrganizationRole, Role
from foundation.accounts.services import invitation_create, invitation_token
from foundation.models import AuditEntry, OutboundEmail
from tests.accounts.factories import PASSWORD, UserFactory
from tests.mail import link_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def invite(org_admin, django_capture_on_commit_callbacks):
    org, admin = org_admin

    def make(email="colleague@example.com", roles=(Role.TECHNICAL, Role.BILLING)):
        with django_capture_on_commit_callbacks(execute=True):
            return invitation_create(organization=org, email=email, roles=roles, actor=admin)

    return make


def test_admin_invites_by_email_with_a_signed_link(client, org_admin,
                                                   django_capture_on_commit_callbacks):
    org, admin = org_admin
    client.force_login(admin)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/dashboard/{org.slug}/invite/",
                               {"email": "new@example.com", "roles": ["technical"]})
    assert response.status_code == 302
    invitation = Invitation.objects.get()
    assert invitation.roles == ["technical"]
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["new@example.com"]
    assert org.display_name in message.subject
    assert link_in(message, "/invitations/") == f"/invitations/{invitation_token(invitation)}/"
    assert message.alternatives and "Accept the invitation" in message.alternatives[0][0]


def test_logged_in_invitee_accepts_and_gets_the_roles(client, invite):
    invitation = invite()
    colleague = UserFactory(email="colleague@example.com")
    client.force_login(colleague)
    response = client.post(f"/invitations/{invitation_token(invitation)}/")
    assert response.status_code == 302
    roles = set(OrganizationRole.objects.filter(user=colleague).values_list("role", flat=True))
    assert roles == {"technical", "billing"}
    invitation.refresh_from_db()
    assert invitation.status == Invitation.Status.ACCEPTED
    assert AuditEntry.objects.filter(action="invitation.accept", actor=colleague).exists()


def test_new_person_signs_up_from_the_link_and_joins_on_first_login(
    client, invite, django_capture_on_commit_callbacks
):
    invitation = invite()
    link = f"/invitations/{invitation_token(invitation)}/"
    page = client.get(link)
    assert "Sign up to accept" in page.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/accounts/signup/", {"email": "colleague@example.com",
                                          "password1": PASSWORD, "password2": PASSWORD})
    confirm = link_in(mail.outbox[-1], "/accounts/confirm-email/")
    client.post(confirm)  # verifies and logs in
    person = OrganizationRole.objects.get(role="technical").user
    assert person.email == "colleague@example.com"
    invitation.refresh_from_db()
    assert invitation.status == Invitation.Status.ACCEPTED


def test_reused_link_changes_nothing(client, invite):
    invitation = invite()
    token = invitation_token(invitation)
    client.force_login(UserFactory(email="colleague@example.com"))
    client.post(f"/invitations/{token}/")
    other = UserFactory(email="someone@example.com")
    client.force_login(other)
    response = client.post(f"/invitations/{token}/")
    assert response.status_code == 400
    assert "used already" in response.content.decode()
    assert not OrganizationRole.objects.filter(user=other).exists()


def test_expired_link_changes_nothing(client, invite):
    invitation = invite()
    colleague = UserFactory(email="colleague@example.com")
    client.force_login(colleague)
    with time_machine.travel(timezone.now() + timedelta(days=7, minutes=1)):
        response = client.post(f"/invitations/{invitation_token(invitation)}/")
    assert response.status_code == 400
    assert "expired" in response.content.decode()
    assert not OrganizationRole.objects.filter(user=colleague).exists()
    invitation.refresh_from_db()
    assert invitation.status == Invitation.Status.PENDING


def test_link_within_seven_days_still_works(client, invite):
    invitation = invite()
    client.force_login(UserFactory(email="colleague@example.com"))
    with time_machine.travel(timezone.now() + timedelta(days=6, hours=23)):
        assert client.post(f"/invitations/{invitation_token(invitation)}/").status_code == 302


def test_link_for_another_address_is_refused(client, invite):
    invitation = invite()
    stranger = UserFactory(email="stranger@example.com")
    client.force_login(stranger)
    response = client.post(f"/invitations/{invitation_token(invitation)}/")
    assert response.status_code == 400
    assert "colleague@example.com" in response.content.decode()
    assert not OrganizationRole.objects.filter(user=stranger).exists()


def test_forged_link_is_refused(client, invite):
    invitation = invite()
    client.force_login(UserFactory(email="colleague@example.com"))
    response = client.post(f"/invitations/{invitation_token(invitation)}x/")
    assert response.status_code == 400
    assert "not valid" in response.content.decode()
    assert OrganizationRole.objects.filter(role="technical").count() == 0


def test_revoked_link_is_refused(client, org_admin, invite):
    org, admin = org_admin
    invitation = invite()
    client.force_login(admin)
    client.post(f"/dashboard/{org.slug}/invitations/{invitation.pk}/revoke/")
    client.force_login(UserFactory(email="colleague@example.com"))
    response = client.post(f"/invitations/{invitation_token(invitation)}/")
    assert response.status_code == 400
    assert OrganizationRole.objects.filter(role="technical").count() == 0


def test_second_invitation_to_same_address_is_refused(client, org_admin, invite):
    org, admin = org_admin
    invite()
    client.force_login(admin)
    response = client.post(f"/dashboard/{org.slug}/invite/",
                           {"email": "Colleague@example.com", "roles": ["admin"]})
    assert response.status_code == 200
    assert "pending invitation already" in response.content.decode()
    assert Invitation.objects.count() == 1
    assert OutboundEmail.objects.filter(kind="invitation").count() == 1


def test_invalid_invitation_form_writes_nothing(client, org_admin):
    org, admin = org_admin
    client.force_login(admin)
    response = client.post(f"/dashboard/{org.slug}/invite/", {"email": "nope", "roles": []})
    assert response.status_code == 200
    assert Invitation.objects.count() == 0
