"""A hosted project's self-service pages for the credit pool: request credits, record usage
against an allocation, import usage from a CSV. Thin: the services check who may act and
what is valid, and write; another project's (or a project not hosted) is a 404."""

from decimal import Decimal

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Q, Sum
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from credits import usd
from credits.ledger.models import Entry
from projects.models import Project
from projects.selectors import is_maintainer

from .forms_pool import ResourceRequestForm, UsageForm, UsageImportForm
from .models import UsageRecord
from .services import requests, usage


def _errors_onto(form, refused: ValidationError) -> None:
    for key, found in refused.message_dict.items():
        for message in found:
            form.add_error(key if key in form.fields else None, message)


def _dashboard(project: Project) -> str:
    return f"{reverse('dashboard')}#pool-{project.pk}"


@login_required
@require_http_methods(["GET", "POST"])
def request_credits(request, slug: str):
    """The form shows each provider's available credits, soonest expiry and technical
    contacts; request_submit checks the rest."""
    project = requests.hosted_project_for(request.user, slug)
    offers = requests.offers()
    form = ResourceRequestForm(request.POST if request.method == "POST" else None,
                               offers=offers)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            asked = requests.request_submit(
                project=project, actor=request.user, provider_id=data["provider"],
                amount=data["amount"], purpose=data["purpose"], starts_on=data["starts_on"],
                ends_on=data["ends_on"], monthly_use=data["monthly_use"])
        except ValidationError as refused:
            _errors_onto(form, refused)
        else:
            messages.success(request, f"{project.name}’s request for {usd(asked.amount)} of "
                                      f"{asked.provider} credits is sent: the foundation’s "
                                      "staff decide and you hear by e-mail.")
            return redirect(_dashboard(project))
    return render(request, "credits/pool/request.html", {
        "project": project, "offers": offers, "form": form,
        "asked": project.resource_requests.select_related("provider")[:20],
    }, status=400 if form.errors else 200)


@login_required
@require_http_methods(["GET", "POST"])
def record_usage(request, slug: str, allocation_id: int):
    allocation = usage.allocation_for(request.user, slug, allocation_id)
    project = allocation.project
    assert project is not None
    form = UsageForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            record = usage.usage_record(
                allocation=allocation, actor=request.user, amount=data["amount"],
                used_on=data["used_on"], note=data["note"], token=data["token"])
        except ValidationError as refused:
            _errors_onto(form, refused)
        else:
            words = f"{usd(record.amount)} of {allocation.provider} usage is recorded."
            if record.excess:
                words += (f" {usd(record.excess)} of it is beyond the allocation: the "
                          "foundation’s staff are told.")
            messages.success(request, words)
            return redirect(request.path)
    figures = Entry.objects.filter(account=allocation).aggregate(
        allocated=Sum("amount", filter=Q(amount__gt=0)), remaining=Sum("amount"))
    return render(request, "credits/pool/usage.html", {
        "project": project, "allocation": allocation, "form": form,
        "allocated": figures["allocated"] or Decimal("0.00"),
        "remaining": figures["remaining"] or Decimal("0.00"),
        "records": UsageRecord.objects.filter(allocation=allocation)[:50],
    }, status=400 if form.errors else 200)


@login_required
@require_http_methods(["GET", "POST"])
def import_usage(request, slug: str):
    project = Project.objects.filter(slug=slug).first()
    if project is None or not usage.may_record(request.user, project):
        raise Http404("No such project.")
    form = UsageImportForm(request.POST if request.method == "POST" else None,
                           request.FILES if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            done = usage.usage_import(project=project, actor=request.user,
                                      data=form.data_bytes())
        except ValidationError as refused:
            for message in refused.messages:
                form.add_error("file", message)
        else:
            words = (f"{done.recorded} usage line{'s' if done.recorded != 1 else ''} "
                     "recorded.")
            if done.repeated:
                words += (f" {done.repeated} line{'s were' if done.repeated != 1 else ' was'} "
                          "imported before and counted once.")
            if done.excess:
                words += (f" {usd(done.excess)} is beyond the allocations: the foundation’s "
                          "staff are told.")
            messages.success(request, words)
            # Staff who do not maintain the project have it on no dashboard: the page again.
            return redirect(_dashboard(project) if is_maintainer(request.user, project)
                            else request.path)
    return render(request, "credits/pool/import.html", {
        "project": project, "form": form,
        "allocations": usage.allocations_of(project).select_related("provider"),
        "columns": usage.COLUMNS, "max_lines": usage.MAX_LINES,
    }, status=400 if form.errors else 200)
