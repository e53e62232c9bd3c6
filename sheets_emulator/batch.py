"""spreadsheets:batchUpdate: one handler per request kind, applied to a fork so a failure changes nothing."""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any

from sheets_emulator import cellops, metadata
from sheets_emulator.colours import normalise_colours
from sheets_emulator.errors import ApiError
from sheets_emulator.fields import parse_mask, update_with_mask
from sheets_emulator.gridrange import RequestError, dimension_bounds, grid_bounds, sheet_of
from sheets_emulator.model import DEFAULT_COLUMNS, DEFAULT_ROWS, Sheet, Spreadsheet

Handler = Callable[["BatchContext", dict[str, Any]], dict[str, Any]]

# Request kinds of the real API that this emulator does not implement: they fail loudly (400).
UNSUPPORTED = frozenset(
    {
        "addBanding",
        "addChart",
        "addCommentReply",
        "deleteComment",
        "deleteCommentReply",
        "insertComment",
        "updateCommentPost",
        "addDataSource",
        "addDimensionGroup",
        "addFilterView",
        "addSlicer",
        "addTable",
        "appendCells",
        "appendDimension",
        "autoFill",
        "autoResizeDimensions",
        "cancelDataSourceRefresh",
        "clearBasicFilter",
        "copyPaste",
        "cutPaste",
        "deleteBanding",
        "deleteDataSource",
        "deleteDimensionGroup",
        "deleteDuplicates",
        "deleteEmbeddedObject",
        "deleteFilterView",
        "deleteRange",
        "deleteTable",
        "duplicateFilterView",
        "duplicateSheet",
        "findReplace",
        "insertRange",
        "moveDimension",
        "pasteData",
        "randomizeRange",
        "refreshDataSource",
        "textToColumns",
        "trimWhitespace",
        "updateBanding",
        "updateBorders",
        "updateChartSpec",
        "updateConditionalFormatRule",
        "updateDataSource",
        "updateDimensionGroup",
        "updateEmbeddedObjectBorder",
        "updateEmbeddedObjectPosition",
        "updateFilterView",
        "updateProtectedRange",
        "updateSlicerSpec",
        "updateTable",
    }
)


class BatchContext:
    """What a handler may touch: the forked spreadsheet, the caller, and the id generator."""

    def __init__(self, ss: Spreadsheet, *, user: str, rng: random.Random) -> None:
        self.ss = ss
        self.user = user
        self.rng = rng

    def new_id(self) -> int:
        return self.rng.randrange(1, 2**31 - 1)


def apply_requests(ctx: BatchContext, requests: Any) -> list[dict[str, Any]]:
    if not isinstance(requests, list):
        msg = "Invalid value at 'requests': expected a list of Request objects"
        raise ApiError.invalid(msg)
    return [_apply_one(ctx, index, request) for index, request in enumerate(requests)]


def _apply_one(ctx: BatchContext, index: int, request: Any) -> dict[str, Any]:
    kinds = [k for k, v in (request or {}).items() if v is not None] if isinstance(request, dict) else []
    if not kinds:
        msg = f"Invalid requests[{index}]: No request set."
        raise ApiError.invalid(msg)
    kind = kinds[0]
    if len(kinds) > 1:
        msg = f"Invalid requests[{index}]: more than one request kind set ({', '.join(kinds)})."
        raise ApiError.invalid(msg)
    handler = HANDLERS.get(kind)
    if handler is None:
        raise _unknown_kind(index, kind)
    try:
        return handler(ctx, normalise_colours(request[kind] or {}))
    except RequestError as error:
        msg = f"Invalid requests[{index}].{kind}: {error.message}"
        raise ApiError.invalid(msg) from None


def _unknown_kind(index: int, kind: str) -> ApiError:
    if kind in UNSUPPORTED:
        return ApiError.invalid(f"Invalid requests[{index}].{kind}: this request is not supported by the emulator.")
    return ApiError.invalid(f"Invalid JSON payload received. Unknown name \"{kind}\" at 'requests[{index}]': Cannot find field.")


def _mask(body: dict[str, Any]) -> Any:
    fields = body.get("fields")
    if not fields:
        msg = "At least one field must be updated, but 'fields' is empty."
        raise RequestError(msg)
    return parse_mask(fields)


# ---------------------------------------------------------------- sheets


