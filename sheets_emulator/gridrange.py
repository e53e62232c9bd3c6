"""GridRange and DimensionRange helpers shared by the batchUpdate requests."""

from __future__ import annotations

from typing import Any

from sheets_emulator.errors import ApiError
from sheets_emulator.model import Sheet, Spreadsheet
from sheets_emulator.valueops import Bounds


class RequestError(ApiError):
    """A problem with one batchUpdate request; the dispatcher prefixes where it happened."""

    def __init__(self, message: str) -> None:
        super().__init__(400, message)


def grid_bounds(ss: Spreadsheet, rng: dict[str, Any]) -> tuple[Sheet, Bounds]:
    sheet = sheet_of(ss, rng)
    r0 = int(rng.get("startRowIndex", 0))
    r1 = int(rng.get("endRowIndex", sheet.row_count))
    c0 = int(rng.get("startColumnIndex", 0))
    c1 = int(rng.get("endColumnIndex", sheet.column_count))
    if not 0 <= r0 <= r1 or not 0 <= c0 <= c1:
        msg = f"Invalid range: start index must be before end index ({rng})"
        raise RequestError(msg)
    if r1 > sheet.row_count:
        msg = f"GridCoordinate.rowIndex[{r1 - 1}] is after last row in grid[{sheet.row_count - 1}]"
        raise RequestError(msg)
    if c1 > sheet.column_count:
        msg = f"GridCoordinate.columnIndex[{c1 - 1}] is after last column in grid[{sheet.column_count - 1}]"
        raise RequestError(msg)
    return sheet, (r0, r1, c0, c1)


def sheet_of(ss: Spreadsheet, holder: dict[str, Any]) -> Sheet:
    sheet_id = int(holder.get("sheetId", 0))
    for sheet in ss.sheets:
        if sheet.sheet_id == sheet_id:
            return sheet
    msg = f"No grid with id: {sheet_id}"
    raise RequestError(msg)


def dimension_bounds(ss: Spreadsheet, rng: dict[str, Any]) -> tuple[Sheet, str, int, int]:
    sheet = sheet_of(ss, rng)
    dimension = rng.get("dimension")
    if dimension not in ("ROWS", "COLUMNS"):
        msg = "range.dimension must be ROWS or COLUMNS"
        raise RequestError(msg)
    size = sheet.row_count if dimension == "ROWS" else sheet.column_count
    start, end = int(rng.get("startIndex", 0)), int(rng.get("endIndex", size))
    if not 0 <= start < end:
        msg = f"Invalid dimension range: [{start}, {end})"
        raise RequestError(msg)
    return sheet, dimension, start, end


_KEYS = {"ROWS": ("startRowIndex", "endRowIndex"), "COLUMNS": ("startColumnIndex", "endColumnIndex")}


def shift_ranges(value: Any, sheet_id: int, dimension: str, mover: Any) -> None:
    """Move every GridRange of `sheet_id` inside `value` (protected ranges, merges, ...) by `mover(index)`."""
    if isinstance(value, list):
        for item in value:
            shift_ranges(item, sheet_id, dimension, mover)
        return
    if not isinstance(value, dict):
        return
    start_key, end_key = _KEYS[dimension]
    if (start_key in value or end_key in value) and int(value.get("sheetId", 0)) == sheet_id:
        for key, is_end in ((start_key, False), (end_key, True)):
            if key in value:
                value[key] = mover(int(value[key]), is_end)
    for item in value.values():
        if isinstance(item, (dict, list)):
            shift_ranges(item, sheet_id, dimension, mover)


def after_insert(at: int, count: int) -> Any:
    """Index mover for `count` new rows/columns at `at`: a range ending at `at` does not grow."""
    return lambda i, is_end: i + count if (i > at if is_end else i >= at) else i


def after_delete(start: int, end: int) -> Any:
    return lambda i, _is_end: i if i <= start else start if i <= end else i - (end - start)
