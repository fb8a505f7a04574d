"""The foundation's identity is data: FOUNDATION_COLOR drives the stylesheet's brand tokens
under a strict Content-Security-Policy, and every HTML e-mail wears the same frame."""

import base64
import hashlib
import importlib.util
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.core import mail
from django.test import override_settings

from foundation import brand, emails
from tests.accounts.factories import UserFactory

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]
STYLE = re.compile(r"<style>(.*?)</style>", re.S)
TAG = re.compile(r"<(p|a|div|table|br|img|strong|html|body)\b", re.I)


def settings_module_with(monkeypatch, **environment):
    """foundation/settings.py executed afresh under `environment`, as a server would start."""
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    spec = importlib.util.spec_from_file_location("settings_under_test",
                                                  ROOT / "foundation" / "settings.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def style_src(response) -> list[str]:
    for part in response["Content-Security-Policy"].split(";"):
        name, *values = part.split()
        if name == "style-src":
            return values
    raise AssertionError("no style-src")


@pytest.mark.parametrize("color", ["#1d5bd6", "#2e7d32"])
def test_the_main_colour_drives_the_stylesheet_and_the_policy_allows_exactly_that_style(
        client, monkeypatch, color):
    started = settings_module_with(monkeypatch, FOUNDATION_COLOR=color, DEBUG="true")
    with override_settings(FOUNDATION_COLOR=started.FOUNDATION_COLOR,
                           FOUNDATION_STYLE=started.FOUNDATION_STYLE,
                           CONTENT_SECURITY_POLICY=started.CONTENT_SECURITY_POLICY):
        response = client.get("/membership/")
    html = response.content.decode()
    assert f'<meta name="theme-color" content="{color}">' in html
    (text,) = STYLE.findall(html)
    assert f"--color-brand:{color}" in text
    assert "#ee4c2c" not in text  # nothing left of the demo's orange
    digest = base64.b64encode(hashlib.sha256(text.encode()).digest()).decode()
    assert style_src(response) == ["'self'", f"'sha256-{digest}'"]


def test_a_style_the_policy_did_not_hash_is_not_allowed(client):
    """The hash is of the exact text: another colour's tokens would be blocked."""
    response = client.get("/membership/")
    (text,) = STYLE.findall(response.content.decode())
    assert brand.csp_hash(text) in style_src(response)
    assert brand.csp_hash(brand.style("#1d5bd6")) not in style_src(response)


def test_a_colour_that_is_not_one_stops_the_server_at_start(monkeypatch):
    from django.core.exceptions import ImproperlyConfigured

    with pytest.raises(ImproperlyConfigured, match="FOUNDATION_COLOR"):
        settings_module_with(monkeypatch, FOUNDATION_COLOR="orange", DEBUG="true")


@pytest.mark.parametrize("color", ["#ee4c2c", "#1d5bd6", "#ffcc00", "#00ff00", "#222222",
                                   "#ffffff", "#000000", "#7b2cbf"])
def test_text_on_and_in_the_brand_passes_aa_in_both_schemes(color):
    light, dark = brand.palette(color)
    for ground in ("#ffffff", "#f6f7f9", light["brand-tint"]):
        assert brand.contrast(light["brand-strong"], ground) >= 4.5  # links, badges
    assert brand.contrast("#ffffff", light["action"]) >= 4.5  # button text
    for ground in ("#1b1f27", "#12151b", dark["brand-tint"]):
        assert brand.contrast(dark["brand-strong"], ground) >= 4.5
    assert brand.contrast("#ffffff", dark["action"]) >= 4.5
    assert brand.contrast(dark["brand"], "#12151b") >= 3  # an accent on the dark ground


# -- E-mails ---------------------------------------------------------------------------------

APP_MESSAGES = ["accounts/emails/invitation", "members/emails/welcome",
                "billing/emails/invoice_issued"]


@pytest.fixture
def identity(settings):
    settings.SITE_URL = "https://portal.example.org"
    settings.FOUNDATION_NAME = "Example Foundation"
    settings.FOUNDATION_COLOR = "#1d5bd6"
    return settings


def assert_framed(html: str) -> None:
    assert "Example Foundation" in html
    assert re.search(r'<img src="https://portal\.example\.org/static/brand/pytorch-logo[^"]*'
                     r'\.svg" alt="Example Foundation logo"', html)
    assert "border-top:4px solid #1d5bd6" in html
    assert "#c0392b" not in html and "<style" not in html  # inline styles only


def assert_plain(text: str) -> None:
    assert text.strip() and not TAG.search(text)


@pytest.mark.parametrize("template", APP_MESSAGES)
def test_each_apps_message_wears_the_frame_and_its_text_part_is_plain(identity, template):
    _subject, text, html = emails.render(template, {})
    assert_framed(html)
    assert_plain(text)


def test_every_html_message_uses_the_frame():
    for path in (ROOT / "templates").glob("**/emails/*.html"):
        if path.name != "base.html":
            assert '{% extends "foundation/emails/base.html" %}' in path.read_text(), path


def test_allauths_text_only_messages_are_sent_in_the_frame_too(
        identity, client, django_capture_on_commit_callbacks):
    UserFactory(email="ada@example.com")
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/accounts/password/reset/", {"email": "ada@example.com"})
    (message,) = [m for m in mail.outbox if m.to == ["ada@example.com"]]
    (html, mimetype), = message.alternatives
    assert mimetype == "text/html"
    assert_framed(html)
    assert "/accounts/password/reset/key/" in html  # the text, laid out in the frame
    assert_plain(message.body)
    assert settings.FOUNDATION_NAME == "Example Foundation"
