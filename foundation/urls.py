from django.contrib import admin
from django.urls import include, path

from credits.api import router as credits_api
from members.api import router as members_api
from projects.api import router as projects_api

from . import health, media, views
from .api import api

# Programmes add their routers to the kernel's API here: the root URLconf may import them,
# foundation.api may not.
api.add_router("", members_api)
api.add_router("", credits_api)
api.add_router("", projects_api)

urlpatterns = [
    path("", views.home, name="home"),
    path("styleguide/", views.styleguide, name="styleguide"),
    path("healthz", health.healthz, name="healthz"),
    path("api/", api.urls),
    path("admin/", admin.site.urls),
    path("accounts/", include("allauth.urls")),
    path("media/<path:path>", media.serve, name="media"),
    path("credits/", include("credits.urls")),
    path("projects/", include("projects.urls")),
    path("", include("foundation.billing.urls")),
    path("", include("foundation.accounts.urls")),
    path("", include("members.urls")),
]

handler500 = "foundation.views.server_error"
