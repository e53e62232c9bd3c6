"""Reading a workbook's tabs as raw rows: python-calamine (Rust) by default, openpyxl as the fallback.

Both readers hand over exactly what schema expects from a workbook: each tab's rows from A1,
blank cells as None, dates as datetime, whole numbers as int, error cells as their text
("#DIV/0!"). calamine reads a 10k-incident register in a fraction of openpyxl's time; its
Python binding shows an error cell as blank, so the error cells are taken from the sheet's XML
(a sheet without one, nearly all, costs a byte search). `PMSHEETS_XLSX_READER=openpyxl` selects
the older reader, should a workbook ever read differently.
"""

from __future__ import annotations

import os
import re
import zipfile
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path
from typing import Any

from pmsheets.core.schema import column_index

Tables = dict[str, list[tuple[Any, ...]]]
TabFilter = Callable[[str], bool]
READER_VARIABLE = "PMSHEETS_XLSX_READER"


class Unreadable(Exception):
    """The workbook, or one tab of it (`tab`), cannot be read; the message says why."""

    def __init__(self, reason: str, tab: str | None = None) -> None:
        super().__init__(reason)
        self.tab = tab


def read_tables(path: Path, wanted: TabFilter) -> Tables:
    """The wanted worksheets' rows, in tab order (chart sheets have no cells and are left out)."""
    problem = package_problem(path)
    if problem is not None:
        raise Unreadable(problem)
    if os.environ.get(READER_VARIABLE, "").strip().lower() == "openpyxl":
        return read_with_openpyxl(path, wanted)
    return read_with_calamine(path, wanted)


def package_problem(path: Path) -> str | None:
    """Why the file cannot be an .xlsx package at all, in the same words whichever reader is in use
    (each library words it its own way); None when it looks like one."""
    try:
        with zipfile.ZipFile(path) as package:
            names = set(package.namelist())
    except zipfile.BadZipFile:
        return "the file is not a zip archive, as every .xlsx file is"
    except OSError:
        return None  # the reader reports it, with the system's reason
    missing = [name for name in ("[Content_Types].xml", "_rels/.rels") if name not in names]
    return f"a zip archive without a workbook inside: no {' or '.join(missing)}" if missing else None


def read_with_calamine(path: Path, wanted: TabFilter) -> Tables:
    from python_calamine import CalamineWorkbook, SheetTypeEnum

    try:
        workbook = CalamineWorkbook.from_path(str(path))
    except Exception as error:  # noqa: BLE001 - calamine raises its own errors, and ValueError/OSError for odd packages
        raise Unreadable(_reason(error)) from None
    try:
        titles = [sheet.name for sheet in workbook.sheets_metadata if sheet.typ == SheetTypeEnum.WorkSheet and wanted(sheet.name)]
        tables: Tables = {}
        for title in titles:
            try:
                rows = workbook.get_sheet_by_name(title).to_python(skip_empty_area=False)
                tables[title] = [tuple([_plain(value) for value in row]) for row in rows]
            except Exception as error:  # noqa: BLE001 - whatever the reader trips on, the message names the tab
                raise Unreadable(_reason(error), tab=title) from None
        if tables:
            _put_error_cells(path, tables)
        return tables
    finally:
        workbook.close()


def _plain(value: Any) -> Any:
    """calamine's value as openpyxl gives it: '' is a blank cell, a date cell a datetime, 3.0 the int 3."""
    kind = type(value)
    if kind is str:
        return value or None
    if kind is float:
        if value.is_integer() and -(2**53) < value < 2**53:
            return int(value)
        if value - value != 0:  # inf or nan: a number too long for a float (openpyxl refuses it too)
            msg = f"the number {value} is out of range"
            raise ValueError(msg)
        return value
    if kind is date:
        return datetime(value.year, value.month, value.day)  # noqa: DTZ001 - a cell's time is naive; schema applies the zone
    return value


