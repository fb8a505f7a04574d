from django import forms
from django.contrib import admin, messages
from django.contrib.admin.widgets import AutocompleteSelect
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html

from foundation.accounts.history import type_history
from foundation.accounts.models import (
    MAX_EMPLOYEES,
    at_most_max_employees,
)
from foundation.admin_audit import AuditedModelAdmin, ReadOnlyInline
from foundation.admin_lists import QuickCheckboxes
from foundation.checklists.admin import ChecklistInline
from foundation.transitions import DomainError

from .models import (
    AgreementVersion,
    Application,
    Benefit,
    EligibilityCheck,
    FeeBand,
    Membership,
    Testimonial,
    Tier,
)
from .services import applications as app_services
from .services import catalogue as catalogue_services
from .services import eligibility
from .services import memberships as mem_services


class FeeBandInline(ReadOnlyInline):
    model = FeeBand
    fields = ["min_employees", "max_employees", "annual_fee"]

    def get_queryset(self, request):  # each row reads as "<tier>: <band>"
        return super().get_queryset(request).select_related("tier")


TOO_MANY = {"max_value": at_most_max_employees.message}


class FeeBandForm(forms.Form):
    min_employees = forms.IntegerField(label="From (employees)", min_value=0,
                                       max_value=MAX_EMPLOYEES, error_messages=TOO_MANY)
    max_employees = forms.IntegerField(label="To (employees)", min_value=0, required=False,
                                       max_value=MAX_EMPLOYEES, error_messages=TOO_MANY,
                                       help_text="Empty for no upper bound.")
    annual_fee = forms.DecimalField(label="Yearly fee (USD)", min_value=0, max_digits=12,
                                    decimal_places=2)


FeeBandFormSet = forms.formset_factory(FeeBandForm, extra=2, can_delete=True)


@admin.register(Tier)
class TierAdmin(AuditedModelAdmin):
    list_display = ["name", "fee_kind", "annual_fee", "review", "requires_lf_silver", "order"]
    inlines = [FeeBandInline]
    prepopulated_fields = {"slug": ["name"]}
    change_form_template = "admin/members/tier/change_form.html"

    def get_urls(self):
        return [
            path("<int:tier_id>/fee-bands/", self.admin_site.admin_view(self.fee_bands_view),
                 name="members_tier_fee_bands"),
            *super().get_urls(),
        ]

    def fee_bands_view(self, request, tier_id):
        tier = get_object_or_404(Tier, pk=tier_id)
        if not self.has_change_permission(request, tier):
            raise PermissionDenied
        formset = FeeBandFormSet(request.POST or None, prefix="bands", initial=[
            {"min_employees": b.min_employees, "max_employees": b.max_employees,
             "annual_fee": b.annual_fee} for b in tier.fee_bands.order_by("min_employees")])
        error = ""
        if request.method == "POST" and formset.is_valid():
            bands = [(row["min_employees"], row["max_employees"], row["annual_fee"])
                     for row in formset.cleaned_data if row and not row["DELETE"]]
            try:
                catalogue_services.fee_bands_set(tier_id=tier.pk, bands=bands,
                                                 actor=request.user)
            except DomainError as exc:
                error = str(exc)
            else:
                self.message_user(request, f"Fee bands of {tier} saved.", messages.SUCCESS)
                return redirect(reverse("admin:members_tier_change", args=[tier.pk]))
        return render(request, "admin/members/tier/fee_bands.html", {
            **self.admin_site.each_context(request), "tier": tier, "formset": formset,
            "error": error, "opts": self.model._meta, "title": f"Fee bands of {tier}",
        })


@admin.register(Benefit)
class BenefitAdmin(AuditedModelAdmin):
    list_display = ["name", "key", "deliverable", "due_days", "member_must_provide", "order"]
    filter_horizontal = ["tiers"]


@admin.register(AgreementVersion)
class AgreementVersionAdmin(AuditedModelAdmin):
    list_display = ["__str__", "published_at"]


class CheckedAutocompleteSelect(AutocompleteSelect):
    """Django's autocomplete shows a form again by looking its value up; a posted value that
    is no id at all (letters, a NUL byte) would fail that query, so it is left out."""

    def optgroups(self, name, value, attr=None):
        return super().optgroups(name, [v for v in value if self._is_id(v)], attr)

    def _is_id(self, value) -> bool:
        try:
            self.field.target_field.to_python(value)
        except ValidationError:
            return False
        return True


