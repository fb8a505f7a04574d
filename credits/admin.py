"""Staff's side of the credit programme: the programme as data (providers, levels, benefits,
audited), pledges and contributions changed only through the services (confirm, record a
credit received, cancel), the sponsors' benefit items, and the accountants' CSV."""

from decimal import Decimal

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.core.exceptions import PermissionDenied
from django.db.models import CharField, Count, Sum
from django.db.models.functions import Cast, Coalesce
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html

from credits import programme_year, usd
from foundation import audit
from foundation.accounts.models import User
from foundation.admin_audit import AuditedModelAdmin, ReadOnlyInline, ReadOnlyInlineMixin
from foundation.checklists.admin import ChecklistItemAdmin, OverdueFilter
from foundation.checklists.models import ChecklistItem
from foundation.http import whole_number
from foundation.transitions import DomainError
from foundation.uploads import CheckedLogoMixin, delete_after_commit

from .models import (
    CURRENCY,
    Benefit,
    Contribution,
    Level,
    Pledge,
    Provider,
    SponsorBenefitItem,
    SponsorYear,
)
from .services import benefits as benefit_services
from .services import pledges as pledge_services

SERVICE_FORM = "admin/service_form.html"


class ProviderForm(CheckedLogoMixin, forms.ModelForm):
    """A provider's logo goes through the kernel's logo checks, like an organization's: it is
    decoded or parsed, re-written, and counted against the uploader's budget."""

    logo = forms.FileField(
        required=False,
        help_text="PNG, JPEG, GIF, WebP (up to 2 MB and 4000×4000 px) or SVG (up to 512 KB).",
        widget=forms.ClearableFileInput(attrs={"accept": "image/*,.svg"}),
    )

    class Meta:
        model = Provider
        fields = ["name", "logo", "services", "accepted"]

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user



@admin.register(Provider)
class ProviderAdmin(AuditedModelAdmin):
    list_display = ["name", "accepted", "services"]
    list_filter = ["accepted"]
    search_fields = ["name"]
    form = ProviderForm

    def get_form(self, request, obj=None, change=False, **kwargs):
        """The form, bound to the person uploading: the admin builds it without arguments."""
        form_class = super().get_form(request, obj, change=change, **kwargs)

        class UploaderForm(form_class):
            def __init__(self, *args, **kwargs):
                super().__init__(*args, user=request.user, **kwargs)

        return UploaderForm

    def save_model(self, request, obj, form, change):
        """A replaced or cleared logo's file is deleted once the change is committed."""
        old_logo = Provider.objects.filter(pk=obj.pk).values_list("logo", flat=True).first() \
            if change else None
        super().save_model(request, obj, form, change)
        if old_logo and old_logo != obj.logo.name:
            delete_after_commit(obj.logo.storage, old_logo)


class BenefitInline(ReadOnlyInline):
    model = Benefit
    fields = ["title", "key", "fulfilment", "due_days", "default_owner"]
    show_change_link = True

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("level", "default_owner")


@admin.register(Level)
class LevelAdmin(AuditedModelAdmin):
    list_display = ["name", "threshold", "order"]
    ordering = ["threshold_usd"]
    inlines = [BenefitInline]

    @admin.display(description="threshold", ordering="threshold_usd")
    def threshold(self, obj):
        return usd(obj.threshold_usd)


@admin.register(Benefit)
class BenefitAdmin(AuditedModelAdmin):
    list_display = ["title", "key", "level", "fulfilment", "sponsor_must_provide", "due_days",
                    "due_at_conference", "default_owner", "order"]
    list_select_related = ["level", "default_owner"]
    list_filter = ["level", "fulfilment"]
    search_fields = ["title", "key"]


# Pledges and contributions


class ContributionInline(ReadOnlyInlineMixin, admin.StackedInline):
    """Contributions change only through the services: a credit's receipt has its own page.
    Stacked, as a table of this many columns would scroll sideways on a phone."""

    model = Contribution
    fields = ["kind", "provider", "service", "amount", "valid_from", "valid_to",
              "redemption_method", "status", "amount_granted", "redemption_reference",
              "received_on", "invoice", "receive"]
    readonly_fields = ["amount", "receive"]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("provider", "invoice")

    @admin.display(description="pledged")
    def amount(self, obj):
        return usd(obj.value)

    @admin.display(description="")
    def receive(self, obj):
        if obj.kind == Contribution.Kind.CREDIT and obj.status == Contribution.Status.PLEDGED:
            return format_html('<a href="{}">Record receipt</a>',
                               reverse("admin:credits_contribution_receive", args=[obj.pk]))
        return ""


