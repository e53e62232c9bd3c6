"""A1 notation: parsing ranges the way the Sheets API reads them, and writing them back the way it answers."""

from __future__ import annotations

import re
from dataclasses import dataclass

from pmsheets.core.schema import column_index, column_letter
from sheets_emulator.errors import ApiError

_CELL = re.compile(r"^([A-Za-z]*)(\d*)$")
_PLAIN_TITLE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
# Titles that would read as a cell or an R1C1 reference must be quoted, like the service does ('D3'!A1).
_LOOKS_LIKE_REF = re.compile(r"^([A-Za-z]{1,3}\d+|[Rr]\d*[Cc]\d*)$")


@dataclass(frozen=True)
class A1Range:
    """A parsed range; `None` bounds are open ("A:A", "Sheet1") and close at the grid edge."""

    title: str | None
    row0: int | None = None
    row1: int | None = None
    col0: int | None = None
    col1: int | None = None


def quote_title(title: str) -> str:
    if _PLAIN_TITLE.match(title) and not _LOOKS_LIKE_REF.match(title):
        return title
    return "'" + title.replace("'", "''") + "'"


def format_range(title: str, row0: int, row1: int, col0: int, col1: int) -> str:
    """Half-open indices → `'Tab'!A1:C3`, or `Tab!B1` for one cell, as the service answers."""
    start = f"{column_letter(col0)}{row0 + 1}"
    end = f"{column_letter(col1 - 1)}{row1}"
    cells = start if start == end else f"{start}:{end}"
    return f"{quote_title(title)}!{cells}"


def split_title(text: str) -> tuple[str | None, str]:
    """`'It''s'!A1` → ("It's", "A1"); `Sheet1` → ("Sheet1", ""); `A1:B2` → (None, "A1:B2")."""
    if text.startswith("'"):
        end = _closing_quote(text)
        title = text[1:end].replace("''", "'")
        rest = text[end + 1 :]
        if rest and not rest.startswith("!"):
            raise _unparsable(text)
        return title, rest[1:]
    if "!" in text:
        title, _, cells = text.rpartition("!")
        return title, cells
    return None, text


def _closing_quote(text: str) -> int:
    i = 1
    while i < len(text):
        if text[i] == "'":
            if text[i + 1 : i + 2] == "'":
                i += 2
                continue
            return i
        i += 1
    raise _unparsable(text)


def parse_cells(text: str, cells: str, title: str | None) -> A1Range:
    if not cells:
        return A1Range(title)
    first, _, second = cells.partition(":")
    c0, r0 = _parse_corner(text, first)
    if not second:
        if c0 is None or r0 is None:
            raise _unparsable(text)
        return A1Range(title, r0, r0 + 1, c0, c0 + 1)
    c1, r1 = _parse_corner(text, second)
    return _normalised(title, (r0, r1), (c0, c1))


def _normalised(title: str | None, rows: tuple[int | None, int | None], cols: tuple[int | None, int | None]) -> A1Range:
    r0, r1 = rows
    c0, c1 = cols
    if r0 is not None and r1 is not None and r1 < r0:
        r0, r1 = r1, r0
    if c0 is not None and c1 is not None and c1 < c0:
        c0, c1 = c1, c0
    return A1Range(
        title,
        r0 if r0 is not None else 0,
        None if r1 is None else r1 + 1,
        c0 if c0 is not None else 0,
        None if c1 is None else c1 + 1,
    )


def _parse_corner(text: str, corner: str) -> tuple[int | None, int | None]:
    match = _CELL.match(corner.replace("$", ""))
    if not match or not (match.group(1) or match.group(2)):
        raise _unparsable(text)
    letters, digits = match.groups()
    if digits and int(digits) == 0:
        raise _unparsable(text)
    col = column_index(letters) if letters else None
    row = int(digits) - 1 if digits else None
    return col, row


def _unparsable(text: str) -> ApiError:
    return ApiError.invalid(f"Unable to parse range: {text}")
