from django.contrib import admin, messages

from . import audit, emails
from .models import AuditEntry, OutboundEmail


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    list_display = ["created_at", "object_repr", "content_type", "action", "actor"]
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
    list_filter = ["status", "kind"]
    search_fields = ["to", "subject", "key"]
    readonly_fields = [f.name for f in OutboundEmail._meta.fields]
    actions = ["send_again"]

    def has_add_permission(self, request):
        return False

    @admin.action(description="Send the failed or queued messages now")
    def send_again(self, request, queryset):
        from .tasks import send_email

        pending = queryset.exclude(status=OutboundEmail.Status.SENT)
        for message in pending:
            emails.mark_queued(email_id=message.pk)
            audit.record(message, actor=request.user, action="email.send_again",
                         old={"status": message.status}, new={"status": "queued"})
            send_email.delay_on_commit(message.pk)
        self.message_user(request, f"{pending.count()} message(s) queued.", messages.SUCCESS)
