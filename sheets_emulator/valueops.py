"""The spreadsheets.values operations on one spreadsheet: read, write, append, clear."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pmsheets.core.schema import column_letter
from pmsheets.gc_pause import paused_gc  # bulk row copies: the collector would rescan every stored row
from sheets_emulator.a1 import A1Range, format_range, parse_cells, split_title
from sheets_emulator.errors import ApiError
from sheets_emulator.model import RowMeta, Sheet, Spreadsheet
from sheets_emulator.values import SKIP, parse_raw, parse_user_entered, render

Bounds = tuple[int, int, int, int]


def resolve(ss: Spreadsheet, text: str) -> tuple[Sheet, A1Range]:
    """A range string → its sheet and parsed cells; a bare title means the whole sheet."""
    title, cells = split_title(text.strip())
    named = _named_range(ss, cells)
    if named is not None:
        return named
    if title is None:
        sheet = ss.sheet_by_title(cells)
        if sheet is not None:
            return sheet, A1Range(sheet.title)
        return ss.first_sheet(), parse_cells(text, cells, None)
    sheet = ss.sheet_by_title(title)
    if sheet is None:
        msg = f"Unable to parse range: {text}"
        raise ApiError.invalid(msg)
    return sheet, parse_cells(text, cells, title)


def _named_range(ss: Spreadsheet, name: str) -> tuple[Sheet, A1Range] | None:
    """A defined name stands for its range, even behind a sheet prefix ('Sheet1'!MyRange)."""
    for named in ss.named_ranges:
        if named["name"] == name:
            grid = named.get("range", {})
            sheet = ss.sheet_by_id(int(grid.get("sheetId", 0)))
            rows = (grid.get("startRowIndex"), grid.get("endRowIndex"))
            cols = (grid.get("startColumnIndex"), grid.get("endColumnIndex"))
            return sheet, A1Range(sheet.title, rows[0] or 0, rows[1], cols[0] or 0, cols[1])
    return None


def read_bounds(sheet: Sheet, a1: A1Range) -> Bounds:
    """Open ends close at the grid edge; reads past the edge are cut to it."""
    rows, cols = sheet.row_count, sheet.column_count
    r0, c0 = a1.row0 or 0, a1.col0 or 0
    if r0 >= rows or c0 >= cols:
        raise grid_error(sheet, (r0, r0 + 1, c0, c0 + 1))
    r1 = rows if a1.row1 is None else min(a1.row1, rows)
    c1 = cols if a1.col1 is None else min(a1.col1, cols)
    return r0, r1, c0, c1


def grid_error(sheet: Sheet, bounds: Bounds) -> ApiError:
    r0, r1, c0, c1 = bounds
    cells = format_range(sheet.title, r0, r1, c0, c1).rpartition("!")[2]
    return ApiError.invalid(
        f"Range ('{sheet.title}'!{cells}) exceeds grid limits. Max rows: {sheet.row_count}, max columns: {sheet.column_count}"
    )


def range_text(sheet: Sheet, bounds: Bounds) -> str:
    return format_range(sheet.title, *bounds)


# ---------------------------------------------------------------- read


def read(sheet: Sheet, bounds: Bounds, *, option: str, date_option: str, major: str) -> list[list[Any]]:
    r0, r1, c0, c1 = bounds
    out: list[list[Any]] = []
    with paused_gc():
        for r in range(r0, min(r1, len(sheet.rows))):
            cells = sheet.rows[r][c0:c1]
            out.append(_render_row(cells, sheet.meta[r], c0, option, date_option) if cells else [])
    while out and not out[-1]:
        out.pop()
    return _columns(out) if major == "COLUMNS" else out


def _render_row(cells: list[Any], meta: RowMeta | None, c0: int, option: str, date_option: str) -> list[Any]:
    # Strings, and integers without a number format, are the bulk of a register: keep them inline.
    if meta is not None:
        row = [v if v.__class__ is str else render(v, number_format(meta.get(c0 + i)), option, date_option) for i, v in enumerate(cells)]
    elif option == "FORMATTED_VALUE":
        row = [v if v.__class__ is str else str(v) if v.__class__ is int else render(v, None, option, date_option) for v in cells]
    else:
        row = [v if v.__class__ in _AS_IS else render(v, None, option, date_option) for v in cells]
    while row and row[-1] == "":
        row.pop()
    return row


_AS_IS = frozenset({str, int, bool})


def number_format(meta: dict[str, Any] | None) -> dict[str, Any] | None:
    if not meta:
        return None
    found: dict[str, Any] | None = meta.get("userEnteredFormat", {}).get("numberFormat")
    return found


def _columns(rows: list[list[Any]]) -> list[list[Any]]:
    width = max((len(r) for r in rows), default=0)
    columns = [[r[c] if c < len(r) else "" for r in rows] for c in range(width)]
    for column in columns:
        while column and column[-1] == "":
            column.pop()
    while columns and not columns[-1]:
        columns.pop()
    return columns


# ---------------------------------------------------------------- write


def check_values(values: Any, field: str = "data.values") -> list[list[Any]]:
    """Reject what the API's protobuf parser rejects: values must be a list of lists of scalars."""
    if values is None:
        return []
    if not isinstance(values, list):
        raise _list_error(field, values)
    for index, row in enumerate(values):
        if not isinstance(row, list):
            msg = f"{field}[{index}]"
            raise _list_error(msg, row)
        if not _SCALARS.issuperset(map(type, row)):
            bad = next(cell for cell in row if type(cell) not in _SCALARS)
            msg = f"Invalid values[{index}]: {bad!r}"
            raise ApiError.invalid(msg)
    return values


