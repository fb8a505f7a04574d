from django.urls import path

from . import views, views_pledge

urlpatterns = [
    path("", views.programme, name="credits"),
    path("pledge/", views_pledge.pledge, name="credits_pledge"),
    path("pledges/<int:pledge_id>/contact/", views_pledge.contact_edit,
         name="credits_pledge_contact"),
    path("benefits/<int:item_id>/", views_pledge.benefit_input, name="credits_benefit_input"),
]
