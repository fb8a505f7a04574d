# The portal's one image: gunicorn by default; the Celery worker and beat run from it too
# (see docker-compose.yml).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    DJANGO_SETTINGS_MODULE=foundation.settings

# An unprivileged user with a writable home (gunicorn puts its control socket in ~/.gunicorn).
RUN groupadd --system --gid 10001 app \
    && useradd --system --uid 10001 --gid app --create-home --home-dir /home/app \
        --shell /usr/sbin/nologin app

WORKDIR /app

# WeasyPrint renders the invoice PDFs with Pango and Debian's fonts.
RUN apt-get update \
    && apt-get install -y --no-install-recommends \
        libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core \
    && rm -rf /var/lib/apt/lists/*

# Runtime dependencies first, read from pyproject.toml alone, so this layer stays cached until
# they change. The project itself has no package to install (setuptools `packages = []`), so
# this installs exactly what `pip install .` would, without needing a build backend or README.
COPY pyproject.toml ./
RUN python -c "import tomllib; print('\n'.join(tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']))" \
        > /tmp/requirements.txt \
    && pip install -r /tmp/requirements.txt \
    && rm /tmp/requirements.txt

# The source stays owned by root and read-only to the app; only var/ is writable.
COPY . .

# Static files are collected into the image (STATIC_ROOT is var/static) and served by WhiteNoise.
# The settings refuse to load without SECRET_KEY, DATABASE_URL and REDIS_URL when DEBUG is off,
# hence the build-only values: collectstatic connects to neither service, and none of them
# reaches the running containers.
RUN SECRET_KEY=build-only-not-a-secret DEBUG=false ALLOWED_HOSTS=localhost \
        DATABASE_URL=postgres://build-only@localhost/unused REDIS_URL=redis://localhost/0 \
        EMAIL_URL=consolemail:// \
        python manage.py collectstatic --noinput \
    && mkdir -p var/media var/run \
    && chown -R app:app var

USER app

EXPOSE 8000

CMD ["gunicorn", "foundation.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3", "--access-logfile", "-"]
