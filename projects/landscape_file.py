"""Reading a landscape2 data file (`landscape:` → categories → subcategories → items) into
checked items, each with the line it starts on, so a bad file is refused with the line and
the reason before anything is written.

The foundation's file marks its hosted projects `project: foundation` in the category
"PyTorch Projects" (each with `second_path`, its place among the ecosystem's categories, and
`extra.accepted`, the day it joined), archived ones `project: archived` where they stand, and
lists the members under "PyTorch Members" by membership class.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any
from urllib.parse import urlsplit

import yaml

HOSTED_CATEGORY = "PyTorch Projects"
HOSTED_SUBCATEGORY = "Foundation"
MEMBERS_CATEGORY = "PyTorch Members"
MEMBER_SUFFIX = " (member)"
HOSTED, ARCHIVED = "foundation", "archived"
# landscape2's maturity values, and the foundation's two.
MATURITIES = {HOSTED, ARCHIVED, "graduated", "incubating", "sandbox"}


class LandscapeError(ValueError):
    """A file that cannot be imported; str() names the line and the reason."""

    def __init__(self, line: int, reason: str) -> None:
        super().__init__(f"line {line}: {reason}")
        self.line, self.reason = line, reason


@dataclass
class Item:
    line: int
    category: str
    subcategory: str
    name: str
    homepage_url: str = ""
    repo_url: str = ""
    logo: str = ""
    description: str = ""
    project: str = ""  # the maturity: "", foundation, archived...
    crunchbase: str = ""
    joined: date | None = None
    second_path: list[str] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def is_member(self) -> bool:
        return self.category == MEMBERS_CATEGORY

    @property
    def status(self) -> str:
        """hosted, archived or ecosystem, as the import records it."""
        if self.project == ARCHIVED:
            return "archived"
        if self.project == HOSTED or self.category == HOSTED_CATEGORY:
            return "hosted"
        return "ecosystem"

    @property
    def place(self) -> tuple[str, str]:
        """Its category and subcategory among the ecosystem's: a hosted project's first
        second_path ("Training / General"), else where it stands."""
        if self.category == HOSTED_CATEGORY and self.second_path:
            category, _, subcategory = self.second_path[0].partition("/")
            return category.strip(), subcategory.strip()
        return self.category, self.subcategory


def _line(node: yaml.Node) -> int:
    return node.start_mark.line + 1


def _mapping(node: yaml.Node, what: str) -> dict[str, yaml.Node]:
    if not isinstance(node, yaml.MappingNode):
        raise LandscapeError(_line(node), f"{what} should be a mapping of keys to values")
    return {key.value: value for key, value in node.value if isinstance(key, yaml.ScalarNode)}


def _sequence(node: yaml.Node | None, what: str, parent: yaml.Node) -> list[yaml.Node]:
    if node is None:
        raise LandscapeError(_line(parent), f"{what} is missing")
    if isinstance(node, yaml.ScalarNode) and node.tag.endswith(":null"):
        return []
    if not isinstance(node, yaml.SequenceNode):
        raise LandscapeError(_line(node), f"{what} should be a list")
    return list(node.value)


def _text(node: yaml.Node | None, key: str) -> str:
    if node is None or node.tag.endswith(":null"):
        return ""
    if not isinstance(node, yaml.ScalarNode):
        raise LandscapeError(_line(node), f"{key} should be text")
    return str(node.value).strip()


def _name(keys: dict[str, yaml.Node], node: yaml.Node, what: str) -> str:
    name = _text(keys.get("name"), "name")
    if not name:
        raise LandscapeError(_line(node), f"this {what} has no name")
    if len(name) > 200:
        raise LandscapeError(_line(keys["name"]), f"the {what} name is over 200 characters")
    return name


def _url(keys: dict[str, yaml.Node], key: str) -> str:
    value = _text(keys.get(key), key)
    if not value:
        return ""
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc or len(value) > 500:
        raise LandscapeError(_line(keys[key]),
                             f"{key} {value[:80]!r} is not an http(s) URL")
    return value


def _plain(node: yaml.Node) -> Any:
    """A node's value as plain data (lists, dicts, text): extra fields are kept as given."""
    if isinstance(node, yaml.MappingNode):
        return {k.value: _plain(v) for k, v in node.value}
    if isinstance(node, yaml.SequenceNode):
        return [_plain(v) for v in node.value]
    return yaml.safe_load(yaml.serialize(node))


def read(text: str | bytes) -> list[Item]:
    """Every item of the file, checked; raises LandscapeError at the first problem."""
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        raise LandscapeError(mark.line + 1 if mark else 1,
                             f"this is not valid YAML ({exc.problem or exc.context})") from exc
    except yaml.YAMLError as exc:
        raise LandscapeError(1, f"this is not valid YAML ({exc})") from exc
    if root is None:
        raise LandscapeError(1, "the file is empty")
    top = _mapping(root, "the file")
    items: list[Item] = []
    for category_node in _sequence(top.get("landscape"), "the landscape: list", root):
        category_keys = _mapping(category_node, "a category")
        category = _name(category_keys, category_node, "category")
        for sub_node in _sequence(category_keys.get("subcategories"),
                                  f"the subcategories of {category}", category_node):
            sub_keys = _mapping(sub_node, "a subcategory")
            subcategory = _name(sub_keys, sub_node, "subcategory")
            for item_node in _sequence(sub_keys.get("items"),
                                       f"the items of {subcategory}", sub_node):
                items.append(_item(item_node, category, subcategory))
    return items


def _item(node: yaml.Node, category: str, subcategory: str) -> Item:
    keys = _mapping(node, "an item")
    item = Item(line=_line(node), category=category, subcategory=subcategory,
                name=_name(keys, node, "item"),
                homepage_url=_url(keys, "homepage_url"), repo_url=_url(keys, "repo_url"),
                crunchbase=_url(keys, "crunchbase"), logo=_text(keys.get("logo"), "logo"),
                description=_text(keys.get("description"), "description"),
                project=_text(keys.get("project"), "project"))
    if item.project and item.project not in MATURITIES:
        raise LandscapeError(_line(keys["project"]),
                             f"project {item.project!r} is not one of "
                             f"{', '.join(sorted(MATURITIES))}")
    if "/" in item.logo or "\\" in item.logo or item.logo.startswith("."):
        raise LandscapeError(_line(keys["logo"]), "logo should be a file name in the logos "
                                                  "folder, not a path")
    if "second_path" in keys:
        second = _plain(keys["second_path"])
        item.second_path = [str(p) for p in second] if isinstance(second, list) else []
    if "extra" in keys:
        extra = _plain(keys["extra"])
        if not isinstance(extra, dict):
            raise LandscapeError(_line(keys["extra"]), "extra should be a mapping")
        item.extra = extra
        accepted = extra.get("accepted")
        if accepted not in (None, ""):
            try:
                item.joined = (accepted if isinstance(accepted, date)
                               else date.fromisoformat(str(accepted)))
            except ValueError as exc:
                raise LandscapeError(_line(keys["extra"]),
                                     f"extra.accepted {accepted!r} is not a date "
                                     "(YYYY-MM-DD)") from exc
    return item
