from django.apps import AppConfig


class AccountsConfig(AppConfig):
    """People and organizations: what every programme of the foundation shares."""

    name = "foundation.accounts"
    label = "accounts"
    verbose_name = "Accounts and organizations"

    def ready(self) -> None:
        from . import signals  # noqa: F401  (accepts an invitation opened before login)
