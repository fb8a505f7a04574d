"""The ceiling: the cheapest response Django gives, served before the portal's own URLs."""

from django.http import HttpResponse
from django.urls import path

from foundation import urls as portal

urlpatterns = [
    path("__ceiling__/", lambda request: HttpResponse("ok")),
    *portal.urlpatterns,
]
handler500 = portal.handler500
