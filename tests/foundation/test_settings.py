"""Settings come from the environment; production refuses unsafe defaults."""

import json
import os
import shlex
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.core.files.base import ContentFile

from foundation import media
from tests.accounts.factories import OrganizationFactory

ROOT = Path(__file__).resolve().parents[2]
STRONG_KEY = "k3Jd9!xQ2m#Vb7Lr$Tz5Wn8Hp@Yc4Fg6Sa1Ue0Io-Pq_Rs+Tt=Uv(Wx)Yz*Ab&Cd^Ef"


def run(*args: str, **env: str) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items()
             if k not in {"DEBUG", "SECRET_KEY", "DJANGO_SETTINGS_MODULE", "DATABASE_URL",
                           "REDIS_URL", "AWS_STORAGE_BUCKET_NAME", "DJANGO_ALLOW_ASYNC_UNSAFE",
                           "SENTRY_DSN"}}
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, capture_output=True, text=True,
        env={**clean, "DJANGO_SETTINGS_MODULE": "foundation.settings", **env}, timeout=120,
    )


def test_production_refuses_to_start_without_secret_key():
    result = run("check", DEBUG="false")
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


# Production settings with everything they require; the checks below never connect.
PRODUCTION = {"DEBUG": "false", "SECRET_KEY": STRONG_KEY, "ALLOWED_HOSTS": "portal.example.org",
              "DATABASE_URL": "postgres://portal@db.example.org:5432/portal",
              "REDIS_URL": "redis://redis.example.org:6379/0"}


def test_production_refuses_to_start_without_database_url():
    result = run("check", **{**PRODUCTION, "DATABASE_URL": ""})
    assert result.returncode != 0
    assert "DATABASE_URL must be set" in result.stderr


def test_production_refuses_to_start_without_redis_url():
    result = run("check", **{**PRODUCTION, "REDIS_URL": ""})
    assert result.returncode != 0
    assert "REDIS_URL must be set" in result.stderr


def test_production_starts_with_database_and_redis_urls():
    result = run("check", **PRODUCTION)
    assert result.returncode == 0, result.stderr + result.stdout


def test_check_deploy_is_clean_in_production():
    result = run("check", "--deploy", "--fail-level", "WARNING", **PRODUCTION)
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
    assert found["session"].endswith("backends.cached_db")
    assert found["broker"] == "redis://127.0.0.1:6379/3"
    assert found["eager"] is False
    assert found["storage"] == "storages.backends.s3.S3Storage"


def test_env_example_documents_every_setting():
    documented = (ROOT / ".env.example").read_text()
    for name in ["DATABASE_URL", "REDIS_URL", "SECRET_KEY", "DEBUG", "ALLOWED_HOSTS", "EMAIL_URL",
                 "DEFAULT_FROM_EMAIL", "STRIPE_SECRET_KEY", "STRIPE_WEBHOOK_SECRET", "SITE_URL"]:
        assert f"\n{name}=" in documented, name


STORAGES_SHOW = (
    "from django.core.files.storage import storages; import json; "
    "from foundation.accounts.models import Organization; "
    "logo = Organization._meta.get_field('logo').storage; "
    "print(json.dumps({name: {'backend': type(storages[name]).__name__, "
    "'acl': getattr(storages[name], 'default_acl', None), "
    "'signed': getattr(storages[name], 'querystring_auth', None), "
    "'location': getattr(storages[name], 'location', None)} for name in ['default', 'public']} "
    "| {'logo_is_public': logo is storages['public']}))"
)


