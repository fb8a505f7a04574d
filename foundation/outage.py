"""The database gone (restarting, unreachable): any page answers 503 with the portal's own
"we'll be back" page and a Retry-After, never a traceback or a bare 500. CONN_HEALTH_CHECKS
lets each process reconnect on its next request once the database is back.

A failure in a view reaches `process_exception`. One in another middleware (the user looked
up for the admin's second-factor check) is turned into a 500 response by Django before this
middleware sees it, so the `got_request_exception` signal marks the request and the response
is replaced on its way out."""

import logging
import sys

from django.conf import settings
from django.core.signals import got_request_exception
from django.db import InterfaceError, OperationalError
from django.http import HttpResponse, JsonResponse
from django.template import loader

logger = logging.getLogger(__name__)

RETRY_AFTER_SECONDS = 30
# SQLSTATE classes of a server that is gone or going: connection exceptions and an operator's
# intervention (shutdown, "the database system is starting up").
UNAVAILABLE_STATES = ("08", "57P")


def database_unavailable(exc: BaseException | None) -> bool:
    """Whether `exc` says the database cannot be reached now, rather than that a query was
    wrong: a connection error carries no SQLSTATE or one of UNAVAILABLE_STATES."""
    if not isinstance(exc, OperationalError | InterfaceError):
        return False
    state = getattr(exc.__cause__, "sqlstate", None)
    return state is None or state.startswith(UNAVAILABLE_STATES)


def outage_response(request) -> HttpResponse:
    """The 503, from settings alone: no database, session, user or context processor."""
    if "text/html" not in request.headers.get("Accept", "") and \
            "application/json" in request.headers.get("Accept", ""):
        response: HttpResponse = JsonResponse(
            {"detail": "The service is briefly unavailable; try again in a minute."}, status=503)
    else:
        page = loader.get_template("503.html").render(
            {"FOUNDATION_NAME": settings.FOUNDATION_NAME})
        response = HttpResponse(page, status=503)
        # The page's styles are inline (it loads no file), as the 500 page's are.
        response._csp_replace = {"style-src": ["'self'", "'unsafe-inline'"]}  # type: ignore[attr-defined]
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    response["Cache-Control"] = "no-store"
    # Logged once below as a warning, not once per request as a server error by Django.
    response._has_been_logged = True  # type: ignore[attr-defined]
    return response


class DatabaseOutageMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if getattr(request, "database_unavailable", False):
            logger.warning("The database is unavailable: %s answered 503.", request.path)
            return outage_response(request)
        return response

    def process_exception(self, request, exception):
        if database_unavailable(exception):
            logger.warning("The database is unavailable (%s): %s answered 503.",
                           exception, request.path)
            return outage_response(request)
        return None


def _mark(sender, request=None, **kwargs) -> None:
    if request is not None and database_unavailable(sys.exc_info()[1]):
        request.database_unavailable = True


got_request_exception.connect(_mark, dispatch_uid="foundation.outage")
