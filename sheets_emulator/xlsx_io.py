"""Load a register workbook into the emulator, and save a spreadsheet back as a workbook."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import openpyxl

from sheets_emulator.model import DEFAULT_COLUMNS, DEFAULT_ROWS, Sheet
from sheets_emulator.store import Store
from sheets_emulator.valueops import number_format
from sheets_emulator.values import DATE_TYPES, Formula, evaluate, from_serial, to_serial

_DATE = {"userEnteredFormat": {"numberFormat": {"type": "DATE", "pattern": "yyyy-mm-dd"}}}
_DATE_TIME = {"userEnteredFormat": {"numberFormat": {"type": "DATE_TIME", "pattern": "yyyy-mm-dd hh:mm:ss"}}}
_TIME = {"userEnteredFormat": {"numberFormat": {"type": "TIME", "pattern": "hh:mm:ss"}}}


def load_workbook_into(store: Store, path: Path, *, shared_with: tuple[str, ...]) -> str:
    """Every tab of the workbook, values as typed; dates become serials with a DATE/DATE_TIME format."""
    workbook = openpyxl.load_workbook(path)
    try:
        titles = [ws.title for ws in workbook.worksheets]
        spreadsheet_id = store.create_spreadsheet(path.stem, sheets=titles, shared_with=shared_with)
        with store.transaction(spreadsheet_id) as ss:
            for ws, sheet in zip(workbook.worksheets, ss.sheets, strict=True):
                _fill(sheet, ws)
            ss.check_cell_limit()
    finally:
        workbook.close()
    return spreadsheet_id


def _fill(sheet: Sheet, ws: Any) -> None:
    rows, metas = [], []
    for values in ws.iter_rows(values_only=True):
        cells, meta = _convert_row(values)
        rows.append(cells)
        metas.append(meta)
    sheet.rows, sheet.meta = rows, metas
    sheet.own_new_rows(rows, metas)
    sheet.trim(range(len(rows)))
    sheet.grid["rowCount"] = max(DEFAULT_ROWS, len(rows))
    sheet.grid["columnCount"] = max(DEFAULT_COLUMNS, sheet.last_column_with_data())
    if ws.freeze_panes:
        _freeze(sheet, ws)


def _convert_row(values: tuple[Any, ...]) -> tuple[list[Any], dict[int, Any] | None]:
    cells: list[Any] = []
    meta: dict[int, Any] = {}
    for col, value in enumerate(values):
        cell, fmt = _convert(value)
        cells.append(cell)
        if fmt is not None:
            meta[col] = fmt
    return cells, meta or None


def _convert(value: Any) -> tuple[Any, dict[str, Any] | None]:
    if isinstance(value, dt.datetime):
        has_time = (value.hour, value.minute, value.second, value.microsecond) != (0, 0, 0, 0)
        return to_serial(value), _DATE_TIME if has_time else _DATE
    if isinstance(value, dt.date):
        return to_serial(value), _DATE
    if isinstance(value, dt.time):
        seconds = value.hour * 3600 + value.minute * 60 + value.second
        return seconds / 86400, _TIME
    if isinstance(value, str):
        if value.startswith("="):
            return Formula(value, evaluate(value)), None
        return value or None, None
    return value, None


def _freeze(sheet: Sheet, ws: Any) -> None:
    anchor = ws[ws.freeze_panes]
    if anchor.row > 1:
        sheet.grid["frozenRowCount"] = anchor.row - 1
    if anchor.column > 1:
        sheet.grid["frozenColumnCount"] = anchor.column - 1


def save_workbook_from(store: Store, spreadsheet_id: str, path: Path) -> Path:
    """Write every tab as a worksheet; date-formatted serials become real date cells."""
    with store.lock:
        ss = store.spreadsheet(spreadsheet_id)
        workbook = openpyxl.Workbook()
        workbook.remove(workbook.worksheets[0])  # the blank sheet every new workbook starts with
        for sheet in ss.sheets:
            _write_sheet(workbook.create_sheet(sheet.title), sheet)
    workbook.save(path)
    return path


def _write_sheet(ws: Any, sheet: Sheet) -> None:
    for r, row in enumerate(sheet.rows):
        meta = sheet.meta[r] or {}
        ws.append([_cell_for_xlsx(v, number_format(meta.get(c))) for c, v in enumerate(row)])
    frozen_rows = int(sheet.grid.get("frozenRowCount", 0))
    frozen_cols = int(sheet.grid.get("frozenColumnCount", 0))
    if frozen_rows or frozen_cols:
        ws.freeze_panes = ws.cell(row=frozen_rows + 1, column=frozen_cols + 1)


def _cell_for_xlsx(value: Any, fmt: dict[str, Any] | None) -> Any:
    if isinstance(value, Formula):
        return value.text
    if isinstance(value, (int, float)) and not isinstance(value, bool) and fmt and fmt.get("type") in DATE_TYPES:
        moment = from_serial(value)
        if fmt["type"] == "DATE":
            return moment.date()
        if fmt["type"] == "TIME":
            return moment.time()
        return moment
    return value