def show_storages(**env: str) -> dict:
    result = run("shell", "--no-imports", "-c", STORAGES_SHOW, DEBUG="true", **env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_with_a_bucket_uploads_are_private_and_logos_public():
    found = show_storages(AWS_STORAGE_BUCKET_NAME="uploads")
    assert found["default"] == {"backend": "S3Storage", "acl": "private", "signed": True,
                                "location": ""}
    assert found["public"] == {"backend": "S3Storage", "acl": "public-read", "signed": False,
                               "location": "public"}
    assert found["logo_is_public"] is True


def test_without_a_bucket_logos_stay_on_local_disk_served_through_media():
    found = show_storages(MEDIA_ROOT="/srv/portal/media")
    assert found["public"]["backend"] == found["default"]["backend"] == "FileSystemStorage"
    assert found["public"]["location"] == found["default"]["location"] == "/srv/portal/media"
    assert found["logo_is_public"] is True


@pytest.mark.django_db
def test_a_logo_on_local_disk_is_served_through_media_sandboxed(client):
    org = OrganizationFactory()
    org.logo.save("acme.svg", ContentFile(b'<svg xmlns="http://www.w3.org/2000/svg"/>'))
    assert org.logo.url.startswith("/media/logos/")
    response = client.get(org.logo.url)
    assert response.status_code == 200
    assert response["Content-Security-Policy"] == media.CONTENT_SECURITY_POLICY


def test_the_image_build_step_gives_the_settings_what_they_require():
    """collectstatic runs at build time with DEBUG off: its build-only values must load."""
    logical = (ROOT / "Dockerfile").read_text().replace("\\\n", " ")
    step = next(line for line in logical.splitlines()
                if line.startswith("RUN ") and "collectstatic" in line)
    words = shlex.split(step.removeprefix("RUN "))
    build_env = dict(word.split("=", 1) for word in words[: words.index("python")])
    assert build_env["DEBUG"] == "false"
    result = run("check", **build_env)
    assert result.returncode == 0, result.stderr


LOGO_POLICY_SHOW = (
    "from django.conf import settings as s; from django.core.files.storage import storages; "
    "import json; print(json.dumps({'img_src': s.CONTENT_SECURITY_POLICY['DIRECTIVES']['img-src'], "
    "'logo': storages['public'].url('logos/acme.png')}))"
)


@pytest.mark.parametrize("endpoint", ["", "https://s3.example.org"])
def test_pages_may_show_logos_from_the_bucket(endpoint):
    result = run("shell", "--no-imports", "-c", LOGO_POLICY_SHOW, DEBUG="true",
                 AWS_STORAGE_BUCKET_NAME="uploads", AWS_S3_ENDPOINT_URL=endpoint)
    assert result.returncode == 0, result.stderr
    found = json.loads(result.stdout)
    logo = urlsplit(found["logo"])
    assert found["img_src"] == ["'self'", "data:", f"{logo.scheme}://{logo.netloc}"]


def test_without_a_bucket_pages_show_images_from_the_portal_alone():
    result = run("shell", "--no-imports", "-c", LOGO_POLICY_SHOW, DEBUG="true")
    assert json.loads(result.stdout)["img_src"] == ["'self'", "data:"]


SENTRY_SHOW = (
    "import json, sentry_sdk; c = sentry_sdk.get_client(); "
    "print(json.dumps({'active': c.is_active(), 'dsn': c.dsn, "
    "'pii': c.options['send_default_pii'] if c.is_active() else None, "
    "'integrations': sorted(getattr(c, 'integrations', {}))}))"
)


def sentry(**env: str) -> dict:
    result = run("shell", "--no-imports", "-c", SENTRY_SHOW, DEBUG="true", **env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_without_sentry_dsn_error_reporting_is_off():
    assert sentry() == {"active": False, "dsn": None, "pii": None, "integrations": []}


def test_the_test_run_sends_no_error_reports():
    import sentry_sdk

    assert not sentry_sdk.get_client().is_active()


def test_sentry_dsn_turns_on_error_reports_for_django_and_celery_without_personal_data():
    found = sentry(SENTRY_DSN="https://public@127.0.0.1/1")
    assert found["active"] is True and found["dsn"] == "https://public@127.0.0.1/1"
    assert found["pii"] is False
    assert {"django", "celery"} <= set(found["integrations"])
