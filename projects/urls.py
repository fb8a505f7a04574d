from django.urls import path

from . import views, views_landscape

urlpatterns = [
    path("", views.landscape, name="projects"),
    path("landscape.yml", views_landscape.landscape_yml, name="landscape_yml"),
]
