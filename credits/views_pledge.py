"""The sponsor's pages: the pledge, the technical contact's edit, and what a benefit needs.
Each works without JavaScript: the pledge page's buttons add a contribution row or show the
level the pledge reaches, computed here, before anything is saved."""

import re
from decimal import Decimal

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from foundation.accounts.models import Organization, Role
from foundation.accounts.selectors import organization_for
from foundation.checklists.models import ChecklistItem
from foundation.transitions import DomainError

from . import programme_year, selectors
from .forms import (
    MAX_CONTRIBUTIONS,
    ContactForm,
    ContributionFormSet,
    PledgeForm,
    parse_usd,
    provide_form_for,
)
from .models import Level, Pledge, Provider, SponsorYear
from .services import benefits, pledges, sponsor_input
from .services.pledges import CONTRIBUTIONS

SLUG = re.compile(r"[-a-zA-Z0-9_]{1,100}")
NOT_AN_AMOUNT = "Give the amount in US dollars as a number, e.g. 250000."


def _credits_of(organization: Organization) -> str:
    return f"{organization.get_absolute_url()}#credits"


@login_required
@require_http_methods(["GET", "POST"])
def pledge(request):
    """One organization's pledge: chosen among those the person administers (another is a
    404), its contributions, contact and listing; "Check the level" and "Add a contribution"
    show the page again without saving, "Submit the pledge" calls pledge_submit."""
    slug = (request.POST if request.method == "POST" else request.GET).get("organization", "")
    if slug and not SLUG.fullmatch(slug):
        raise Http404("No such organization.")
    chosen = organization_for(request.user, slug, admin=True) if slug else None
    organizations = list(Organization.objects.filter(
        roles__user=request.user, roles__role=Role.ADMIN).distinct().order_by("display_name"))
    if not organizations:
        messages.info(request, "Only an organization’s admins can pledge for it: create your "
                               "organization first, or ask one of its admins.")
        return redirect(f"{reverse('organization_create')}?next={request.path}")
    organization = chosen or (organizations[0] if len(organizations) == 1 else None)
    providers = Provider.objects.in_bulk()
    levels = list(Level.objects.all())
    top = levels[-1] if levels else None
    step = request.POST.get("step", "")
    data = request.POST.copy() if request.method == "POST" else None
    if data is not None and step == "add":
        rows = data.get(f"{CONTRIBUTIONS}-TOTAL_FORMS", "1")
        data[f"{CONTRIBUTIONS}-TOTAL_FORMS"] = str(
            min(int(rows) + 1 if rows.isdigit() else 1, MAX_CONTRIBUTIONS))
    formset = ContributionFormSet(data, providers=providers)
    form = PledgeForm(data, organizations=organizations, top_level=top,
                      initial={"organization": organization.slug if organization else ""})
    preview = None
    if data is not None and step != "add" and form.is_valid() and formset.is_valid():
        assert organization is not None  # the organization field is required
        filled = formset.filled()
        if step == "submit":
            saved = _submit(request, organization, form, filled)
            if saved is not None:
                messages.success(request, (
                    f"Thank you: {organization}’s pledge for {saved.year} is submitted. We "
                    "have e-mailed you a copy; the foundation confirms it once the "
                    "sponsorship agreement is signed."))
                return redirect(_credits_of(organization))
        else:
            preview = _preview(organization, filled)
    return render(request, "credits/pledge.html", {
        "form": form, "formset": formset, "organization": organization,
        "preview": preview, "year": programme_year(), "levels": levels,
        "can_add": formset.total_form_count() < MAX_CONTRIBUTIONS,
    })


def _preview(organization, filled):
    """The level this year's confirmed contributions plus these reach, or None when an
    amount is not a number (the field then says so)."""
    total = Decimal("0.00")
    for row in filled:
        amount = parse_usd(row.amount_text())
        if amount is None:
            field = "cash_amount" if row.cleaned_data.get("kind") == "cash" else "face_value"
            row.add_error(field, NOT_AN_AMOUNT)
            return None
        total += amount
    return {"pledged": total,
            "standing": selectors.standing(organization, programme_year(), total)}


