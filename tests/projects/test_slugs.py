"""A project's slug is its address under /projects/: never one of the fixed pages there
(the application, the TAC's queue, invitations, the landscape file), whether the project
applies through the portal or comes in from a landscape file."""

import io

import pytest
from django.core.management import call_command
from django.urls import resolve

from projects import urls
from projects.models import Project
from projects.services import application
from tests.projects.conftest import full_application

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(("name", "slug"), [("Apply", "apply-2"), ("TAC", "tac-2"),
                                            ("Invitations", "invitations-2")])
def test_a_project_named_like_a_fixed_page_gets_another_slug(maintainer, name, slug):
    project = application.application_save_draft(
        actor=maintainer, data=full_application(name=name, repositories=[]))

    assert project.slug == slug
    assert resolve(project.get_absolute_url()).url_name == "project_detail"


def test_the_next_free_slug_is_taken_when_the_first_alternative_is_used(maintainer):
    first = application.application_save_draft(
        actor=maintainer, data=full_application(name="Apply", repositories=[]))
    second = application.application_save_draft(
        actor=maintainer, data=full_application(name="apply", repositories=[]))

    assert (first.slug, second.slug) == ("apply-2", "apply-3")


def test_every_fixed_segment_under_projects_is_reserved():
    """A page added under /projects/ must join RESERVED_SLUGS, or a project could take its
    address."""
    fixed = {str(route.pattern).split("/")[0] for route in urls.urlpatterns}
    fixed -= {"", "<slug:slug>"}

    assert fixed == application.RESERVED_SLUGS


def test_an_imported_item_named_like_a_fixed_page_gets_another_slug_and_is_found_again(
        tmp_path):
    path = tmp_path / "landscape.yml"
    path.write_text(
        "landscape:\n"
        "  - category:\n"
        "    name: Training\n"
        "    subcategories:\n"
        "      - subcategory:\n"
        "        name: General\n"
        "        items:\n"
        "          - item:\n"
        "            name: Tac\n"
        "            homepage_url: https://tac.example/\n"
        "            description: Tac trains models.\n")

    call_command("import_landscape", str(path), stdout=io.StringIO())
    out = io.StringIO()
    call_command("import_landscape", str(path), stdout=out)

    assert list(Project.objects.values_list("name", "slug")) == [("Tac", "tac-2")]
    assert "0 created, 0 updated, 1 unchanged" in out.getvalue()
