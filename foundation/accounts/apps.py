from django.apps import AppConfig


class AccountsConfig(AppConfig):
    """People and organizations: what every programme of the foundation shares."""

    name = "foundation.accounts"
    label = "accounts"
    verbose_name = "Accounts and organizations"

    def ready(self) -> None:
        from foundation import pagecache

        from . import models, signals  # noqa: F401  (accepts an invitation opened at login)

        pagecache.invalidate_on(models.Organization, models.OrganizationRole)