def _submit(request, organization, form, filled) -> Pledge | None:
    """pledge_submit with the form's values; its every message put beside its field."""
    data = form.cleaned_data
    try:
        return pledges.pledge_submit(
            organization=organization, actor=request.user,
            contributions=[row.to_input() for row in filled], contact=form.contact(),
            listed_publicly=data["listed_publicly"],
            offering_description=data["offering_description"], po_number=data["po_number"],
            tax_id=data["tax_id"], billing_address=data["billing_address"])
    except ValidationError as exc:
        for key, found in exc.message_dict.items():
            _place(key, found, form, filled)
    return None


def _place(key: str, found: list[str], form, rows) -> None:
    """A service's error key ("contributions-<i>-<field>" for the i-th contribution given,
    else a field of the pledge) to the field that shows it; the top of the form otherwise."""
    prefix, _, rest = key.partition("-")
    index, _, field = rest.partition("-")
    if prefix == CONTRIBUTIONS and index.isdigit() and int(index) < len(rows) \
            and field in rows[int(index)].fields:
        target, name = rows[int(index)], field
    else:
        target, name = form, (key if key in form.fields else None)
    for message in found:
        target.add_error(name, message)


def _own_pledge(user, pledge_id: int) -> Pledge:
    """A pledge of an organization the person administers; anything else is a 404."""
    found = (Pledge.objects.filter(pk=pledge_id, organization__roles__user=user,
                                   organization__roles__role=Role.ADMIN)
             .select_related("organization").distinct().first())
    if found is None:
        raise Http404("No such pledge.")
    return found


@login_required
@require_http_methods(["GET", "POST"])
def contact_edit(request, pledge_id):
    """The sponsor's admins change the technical point of contact (contact_update audits
    each change)."""
    pledge = _own_pledge(request.user, pledge_id)
    form = ContactForm(request.POST or None, initial={
        name: getattr(pledge, name) for name in ContactForm.base_fields})
    if request.method == "POST" and form.is_valid():
        try:
            pledges.contact_update(pledge_id=pledge.pk, actor=request.user,
                                   contact=form.contact())
        except ValidationError as exc:
            for key, found in exc.message_dict.items():
                for message in found:
                    form.add_error(key if key in form.fields else None, message)
        except DomainError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, f"The technical contact for {pledge.organization}’s "
                                      f"pledge for {pledge.year} is saved.")
            return redirect(_credits_of(pledge.organization))
    return render(request, "credits/contact_form.html", {"form": form, "pledge": pledge})


def _own_item(user, item_id: int) -> tuple[ChecklistItem, SponsorYear]:
    """A benefit item of a sponsor year of an organization the person administers."""
    years = SponsorYear.objects.filter(organization__roles__user=user,
                                       organization__roles__role=Role.ADMIN)
    item = ChecklistItem.objects.filter(
        pk=item_id, holder_type=ContentType.objects.get_for_model(SponsorYear),
        holder_id__in=[str(pk) for pk in years.values_list("pk", flat=True)]).first()
    if item is None:
        raise Http404("No such benefit.")
    return item, SponsorYear.objects.select_related("organization").get(pk=item.holder_id)


@login_required
@require_http_methods(["GET", "POST"])
def benefit_input(request, item_id):
    """What a benefit needs from the sponsor: the webinar's format and dates, the blog draft,
    the offering and logo, or words. The organization's page holds the same form; this page
    shows it again with its errors."""
    item, sponsor_year = _own_item(request.user, item_id)
    form = provide_form_for(item, request.POST or None, request.FILES or None,
                            user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            if "logo" in form.fields:
                sponsor_input.top_placement_provide(
                    item_id=item.pk, actor=request.user, offering=form.provided(),
                    logo=form.cleaned_data["logo"])
            else:
                benefits.benefit_provide(item_id=item.pk, actor=request.user,
                                         text=form.provided())
        except DomainError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, f"Thank you: “{item.title}” is with our team.")
            return redirect(_credits_of(sponsor_year.organization))
    return render(request, "credits/benefit_form.html",
                  {"form": form, "item": item, "organization": sponsor_year.organization})

