from django.urls import path

from . import views

urlpatterns = [path("", views.landscape, name="projects")]
