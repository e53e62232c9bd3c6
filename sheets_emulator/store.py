"""All spreadsheets of one emulator, and the API operations on them as Python calls.

The HTTP server maps requests onto these methods; tests and fault hooks call them directly
to set up or edit a sheet between two requests (no auth, quota or faults on this path).
"""

from __future__ import annotations

import copy
import datetime as dt
import random
import string
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from sheets_emulator import valueops
from sheets_emulator.a1 import parse_cells
from sheets_emulator.batch import BatchContext, apply_requests
from sheets_emulator.docs import DocsStore
from sheets_emulator.errors import ApiError
from sheets_emulator.fields import parse_mask
from sheets_emulator.model import DEFAULT_COLUMNS, DEFAULT_ROWS, Sheet, Spreadsheet
from sheets_emulator.render import spreadsheet_json
from sheets_emulator.valueops import range_text

Clock = Callable[[], float]

_ID_ALPHABET = string.ascii_letters + string.digits + "-_"
_INPUT_OPTIONS = ("RAW", "USER_ENTERED")
_RENDER_OPTIONS = ("FORMATTED_VALUE", "UNFORMATTED_VALUE", "FORMULA")
_DATE_OPTIONS = ("SERIAL_NUMBER", "FORMATTED_STRING")
_DIMENSIONS = ("ROWS", "COLUMNS", "DIMENSION_UNSPECIFIED")
_NOT_FOUND = "Requested entity was not found."

DEFAULT_FORMAT: dict[str, Any] = {
    "backgroundColor": {"red": 1, "green": 1, "blue": 1},
    "padding": {"top": 2, "right": 3, "bottom": 2, "left": 3},
    "verticalAlignment": "BOTTOM",
    "wrapStrategy": "OVERFLOW_CELL",
    "textFormat": {
        "foregroundColor": {},
        "fontFamily": "arial,sans,sans-serif",
        "fontSize": 10,
        "bold": False,
        "italic": False,
        "strikethrough": False,
        "underline": False,
        "foregroundColorStyle": {"rgbColor": {}},
    },
    "backgroundColorStyle": {"rgbColor": {"red": 1, "green": 1, "blue": 1}},
}
_THEME_COLOURS = {
    "TEXT": {},
    "BACKGROUND": {"red": 1, "green": 1, "blue": 1},
    "ACCENT1": {"red": 0.25882354, "green": 0.52156866, "blue": 0.95686275},
    "ACCENT2": {"red": 0.91764706, "green": 0.2627451, "blue": 0.20784314},
    "ACCENT3": {"red": 0.9843137, "green": 0.7372549, "blue": 0.015686275},
    "ACCENT4": {"red": 0.20392157, "green": 0.65882355, "blue": 0.3254902},
    "ACCENT5": {"red": 1, "green": 0.42745098, "blue": 0.003921569},
    "ACCENT6": {"red": 0.27450982, "green": 0.7411765, "blue": 0.7764706},
    "LINK": {"red": 0.06666667, "green": 0.33333334, "blue": 0.8},
}
THEME: dict[str, Any] = {
    "primaryFontFamily": "Arial",
    "themeColors": [{"colorType": k, "color": {"rgbColor": v}} for k, v in _THEME_COLOURS.items()],
}


