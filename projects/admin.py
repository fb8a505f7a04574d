"""Staff's side of the projects programme: projects on the pathway, changed only through the
services (start the review, request changes, record the working group's decision, open and
close a TAC vote, archive), each a page of its own with a form and most also an action; the
TAC roster through its services; votes with their ballots, read-only; the projects' CSV.
A refusal is an error message and writes nothing; a status is never edited by hand."""

from datetime import datetime, timedelta

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.postgres.expressions import ArraySubquery
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Exists, OuterRef, Q, Subquery
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join

from foundation import audit
from foundation.accounts.models import Organization, User
from foundation.admin_audit import AuditedModelAdmin, ReadOnlyInline
from foundation.audit import long_date
from foundation.checklists.admin import ChecklistInline
from foundation.transitions import DomainError
from members.models import Membership

from .models import (
    REAPPLY_AFTER_MONTHS,
    Ballot,
    EcosystemDecision,
    MaintainerInvitation,
    Project,
    ProjectMaintainer,
    ProjectRepository,
    Sponsorship,
    SponsorshipRequest,
    TacMember,
    TacVote,
    Tag,
)
from .queues import CLOSING_SOON_DAYS, candidates_waiting_for_a_vote, votes_closing_soon
from .selectors import voting_members
from .services import hosting, review, tac, votes
from .services.common import add_months
from .statuses import TIMELINE_WORDS, criteria, state_in_words

SERVICE_FORM = "admin/service_form.html"
# The statuses in which a project waits on someone: the staff, its maintainers or the TAC.
WAITING = (Project.Status.SUBMITTED, Project.Status.IN_REVIEW,
           Project.Status.CHANGES_REQUESTED, Project.Status.CANDIDATE)
S = Project.Status


def waited(since: datetime | None, now: datetime | None = None) -> str:
    """A wait as a person says it: "12 days", "1 day", "less than a day"."""
    if since is None:
        return "—"
    days = ((now or timezone.now()) - since).days
    if days < 1:
        return "less than a day"
    return f"{days:,} day{'' if days == 1 else 's'}"


def _run(model_admin, request, call, done: str) -> bool:
    """Call a service; its refusal becomes an error message on the page, never a 500."""
    try:
        call()
    except DomainError as exc:
        model_admin.message_user(request, str(exc), messages.ERROR)
        return False
    model_admin.message_user(request, done, messages.SUCCESS)
    return True


def ask_then_each(model_admin, request, queryset, form_class, action, title, service, done, *,
                  id_arg, submit):
    """An action that asks for what the service needs (feedback, a date, a reason) on a page
    of its own, then calls the service on each selected row; a refused row is an error
    message naming it, and the others go through."""
    form = form_class(request.POST if "apply" in request.POST else None)
    if form.is_bound and form.is_valid():
        model_admin.each(request, queryset, service, done, id_arg=id_arg, **form.cleaned_data)
        return None
    return render(request, SERVICE_FORM, {
        **model_admin.admin_site.each_context(request), "form": form,
        "opts": model_admin.model._meta, "title": title, "submit": submit,
        "action": action, "selected": queryset, "checkbox_name": ACTION_CHECKBOX_NAME})


# Forms of the decisions


class NoFieldsForm(forms.Form):
    """A decision that needs no more than the click (start the review, close a vote now)."""


class ChangesForm(forms.Form):
    feedback = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 6, "cols": 80}), required=False,
        help_text="What should change and why: the maintainers read this.")


class DecisionForm(forms.Form):
    outcome = forms.ChoiceField(choices=[("approve", "Approve: the project joins the ecosystem"),
                                         ("decline", "Decline")], widget=forms.RadioSelect)
    yes = forms.IntegerField(label="Votes for", min_value=0, max_value=review.MAX_COUNT)
    no = forms.IntegerField(label="Votes against", min_value=0, max_value=review.MAX_COUNT)
    abstain = forms.IntegerField(label="Abstentions", min_value=0, max_value=review.MAX_COUNT,
                                 initial=0)
    feedback = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 6, "cols": 80}), required=False,
        help_text="Required for a decline: say why, and what would change the decision. The "
                  "maintainers read it.")

    def clean(self):
        """The outcome chosen is the one the counts give: a simple majority of the votes cast,
        so a slip in either is caught before anything is recorded."""
        data = super().clean()
        yes, no, outcome = data.get("yes"), data.get("no"), data.get("outcome")
        if yes is None or no is None or outcome is None or yes == no:
            return data  # a tie is the service's to refuse, with its own words
        if outcome == "approve" and yes < no:
            raise forms.ValidationError(f"{yes} for and {no} against is a majority against: "
                                        "the counts decline the application.")
        if outcome == "decline" and yes > no:
            raise forms.ValidationError(f"{yes} for and {no} against is a majority for: the "
                                        "counts approve the application.")
        return data


