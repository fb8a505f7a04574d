"""Test settings: the production settings on real PostgreSQL and Redis, with small overrides."""

import os

os.environ.setdefault("SECRET_KEY", "test-only-secret-key-9c4e2b7a1f8d6e3c5a0b9d7f2e4c6a8b1d3f5e7")
# The services `make test` expects, so a bare pytest (or mypy's Django plugin, which loads
# these settings) runs with DEBUG off as production does.
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/portal")
os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/1")

from foundation.settings import *  # noqa: E402,F403
from foundation.settings import STORAGES  # noqa: E402

# Tests run tasks in-process (after commit, as in production) so each can be observed.
CELERY_TASK_ALWAYS_EAGER = True
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
STORAGES = {**STORAGES, "staticfiles": {
    "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}
SECURE_SSL_REDIRECT = False
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
# A refused Stripe call fails at once: tests never sleep through the SDK's own retries.
STRIPE_NETWORK_RETRIES = 0
# django-zeal: an N+1 (the same query from the same line, once per row) in any request a test
# makes fails that test. Per request, not per test: a test that makes two requests rightly
# runs the same queries twice. A loop meant to query per row goes in ZEAL_ALLOWLIST with why.
INSTALLED_APPS = [*INSTALLED_APPS, "zeal"]  # noqa: F405
MIDDLEWARE = [*MIDDLEWARE, "zeal.middleware.zeal_middleware"]  # noqa: F405
ZEAL_RAISE = True
ZEAL_ALLOWLIST = [
    # get_for_model() queries once per model, then caches: bounded by the models, not rows.
    {"model": "contenttypes.ContentType", "field": "get()"},
    # allauth's login, signup and MFA stages each look the person and their address up again
    # in one request: bounded by the stages, not by any rows.
    {"model": "accounts.User", "field": "get()"},
    {"model": "account.EmailAddress", "field": "get()"},
    # Tests run tasks in the request (eager): each queued e-mail's task locks its own row,
    # once per e-mail the request sends.
    {"model": "foundation.OutboundEmail", "field": "get()"},
    # ... and an invoice e-mail's task builds the PDF it attaches, once per recipient.
    {"model": "billing.Invoice", "field": "get()"},
    # get_or_create looks again after losing the insert race to a simultaneous delivery.
    {"model": "billing.StripeEvent", "field": "get()"},
]
