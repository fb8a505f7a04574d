from django.urls import path

from . import views, views_landscape

urlpatterns = [
    path("", views.landscape, name="projects"),
    path("landscape.yml", views_landscape.landscape_yml, name="landscape_yml"),
    # Last: any other address under /projects/ is a project's.
    path("<slug:slug>/", views.project_detail, name="project_detail"),
]
