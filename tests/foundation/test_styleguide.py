"""The style guide (/styleguide/) shows staff every component of the design system; nobody
else sees it."""

import pytest

from tests.accounts.factories import UserFactory

pytestmark = pytest.mark.django_db

COMPONENTS = ["Colour", "Type scale", "Spacing, radii and shadows", "Buttons", "Cards and figures",
              "Badges", "Alerts and messages", "Form fields", "Tables", "Steps of a process",
              "Empty state", "Logo tiles"]


def test_staff_see_every_component(client):
    client.force_login(UserFactory(is_staff=True))
    response = client.get("/styleguide/")
    assert response.status_code == 200
    html = response.content.decode()
    for heading in COMPONENTS:
        assert f">{heading}</h2>" in html
    assert "--color-brand-strong" in html and "--space-4" in html
    # A field's error and help are tied to it, as on every form.
    assert 'id="id_employees_error"' in html and 'id="id_name_helptext"' in html
    assert 'class="table-scroll" tabindex="0" role="region"' in html
    assert "brand/pytorch-logo.svg" in html  # FOUNDATION_LOGO


@pytest.mark.parametrize("staff", [None, False])
def test_visitors_and_members_are_sent_to_log_in(client, staff):
    if staff is not None:
        client.force_login(UserFactory(is_staff=staff))
    response = client.get("/styleguide/")
    assert response.status_code == 302
    assert "login" in response["Location"]


PLACEHOLDERS = ["demo text", "to be named", "lorem", "todo", "(demo"]


def test_no_placeholder_text_in_templates_or_the_demo_programme():
    from pathlib import Path

    from members import demo_programme

    root = Path(__file__).resolve().parents[2]
    texts = {str(p.relative_to(root)): p.read_text(encoding="utf-8")
             for p in (root / "templates").rglob("*.html")}
    texts["members/demo_programme.py"] = (root / "members" / "demo_programme.py").read_text()
    found = [(name, word) for name, text in texts.items() for word in PLACEHOLDERS
             if word in text.lower()]
    assert not found
    assert demo_programme.AGREEMENT.startswith(
        "PyTorch Foundation membership agreement: summary of terms")
