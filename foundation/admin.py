from django.contrib import admin, messages

from . import emails
from .admin_lists import QuickCheckboxes
from .models import AuditEntry, OutboundEmail


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    list_display = ["created_at", "object_repr", "content_type", "action", "actor"]
    list_select_related = ["content_type", "actor"]
    show_full_result_count = False  # a table that grows: no second count of every row
    # Neither a date hierarchy nor a filter by action: each reads every entry for its
    # choices on every page. A date filter needs none; actions are found by search.
    list_filter = ["created_at", "content_type"]
    search_fields = ["object_repr", "note", "actor__email", "action"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(OutboundEmail)
class OutboundEmailAdmin(QuickCheckboxes, admin.ModelAdmin):
    list_display = ["created_at", "kind", "to", "subject", "status", "attempts", "sent_at"]
    show_full_result_count = False  # a table that grows: no second count of every row
    ordering = ["-pk"]  # newest first by the primary key's index; created_at has none
    # No filter by kind, whose choices read every message: the search finds a kind, as each
    # message's key starts with it.
    list_filter = ["status"]
    search_fields = ["to", "subject", "key"]
    readonly_fields = [f.name for f in OutboundEmail._meta.fields]
    actions = ["send_again"]

    def has_add_permission(self, request):
        return False

    def get_fields(self, request, obj=None):
        """A message that carries a login link never shows its body, even before it is sent."""
        fields = super().get_fields(request, obj)
        if obj is not None and obj.kind in emails.SECRET_KINDS:
            return [f for f in fields if f not in {"body_text", "body_html"}]
        return fields

    @admin.action(description="Send the failed or queued messages now")
    def send_again(self, request, queryset):
        queued = sum(emails.send_again(email_id=pk, actor=request.user)
                     for pk in queryset.values_list("pk", flat=True))
        self.message_user(request, f"{queued} message(s) queued.", messages.SUCCESS)
