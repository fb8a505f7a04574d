"""The public project pages: /projects/ (the landscape, hosted first, filtered by a GET form,
a page at a time) and /projects/<slug>/ (public projects only, names but no e-mails, the TAC's
vote for a hosted project), cached for anonymous visitors and fresh at once on a change."""

import io
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from projects import demo_scale, public
from projects.models import Project, ProjectMaintainer, ProjectRepository, Tag
from projects.services import hosting, sponsorship, votes
from tests.accounts.factories import OrganizationFactory, UserFactory

pytestmark = pytest.mark.django_db


def make(name, status=Project.Status.ECOSYSTEM, **fields):
    slug = name.lower().replace(" ", "-")
    project = Project.objects.create(name=name, slug=slug, status=status, **fields)
    ProjectRepository.objects.create(project=project, url=f"https://github.com/ex/{slug}")
    return project


def page(client, path="/projects/"):
    response = client.get(path)
    assert response.status_code == 200, path
    return response.content.decode()


def names(client, path="/projects/"):
    """The projects' names on a landscape page, in order."""
    response = client.get(path)
    assert response.status_code == 200, path
    return [p.name for group in response.context["groups"] for p in group.projects]


def queries(client, path):
    with CaptureQueriesContext(connection) as captured:
        assert client.get(path).status_code == 200
    return len(captured)


@pytest.fixture
def landscape(db):
    return {
        "zeta": make("Zeta Serve", Project.Status.HOSTED, category="platform",
                     summary="Serving at scale."),
        "alpha": make("Alpha Vision", category="vertical"),
        "beta": make("Beta Train", Project.Status.CANDIDATE, category="platform"),
        "gamma": make("Gamma Geo", category="vertical", summary="Geospatial tensors."),
        "old": make("Old Lens", Project.Status.ARCHIVED, category="vertical"),
        "draft": make("Draft Thing", Project.Status.DRAFT),
        "declined": make("Declined Thing", Project.Status.DECLINED),
        "review": make("Review Thing", Project.Status.IN_REVIEW),
    }


def test_the_grid_shows_hosted_first_then_candidates_then_the_ecosystem(client, landscape):
    assert names(client) == ["Zeta Serve", "Beta Train", "Alpha Vision", "Gamma Geo"]
    html = page(client)
    assert html.index("Foundation-hosted projects") < html.index("Candidates for hosting") \
        < html.index("Ecosystem projects")
    assert 'class="member-grid prominent"' in html  # the hosted ones' larger tiles
    assert "Serving at scale." in html  # a hosted project's summary on its tile
    assert 'href="/projects/zeta-serve/"' in html
    # No logo: a monogram tile.
    assert '<span class="monogram" aria-hidden="true">Z</span>' in html
    for hidden in ("Old Lens", "Draft Thing", "Declined Thing", "Review Thing"):
        assert hidden not in html


@pytest.mark.parametrize(("query", "expected"), [
    ("status=hosted", ["Zeta Serve"]),
    ("status=candidate", ["Beta Train"]),
    ("status=ecosystem", ["Alpha Vision", "Gamma Geo"]),
    ("status=archived", ["Old Lens"]),
    ("category=vertical", ["Alpha Vision", "Gamma Geo"]),
    ("category=platform", ["Zeta Serve", "Beta Train"]),
    ("category=vertical&status=archived", ["Old Lens"]),
    ("q=geo", ["Gamma Geo"]),
    ("q=SERVING", ["Zeta Serve"]),  # the summary too, any case
    ("q=thing", []),  # applications not yet public are never found
    ("status=draft", ["Zeta Serve", "Beta Train", "Alpha Vision", "Gamma Geo"]),  # not offered
])
def test_each_filter_and_the_search(client, landscape, query, expected):
    assert names(client, f"/projects/?{query}") == expected


