import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from PIL import Image

from foundation.accounts.models import Invitation, Organization, OrganizationRole, Role
from foundation.accounts.services import invitation_create
from foundation.models import AuditEntry
from tests.accounts.factories import OrganizationFactory, UserFactory

pytestmark = pytest.mark.django_db

NEW = "/dashboard/organizations/new/"


def org_data(**overrides):
    return {
        "legal_name": "Acme Artificial Intelligence Ltd",
        "display_name": "Acme AI",
        "slug": "acme-ai",
        "website": "https://acme.example",
        "country": "DE",
        "type": "company",
        "employees": "1200",
        **overrides,
    }


def png(width=64, height=32) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), "red").save(buffer, "PNG")
    return buffer.getvalue()


def test_person_creates_an_organization_and_becomes_its_admin(client, user):
    client.force_login(user)
    logo = SimpleUploadedFile("acme.png", png(), content_type="image/png")
    response = client.post(NEW, {**org_data(), "logo": logo})
    assert response.status_code == 302
    org = Organization.objects.get(slug="acme-ai")
    assert response["Location"] == "/dashboard/acme-ai/"
    assert org.employees == 1200
    assert org.logo.name.endswith(".png")
    assert OrganizationRole.objects.get(organization=org).role == Role.ADMIN
    assert AuditEntry.objects.filter(action="organization.create", object_id=str(org.pk)).exists()
    page = client.get("/dashboard/").content.decode()
    assert "Acme AI" in page


def test_svg_logo_is_stored_sanitized(client, user):
    client.force_login(user)
    svg = b'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><!-- c --><rect/></svg>'
    logo = SimpleUploadedFile("acme.svg", svg, content_type="image/svg+xml")
    assert client.post(NEW, {**org_data(), "logo": logo}).status_code == 302
    stored = Organization.objects.get().logo
    assert stored.name.endswith(".svg")
    assert b"<!--" not in stored.read()


def test_anonymous_visitor_is_sent_to_login(client):
    response = client.get(NEW)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_duplicate_slug_shows_error_and_writes_nothing(client, user):
    OrganizationFactory(slug="acme-ai")
    client.force_login(user)
    response = client.post(NEW, org_data())
    assert response.status_code == 200
    assert "This address is taken" in response.content.decode()
    assert Organization.objects.count() == 1
    assert not OrganizationRole.objects.filter(user=user).exists()


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("logo.png", b"this is plain text, not an image", "not a PNG, JPEG"),
        ("logo.png", b"\x89PNG" + b"0" * (2 * 1024 * 1024 + 1), "larger than 2 MB"),
        (
            "logo.svg",
            b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
            "script",
        ),
    ],
    ids=["not-an-image", "oversized", "svg-with-script"],
)
def test_bad_logo_shows_error_and_writes_nothing(client, user, name, content, message):
    client.force_login(user)
    upload = SimpleUploadedFile(name, content)
    response = client.post(NEW, {**org_data(), "logo": upload})
    assert response.status_code == 200
    assert message in response.content.decode()
    assert Organization.objects.count() == 0


def test_image_too_many_pixels_is_refused(client, user):
    client.force_login(user)
    upload = SimpleUploadedFile("wide.png", png(4001, 10))
    response = client.post(NEW, {**org_data(), "logo": upload})
    assert "4000" in response.content.decode()
    assert Organization.objects.count() == 0


def test_post_without_csrf_token_is_refused_and_writes_nothing(user):
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    response = client.post(NEW, org_data())
    assert response.status_code == 403
    assert Organization.objects.count() == 0


def test_form_keeps_input_and_labels_fields_on_error(client, user):
    client.force_login(user)
    response = client.post(NEW, org_data(employees="many"))
    html = response.content.decode()
    assert 'value="Acme AI"' in html
    assert '<label for="id_employees">' in html
    assert 'role="alert"' in html
    # The error is tied to its field (Django names it; the template gives it that id).
    assert 'aria-invalid="true"' in html and "id_employees_error" in html.split("aria-invalid")[1]
    assert 'id="id_employees_error"' in html