_BOOLEAN_WORDS = frozenset({"TRUE", "FALSE"})
_SCALARS = frozenset({str, int, float, bool, type(None)})


def _list_error(field: str, value: Any) -> ApiError:
    text = f'"{value}"' if isinstance(value, str) else str(value)
    message = f"Invalid value at '{field}' (type.googleapis.com/google.protobuf.ListValue), {text}"
    return ApiError.invalid(message, field=field)


def as_rows(values: list[list[Any]], major: str) -> list[list[Any]]:
    if major != "COLUMNS":
        return values
    height = max((len(c) for c in values), default=0)
    return [[c[r] if r < len(c) else None for c in values] for r in range(height)]


def write_bounds(sheet: Sheet, a1: A1Range, rows: list[list[Any]], requested: str) -> Bounds:
    """Where `rows` land when written at `a1`; outside the requested range or the grid is an error."""
    r0, c0 = a1.row0 or 0, a1.col0 or 0
    height, width = len(rows), max((len(r) for r in rows), default=0)
    bounds = (r0, r0 + max(height, 1), c0, c0 + max(width, 1))
    _check_within_request(a1, bounds, requested, sheet)
    if bounds[1] > sheet.row_count or bounds[3] > sheet.column_count:
        raise grid_error(sheet, bounds)
    return bounds


def _check_within_request(a1: A1Range, bounds: Bounds, requested: str, sheet: Sheet) -> None:
    single_cell = a1.row1 == (a1.row0 or 0) + 1 and a1.col1 == (a1.col0 or 0) + 1
    if single_cell:
        return
    _r0, r1, _c0, c1 = bounds
    shown = f"'{sheet.title}'!{requested.rpartition('!')[2]}" if "!" in requested else requested
    if a1.row1 is not None and r1 > a1.row1:
        msg = f"Requested writing within range [{shown}], but tried writing to row [{a1.row1 + 1}]"
        raise ApiError.invalid(msg)
    if a1.col1 is not None and c1 > a1.col1:
        msg = f"Requested writing within range [{shown}], but tried writing to column [{column_letter(a1.col1)}]"
        raise ApiError.invalid(msg)


@dataclass(frozen=True)
class Written:
    """How many cells got a value, and across how many distinct rows and columns."""

    cells: int
    rows: int
    columns: int


def write(sheet: Sheet, r0: int, c0: int, rows: list[list[Any]], input_option: str) -> Written:
    """Write rows of JSON values at (r0, c0); JSON nulls leave their cells as they were."""
    user_entered = input_option == "USER_ENTERED"
    cells, touched_rows, columns = 0, 0, set()
    with paused_gc():
        for offset, values in enumerate(rows):
            if not values:
                continue
            row = sheet.writable_row(r0 + offset)
            if len(row) < c0 + len(values):
                row.extend([None] * (c0 + len(values) - len(row)))
            set_columns = _write_row(sheet, r0 + offset, row, c0, values, user_entered)
            if set_columns:
                cells += len(set_columns)
                touched_rows += 1
                columns.update(set_columns)
        sheet.trim(range(r0, r0 + len(rows)))
    return Written(cells, touched_rows, len(columns))


def _write_row(sheet: Sheet, r: int, row: list[Any], c0: int, values: list[Any], user_entered: bool) -> list[int]:
    if not user_entered and None not in values:
        row[c0 : c0 + len(values)] = [v if v != "" else None for v in values]
        return list(range(len(values)))
    written = []
    for j, raw in enumerate(values):
        if raw.__class__ is str and raw[:1].isalpha() and raw.upper() not in _BOOLEAN_WORDS:
            row[c0 + j] = raw  # plain text reads the same whatever the input option
            written.append(j)
            continue
        if user_entered:
            value, detected = parse_user_entered(raw)
        else:
            value, detected = parse_raw(raw), None
        if value is SKIP:
            continue
        row[c0 + j] = value
        written.append(j)
        if detected is not None:
            _apply_detected_format(sheet, r, c0 + j, detected)
    return written


_FORMAT_META: dict[int, dict[str, Any]] = {}


