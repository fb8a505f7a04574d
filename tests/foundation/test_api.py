"""The public API: every endpoint in its schema and documented, its documentation page served
from our own static files, /api/members.json unchanged for the consumers that read it."""

import json
import re
from datetime import timedelta
from html.parser import HTMLParser

import pytest
from django.contrib.staticfiles import finders
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone

from foundation.accounts.models import Organization
from members.demo_programme import seed_catalogue
from members.services import memberships
from tests.accounts.factories import OrganizationFactory

# The API's own pages, which are not operations of the API.
NOT_OPERATIONS = {"openapi-json", "openapi-view", "api-root"}


def routes(patterns, prefix=""):
    """Every route the project answers, with its URL name, as OpenAPI writes paths."""
    for pattern in patterns:
        route = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            yield from routes(pattern.url_patterns, route)
        elif isinstance(pattern, URLPattern):
            yield "/" + re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", route), pattern.name


def schema_descriptions_missing(schema) -> list[str]:
    return [
        f"{name}.{field}"
        for name, component in schema["components"]["schemas"].items()
        for field, spec in component.get("properties", {}).items()
        if not spec.get("description")
    ]


class Assets(HTMLParser):
    def __init__(self):
        super().__init__()
        self.urls = []

    def handle_starttag(self, tag, attrs):
        self.urls += [value for name, value in attrs if name in ("src", "href") and value]


@pytest.fixture
def schema(client, db):
    response = client.get("/api/openapi.json")
    assert response.status_code == 200
    return json.loads(response.content)


def test_schema_is_openapi_3_and_lists_every_api_route(schema):
    assert schema["openapi"].startswith("3.")
    served = {path for path, name in routes(get_resolver().url_patterns)
              if path.startswith("/api/") and name not in NOT_OPERATIONS}
    assert "/api/members.json" in served
    assert set(schema["paths"]) == served


def test_every_operation_is_a_documented_get(schema):
    for path, operations in schema["paths"].items():
        assert set(operations) == {"get"}, f"{path} is not read-only"
        assert operations["get"].get("summary") and operations["get"].get("description"), path


def test_every_field_of_every_response_schema_has_a_description(schema):
    assert schema_descriptions_missing(schema) == []
    members = schema["components"]["schemas"]["DirectoryMember"]["properties"]
    assert set(members) == {"name", "website", "logo", "founding_member", "member_since"}
    assert "active members only" in \
        schema["paths"]["/api/members.json"]["get"]["description"].lower()


def test_docs_page_uses_only_the_portals_own_assets(client, db):
    response = client.get("/api/docs")
    assert response.status_code == 200
    html = response.content.decode()
    assert "http://" not in html and "https://" not in html
    parser = Assets()
    parser.feed(html)
    assert any(url.endswith("swagger-ui-bundle.js") for url in parser.urls)
    for url in parser.urls:
        assert url.startswith("/static/") and not url.startswith("//"), url
        assert finders.find(url.removeprefix("/static/")), f"{url} is not vendored"
    settings = json.loads(re.search(r'id="swagger-settings">(.*?)</script>', html,
                                    re.S).group(1))
    assert settings["url"] == "/api/openapi.json"
    assert settings["validatorUrl"] is None  # Swagger UI would call validator.swagger.io


def test_members_json_keeps_the_shape_the_old_view_gave(client, db, admin_user):
    tiers = seed_catalogue()
    today = timezone.localdate()
    founding = OrganizationFactory(display_name="Acme AI", website="https://acme.example/",
                                   is_founding_member=True)
    Organization.objects.filter(pk=founding.pk).update(logo="logos/acme.png")
    founding.refresh_from_db()
    plain = OrganizationFactory(display_name="Beta Labs", website="")
    general = OrganizationFactory(display_name="Gamma Compute")
    lapsed = OrganizationFactory(display_name="Old Member")
    for org, tier, starts_on in [(plain, "premier", today), (founding, "premier", today),
                                 (general, "general", today - timedelta(days=40)),
                                 (lapsed, "general", today - timedelta(days=800))]:
        memberships.membership_import(organization=org, tier=tiers[tier], starts_on=starts_on,
                                      actor=admin_user)
    memberships.lapse_memberships()

    response = client.get("/api/members.json")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    expected = {"tiers": [
        {"tier": "Premier", "members": [
            {"name": "Acme AI", "website": "https://acme.example/",
             "logo": "http://testserver/media/logos/acme.png", "founding_member": True,
             "member_since": today.isoformat()},
            {"name": "Beta Labs", "website": "", "logo": None, "founding_member": False,
             "member_since": today.isoformat()},
        ]},
        {"tier": "General", "members": [
            {"name": "Gamma Compute", "website": "https://example.com/", "logo": None,
             "founding_member": False,
             "member_since": (today - timedelta(days=40)).isoformat()},
        ]},
    ]}
    # The old view's JsonResponse wrote json.dumps with its default separators.
    assert response.content == json.dumps(expected).encode()


def test_members_json_pages_in_the_same_shape(client, admin_user, monkeypatch):
    from members import api as members_api

    tiers = seed_catalogue()
    for n, tier in enumerate(["premier", "general", "general", "associate", "general"]):
        org = OrganizationFactory(display_name=f"Member {n}", type="academic")
        memberships.membership_import(organization=org, tier=tiers[tier],
                                      starts_on=timezone.localdate(), actor=admin_user)
    monkeypatch.setattr(members_api, "PAGE_SIZE", 2)
    whole = client.get("/api/members.json").json()
    names = [m["name"] for t in whole["tiers"] for m in t["members"]]
    paged = []
    for page in range(1, len(names) + 2):
        body = client.get(f"/api/members.json?page={page}").json()
        assert set(body) == {"tiers"}
        paged += [m["name"] for t in body["tiers"] for m in t["members"]]
    assert paged == names
    assert client.get("/api/members.json?page=0").status_code == 422
