"""A ModelAdmin base that writes every admin add, change and delete to the audit log and
shows the object's audit history on its History page."""

from django.contrib import admin, messages

from . import audit
from .transitions import DomainError


def _plain(value):
    return value if isinstance(value, (str, int, float, bool, type(None))) else str(value)


class AuditedModelAdmin(admin.ModelAdmin):
    object_history_template = "admin/audited_object_history.html"

    def save_model(self, request, obj, form, change):
        old = {name: _plain(form.initial.get(name)) for name in form.changed_data}
        super().save_model(request, obj, form, change)
        new = {name: _plain(form.cleaned_data.get(name)) for name in form.changed_data}
        if change and not new:
            return
        audit.record(
            obj, actor=request.user, action="admin.change" if change else "admin.add",
            old=old if change else None, new=new,
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
