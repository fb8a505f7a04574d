"""Staff's view of support requests: read-only (the maintainer, the contact and the beat job
write them through credits/services/support.py), with each sponsor's median response time
and share answered within the SLA above the list, read in two queries however many rows."""

from django.contrib import admin
from django.utils import timezone

from foundation.accounts.models import Organization

from .models import SupportRequest
from .services import support


class SlaFilter(admin.SimpleListFilter):
    """`sla=overdue` is staff's queue on the admin index: flagged, still without a response."""

    title = "SLA"
    parameter_name = "sla"

    def lookups(self, request, model_admin):
        return [("overdue", "Past the deadline, no response"), ("waiting", "Not answered")]

    def queryset(self, request, queryset):
        if self.value() == "overdue":
            return queryset.flagged_waiting()
        if self.value() == "waiting":
            return queryset.open()
        return queryset


@admin.register(SupportRequest)
class SupportRequestAdmin(admin.ModelAdmin):
    change_list_template = "credits/support/admin_change_list.html"
    list_display = ["subject", "project", "provider", "sponsor", "status", "sent_at",
                    "deadline", "first_response_at", "flagged_at"]
    list_select_related = ["allocation__project", "allocation__provider",
                           "pledge__organization"]
    list_filter = [SlaFilter, "status"]
    search_fields = ["subject", "pledge__organization__display_name",
                     "allocation__project__name", "contact_email"]
    date_hierarchy = "sent_at"
    show_full_result_count = False

    def get_readonly_fields(self, request, obj=None):
        return [field.name for field in self.model._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(ordering="allocation__project__name")
    def project(self, obj: SupportRequest) -> str:
        return obj.allocation.project.name

    @admin.display(ordering="allocation__provider__name")
    def provider(self, obj: SupportRequest) -> str:
        return str(obj.allocation.provider)

    @admin.display(ordering="pledge__organization__display_name")
    def sponsor(self, obj: SupportRequest) -> str:
        return str(obj.pledge.organization)

    def changelist_view(self, request, extra_context=None):
        figures = support.sponsor_figures(now=timezone.now())
        names = dict(Organization.objects.filter(pk__in=list(figures))
                     .values_list("pk", "display_name"))
        sponsors = sorted(((names.get(pk, ""), found) for pk, found in figures.items()),
                          key=lambda row: row[0].lower())
        return super().changelist_view(request, {**(extra_context or {}),
                                                 "support_sponsors": sponsors})
