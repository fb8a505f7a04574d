from django.urls import path

from . import views, views_apply, views_landscape, views_tac

urlpatterns = [
    path("", views.landscape, name="projects"),
    path("landscape.yml", views_landscape.landscape_yml, name="landscape_yml"),
    path("apply/", views_apply.apply, name="projects_apply"),
    path("apply/<int:pk>/", views_apply.apply, name="projects_apply_edit"),
    path("apply/<int:pk>/sponsor-request/", views_apply.sponsorship_request,
         name="projects_sponsorship_request"),
    path("invitations/<str:token>/", views_apply.invitation, name="projects_invitation"),
    path("tac/", views_tac.queue, name="projects_tac"),
    path("tac/<slug:slug>/", views_tac.project, name="projects_tac_project"),
    # Last: any other address under /projects/ is a project's.
    path("<slug:slug>/", views.project_detail, name="project_detail"),
]
