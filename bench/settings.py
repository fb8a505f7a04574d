"""The production settings, plus the ceiling view (bench/urls.py) and a static root of the
benchmark's own: the ceiling and the pages run on one server through one middleware stack."""

import os

from foundation.settings import *  # noqa: F403
from foundation.settings import STATIC_ROOT, STORAGES

ROOT_URLCONF = "bench.urls"
STATIC_ROOT = os.environ.get("BENCH_STATIC_ROOT", STATIC_ROOT)
# The hashed names production's pages link to, without the gzip and brotli copies: only
# requests for static files read those, and making them is most of a minute's work.
STORAGES = {**STORAGES, "staticfiles": {
    "BACKEND": "django.contrib.staticfiles.storage.ManifestStaticFilesStorage"}}
