"""The demo's founding members speak in their own published words, attributed to the page that
published them, and a second seed keeps one testimonial each."""

import json

import pytest
from django.core.management import call_command
from django.utils.html import escape

from foundation.accounts.models import Organization
from members import models
from members.demo_programme import FOUNDING, FOUNDING_QUOTES

pytestmark = pytest.mark.django_db

DATA = json.loads(FOUNDING_QUOTES.read_text(encoding="utf-8"))
PUBLISHED = {q["organization"]: q["quote"] for q in DATA["quotes"]}
SOURCE = DATA["source"]


def test_the_data_file_holds_one_published_quote_per_founding_member():
    assert sorted(PUBLISHED) == ["AMD", "AWS", "Google", "Meta", "Microsoft", "NVIDIA"]
    assert sorted(FOUNDING.values()) == sorted(PUBLISHED)
    assert SOURCE["title"] == "Join the PyTorch Foundation: Membership Now Open"
    assert SOURCE["url"] == "https://pytorch.org/blog/join-pytorch/"
    for quote in PUBLISHED.values():
        assert quote == quote.strip() and quote[0] not in "\"“" and quote[-1] not in "\"”"
        assert "](" not in quote  # the page's links are kept as their text


def test_each_founding_member_has_its_published_quote_attributed_to_the_page():
    call_command("seed_demo")
    founders = Organization.objects.filter(is_founding_member=True)
    assert sorted(founders.values_list("slug", flat=True)) == sorted(FOUNDING)
    for org in founders:
        testimonial = models.Testimonial.objects.get(organization=org)
        assert testimonial.quote == PUBLISHED[FOUNDING[org.slug]]
        assert testimonial.author.startswith(f"{FOUNDING[org.slug]}, ")
        assert SOURCE["title"] in testimonial.author and SOURCE["url"] in testimonial.author
    assert not models.Testimonial.objects.filter(quote__icontains="demo quote").exists()
    assert not models.Testimonial.objects.filter(author__icontains="demo quote").exists()


def test_a_second_seed_replaces_an_old_placeholder_and_keeps_one_each():
    call_command("seed_demo")
    # What an earlier seed_demo left in demo databases.
    for testimonial in models.Testimonial.objects.select_related("organization"):
        name = testimonial.organization.display_name
        testimonial.quote = f"Open collaboration on PyTorch is how {name} builds AI; the " \
                            "foundation gives that work a neutral home."
        testimonial.author = f"{name} (demo quote)"
        testimonial.save()

    call_command("seed_demo")

    assert models.Testimonial.objects.count() == len(FOUNDING)
    for slug, name in FOUNDING.items():
        assert models.Testimonial.objects.get(organization__slug=slug).quote == PUBLISHED[name]
    assert not models.Testimonial.objects.filter(author__icontains="demo quote").exists()


def test_the_directory_shows_each_quote_with_its_attribution(client):
    call_command("seed_demo")
    html = client.get("/members/").content.decode()
    for name, quote in PUBLISHED.items():
        assert f"“{escape(quote)}”" in html
        assert f"— {name}, in “{SOURCE['title']}”" in html
    assert html.count(f'href="{SOURCE["url"]}"') == len(PUBLISHED)
    assert "demo quote" not in html
