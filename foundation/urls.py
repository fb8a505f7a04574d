from django.contrib import admin
from django.urls import include, path

from . import health, media, views

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", health.healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("accounts/", include("allauth.urls")),
    path("media/<path:path>", media.serve, name="media"),
    path("credits/", include("credits.urls")),
    path("projects/", include("projects.urls")),
    path("", include("foundation.billing.urls")),
    path("", include("members.urls")),
]

handler500 = "foundation.views.server_error"
