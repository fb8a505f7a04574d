"""What the public sees of the projects programme: the landscape a page at a time and a
project's page, each read in a constant number of queries whatever the number of projects.

Only the public statuses (ecosystem, candidate, foundation-hosted, archived) are shown; an
application on its way or declined is its maintainers' business (their dashboard). Nothing
here reads a person's e-mail address, a sponsor's statement or a reviewer's feedback."""

from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import Case, IntegerField, Q, QuerySet, Value, When

from .models import Project, ProjectMaintainer, Sponsorship, TacVote, Tag
from .statuses import TIMELINE_WORDS, Criterion, Step, criteria, state_in_words, timeline

LANDSCAPE_PAGE = 96
# The landscape's order: hosted projects first, archived ones last.
ORDER = (Project.Status.HOSTED, Project.Status.CANDIDATE, Project.Status.ECOSYSTEM,
         Project.Status.ARCHIVED)
# What the status filter offers; archived projects show only when it asks for them.
SHOWN_BY_DEFAULT = ORDER[:3]
# The steps of the timeline anyone may read: the decisions, not the review's exchanges.
PUBLIC_STEPS = frozenset(TIMELINE_WORDS[action] for action in (
    "project.approve", "project.sponsor", "project.vote_open", "project.vote_failed",
    "project.host", "project.archive"))


@dataclass
class Filters:
    """The landscape's filters as the GET form gives them, each kept only when it is one of
    the values offered (an odd value shows the unfiltered landscape)."""

    status: str = ""
    category: str = ""
    tag: str = ""
    q: str = ""

    @classmethod
    def from_query(cls, params) -> "Filters":
        def one(name: str, limit: int) -> str:
            value = params.get(name, "")
            return value.strip()[:limit] if isinstance(value, str) else ""

        status, category = one("status", 20), one("category", 20)
        return cls(status=status if status in ORDER else "",
                   category=category if category in Project.Category.values else "",
                   tag=one("tag", 60), q=one("q", 100))

    @property
    def any(self) -> bool:
        return bool(self.status or self.category or self.tag or self.q)


@dataclass
class Group:
    status: str
    label: str
    projects: list[Project] = field(default_factory=list)


def landscape_page(page: int, filters: Filters) -> tuple[list[Group], bool]:
    """One page of the landscape, hosted projects first, then candidates, then the ecosystem
    (archived ones only when the filter asks for them), by name within each; grouped by
    status. Returns the groups and whether a next page has more. One query, reading only the
    rows shown (and one more, to know whether there is a next page)."""
    shown = _filtered(filters)
    start, end = (page - 1) * LANDSCAPE_PAGE, page * LANDSCAPE_PAGE
    rank = Case(*(When(status=status, then=Value(n)) for n, status in enumerate(ORDER)),
                output_field=IntegerField())
    rows = list(shown.annotate(rank=rank)
                .only("slug", "name", "status", "summary", "logo", "category")
                .order_by("rank", "name", "pk")[start:end + 1])
    groups: list[Group] = []
    for project in rows[:LANDSCAPE_PAGE]:
        if not groups or groups[-1].status != project.status:
            groups.append(Group(project.status, project.get_status_display()))
        groups[-1].projects.append(project)
    return groups, len(rows) > LANDSCAPE_PAGE


def _filtered(filters: Filters) -> QuerySet[Project]:
    # PostgreSQL refuses a NUL byte in a query: no name or tag holds one.
    if "\x00" in filters.tag + filters.q:
        return Project.objects.none()
    projects = Project.objects.filter(status__in=[filters.status] if filters.status
                                      else SHOWN_BY_DEFAULT)
    if filters.category:
        projects = projects.filter(category=filters.category)
    if filters.tag:
        projects = projects.filter(tags__slug=filters.tag)  # a slug is unique: no duplicates
    if filters.q:
        projects = projects.filter(Q(name__icontains=filters.q)
                                   | Q(summary__icontains=filters.q))
    return projects


