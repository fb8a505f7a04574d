"""Django's Redis cache, with two changes.

It keeps one Redis client per connection pool for the process: Django builds a new client for
every call, which costs about as much as the round trip itself, on every cached page, session
and lock.

And Redis going away (restarted, unreachable) is a cache miss, not an error: a read finds
nothing, a write keeps nothing, and the page is rendered from the database. Everything the
portal keeps in the cache can be made again (pages, the page-cache version, rate-limit
counts, sessions' cached copies: they live in the database), so serving on is right. Each
process logs the failure once a minute rather than on every call.
"""

import functools
import logging
import time

from django.core.cache.backends.redis import RedisCache as DjangoRedisCache
from django.core.cache.backends.redis import RedisCacheClient
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

logger = logging.getLogger(__name__)

UNAVAILABLE = (RedisConnectionError, RedisTimeoutError)
LOG_EVERY = 60.0  # seconds


class _KeptClients(RedisCacheClient):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._clients: dict[int, object] = {}

    def get_client(self, key=None, *, write=False):
        pool = self._get_connection_pool(write)
        client = self._clients.get(id(pool))
        if client is None:  # a client is thread-safe: it takes a connection per command
            client = self._clients[id(pool)] = self._client(connection_pool=pool)
        return client


_last_logged = 0.0


def _unavailable(exc: Exception) -> None:
    global _last_logged
    now = time.monotonic()
    if now - _last_logged >= LOG_EVERY:
        _last_logged = now
        logger.warning("The cache (Redis) is unavailable, serving without it: %r", exc)


def _or(fallback):
    """The method, answering `fallback(*args, **kwargs)` when Redis is unavailable."""
    def wrap(method):
        @functools.wraps(method)
        def call(self, *args, **kwargs):
            try:
                return method(self, *args, **kwargs)
            except UNAVAILABLE as exc:
                _unavailable(exc)
                return fallback(*args, **kwargs)
        return call
    return wrap


def _default(key, default=None, version=None):
    return default


class RedisCache(DjangoRedisCache):
    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = _KeptClients

    get = _or(_default)(DjangoRedisCache.get)
    get_many = _or(lambda keys, version=None: {})(DjangoRedisCache.get_many)
    has_key = _or(lambda key, version=None: False)(DjangoRedisCache.has_key)
    add = _or(lambda *args, **kwargs: False)(DjangoRedisCache.add)
    set = _or(lambda *args, **kwargs: None)(DjangoRedisCache.set)
    touch = _or(lambda *args, **kwargs: False)(DjangoRedisCache.touch)
    # Nothing stored: every key failed (Django's answer for keys it could not set).
    set_many = _or(lambda data, *args, **kwargs: list(data))(DjangoRedisCache.set_many)
    delete = _or(lambda *args, **kwargs: False)(DjangoRedisCache.delete)
    delete_many = _or(lambda *args, **kwargs: None)(DjangoRedisCache.delete_many)
    # A count that starts again: a rate limit lets the request through while Redis is away.
    incr = _or(lambda key, delta=1, version=None: delta)(DjangoRedisCache.incr)
    clear = _or(lambda: False)(DjangoRedisCache.clear)
