"""Serve uploaded files (logos) so that nothing in them can run in our origin.

Uploads are checked by `foundation.uploads` before they are stored; this view is the second
line of defence. Each response carries a sandboxing Content-Security-Policy (no script, no
loads except inline data images and styles) and nosniff, so even a file that slipped through
is shown as an inert picture and never interpreted as HTML.
"""

from __future__ import annotations

import mimetypes
import posixpath

from django.core.exceptions import SuspiciousFileOperation
from django.core.files.storage import default_storage
from django.http import FileResponse, Http404, HttpRequest
from django.views.decorators.http import require_safe

CONTENT_SECURITY_POLICY = "default-src 'none'; img-src data:; style-src 'unsafe-inline'; sandbox"

# mimetypes reads the system's tables, which may lack these.
_CONTENT_TYPES = {
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".gif": "image/gif",
    ".webp": "image/webp",
}


@require_safe
def serve(request: HttpRequest, path: str) -> FileResponse:
    """Stream the stored file at `path` with headers that keep it inert; 404 if absent."""
    if not _is_safe_path(path):
        raise Http404("No such file.")
    try:
        if not default_storage.exists(path):
            raise Http404("No such file.")
        stored = default_storage.open(path, "rb")
    except (SuspiciousFileOperation, FileNotFoundError) as exc:
        raise Http404("No such file.") from exc
    response = FileResponse(stored, content_type=content_type_for(path))
    response["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
    response["X-Content-Type-Options"] = "nosniff"
    response["Cross-Origin-Resource-Policy"] = "same-origin"
    return response


def content_type_for(path: str) -> str:
    """The content type for a stored name, from its extension (never from its bytes)."""
    extension = posixpath.splitext(path)[1].lower()
    if extension in _CONTENT_TYPES:
        return _CONTENT_TYPES[extension]
    guessed, _ = mimetypes.guess_type(path, strict=True)
    return guessed or "application/octet-stream"


def _is_safe_path(path: str) -> bool:
    """A relative path inside the storage: no "..", no absolute paths, no backslashes."""
    if not path or "\x00" in path or "\\" in path or path.startswith("/"):
        return False
    return ".." not in path.split("/")