def rfc3339(seconds: float) -> str:
    moment = dt.datetime.fromtimestamp(seconds, dt.UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


class Store:
    """Spreadsheets by id, one lock around every operation, seeded ids."""

    def __init__(self, *, clock: Clock = time.time, seed: int = 0) -> None:
        self.clock = clock
        self.lock = threading.RLock()
        self.spreadsheets: dict[str, Spreadsheet] = {}
        self._rng = random.Random(seed)
        self.docs = DocsStore(lambda: rfc3339(self.clock()), self._new_spreadsheet_id)
        """Drive folders and Google Docs (the post-mortem documents)."""

    # ------------------------------------------------------------ files

    def create_spreadsheet(
        self,
        title: str = "Untitled spreadsheet",
        *,
        sheets: list[str] | dict[str, list[list[Any]]] | None = None,
        shared_with: tuple[str, ...] | list[str] | set[str] = (),
        time_zone: str = "Etc/GMT",
        locale: str = "en_US",
        owner: str = "",
    ) -> str:
        """A new spreadsheet; `sheets` is a list of titles or {title: rows (USER_ENTERED)}."""
        with self.lock:
            spreadsheet_id = self._new_spreadsheet_id()
            props: dict[str, Any] = {"title": title, "locale": locale, "autoRecalc": "ON_CHANGE", "timeZone": time_zone}
            props.update(defaultFormat=copy.deepcopy(DEFAULT_FORMAT), spreadsheetTheme=copy.deepcopy(THEME))
            ss = Spreadsheet(spreadsheet_id, props, owner=owner, created=rfc3339(self.clock()))
            ss.shared_with |= set(shared_with)
            titles = list(sheets or ["Sheet1"])
            for index, sheet_title in enumerate(titles):
                ss.sheets.append(self._new_sheet(sheet_title, index, first=index == 0))
            self.spreadsheets[spreadsheet_id] = ss
        if isinstance(sheets, dict):
            self._fill(spreadsheet_id, sheets)
        return spreadsheet_id

    def _fill(self, spreadsheet_id: str, sheets: dict[str, list[list[Any]]]) -> None:
        for title, rows in sheets.items():
            if rows:
                self.grow_to_fit(spreadsheet_id, title, len(rows), max(len(r) for r in rows))
                self.values_update(spreadsheet_id, f"'{title}'!A1", {"values": rows}, input_option="USER_ENTERED")

    def _new_sheet(self, title: str, index: int, *, first: bool) -> Sheet:
        sheet_id = 0 if first else self._rng.randrange(1, 2**31 - 1)
        grid = {"rowCount": DEFAULT_ROWS, "columnCount": DEFAULT_COLUMNS}
        return Sheet({"sheetId": sheet_id, "title": title, "index": index, "sheetType": "GRID", "gridProperties": grid})

    def _new_spreadsheet_id(self) -> str:
        return "1" + "".join(self._rng.choice(_ID_ALPHABET) for _ in range(43))

    def spreadsheet(self, spreadsheet_id: str) -> Spreadsheet:
        ss = self.spreadsheets.get(spreadsheet_id)
        if ss is None:
            raise ApiError(404, _NOT_FOUND)
        return ss

    def delete_spreadsheet(self, spreadsheet_id: str) -> None:
        with self.lock:
            self.spreadsheet(spreadsheet_id)
            del self.spreadsheets[spreadsheet_id]

    def share(self, spreadsheet_id: str, *emails: str) -> None:
        with self.lock:
            self.spreadsheet(spreadsheet_id).shared_with.update(emails)

    def unshare(self, spreadsheet_id: str, *emails: str) -> None:
        with self.lock:
            self.spreadsheet(spreadsheet_id).shared_with.difference_update(emails)

    @contextmanager
    def transaction(self, spreadsheet_id: str) -> Iterator[Spreadsheet]:
        """Yield a fork to edit; it replaces the spreadsheet only if the block finishes without error."""
        with self.lock:
            fork = self.spreadsheet(spreadsheet_id).fork()
            yield fork
            fork.modified = rfc3339(self.clock())
            fork.version += 1
            self.spreadsheets[spreadsheet_id] = fork

    def grow_to_fit(self, spreadsheet_id: str, title: str, rows: int, columns: int) -> None:
        with self.transaction(spreadsheet_id) as ss:
            sheet = _sheet(ss, title)
            sheet.grid["rowCount"] = max(sheet.row_count, rows)
            sheet.grid["columnCount"] = max(sheet.column_count, columns)
            ss.check_cell_limit()

    # ------------------------------------------------------------ spreadsheets.get / batchUpdate

    def get(
        self,
        spreadsheet_id: str,
        *,
        ranges: list[str] | None = None,
        include_grid_data: bool = False,
        fields: str | None = None,
    ) -> dict[str, Any]:
        with self.lock:
            ss = self.spreadsheet(spreadsheet_id)
            mask = parse_mask(fields) if fields else None
            answer = spreadsheet_json(ss, ranges=list(ranges or []), include_grid=include_grid_data, mask=mask)
            return copy.deepcopy(answer)

    def batch_update(self, spreadsheet_id: str, body: dict[str, Any], *, user: str = "") -> dict[str, Any]:
        with self.transaction(spreadsheet_id) as ss:
            replies = apply_requests(BatchContext(ss, user=user, rng=self._rng), body.get("requests"))
            answer: dict[str, Any] = {"spreadsheetId": spreadsheet_id, "replies": replies}
            if body.get("includeSpreadsheetInResponse"):
                ranges = body.get("responseRanges") or []
                grid = bool(body.get("responseIncludeGridData"))
                answer["updatedSpreadsheet"] = spreadsheet_json(ss, ranges=ranges, include_grid=grid, mask=None)
            return copy.deepcopy(answer)

    # ------------------------------------------------------------ values

    def values_get(
        self,
        spreadsheet_id: str,
        range_: str,
        *,
        value_render: str = "FORMATTED_VALUE",
        date_time_render: str = "SERIAL_NUMBER",
        major: str = "ROWS",
    ) -> dict[str, Any]:
        _check_enum("value_render_option", value_render, _RENDER_OPTIONS)
        _check_enum("date_time_render_option", date_time_render, _DATE_OPTIONS)
        _check_enum("major_dimension", major, _DIMENSIONS)
        with self.lock:
            sheet, a1 = valueops.resolve(self.spreadsheet(spreadsheet_id), range_)
            bounds = valueops.read_bounds(sheet, a1)
            major = "COLUMNS" if major == "COLUMNS" else "ROWS"
            rows = valueops.read(sheet, bounds, option=value_render, date_option=date_time_render, major=major)
        answer: dict[str, Any] = {"range": range_text(sheet, bounds), "majorDimension": major}
        if rows:
            answer["values"] = rows
        return answer

    def values_batch_get(self, spreadsheet_id: str, ranges: list[str], **options: str) -> dict[str, Any]:
        with self.lock:
            answers = [self.values_get(spreadsheet_id, r, **options) for r in ranges]
        return {"spreadsheetId": spreadsheet_id, "valueRanges": answers}

    def values_update(
        self,
        spreadsheet_id: str,
        range_: str,
        body: dict[str, Any],
        *,
        input_option: str | None,
        include_values: bool = False,
    ) -> dict[str, Any]:
        _check_input_option(input_option)
        with self.transaction(spreadsheet_id) as ss:
            return self._update_one(ss, range_, body, input_option or "RAW", include_values)

    def _update_one(self, ss: Spreadsheet, range_: str, body: dict[str, Any], input_option: str, include_values: bool) -> dict[str, Any]:
        _check_body_range(body, range_)
        rows = valueops.as_rows(valueops.check_values(body.get("values")), body.get("majorDimension") or "ROWS")
        sheet, a1 = valueops.resolve(ss, range_)
        bounds = valueops.write_bounds(sheet, a1, rows, range_)
        written = valueops.write(sheet, bounds[0], bounds[2], rows, input_option)
        answer: dict[str, Any] = {"spreadsheetId": ss.id, "updatedRange": range_text(sheet, bounds)}
        answer.update(_counts(written))
        if include_values:
            answer["updatedData"] = _updated_data(sheet, bounds)
        return answer

    def values_batch_update(self, spreadsheet_id: str, body: dict[str, Any]) -> dict[str, Any]:
        input_option = body.get("valueInputOption")
        _check_input_option(input_option)
        include = bool(body.get("includeValuesInResponse"))
        with self.transaction(spreadsheet_id) as ss:
            responses = [
                self._update_one(ss, (d or {}).get("range", ""), d or {}, input_option or "RAW", include) for d in body.get("data") or []
            ]
        return _batch_totals(spreadsheet_id, responses)

    def values_append(
        self,
        spreadsheet_id: str,
        range_: str,
        body: dict[str, Any],
        *,
        input_option: str | None,
        insert_option: str = "OVERWRITE",
        include_values: bool = False,
    ) -> dict[str, Any]:
        _check_input_option(input_option)
        _check_enum("insert_data_option", insert_option, ("OVERWRITE", "INSERT_ROWS"))
        with self.transaction(spreadsheet_id) as ss:
            return _append(ss, range_, body, input_option or "RAW", insert_option, include_values)

    def values_clear(self, spreadsheet_id: str, range_: str) -> dict[str, Any]:
        with self.transaction(spreadsheet_id) as ss:
            return {"spreadsheetId": spreadsheet_id, "clearedRange": self._clear_one(ss, range_)}

    def _clear_one(self, ss: Spreadsheet, range_: str) -> str:
        sheet, a1 = valueops.resolve(ss, range_)
        bounds = valueops.read_bounds(sheet, a1)
        valueops.clear(sheet, bounds)
        return range_text(sheet, bounds)

    def values_batch_clear(self, spreadsheet_id: str, body: dict[str, Any]) -> dict[str, Any]:
        with self.transaction(spreadsheet_id) as ss:
            cleared = [self._clear_one(ss, r) for r in body.get("ranges") or []]
        return {"spreadsheetId": spreadsheet_id, "clearedRanges": cleared}

    # ------------------------------------------------------------ conveniences for tests and hooks

    def rows(self, spreadsheet_id: str, title: str, *, render: str = "UNFORMATTED_VALUE") -> list[list[Any]]:
        """Every value of a tab as a test reads it, trailing empties trimmed."""
        rows: list[list[Any]] = self.values_get(spreadsheet_id, f"'{_escape(title)}'", value_render=render).get("values", [])
        return rows

    def insert_rows(self, spreadsheet_id: str, title: str, index: int, count: int = 1) -> None:
        sheet_id = self.sheet_id(spreadsheet_id, title)
        rng = {"sheetId": sheet_id, "dimension": "ROWS", "startIndex": index, "endIndex": index + count}
        self.batch_update(spreadsheet_id, {"requests": [{"insertDimension": {"range": rng}}]})

    def sort_rows(self, spreadsheet_id: str, title: str, column: int, *, descending: bool = False, header_rows: int = 1) -> None:
        sheet_id = self.sheet_id(spreadsheet_id, title)
        spec = {"dimensionIndex": column, "sortOrder": "DESCENDING" if descending else "ASCENDING"}
        request = {"sortRange": {"range": {"sheetId": sheet_id, "startRowIndex": header_rows}, "sortSpecs": [spec]}}
        self.batch_update(spreadsheet_id, {"requests": [request]})

    def rename_sheet(self, spreadsheet_id: str, title: str, new_title: str) -> None:
        props = {"sheetId": self.sheet_id(spreadsheet_id, title), "title": new_title}
        request = {"updateSheetProperties": {"properties": props, "fields": "title"}}
        self.batch_update(spreadsheet_id, {"requests": [request]})

    def sheet_id(self, spreadsheet_id: str, title: str) -> int:
        with self.lock:
            return _sheet(self.spreadsheet(spreadsheet_id), title).sheet_id


def _append(
    ss: Spreadsheet, range_: str, body: dict[str, Any], input_option: str, insert_option: str, include_values: bool
) -> dict[str, Any]:
    _check_body_range(body, range_)
    rows = valueops.as_rows(valueops.check_values(body.get("values")), body.get("majorDimension") or "ROWS")
    sheet, a1 = valueops.resolve(ss, range_)
    target, c0, table = valueops.find_table(sheet, a1)
    bounds = (target, target + max(len(rows), 1), c0, c0 + max((len(r) for r in rows), default=1))
    if insert_option == "INSERT_ROWS":
        valueops.insert_blank_rows(sheet, target, len(rows))
    valueops.grow_for_append(ss, sheet, bounds)
    written = valueops.write(sheet, target, c0, rows, input_option)
    updates: dict[str, Any] = {"spreadsheetId": ss.id, "updatedRange": range_text(sheet, bounds), **_counts(written)}
    if include_values:
        updates["updatedData"] = _updated_data(sheet, bounds)
    answer: dict[str, Any] = {"spreadsheetId": ss.id}
    if table is not None:
        answer["tableRange"] = range_text(sheet, table)
    answer["updates"] = updates
    return answer


def _sheet(ss: Spreadsheet, title: str) -> Sheet:
    sheet = ss.sheet_by_title(title)
    if sheet is None:
        msg = f"Unable to parse range: {title}"
        raise ApiError.invalid(msg)
    return sheet


def _escape(title: str) -> str:
    return title.replace("'", "''")


def _check_enum(name: str, value: str, allowed: tuple[str, ...]) -> None:
    if value not in allowed:
        msg = f"Invalid value at '{name}', \"{value}\""
        raise ApiError.invalid(msg)


def _check_input_option(option: str | None) -> None:
    if not option:
        msg = "'valueInputOption' is required but not specified"
        raise ApiError.invalid(msg)
    _check_enum("value_input_option", option, _INPUT_OPTIONS)


def _check_body_range(body: dict[str, Any], range_: str) -> None:
    declared = body.get("range")
    if declared and declared != range_ and declared.replace("'", "") != range_.replace("'", ""):
        msg = f"Requested writing within range [{range_}], but tried writing to range [{declared}]"
        raise ApiError.invalid(msg)


def _counts(written: valueops.Written) -> dict[str, int]:
    """updatedRows/Columns count only rows and columns that got a value; nulls are skipped."""
    if not written.cells:
        return {}
    return {"updatedRows": written.rows, "updatedColumns": written.columns, "updatedCells": written.cells}


def _updated_data(sheet: Sheet, bounds: valueops.Bounds) -> dict[str, Any]:
    rows = valueops.read(sheet, bounds, option="FORMATTED_VALUE", date_option="SERIAL_NUMBER", major="ROWS")
    data: dict[str, Any] = {"range": range_text(sheet, bounds), "majorDimension": "ROWS"}
    if rows:
        data["values"] = rows
    return data


def _batch_totals(spreadsheet_id: str, responses: list[dict[str, Any]]) -> dict[str, Any]:
    answer: dict[str, Any] = {"spreadsheetId": spreadsheet_id}
    if responses:
        rows: set[tuple[str, int]] = set()
        cols: set[tuple[str, int]] = set()
        sheets: set[str] = set()
        for response in responses:
            title, _, cells = response["updatedRange"].rpartition("!")
            sheets.add(title)
            r0, r1, c0, c1 = _cells_bounds(cells)
            rows.update((title, r) for r in range(r0, r1))
            cols.update((title, c) for c in range(c0, c1))
        answer.update(
            totalUpdatedRows=len(rows),
            totalUpdatedColumns=len(cols),
            totalUpdatedCells=sum(r.get("updatedCells", 0) for r in responses),
            totalUpdatedSheets=len(sheets),
        )
    answer["responses"] = responses
    return answer


def _cells_bounds(cells: str) -> valueops.Bounds:
    a1 = parse_cells(cells, cells, None)
    return a1.row0 or 0, a1.row1 or 0, a1.col0 or 0, a1.col1 or 0
