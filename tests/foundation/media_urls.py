"""The media route alone, so the media view's tests do not depend on the project's urls."""

from django.urls import path

from foundation import media

urlpatterns = [path("media/<path:path>", media.serve, name="media")]
