"""Demo projects: the foundation's real landscape (its six hosted projects, the ecosystem
projects, the archived ones) loaded from data/ through the same import a foundation uses."""

from pathlib import Path
from typing import Any

from django.conf import settings

from .landscape_import import import_landscape

LANDSCAPE_DIR = Path(settings.BASE_DIR) / "data" / "pytorch-landscape"


def seed(users: dict[str, Any]) -> None:
    """Safe to run again: the import is an upsert, and a second run changes nothing."""
    import_landscape((LANDSCAPE_DIR / "landscape.yml").read_bytes(),
                     LANDSCAPE_DIR / "hosted_logos")
