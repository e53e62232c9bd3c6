"""The calamine reader hands over what the openpyxl reader did: same values, types, dates, errors, layout."""

from __future__ import annotations

import re
import zipfile
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from pmsheets.register import every_tab
from pmsheets.register.xlsx_read import READER_VARIABLE, Unreadable, read_tables, read_with_calamine, read_with_openpyxl

READERS = {"calamine": read_with_calamine, "openpyxl": read_with_openpyxl}


def trimmed(tables: dict[str, list[tuple[Any, ...]]]) -> dict[str, list[list[Any]]]:
    """Rows without their trailing blanks: how far a row is padded differs between readers, and schema ignores it."""
    out: dict[str, list[list[Any]]] = {}
    for title, rows in tables.items():
        out[title] = [list(row) for row in rows]
        for row in out[title]:
            while row and row[-1] is None:
                row.pop()
    return out


def odd_workbook(path: Path) -> Path:
    """Leading blank rows and columns, every value type a PM can leave, and cached error results."""
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "Odd"
    sheet["B3"] = "text"
    sheet["C2"] = datetime(2026, 11, 26, 9, 30)
    sheet["C2"].number_format = "yyyy-mm-dd hh:mm"
    sheet["D2"] = date(2026, 11, 26)
    sheet["E2"] = 3
    sheet["F2"] = 3.5
    sheet["G2"] = True
    sheet["H2"] = "=1/0"
    sheet["I2"] = time(9, 30)
    sheet["J2"] = 45000
    sheet["J2"].number_format = "yyyy-mm-dd"
    sheet["K2"] = "#N/A"
    sheet["L2"] = "   "
    sheet["M2"] = 1e20
    sheet["N2"] = timedelta(hours=30)
    sheet["O4"] = -7
    workbook.create_sheet("Second")["A1"] = "header"
    workbook.save(path)
    _cache_error(path, b'<c r="H2"><f>1/0</f><v></v></c>', b'<c r="H2" t="e"><f>1/0</f><v>#DIV/0!</v></c>')
    return path


def _cache_error(path: Path, before: bytes, after: bytes) -> None:
    """openpyxl cannot save a formula's cached result; Excel would have stored the error like this."""
    with zipfile.ZipFile(path) as source:
        parts = {info.filename: source.read(info) for info in source.infolist()}
    assert before in parts["xl/worksheets/sheet1.xml"]
    parts["xl/worksheets/sheet1.xml"] = parts["xl/worksheets/sheet1.xml"].replace(before, after)
    with zipfile.ZipFile(path, "w") as target:
        for name, data in parts.items():
            target.writestr(name, data)


@pytest.mark.parametrize("reader", READERS)
def test_each_reader_gives_the_typed_values_schema_expects(tmp_path: Path, reader: str) -> None:
    row = trimmed(READERS[reader](odd_workbook(tmp_path / "odd.xlsx"), every_tab))["Odd"][1]
    expected: list[Any] = [None, None, datetime(2026, 11, 26, 9, 30), datetime(2026, 11, 26), 3, 3.5, True, "#DIV/0!"]
    expected += [time(9, 30), datetime(2023, 3, 15), "#N/A", "   ", 1e20, timedelta(hours=30)]
    assert list(row) == expected


def test_calamine_reads_exactly_what_openpyxl_reads(tmp_path: Path) -> None:
    path = odd_workbook(tmp_path / "odd.xlsx")
    by_calamine, by_openpyxl = trimmed(read_with_calamine(path, every_tab)), trimmed(read_with_openpyxl(path, every_tab))
    assert by_calamine == by_openpyxl
    assert [type(value) for row in by_calamine["Odd"] for value in row] == [type(value) for row in by_openpyxl["Odd"] for value in row]


def without_cell_references(path: Path) -> Path:
    """The workbook as a writer that leaves out r="B7" on every cell and r="7" on every row (each follows the one
    before) would store it."""
    with zipfile.ZipFile(path) as source:
        parts = {info.filename: source.read(info) for info in source.infolist()}
    sheet = parts["xl/worksheets/sheet1.xml"]
    parts["xl/worksheets/sheet1.xml"] = re.sub(rb'(<c|<row) r="[A-Z]*\d+"', rb"\1", sheet)
    assert b' r="' not in parts["xl/worksheets/sheet1.xml"]
    with zipfile.ZipFile(path, "w") as target:
        for name, data in parts.items():
            target.writestr(name, data)
    return path


def error_row_workbook(path: Path) -> Path:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "Errors"
    sheet.append(["ID", "Impact minutes", "Title"])
    sheet.append(["INC-1", "=1/0", "checkout down"])
    sheet.append(["INC-2", 30, "=NA()"])
    workbook.save(path)
    _cache_error(path, b'<c r="B2"><f>1/0</f><v></v></c>', b'<c r="B2" t="e"><f>1/0</f><v>#DIV/0!</v></c>')
    _cache_error(path, b'<c r="C3"><f>NA()</f><v></v></c>', b'<c r="C3" t="e"><f>NA()</f><v>#N/A</v></c>')
    return path


@pytest.mark.parametrize("reader", READERS)
def test_error_cells_without_their_reference_are_placed_by_counting(tmp_path: Path, reader: str) -> None:
    path = without_cell_references(error_row_workbook(tmp_path / "errors.xlsx"))
    rows = trimmed(READERS[reader](path, every_tab))["Errors"]
    assert rows[1:] == [["INC-1", "#DIV/0!", "checkout down"], ["INC-2", 30, "#N/A"]]


def test_the_filter_leaves_unwanted_tabs_unread(tmp_path: Path) -> None:
    assert list(read_with_calamine(odd_workbook(tmp_path / "odd.xlsx"), lambda title: title == "Second")) == ["Second"]


def test_the_environment_variable_selects_openpyxl(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = odd_workbook(tmp_path / "odd.xlsx")
    monkeypatch.setenv(READER_VARIABLE, "openpyxl")
    with pytest.raises(Unreadable):
        read_tables(tmp_path / "missing.xlsx", every_tab)
    assert trimmed(read_tables(path, every_tab)) == trimmed(read_with_calamine(path, every_tab))


@pytest.mark.parametrize("reader", READERS)
def test_a_file_that_is_not_a_workbook_is_unreadable(tmp_path: Path, reader: str) -> None:
    path = tmp_path / "notes.xlsx"
    path.write_text("not a zip", encoding="utf-8")
    with pytest.raises(Unreadable):
        READERS[reader](path, every_tab)


def _zip_without_workbook(path: Path) -> Path:
    with zipfile.ZipFile(path, "w") as package:
        package.writestr("notes.txt", "not a workbook")
    return path


@pytest.mark.parametrize("reader", ["calamine", "openpyxl"])
def test_a_zip_without_a_workbook_is_explained_the_same_by_both_readers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, reader: str
) -> None:
    monkeypatch.setenv(READER_VARIABLE, reader)
    with pytest.raises(Unreadable, match=r"^a zip archive without a workbook inside: no \[Content_Types\]\.xml or _rels/\.rels$"):
        read_tables(_zip_without_workbook(tmp_path / "register.xlsx"), every_tab)


@pytest.mark.parametrize("reader", ["calamine", "openpyxl"])
def test_a_file_that_is_no_zip_is_explained_the_same_by_both_readers(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, reader: str) -> None:
    monkeypatch.setenv(READER_VARIABLE, reader)
    path = tmp_path / "register.xlsx"
    path.write_text("Incident ID,Title\n", encoding="utf-8")
    with pytest.raises(Unreadable, match=r"^the file is not a zip archive, as every \.xlsx file is$"):
        read_tables(path, every_tab)