def vote_closing_field() -> forms.DateTimeField:
    return forms.DateTimeField(
        label="Closes at", widget=forms.DateTimeInput(attrs={"type": "datetime-local"},
                                                      format="%Y-%m-%dT%H:%M"),
        help_text=f"Date and time in {settings.TIME_ZONE}; at most "
                  f"{votes.MAX_VOTE_LENGTH.days} days from now.")


class VoteForm(forms.Form):
    closes_at = vote_closing_field()


class ArchiveForm(forms.Form):
    note = forms.CharField(label="Reason", widget=forms.Textarea(attrs={"rows": 4, "cols": 80}),
                           required=False, help_text="Why the project is archived; it is kept "
                                                     "in the project's history.")


def _close_open_vote(*, project_id: int, actor) -> TacVote:
    """Close the vote open on the project now (votes.vote_close), or say there is none."""
    vote = TacVote.objects.filter(project_id=project_id, closed_at=None).first()
    if vote is None:
        raise DomainError("No vote is open on it.")
    return votes.vote_close(vote_id=vote.pk, actor=actor)


# Projects


class VoteStateFilter(admin.SimpleListFilter):
    """Candidates by their vote: waiting for one, or with one open (fixed choices)."""

    title = "TAC vote"
    parameter_name = "vote"

    def lookups(self, request, model_admin):
        return [("waiting", "Candidates waiting for a vote"), ("open", "Vote open")]

    def queryset(self, request, queryset):
        if self.value() == "waiting":
            return queryset.filter(pk__in=candidates_waiting_for_a_vote().values("pk"))
        if self.value() == "open":
            return queryset.filter(
                Exists(TacVote.objects.filter(project=OuterRef("pk"), closed_at=None)))
        return queryset


class ServicePage:
    """A change page that only shows: its changes are the service pages and actions, so it
    has no Save button, and a posted form writes nothing (not even the row's updated_at)."""

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        extra = {"show_save": False, "show_save_and_continue": False,
                 "show_save_and_add_another": False, **(extra_context or {})}
        return super().changeform_view(request, object_id, form_url, extra_context=extra)

    def save_model(self, request, obj, form, change):
        pass


class Table(ReadOnlyInline):
    """A read-only inline whose table the keyboard can scroll on a phone."""

    template = "admin/projects/tabular.html"


class MaintainerInline(Table):
    model = ProjectMaintainer
    fields = ["user", "added_at"]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("user", "project")


class InvitationInline(Table):
    model = MaintainerInvitation
    fields = ["email", "status", "invited_by", "created_at", "accepted_at"]
    verbose_name_plural = "maintainer invitations"

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("invited_by", "project")


class RepositoryInline(Table):
    model = ProjectRepository
    fields = ["url", "position"]


class DecisionInline(Table):
    model = EcosystemDecision
    fields = ["outcome", "yes", "no", "abstain", "feedback", "decided_by", "decided_at"]
    verbose_name_plural = "Ecosystem Working Group decisions"

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("decided_by", "project")


class SponsorshipInline(Table):
    model = Sponsorship
    fields = ["sponsor", "statement", "created_at"]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("sponsor", "project")


class SponsorshipRequestInline(Table):
    model = SponsorshipRequest
    fields = ["member", "requested_by", "message", "created_at"]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("member", "requested_by",
                                                            "project")


def counts_in_words(vote: TacVote) -> str:
    if vote.closed_at is None:
        return "open"
    members = f"{vote.eligible} voting member{'' if vote.eligible == 1 else 's'}"
    return f"{vote.yes} yes, {vote.no} no, {vote.abstain} abstaining, of {members}"


