"""Settings come from the environment; production refuses unsafe defaults."""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
STRONG_KEY = "k3Jd9!xQ2m#Vb7Lr$Tz5Wn8Hp@Yc4Fg6Sa1Ue0Io-Pq_Rs+Tt=Uv(Wx)Yz*Ab&Cd^Ef"


def run(*args: str, **env: str) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items()
             if k not in {"DEBUG", "SECRET_KEY", "DJANGO_SETTINGS_MODULE", "REDIS_URL",
                           "DJANGO_ALLOW_ASYNC_UNSAFE"}}
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, capture_output=True, text=True,
        env={**clean, "DJANGO_SETTINGS_MODULE": "foundation.settings", **env}, timeout=120,
    )


def test_production_refuses_to_start_without_secret_key():
    result = run("check", DEBUG="false")
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_check_deploy_is_clean_in_production():
    result = run("check", "--deploy", "--fail-level", "WARNING", DEBUG="false",
                 SECRET_KEY=STRONG_KEY, ALLOWED_HOSTS="portal.example.org")
    assert result.returncode == 0, result.stderr + result.stdout
    assert "no issues" in result.stdout


SHOW = (
    "from django.conf import settings as s; import json; print(json.dumps({"
    "'cache': s.CACHES['default']['BACKEND'], 'session': s.SESSION_ENGINE, "
    "'broker': s.CELERY_BROKER_URL, 'eager': s.CELERY_TASK_ALWAYS_EAGER, "
    "'db': s.DATABASES['default']['ENGINE'], 'storage': s.STORAGES['default']['BACKEND']}))"
)


def show(**env: str) -> dict:
    result = run("shell", "--no-imports", "-c", SHOW, DEBUG="true", **env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_embedded_default_needs_only_python():
    found = show(DATABASE_URL="", REDIS_URL="")
    assert found["db"].endswith("sqlite3")
    assert found["eager"] is True
    assert "locmem" in found["cache"]


def test_database_and_redis_urls_are_used_for_everything_shared():
    found = show(DATABASE_URL="postgres://postgres@127.0.0.1:5432/portal",
                 REDIS_URL="redis://127.0.0.1:6379/3", AWS_STORAGE_BUCKET_NAME="uploads")
    assert found["db"].endswith("postgresql")
    assert found["cache"].endswith("RedisCache")
    assert found["session"].endswith("backends.cache")
    assert found["broker"] == "redis://127.0.0.1:6379/3"
    assert found["eager"] is False
    assert found["storage"] == "storages.backends.s3.S3Storage"


def test_env_example_documents_every_setting():
    documented = (ROOT / ".env.example").read_text()
    for name in ["DATABASE_URL", "REDIS_URL", "SECRET_KEY", "DEBUG", "ALLOWED_HOSTS", "EMAIL_URL",
                 "DEFAULT_FROM_EMAIL", "STRIPE_SECRET_KEY", "STRIPE_WEBHOOK_SECRET", "SITE_URL"]:
        assert f"\n{name}=" in documented, name
