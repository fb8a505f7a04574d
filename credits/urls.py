from django.urls import path

from . import views, views_pledge, views_pool, views_support, views_transparency

urlpatterns = [
    path("", views.programme, name="credits"),
    path("pledge/", views_pledge.pledge, name="credits_pledge"),
    path("transparency/", views_transparency.transparency_page, name="credits_transparency"),
    path("pledges/<int:pledge_id>/contact/", views_pledge.contact_edit,
         name="credits_pledge_contact"),
    path("benefits/<int:item_id>/", views_pledge.benefit_input, name="credits_benefit_input"),
    path("allocations/<int:allocation_id>/support/", views_support.support_request,
         name="credits_support_request"),
    path("projects/<slug:slug>/request/", views_pool.request_credits,
         name="credits_pool_request"),
    path("projects/<slug:slug>/allocations/<int:allocation_id>/usage/",
         views_pool.record_usage, name="credits_usage_record"),
    path("projects/<slug:slug>/usage/import/", views_pool.import_usage,
         name="credits_usage_import"),
    path("support/<str:token>/", views_support.support_respond, name="credits_support_respond"),
]
