"""Content-Security-Policy: every page forbids inline and third-party script, plugins and
framing, and no template needs more."""

import re
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client
from django.urls import path

from foundation import brand
from foundation import urls as portal_urls
from foundation.billing import services
from tests.accounts.factories import OrganizationFactory

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]
TEMPLATES = ROOT / "templates"


def policy(response) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]
    return {name: values for name, *values in (part.split() for part in header.split(";"))}


def assert_strict(response):
    found = policy(response)
    assert found["script-src"] == ["'self'"]
    assert found["object-src"] == ["'none'"]
    # Styles from our files, and the one inline <style> of base.html by its hash.
    assert found["style-src"] == ["'self'", brand.csp_hash(settings.FOUNDATION_STYLE)]
    assert found["base-uri"] == ["'self'"]
    assert found["frame-ancestors"] == ["'none'"]
    assert found["form-action"] == ["'self'"]
    assert found["img-src"] == ["'self'", "data:"]


@pytest.mark.parametrize("url", ["/membership/", "/accounts/login/", "/admin/login/"])
def test_pages_forbid_inline_and_foreign_script_objects_and_framing(client, url):
    response = client.get(url)
    assert response.status_code in {200, 302}  # the admin's login may send to the portal's
    assert_strict(response)


@pytest.mark.parametrize("url", ["/admin/", "/admin/billing/invoice/",
                                 "/admin/accounts/organization/add/"])
def test_the_admin_pages_carry_the_same_policy(admin_client, url):
    response = admin_client.get(url)
    assert response.status_code == 200
    assert_strict(response)


def _fails(request):
    raise RuntimeError("Something broke.")


urlpatterns = [path("test/fails/", _fails), *portal_urls.urlpatterns]
handler500 = portal_urls.handler500


@pytest.mark.urls(__name__)
def test_only_the_self_contained_500_page_may_use_its_inline_styles():
    response = Client(raise_request_exception=False).get("/test/fails/")
    assert response.status_code == 500
    found = policy(response)
    assert found["style-src"] == ["'self'", "'unsafe-inline'"]
    assert found["script-src"] == ["'self'"]


# An inline script is a <script> element with code in it; a JSON data block
# (type="application/json", as json_script writes) is never run, so it may stay.
SCRIPT = re.compile(r"<script\b([^>]*)>(.*?)</script\s*>", re.I | re.S)
EVENT_HANDLER = re.compile(r"<[a-z][^>]*\son[a-z]+\s*=", re.I | re.S)
INLINE_STYLE = re.compile(r"<style\b|<[a-z][^>]*\sstyle\s*=", re.I | re.S)


def pages() -> list[Path]:
    """Templates that are served as pages: e-mails are not, and CSP does not apply to them."""
    return [p for p in TEMPLATES.rglob("*.html") if "emails" not in p.relative_to(TEMPLATES).parts]


def test_no_template_has_an_inline_script_or_event_handler():
    offenders = []
    for template in TEMPLATES.rglob("*.html"):
        text = template.read_text()
        for attributes, body in SCRIPT.findall(text):
            if body.strip() and "application/json" not in attributes:
                offenders.append(f"{template.relative_to(ROOT)}: inline <script>")
        if EVENT_HANDLER.search(text):
            offenders.append(f"{template.relative_to(ROOT)}: on...= handler")
        if "javascript:" in text.lower():
            offenders.append(f"{template.relative_to(ROOT)}: javascript: URL")
    assert offenders == []


def test_no_page_template_has_inline_styles_but_the_error_pages_and_the_brand_tokens():
    """base.html's <style> holds only settings.FOUNDATION_STYLE, allowed by its hash; the
    500 and 503 pages' frame (_standalone.html) is self-contained."""
    offenders = sorted(str(p.relative_to(ROOT)) for p in pages()
                       if INLINE_STYLE.search(p.read_text()))
    assert offenders == ["templates/_standalone.html", "templates/base.html"]


def test_the_scan_finds_what_it_looks_for():
    assert SCRIPT.findall('<script>alert(1)</script>')[0][1] == "alert(1)"
    assert EVENT_HANDLER.search('<button type="button"\n onclick="window.print()">')
    assert not EVENT_HANDLER.search('<p data-one="x">Someone wrote</p>')
    assert INLINE_STYLE.search('<section class="card" style="margin: 0">')


def test_the_invoice_print_button_is_a_static_script(client):
    org, admin = OrganizationFactory.with_admin()
    draft = services.invoice_create(organization=org, lines=[("Dues", Decimal("100.00"))])
    invoice = services.invoice_issue(invoice_id=draft.pk)
    client.force_login(admin)
    html = client.get(f"/dashboard/{org.slug}/invoices/{invoice.pk}/").content.decode()
    assert '<button type="button" class="button secondary" data-print hidden>Print</button>' in html
    assert "use your browser's Print command" in html  # what a page without JavaScript says
    assert '<script src="/static/js/print.js"></script>' in html
    assert "window.print()" in (ROOT / "static/js/print.js").read_text()
