from copy import copy

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from foundation.transitions import DomainError

from . import panels, selectors, services
from .forms import InvitationForm, OrganizationForm, RolesForm
from .history import organization_history
from .models import Invitation, Role, User
from .signals import PENDING_INVITATION_KEY


@login_required
def dashboard(request):
    """Each of the person's organizations with its programmes' sentence, how many next steps
    it has and the most urgent one, then the programmes' sections about the person, in a
    constant number of queries however many."""
    organizations = list(selectors.organizations_of(request.user))
    roles = {org.pk: {role.role for role in org.my_roles} for org in organizations}
    summaries = panels.summaries_of(organizations)
    steps = panels.next_steps(organizations, roles)
    return render(request, "accounts/dashboard.html", {"organizations": [
        {"organization": org, "summary": summaries[org.pk], "steps": steps[org.pk]}
        for org in organizations], **panels.person_context(request.user)})


@login_required
def organization_create(request):
    form = OrganizationForm(request.POST or None, request.FILES or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        logo = data.pop("logo")
        try:
            org = services.organization_create(actor=request.user, logo=logo, **data)
        except DomainError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, f"{org} is created, and you are its admin.")
            next_url = request.GET.get("next", "")
            if url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}):
                return redirect(next_url)
            return redirect(org)
    return render(request, "accounts/organization_form.html", {"form": form, "creating": True})


@login_required
def organization_detail(request, slug):
    org = selectors.organization_for(request.user, slug)
    my_roles = services.roles_of(request.user, org)
    is_admin = Role.ADMIN in my_roles
    sees_invoices = bool(my_roles & {Role.ADMIN, Role.BILLING})
    return render(
        request,
        "accounts/organization_detail.html",
        {
            "organization": org,
            "my_roles": my_roles,
            "is_admin": is_admin,
            "people": selectors.people_of(org),
            "invitations": org.invitations.filter(status=Invitation.Status.PENDING)
            if is_admin else [],
            "invite_form": InvitationForm(),
            "roles": Role.choices,
            "history": organization_history(org) if is_admin else [],
            "invoices": org.invoices.exclude(number=None) if sees_invoices else [],
            "next_steps": panels.next_steps([org], {org.pk: my_roles})[org.pk],
            **panels.page_context(org, my_roles),
        },
    )


@login_required
def organization_edit(request, slug):
    org = selectors.organization_for(request.user, slug, admin=True)
    # A form writes what it is sent onto its instance even when it refuses it: the page
    # keeps to the organization as stored.
    form = OrganizationForm(request.POST or None, request.FILES or None, instance=copy(org),
                            user=request.user)
    if request.method == "POST" and form.is_valid():
        data = {k: v for k, v in form.cleaned_data.items() if k != "logo"}
        try:
            org = services.organization_update(
                organization=org, actor=request.user, logo=form.cleaned_data["logo"], **data
            )
        except DomainError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, "Saved.")
            return redirect(org)
    return render(request, "accounts/organization_form.html", {"form": form, "organization": org})


@login_required
def invite(request, slug):
    org = selectors.organization_for(request.user, slug, admin=True)
    form = InvitationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.invitation_create(
                organization=org,
                email=form.cleaned_data["email"],
                roles=form.cleaned_data["roles"],
                actor=request.user,
            )
        except DomainError as exc:
            form.add_error("email", str(exc))
        else:
            messages.success(request, f"Invitation sent to {form.cleaned_data['email']}.")
            return redirect(org)
    return render(request, "accounts/invite.html", {"organization": org, "form": form})


@login_required
@require_POST
def person_roles(request, slug, user_id):
    org = selectors.organization_for(request.user, slug, admin=True)
    person = selectors.person_in(org, user_id)
    form = RolesForm(request.POST)
    if form.is_valid():
        try:
            services.roles_set(
                organization=org, user=person, roles=form.cleaned_data["roles"], actor=request.user
            )
        except DomainError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, f"Roles of {person.email} saved.")
    else:
        messages.error(request, "Choose roles from the list.")
    return redirect(org)


@login_required
@require_POST
def invitation_revoke(request, slug, invitation_id):
    org = selectors.organization_for(request.user, slug, admin=True)
    invitation = get_object_or_404(Invitation, pk=invitation_id, organization=org)
    try:
        services.invitation_revoke(invitation=invitation, actor=request.user)
    except DomainError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"Invitation of {invitation.email} revoked.")
    return redirect(org)


def invitation_accept(request, token):
    """Anyone with the link sees whom it invites; accepting needs the invited account."""
    try:
        invitation = services.invitation_from_token(token)
    except DomainError as exc:
        return render(request, "accounts/invitation.html", {"error": str(exc)}, status=400)
    if request.method == "POST" and request.user.is_authenticated:
        try:
            services.invitation_accept(token=token, user=request.user)
        except DomainError as exc:
            return render(
                request, "accounts/invitation.html",
                {"error": str(exc), "invitation": invitation}, status=400,
            )
        messages.success(request, f"You have joined {invitation.organization}.")
        return redirect(invitation.organization)
    error = ""
    if invitation.status != Invitation.Status.PENDING:
        error = "This invitation has been used already."
    elif invitation.is_expired:
        error = "This invitation has expired. Ask for a new one."
    if not error and not request.user.is_authenticated:
        request.session[PENDING_INVITATION_KEY] = token
    has_account = User.objects.filter(email__iexact=invitation.email).exists()
    return render(
        request,
        "accounts/invitation.html",
        {"invitation": invitation, "error": error, "has_account": has_account},
        status=400 if error else 200,
    )
