from django.contrib import admin
from django.contrib.contenttypes.admin import GenericTabularInline
from django.contrib.contenttypes.models import ContentType
from django.contrib.contenttypes.prefetch import GenericPrefetch
from django.db.models import prefetch_related_objects
from django.utils import timezone

from foundation.admin_audit import AuditedModelAdmin, ReadOnlyInlineMixin

from . import services
from .models import ChecklistItem


class OverdueFilter(admin.SimpleListFilter):
    title = "deadline"
    parameter_name = "deadline"

    def lookups(self, request, model_admin):
        return [("overdue", "Overdue")]

    def queryset(self, request, queryset):
        if self.value() == "overdue":
            return queryset.overdue(timezone.localdate())
        return queryset


@admin.register(ChecklistItem)
class ChecklistItemAdmin(AuditedModelAdmin):
    list_display = ["title", "holder", "status", "owner", "due_date", "member_must_provide",
                    "provided_at", "delivered_at"]
    list_select_related = ["owner"]
    show_full_result_count = False  # a table that grows: no second count of every row
    list_filter = ["status", OverdueFilter, "holder_type", "key"]
    search_fields = ["title", "proof", "member_input"]
    readonly_fields = ["holder_type", "holder_id", "key", "title", "description", "status",
                       "member_must_provide", "member_input", "provided_at", "delivered_at"]
    fields = ["holder_type", "holder_id", "key", "title", "description", "owner", "due_date",
              "status", "member_must_provide", "member_input", "provided_at", "proof",
              "delivered_at"]
    actions = ["deliver", "not_applicable"]

    def has_add_permission(self, request):
        return False

    def get_changelist_instance(self, request):
        """The page's holders (a membership, a pledge...) in one query per kind of holder,
        with what their names read (a membership's organization and tier): the kernel does
        not know the kinds, so they are taken from the page's rows."""
        changelist = super().get_changelist_instance(request)
        items = changelist.result_list = list(changelist.result_list)
        kinds = {ContentType.objects.get_for_id(pk).model_class()
                 for pk in {item.holder_type_id for item in items}}
        prefetch_related_objects(items, GenericPrefetch("holder", [
            model._default_manager.select_related() for model in kinds if model is not None]))
        return changelist

    def save_model(self, request, obj, form, change):
        """The form edits only owner, due date and proof, and saves them through the service."""
        services.item_update(item_id=obj.pk, actor=request.user, owner=form.cleaned_data["owner"],
                             due_date=form.cleaned_data["due_date"],
                             proof=form.cleaned_data["proof"])

    @admin.action(description="Mark delivered (the proof field keeps its text)",
                  permissions=["change"])
    def deliver(self, request, queryset):
        self.each(request, queryset, services.item_deliver, "item(s) delivered",
                  id_arg="item_id")

    @admin.action(description="Mark not applicable", permissions=["change"])
    def not_applicable(self, request, queryset):
        self.each(request, queryset, services.item_mark_not_applicable,
                  "item(s) marked not applicable", id_arg="item_id")


class ChecklistInline(ReadOnlyInlineMixin, GenericTabularInline):
    """Items change through their own admin page, which calls the services."""

    model = ChecklistItem
    ct_field = "holder_type"
    ct_fk_field = "holder_id"
    fields = ["title", "status", "owner", "due_date", "member_must_provide", "member_input",
              "proof"]
    show_change_link = True
