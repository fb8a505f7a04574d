"""The maintainer's pages: the application at /projects/apply/ (a draft saved and finished
later at /projects/apply/<pk>/, changes made and submitted again), a maintainer invitation's
link, and asking a TAC member for sponsorship from /dashboard/. Each works without
JavaScript: the criteria checklist beside the form is computed here from what was saved."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.views.decorators.http import require_http_methods, require_POST

from foundation.transitions import DomainError

from . import selectors
from .forms import ApplicationForm, SponsorshipRequestForm
from .models import MaintainerInvitation, Project
from .services import application, sponsorship
from .statuses import criteria, state_in_words

DASHBOARD_PROJECTS = "/dashboard/#your-projects"


def _own_project(user, pk: int) -> Project:
    """The application by number when the person maintains it; another's is a 404."""
    project = (selectors.maintained_projects(user).filter(pk=pk)
               .select_related("backing_organization").prefetch_related("repositories", "tags")
               .first())
    if project is None:
        raise Http404("No such application.")
    return project


@login_required
@require_http_methods(["GET", "POST"])
def apply(request, pk: int | None = None):
    """A new application, or the person's own one by number while it may be changed. "Save
    the draft" keeps whatever is given (checked only for its format); "Submit" checks it all.
    Every problem is shown beside its field, and nothing is written."""
    project = _own_project(request.user, pk) if pk is not None else None
    if project is not None and not project.is_editable:
        messages.info(request, f"{project.name} is {project.get_status_display().lower()}: "
                               "its application can no longer be changed.")
        return redirect(DASHBOARD_PROJECTS)
    initial = ApplicationForm.initial_for(project) if project is not None else {}
    form = ApplicationForm(request.POST or None, request.FILES or None, user=request.user,
                           project=project, initial=initial)
    if request.method == "POST" and form.is_valid():
        submitting = request.POST.get("step") == "submit"
        saved = _save(request, form, project, submitting=submitting)
        if saved is not None:
            if submitting:
                messages.success(request, (
                    f"{saved.name} is submitted. We have e-mailed you a copy; our staff "
                    "start the review soon, and you can follow it on your dashboard."))
                return redirect(DASHBOARD_PROJECTS)
            messages.success(request, f"The draft of {saved.name} is saved: finish it here "
                                      "whenever you like, and submit it when it is ready.")
            return redirect("projects_apply_edit", pk=saved.pk)
    shown = project or Project()
    invitations = (list(project.invitations.filter(status=MaintainerInvitation.Status.PENDING)
                        .order_by("email"))
                   if project is not None else [])
    return render(request, "projects/apply.html", {
        "form": form, "project": project, "criteria": criteria(shown),
        "met": sum(c.met for c in criteria(shown)),
        "state": state_in_words(project) if project is not None else "",
        "invitations": invitations,
    })


def _save(request, form: ApplicationForm, project: Project | None, *,
          submitting: bool) -> Project | None:
    """The service's call with the form's values; its messages put beside their fields."""
    service = application.application_submit if submitting else \
        application.application_save_draft
    try:
        return service(actor=request.user, data=form.to_input(), project=project,
                       logo=form.cleaned_data.get("logo"))
    except ValidationError as exc:
        for key, found in exc.message_dict.items():
            for message in found:
                form.add_error(key if key in form.fields else None, message)
    except DomainError as exc:
        form.add_error(None, str(exc))
    return None


def invitation(request, token: str):
    """Whom the link invites to maintain which project; the invited person, signed in,
    accepts it. A forged, expired or used link, or another person's, gets a page that says
    so."""
    try:
        found = application.invitation_from_token(token)
    except DomainError as exc:
        return render(request, "projects/invitation.html", {"error": str(exc)}, status=400)
    if request.method == "POST" and request.user.is_authenticated:
        try:
            application.invitation_accept(token=token, user=request.user)
        except DomainError as exc:
            return render(request, "projects/invitation.html",
                          {"error": str(exc), "invitation": found}, status=400)
        messages.success(request, f"You now maintain {found.project.name} with its other "
                                  "maintainers.")
        return redirect(DASHBOARD_PROJECTS)
    error = ""
    accepted_by_me = (found.status == MaintainerInvitation.Status.ACCEPTED
                      and found.accepted_by_id == getattr(request.user, "pk", None))
    if found.status != MaintainerInvitation.Status.PENDING and not accepted_by_me:
        error = "This invitation has been used already."
    elif found.is_expired and not accepted_by_me:
        error = "This invitation has expired. Ask for a new one."
    elif (request.user.is_authenticated and not accepted_by_me
          and request.user.email.lower() != found.email.lower()):
        error = (f"This invitation is for {found.email}. Log in with that address to accept "
                 "it.")
    return render(request, "projects/invitation.html", {
        "invitation": found, "error": error, "accepted": accepted_by_me,
        "login_url": f"{reverse('account_login')}?{urlencode({'next': request.path})}",
    }, status=400 if error else 200)


@login_required
@require_POST
def sponsorship_request(request, pk: int):
    """A maintainer asks one voting member of the TAC to sponsor their ecosystem project,
    from their dashboard; the service's refusal is shown there."""
    project = _own_project(request.user, pk)
    members = list(selectors.voting_members().exclude(pk=request.user.pk))
    form = SponsorshipRequestForm(request.POST, members=members, prefix=f"p{project.pk}")
    if not form.is_valid():
        messages.error(request, f"Choose the TAC member to ask to sponsor {project.name}.")
        return redirect(DASHBOARD_PROJECTS)
    member = next(m for m in members if m.pk == form.cleaned_data["member"])
    try:
        with transaction.atomic():
            sponsorship.sponsorship_request(project_id=project.pk, actor=request.user,
                                            member=member,
                                            message=form.cleaned_data["message"])
    except DomainError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"We have asked {member} to sponsor {project.name}.")
    return redirect(DASHBOARD_PROJECTS)

