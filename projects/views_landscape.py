"""/projects/landscape.yml: the landscape2 data file, generated from the records."""

from django.http import FileResponse, StreamingHttpResponse
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_safe

from foundation import pagecache

from . import landscape_build
from .landscape import yaml_chunks

CONTENT_TYPE = "application/yaml; charset=utf-8"


@require_safe
def landscape_yml(request):
    """The file built ahead for the current version of the public pages, streamed from
    storage (gzipped to a client that takes gzip); until it is built, the export streamed as
    it is read, a few items at a time, and a build queued. Either way a large landscape never
    sits whole in memory. A download named landscape.yml, as a landscape2 build expects it."""
    stored = landscape_build.open_current(
        pagecache.version(), gzipped=pagecache.accepts_gzip(
            request.headers.get("Accept-Encoding", "")))
    if stored is None:
        landscape_build.queue()
        response: StreamingHttpResponse = StreamingHttpResponse(
            (chunk.encode() for chunk in yaml_chunks()), content_type=CONTENT_TYPE)
    else:
        file, gzipped = stored
        response = FileResponse(file, content_type=CONTENT_TYPE)
        if gzipped:
            response["Content-Encoding"] = "gzip"
    response["Content-Disposition"] = 'inline; filename="landscape.yml"'
    response["Cache-Control"] = "no-cache"
    patch_vary_headers(response, ["Accept-Encoding"])
    return response
