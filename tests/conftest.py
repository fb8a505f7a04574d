import os

import pytest
from django.core.cache import cache

from tests.accounts.factories import OrganizationFactory, UserFactory
from tests.mfa import activate_totp

# Playwright's sync API runs an event loop in the test thread; the ORM calls made there
# (fixtures, assertions) are still synchronous.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture(autouse=True)
def _clean_cache():
    """Each test starts with an empty cache (allauth's rate limits live there)."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def admin_user(admin_user):
    """pytest-django's superuser, with the authenticator app the admin asks staff for."""
    activate_totp(admin_user)
    return admin_user


@pytest.fixture
def user(db):
    return UserFactory()


@pytest.fixture
def org_admin(db):
    """An organization and its admin, logged in through `admin_client_of`."""
    return OrganizationFactory.with_admin()


@pytest.fixture
def logged_in(client):
    def login(user):
        client.force_login(user)
        return client

    return login