def test_the_tag_filter_offers_the_tags_of_public_projects(client, landscape):
    geo, serving, private = (Tag.objects.create(name=n, slug=n.lower())
                             for n in ("Geospatial", "Serving", "Secret"))
    landscape["gamma"].tags.add(geo)
    landscape["zeta"].tags.add(serving)
    landscape["draft"].tags.add(private)
    assert names(client, "/projects/?tag=geospatial") == ["Gamma Geo"]
    assert names(client, "/projects/?tag=serving&category=vertical") == []
    html = page(client)
    assert '<option value="geospatial">Geospatial</option>' in html
    assert "Secret" not in html
    assert names(client, "/projects/?tag=no-such-tag") == []


def test_no_match_says_so_and_offers_the_whole_landscape(client, landscape):
    html = page(client, "/projects/?q=quantum")
    assert "No project matches “quantum”." in html and 'href="/projects/">Show all' in html


def test_the_landscape_is_paged_in_the_database_keeping_the_filters(
        client, landscape, monkeypatch):
    monkeypatch.setattr(public, "LANDSCAPE_PAGE", 2)
    assert names(client) == ["Zeta Serve", "Beta Train"]
    first = page(client)
    assert 'href="?page=2">More projects' in first and "Previous projects" not in first
    assert names(client, "/projects/?page=2") == ["Alpha Vision", "Gamma Geo"]
    second = page(client, "/projects/?page=2")
    assert "More projects" not in second and 'href="?page=1">Previous projects' in second
    filtered = page(client, "/projects/?category=vertical&status=archived&q=o&page=1")
    assert "More projects" not in filtered
    make("Another Vision", category="vertical")
    cache.clear()
    vertical = page(client, "/projects/?category=vertical&q=i")
    assert 'href="?page=2&amp;category=vertical&amp;q=i">More projects' in vertical
    assert names(client, "/projects/?page=2&category=vertical&q=i") == ["Gamma Geo"]
    assert names(client, "/projects/?page=9") == []
    assert "No more projects." in page(client, "/projects/?page=9")


@pytest.mark.parametrize("query", [
    "q=%00", "tag=%00", "status=%00", "category=%00", "page=%00", "q=a%00b&tag=x%00",
    "page=-1", "page=0", "page=banana", "page=" + "9" * 40, "status=" + "x" * 5000,
    "q=" + "é" * 3000, "tag=" + "%25" * 200, "category=VERTICAL", "status=Hosted",
    "q=%25_%5C", "status=hosted&status=archived", "tag[]=a", "page=1.5", "page=%EF%BC%92",
    "page=%C2%B9",
])
def test_odd_parameters_never_give_an_error(client, landscape, query):
    assert client.get(f"/projects/?{query}").status_code == 200


def test_a_nul_byte_gives_an_empty_result(client, landscape):
    assert names(client, "/projects/?q=%00") == []
    assert names(client, "/projects/?tag=a%00") == []


def test_an_unknown_status_or_category_shows_the_whole_landscape(client, landscape):
    everything = names(client)
    assert names(client, "/projects/?status=%00") == everything
    assert names(client, "/projects/?category=space&status=draft") == everything


def test_works_without_javascript_a_get_form(client, landscape):
    html = page(client)
    assert '<form method="get" action="/projects/"' in html
    for field in ('name="q"', 'name="status"', 'name="category"'):
        assert field in html
    assert 'value="archived"' in html  # archived ones are there to ask for
    assert "<script" not in html.split("<main", 1)[1].split("</main>")[0]


@pytest.mark.parametrize("status", ["draft", "submitted", "in_review", "changes_requested",
                                    "declined"])
def test_an_application_not_yet_accepted_has_no_public_page(client, status):
    make("Hidden Work", status)
    assert client.get("/projects/hidden-work/").status_code == 404


@pytest.mark.parametrize("status", ["ecosystem", "candidate", "hosted", "archived"])
def test_a_public_project_has_its_page(client, status):
    make("Open Work", status, summary="Open tensors.")
    assert "Open tensors." in page(client, "/projects/open-work/")


@pytest.mark.parametrize("path", ["/projects/no-such-project/", "/projects/a%00b/",
                                  "/projects/" + "x" * 300 + "/"])
