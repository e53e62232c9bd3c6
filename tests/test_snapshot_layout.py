"""The snapshot as the ops review reads and prints it: findings that point at the right row, readable headers, print setup."""

from __future__ import annotations

import math
import shutil
import subprocess
from pathlib import Path

import openpyxl
import pytest
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from pmsheets.core.check import validate
from pmsheets.core.policy import Policy
from pmsheets.core.schema import ParseSettings
from pmsheets.model import Finding, Level
from pmsheets.outputs import snapshot as snapshot_module
from pmsheets.outputs.snapshot import TREND_AXIS_TITLE, TREND_CHART_TITLE, write_snapshot
from tests.builders import AS_OF, UTC
from tests.report_fixtures import sample_overdue, sample_tables

SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")


def sample_findings() -> list[Finding]:
    return list(validate(sample_tables(), as_of=AS_OF, policy=Policy(timezone=UTC), settings=ParseSettings(timezone=UTC)).findings)


@pytest.fixture
def workbook(tmp_path: Path) -> openpyxl.Workbook:
    path = tmp_path / "snapshot.xlsx"
    write_snapshot(path, overdue=sample_overdue(), findings=sample_findings())
    return openpyxl.load_workbook(path)


# --- findings point at the right row -------------------------------------------------------------


def test_findings_name_the_register_cell_as_such(workbook: openpyxl.Workbook) -> None:
    headers = [cell.value for cell in workbook["Findings"][1]]
    assert "Register cell" in headers
    assert "Cell" not in headers


def followed(workbook: openpyxl.Workbook, location: str) -> tuple[str, int]:
    sheet, _, cell = location.rpartition("!")
    return sheet.strip("'"), int(cell.lstrip("A"))


def test_each_finding_links_to_the_row_of_its_action_or_incident(workbook: openpyxl.Workbook) -> None:
    findings = workbook["Findings"]
    headers = [cell.value for cell in findings[1]]
    column = {name: index for index, name in enumerate(headers)}
    followed_rows = 0
    for row in findings.iter_rows(min_row=2):
        link = row[column["In this snapshot"]].hyperlink
        action, incident = row[column["Action"]].value, row[column["Incident"]].value
        if link is None:
            assert action is None
            assert incident is None
            continue
        title, number = followed(workbook, link.location)
        target_id = workbook[title].cell(row=number, column=1).value
        assert target_id == (action if title == "Actions" else incident)
        followed_rows += 1
    assert followed_rows >= 3


def test_a_finding_on_an_incident_cell_links_to_the_incident_row(tmp_path: Path) -> None:
    path = tmp_path / "snapshot.xlsx"
    finding = Finding("review-overdue", Level.ERROR, "late", "INC-4", None, "Incidents!N5")
    write_snapshot(path, overdue=sample_overdue(), findings=[finding])
    link = openpyxl.load_workbook(path)["Findings"]["F2"]
    assert (link.value, link.hyperlink.location) == ("Incidents row 5", "Incidents!A5")
    assert openpyxl.load_workbook(path)["Incidents"]["A5"].value == "INC-4"