def tags() -> list[tuple[str, str]]:
    """The tags the filter offers, (slug, name): those of at least one public project."""
    return list(Tag.objects.filter(projects__status__in=Project.PUBLIC_STATUSES)
                .values_list("slug", "name").distinct().order_by("name", "slug"))


@dataclass
class VoteResult:
    yes: int
    no: int
    abstain: int
    eligible: int
    closed_at: datetime


@dataclass
class Evidence:
    criterion: Criterion
    links: list[tuple[str, str]]  # (what, URL), the evidence given


def evidence(project: Project) -> list[Evidence]:
    """Each criterion with the links that show it is met."""
    p = project
    badge = f"OpenSSF badge: {p.get_openssf_badge_display()}"
    links = {
        "release": [(p.latest_release or "Latest release", p.latest_release_url)],
        "documentation": [("Documentation", p.documentation_url)],
        "ci": [("CI", p.ci_url)],
        "governance": [("Governance", p.governance_url)],
        "community": [("Contributing guide", p.contributing_url),
                      ("Code of conduct", p.code_of_conduct_url)],
        "security": [("Security policy", p.security_policy_url)],
        "openssf": [(badge, p.openssf_badge_url)],
    }
    return [Evidence(c, [(what, url) for what, url in links.get(c.key, []) if url])
            for c in criteria(project)]


@dataclass
class ProjectPage:
    project: Project
    state: str
    timeline: list[Step]
    evidence: list[Evidence]
    maintainers: list[str]
    unnamed_maintainers: int
    vote: VoteResult | None
    sponsor: str

    @property
    def any_evidence(self) -> bool:
        return any(e.criterion.met for e in self.evidence)


def public_state(project: Project) -> str:
    """Where the project stands, said to the public: the maintainers' words where they suit
    anyone (ecosystem, candidate), otherwise what the status means to a reader."""
    if project.status == Project.Status.HOSTED:
        return ("Foundation-hosted: the foundation hosts the project under its open "
                "governance, as the TAC voted.")
    if project.status == Project.Status.ARCHIVED:
        return "Archived: the project is no longer active on the landscape."
    return state_in_words(project)


def project_page(slug: str) -> ProjectPage | None:
    """A public project's page, or None when no public project has this address (a draft, an
    application in review or a declined one is not public). Six queries."""
    if "\x00" in slug:
        return None
    project = (Project.objects.public().filter(slug=slug)
               .select_related("backing_organization")
               .prefetch_related("repositories", "tags").first())
    if project is None:
        return None
    # Names only: the page never reads a maintainer's e-mail address.
    names = [" ".join(filter(None, (first.strip(), last.strip()))) for first, last in
             ProjectMaintainer.objects.filter(project=project)
             .values_list("user__first_name", "user__last_name")]
    vote = None
    if project.status in (Project.Status.HOSTED, Project.Status.ARCHIVED):
        passed = (TacVote.objects.filter(project=project, result=TacVote.Result.PASSED)
                  .exclude(closed_at=None).order_by("-closed_at", "-pk").first())
        if passed is not None and passed.eligible and passed.closed_at:
            vote = VoteResult(passed.yes or 0, passed.no or 0, passed.abstain or 0,
                              passed.eligible, passed.closed_at)
    sponsor = ""
    if project.status == Project.Status.CANDIDATE:
        first_name, last_name = (Sponsorship.objects.filter(project=project)
                                 .order_by("-created_at", "-pk")
                                 .values_list("sponsor__first_name", "sponsor__last_name")
                                 .first() or ("", ""))
        sponsor = " ".join(filter(None, (first_name.strip(), last_name.strip())))
    return ProjectPage(
        project=project, state=public_state(project),
        timeline=[step for step in timeline(project) if step.words in PUBLIC_STEPS],
        evidence=evidence(project), maintainers=sorted(filter(None, names)),
        unnamed_maintainers=len([n for n in names if not n]), vote=vote, sponsor=sponsor)
