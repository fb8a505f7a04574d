"""The public, read-only JSON API at /api/, with its OpenAPI schema and documentation page.

The kernel owns the API and each programme adds its router to it in the root URLconf, so this
module imports no programme. The documentation page is Swagger UI from django-ninja's static
files (served by the portal, no CDN).
"""

from django.conf import settings
from ninja import NinjaAPI
from ninja.openapi.docs import Swagger

from .pagecache import cached_page

api = NinjaAPI(
    title=f"{settings.FOUNDATION_NAME} API",
    version="1.0",
    description=f"{settings.FOUNDATION_NAME}'s public data, read-only: no sign-in, GET only, "
                "JSON out.",
    urls_namespace="api",
    openapi_url="/openapi.json",
    docs_url="/docs",
    # Without this Swagger UI sends our schema's address to validator.swagger.io.
    docs=Swagger(settings={"validatorUrl": None}),
    # The schema and its page are public pages too: built once, then served from the cache.
    docs_decorator=cached_page,
)
