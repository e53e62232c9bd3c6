"""Finding rows by ID and columns by header at write time, so PM edits in between are harmless."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from typing import Any

from pmsheets.core.schema import CellValueError, ParseSettings, column_letter, is_blank, normalize, parse_text


def quote_range(title: str) -> str:
    """A tab name as an A1 range; always quoted, so names like 'A1' or 'My tab' stay names."""
    return "'" + title.replace("'", "''") + "'"


def blank_cell_writes(
    tab: str,
    rows: Sequence[Sequence[Any]],
    id_header: str,
    updates: Mapping[str, Mapping[str, str]],
    replaceable: Mapping[str, Collection[str]] | None = None,
) -> list[tuple[str, str]]:
    """(A1 cell, value) pairs for the updates whose target cell is blank in `rows` (read just now).

    `replaceable` names, per header, values that count as blank too (e.g. a status of
    'Not started'), matched like headers, so a PM's deliberate value is still never replaced.
    """
    placeholders = {normalize(name): {normalize(value) for value in values} for name, values in (replaceable or {}).items()}
    if not rows:
        return []
    header = {normalize(name): index for index, name in reversed(list(enumerate(rows[0]))) if not is_blank(name)}
    id_column = header.get(normalize(id_header))
    if id_column is None:
        return []
    writes: list[tuple[str, str]] = []
    seen: set[str] = set()
    for row_index, row in enumerate(rows[1:], start=2):
        row_id = _row_id(row, id_column)
        if row_id is None or row_id not in updates or row_id in seen:
            continue
        seen.add(row_id)  # a duplicated ID is ambiguous: only its first row is written
        for column_name, value in updates[row_id].items():
            column = header.get(normalize(column_name))
            if column is None:
                continue
            current = row[column] if column < len(row) else None
            if not is_blank(current) and normalize(current) not in placeholders.get(normalize(column_name), ()):
                continue
            writes.append((f"{quote_range(tab)}!{column_letter(column)}{row_index}", value))
    return writes


def _row_id(row: Sequence[Any], column: int) -> str | None:
    """The row's ID as the schema reads it (123.0 and '123' are the same ID)."""
    if column >= len(row) or is_blank(row[column]):
        return None
    try:
        return parse_text(row[column], ParseSettings())
    except CellValueError:
        return None
