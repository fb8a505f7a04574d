"""Checking a whole submission before writing any of it."""

from django.core.exceptions import ValidationError


class Errors:
    """Messages gathered per field and raised together as one ValidationError, so a page
    shows each beside its field and nothing is written. A formset row's keys are
    "<prefix>-<index>-<field>", the names of its fields."""

    def __init__(self) -> None:
        self.found: dict[str, list[str]] = {}

    def add(self, key: str, message: str) -> None:
        self.found.setdefault(key, []).append(message)

    def raise_any(self) -> None:
        if self.found:
            raise ValidationError(self.found)