def ballots_table(ballots) -> str:
    rows = format_html_join(
        "", "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
        ((b.voter, b.get_choice_display(), b.comment or "—",
          timezone.localtime(b.updated_at).strftime("%-d %B %Y %H:%M")) for b in ballots))
    if not rows:
        return "No ballots yet."
    return format_html('<table><thead><tr><th scope="col">Voter</th><th scope="col">Vote</th>'
                       '<th scope="col">Comment</th><th scope="col">Last changed</th></tr>'
                       "</thead><tbody>{}</tbody></table>", rows)


class VoteInline(Table):
    """The project's TAC votes, each with its ballots (read-only: members vote on their
    pages, and staff close a vote with the page's button)."""

    model = TacVote
    fields = ["opened_at", "closes_at", "closed_at", "result", "counts", "ballots"]
    readonly_fields = ["counts", "ballots"]
    show_change_link = True
    verbose_name_plural = "TAC votes"

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("project").prefetch_related(
            "ballots__voter")

    @admin.display(description="counts")
    def counts(self, obj):
        return counts_in_words(obj)

    @admin.display(description="ballots")
    def ballots(self, obj):
        return ballots_table(obj.ballots.all())


class OnboardingInline(ChecklistInline):
    verbose_name_plural = "onboarding checklist"
    template = Table.template


class ProjectCsvRows:
    """The CSV's columns: each project's tags, repositories, latest decision and hosting
    date come with it as subqueries, so the export streams in chunks of the project table."""

    header = ["name", "status", "category", "tags", "repositories", "licence",
              "backing organization", "submitted", "decided", "hosted"]

    @staticmethod
    def queryset(queryset):
        return queryset.select_related("backing_organization").annotate(
            tag_names=ArraySubquery(Tag.objects.filter(projects=OuterRef("pk"))
                                    .order_by("name").values("name")),
            repository_urls=ArraySubquery(ProjectRepository.objects.filter(
                project=OuterRef("pk")).order_by("position", "pk").values("url")),
            decided_at=Subquery(EcosystemDecision.objects.filter(project=OuterRef("pk"))
                                .order_by("-decided_at", "-pk").values("decided_at")[:1]),
            hosted_at=Subquery(TacVote.objects.filter(project=OuterRef("pk"),
                                                      result=TacVote.Result.PASSED)
                               .order_by("-closed_at").values("closed_at")[:1]),
        ).order_by("name", "pk")

    @staticmethod
    def row(p: Project) -> list:
        def day(moment):
            return timezone.localdate(moment).isoformat() if moment else ""

        hosted = day(p.hosted_at)
        if not hosted and p.status == S.HOSTED and p.joined_on:
            hosted = p.joined_on.isoformat()  # imported from the landscape: its joined date
        return [p.name, p.get_status_display(), p.get_category_display(),
                "; ".join(p.tag_names), "; ".join(p.repository_urls), p.license,
                p.backing_organization.legal_name if p.backing_organization else "",
                day(p.submitted_at), day(p.decided_at), hosted]


