"""Staff approve members and mark invoices paid, so the admin asks for a second factor."""

from allauth.mfa.models import Authenticator
from allauth.mfa.utils import is_mfa_enabled
from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.urls import reverse

SECOND_FACTORS = [Authenticator.Type.TOTP, Authenticator.Type.WEBAUTHN]
SET_UP_FIRST = ("The staff pages need a second factor. Set up an authenticator app or a "
                "security key here, then open the staff pages again.")


class StaffSecondFactorMiddleware:
    """The admin's own login form checks only the password, so it is never shown: visitors go
    to allauth's login, which asks for the second factor. A staff member without one is sent
    to set it up and sees nothing of the admin; logging out stays open to them."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        match = request.resolver_match
        if "admin" not in match.app_names:
            return None
        user = request.user
        if match.url_name == "login":
            if not user.is_authenticated:
                return redirect_to_login(request.GET.get("next") or reverse("admin:index"))
            if not user.is_staff:
                raise PermissionDenied
            return redirect("admin:index")
        if (user.is_authenticated and user.is_staff and match.url_name != "logout"
                and not is_mfa_enabled(user, SECOND_FACTORS)):
            messages.error(request, SET_UP_FIRST)
            return redirect("mfa_index")
        return None
