"""Status machines: each model keeps an ALLOWED_TRANSITIONS map next to it."""

from collections.abc import Collection, Mapping
from typing import Any


class DomainError(Exception):
    """A rule of the domain was broken; views and admin show the message to the person."""


def ensure_transition(current: str, new: str, allowed: Mapping[Any, Collection[str]]) -> None:
    if new not in allowed.get(current, set()):
        raise DomainError(f"Cannot go from “{current}” to “{new}”.")
