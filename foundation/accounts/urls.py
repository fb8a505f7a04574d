from django.urls import path

from . import views

urlpatterns = [
    path("dashboard/", views.dashboard, name="dashboard"),
    path("dashboard/organizations/new/", views.organization_create, name="organization_create"),
    path("dashboard/<slug:slug>/", views.organization_detail, name="organization_detail"),
    path("dashboard/<slug:slug>/edit/", views.organization_edit, name="organization_edit"),
    path("dashboard/<slug:slug>/invite/", views.invite, name="organization_invite"),
    path("dashboard/<slug:slug>/people/<int:user_id>/roles/", views.person_roles,
         name="person_roles"),
    path("dashboard/<slug:slug>/invitations/<int:invitation_id>/revoke/",
         views.invitation_revoke, name="invitation_revoke"),
    path("invitations/<str:token>/", views.invitation_accept, name="invitation_accept"),
]