def test_an_unknown_address_is_a_404(client, path):
    assert client.get(path).status_code == 404


def test_a_mixed_case_address_redirects_to_the_lower_case_one(client, landscape):
    response = client.get("/projects/Zeta-Serve/?x=1")
    assert response.status_code == 301 and response["Location"] == "/projects/zeta-serve/?x=1"


def test_the_page_shows_the_project_its_links_criteria_and_maintainers_without_emails(client):
    backer = OrganizationFactory(display_name="Walker Robotics", website="https://walker.example")
    project = make(
        "Torch Wave", description="Wavelets for PyTorch.\n\nFast ones.", license="Apache-2.0",
        category="vertical", homepage_url="https://torchwave.example",
        documentation_url="https://docs.torchwave.example", ci_url="https://ci.torchwave.example",
        governance_url="https://torchwave.example/governance",
        contributing_url="https://torchwave.example/contributing",
        code_of_conduct_url="https://torchwave.example/coc",
        openssf_badge="silver", openssf_badge_url="https://bestpractices.example/1",
        backing_organization=backer, pytorch_versions="2.5 and 2.6")
    project.tags.add(Tag.objects.create(name="Signal processing", slug="signal"))
    named = UserFactory(first_name="Ada", last_name="Lovelace", email="ada@private.example")
    unnamed = UserFactory(first_name="", last_name="", email="anon@private.example")
    for user in (named, unnamed):
        ProjectMaintainer.objects.create(project=project, user=user)
    html = page(client, "/projects/torch-wave/")
    assert "<p>Wavelets for PyTorch.</p>" in html and "Ecosystem project." in html
    for text in ("Apache-2.0", "Vertical", "Walker Robotics", "2.5 and 2.6",
                 'href="/projects/?tag=signal">Signal processing',
                 'href="https://github.com/ex/torch-wave"', 'href="https://torchwave.example"',
                 'href="https://docs.torchwave.example"', 'href="https://ci.torchwave.example"',
                 'href="https://torchwave.example/governance"',
                 'href="https://bestpractices.example/1" rel="noopener">OpenSSF badge: Silver',
                 "Ada Lovelace and 1 more maintainer"):
        assert text in html, text
    assert ('<li class="met"><span class="sr-only">Met:</span> CI/CD — <a '
            'href="https://ci.torchwave.example" rel="noopener">CI</a></li>') in html
    assert '<li class="unmet"><span class="sr-only">Not shown yet:</span> Security' in html
    assert "@" not in html.split("<main", 1)[1].split("</main>")[0]
    assert "private.example" not in html


def test_a_hosted_project_shows_its_tac_vote_and_a_candidate_its_sponsor(
        client, ecosystem, tac, staff, django_capture_on_commit_callbacks):
    project = ecosystem(name="Torch Wave", repositories=["https://github.com/ex/tw"])
    members = tac(9)
    members[0].first_name, members[0].last_name = "Grace", "Hopper"
    members[0].save()
    sponsorship.sponsor(project_id=project.pk, actor=members[0], statement="Ready to host.")
    candidate = page(client, f"/projects/{project.slug}/")
    assert "Sponsored by Grace Hopper, a voting member" in candidate
    assert "Ready to host." not in candidate  # the statement is the TAC's
    vote = votes.vote_open(project_id=project.pk, actor=staff,
                           closes_at=timezone.now() + timedelta(days=7))
    for member, choice in zip(members, ["yes"] * 6 + ["no", "abstain"], strict=False):
        votes.ballot_cast(vote_id=vote.pk, voter=member, choice=choice, comment="")
    with django_capture_on_commit_callbacks(execute=True):
        closed = votes.vote_close(vote_id=vote.pk, actor=staff)
    html = page(client, f"/projects/{project.slug}/")
    when = f"{closed.closed_at.day} {closed.closed_at:%B %Y}"
    assert f"The TAC voted to host it on {when}:</strong>" in html
    assert "6 yes, 1 no and 1 abstaining, of 9 voting members." in html
    # The public timeline: the decisions, not the review's exchanges.
    assert "Approved as an ecosystem project" in html and "Foundation-hosted" in html
    assert "Submitted" not in html.split('id="timeline"')[1]
    assert "Sponsored by Grace Hopper" not in html  # a hosted project shows its vote
    hosting.project_archive(project_id=project.pk, actor=staff, note="Unmaintained, sadly.")
    archived = page(client, f"/projects/{project.slug}/")
    assert "Unmaintained, sadly." not in archived  # staff's reason is not shown