def test_a_finding_past_excels_row_limit_links_to_the_continued_sheet(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(snapshot_module, "MAX_DATA_ROWS", 3)
    path = tmp_path / "snapshot.xlsx"
    write_snapshot(path, overdue=sample_overdue(), findings=[Finding("x", Level.ERROR, "m", "INC-1", "ACT-005", "Actions!G6")])
    book = openpyxl.load_workbook(path)
    link = book["Findings"]["F2"].hyperlink
    assert link.location == "'Actions (2)'!A3"
    assert book["Actions (2)"]["A3"].value == "ACT-005"


# --- readable ------------------------------------------------------------------------------------

CHAR_WIDTH = 1.15
"""A bold character's width in column-width units, with some margin (Calibri 11 bold)."""


def lines_needed(text: str, width: float) -> int:
    room = int(width / CHAR_WIDTH)
    lines, used = 1, 0
    for word in text.split():
        if len(word) > room:
            return math.inf  # type: ignore[return-value]
        if used and used + 1 + len(word) > room:
            lines, used = lines + 1, len(word)
        else:
            used += (1 if used else 0) + len(word)
    return lines


def header_lines(sheet: Worksheet, row: int = 1) -> list[tuple[str, int, int]]:
    height = sheet.row_dimensions[row].height or 15
    return [
        (str(cell.value), lines_needed(str(cell.value), sheet.column_dimensions[get_column_letter(cell.column)].width), int(height // 15))
        for cell in sheet[row]
        if cell.value
    ]


@pytest.mark.parametrize("title", ["Incidents", "Actions", "Overdue", "Findings"])
def test_every_header_fits_its_column_wrapped(workbook: openpyxl.Workbook, title: str) -> None:
    sheet = workbook[title]
    assert sheet["A1"].alignment.wrap_text
    too_long = [(header, lines, room) for header, lines, room in header_lines(sheet) if lines > room]
    assert not too_long


def test_summary_trend_headers_fit_their_columns_wrapped(workbook: openpyxl.Workbook) -> None:
    summary = workbook["Summary"]
    row = next(cell.row for cell in summary["A"] if str(cell.value).startswith("Trend"))
    headers = header_lines(summary, row)[1:]
    assert len(headers) == 6
    assert not [(header, lines, room) for header, lines, room in headers if lines > room]


def test_three_post_mortem_headers_can_be_told_apart(workbook: openpyxl.Workbook) -> None:
    sheet = workbook["Incidents"]
    headers = [header for header, lines, room in header_lines(sheet) if header.startswith("Post-mortem") and lines <= room]
    assert len(headers) == 4


def test_summary_as_of_time_fits_its_cell(workbook: openpyxl.Workbook) -> None:
    summary = workbook["Summary"]
    assert summary["A2"].value == "As of"
    shown = summary["B2"].value.strftime("%Y-%m-%d %H:%M")
    assert summary["B2"].number_format == "yyyy-mm-dd hh:mm"
    assert len(shown) + 1 <= summary.column_dimensions["B"].width  # a column's width is counted in digits


# --- print setup ---------------------------------------------------------------------------------


def test_every_sheet_prints_landscape_one_page_wide(workbook: openpyxl.Workbook) -> None:
    for sheet in workbook:
        setup = (sheet.page_setup.orientation, sheet.page_setup.fitToWidth, sheet.page_setup.fitToHeight)
        assert setup == ("landscape", 1, 0), sheet.title
        assert sheet.sheet_properties.pageSetUpPr.fitToPage, sheet.title


def test_every_data_sheet_repeats_its_header_row_on_each_page(workbook: openpyxl.Workbook) -> None:
    assert {sheet.title: sheet.print_title_rows for sheet in workbook if sheet.title != "Summary"} == dict.fromkeys(
        ["Incidents", "Actions", "Overdue", "Findings"], "$1:$1"
    )


@pytest.mark.skipif(SOFFICE is None, reason="LibreOffice (soffice) is not installed; `make libreoffice` installs it")
def test_libreoffice_prints_each_summary_chart_whole_on_one_page(tmp_path: Path) -> None:
    pypdf = pytest.importorskip("pypdf")
    path = tmp_path / "snapshot.xlsx"
    write_snapshot(path, overdue=sample_overdue(), findings=sample_findings())
    command = [
        SOFFICE,
        "--headless",
        f"-env:UserInstallation={(tmp_path / 'profile').as_uri()}",
        "--convert-to",
        "pdf",
        "--outdir",
        str(tmp_path),
        str(path),
    ]
    subprocess.run(command, check=True, capture_output=True, timeout=180)
    pages = [page.extract_text() for page in pypdf.PdfReader(tmp_path / "snapshot.pdf").pages]
    for top, bottom in ((TREND_CHART_TITLE, TREND_AXIS_TITLE), ("Overdue items by age", "Days overdue")):
        with_top = [number for number, text in enumerate(pages) if top in text]
        with_bottom = [number for number, text in enumerate(pages) if bottom in text]
        assert with_top == with_bottom == [0], (top, with_top, with_bottom)
    assert all(page.mediabox.width > page.mediabox.height for page in pypdf.PdfReader(tmp_path / "snapshot.pdf").pages)
