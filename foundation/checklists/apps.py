from django.apps import AppConfig


class ChecklistsConfig(AppConfig):
    """Benefits that are delivered, not just listed: one checklist item per benefit owed to
    a holder (a membership today; a sponsorship pledge or a hosted project later)."""

    name = "foundation.checklists"
    label = "checklists"
    verbose_name = "Benefit checklists"