def test_the_landscape_and_a_page_come_from_the_cache_and_a_status_change_shows_at_once(
        client, ecosystem, tac, staff, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        project = ecosystem(name="Torch Wave", repositories=["https://github.com/ex/tw"])
    path = f"/projects/{project.slug}/"
    for url in ("/projects/", path, "/projects/?status=candidate"):
        queries(client, url)
        assert queries(client, url) == 0, url
    assert "Torch Wave" not in page(client, "/projects/?status=candidate")  # from the cache
    member = tac(1)[0]
    with django_capture_on_commit_callbacks(execute=True):
        sponsorship.sponsor(project_id=project.pk, actor=member, statement="Ready.")
    assert "Torch Wave" in page(client, "/projects/?status=candidate")
    assert "Candidate:" in page(client, path)
    assert "Candidates for hosting" in page(client, "/projects/")


def test_a_new_maintainer_and_a_new_tag_show_at_once(
        client, landscape, django_capture_on_commit_callbacks):
    path = "/projects/gamma-geo/"
    assert "Maintainers" not in page(client, path)
    with django_capture_on_commit_callbacks(execute=True):
        ProjectMaintainer.objects.create(project=landscape["gamma"],
                                         user=UserFactory(first_name="Ada", last_name="Byron"))
    assert "Ada Byron" in page(client, path)
    tag = Tag.objects.create(name="Geospatial", slug="geo")
    assert "Gamma Geo" not in page(client, "/projects/?tag=geo")
    with django_capture_on_commit_callbacks(execute=True):
        landscape["gamma"].tags.add(tag)  # no save of the project
    assert "Gamma Geo" in page(client, "/projects/?tag=geo")


@pytest.mark.parametrize("path", ["/projects/", "/projects/?page=2", "/projects/?status=hosted",
                                  "/projects/?category=vertical&q=a", "/projects/?status=archived",
                                  "/projects/{slug}/"])
def test_the_pages_run_as_many_queries_at_300_projects_as_at_3000(client, path):
    demo_scale.seed_scale(300, io.StringIO())
    first = Project.objects.public().order_by("pk").first()
    # A busy project: tags, maintainers, a sponsor or a vote.
    for n in range(3):
        first.tags.add(Tag.objects.create(name=f"Tag {n}", slug=f"tag-{n}"))
        ProjectMaintainer.objects.create(project=first, user=UserFactory())
    path = path.format(slug=first.slug)
    small = queries(client, path)
    demo_scale.seed_scale(2700, io.StringIO())
    cache.clear()
    assert queries(client, path) == small
    assert small <= 7


def test_the_home_page_shows_hosted_and_ecosystem_projects_or_invites_them(client):
    html = page(client, "/")
    assert "Bring your project" in html and 'href="/projects/apply/"' in html
    for n in range(3):
        make(f"Eco {n}")
    make("Zeta Serve", Project.Status.HOSTED)
    cache.clear()
    html = page(client, "/")
    assert "<dt>Foundation-hosted projects</dt><dd>1</dd>" in html
    assert "<dt>Ecosystem projects</dt><dd>3</dd>" in html


def test_a_project_without_evidence_says_so_rather_than_listing_unmet_criteria(client):
    make("Old Timer", Project.Status.HOSTED, summary="Old and good.", description="Old and good.")
    html = page(client, "/projects/old-timer/")
    assert "No evidence of the criteria is on record for this project yet." in html
    assert 'class="unmet"' not in html
    assert html.count("Old and good.") == 1  # a description that is the summary, once
    assert "Foundation-hosted: the foundation hosts the project" in html
