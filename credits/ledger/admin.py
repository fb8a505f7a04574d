"""The ledger in the admin: staff read accounts, lots and transactions with their entries;
nobody adds, changes or deletes anything here (value moves only through posting.py)."""

from typing import Any

from django.contrib import admin
from django.urls import path

from .models import Account, Entry, LedgerTransaction, Lot


class ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: Any, obj: Any = None) -> bool:
        return False


class EntryInline(admin.TabularInline):
    model = Entry
    fields = ["account", "lot", "amount"]
    readonly_fields = ["account", "lot", "amount"]
    extra = 0
    can_delete = False

    def has_add_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return False


@admin.register(LedgerTransaction)
class LedgerTransactionAdmin(ReadOnly):
    list_display = ["posted_at", "kind", "on", "key", "memo"]
    list_filter = ["kind"]
    search_fields = ["key", "memo"]
    date_hierarchy = "on"
    inlines = [EntryInline]

    def get_urls(self):
        """Staff's burn-down of the pool (credits/views_transparency.py), behind the admin's
        login and second factor; the admin index links to it (credits/apps.py)."""
        from credits.views_transparency import staff_burndown

        return [path("burn-down/", self.admin_site.admin_view(staff_burndown),
                     name="credits_burndown"), *super().get_urls()]


@admin.register(Account)
class AccountAdmin(ReadOnly):
    list_display = ["key", "kind", "provider", "project"]
    list_filter = ["kind", "provider"]
    search_fields = ["key", "project__name"]


@admin.register(Lot)
class LotAdmin(ReadOnly):
    list_display = ["pk", "provider", "amount", "valid_to", "contribution"]
    list_filter = ["provider"]
    list_select_related = ["provider", "contribution__provider"]
