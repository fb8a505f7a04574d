"""SPDX licence identifiers, from the list vendored in data/spdx/ (its source is noted there).
An application's licence is one identifier, or an expression of them with AND and OR."""

import re
from functools import cache
from pathlib import Path

from django.conf import settings

LIST = Path(settings.BASE_DIR) / "data" / "spdx" / "licenses.tsv"
_OPERATOR = re.compile(r"\s+(AND|OR)\s+")


@cache
def _identifiers() -> tuple[dict[str, str], set[str]]:
    """Current identifiers by lower-cased id, and the deprecated ones (lower-cased)."""
    current: dict[str, str] = {}
    deprecated: set[str] = set()
    lines = LIST.read_text(encoding="utf-8").splitlines()[1:]
    for line in lines:
        ident, _name, old = line.split("\t")
        if old == "yes":
            deprecated.add(ident.lower())
        else:
            current[ident.lower()] = ident
    return current, deprecated


def canonical_license(text: str) -> str:
    """The licence as SPDX spells it ("apache-2.0" is "Apache-2.0"); ValueError with the
    message for the person when a part is not a current SPDX identifier."""
    current, deprecated = _identifiers()
    parts = _OPERATOR.split(text.strip())
    spelled = []
    for i, part in enumerate(parts):
        if i % 2:  # an operator
            spelled.append(part)
            continue
        ident = part.strip().removesuffix("+")
        if ident.lower() in current:
            spelled.append(current[ident.lower()] + ("+" if part.strip().endswith("+") else ""))
        elif ident.lower() in deprecated:
            raise ValueError(f"“{ident}” is a deprecated SPDX identifier: give its current "
                             "one, such as GPL-2.0-only or GPL-2.0-or-later.")
        else:
            raise ValueError(f"“{part.strip() or text.strip()}” is not an SPDX licence "
                             "identifier: give one from spdx.org/licenses, such as "
                             "Apache-2.0, MIT or BSD-3-Clause.")
    return " ".join(spelled)
