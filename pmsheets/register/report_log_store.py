"""Appending rows to the register's tool-owned `Report log` tab, on either backend.

Like the Findings tab, the log is written without touching anything a PM typed: on a
workbook only the log sheet's part of the package is replaced (every other part is copied
byte for byte); on a Google Sheet the rows are appended with RAW input, so text stays text.
"""

from __future__ import annotations

import zipfile
from collections.abc import Sequence
from typing import Any

import openpyxl

from pmsheets.errors import RegisterError
from pmsheets.register import RegisterBackend
from pmsheets.register.locate import quote_range
from pmsheets.register.xlsx import XlsxRegister, _copy_package, _write_atomically
from pmsheets.register.xlsx_parts import PackageError, sheet_xml
from pmsheets.report_log import LOG_HEADERS, LOG_TITLE, LOG_WIDTHS
from pmsheets.schema import normalize

Rows = Sequence[Sequence[str]]


def append_report_log(backend: RegisterBackend, rows: Rows) -> None:
    if not rows:
        return
    if isinstance(backend, XlsxRegister):
        _append_to_workbook(backend, rows)
        return
    from pmsheets.register.sheets import SheetsRegister  # deferred: gspread is slow to import

    if isinstance(backend, SheetsRegister):
        _append_to_sheet(backend, rows)
        return
    msg = f"{backend.describe()} cannot hold a report log"
    raise RegisterError(msg)


# --- workbook ------------------------------------------------------------------------------------


def _append_to_workbook(register: XlsxRegister, rows: Rows) -> None:
    register._refuse_while_open()  # the same lock-file check the Findings write makes
    title, existing = _workbook_log(register)
    content = sheet_xml([list(LOG_HEADERS), *existing, *[list(row) for row in rows]], LOG_WIDTHS)
    try:
        with zipfile.ZipFile(register.path) as source:
            _write_atomically(register.path, lambda temp: _copy_package(source, temp, title, content))
    except (zipfile.BadZipFile, PackageError) as error:
        msg = f"{register.path} is not a readable .xlsx workbook ({error}); the Report log was not written."
        raise RegisterError(msg) from None


def _workbook_log(register: XlsxRegister) -> tuple[str, list[list[str]]]:
    """The log tab's exact title and its rows below the header, as text."""
    try:
        workbook = openpyxl.load_workbook(register.path, read_only=True)
    except (OSError, zipfile.BadZipFile, KeyError, ValueError) as error:
        msg = f"{register.path} is not a readable .xlsx workbook ({error})"
        raise RegisterError(msg) from None
    try:
        title = next((name for name in workbook.sheetnames if normalize(name) == normalize(LOG_TITLE)), None)
        if title is None:
            return LOG_TITLE, []
        sheet = workbook[title]
        sheet.reset_dimensions()
        rows = [[_text(value) for value in row] for row in sheet.iter_rows(min_row=2, values_only=True)]
        return title, [row for row in rows if any(row)]
    finally:
        workbook.close()


def _text(value: Any) -> str:
    return "" if value is None else str(value)


# --- Google Sheet ----------------------------------------------------------------------------------


def _append_to_sheet(register: Any, rows: Rows) -> None:
    """Adds the tab (with its header) when it is missing, then appends in one values:append."""
    register._metadata()  # fresh: another worker (or the last append) may have added the tab
    titles = list(register._sheet_ids or {})
    title = next((name for name in titles if normalize(name) == normalize(LOG_TITLE)), None)
    values = [list(row) for row in rows]
    if title is None:
        title = LOG_TITLE
        add = {"requests": [{"addSheet": {"properties": {"title": title, "gridProperties": {"frozenRowCount": 1}}}}]}
        register._call("add the Report log tab", lambda: register._http.batch_update(register._key, add))
        values.insert(0, list(LOG_HEADERS))
    params = {"valueInputOption": "RAW", "insertDataOption": "INSERT_ROWS"}
    register._call(
        "append to the Report log tab",
        lambda: register._http.values_append(register._key, f"{quote_range(title)}!A1", params=params, body={"values": values}),
    )
