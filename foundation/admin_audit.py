"""A ModelAdmin base that writes every admin add, change and delete to the audit log and
shows the object's audit history on its History page."""

from django import forms
from django.contrib import admin, messages
from django.contrib.auth.forms import ReadOnlyPasswordHashField, ReadOnlyPasswordHashWidget
from django.core.exceptions import FieldDoesNotExist
from django.db import models

from . import audit
from .transitions import DomainError

# Model fields whose values read plainly in the log (a foreign key as its str()). The values
# of any other changed field (files, many-to-many, form-only fields) are not recorded: the
# entry's note names the field instead.
PLAIN_FIELDS = (
    models.BooleanField, models.CharField, models.DateField, models.DecimalField,
    models.FloatField, models.ForeignKey, models.IntegerField, models.TextField,
    models.TimeField,
)


def _plain(value):
    return value if isinstance(value, (str, int, float, bool, type(None))) else str(value)


def _is_secret(form, name: str) -> bool:
    field = form.fields.get(name)
    return (
        audit.is_secret(name)
        or isinstance(field, ReadOnlyPasswordHashField)
        or isinstance(getattr(field, "widget", None), (forms.PasswordInput,
                                                       ReadOnlyPasswordHashWidget))
    )


def _plain_field(obj, form, name: str):
    """The model field whose value the log may show, or None if it may only name it."""
    if _is_secret(form, name):
        return None
    try:
        field = obj._meta.get_field(name)
    except FieldDoesNotExist:
        return None
    return field if isinstance(field, PLAIN_FIELDS) else None


class AuditedModelAdmin(admin.ModelAdmin):
    object_history_template = "admin/audited_object_history.html"

    def save_model(self, request, obj, form, change):
        """Record the old and new values of the plain fields changed, and the names of the
        rest: a password typed into the admin must never reach the log."""
        if change and not form.changed_data:
            return super().save_model(request, obj, form, change)
        fields = {name: _plain_field(obj, form, name) for name in form.changed_data}
        plain = [field for field in fields.values() if field is not None]
        before = type(obj)._base_manager.filter(pk=obj.pk).first() if change else None
        old = {f.name: _plain(getattr(before, f.name)) for f in plain} if before else None
        super().save_model(request, obj, form, change)
        audit.record(
            obj, actor=request.user, action="admin.change" if change else "admin.add",
            old=old, new={f.name: _plain(getattr(obj, f.name)) for f in plain},
            note=audit.changed_note([name for name, field in fields.items() if field is None]),
        )

    def delete_model(self, request, obj):
        audit.record(obj, actor=request.user, action="admin.delete")
        super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            audit.record(obj, actor=request.user, action="admin.delete")
        super().delete_queryset(request, queryset)

    def history_view(self, request, object_id, extra_context=None):
        obj = self.get_object(request, object_id)
        extra_context = {**(extra_context or {}),
                         "audit_entries": audit.history(obj) if obj is not None else []}
        return super().history_view(request, object_id, extra_context=extra_context)

    def each(self, request, queryset, service, done: str, *, id_arg: str, **kwargs) -> None:
        """Run a service on every selected object; a refused one is a message, not a 500."""
        changed = 0
        for obj in queryset:
            try:
                service(**{id_arg: obj.pk}, actor=request.user, **kwargs)
                changed += 1
            except DomainError as exc:
                self.message_user(request, f"{obj}: {exc}", messages.ERROR)
        if changed:
            self.message_user(request, f"{changed} {done}.", messages.SUCCESS)


class ReadOnlyInlineMixin:
    """An inline that shows rows which change only through a service-backed admin page."""

    extra = 0

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ReadOnlyInline(ReadOnlyInlineMixin, admin.TabularInline):
    pass