def add_sheet(ctx: BatchContext, body: dict[str, Any]) -> dict[str, Any]:
    wanted = dict(body.get("properties") or {})
    title = wanted.get("title") or _free_title(ctx.ss)
    _check_title_free(ctx.ss, title)
    sheet_id = wanted.get("sheetId")
    if sheet_id is None:
        sheet_id = ctx.new_id()
    elif any(s.sheet_id == sheet_id for s in ctx.ss.sheets):
        msg = f"A sheet with the id {sheet_id} already exists."
        raise RequestError(msg)
    grid = {"rowCount": DEFAULT_ROWS, "columnCount": DEFAULT_COLUMNS, **(wanted.get("gridProperties") or {})}
    props = {**wanted, "sheetId": sheet_id, "title": title, "sheetType": wanted.get("sheetType", "GRID"), "gridProperties": grid}
    sheet = Sheet(_ordered_props(props))
    index = min(int(wanted.get("index", len(ctx.ss.sheets))), len(ctx.ss.sheets))
    ctx.ss.sheets.insert(index, sheet)
    ctx.ss.renumber()
    ctx.ss.check_cell_limit()
    return {"addSheet": {"properties": sheet.props}}


def _ordered_props(props: dict[str, Any]) -> dict[str, Any]:
    order = ["sheetId", "title", "index", "sheetType", "gridProperties"]
    ordered = {k: props[k] for k in order if k in props}
    ordered.setdefault("index", 0)
    ordered.update({k: v for k, v in props.items() if k not in ordered})
    return ordered


def _free_title(ss: Spreadsheet) -> str:
    n = len(ss.sheets) + 1
    while ss.sheet_by_title(f"Sheet{n}") is not None:
        n += 1
    return f"Sheet{n}"


def _check_title_free(ss: Spreadsheet, title: str, sheet_id: int | None = None) -> None:
    other = ss.sheet_by_title(title)
    if other is not None and other.sheet_id != sheet_id:
        msg = f'A sheet with the name "{title}" already exists. Please enter another name.'
        raise RequestError(msg)


def delete_sheet(ctx: BatchContext, body: dict[str, Any]) -> dict[str, Any]:
    sheet = sheet_of(ctx.ss, body)
    if len(ctx.ss.sheets) == 1:
        msg = "You can't remove all the sheets in a document."
        raise RequestError(msg)
    ctx.ss.sheets.remove(sheet)
    ctx.ss.named_ranges = [n for n in ctx.ss.named_ranges if n.get("range", {}).get("sheetId", 0) != sheet.sheet_id]
    ctx.ss.renumber()
    return {}


def update_sheet_properties(ctx: BatchContext, body: dict[str, Any]) -> dict[str, Any]:
    wanted = body.get("properties") or {}
    sheet = sheet_of(ctx.ss, wanted)
    mask = _mask(body)
    if "tabColor" in mask and "tabColor" in wanted:
        wanted = {**wanted, "tabColorStyle": {"rgbColor": wanted["tabColor"]}}
        mask = {**mask, "tabColorStyle": {}}
    props = dict(sheet.props)
    update_with_mask(props, wanted, mask)
    props["sheetId"], props["sheetType"] = sheet.sheet_id, sheet.props["sheetType"]
    _check_title_free(ctx.ss, props.get("title", ""), sheet.sheet_id)
    _resize(sheet, props.get("gridProperties", {}))
    _drop_defaults(props)
    sheet.props = props
    _move_sheet(ctx.ss, sheet, wanted.get("index") if "index" in mask else None)
    if all(s.props.get("hidden") for s in ctx.ss.sheets):
        msg = "You can't hide all the sheets in a document."
        raise RequestError(msg)
    ctx.ss.check_cell_limit()
    return {}


def _resize(sheet: Sheet, grid: dict[str, Any]) -> None:
    """Shrinking the grid drops the cells that fall outside it."""
    rows, cols = int(grid.get("rowCount", 0)), int(grid.get("columnCount", 0))
    if rows < 1 or cols < 1:
        msg = "rowCount and columnCount must be at least 1."
        raise RequestError(msg)
    if rows < len(sheet.rows):
        del sheet.rows[rows:]
        del sheet.meta[rows:]
    for r in range(len(sheet.rows)):
        if len(sheet.rows[r]) > cols:
            del sheet.writable_row(r)[cols:]
        meta = sheet.meta[r]
        if meta and max(meta) >= cols:
            kept = {c: m for c, m in meta.items() if c < cols}
            sheet.meta[r] = None
            if kept:
                sheet.writable_meta(r).update(kept)
    sheet.trim(range(len(sheet.rows)))