@admin.register(Testimonial)
class TestimonialAdmin(AuditedModelAdmin):
    list_display = ["organization", "author"]
    list_select_related = ["organization"]
    autocomplete_fields = ["organization"]

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name in self.autocomplete_fields:
            kwargs["widget"] = CheckedAutocompleteSelect(db_field, self.admin_site,
                                                         using=kwargs.get("using"))
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


class ReviewOverdueFilter(admin.SimpleListFilter):
    title = "board review"
    parameter_name = "review"

    def lookups(self, request, model_admin):
        return [("overdue", "Overdue"), ("due", "Under review")]

    def queryset(self, request, queryset):
        if self.value() == "overdue":
            return queryset.overdue(timezone.localdate())
        if self.value() == "due":
            return queryset.filter(status=Application.Status.UNDER_REVIEW)
        return queryset


class DecisionForm(forms.Form):
    note = forms.CharField(widget=forms.Textarea(attrs={"rows": 5, "cols": 80}),
                           required=False, max_length=5000,
                           help_text="The applicant reads this.")


DECISIONS = {
    "approve": (app_services.application_approve, "note", "Approve"),
    "reject": (app_services.application_reject, "reason", "Reject"),
    "changes": (app_services.application_request_changes, "note", "Ask for changes"),
}


@admin.register(Application)
class ApplicationAdmin(AuditedModelAdmin):
    list_display = ["organization", "tier", "status", "signed", "review_due_display",
                    "annual_fee", "submitted_at"]
    list_select_related = ["organization", "tier"]
    show_full_result_count = False  # a table that grows: no second count of every row
    list_filter = ["tier", "status", ReviewOverdueFilter]
    search_fields = ["organization__display_name", "organization__legal_name",
                     "signatory_email"]
    ordering = ["review_due", "-submitted_at"]
    readonly_fields = [f.name for f in Application._meta.fields]
    change_form_template = "admin/members/application/change_form.html"
    actions = ["approve", "resend_signature", "withdraw"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description="E-mail the signatory a fresh agreement link",
                  permissions=["change"])
    def resend_signature(self, request, queryset):
        self.each(request, queryset, app_services.signature_resend, "link(s) sent",
                  id_arg="application_id")

    @admin.action(description="Withdraw the selected applications", permissions=["change"])
    def withdraw(self, request, queryset):
        self.each(request, queryset, app_services.application_withdraw,
                  "application(s) withdrawn", id_arg="application_id", note="Withdrawn by staff")

    @admin.display(boolean=True, description="signed")
    def signed(self, obj):
        return obj.signed_at is not None

    @admin.display(description="review due", ordering="review_due")
    def review_due_display(self, obj):
        if obj.review_due is None:
            return "—"
        if obj.is_overdue:
            return format_html('<strong style="color:#b42318">{} · overdue</strong>',
                               obj.review_due)
        return obj.review_due

    @admin.action(description="Approve the selected applications (board decision)",
                  permissions=["change"])
    def approve(self, request, queryset):
        self.each(request, queryset, app_services.application_approve,
                  "application(s) approved", id_arg="application_id")

    def get_urls(self):
        return [
            path("<int:application_id>/decide/<str:decision>/",
                 self.admin_site.admin_view(self.decide_view),
                 name="members_application_decide"),
            *super().get_urls(),
        ]

    def decide_view(self, request, application_id, decision):
        application = get_object_or_404(Application, pk=application_id)
        if not self.has_change_permission(request, application):
            raise PermissionDenied
        if decision not in DECISIONS:
            raise Http404("No such decision.")
        service, note_arg, label = DECISIONS[decision]
        form = DecisionForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                service(application_id=application.pk, actor=request.user,
                        **{note_arg: form.cleaned_data["note"]})
            except DomainError as exc:
                form.add_error("note", str(exc))
            else:
                self.message_user(request, f"{label}: {application} recorded.",
                                  messages.SUCCESS)
                return redirect(reverse("admin:members_application_change",
                                        args=[application.pk]))
        return render(request, "admin/members/application/decide.html", {
            **self.admin_site.each_context(request), "application": application,
            "form": form, "label": label, "opts": self.model._meta,
            "title": f"{label}: {application}",
        })


