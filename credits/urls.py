from django.urls import path

from . import views

urlpatterns = [path("", views.programme, name="credits")]