def _drop_defaults(props: dict[str, Any]) -> None:
    """proto3 JSON leaves out zeros and false, so a cleared frozenRowCount disappears."""
    grid = props.get("gridProperties", {})
    for key in [k for k, v in grid.items() if v in (0, False) and k not in ("rowCount", "columnCount")]:
        del grid[key]
    for key in [k for k, v in props.items() if v is False or v == {}]:
        del props[key]


def _move_sheet(ss: Spreadsheet, sheet: Sheet, index: Any) -> None:
    position = next(i for i, s in enumerate(ss.sheets) if s.sheet_id == sheet.sheet_id)
    ss.sheets[position] = sheet
    if index is not None:
        ss.sheets.pop(position)
        ss.sheets.insert(min(int(index), len(ss.sheets)), sheet)
    ss.renumber()


def update_spreadsheet_properties(ctx: BatchContext, body: dict[str, Any]) -> dict[str, Any]:
    props = dict(ctx.ss.props)
    update_with_mask(props, body.get("properties") or {}, _mask(body))
    ctx.ss.props = props
    return {}


# ---------------------------------------------------------------- cells


def repeat_cell(ctx: BatchContext, body: dict[str, Any]) -> dict[str, Any]:
    sheet, bounds = grid_bounds(ctx.ss, body.get("range") or {})
    cellops.repeat_cell(sheet, bounds, body.get("cell") or {}, _mask(body))
    return {}


def update_cells(ctx: BatchContext, body: dict[str, Any]) -> dict[str, Any]:
    rows = body.get("rows") or []
    if "range" in body:
        sheet, bounds = grid_bounds(ctx.ss, body["range"])
        origin, limit = (bounds[0], bounds[2]), bounds
    elif "start" in body:
        sheet = sheet_of(ctx.ss, body["start"])
        origin, limit = (int(body["start"].get("rowIndex", 0)), int(body["start"].get("columnIndex", 0))), None
        _check_fits(sheet, origin, rows)
    else:
        msg = "One of 'start' or 'range' must be set."
        raise RequestError(msg)
    cellops.update_cells(sheet, origin, rows, _mask(body), limit)
    return {}


def _check_fits(sheet: Sheet, origin: tuple[int, int], rows: list[dict[str, Any]]) -> None:
    last_row = origin[0] + len(rows) - 1
    last_col = origin[1] + max((len(r.get("values", [])) for r in rows), default=0) - 1
    if last_row >= sheet.row_count:
        msg = f"GridCoordinate.rowIndex[{last_row}] is after last row in grid[{sheet.row_count - 1}]"
        raise RequestError(msg)
    if last_col >= sheet.column_count:
        msg = f"GridCoordinate.columnIndex[{last_col}] is after last column in grid[{sheet.column_count - 1}]"
        raise RequestError(msg)


def set_data_validation(ctx: BatchContext, body: dict[str, Any]) -> dict[str, Any]:
    sheet, bounds = grid_bounds(ctx.ss, body.get("range") or {})
    rule = body.get("rule")
    if rule is not None and not (rule.get("condition") or {}).get("type"):
        msg = "rule.condition.type is required."
        raise RequestError(msg)
    cellops.set_validation(sheet, bounds, rule)
    return {}


def add_conditional_format_rule(ctx: BatchContext, body: dict[str, Any]) -> dict[str, Any]:
    rule = body.get("rule") or {}
    ranges = rule.get("ranges") or []
    if not ranges or not ("booleanRule" in rule or "gradientRule" in rule):
        msg = "A conditional format rule needs ranges and a booleanRule or gradientRule."
        raise RequestError(msg)
    sheets = {grid_bounds(ctx.ss, r)[0].sheet_id for r in ranges}
    if len(sheets) != 1:
        msg = "All ranges of a conditional format rule must be on one sheet."
        raise RequestError(msg)
    sheet = sheet_of(ctx.ss, ranges[0])
    rules = sheet.extra.setdefault("conditionalFormats", [])
    rules.insert(min(int(body.get("index", 0)), len(rules)), rule)
    return {}


