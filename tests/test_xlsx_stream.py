"""Rows streamed into an openpyxl-made package read back as openpyxl itself would have written them."""

from __future__ import annotations

import io
import zipfile
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

import openpyxl
import pytest
from openpyxl import Workbook
from openpyxl.styles import Font

from pmsheets.outputs.xlsx_stream import Kind, StreamedSheet, Styles, fill_package
from pmsheets.register.xlsx_parts import PackageError

KINDS = [Kind.TEXT, Kind.NUMBER, Kind.DATE, Kind.DATETIME, Kind.LINK]
BERLIN_WINTER = timezone(timedelta(hours=1))


def skeleton() -> tuple[bytes, Styles]:
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("Data")
    sheet.append(["Text", "Number", "Date", "Time", "Link"])
    sheet.auto_filter.ref = "A1:E3"
    link_font = Font(color="0563C1", underline="single")
    styles = Styles.registered(sheet, date_format="yyyy-mm-dd", datetime_format="yyyy-mm-dd hh:mm", link_font=link_font)
    stream = io.BytesIO()
    workbook.save(stream)
    return stream.getvalue(), styles


def filled(rows: list[list[Any]], *, max_hyperlinks: int = 100) -> openpyxl.Workbook:
    package, styles = skeleton()
    out = io.BytesIO()
    fill_package(package, out, {"Data": StreamedSheet(KINDS, rows, BERLIN_WINTER, max_hyperlinks)}, styles)
    out.seek(0)
    return openpyxl.load_workbook(out)


def test_rows_follow_the_header_row_and_keep_the_filter() -> None:
    sheet = filled([["a", 1, None, None, None], ["b", 2, None, None, None]])["Data"]
    assert [[c.value for c in row[:2]] for row in sheet.iter_rows()] == [["Text", "Number"], ["a", 1], ["b", 2]]
    assert sheet.auto_filter.ref == "A1:E3"


def test_dates_are_date_cells_in_the_date_format() -> None:
    cell = filled([[None, None, date(2026, 11, 27), None, None]])["Data"]["C2"]
    assert (cell.value, cell.number_format) == (datetime(2026, 11, 27), "yyyy-mm-dd")


def test_aware_times_are_written_in_the_sheet_time_zone() -> None:
    moment = datetime(2026, 11, 27, 8, 30, tzinfo=UTC)
    cell = filled([[None, None, None, moment, None]])["Data"]["D2"]
    assert (cell.value, cell.number_format) == (datetime(2026, 11, 27, 9, 30), "yyyy-mm-dd hh:mm")


def test_a_time_in_a_date_column_gets_the_date_format() -> None:
    cell = filled([[None, None, datetime(2026, 11, 27, 8, 30), None, None]])["Data"]["C2"]
    assert cell.number_format == "yyyy-mm-dd"


@pytest.mark.parametrize("text", ["=1+1", "+1", "-1", "@SUM(A1)"])
def test_formula_like_text_is_quote_prefixed_text(text: str) -> None:
    cell = filled([[text, None, None, None, None]])["Data"]["A2"]
    assert (cell.value, cell.data_type, cell.quotePrefix) == (text, "s", True)


@pytest.mark.parametrize("text", ["  lead and trail  ", "a & b <c> d", "line\r\nbreak", "tab\tin", "#REF!", "ünïcode ✓"])
def test_text_reads_back_exactly(text: str) -> None:
    assert filled([[text, None, None, None, None]])["Data"]["A2"].value == text


def test_characters_xml_cannot_hold_are_dropped() -> None:
    assert filled([["bell\x07 ok", None, None, None, None]])["Data"]["A2"].value == "bell ok"


def test_web_links_in_link_columns_are_hyperlinks() -> None:
    cell = filled([[None, None, None, None, "https://tracker.example/T-1?a=1&b=2"]])["Data"]["E2"]
    assert cell.hyperlink.target == "https://tracker.example/T-1?a=1&b=2"
    assert cell.font.u == "single"


def test_other_text_in_link_columns_stays_plain_text() -> None:
    cell = filled([[None, None, None, None, "JIRA-12"]])["Data"]["E2"]
    assert (cell.value, cell.hyperlink) == ("JIRA-12", None)


def test_links_past_the_per_sheet_limit_stay_as_text() -> None:
    rows = [[None, None, None, None, f"https://tracker.example/{n}"] for n in range(3)]
    sheet = filled(rows, max_hyperlinks=2)["Data"]
    assert [c.hyperlink is not None for c in sheet["E"][1:]] == [True, True, False]
    assert sheet["E4"].value == "https://tracker.example/2"


def test_a_sheet_the_skeleton_lacks_is_refused() -> None:
    package, styles = skeleton()
    with pytest.raises(PackageError, match="no sheet named 'Missing'"):
        fill_package(package, io.BytesIO(), {"Missing": StreamedSheet(KINDS, [], BERLIN_WINTER)}, styles)


def test_other_parts_are_copied_unchanged() -> None:
    package, styles = skeleton()
    out = io.BytesIO()
    fill_package(package, out, {"Data": StreamedSheet(KINDS, [["a", 1, None, None, None]], BERLIN_WINTER)}, styles)
    with zipfile.ZipFile(io.BytesIO(package)) as before, zipfile.ZipFile(out) as after:
        unchanged = [name for name in before.namelist() if "worksheets/" not in name]
        assert all(before.read(name) == after.read(name) for name in unchanged)


def test_the_same_link_on_many_rows_is_a_hyperlink_on_each() -> None:
    rows = [["same", None, None, None, "https://tracker.example/T-1"] for _ in range(3)]
    sheet = filled(rows)["Data"]
    assert [c.hyperlink.target for c in sheet["E"][1:]] == ["https://tracker.example/T-1"] * 3
    assert [c.value for c in sheet["A"][1:]] == ["same"] * 3


def _packaged(rows: list[list[Any]]) -> bytes:
    package, styles = skeleton()
    out = io.BytesIO()
    fill_package(package, out, {"Data": StreamedSheet(KINDS, rows, BERLIN_WINTER)}, styles)
    return out.getvalue()


GAPPY_ROWS: list[list[Any]] = [["a", None, None, None, "after a gap"], [None, 2, "", 3.5, None], ["", None, None, None, "x"]]


def test_cells_after_blank_ones_keep_their_column_in_openpyxl() -> None:
    sheet = openpyxl.load_workbook(io.BytesIO(_packaged(GAPPY_ROWS)))["Data"]
    values = [[cell.value for cell in row] for row in sheet.iter_rows(min_row=2, max_col=5)]
    assert values == [["a", None, None, None, "after a gap"], [None, 2, None, 3.5, None], [None, None, None, None, "x"]]


def test_cells_after_blank_ones_keep_their_column_in_calamine() -> None:
    from python_calamine import CalamineWorkbook

    rows = CalamineWorkbook.from_filelike(io.BytesIO(_packaged(GAPPY_ROWS))).get_sheet_by_name("Data").to_python()
    assert [row[:5] for row in rows[1:]] == [["a", "", "", "", "after a gap"], ["", 2, "", 3.5, ""], ["", "", "", "", "x"]]
