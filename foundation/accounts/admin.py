from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.http import urlencode

from foundation import audit
from foundation.admin_audit import AuditedModelAdmin, ReadOnlyInline
from foundation.admin_lists import QuickCheckboxes
from foundation.transitions import DomainError

from . import services
from .forms import OrganizationForm
from .models import Invitation, Organization, OrganizationRole, Role, User


@admin.register(User)
class UserAdmin(BaseUserAdmin, AuditedModelAdmin):
    ordering = ["email"]
    list_display = ["email", "first_name", "last_name", "is_staff", "is_active", "date_joined"]
    show_full_result_count = False  # a table that grows: no second count of every row
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

    def user_change_password(self, request, id, form_url=""):
        """A password set by staff is audited as an event; the password itself never is."""
        response = super().user_change_password(request, id, form_url)
        if request.method == "POST" and response.status_code == 302:
            audit.record(self.get_object(request, id), actor=request.user,
                         action="admin.password_change", note="Password changed by staff.")
        return response


class OrganizationRoleInline(ReadOnlyInline):
    model = OrganizationRole
    fields = ["user", "role", "change_roles"]
    readonly_fields = ["change_roles"]

    def get_queryset(self, request):  # each row reads as "<person> · <role> · <organization>"
        return super().get_queryset(request).select_related("user", "organization")

    @admin.display(description="")
    def change_roles(self, obj):
        url = reverse("admin:accounts_organization_roles", args=[obj.organization_id])
        return format_html('<a href="{}?{}">Change roles</a>', url,
                           urlencode({"email": obj.user.email}))


class OrganizationAdminForm(OrganizationForm):
    """The dashboard's form, so a logo from staff is checked, sanitized, counted against the
    uploader's budget and removed ("Clear") the same way."""

    class Meta(OrganizationForm.Meta):
        fields = "__all__"


class PersonRolesForm(forms.Form):
    email = forms.EmailField(label="E-mail address",
                             help_text="Of a person with an account on the portal.")
    roles = forms.MultipleChoiceField(
        choices=Role.choices, widget=forms.CheckboxSelectMultiple, required=False,
        help_text="The roles the person will hold, exactly. Untick every role to remove "
                  "them from the organization.")

    def clean_email(self):
        email = self.cleaned_data["email"]
        self.person = User.objects.filter(email__iexact=email).first()
        if self.person is None:
            raise ValidationError("No one has an account with this address; invite them "
                                  "from the organization's page instead.")
        return email


@admin.register(Organization)
class OrganizationAdmin(QuickCheckboxes, AuditedModelAdmin):
    list_display = ["display_name", "legal_name", "type", "country_name", "employees",
                    "is_founding_member", "created_at"]
    show_full_result_count = False  # a table that grows: no second count of every row
    list_filter = ["type", "is_founding_member"]
    search_fields = ["display_name", "legal_name", "slug"]
    prepopulated_fields = {"slug": ["display_name"]}
    form = OrganizationAdminForm
    inlines = [OrganizationRoleInline]
    change_form_template = "admin/accounts/organization/change_form.html"

    @admin.display(description="country", ordering="country")
    def country_name(self, obj):
        """The name from the country itself: the admin's own column rebuilds the list of
        every country's choices for each row."""
        return obj.country.name

    def get_form(self, request, obj=None, change=False, **kwargs):
        """The form, bound to the person uploading: the admin builds it without arguments."""
        form_class = super().get_form(request, obj, change=change, **kwargs)

        class UploaderForm(form_class):
            def __init__(self, *args, **kwargs):
                super().__init__(*args, user=request.user, **kwargs)

        return UploaderForm

    def save_model(self, request, obj, form, change):
        """An edit goes through the service, which also delivers a new logo's benefit."""
        if not change:
            return super().save_model(request, obj, form, change)
        facts = {name: form.cleaned_data[name] for name in form.changed_data if name != "logo"}
        services.organization_update(organization=obj, actor=request.user,
                                     logo=form.cleaned_data["logo"], **facts)

    def get_urls(self):
        return [
            path("<int:organization_id>/roles/", self.admin_site.admin_view(self.roles_view),
                 name="accounts_organization_roles"),
            *super().get_urls(),
        ]

    def roles_view(self, request, organization_id):
        organization = get_object_or_404(Organization, pk=organization_id)
        if not self.has_change_permission(request, organization):
            raise PermissionDenied
        if request.method == "POST":
            form = PersonRolesForm(request.POST)
        else:
            email = request.GET.get("email", "")
            # PostgreSQL refuses a NUL byte in a query: no one has such an address.
            person = User.objects.filter(email__iexact=email).first() if "\x00" not in email \
                else None
            form = PersonRolesForm(initial={
                "email": email,
                "roles": list(services.roles_of(person, organization)) if person else []})
        if request.method == "POST" and form.is_valid():
            try:
                services.roles_set(organization=organization, user=form.person,
                                   roles=form.cleaned_data["roles"], actor=request.user)
            except DomainError as exc:
                form.add_error(None, str(exc))
            else:
                self.message_user(request, f"Roles of {form.person.email} in {organization} "
                                           "saved.", messages.SUCCESS)
                return redirect(reverse("admin:accounts_organization_change",
                                        args=[organization.pk]))
        people: dict[User, list[str]] = {}
        for role in organization.roles.select_related("user").order_by("user__email"):
            people.setdefault(role.user, []).append(role.get_role_display())
        return render(request, "admin/accounts/organization/roles.html", {
            **self.admin_site.each_context(request), "organization": organization,
            "form": form, "people": people, "opts": self.model._meta,
            "title": f"Change roles in {organization}",
        })


@admin.register(Invitation)
class InvitationAdmin(AuditedModelAdmin):
    list_display = ["email", "organization", "status", "invited_by", "created_at", "accepted_at"]
    list_select_related = ["organization", "invited_by"]
    show_full_result_count = False  # a table that grows: no second count of every row
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
