from django.apps import AppConfig


class FoundationConfig(AppConfig):
    name = "foundation"
    verbose_name = "Audit and e-mail"

    def ready(self) -> None:
        from django.conf import settings
        from django.contrib import admin

        admin.site.site_header = f"{settings.FOUNDATION_NAME} staff"
        admin.site.site_title = f"{settings.FOUNDATION_NAME} portal"
        admin.site.index_title = "Run the foundation"
