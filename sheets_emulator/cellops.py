"""Cell-level edits behind batchUpdate: CellData with a field mask, dimensions, sorting, merges."""

from __future__ import annotations

from typing import Any

from sheets_emulator.fields import Mask, update_with_mask
from sheets_emulator.gridrange import after_delete, after_insert, shift_ranges
from sheets_emulator.model import RowMeta, Sheet, Spreadsheet
from sheets_emulator.valueops import Bounds
from sheets_emulator.values import Formula, evaluate

_READ_ONLY = ("effectiveValue", "formattedValue", "effectiveFormat")


class CellWriter:
    """Applies one CellData + mask to many cells, sharing the resulting metadata dicts."""

    def __init__(self, mask: Mask) -> None:
        self.mask = mask if "*" not in mask else {"userEnteredValue": {}, "userEnteredFormat": {}, "note": {}, "dataValidation": {}}
        self.meta_mask = _with_style_twins({k: v for k, v in self.mask.items() if k != "userEnteredValue" and k not in _READ_ONLY})
        self._cache: dict[tuple[int, int], dict[str, Any] | None] = {}

    def apply(self, sheet: Sheet, r: int, c: int, cell: dict[str, Any]) -> None:
        if "userEnteredValue" in self.mask:
            row = sheet.writable_row(r)
            if len(row) <= c:
                row.extend([None] * (c + 1 - len(row)))
            row[c] = value_from_json(cell.get("userEnteredValue"))
        if self.meta_mask:
            self._apply_meta(sheet, r, c, cell)

    def _apply_meta(self, sheet: Sheet, r: int, c: int, cell: dict[str, Any]) -> None:
        current = sheet.cell_meta(r, c)
        key = (id(current), id(cell))
        if key not in self._cache:
            merged = dict(current or {})
            update_with_mask(merged, _with_color_styles(cell), self.meta_mask)
            # An empty note or format is the proto default: the cell simply has none.
            merged = {k: v for k, v in merged.items() if v not in ("", {})}
            self._cache[key] = merged or None
        new = self._cache[key]
        if new is None and current is None:
            return
        meta = sheet.writable_meta(r)
        if new is None:
            meta.pop(c, None)
        else:
            meta[c] = new


def _with_style_twins(mask: Mask) -> Mask:
    """A mask naming a colour also covers the ...ColorStyle the service derives from it."""
    fmt = mask.get("userEnteredFormat")
    if not fmt:
        return mask
    fmt = dict(fmt)
    if "backgroundColor" in fmt:
        fmt.setdefault("backgroundColorStyle", {})
    text = fmt.get("textFormat")
    if text and "foregroundColor" in text:
        fmt["textFormat"] = {**text, "foregroundColorStyle": {}}
    return {**mask, "userEnteredFormat": fmt}


def value_from_json(value: dict[str, Any] | None) -> Any:
    if not value:
        return None
    if "formulaValue" in value:
        return Formula(value["formulaValue"], evaluate(value["formulaValue"]))
    for key in ("numberValue", "boolValue"):
        if key in value:
            return value[key]
    return value.get("stringValue") or None


def _with_color_styles(cell: dict[str, Any]) -> dict[str, Any]:
    """The service mirrors each colour into its ...ColorStyle twin; do the same."""
    fmt = cell.get("userEnteredFormat")
    if not isinstance(fmt, dict):
        return cell
    fmt = dict(fmt)
    if "backgroundColor" in fmt and "backgroundColorStyle" not in fmt:
        fmt["backgroundColorStyle"] = {"rgbColor": fmt["backgroundColor"]}
    text = fmt.get("textFormat")
    if isinstance(text, dict) and "foregroundColor" in text and "foregroundColorStyle" not in text:
        fmt["textFormat"] = {**text, "foregroundColorStyle": {"rgbColor": text["foregroundColor"]}}
    return {**cell, "userEnteredFormat": fmt}


def repeat_cell(sheet: Sheet, bounds: Bounds, cell: dict[str, Any], mask: Mask) -> None:
    writer = CellWriter(mask)
    r0, r1, c0, c1 = bounds
    for r in range(r0, r1):
        for c in range(c0, c1):
            writer.apply(sheet, r, c, cell)
    sheet.trim(range(r0, r1))


def update_cells(sheet: Sheet, origin: tuple[int, int], rows: list[dict[str, Any]], mask: Mask, bounds: Bounds | None) -> None:
    """Write `rows` of CellData from `origin`; with a range, cells the rows leave out are cleared."""
    writer = CellWriter(mask)
    r0, c0 = origin
    height = len(rows) if bounds is None else bounds[1] - r0
    if "userEnteredValue" in writer.mask and not writer.meta_mask:
        _update_values(sheet, r0, c0, rows, height, None if bounds is None else bounds[3] - c0)
        sheet.trim(range(r0, r0 + height))
        return
    for i in range(height):
        cells = rows[i].get("values", []) if i < len(rows) else []
        width = len(cells) if bounds is None else bounds[3] - c0
        for j in range(width):
            writer.apply(sheet, r0 + i, c0 + j, cells[j] if j < len(cells) else {})
    sheet.trim(range(r0, r0 + height))


