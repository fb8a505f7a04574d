"""Backups of the portal: one tar file holding the PostgreSQL database (pg_dump's custom format)
and the uploaded files (MEDIA_ROOT), with a manifest saying what is inside. `manage.py backup`
writes one and `manage.py restore` loads one into an empty database.

Only PostgreSQL is backed up: the embedded SQLite default is for development. Uploads on
object storage (AWS_STORAGE_BUCKET_NAME set) are not copied: the bucket's own versioning or
replication backs them up (README, "Reliability")."""

import json
import os
import shutil
import subprocess
import tarfile
import tempfile
from datetime import UTC, datetime
from pathlib import Path

from django.conf import settings
from django.core.files.storage import FileSystemStorage, storages
from django.db import connection

FORMAT = 1
MANIFEST = "manifest.json"
DUMP = "database.dump"
MEDIA = "media"


class BackupError(Exception):
    """Why a backup or a restore cannot be made, in words for the person running it."""


def _postgres_env() -> dict[str, str]:
    """libpq's environment for the default database, so no password is put on a command
    line where other users of the machine could read it."""
    if connection.vendor != "postgresql":
        raise BackupError(
            f"Backups are for PostgreSQL; this portal runs on {connection.display_name} "
            f"(DATABASE_URL). The embedded SQLite default is for development: copy its file "
            f"instead.")
    db = settings.DATABASES["default"]
    env = {**os.environ, "PGDATABASE": db["NAME"], "PGCONNECT_TIMEOUT": "10"}
    for key, name in (("HOST", "PGHOST"), ("PORT", "PGPORT"), ("USER", "PGUSER"),
                      ("PASSWORD", "PGPASSWORD")):
        if db.get(key):
            env[name] = str(db[key])
    if db.get("OPTIONS", {}).get("sslmode"):
        env["PGSSLMODE"] = db["OPTIONS"]["sslmode"]
    return env


def _tool(name: str) -> str:
    found = shutil.which(name)
    if not found:
        raise BackupError(f"{name} is not installed; it comes with PostgreSQL's client tools "
                          f"(Debian: apt-get install postgresql-client).")
    return found


def _run(command: list[str], env: dict[str, str]) -> None:
    done = subprocess.run(command, env=env, capture_output=True, text=True)
    if done.returncode:
        tool = Path(command[0]).name
        raise BackupError(f"{tool} failed: {done.stderr.strip() or done.stdout.strip()}")


def local_media_root() -> Path | None:
    """MEDIA_ROOT when uploads are on local disk; None when they are on object storage."""
    if all(isinstance(storages[alias], FileSystemStorage) for alias in ("default", "public")):
        return Path(settings.MEDIA_ROOT)
    return None


def backup(path: Path) -> dict:
    """Write the database and the uploads to a new tar file at `path`. The file appears only
    when it is complete. Returns the manifest."""
    path = Path(path)
    if path.exists():
        raise BackupError(f"{path} exists already: name a new file, so no backup is "
                          f"overwritten.")
    if not path.parent.is_dir():
        raise BackupError(f"There is no folder {path.parent} to write {path.name} in.")
    env = _postgres_env()
    pg_dump = _tool("pg_dump")
    media = local_media_root()
    manifest = {
        "format": FORMAT,
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "database": settings.DATABASES["default"]["NAME"],
        "media": "included" if media else "on object storage, not included",
    }
    partial = path.with_name(f".{path.name}.partial")
    try:
        with tempfile.TemporaryDirectory() as work:
            dump = Path(work) / DUMP
            _run([pg_dump, "--format=custom", "--no-password", f"--file={dump}"], env)
            (Path(work) / MANIFEST).write_text(json.dumps(manifest, indent=2))
            with tarfile.open(partial, "w") as archive:
                archive.add(Path(work) / MANIFEST, arcname=MANIFEST)
                archive.add(dump, arcname=DUMP)
                if media and media.is_dir():
                    archive.add(media, arcname=MEDIA)
        partial.rename(path)
    finally:
        partial.unlink(missing_ok=True)
    return manifest


def _tables() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'")
        return cursor.fetchone()[0]


def restore(path: Path) -> dict:
    """Load a backup into the (empty) default database, in one transaction, and write its
    uploads into MEDIA_ROOT. Returns the backup's manifest."""
    path = Path(path)
    if not path.is_file():
        raise BackupError(f"There is no backup file at {path}.")
    if not tarfile.is_tarfile(path):
        raise BackupError(f"{path} is not a backup made by `manage.py backup` (not a tar file).")
    env = _postgres_env()
    pg_restore = _tool("pg_restore")
    with tarfile.open(path) as archive:
        names = set(archive.getnames())
        if not {MANIFEST, DUMP} <= names:
            raise BackupError(f"{path} is not a backup made by `manage.py backup`: it holds "
                              f"no {MANIFEST} and {DUMP}.")
        manifest = json.load(archive.extractfile(MANIFEST))  # type: ignore[arg-type]
        if manifest.get("format") != FORMAT:
            raise BackupError(f"{path} is a backup of format {manifest.get('format')}; this "
                              f"portal reads format {FORMAT}.")
        if _tables():
            raise BackupError(
                f"The database {env['PGDATABASE']} is not empty. Restore into a new database "
                f"(createdb, then point DATABASE_URL at it), or drop and create this one "
                f"first: a restore never mixes a backup with other data.")
        connection.close()  # pg_restore works alone on the database
        with tempfile.TemporaryDirectory() as work:
            archive.extract(DUMP, work, filter="data")
            _run([pg_restore, "--no-password", "--no-owner", "--no-privileges",
                  "--exit-on-error", "--single-transaction", f"--dbname={env['PGDATABASE']}",
                  str(Path(work) / DUMP)], env)
        media = local_media_root()
        files = [m for m in archive.getmembers() if m.name.startswith(f"{MEDIA}/")]
        if files and media is None:
            raise BackupError("The database is restored. The backup's uploaded files were "
                              "not: uploads are on object storage here; restore them from "
                              "the bucket's own backup.")
        if files and media is not None:
            media.mkdir(parents=True, exist_ok=True)
            for member in files:
                member.name = member.name.removeprefix(f"{MEDIA}/")
                archive.extract(member, media, filter="data")
    return manifest
