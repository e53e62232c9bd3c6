"""The spreadsheets.get answer: properties, sheets, and grid data when asked for."""

from __future__ import annotations

from typing import Any

from sheets_emulator.fields import Mask, apply_mask
from sheets_emulator.model import Sheet, Spreadsheet
from sheets_emulator.valueops import Bounds, number_format, read_bounds, resolve
from sheets_emulator.values import Formula, render

DEFAULT_ROW_PIXELS = 21
DEFAULT_COLUMN_PIXELS = 100
_SHEET_FIELDS = ("merges", "conditionalFormats", "protectedRanges", "basicFilter", "bandedRanges", "developerMetadata")


def spreadsheet_url(spreadsheet_id: str) -> str:
    return f"https://docs.google.com/spreadsheets/d/{spreadsheet_id}/edit"


def spreadsheet_json(ss: Spreadsheet, *, ranges: list[str], include_grid: bool, mask: Mask | None) -> dict[str, Any]:
    if mask is not None:
        include_grid = _selects_grid(mask)
    answer: dict[str, Any] = {
        "spreadsheetId": ss.id,
        "properties": ss.props,
        "sheets": _sheets_json(ss, ranges, include_grid, _cell_mask(mask)),
        "spreadsheetUrl": spreadsheet_url(ss.id),
    }
    if ss.named_ranges:
        answer["namedRanges"] = [without_zero_sheet(n) for n in ss.named_ranges]
    if ss.developer_metadata:
        answer["developerMetadata"] = ss.developer_metadata
    return apply_mask(answer, mask) if mask is not None else answer


def _selects_grid(mask: Mask) -> bool:
    sheets = mask.get("sheets")
    return sheets is not None and (not sheets or "data" in sheets or "*" in sheets)


def _cell_mask(mask: Mask | None) -> Mask | None:
    """The part of a field mask that selects inside each cell (sheets.data.rowData.values.note → note)."""
    node: Any = mask
    for key in ("sheets", "data", "rowData", "values"):
        node = node.get(key) if node else None
    return node or None


def _sheets_json(ss: Spreadsheet, ranges: list[str], include_grid: bool, cell_mask: Mask | None) -> list[dict[str, Any]]:
    if not ranges:
        return [sheet_json(s, [_whole(s)] if include_grid else [], cell_mask) for s in ss.sheets]
    wanted: dict[int, list[Bounds]] = {}
    for text in ranges:
        sheet, a1 = resolve(ss, text)
        wanted.setdefault(sheet.sheet_id, []).append(read_bounds(sheet, a1))
    return [sheet_json(s, wanted[s.sheet_id] if include_grid else [], cell_mask) for s in ss.sheets if s.sheet_id in wanted]


def _whole(sheet: Sheet) -> Bounds:
    return 0, sheet.row_count, 0, sheet.column_count


def sheet_json(sheet: Sheet, grids: list[Bounds], cell_mask: Mask | None = None) -> dict[str, Any]:
    answer: dict[str, Any] = {"properties": sheet.props}
    if grids:
        answer["data"] = [grid_json(sheet, bounds, cell_mask) for bounds in grids]
    for name in _SHEET_FIELDS:
        if sheet.extra.get(name):
            answer[name] = without_zero_sheet(sheet.extra[name])
    return answer


def without_zero_sheet(value: Any) -> Any:
    """GridRanges on sheet 0 come back without sheetId: proto3 JSON leaves out zero values."""
    if isinstance(value, list):
        return [without_zero_sheet(v) for v in value]
    if not isinstance(value, dict):
        return value
    return {k: without_zero_sheet(v) for k, v in value.items() if not (k == "sheetId" and v == 0)}


# ---------------------------------------------------------------- grid data


def grid_json(sheet: Sheet, bounds: Bounds, cell_mask: Mask | None = None) -> dict[str, Any]:
    """GridData; cells are masked before trailing empty cells and rows are dropped, as the service does."""
    r0, r1, c0, c1 = bounds
    grid: dict[str, Any] = {}
    if r0:
        grid["startRow"] = r0
    if c0:
        grid["startColumn"] = c0
    row_data = [_row_json(sheet, r, c0, c1, cell_mask) for r in range(r0, min(r1, len(sheet.rows)))]
    while row_data and not row_data[-1]:
        row_data.pop()
    if row_data:
        grid["rowData"] = row_data
    grid["rowMetadata"] = _dimension_json(sheet, "rowMetadata", r0, r1, DEFAULT_ROW_PIXELS)
    grid["columnMetadata"] = _dimension_json(sheet, "columnMetadata", c0, c1, DEFAULT_COLUMN_PIXELS)
    return grid


def _row_json(sheet: Sheet, r: int, c0: int, c1: int, cell_mask: Mask | None) -> dict[str, Any]:
    row = sheet.rows[r]
    meta = sheet.meta[r] or {}
    last = max([len(row)] + [c + 1 for c in meta])
    cells = [cell_json(row[c] if c < len(row) else None, meta.get(c)) for c in range(c0, min(c1, last))]
    if cell_mask:
        cells = [apply_mask(cell, cell_mask) for cell in cells]
    while cells and not cells[-1]:
        cells.pop()
    return {"values": cells} if cells else {}


def cell_json(value: Any, meta: dict[str, Any] | None) -> dict[str, Any]:
    cell: dict[str, Any] = dict(meta or {})
    if value is None:
        return cell
    shown = value.value if isinstance(value, Formula) else value
    cell["userEnteredValue"] = _typed_value(value)
    if shown is not None and not isinstance(shown, Formula):
        cell["effectiveValue"] = _typed_value(shown)
    cell["formattedValue"] = render(value, number_format(meta), "FORMATTED_VALUE", "SERIAL_NUMBER")
    return cell


def _typed_value(value: Any) -> dict[str, Any]:
    if isinstance(value, Formula):
        return {"formulaValue": value.text}
    if isinstance(value, bool):
        return {"boolValue": value}
    if isinstance(value, (int, float)):
        return {"numberValue": value}
    return {"stringValue": str(value)}


def _dimension_json(sheet: Sheet, key: str, start: int, end: int, pixels: int) -> list[dict[str, Any]]:
    custom = sheet.extra.get(key, {})
    return [custom.get(i, {"pixelSize": pixels}) for i in range(start, end)]
