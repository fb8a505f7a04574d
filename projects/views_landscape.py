"""/projects/landscape.yml: the landscape2 data file, generated from the records."""

from django.http import StreamingHttpResponse
from django.views.decorators.http import require_safe

from .landscape import yaml_chunks


@require_safe
def landscape_yml(request):
    """Streamed as it is read, a few items at a time, so a large landscape never sits whole
    in memory; a download named landscape.yml, as a landscape2 build expects it."""
    response = StreamingHttpResponse(
        (chunk.encode() for chunk in yaml_chunks()),
        content_type="application/yaml; charset=utf-8")
    response["Content-Disposition"] = 'inline; filename="landscape.yml"'
    response["Cache-Control"] = "no-cache"
    return response