def delete_conditional_format_rule(ctx: BatchContext, body: dict[str, Any]) -> dict[str, Any]:
    sheet = sheet_of(ctx.ss, body)
    rules = sheet.extra.get("conditionalFormats", [])
    index = int(body.get("index", 0))
    if not 0 <= index < len(rules):
        msg = f"No conditional format on sheet: {sheet.sheet_id} at index: {index}"
        raise RequestError(msg)
    rule = rules.pop(index)
    return {"deleteConditionalFormatRule": {"rule": rule}}


def set_basic_filter(ctx: BatchContext, body: dict[str, Any]) -> dict[str, Any]:
    """The sheet's one basic filter, replaced whole (criteria and sort included), as the service does."""
    wanted = dict(body.get("filter") or {})
    rng = wanted.get("range")
    if rng is None:
        msg = "filter.range is required."
        raise RequestError(msg)
    sheet, _ = grid_bounds(ctx.ss, rng)
    sheet.extra["basicFilter"] = wanted
    return {}


def add_protected_range(ctx: BatchContext, body: dict[str, Any]) -> dict[str, Any]:
    wanted = {k: v for k, v in (body.get("protectedRange") or {}).items() if v is not None}
    grid_bounds(ctx.ss, wanted.get("range") or {})
    stored = {"protectedRangeId": wanted.get("protectedRangeId") or ctx.new_id(), "range": wanted.get("range", {})}
    for key in ("description", "warningOnly"):
        if wanted.get(key):
            stored[key] = wanted[key]
    stored["requestingUserCanEdit"] = True
    users = sorted(set((wanted.get("editors") or {}).get("users") or []) | ({ctx.user} if ctx.user else set()))
    sheet = sheet_of(ctx.ss, stored["range"])
    sheet.extra.setdefault("protectedRanges", []).append({**stored, "editors": {"users": users}})
    return {"addProtectedRange": {"protectedRange": _zero_sheet_dropped({**stored, "editors": {}})}}


def _zero_sheet_dropped(protected: dict[str, Any]) -> dict[str, Any]:
    rng = {k: v for k, v in protected["range"].items() if not (k == "sheetId" and v == 0)}
    return {**protected, "range": rng}


def delete_protected_range(ctx: BatchContext, body: dict[str, Any]) -> dict[str, Any]:
    wanted = body.get("protectedRangeId")
    for sheet in ctx.ss.sheets:
        ranges = sheet.extra.get("protectedRanges", [])
        if any(p["protectedRangeId"] == wanted for p in ranges):
            sheet.extra["protectedRanges"] = [p for p in ranges if p["protectedRangeId"] != wanted]
            return {}
    msg = f"No protected range with id: {wanted}"
    raise RequestError(msg)


def merge_cells(ctx: BatchContext, body: dict[str, Any]) -> dict[str, Any]:
    sheet, bounds = grid_bounds(ctx.ss, body.get("range") or {})
    cellops.merge_cells(sheet, bounds, body.get("mergeType", "MERGE_ALL"))
    return {}


def unmerge_cells(ctx: BatchContext, body: dict[str, Any]) -> dict[str, Any]:
    sheet, bounds = grid_bounds(ctx.ss, body.get("range") or {})
    cellops.unmerge_cells(sheet, bounds)
    return {}


def sort_range(ctx: BatchContext, body: dict[str, Any]) -> dict[str, Any]:
    sheet, bounds = grid_bounds(ctx.ss, body.get("range") or {})
    cellops.sort_range(sheet, bounds, body.get("sortSpecs") or [])
    return {}


# ---------------------------------------------------------------- dimensions


def insert_dimension(ctx: BatchContext, body: dict[str, Any]) -> dict[str, Any]:
    sheet, dimension, start, end = dimension_bounds(ctx.ss, body.get("range") or {})
    size = sheet.row_count if dimension == "ROWS" else sheet.column_count
    if start > size:
        msg = f"range.startIndex[{start}] is after the last {dimension.lower()[:-1]} in the grid[{size}]"
        raise RequestError(msg)
    if start == 0 and body.get("inheritFromBefore"):
        msg = "Cannot inherit properties from before if inserting at the start."
        raise RequestError(msg)
    cellops.insert_dimension(ctx.ss, sheet, dimension, start, end, bool(body.get("inheritFromBefore")))
    return {}