class TestAnotherOrganizationsUrls:
    """Every URL of an organization the person does not belong to is a 404."""

    @pytest.fixture
    def setup(self, client):
        mine, me = OrganizationFactory.with_admin()
        theirs, them = OrganizationFactory.with_admin()
        invitation = invitation_create(
            organization=theirs, email="x@example.com", roles=[Role.TECHNICAL], actor=them
        )
        client.force_login(me)
        return theirs, them, invitation

    def test_get_pages(self, client, setup):
        theirs, _, _ = setup
        for path in ["/", "/edit/", "/invite/"]:
            response = client.get(f"/dashboard/{theirs.slug}{path}")
            assert response.status_code == 404, path
            assert theirs.display_name.encode() not in response.content

    def test_posts_change_nothing(self, client, setup):
        theirs, them, invitation = setup
        before = AuditEntry.objects.count()
        responses = [
            client.post(f"/dashboard/{theirs.slug}/edit/", org_data(slug=theirs.slug)),
            client.post(f"/dashboard/{theirs.slug}/invite/",
                        {"email": "y@example.com", "roles": ["admin"]}),
            client.post(f"/dashboard/{theirs.slug}/people/{them.pk}/roles/", {"roles": []}),
            client.post(f"/dashboard/{theirs.slug}/invitations/{invitation.pk}/revoke/"),
        ]
        assert [r.status_code for r in responses] == [404] * 4
        assert AuditEntry.objects.count() == before
        invitation.refresh_from_db()
        assert invitation.status == Invitation.Status.PENDING
        assert Invitation.objects.filter(organization=theirs).count() == 1
        assert OrganizationRole.objects.filter(organization=theirs, user=them).exists()

    def test_own_invitation_id_under_own_slug_only(self, client, setup):
        """An invitation of another organization cannot be revoked through one's own slug."""
        theirs, _, invitation = setup
        mine = OrganizationRole.objects.exclude(organization=theirs).get(role=Role.ADMIN)
        response = client.post(
            f"/dashboard/{mine.organization.slug}/invitations/{invitation.pk}/revoke/"
        )
        assert response.status_code == 404


def test_non_admin_member_sees_the_organization_but_cannot_manage_it(client):
    org, _ = OrganizationFactory.with_admin()
    colleague = UserFactory()
    OrganizationRole.objects.create(organization=org, user=colleague, role=Role.BILLING)
    client.force_login(colleague)
    assert client.get(f"/dashboard/{org.slug}/").status_code == 200
    assert client.get(f"/dashboard/{org.slug}/edit/").status_code == 404
    assert client.post(f"/dashboard/{org.slug}/invite/", {"email": "z@example.com",
                                                          "roles": ["admin"]}).status_code == 404


def test_admin_changes_roles_and_the_change_is_audited(client, org_admin):
    org, admin = org_admin
    colleague = UserFactory()
    OrganizationRole.objects.create(organization=org, user=colleague, role=Role.TECHNICAL)
    client.force_login(admin)
    client.post(f"/dashboard/{org.slug}/people/{colleague.pk}/roles/",
                {"roles": ["signatory", "billing"]})
    roles = set(OrganizationRole.objects.filter(user=colleague).values_list("role", flat=True))
    assert roles == {"signatory", "billing"}
    entry = AuditEntry.objects.get(action="roles.set")
    assert entry.actor == admin
    assert entry.old_value["roles"] == ["technical"]
    assert entry.new_value["roles"] == ["billing", "signatory"]


def test_last_admin_cannot_drop_the_admin_role(client, org_admin):
    org, admin = org_admin
    client.force_login(admin)
    response = client.post(f"/dashboard/{org.slug}/people/{admin.pk}/roles/",
                           {"roles": ["billing"]}, follow=True)
    assert "at least one admin" in response.content.decode()
    assert OrganizationRole.objects.filter(organization=org, user=admin, role="admin").exists()


def test_person_may_belong_to_several_organizations(client, user):
    for _ in range(2):
        org = OrganizationFactory()
        OrganizationRole.objects.create(organization=org, user=user, role=Role.MARKETING)
    client.force_login(user)
    page = client.get("/dashboard/").content.decode()
    assert page.count('class="card"') == 2
