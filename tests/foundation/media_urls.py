"""The media route first, so the media view's tests do not depend on where the project mounts
it; the project's own routes follow, for the error pages' links."""

from django.urls import path

from foundation import media
from foundation.urls import urlpatterns as project_urls

urlpatterns = [path("media/<path:path>", media.serve, name="media"), *project_urls]
