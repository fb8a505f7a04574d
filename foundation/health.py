"""/healthz: 200 when the database, the cache and the broker answer; 503 naming any that
does not. Load balancers and compose health checks call it."""

import uuid

from django.core.cache import cache
from django.db import connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe


def _database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()


def _cache() -> None:
    key = f"healthz:{uuid.uuid4().hex}"
    cache.set(key, "ok", 5)
    if cache.get(key) != "ok":
        raise RuntimeError("the cache did not return what was stored")
    cache.delete(key)


def _broker() -> None:
    from foundation.celery import app

    with app.connection_for_write() as conn:
        conn.ensure_connection(max_retries=1, timeout=2)


CHECKS = {"database": _database, "cache": _cache, "broker": _broker}


@never_cache
@require_safe
def healthz(request):
    results: dict[str, str] = {}
    for name, check in CHECKS.items():
        try:
            check()
        except Exception as exc:  # any failure means "down", with the reason
            results[name] = f"error: {exc.__class__.__name__}: {exc}"[:300]
        else:
            results[name] = "ok"
    failing = [name for name, result in results.items() if result != "ok"]
    return JsonResponse(
        {"status": "ok" if not failing else "unavailable", "failing": failing, "checks": results},
        status=503 if failing else 200,
    )