class ConfirmForm(forms.Form):
    agreement_signed_on = forms.DateField(
        label="Agreement signed on", required=False,
        help_text="The day the sponsorship agreement was signed, e.g. 2026-03-14.",
        widget=forms.DateInput(attrs={"type": "date"}))


class CancelForm(forms.Form):
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4, "cols": 80}), required=False, max_length=2000,
        help_text="Why the pledge is cancelled; it is kept in the pledge's history.")


class ReceiveForm(forms.Form):
    amount_granted = forms.CharField(
        label="Amount granted (USD)", required=False, max_length=40,
        help_text="What the provider actually granted, e.g. 250000.")
    redemption_reference = forms.CharField(
        required=False, max_length=500,
        help_text="The account, code batch or billing id: staff only, never shown publicly.")
    received_on = forms.DateField(label="Received on", required=False,
                                  widget=forms.DateInput(attrs={"type": "date"}))


class DeliverForm(forms.Form):
    proof = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4, "cols": 80}), required=False, max_length=5000,
        help_text="A link or a note: the sponsor sees it on their dashboard.")


def _run(model_admin, request, call, done: str) -> bool:
    """Call a service; its refusal becomes an error message on the page, never a 500."""
    try:
        call()
    except DomainError as exc:
        model_admin.message_user(request, str(exc), messages.ERROR)
        return False
    model_admin.message_user(request, done, messages.SUCCESS)
    return True


def year_choices() -> list[tuple[str, str]]:
    """The programme year and the three before it (another year by its number in the URL):
    the choices read no table, so a list stays fast however many rows it has."""
    year = programme_year()
    return [(str(y), str(y)) for y in range(year, year - 4, -1)]


def chosen_year(value: str | None) -> int | None:
    return whole_number(value, maximum=9999)


class PledgeYearFilter(admin.SimpleListFilter):
    title = "programme year"
    parameter_name = "year"
    field = "year"

    def lookups(self, request, model_admin):
        return year_choices()

    def queryset(self, request, queryset):
        year = chosen_year(self.value())
        return queryset if year is None else queryset.filter(**{self.field: year})


class ContributionYearFilter(PledgeYearFilter):
    field = "pledge__year"


