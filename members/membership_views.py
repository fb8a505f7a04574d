"""The public membership pages, the application and the signatory's acceptance."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.contenttypes.models import ContentType
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from foundation.accounts.models import Organization, Role
from foundation.accounts.selectors import organization_for
from foundation.audit import long_date
from foundation.http import client_ip, whole_number
from foundation.pagecache import cached_page
from foundation.transitions import DomainError

from . import selectors, statuses
from .forms import ApplicationForm, ProvideForm, ResubmitForm, SignatureForm
from .models import Application, Membership, Tier
from .services import applications, memberships
from .services.applications import current_agreement


@cached_page
def membership(request):
    return render(request, "members/membership.html", {
        **selectors.catalogue(), "board_seats": memberships.board_seats(),
        # The board as seats, and people only where a member has named them.
        "guaranteed_seats": len(representatives := memberships.board_representatives()),
        "representatives": [m for m in representatives
                            if m.board_representative or m.tac_representative],
    })


@cached_page
def directory(request):
    """The directory: the most prominent tier whole, the others a page at a time."""
    page = whole_number(request.GET.get("page"), maximum=99_999) or 1
    tier = request.GET.get("tier", "")[:50]
    name = request.GET.get("q", "").strip()[:100]
    groups, more = selectors.directory_page(page, tier=tier, name=name)
    return render(request, "members/directory.html", {
        "groups": groups, "page": page, "more": more, "tier": tier, "q": name,
        "tiers": Tier.objects.order_by("order").values("slug", "name"),
    })


@login_required
def apply(request):
    """Which organization applies: a person with one goes straight to its application, a
    person with several chooses; the tier asked for is kept."""
    organizations = list(Organization.objects.filter(roles__user=request.user,
                                                     roles__role=Role.ADMIN).distinct())
    tier = request.GET.get("tier", "")
    query = f"?tier={tier}" if whole_number(tier) else ""
    if not organizations:
        messages.info(request, "First create your organization; then apply for it.")
        return redirect(f"{reverse('organization_create')}?next={request.path}{query}")
    if len(organizations) == 1:
        return redirect(reverse("organization_apply", args=[organizations[0].slug]) + query)
    return render(request, "members/apply_choose.html",
                  {"organizations": organizations, "query": query})


@login_required
def apply_for(request, slug):
    """The application of one organization, prefilled from it; its type and size are shown,
    with a link to change them on its page, and set the fee."""
    org = organization_for(request.user, slug, admin=True)
    tier = request.GET.get("tier", "")
    form = ApplicationForm(request.POST or None, organization=org, initial={
        "billing_email": request.user.email, "billing_country": org.country,
        "tier": whole_number(tier)})
    fee = None
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        fee = data.pop("fee")
        if request.POST.get("step") == "submit":
            try:
                application = applications.application_submit(organization=org,
                                                              actor=request.user, **data)
            except DomainError as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(request, "Thank you: your application is submitted. We have "
                                          "e-mailed your signatory the membership agreement.")
                return redirect("organization_detail", slug=application.organization.slug)
    return render(request, "members/apply.html", {
        "organization": org, "form": form, "fee": fee,
        "agreement": current_agreement_or_none(),
        "questionnaire_tiers": [t.pk for t in Tier.objects.filter(has_questionnaire=True)],
        **selectors.catalogue(),
    })


def current_agreement_or_none():
    try:
        return current_agreement()
    except DomainError:
        return None


def sign(request, token):
    """The signatory's page: no account needed, the signed link is the credential. A link
    that cannot be used says why; a mistake in the form (no name typed) comes back beside
    its field, so the signatory can correct it."""
    try:
        application = applications.application_from_token(token)
        applications.ensure_unsigned(application)
    except DomainError as exc:
        return render(request, "members/sign.html", {"error": str(exc)}, status=400)
    form = SignatureForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            if data["action"] == "decline":
                applications.signature_decline(token=token, reason=data["reason"],
                                               ip=client_ip(request))
            else:
                applications.signature_accept(token=token, name=data["name"],
                                              ip=client_ip(request))
        except DomainError as exc:  # used or replaced since the page was shown
            return render(request, "members/sign.html", {"error": str(exc)}, status=400)
        done = "declined" if data["action"] == "decline" else "accepted"
        return render(request, "members/sign.html", {"application": application, "done": done})
    return render(request, "members/sign.html", {"application": application, "form": form})


@login_required
@require_POST
def resubmit(request, slug, application_id):
    application = _own_application(request, slug, application_id)
    form = ResubmitForm(request.POST)
    if form.is_valid() and all(form.cleaned_data.values()):
        try:
            applications.application_resubmit(application_id=application.pk,
                                               actor=request.user, **form.cleaned_data)
        except DomainError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, "Sent back to the board for review.")
    else:
        messages.error(request, "Answer every question of the questionnaire.")
    return redirect(application.organization)


def _own_application(request, slug, application_id) -> Application:
    org = organization_for(request.user, slug, admin=True)
    application = Application.objects.filter(pk=application_id, organization=org).first()
    if application is None:
        raise Http404("No such application.")
    return application


@login_required
@require_POST
def application_action(request, slug, application_id, action):
    """The applicant sends the signatory a fresh link, which retires the earlier ones."""
    application = _own_application(request, slug, application_id)
    if action != "resend-signature":
        raise Http404("No such action.")
    try:
        applications.signature_resend(application_id=application.pk, actor=request.user)
    except DomainError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, "We have e-mailed the signatory a fresh link; the earlier "
                                  "ones no longer work.")
    return redirect(application.organization)


@login_required
@require_http_methods(["GET", "POST"])
def application_withdraw(request, slug, application_id):
    """GET says what withdrawing this application changes (an invoice voided, the board's
    approval lost); POST withdraws it."""
    application = _own_application(request, slug, application_id)
    if request.method == "POST":
        try:
            applications.application_withdraw(application_id=application.pk,
                                              actor=request.user)
        except DomainError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, "The application is withdrawn.")
        return redirect(application.organization)
    if not application.is_open:
        messages.info(request, "This application is closed already; there is nothing to "
                               "withdraw.")
        return redirect(application.organization)
    return render(request, "members/withdraw_confirm.html", {
        "organization": application.organization, "application": application,
        "consequences": statuses.withdrawal_consequences(application)})


@login_required
@require_http_methods(["GET", "POST"])
def membership_leave(request, slug, membership_id):
    """GET says when the membership ends and what that changes; POST gives notice."""
    org = organization_for(request.user, slug, admin=True)
    membership = Membership.objects.select_related("tier", "organization").filter(
        pk=membership_id, organization=org).first()
    if membership is None:
        raise Http404("No such membership.")
    if request.method == "POST":
        try:
            membership = memberships.membership_leave(membership_id=membership.pk,
                                                      actor=request.user)
        except DomainError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, f"{org} leaves the foundation: the membership ends after "
                                      f"{long_date(membership.leaves_on)}. We have e-mailed "
                                      "you a confirmation.")
        return redirect(org)
    if membership.status != Membership.Status.ACTIVE or membership.leaves_on:
        messages.info(request, statuses.state_in_words(membership))
        return redirect(org)
    return render(request, "members/leave_confirm.html", {
        "organization": org, "membership": membership,
        "consequences": statuses.leaving_consequences(membership)})


@login_required
@require_POST
def provide(request, slug, item_id):
    """A member provides what a benefit needs (e.g. the webinar dates, a logo link)."""
    from foundation.checklists.models import ChecklistItem
    from foundation.checklists.services import item_provide

    org = organization_for(request.user, slug)
    membership_ids = [str(pk) for pk in org.memberships.values_list("pk", flat=True)]
    item = ChecklistItem.objects.filter(
        pk=item_id, holder_id__in=membership_ids,
        holder_type=ContentType.objects.get_for_model(Membership)).first()
    if item is None:
        raise Http404("No such benefit.")
    form = ProvideForm(request.POST)
    if form.is_valid():
        try:
            item_provide(item_id=item.pk, actor=request.user, text=form.cleaned_data["text"])
        except DomainError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, f"Thank you: {item.title} is with our team.")
    else:
        messages.error(request, "Please write what is asked for.")
    return redirect(org)
