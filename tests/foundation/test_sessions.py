"""Sessions live in the database behind the cache (a restarted Redis signs nobody out); the
daily job clears the expired ones."""

from importlib import import_module

import pytest
from django.conf import settings
from django.contrib.sessions.models import Session
from django.core.cache import cache

from foundation.tasks import clear_expired_sessions

pytestmark = pytest.mark.django_db


def _session(expiry: int) -> str:
    store = import_module(settings.SESSION_ENGINE).SessionStore()
    store["member"] = 1
    store.set_expiry(expiry)
    store.save()
    return store.session_key


def test_a_session_outlives_the_cache():
    key = _session(3600)
    cache.clear()  # Redis restarted without its data
    assert import_module(settings.SESSION_ENGINE).SessionStore(key)["member"] == 1


def test_expired_sessions_are_cleared_and_live_ones_kept():
    live, expired = _session(3600), _session(-1)
    clear_expired_sessions()
    assert list(Session.objects.values_list("session_key", flat=True)) == [live]
    assert expired != live
