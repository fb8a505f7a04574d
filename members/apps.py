from django.apps import AppConfig


class MembersConfig(AppConfig):
    name = "members"
    verbose_name = "Members"

    def ready(self) -> None:
        from . import signals  # noqa: F401
        from .services import memberships  # noqa: F401  (connects the invoice-paid hook)