_ERROR_CELL = re.compile(rb"<(?:\w+:)?c\b([^>]*)>(?:(?!</(?:\w+:)?c>).)*?<(?:\w+:)?v>([^<]*)</(?:\w+:)?v>", re.DOTALL)
_TYPE_ERROR = re.compile(rb"""\bt\s*=\s*["']e["']""")
_REF = re.compile(rb"""\br\s*=\s*["']([A-Z]+)(\d+)["']""")
_ROW_OR_CELL = re.compile(rb"<(?:\w+:)?(row|c)\b([^>]*?)(/?)>")
_ROW_NUMBER = re.compile(rb"""\br\s*=\s*["'](\d+)["']""")
_CELL_BODY = re.compile(rb"(.*?)</(?:\w+:)?c>", re.DOTALL)
_VALUE = re.compile(rb"<(?:\w+:)?v>([^<]*)</(?:\w+:)?v>")


def _put_error_cells(path: Path, tables: Tables) -> None:
    from pmsheets.register.xlsx_parts import sheet_parts

    try:
        with zipfile.ZipFile(path) as package:
            parts = sheet_parts(package)
            for title, rows in tables.items():
                part = parts.get(title)
                xml = package.read(part) if part else b""
                if b'"e"' in xml or b"'e'" in xml:
                    tables[title] = _with_errors(rows, xml)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as error:
        raise Unreadable(_reason(error)) from None


def _with_errors(rows: list[tuple[Any, ...]], xml: bytes) -> list[tuple[Any, ...]]:
    patched = {index: list(row) for index, row in enumerate(rows)}
    errors = _errors_by_reference(xml)
    if errors is None:
        errors = _errors_in_order(xml)
    for (row, column), value in errors.items():
        if row < len(rows) and column < len(rows[row]):
            patched[row][column] = value
    return [tuple(cells) for cells in patched.values()]


def _errors_by_reference(xml: bytes) -> dict[tuple[int, int], str] | None:
    """(row, column) from 0 -> the error's text, found by pattern: fast, but only while every error cell names its place."""
    errors = {}
    for attributes, value in _ERROR_CELL.findall(xml):
        if not _TYPE_ERROR.search(attributes):
            continue
        ref = _REF.search(attributes)
        if ref is None:
            return None
        errors[int(ref.group(2)) - 1, column_index(ref.group(1).decode())] = value.decode("utf-8")
    return errors


def _errors_in_order(xml: bytes) -> dict[tuple[int, int], str]:
    """The same, for a sheet whose cells may leave out r="B7" (allowed when a cell follows the one before, and
    rows likewise): each cell is placed by counting, as spreadsheet programs read it."""
    errors: dict[tuple[int, int], str] = {}
    row = column = -1
    for tag in _ROW_OR_CELL.finditer(xml):
        name, attributes, empty = tag.groups()
        if name == b"row":
            number = _ROW_NUMBER.search(attributes)
            row, column = (int(number.group(1)) - 1 if number else row + 1), -1
            continue
        ref = _REF.search(attributes)
        row, column = (int(ref.group(2)) - 1, column_index(ref.group(1).decode())) if ref else (row, column + 1)
        if not empty and _TYPE_ERROR.search(attributes):
            body = _CELL_BODY.match(xml, tag.end())
            value = _VALUE.search(body.group(1)) if body else None
            if value is not None:
                errors[row, column] = value.group(1).decode("utf-8")
    return errors


def read_with_openpyxl(path: Path, wanted: TabFilter) -> Tables:
    import openpyxl

    try:
        # data_only: the checks need what the PM sees, not the formula behind it.
        workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as error:  # noqa: BLE001 - openpyxl raises anything from zipfile, XML and its own checks
        raise Unreadable(_reason(error)) from None
    try:
        tables: Tables = {}
        for sheet in workbook.worksheets:
            if not wanted(sheet.title):
                continue
            # Some writers store a wrong sheet size; recomputing it reads every row that has data.
            sheet.reset_dimensions()
            try:
                tables[sheet.title] = [tuple(row) for row in sheet.iter_rows(values_only=True)]
            except Exception as error:  # noqa: BLE001 - whatever the reader trips on, the message names the tab
                raise Unreadable(_reason(error), tab=sheet.title) from None
        return tables
    finally:
        workbook.close()


def _reason(error: BaseException) -> str:
    return str(error) or type(error).__name__
