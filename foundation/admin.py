from django.contrib import admin, messages

from . import emails
from .models import AuditEntry, OutboundEmail


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    list_display = ["created_at", "object_repr", "content_type", "action", "actor"]
    list_select_related = ["content_type", "actor"]
    show_full_result_count = False  # a table that grows: no second count of every row
    list_filter = ["action", "content_type"]
    search_fields = ["object_repr", "note", "actor__email"]
    date_hierarchy = "created_at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(OutboundEmail)
class OutboundEmailAdmin(admin.ModelAdmin):
    list_display = ["created_at", "kind", "to", "subject", "status", "attempts", "sent_at"]
    show_full_result_count = False  # a table that grows: no second count of every row
    list_filter = ["status", "kind"]
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