@admin.register(Tag)
class TagAdmin(AuditedModelAdmin):
    list_display = ["name", "slug"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(Project)
class ProjectAdmin(ServicePage, AuditedModelAdmin):
    """Read-only: each decision is a page (most also an action) that calls its service."""

    list_display = ["name", "status", "category", "waiting", "backing_organization"]
    list_select_related = ["backing_organization"]
    show_full_result_count = False  # a table that grows: no second count of every row
    # Fixed choices and the tags' own table: no filter reads every project for its choices.
    list_filter = ["status", "category", "tags", VoteStateFilter]
    search_fields = ["name", "slug", "summary", "repositories__normalized_url",
                     "backing_organization__display_name"]
    fieldsets = [
        (None, {"fields": ["name", "slug", "status", "state", "public_page"]}),
        ("Application", {"fields": [
            "summary", "description", "similar_projects", "license", "backing_organization",
            "homepage_url", "documentation_url", "ci_url", "pytorch_versions", "components",
            "maintenance_horizon", "category", "tags", "logo"]}),
        ("Criteria evidence", {"fields": [
            "criteria_met", "governance_url", "contributing_url", "code_of_conduct_url",
            "security_policy_url", "openssf_badge", "openssf_badge_url", "latest_release",
            "latest_release_url"]}),
        ("Review", {"fields": ["feedback", "reapply_on", "submitted_at", "status_changed_at",
                               "waiting", "created_by", "created_at"]}),
        ("Landscape", {"fields": ["landscape_category", "landscape_subcategory", "joined_on",
                                  "crunchbase_url"]}),
        ("History", {"fields": ["history"]}),
    ]
    readonly_fields = [name for fieldset in fieldsets for name in fieldset[1]["fields"]]
    inlines = [MaintainerInline, InvitationInline, RepositoryInline, DecisionInline,
               SponsorshipRequestInline, SponsorshipInline, VoteInline, OnboardingInline]
    actions = ["start_review", "request_changes", "open_vote", "close_vote", "archive",
               "export_csv"]
    change_form_template = "admin/projects/project/change_form.html"

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description="waiting", ordering="status_changed_at")
    def waiting(self, obj):
        """Since it was submitted, or since its last status change while it waits on staff,
        its maintainers or the TAC; nothing for a project at rest."""
        if obj.status == S.SUBMITTED:
            return waited(obj.submitted_at or obj.status_changed_at)
        if obj.status in WAITING:
            return waited(obj.status_changed_at)
        return "—"

    @admin.display(description="where it stands")
    def state(self, obj):
        return state_in_words(obj)

    @admin.display(description="public page")
    def public_page(self, obj):
        if obj.status not in Project.PUBLIC_STATUSES:
            return "Not public"
        return format_html('<a href="{}">{}</a>', obj.get_absolute_url(),
                           obj.get_absolute_url())

    @admin.display(description="criteria met")
    def criteria_met(self, obj):
        return format_html_join("", "<div>{} {}</div>", (
            ("✓" if c.met else "✗", c.label) for c in criteria(obj)))

    @admin.display(description="history")
    def history(self, obj):
        entries = audit.history(obj).order_by("-created_at", "-pk")[:50]
        rows = format_html_join("", "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>", (
            (timezone.localtime(e.created_at).strftime("%-d %B %Y %H:%M"),
             audit.actor_name(e), TIMELINE_WORDS.get(e.action) or audit.describe(e), e.note)
            for e in entries))
        if not rows:
            return "Nothing recorded."
        return format_html('<table><thead><tr><th scope="col">When</th><th scope="col">Who'
                           '</th><th scope="col">What</th><th scope="col">Note</th></tr>'
                           "</thead><tbody>{}</tbody></table>", rows)

    # The decisions' pages

    def get_urls(self):
        def page(route, view, name):
            return path(f"<int:project_id>/{route}/", self.admin_site.admin_view(view),
                        name=f"projects_project_{name}")

        return [
            page("review", self.review_view, "review"),
            page("changes", self.changes_view, "changes"),
            page("decide", self.decide_view, "decide"),
            page("vote", self.vote_view, "vote"),
            page("close-vote", self.close_vote_view, "close_vote"),
            page("archive", self.archive_view, "archive"),
            *super().get_urls(),
        ]

    def _page(self, request, project_id, form_class, title, submit, call, done, *,
              initial=None, about=()):
        project = get_object_or_404(Project.objects.select_related("backing_organization"),
                                    pk=project_id)
        if not self.has_change_permission(request, project):
            raise PermissionDenied
        posted = request.POST if request.method == "POST" else None  # may be empty: a click
        form = form_class(posted, initial=initial or {})
        if posted is not None and form.is_valid() and _run(
                self, request, lambda: call(project, form.cleaned_data), done(project)):
            return redirect(reverse("admin:projects_project_change", args=[project.pk]))
        line = f"{project.name} · {project.get_status_display()}"
        if project.status in WAITING:
            line += f" · waiting {self.waiting(project)}"
        lines = [line, *about]
        return render(request, SERVICE_FORM, {
            **self.admin_site.each_context(request), "form": form, "opts": self.model._meta,
            "title": title.format(project=project), "about": lines, "submit": submit,
            "original": project})

    def review_view(self, request, project_id):
        return self._page(
            request, project_id, NoFieldsForm, "Start the review: {project}",
            "Start the review",
            lambda project, data: review.review_start(project_id=project.pk,
                                                      actor=request.user),
            lambda project: f"{project} is in review.")

    def changes_view(self, request, project_id):
        return self._page(
            request, project_id, ChangesForm, "Request changes: {project}", "Request changes",
            lambda project, data: review.changes_request(project_id=project.pk,
                                                         actor=request.user, **data),
            lambda project: f"Changes to {project} are requested; its maintainers are told.")

    def decide_view(self, request, project_id):
        reapply_on = add_months(timezone.localdate(), REAPPLY_AFTER_MONTHS)
        return self._page(
            request, project_id, DecisionForm,
            "Record the Ecosystem Working Group's decision: {project}", "Record the decision",
            lambda project, data: review.decision_record(
                project_id=project.pk, actor=request.user, yes=data["yes"], no=data["no"],
                abstain=data["abstain"], feedback=data["feedback"]),
            lambda project: f"The working group's decision on {project} is recorded; its "
                            "maintainers are told.",
            initial={"abstain": 0},
            about=["More votes for than against approves. A decline sets the date the "
                   f"project may apply again: {long_date(reapply_on)}."])

    def vote_view(self, request, project_id):
        members = voting_members().count()
        closes = timezone.localtime() + timedelta(days=14)
        return self._page(
            request, project_id, VoteForm, "Open the TAC vote: {project}", "Open the vote",
            lambda project, data: votes.vote_open(project_id=project.pk, actor=request.user,
                                                  closes_at=data["closes_at"]),
            lambda project: f"The TAC vote on {project} is open; every voting member is "
                            "e-mailed.",
            initial={"closes_at": closes.replace(hour=17, minute=0, second=0,
                                                 microsecond=0)},
            about=[f"The TAC has {members:,} voting member{'' if members == 1 else 's'} now: "
                   f"{votes.yes_needed(members):,} yes vote"
                   f"{'' if votes.yes_needed(members) == 1 else 's'} pass it (two thirds of "
                   "all voting members, counted when the vote closes)."])

    def close_vote_view(self, request, project_id):
        vote = TacVote.objects.filter(project_id=project_id, closed_at=None).annotate(
            cast=Count("ballots")).first()
        about = [f"{vote.cast:,} ballot{'' if vote.cast == 1 else 's'} cast; it would close "
                 f"at {votes.when(vote.closes_at)}."] if vote else ["No vote is open on it."]
        return self._page(
            request, project_id, NoFieldsForm, "Close the TAC vote now: {project}",
            "Close the vote now",
            lambda project, data: _close_open_vote(project_id=project.pk, actor=request.user),
            lambda project: f"The TAC vote on {project} is closed and counted.", about=about)

    def archive_view(self, request, project_id):
        return self._page(
            request, project_id, ArchiveForm, "Archive: {project}", "Archive the project",
            lambda project, data: hosting.project_archive(project_id=project.pk,
                                                          actor=request.user, **data),
            lambda project: f"{project} is archived.")

    # The same decisions as actions on the selected projects

    @admin.action(description="Start the review of the selected projects",
                  permissions=["change"])
    def start_review(self, request, queryset):
        self.each(request, queryset, review.review_start, "project(s) taken into review",
                  id_arg="project_id")

    @admin.action(description="Request changes to the selected projects (asks the feedback)",
                  permissions=["change"])
    def request_changes(self, request, queryset):
        return ask_then_each(self, request, queryset, ChangesForm, "request_changes",
                             "Request changes to the selected projects",
                             review.changes_request, "project(s) sent back for changes",
                             id_arg="project_id", submit="Request changes")

    @admin.action(description="Open a TAC vote on the selected candidates (asks the closing "
                              "date)", permissions=["change"])
    def open_vote(self, request, queryset):
        return ask_then_each(self, request, queryset, VoteForm, "open_vote",
                             "Open a TAC vote on the selected candidates", votes.vote_open,
                             "vote(s) opened", id_arg="project_id", submit="Open the votes")

    @admin.action(description="Close the selected projects' open votes now",
                  permissions=["change"])
    def close_vote(self, request, queryset):
        self.each(request, queryset, _close_open_vote, "vote(s) closed and counted",
                  id_arg="project_id")

    @admin.action(description="Archive the selected projects (asks the reason)",
                  permissions=["change"])
    def archive(self, request, queryset):
        return ask_then_each(self, request, queryset, ArchiveForm, "archive",
                             "Archive the selected projects", hosting.project_archive,
                             "project(s) archived", id_arg="project_id",
                             submit="Archive the projects")

    @admin.action(description="Export the selected projects as CSV")
    def export_csv(self, request, queryset):
        from foundation.billing.admin import EXPORT_CHUNK, csv_response

        rows = (ProjectCsvRows.row(p) for p in ProjectCsvRows.queryset(queryset)
                .iterator(chunk_size=EXPORT_CHUNK))
        return csv_response("projects.csv", ProjectCsvRows.header, rows)


