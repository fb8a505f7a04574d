from django.urls import path

from . import views

urlpatterns = [
    path("stripe/webhook/", views.stripe_webhook, name="stripe_webhook"),
    path("dashboard/<slug:slug>/invoices/<int:invoice_id>/", views.invoice_detail,
         name="invoice_detail"),
    path("dashboard/<slug:slug>/invoices/<int:invoice_id>/pdf/", views.invoice_pdf,
         name="invoice_pdf"),
]