def _update_values(sheet: Sheet, r0: int, c0: int, rows: list[dict[str, Any]], height: int, width: int | None) -> None:
    """update_cells for a mask of values only, a row at a time (what CellWriter.apply does per cell):
    a Findings tab of 700,000 rows is one such request, and clearing its old rows another."""
    for i in range(height):
        cells = rows[i].get("values", []) if i < len(rows) else []
        count = len(cells) if width is None else width
        values = [value_from_json(cell.get("userEnteredValue")) for cell in cells[:count]]
        values.extend([None] * (count - len(values)))
        r = r0 + i
        if values.count(None) == count:  # a clear
            if r >= len(sheet.rows) or len(sheet.rows[r]) <= c0:
                continue  # nothing to clear
            if c0 == 0 and count >= len(sheet.rows[r]):
                sheet.rows[r] = []  # the whole row: a new empty one, the shared old one stays as it was
                continue
        row = sheet.writable_row(r)
        if len(row) < c0 + count:
            row.extend([None] * (c0 + count - len(row)))
        row[c0 : c0 + count] = values


def set_validation(sheet: Sheet, bounds: Bounds, rule: dict[str, Any] | None) -> None:
    cell = {"dataValidation": rule} if rule else {}
    repeat_cell(sheet, bounds, cell, {"dataValidation": {}})


# ---------------------------------------------------------------- dimensions


def insert_dimension(ss: Spreadsheet, sheet: Sheet, dimension: str, start: int, end: int, inherit_before: bool) -> None:
    count = end - start
    if dimension == "ROWS":
        _insert_rows(sheet, start, count, inherit_before)
        sheet.grid["rowCount"] = sheet.row_count + count
    else:
        _insert_columns(sheet, start, count, inherit_before)
        sheet.grid["columnCount"] = sheet.column_count + count
    _move_ranges(ss, sheet, dimension, after_insert(start, count), _meta_key(dimension), lambda i: i + count if i >= start else i)
    ss.check_cell_limit()


def _insert_rows(sheet: Sheet, at: int, count: int, inherit_before: bool) -> None:
    if at >= len(sheet.rows):
        return
    source = at - 1 if inherit_before else at
    template = sheet.meta[source] if 0 <= source < len(sheet.meta) else None
    new_rows: list[list[Any]] = [[] for _ in range(count)]
    new_meta: list[RowMeta | None] = [dict(template) if template else None for _ in range(count)]
    sheet.rows[at:at] = new_rows
    sheet.meta[at:at] = new_meta
    sheet.own_new_rows(new_rows, new_meta)


def _insert_columns(sheet: Sheet, at: int, count: int, inherit_before: bool) -> None:
    for r in range(len(sheet.rows)):
        if len(sheet.rows[r]) > at:
            sheet.writable_row(r)[at:at] = [None] * count
        meta = sheet.meta[r]
        if meta and max(meta) >= at - 1:
            source = meta.get(at - 1 if inherit_before else at)
            shifted = {c + count if c >= at else c: m for c, m in meta.items()}
            shifted.update(dict.fromkeys(range(at, at + count), source) if source else {})
            sheet.meta[r] = None
            sheet.writable_meta(r).update(shifted)


def delete_dimension(ss: Spreadsheet, sheet: Sheet, dimension: str, start: int, end: int) -> None:
    if dimension == "ROWS":
        del sheet.rows[start:end]
        del sheet.meta[start:end]
        sheet.grid["rowCount"] = sheet.row_count - (end - start)
    else:
        _delete_columns(sheet, start, end)
        sheet.grid["columnCount"] = sheet.column_count - (end - start)
    mover = after_delete(start, end)
    _move_ranges(ss, sheet, dimension, mover, _meta_key(dimension), lambda i: None if start <= i < end else mover(i, False))
    sheet.trim(range(0))


def _delete_columns(sheet: Sheet, start: int, end: int) -> None:
    for r in range(len(sheet.rows)):
        if len(sheet.rows[r]) > start:
            del sheet.writable_row(r)[start:end]
        meta = sheet.meta[r]
        if meta and max(meta) >= start:
            kept = {(c - (end - start) if c >= end else c): m for c, m in meta.items() if not start <= c < end}
            sheet.meta[r] = None
            if kept:
                sheet.writable_meta(r).update(kept)
    sheet.trim(range(len(sheet.rows)))


def _meta_key(dimension: str) -> str:
    return "rowMetadata" if dimension == "ROWS" else "columnMetadata"


def _move_ranges(ss: Spreadsheet, sheet: Sheet, dimension: str, mover: Any, meta_key: str, index_mover: Any) -> None:
    shift_ranges(sheet.extra, sheet.sheet_id, dimension, mover)
    shift_ranges(ss.named_ranges, sheet.sheet_id, dimension, mover)
    sheet.extra["merges"] = [m for m in sheet.extra.get("merges", []) if _non_empty(m)]
    custom = sheet.extra.get(meta_key)
    if custom:
        moved = {index_mover(i): props for i, props in custom.items()}
        sheet.extra[meta_key] = {i: p for i, p in moved.items() if i is not None}