@admin.register(Membership)
class MembershipAdmin(QuickCheckboxes, AuditedModelAdmin):
    list_display = ["organization", "tier", "status", "starts_on", "ends_on",
                    "board_representative", "tac_representative"]
    list_select_related = ["organization", "tier"]
    show_full_result_count = False  # a table that grows: no second count of every row
    # Newest first by the primary key's index: the model's order (tier, then name) sorts
    # every row, joined to its organization, before the first page shows.
    ordering = ["-pk"]
    list_per_page = 50  # rendering the rows is most of the page's time: half Django's 100
    list_filter = ["tier", "status"]
    search_fields = ["organization__display_name", "organization__legal_name"]
    readonly_fields = ["organization", "tier", "application", "status", "starts_on", "ends_on"]
    fields = readonly_fields + ["board_representative", "tac_representative"]
    inlines = [ChecklistInline]
    actions = ["export_csv"]

    def has_add_permission(self, request):
        return False

    def changelist_view(self, request, extra_context=None):
        extra = {"board_seats": mem_services.board_seats(), **(extra_context or {})}
        return super().changelist_view(request, extra_context=extra)

    @admin.action(description="Export the selected members as CSV")
    def export_csv(self, request, queryset):
        from foundation.billing.admin import EXPORT_CHUNK, csv_response

        rows = (
            [m.organization.legal_name, m.organization.display_name, m.tier.name, m.status,
             m.starts_on or "", m.ends_on or "", m.organization.get_type_display(),
             m.organization.employees, m.organization.country.name, m.organization.website,
             "yes" if m.organization.is_founding_member else "", m.board_representative,
             m.tac_representative]
            for m in queryset.select_related("organization", "tier").iterator(
                chunk_size=EXPORT_CHUNK)
        )
        return csv_response("members.csv", [
            "legal name", "name", "tier", "status", "term start", "term end", "type",
            "employees", "country", "website", "founding member", "board representative",
            "TAC representative"], rows)


class EligibilityDecisionForm(forms.Form):
    eligible = forms.TypedChoiceField(
        choices=[("yes", "Eligible"), ("no", "Not eligible")], widget=forms.RadioSelect,
        coerce=lambda value: value == "yes")
    note = forms.CharField(widget=forms.Textarea(attrs={"rows": 4, "cols": 80}), required=False,
                           max_length=5000,
                           help_text="Required when not eligible: the applicant reads it.")


@admin.register(EligibilityCheck)
class EligibilityCheckAdmin(AuditedModelAdmin):
    """Staff's queue of organizations whose type must be confirmed, oldest due first."""

    list_display = ["organization", "reason", "status", "due_date", "application"]
    # An application reads as "<organization> for <tier>".
    list_select_related = ["organization", "application__organization", "application__tier"]
    show_full_result_count = False  # a table that grows: no second count of every row
    list_filter = ["status"]
    search_fields = ["organization__display_name", "organization__legal_name"]
    readonly_fields = ["organization", "application", "reason", "status", "due_date",
                       "type_history", "decision_note", "decided_by", "decided_at",
                       "created_at"]
    fields = readonly_fields
    change_form_template = "admin/members/eligibilitycheck/change_form.html"

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description="type history")
    def type_history(self, obj):
        return "; ".join(type_history(obj.organization)) or "No change recorded."

    def get_urls(self):
        return [
            path("<int:check_id>/decide/", self.admin_site.admin_view(self.decide_view),
                 name="members_eligibilitycheck_decide"),
            *super().get_urls(),
        ]

    def decide_view(self, request, check_id):
        check = get_object_or_404(EligibilityCheck, pk=check_id)
        if not self.has_change_permission(request, check):
            raise PermissionDenied
        form = EligibilityDecisionForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                eligibility.check_decide(check_id=check.pk, actor=request.user,
                                         eligible=form.cleaned_data["eligible"],
                                         note=form.cleaned_data["note"])
            except DomainError as exc:
                form.add_error("note", str(exc))
            else:
                self.message_user(request, f"{check}: decided.", messages.SUCCESS)
                return redirect(reverse("admin:members_eligibilitycheck_change",
                                        args=[check.pk]))
        return render(request, "admin/members/eligibilitycheck/decide.html", {
            **self.admin_site.each_context(request), "check": check, "form": form,
            "history": type_history(check.organization),
            "opts": self.model._meta, "title": f"Decide: {check}",
        })