def _apply_detected_format(sheet: Sheet, r: int, c: int, detected: dict[str, str]) -> None:
    """A typed date gets a date format, unless the cell already has a number format of its own."""
    current = sheet.cell_meta(r, c)
    if number_format(current) is not None:
        return
    if current is None:
        meta = _FORMAT_META.setdefault(id(detected), {"userEnteredFormat": {"numberFormat": detected}})
    else:
        meta = {**current, "userEnteredFormat": {**current.get("userEnteredFormat", {}), "numberFormat": detected}}
    sheet.writable_meta(r)[c] = meta


def clear(sheet: Sheet, bounds: Bounds) -> None:
    r0, r1, c0, c1 = bounds
    for r in range(r0, min(r1, len(sheet.rows))):
        row = sheet.rows[r]
        if len(row) <= c0:
            continue
        if c0 == 0 and c1 >= len(row):
            sheet.rows[r] = []
            continue
        row = sheet.writable_row(r)
        for c in range(c0, min(c1, len(row))):
            row[c] = None
    sheet.trim(range(r0, min(r1, len(sheet.rows))))


# ---------------------------------------------------------------- append


def find_table(sheet: Sheet, a1: A1Range) -> tuple[int, int, tuple[int, int, int, int] | None]:
    """(row, column) to append at and the table found, following the service's table search.

    The table is the block of data connected to the last filled cell of the range (or to the
    range's only cell), so a gap in a row can make the service append under a later column.
    """
    r0, c0 = a1.row0 or 0, a1.col0 or 0
    single = a1.row1 == r0 + 1 and a1.col1 == c0 + 1
    c1 = a1.col1 if a1.col1 is not None and not single else None
    anchor = _single_anchor(sheet, r0, c0) if single else _last_filled(sheet, a1, c1)
    if anchor is None:
        return r0, c0, None
    top, bottom, left, right = _block_around(sheet.rows, anchor, c0 if not single else 0, c1)
    return bottom, left, (top, bottom, left, right)


def _single_anchor(sheet: Sheet, r: int, c: int) -> tuple[int, int] | None:
    row = sheet.rows[r] if r < len(sheet.rows) else []
    return (r, c) if c < len(row) and row[c] is not None else None


def _last_filled(sheet: Sheet, a1: A1Range, c1: int | None) -> tuple[int, int] | None:
    r0, c0 = a1.row0 or 0, a1.col0 or 0
    r1 = len(sheet.rows) if a1.row1 is None else min(a1.row1, len(sheet.rows))
    for r in range(r1 - 1, r0 - 1, -1):
        cells = sheet.rows[r][c0:c1]
        filled = [i for i, v in enumerate(cells) if v is not None]
        if filled:
            return r, c0 + filled[-1]
    return None


def _block_around(rows: list[list[Any]], anchor: tuple[int, int], c_min: int, c_max: int | None) -> tuple[int, int, int, int]:
    """Bounding box (top, bottom, left, right; half-open) of the data connected to `anchor`."""
    r, c = anchor
    left, right = _run(rows[r], c, c, c_min, c_max)
    top = bottom = r
    for step in (1, -1):
        edge = r + step
        while 0 <= edge < len(rows):
            span = _span_touching(rows[edge], left, right, c_min, c_max)
            if span is None:
                break
            left, right = min(left, span[0]), max(right, span[1])
            top, bottom = min(top, edge), max(bottom, edge)
            edge += step
    return top, bottom + 1, left, right


def _run(row: list[Any], first: int, last: int, c_min: int, c_max: int | None) -> tuple[int, int]:
    """Widen [first, last] over the filled cells on both sides → half-open [left, right)."""
    limit = len(row) if c_max is None else min(c_max, len(row))
    while first > c_min and row[first - 1] is not None:
        first -= 1
    while last + 1 < limit and row[last + 1] is not None:
        last += 1
    return first, last + 1


def _span_touching(row: list[Any], left: int, right: int, c_min: int, c_max: int | None) -> tuple[int, int] | None:
    cells = row[left:right]
    if cells.count(None) == len(cells):
        return None
    closed_left = left == c_min or left > len(row) or row[left - 1] is None
    if closed_left and (right >= len(row) or right == c_max or row[right] is None):
        return left, right  # the usual register row: nothing to widen, skip the scan below
    filled = [i for i, v in enumerate(cells) if v is not None]
    return _run(row, left + filled[0], left + filled[-1], c_min, c_max)


def grow_for_append(ss: Spreadsheet, sheet: Sheet, bounds: Bounds) -> None:
    """values:append adds rows and columns as needed instead of failing at the grid edge."""
    _, r1, _, c1 = bounds
    grid = sheet.grid
    grid["rowCount"] = max(sheet.row_count, r1)
    grid["columnCount"] = max(sheet.column_count, c1)
    ss.check_cell_limit()


def insert_blank_rows(sheet: Sheet, at: int, count: int) -> None:
    if at < len(sheet.rows):
        new_rows: list[list[Any]] = [[] for _ in range(count)]
        sheet.rows[at:at] = new_rows
        sheet.meta[at:at] = [None] * count
        sheet.own_new_rows(new_rows, [])
    sheet.grid["rowCount"] = sheet.row_count + count