# The TAC


class TacAddForm(forms.Form):
    """Plain fields, read by a screen reader as they are: the person by their e-mail, the
    membership and organization among the active members (a short list)."""

    email = forms.EmailField(label="Person's e-mail", max_length=254,
                             help_text="The e-mail of their portal account.")
    membership = forms.ModelChoiceField(
        queryset=Membership.objects.filter(status=Membership.Status.ACTIVE).select_related(
            "organization", "tier").order_by("organization__display_name"), required=False,
        help_text="For a Premier member's named representative: the seat votes only while "
                  "this membership is active.")
    organization = forms.ModelChoiceField(
        queryset=Organization.objects.filter(
            memberships__status=Membership.Status.ACTIVE).order_by("display_name"),
        required=False, help_text="Their member organization (the membership's, when one is "
                                  "chosen).")
    voting = forms.BooleanField(required=False, initial=True, label="Voting member")
    note = forms.CharField(required=False, max_length=200)

    def clean_email(self):
        email = self.cleaned_data["email"]
        user = User.objects.filter(email__iexact=email, is_active=True).first()
        if user is None:
            raise forms.ValidationError(f"No active portal account has the e-mail {email}: "
                                        "ask the person to sign up first.")
        return user


class RemoveForm(forms.Form):
    note = forms.CharField(label="Reason", required=False,
                           widget=forms.Textarea(attrs={"rows": 3, "cols": 80}),
                           help_text="Kept in the seat's history.")


