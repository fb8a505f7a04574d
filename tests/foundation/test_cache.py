"""The Redis cache keeps its client: building one per call cost as much as the round trip."""

from django.core.cache import caches

from foundation.cache import RedisCache


def test_the_redis_cache_builds_one_client_and_still_reads_and_writes():
    cache = caches["default"]
    assert isinstance(cache, RedisCache)  # the tests run on Redis, as production does
    assert cache._cache.get_client("a") is cache._cache.get_client("b", write=True)
    cache.set("kept-client", {"n": 1}, 5)
    assert cache.get_many(["kept-client", "missing"]) == {"kept-client": {"n": 1}}
