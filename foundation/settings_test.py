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