def delete_dimension(ctx: BatchContext, body: dict[str, Any]) -> dict[str, Any]:
    sheet, dimension, start, end = dimension_bounds(ctx.ss, body.get("range") or {})
    size = sheet.row_count if dimension == "ROWS" else sheet.column_count
    if end > size:
        msg = f"Cannot delete a {dimension.lower()[:-1]} that doesn't exist. Tried to delete index {end - 1} but there are only {size}."
        raise RequestError(msg)
    if start == 0 and end >= size:
        msg = f"You can't delete all the {dimension.lower()} on the sheet."
        raise RequestError(msg)
    cellops.delete_dimension(ctx.ss, sheet, dimension, start, end)
    return {}


def update_dimension_properties(ctx: BatchContext, body: dict[str, Any]) -> dict[str, Any]:
    sheet, dimension, start, end = dimension_bounds(ctx.ss, body.get("range") or {})
    cellops.update_dimension_properties(sheet, dimension, start, end, body.get("properties") or {}, _mask(body))
    return {}


# ---------------------------------------------------------------- named ranges


def add_named_range(ctx: BatchContext, body: dict[str, Any]) -> dict[str, Any]:
    wanted = body.get("namedRange") or {}
    name = wanted.get("name")
    if not name or any(n["name"] == name for n in ctx.ss.named_ranges):
        msg = f"A named range needs a unique name; '{name}' is taken or empty."
        raise RequestError(msg)
    grid_bounds(ctx.ss, wanted.get("range") or {})
    named = {"namedRangeId": wanted.get("namedRangeId") or str(ctx.new_id()), "name": name, "range": wanted.get("range", {})}
    ctx.ss.named_ranges.append(named)
    return {"addNamedRange": {"namedRange": _zero_sheet_dropped(named)}}


def update_named_range(ctx: BatchContext, body: dict[str, Any]) -> dict[str, Any]:
    wanted = body.get("namedRange") or {}
    named = next((n for n in ctx.ss.named_ranges if n["namedRangeId"] == wanted.get("namedRangeId")), None)
    if named is None:
        msg = f"No named range with id {wanted.get('namedRangeId')}"
        raise RequestError(msg)
    update_with_mask(named, wanted, _mask(body))
    return {}


def delete_named_range(ctx: BatchContext, body: dict[str, Any]) -> dict[str, Any]:
    before = len(ctx.ss.named_ranges)
    ctx.ss.named_ranges = [n for n in ctx.ss.named_ranges if n["namedRangeId"] != body.get("namedRangeId")]
    if len(ctx.ss.named_ranges) == before:
        msg = f"No named range with id {body.get('namedRangeId')}"
        raise RequestError(msg)
    return {}


def create_developer_metadata(ctx: BatchContext, body: dict[str, Any]) -> dict[str, Any]:
    return {"createDeveloperMetadata": metadata.create(ctx.ss, body, ctx.new_id())}


def update_developer_metadata(ctx: BatchContext, body: dict[str, Any]) -> dict[str, Any]:
    return {"updateDeveloperMetadata": metadata.update(ctx.ss, body)}


def delete_developer_metadata(ctx: BatchContext, body: dict[str, Any]) -> dict[str, Any]:
    return {"deleteDeveloperMetadata": metadata.delete(ctx.ss, body)}


HANDLERS: dict[str, Handler] = {
    "addSheet": add_sheet,
    "deleteSheet": delete_sheet,
    "updateSheetProperties": update_sheet_properties,
    "updateSpreadsheetProperties": update_spreadsheet_properties,
    "repeatCell": repeat_cell,
    "updateCells": update_cells,
    "setDataValidation": set_data_validation,
    "addConditionalFormatRule": add_conditional_format_rule,
    "deleteConditionalFormatRule": delete_conditional_format_rule,
    "setBasicFilter": set_basic_filter,
    "addProtectedRange": add_protected_range,
    "deleteProtectedRange": delete_protected_range,
    "mergeCells": merge_cells,
    "unmergeCells": unmerge_cells,
    "sortRange": sort_range,
    "insertDimension": insert_dimension,
    "deleteDimension": delete_dimension,
    "updateDimensionProperties": update_dimension_properties,
    "addNamedRange": add_named_range,
    "updateNamedRange": update_named_range,
    "deleteNamedRange": delete_named_range,
    "createDeveloperMetadata": create_developer_metadata,
    "updateDeveloperMetadata": update_developer_metadata,
    "deleteDeveloperMetadata": delete_developer_metadata,
}