def seat_votes_now(seat: TacMember, now: datetime | None = None) -> tuple[bool, str]:
    """Whether the seat votes now, and why not (selectors.voting_seats, said in words)."""
    now = now or timezone.now()
    if seat.ends_at is not None and seat.ends_at <= now:
        return False, "left the roster"
    if seat.starts_at > now:
        return False, "not started yet"
    if not seat.voting:
        return False, "non-voting seat"
    if seat.membership is not None and seat.membership.status != Membership.Status.ACTIVE:
        return False, f"membership {seat.membership.get_status_display().lower()}"
    if not seat.user.is_active:
        return False, "account inactive"
    return True, ""


class CurrentSeatFilter(admin.SimpleListFilter):
    title = "on the roster"
    parameter_name = "current"

    def lookups(self, request, model_admin):
        return [("yes", "Current seats"), ("no", "Former seats")]

    def queryset(self, request, queryset):
        now = timezone.now()
        current = Q(ends_at=None) | Q(ends_at__gt=now)
        if self.value() == "yes":
            return queryset.filter(current)
        if self.value() == "no":
            return queryset.exclude(current)
        return queryset


@admin.register(TacMember)
class TacMemberAdmin(ServicePage, AuditedModelAdmin):
    """The roster: a seat is added, set voting or not, and ended through the tac services; a
    Premier representative whose membership lapsed shows as not voting."""

    list_display = ["user", "organization", "membership", "voting", "votes_now", "starts_at",
                    "ends_at"]
    list_select_related = ["user", "organization", "membership__organization",
                           "membership__tier"]
    list_filter = [CurrentSeatFilter, "voting"]
    search_fields = ["user__email", "user__first_name", "user__last_name",
                     "organization__display_name"]
    readonly_fields = ["user", "organization", "membership", "voting", "votes_now",
                       "starts_at", "ends_at", "note", "added_by"]
    fields = readonly_fields
    actions = ["make_voting", "make_non_voting", "remove"]

    def has_delete_permission(self, request, obj=None):
        return False  # a seat ends (its ballots stay valid history); it is not deleted

    def get_queryset(self, request):
        return super().get_queryset(request).select_related(
            "user", "organization", "membership__organization", "membership__tier")

    @admin.display(description="votes now")
    def votes_now(self, obj):
        votes_, why = seat_votes_now(obj)
        return "Yes" if votes_ else f"No: {why}"

    def add_view(self, request, form_url="", extra_context=None):
        """Adding a seat is the tac service's (it checks the membership and the roster)."""
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = TacAddForm(request.POST or None, initial={"voting": True})
        if request.method == "POST" and form.is_valid():
            seat = []
            data = {**form.cleaned_data}
            data["user"] = data.pop("email")
            if _run(self, request, lambda: seat.append(tac.tac_member_add(
                    actor=request.user, **data)), f"{data['user']} is on the TAC roster."):
                return redirect(reverse("admin:projects_tacmember_change",
                                        args=[seat[0].pk]))
        return render(request, SERVICE_FORM, {
            **self.admin_site.each_context(request), "form": form, "opts": self.model._meta,
            "title": "Add a TAC member", "submit": "Add to the roster",
            "about": ["A Premier member's representative is linked to its membership and "
                      "votes while it is active."]})

    @admin.action(description="Make the selected seats voting", permissions=["change"])
    def make_voting(self, request, queryset):
        self.each(request, queryset, tac.tac_member_set_voting, "seat(s) voting",
                  id_arg="seat_id", voting=True)

    @admin.action(description="Make the selected seats non-voting", permissions=["change"])
    def make_non_voting(self, request, queryset):
        self.each(request, queryset, tac.tac_member_set_voting, "seat(s) non-voting",
                  id_arg="seat_id", voting=False)

    @admin.action(description="Remove the selected people from the roster (asks the reason)",
                  permissions=["change"])
    def remove(self, request, queryset):
        return ask_then_each(self, request, queryset, RemoveForm, "remove",
                             "Remove from the TAC roster", tac.tac_member_remove,
                             "seat(s) ended", id_arg="seat_id", submit="Remove")