@admin.register(Pledge)
class PledgeAdmin(AuditedModelAdmin):
    """Read-only: confirm and cancel are pages (and actions) that call the services; the
    technical contact is shown, and its changes are in the pledge's history."""

    list_display = ["organization", "year", "status", "total_display", "contributions_count",
                    "listed_publicly", "created_at", "agreement_signed_on"]
    list_select_related = ["organization"]
    show_full_result_count = False  # a table that grows: no second count of every row
    list_filter = ["status", PledgeYearFilter, "listed_publicly"]
    search_fields = ["organization__display_name", "organization__legal_name", "contact_email"]
    fieldsets = [
        (None, {"fields": ["organization", "year", "status", "total_display", "created_by",
                           "created_at", "agreement_signed_on", "confirmed_at",
                           "cancel_reason"]}),
        ("Technical point of contact", {"fields": [
            "contact_name", "contact_email", "sla_hours", "support_channel",
            "support_channel_value", "support_hours"]}),
        ("Listing", {"fields": ["listed_publicly", "offering_description"]}),
        ("Invoicing of cash", {"fields": ["po_number", "tax_id", "billing_address"]}),
    ]
    readonly_fields = [name for fieldset in fieldsets for name in fieldset[1]["fields"]]
    inlines = [ContributionInline]
    actions = ["confirm", "cancel"]
    change_form_template = "admin/credits/pledge/change_form.html"

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_changelist_instance(self, request):
        """The page's totals and counts in one query over its pledges' contributions (an
        aggregate in the list's own query would add up every pledge's before the page)."""
        changelist = super().get_changelist_instance(request)
        pledges = changelist.result_list = list(changelist.result_list)
        sums = {row["pledge_id"]: row for row in Contribution.objects.filter(
            pledge__in=pledges).values("pledge_id").annotate(
                total=Sum(Coalesce("face_value", "cash_amount")), count=Count("pk"))}
        for pledge in pledges:
            found = sums.get(pledge.pk, {})
            pledge.pledged = found.get("total") or Decimal("0.00")
            pledge.contribution_count = found.get("count", 0)
        return changelist

    @admin.display(description="total")
    def total_display(self, obj):
        return usd(obj.pledged if hasattr(obj, "pledged") else obj.total)

    @admin.display(description="contributions")
    def contributions_count(self, obj):
        return obj.contribution_count

    def get_urls(self):
        return [
            path("<int:pledge_id>/confirm/", self.admin_site.admin_view(self.confirm_view),
                 name="credits_pledge_confirm"),
            path("<int:pledge_id>/cancel/", self.admin_site.admin_view(self.cancel_view),
                 name="credits_pledge_cancel"),
            *super().get_urls(),
        ]

    def get_queryset(self, request):
        """Each pledge names its organization: the actions' pages and messages list them."""
        return super().get_queryset(request).select_related("organization")

    def _page(self, request, pledge_id, form_class, title, submit, call, done, initial=None):
        pledge = get_object_or_404(Pledge.objects.select_related("organization"), pk=pledge_id)
        if not self.has_change_permission(request, pledge):
            raise PermissionDenied
        form = form_class(request.POST or None, initial=initial or {})
        if request.method == "POST" and form.is_valid() and _run(
                self, request, lambda: call(pledge, form.cleaned_data), done(pledge)):
            return redirect(reverse("admin:credits_pledge_change", args=[pledge.pk]))
        return render(request, SERVICE_FORM, {
            **self.admin_site.each_context(request), "form": form, "opts": self.model._meta,
            "title": title.format(pledge=pledge), "about": [_about(pledge)], "submit": submit})

    def confirm_view(self, request, pledge_id):
        return self._page(
            request, pledge_id, ConfirmForm, "Confirm: {pledge}", "Confirm the pledge",
            lambda pledge, data: pledge_services.pledge_confirm(
                pledge_id=pledge.pk, actor=request.user,
                agreement_signed_on=data["agreement_signed_on"]),
            lambda pledge: f"{pledge} is confirmed; its benefits checklist is on its way.",
            initial={"agreement_signed_on": timezone.localdate()})

    def cancel_view(self, request, pledge_id):
        return self._page(
            request, pledge_id, CancelForm, "Cancel: {pledge}", "Cancel the pledge",
            lambda pledge, data: pledge_services.pledge_cancel(
                pledge_id=pledge.pk, actor=request.user, reason=data["reason"]),
            lambda pledge: f"{pledge} is cancelled.")

    @admin.action(description="Confirm the selected pledges (asks the agreement's date)",
                  permissions=["change"])
    def confirm(self, request, queryset):
        return ask_then_each(self, request, queryset, ConfirmForm, "confirm",
                             "Confirm the selected pledges", pledge_services.pledge_confirm,
                             "pledge(s) confirmed", id_arg="pledge_id",
                             submit="Confirm the pledges")

    @admin.action(description="Cancel the selected pledges (asks the reason)",
                  permissions=["change"])
    def cancel(self, request, queryset):
        return ask_then_each(self, request, queryset, CancelForm, "cancel",
                             "Cancel the selected pledges", pledge_services.pledge_cancel,
                             "pledge(s) cancelled", id_arg="pledge_id",
                             submit="Cancel the pledges")


def ask_then_each(model_admin, request, queryset, form_class, action, title, service, done, *,
                  id_arg, submit):
    """An action that asks for what the service needs (a date, a reason, a proof) on a page of
    its own, then calls the service on each selected row; a refused row is an error message
    naming it, and the others go through."""
    form = form_class(request.POST if "apply" in request.POST else None)
    if form.is_bound and form.is_valid():
        model_admin.each(request, queryset, service, done, id_arg=id_arg, **form.cleaned_data)
        return None
    return render(request, SERVICE_FORM, {
        **model_admin.admin_site.each_context(request), "form": form,
        "opts": model_admin.model._meta, "title": title, "submit": submit,
        "action": action, "selected": queryset, "checkbox_name": ACTION_CHECKBOX_NAME})


def _about(obj) -> str:
    """One line above a staff form: the pledge (or contribution) it acts on."""
    pledge = obj if isinstance(obj, Pledge) else obj.pledge
    line = (f"{pledge.organization.legal_name} · {pledge.year} · "
            f"{pledge.get_status_display()}")
    if isinstance(obj, Contribution):
        return f"{line} · {obj}" + (f" · {obj.service}" if obj.service else "")
    return f"{line} · {usd(pledge.total)} pledged"


