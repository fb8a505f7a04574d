from django.urls import path

from . import membership_views

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
    path("dashboard/<slug:slug>/apply/", membership_views.apply_for, name="organization_apply"),
]
