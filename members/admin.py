from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from foundation.admin_audit import AuditedModelAdmin
from foundation.transitions import DomainError

from . import services
from .models import Invitation, Organization, OrganizationRole, User


@admin.register(User)
class UserAdmin(BaseUserAdmin, AuditedModelAdmin):
    ordering = ["email"]
    list_display = ["email", "first_name", "last_name", "is_staff", "is_active", "date_joined"]
    search_fields = ["email", "first_name", "last_name"]
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        ("Personal info", {"fields": ("first_name", "last_name")}),
        ("Permissions", {"fields": ("is_active", "is_staff", "is_superuser", "groups",
                                    "user_permissions")}),
        ("Important dates", {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = ((None, {"classes": ("wide",),
                             "fields": ("email", "password1", "password2")}),)


class OrganizationRoleInline(admin.TabularInline):
    model = OrganizationRole
    extra = 0
    autocomplete_fields = ["user"]


@admin.register(Organization)
class OrganizationAdmin(AuditedModelAdmin):
    list_display = ["display_name", "legal_name", "type", "country", "employees", "created_at"]
    list_filter = ["type"]
    search_fields = ["display_name", "legal_name", "slug"]
    prepopulated_fields = {"slug": ["display_name"]}
    inlines = [OrganizationRoleInline]


@admin.register(Invitation)
class InvitationAdmin(AuditedModelAdmin):
    list_display = ["email", "organization", "status", "invited_by", "created_at", "accepted_at"]
    list_filter = ["status"]
    search_fields = ["email", "organization__display_name"]
    readonly_fields = ["organization", "email", "roles", "status", "invited_by", "accepted_by",
                       "created_at", "accepted_at"]
    actions = ["revoke"]

    def has_add_permission(self, request):
        return False

    @admin.action(description="Revoke the selected invitations")
    def revoke(self, request, queryset):
        for invitation in queryset:
            try:
                services.invitation_revoke(invitation=invitation, actor=request.user)
            except DomainError as exc:
                self.message_user(request, f"{invitation}: {exc}", messages.ERROR)