def _non_empty(rng: dict[str, Any]) -> bool:
    rows = rng.get("endRowIndex", 1) - rng.get("startRowIndex", 0)
    cols = rng.get("endColumnIndex", 1) - rng.get("startColumnIndex", 0)
    return bool(rows > 0 and cols > 0)


def update_dimension_properties(sheet: Sheet, dimension: str, start: int, end: int, props: dict[str, Any], mask: Mask) -> None:
    key = _meta_key(dimension)
    default = {"pixelSize": 21 if dimension == "ROWS" else 100}
    custom = sheet.extra.setdefault(key, {})
    for i in range(start, end):
        current = dict(custom.get(i, default))
        update_with_mask(current, props, mask)
        custom[i] = current


# ---------------------------------------------------------------- sort and merge


def sort_range(sheet: Sheet, bounds: Bounds, specs: list[dict[str, Any]]) -> None:
    r0, r1, c0, c1 = bounds
    r1 = min(r1, len(sheet.rows))
    if r1 - r0 < 2:
        return
    segments = [_segment(sheet, r, c0, c1) for r in range(r0, r1)]
    for spec in reversed(specs):
        column = int(spec.get("dimensionIndex", 0)) - c0
        descending = spec.get("sortOrder") == "DESCENDING"
        segments.sort(key=lambda seg: _sort_key(seg[0][column] if column < len(seg[0]) else None, descending), reverse=descending)
    for offset, (values, metas) in enumerate(segments):
        _put_segment(sheet, r0 + offset, c0, c1, values, metas)
    sheet.trim(range(r0, r1))


def _segment(sheet: Sheet, r: int, c0: int, c1: int) -> tuple[list[Any], dict[int, Any]]:
    values = sheet.rows[r][c0:c1]
    meta = sheet.meta[r] or {}
    return values, {c - c0: m for c, m in meta.items() if c0 <= c < c1}


def _put_segment(sheet: Sheet, r: int, c0: int, c1: int, values: list[Any], metas: dict[int, Any]) -> None:
    row = sheet.writable_row(r)
    if len(row) < c1:
        row.extend([None] * (c1 - len(row)))
    row[c0:c1] = values + [None] * (c1 - c0 - len(values))
    meta = {c: m for c, m in (sheet.meta[r] or {}).items() if not c0 <= c < c1}
    meta.update({c + c0: m for c, m in metas.items()})
    sheet.meta[r] = None
    if meta:
        sheet.writable_meta(r).update(meta)


def _sort_key(value: Any, descending: bool) -> tuple[Any, ...]:
    """Blanks sort last in either order; numbers before text before booleans, as in Sheets."""
    if isinstance(value, Formula):
        value = value.value
    if value is None:
        return (0 if descending else 1, 0, 0)
    blank_rank = 1 if descending else 0
    if isinstance(value, bool):
        return (blank_rank, 2, value)
    if isinstance(value, (int, float)):
        return (blank_rank, 0, value)
    return (blank_rank, 1, str(value).lower())


def merge_cells(sheet: Sheet, bounds: Bounds, merge_type: str) -> None:
    r0, r1, c0, c1 = bounds
    if merge_type == "MERGE_ROWS":
        pieces = [(r, r + 1, c0, c1) for r in range(r0, r1)]
    elif merge_type == "MERGE_COLUMNS":
        pieces = [(r0, r1, c, c + 1) for c in range(c0, c1)]
    else:
        pieces = [bounds]
    merges = [m for m in sheet.extra.get("merges", []) if not _overlaps(m, bounds)]
    for piece in pieces:
        merges.append(_grid_range(sheet.sheet_id, piece))
        _keep_top_left(sheet, piece)
    sheet.extra["merges"] = merges


def unmerge_cells(sheet: Sheet, bounds: Bounds) -> None:
    sheet.extra["merges"] = [m for m in sheet.extra.get("merges", []) if not _overlaps(m, bounds)]


def _keep_top_left(sheet: Sheet, piece: Bounds) -> None:
    """Merging keeps only the top-left value, as the Sheets UI warns."""
    r0, r1, c0, c1 = piece
    for r in range(r0, min(r1, len(sheet.rows))):
        if len(sheet.rows[r]) <= c0:
            continue
        row = sheet.writable_row(r)
        for c in range(c0, min(c1, len(row))):
            if (r, c) != (r0, c0):
                row[c] = None
    sheet.trim(range(r0, r1))


def _overlaps(rng: dict[str, Any], bounds: Bounds) -> bool:
    r0, r1, c0, c1 = bounds
    return bool(
        rng.get("startRowIndex", 0) < r1
        and r0 < rng.get("endRowIndex", 0)
        and rng.get("startColumnIndex", 0) < c1
        and c0 < rng.get("endColumnIndex", 0)
    )


def _grid_range(sheet_id: int, bounds: Bounds) -> dict[str, Any]:
    r0, r1, c0, c1 = bounds
    return {"sheetId": sheet_id, "startRowIndex": r0, "endRowIndex": r1, "startColumnIndex": c0, "endColumnIndex": c1}