@admin.register(Contribution)
class ContributionAdmin(AuditedModelAdmin):
    """Read-only; a credit's receipt is recorded on its own page, cash is received when its
    invoice is paid. The accountants' CSV is an action here."""

    list_display = ["__str__", "organization", "year", "kind", "provider", "service", "status",
                    "amount_granted", "received_on", "invoice"]
    list_select_related = ["pledge__organization", "provider", "invoice"]
    show_full_result_count = False  # a table that grows: no second count of every row
    list_filter = ["kind", "status", ContributionYearFilter, "provider", "pledge__status"]
    search_fields = ["pledge__organization__display_name", "pledge__organization__legal_name",
                     "service", "invoice__number"]
    readonly_fields = [f.name for f in Contribution._meta.fields]
    actions = ["export_csv"]
    change_form_template = "admin/credits/contribution/change_form.html"

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description="organization", ordering="pledge__organization__display_name")
    def organization(self, obj):
        return obj.pledge.organization

    @admin.display(description="year", ordering="pledge__year")
    def year(self, obj):
        return obj.pledge.year

    def get_urls(self):
        return [
            path("<int:contribution_id>/receive/", self.admin_site.admin_view(self.receive_view),
                 name="credits_contribution_receive"),
            *super().get_urls(),
        ]

    def receive_view(self, request, contribution_id):
        contribution = get_object_or_404(
            Contribution.objects.select_related("pledge__organization", "provider"),
            pk=contribution_id)
        if not self.has_change_permission(request, contribution):
            raise PermissionDenied
        form = ReceiveForm(request.POST or None, initial={
            "amount_granted": contribution.value, "received_on": timezone.localdate()})
        if request.method == "POST" and form.is_valid() and _run(
                self, request, lambda: pledge_services.contribution_receive(
                    contribution_id=contribution.pk, actor=request.user, **form.cleaned_data),
                f"{contribution} is recorded as received."):
            return redirect(reverse("admin:credits_pledge_change",
                                    args=[contribution.pledge_id]))
        return render(request, SERVICE_FORM, {
            **self.admin_site.each_context(request), "form": form, "opts": self.model._meta,
            "title": f"Record receipt: {contribution}", "about": [_about(contribution)],
            "submit": "Record receipt"})

    @admin.action(description="Export the selected contributions as CSV (for accountants)")
    def export_csv(self, request, queryset):
        from foundation.billing.admin import EXPORT_CHUNK, csv_response

        rows = (
            [c.pledge.organization.legal_name, c.pledge.year, c.get_kind_display(),
             c.provider.name if c.provider else "", c.service, c.face_value or "",
             c.cash_amount or "", c.amount_granted or "", CURRENCY,
             c.valid_from or "", c.valid_to or "",
             c.pledge.agreement_signed_on or "", c.received_on or "", c.get_status_display(),
             c.pledge.get_status_display(), (c.invoice.number or "") if c.invoice else ""]
            for c in queryset.select_related("pledge__organization", "provider", "invoice")
            .order_by("pledge__year", "pledge__organization__legal_name", "id")
            .iterator(chunk_size=EXPORT_CHUNK)
        )
        return csv_response("contributions.csv", [
            "organization", "programme year", "kind", "provider", "service", "face value",
            "cash amount", "amount received", "currency", "valid from", "valid to",
            "agreement signed", "received on", "status", "pledge status", "invoice number"],
            rows)


# The sponsors' benefit items


class SponsorYearFilter(admin.SimpleListFilter):
    """Filters items by their holder, a SponsorYear: `years()` gives the years wanted (None
    for no filter). A holder's id is text, so the years are matched by their ids as text."""

    def years(self):
        raise NotImplementedError

    def queryset(self, request, queryset):
        years = self.years()
        if years is None:
            return queryset
        return queryset.filter(holder_id__in=years.annotate(
            text_id=Cast("pk", output_field=CharField())).values("text_id"))


class LevelFilter(SponsorYearFilter):
    title = "level"
    parameter_name = "level"

    def lookups(self, request, model_admin):
        return [(str(level.pk), level.name) for level in Level.objects.order_by("-threshold_usd")]

    def years(self):
        value = self.value()
        level = whole_number(value)
        return None if level is None else SponsorYear.objects.filter(level_id=level)


class ProgrammeYearFilter(SponsorYearFilter):
    title = "programme year"
    parameter_name = "year"

    def lookups(self, request, model_admin):
        return year_choices()

    def years(self):
        year = chosen_year(self.value())
        return None if year is None else SponsorYear.objects.filter(year=year)


class KeyFilter(admin.SimpleListFilter):
    """The programme's benefits (not every item's key, which would read every item)."""

    title = "benefit"
    parameter_name = "key"

    def lookups(self, request, model_admin):
        return list(Benefit.objects.values_list("key", "title"))

    def queryset(self, request, queryset):
        return queryset.filter(key=self.value()) if self.value() else queryset


