"""The landscape download, built ahead: /projects/landscape.yml is the whole landscape (megabytes
at the foundation's scale, seconds to write), so a worker writes it to storage once per
version of the public pages (foundation.pagecache) and the view streams the stored file.

A change to what the file shows queues one build after commit (`schedule`); further changes
while that build is still queued add nothing, and a build for a version whose file exists does
nothing, so a burst of changes costs one or two builds. The file is named after the version it
was built at, read before its rows are: it holds at least every change of that version, and
the view serves only the current version's file, so a download is never older than the pages.
The gzipped copy is written first and the plain file last, each to a temporary name then
renamed, so a file that exists is whole.
"""

from __future__ import annotations

import gzip
import os
import shutil
import tempfile
from collections.abc import Iterable

from django.core.cache import cache
from django.core.files import File
from django.core.files.storage import default_storage
from django.db import transaction

from foundation import pagecache

from .landscape import yaml_chunks

DIRECTORY = "landscape"
# Set while a build is queued and not started: more changes meanwhile queue nothing more.
QUEUED_KEY = "landscape:build-queued"
# Longer than a build takes; a lost task or a dead worker only delays the next one this long.
TIMEOUT = 10 * 60
BLOCK = 64 * 1024  # copied a block at a time: memory that does not grow with the file


def name(version: str, gzipped: bool = False) -> str:
    return f"{DIRECTORY}/landscape-{version}.yml" + (".gz" if gzipped else "")


def open_current(version: str, gzipped: bool):
    """The stored file for `version` opened for reading (the gzipped copy if asked and there
    is one), with whether it is gzipped; None when it is not built yet."""
    for wanted in ((True, False) if gzipped else (False,)):
        try:
            return default_storage.open(name(version, wanted), "rb"), wanted
        except FileNotFoundError:
            continue
    return None


def queue() -> None:
    """Queue a build, after commit, unless one is queued already."""
    def send() -> None:
        if cache.add(QUEUED_KEY, 1, TIMEOUT):
            from .tasks import build_landscape_file

            try:
                build_landscape_file.delay()
            except Exception:
                cache.delete(QUEUED_KEY)  # the next change or download tries again
                raise

    # Robust: a broker that is down never fails the change or the download (it is logged).
    transaction.on_commit(send, robust=True)


def schedule(**kwargs) -> None:
    """Signal receiver: a change to what the file shows."""
    queue()


def build() -> bool:
    """Write the file for the current version unless it exists or is being written; True if
    written. Files of earlier versions are removed."""
    cache.delete(QUEUED_KEY)  # a change from now on queues a build of its own
    version = pagecache.version()
    plain = name(version)
    lock = f"landscape:building:{version}"
    if default_storage.exists(plain) or not cache.add(lock, 1, TIMEOUT):
        return False
    try:
        _write(plain, yaml_chunks())
        if pagecache.version() == version:  # not a newer build's file
            _prune(keep={plain, name(version, gzipped=True)})
    finally:
        cache.delete(lock)
    return True


def _write(plain: str, chunks: Iterable[str]) -> None:
    """The file and its gzipped copy, written together a chunk at a time into temporary
    files, then stored: the copy first, so the plain file's presence means both are whole."""
    with tempfile.TemporaryFile() as text, tempfile.TemporaryFile() as packed:
        with gzip.GzipFile(fileobj=packed, mode="wb", compresslevel=pagecache.GZIP_LEVEL,
                           mtime=0) as zipped:
            for chunk in chunks:
                data = chunk.encode()
                text.write(data)
                zipped.write(data)
        _store(plain + ".gz", packed)
        _store(plain, text)


def _store(stored: str, source) -> None:
    """On local disk, written beside its name and renamed over it (a reader sees all or
    nothing); object storage makes an object visible only once it is whole."""
    source.seek(0)
    try:
        path = default_storage.path(stored)
    except NotImplementedError:
        default_storage.delete(stored)
        default_storage.save(stored, File(source))
        return
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=os.path.dirname(path), prefix=".building-",
                                     delete=False) as target:
        shutil.copyfileobj(source, target, BLOCK)
    os.chmod(target.name, 0o644)
    os.replace(target.name, path)


def _prune(keep: set[str]) -> None:
    """Remove earlier versions' files. A download already reading one goes on reading it (on
    local disk); a request that finds one gone streams the live export instead."""
    _directories, files = default_storage.listdir(DIRECTORY)
    for file_name in files:
        stored = f"{DIRECTORY}/{file_name}"
        if stored not in keep and file_name.startswith("landscape-"):
            default_storage.delete(stored)
