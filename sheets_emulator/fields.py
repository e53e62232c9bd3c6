"""Field masks (`fields=` and batchUpdate `fields`), as the API reads them.

`properties.timeZone,sheets.properties`, `sheets/data/rowData/values/note` and
`files(id,name)` all parse to the same tree: {"sheets": {"properties": {}}} where an
empty dict means "this field and everything under it".
"""

from __future__ import annotations

from typing import Any

from sheets_emulator.errors import ApiError

Mask = dict[str, "Mask"]


def parse_mask(text: str) -> Mask:
    mask: Mask = {}
    for path, sub in _split_top(text.replace(" ", "")):
        node = mask
        parts = path.replace("/", ".").split(".")
        for part in parts[:-1]:
            node = _descend(node, part)
        leaf = parts[-1]
        if sub is None:
            node[leaf] = {}
        else:
            child = _descend(node, leaf)
            _merge(child, parse_mask(sub))
    return mask


def _descend(node: Mask, key: str) -> Mask:
    if key in node and not node[key]:
        return {}  # already selects everything under it; deeper paths add nothing
    return node.setdefault(key, {})


def _merge(into: Mask, other: Mask) -> None:
    for key, sub in other.items():
        if key in into and into[key] and sub:
            _merge(into[key], sub)
        else:
            into[key] = {} if (key in into and not into[key]) or not sub else sub


def _split_top(text: str) -> list[tuple[str, str | None]]:
    """'a.b,c(d,e)' → [('a.b', None), ('c', 'd,e')]."""
    items: list[tuple[str, str | None]] = []
    depth, start, paren = 0, 0, -1
    for i, ch in enumerate(text + ","):
        if ch == "(":
            depth += 1
            if depth == 1:
                paren = i
        elif ch == ")":
            depth -= 1
        elif ch == "," and depth == 0:
            items.append(_item(text[start:i], paren - start if paren >= start else -1))
            start = i + 1
    if depth:
        msg = f"Invalid field selection {text}"
        raise ApiError.invalid(msg)
    return [item for item in items if item[0]]


def _item(chunk: str, paren: int) -> tuple[str, str | None]:
    if paren < 0:
        return chunk, None
    return chunk[:paren], chunk[paren + 1 : -1]


def apply_mask(value: Any, mask: Mask) -> Any:
    """Keep only the masked fields of a JSON answer; lists are looked through."""
    if not mask:
        return value
    if isinstance(value, list):
        return [apply_mask(item, mask) for item in value]
    if not isinstance(value, dict):
        return value
    if "*" in mask:
        return value
    return {key: apply_mask(value[key], sub) for key, sub in mask.items() if key in value}


def mask_paths(mask: Mask, prefix: str = "") -> list[str]:
    """{"a": {"b": {}}, "c": {}} → ["a.b", "c"]."""
    paths: list[str] = []
    for key, sub in mask.items():
        path = f"{prefix}{key}"
        paths.extend(mask_paths(sub, path + ".") if sub else [path])
    return paths


def update_with_mask(target: dict[str, Any], source: dict[str, Any], mask: Mask) -> None:
    """Copy the masked fields from source into target; a masked field absent in source is cleared."""
    if "*" in mask:
        mask = {key: {} for key in set(source) | set(target)}
    for key, sub in mask.items():
        if sub and isinstance(source.get(key, {}), dict):
            child = target.get(key)
            child = dict(child) if isinstance(child, dict) else {}
            update_with_mask(child, source.get(key, {}), sub)
            _set_or_drop(target, key, child or None)
        else:
            _set_or_drop(target, key, source.get(key))


def _set_or_drop(target: dict[str, Any], key: str, value: Any) -> None:
    if value is None:
        target.pop(key, None)
    else:
        target[key] = value