class OwnerFilter(admin.SimpleListFilter):
    """Staff members (who own items), not every account on the portal."""

    title = "owner"
    parameter_name = "owner"

    def lookups(self, request, model_admin):
        staff = User.objects.filter(is_staff=True, is_active=True).order_by("email")
        return [("none", "Nobody"), *[(str(pk), email) for pk, email in
                                      staff.values_list("pk", "email")]]

    def queryset(self, request, queryset):
        value = self.value()
        if value == "none":
            return queryset.filter(owner=None)
        if owner := whole_number(value):
            return queryset.filter(owner_id=owner)
        return queryset


@admin.register(SponsorBenefitItem)
class SponsorBenefitItemAdmin(ChecklistItemAdmin):
    """The kernel's checklist admin, limited to sponsors' items, with their sponsor, level and
    year; delivering asks for the proof and tells the sponsor (credits' service)."""

    list_display = ["title", "sponsor", "level", "year", "status", "owner", "due_date",
                    "member_must_provide", "provided_at", "delivered_at"]
    list_filter = ["status", OverdueFilter, OwnerFilter, LevelFilter, ProgrammeYearFilter,
                   KeyFilter]
    search_fields = ["title", "proof", "member_input"]
    actions = ["deliver_with_proof", "not_applicable"]
    change_form_template = "admin/credits/sponsorbenefititem/change_form.html"

    def has_delete_permission(self, request, obj=None):
        """A sponsor's item changes through the services; the checklist keeps every one."""
        return False

    def get_changelist_instance(self, request):
        """Each row's sponsor year, its organization and level, in one query for the page."""
        changelist = admin.ModelAdmin.get_changelist_instance(self, request)
        items = changelist.result_list = list(changelist.result_list)
        years = SponsorYear.objects.select_related("organization", "level").in_bulk(
            [int(item.holder_id) for item in items if item.holder_id.isdigit()])
        for item in items:
            item.sponsor_year = years.get(int(item.holder_id)) if item.holder_id.isdigit() \
                else None
        return changelist

    @admin.display(description="sponsor")
    def sponsor(self, obj):
        return obj.sponsor_year.organization if obj.sponsor_year else ""

    @admin.display(description="level")
    def level(self, obj):
        return (obj.sponsor_year.level or "") if obj.sponsor_year else ""

    @admin.display(description="year")
    def year(self, obj):
        return obj.sponsor_year.year if obj.sponsor_year else ""

    def history_view(self, request, object_id, extra_context=None):
        """The services audit the item as a checklist item, so that is the history shown."""
        item = ChecklistItem.objects.filter(pk=object_id).first() if object_id.isdigit() \
            else None
        extra = {**(extra_context or {}), "audit_entries": audit.history(item) if item else []}
        return admin.ModelAdmin.history_view(self, request, object_id, extra_context=extra)

    @admin.action(description="Deliver the selected items with proof (the sponsor is told)",
                  permissions=["change"])
    def deliver_with_proof(self, request, queryset):
        return ask_then_each(self, request, queryset, DeliverForm, "deliver_with_proof",
                             "Deliver the selected items with proof",
                             benefit_services.benefit_deliver, "item(s) delivered",
                             id_arg="item_id", submit="Deliver")

    def get_urls(self):
        return [
            path("<int:item_id>/deliver/", self.admin_site.admin_view(self.deliver_view),
                 name="credits_sponsorbenefititem_deliver"),
            *super().get_urls(),
        ]

    def deliver_view(self, request, item_id):
        item = get_object_or_404(SponsorBenefitItem, pk=item_id)
        if not self.has_change_permission(request, item):
            raise PermissionDenied
        sponsor_year = SponsorYear.objects.select_related("organization", "level").filter(
            pk=int(item.holder_id) if item.holder_id.isdigit() else 0).first()
        form = DeliverForm(request.POST or None, initial={"proof": item.proof})
        if request.method == "POST" and form.is_valid() and _run(
                self, request, lambda: benefit_services.benefit_deliver(
                    item_id=item.pk, actor=request.user, proof=form.cleaned_data["proof"]),
                f"“{item}” is delivered; the sponsor is told."):
            return redirect(reverse("admin:credits_sponsorbenefititem_change", args=[item.pk]))
        about = [f"{sponsor_year} · {sponsor_year.level or 'no level'}"] if sponsor_year else []
        if item.member_input:
            about += f" · the sponsor gave: {item.member_input}"
        return render(request, SERVICE_FORM, {
            **self.admin_site.each_context(request), "form": form, "opts": self.model._meta,
            "title": f"Deliver with proof: {item}", "about": about, "submit": "Deliver"})


from . import admin_pool  # noqa: E402, F401, I001  (resource requests and usage reports)
from . import admin_support  # noqa: E402, F401  (support requests and the SLA by sponsor)
