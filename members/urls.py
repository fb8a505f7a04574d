from django.urls import path

from . import membership_views, views

urlpatterns = [
    path("membership/", membership_views.membership, name="membership"),
    path("membership/apply/", membership_views.apply, name="membership_apply"),
    path("membership/sign/<str:token>/", membership_views.sign, name="membership_sign"),
    path("members/", membership_views.directory, name="member_directory"),
    path("dashboard/<slug:slug>/applications/<int:application_id>/resubmit/",
         membership_views.resubmit, name="application_resubmit"),
    path("dashboard/<slug:slug>/applications/<int:application_id>/withdraw/",
         membership_views.application_withdraw, name="application_withdraw"),
    path("dashboard/<slug:slug>/memberships/<int:membership_id>/leave/",
         membership_views.membership_leave, name="membership_leave"),
    path("dashboard/<slug:slug>/applications/<int:application_id>/<str:action>/",
         membership_views.application_action, name="application_action"),
    path("dashboard/<slug:slug>/benefits/<int:item_id>/provide/", membership_views.provide,
         name="benefit_provide"),
    path("dashboard/", views.dashboard, name="dashboard"),
    path("dashboard/organizations/new/", views.organization_create, name="organization_create"),
    path("dashboard/<slug:slug>/", views.organization_detail, name="organization_detail"),
    path("dashboard/<slug:slug>/edit/", views.organization_edit, name="organization_edit"),
    path("dashboard/<slug:slug>/apply/", membership_views.apply_for, name="organization_apply"),
    path("dashboard/<slug:slug>/invite/", views.invite, name="organization_invite"),
    path("dashboard/<slug:slug>/people/<int:user_id>/roles/", views.person_roles,
         name="person_roles"),
    path("dashboard/<slug:slug>/invitations/<int:invitation_id>/revoke/",
         views.invitation_revoke, name="invitation_revoke"),
    path("invitations/<str:token>/", views.invitation_accept, name="invitation_accept"),
]