class BallotInline(Table):
    model = Ballot
    fields = ["voter", "choice", "comment", "created_at", "updated_at"]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("voter", "vote__project")


class VoteOpenFilter(admin.SimpleListFilter):
    title = "state"
    parameter_name = "state"

    def lookups(self, request, model_admin):
        return [("open", "Open"), ("soon", f"Closing within {CLOSING_SOON_DAYS} days"),
                ("closed", "Closed")]

    def queryset(self, request, queryset):
        if self.value() == "open":
            return queryset.filter(closed_at=None)
        if self.value() == "soon":
            return queryset.filter(pk__in=votes_closing_soon(timezone.localdate())
                                   .values("pk"))
        if self.value() == "closed":
            return queryset.exclude(closed_at=None)
        return queryset


@admin.register(TacVote)
class TacVoteAdmin(ServicePage, AuditedModelAdmin):
    """Read-only, with its ballots; closing early is the project's page and action."""

    list_display = ["project", "opened_at", "closes_at", "closed_at", "result", "counts",
                    "ballots_cast"]
    list_select_related = ["project"]
    show_full_result_count = False
    list_filter = [VoteOpenFilter, "result"]
    search_fields = ["project__name"]
    ordering = ["-opened_at", "-pk"]
    readonly_fields = ["project", "opened_by", "opened_at", "closes_at", "closed_at",
                       "closed_by", "result", "counts", "yes", "no", "abstain", "eligible"]
    fields = readonly_fields
    inlines = [BallotInline]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(cast=Count("ballots"))

    @admin.display(description="counts")
    def counts(self, obj):
        return counts_in_words(obj)

    @admin.display(description="ballots cast", ordering="cast")
    def ballots_cast(self, obj):
        return f"{obj.cast:,}"

