"""Staff's side of the pool's self-service: resource requests, decided on a page of their own
that calls the services (approve in full or in part, with explicit cash cover, or reject
with a note), and usage reports, read-only, with usage beyond an allocation waiting in a
queue until staff mark it reviewed."""

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils.html import format_html

from credits import usd
from credits.ledger import balances
from foundation.admin_audit import AuditedModelAdmin
from foundation.audit import long_date
from foundation.transitions import DomainError

from .models import ResourceRequest, UsageRecord
from .services import requests as request_services
from .services import usage as usage_services

SERVICE_FORM = "admin/service_form.html"


class DecideForm(forms.Form):
    decision = forms.ChoiceField(choices=[("approve", "Approve"), ("reject", "Reject")],
                                 widget=forms.RadioSelect)
    amount = forms.CharField(
        label="Credits approved (USD)", required=False, max_length=40,
        help_text="At most the amount asked for; less is a partial approval (say why).")
    cash_cover = forms.CharField(
        label="Covered from earmarked cash (USD)", required=False, max_length=40,
        help_text="Only when the provider's credits are short: the allocation says so.")
    note = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4, "cols": 80}), required=False, max_length=2000,
        help_text="The maintainers read it. Required for a partial approval or a rejection.")


def _about(request: ResourceRequest) -> list[str]:
    available = balances.available(request.provider)
    return [
        f"{request.project} asks for {usd(request.amount)} of {request.provider} credits, "
        f"{long_date(request.starts_on)} to {long_date(request.ends_on)}, about "
        f"{usd(request.monthly_use)} a month.",
        f"What for: {request.purpose}",
        f"Available now: {usd(available)} of {request.provider} credits; "
        f"{usd(balances.cash_available())} of earmarked cash.",
    ]


class WaitingReviewFilter(admin.SimpleListFilter):
    title = "usage beyond the allocation"
    parameter_name = "review"

    def lookups(self, request, model_admin):
        return [("waiting", "Waiting for review"), ("reviewed", "Reviewed")]

    def queryset(self, request, queryset):
        if self.value() == "waiting":
            return queryset.filter(excess__gt=0, reviewed_at=None)
        if self.value() == "reviewed":
            return queryset.filter(excess__gt=0).exclude(reviewed_at=None)
        return queryset


@admin.register(ResourceRequest)
class ResourceRequestAdmin(AuditedModelAdmin):
    """Read-only: a request is decided on its decision page, through the services."""

    list_display = ["project", "provider", "amount_display", "status", "granted_display",
                    "created_at"]
    list_select_related = ["project", "provider"]
    list_filter = ["status", "provider"]
    search_fields = ["project__name", "project__slug"]
    show_full_result_count = False
    readonly_fields = ["decide_link", "project", "provider", "requested_by", "amount", "purpose",
                       "starts_on", "ends_on", "monthly_use", "status", "created_at",
                       "approved_amount", "cash_cover", "decision_note", "decided_by",
                       "decided_at", "ledger_transaction"]
    fields = readonly_fields

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description="asked", ordering="amount")
    def amount_display(self, obj):
        return usd(obj.amount)

    @admin.display(description="granted")
    def granted_display(self, obj):
        if obj.status != ResourceRequest.Status.APPROVED:
            return "—"
        return usd(obj.granted) + (f" ({usd(obj.cash_cover)} cash)" if obj.cash_cover else "")

    @admin.display(description="decision")
    def decide_link(self, obj):
        if obj.status != ResourceRequest.Status.SUBMITTED:
            return obj.get_status_display()
        return format_html('<a href="{}">Approve or reject</a>',
                           reverse("admin:credits_resourcerequest_decide", args=[obj.pk]))

    def get_urls(self):
        return [path("<int:request_id>/decide/", self.admin_site.admin_view(self.decide_view),
                     name="credits_resourcerequest_decide"),
                *super().get_urls()]

    def decide_view(self, request, request_id):
        asked = get_object_or_404(ResourceRequest.objects.select_related("project", "provider"),
                                  pk=request_id)
        if not self.has_change_permission(request, asked):
            raise PermissionDenied
        form = DecideForm(request.POST or None, initial={
            "decision": "approve", "amount": asked.amount, "cash_cover": "0"})
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            try:
                if data["decision"] == "approve":
                    request_services.request_approve(
                        request_id=asked.pk, actor=request.user, amount=data["amount"],
                        cash_cover=data["cash_cover"] or "0", note=data["note"])
                    done = f"{asked} is approved; the maintainers are told."
                else:
                    request_services.request_reject(request_id=asked.pk, actor=request.user,
                                                    note=data["note"])
                    done = f"{asked} is rejected; the maintainers are told."
            except ValidationError as refused:
                for field, messages_ in refused.message_dict.items():
                    form.add_error(None if field == "__all__" else field, messages_)
            except DomainError as refused:
                form.add_error(None, str(refused))
            else:
                self.message_user(request, done)
                return redirect(reverse("admin:credits_resourcerequest_change",
                                        args=[asked.pk]))
        return render(request, SERVICE_FORM, {
            **self.admin_site.each_context(request), "form": form, "opts": self.model._meta,
            "title": f"Decide: {asked}", "about": _about(asked), "submit": "Decide"})


@admin.register(UsageRecord)
class UsageRecordAdmin(AuditedModelAdmin):
    """Read-only: usage is reported by the maintainers (or staff) on the project's pages."""

    list_display = ["__str__", "allocation", "amount", "excess", "source", "recorded_by",
                    "recorded_at", "reviewed_at"]
    list_select_related = ["allocation__project", "allocation__provider", "recorded_by"]
    list_filter = [WaitingReviewFilter, "source"]
    search_fields = ["allocation__project__name", "note"]
    show_full_result_count = False
    readonly_fields = ["allocation", "amount", "used_on", "note", "source", "excess",
                       "recorded_by", "recorded_at", "ledger_transaction", "reviewed_at",
                       "reviewed_by"]
    exclude = ["key"]
    actions = ["mark_reviewed"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description="Mark the selected usage beyond its allocation as reviewed",
                  permissions=["change"])
    def mark_reviewed(self, request, queryset):
        self.each(request, queryset, usage_services.usage_reviewed, "usage report(s) reviewed",
                  id_arg="record_id")
