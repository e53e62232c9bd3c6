"""The Excel snapshot: sheets, typed cells, formatting, links, text that stays text, and LibreOffice opening it."""

from __future__ import annotations

import csv
import io
import shutil
import subprocess
import zipfile
from datetime import date
from pathlib import Path

import openpyxl
import pytest
from openpyxl.worksheet.worksheet import Worksheet

from pmsheets.model import Finding, Level
from pmsheets.outputs import snapshot
from pmsheets.outputs.snapshot import SnapshotError, default_path, write_snapshot
from tests.builders import AS_OF, UTC
from tests.report_fixtures import sample_overdue

FINDINGS = [Finding("action-link-invalid", Level.WARNING, "=cmd|' /C calc'!A0", "INC-2", "ACT-007", "Actions!G8")]


@pytest.fixture
def snapshot_path(tmp_path: Path) -> Path:
    path = tmp_path / "snapshot.xlsx"
    write_snapshot(path, overdue=sample_overdue(), findings=FINDINGS)
    return path


@pytest.fixture
def workbook(snapshot_path: Path) -> openpyxl.Workbook:
    return openpyxl.load_workbook(snapshot_path)


def row_of(sheet: Worksheet, first_value: str) -> tuple[openpyxl.cell.Cell, ...]:
    return next(row for row in sheet.iter_rows() if row[0].value == first_value)


def test_snapshot_has_the_five_sheets_in_order(workbook: openpyxl.Workbook) -> None:
    assert workbook.sheetnames == ["Summary", "Incidents", "Actions", "Overdue", "Findings"]


def test_snapshot_default_path_is_dated_in_the_team_time_zone(tmp_path: Path) -> None:
    assert default_path(tmp_path, AS_OF, UTC) == tmp_path / "snapshot-2026-11-27.xlsx"


@pytest.mark.parametrize("sheet", ["Incidents", "Actions", "Overdue", "Findings"])
def test_snapshot_data_sheets_have_frozen_bold_filtered_headers(workbook: openpyxl.Workbook, sheet: str) -> None:
    ws = workbook[sheet]
    assert ws.freeze_panes == "A2"
    assert all(cell.font.b for cell in ws[1])
    assert ws.auto_filter.ref == f"A1:{ws.cell(1, ws.max_column).column_letter}{ws.max_row}"


def test_snapshot_sets_column_widths(workbook: openpyxl.Workbook) -> None:
    assert workbook["Actions"].column_dimensions["C"].width == 40


def test_snapshot_due_dates_are_date_cells(workbook: openpyxl.Workbook) -> None:
    due = row_of(workbook["Actions"], "ACT-001")[5]
    assert (due.is_date, due.value.date(), due.number_format) == (True, date(2026, 11, 20), "yyyy-mm-dd")


def test_snapshot_times_are_date_cells_in_the_team_time_zone(workbook: openpyxl.Workbook) -> None:
    resolved = row_of(workbook["Incidents"], "INC-3")[4]
    assert (resolved.is_date, resolved.value.hour, resolved.number_format) == (True, 9, "yyyy-mm-dd hh:mm")


def test_snapshot_formula_like_text_stays_text(workbook: openpyxl.Workbook) -> None:
    link = row_of(workbook["Actions"], "ACT-007")[9]
    assert (link.value, link.data_type, link.quotePrefix) == ('=HYPERLINK("x")', "s", True)


def test_snapshot_package_holds_no_formula(snapshot_path: Path) -> None:
    with zipfile.ZipFile(snapshot_path) as package:
        sheets = [name for name in package.namelist() if name.startswith("xl/worksheets/sheet")]
        assert sheets
        assert not any(b"<f>" in package.read(name) or b"<f " in package.read(name) for name in sheets)


def test_snapshot_finding_message_starting_with_equals_is_text(workbook: openpyxl.Workbook) -> None:
    message = workbook["Findings"]["G2"]
    assert (message.value, message.data_type) == ("=cmd|' /C calc'!A0", "s")


def test_snapshot_tracking_links_are_hyperlinks(workbook: openpyxl.Workbook) -> None:
    doc = row_of(workbook["Incidents"], "INC-1")[16]
    assert doc.hyperlink.target == "https://docs.example.com/pm"


def test_snapshot_issue_keys_are_not_hyperlinks(workbook: openpyxl.Workbook) -> None:
    assert row_of(workbook["Actions"], "ACT-001")[9].hyperlink is None


def test_snapshot_highlights_overdue_actions_by_conditional_formatting(workbook: openpyxl.Workbook) -> None:
    rules = {str(cf.sqref): [r.formula for r in cf.rules] for cf in workbook["Actions"].conditional_formatting}
    assert rules == {"A2:J8": [["$I2>0"]]}


def test_snapshot_overdue_sheet_colours_by_escalation_level(workbook: openpyxl.Workbook) -> None:
    [cf] = list(workbook["Overdue"].conditional_formatting)
    assert [r.formula for r in cf.rules] == [['$A2="ops review"'], ['$A2="manager"']]


def test_snapshot_overdue_sheet_lists_items_with_level(workbook: openpyxl.Workbook) -> None:
    rows = list(workbook["Overdue"].iter_rows(min_row=2, values_only=True))
    assert [(r[0], r[2], r[10]) for r in rows] == [
        ("ops review", "ACT-003", 38),
        ("ops review", "ACT-004", 1),
        ("manager", "ACT-002", 8),
        ("owner", "ACT-001", 7),
        ("owner", "INC-4", 4),
        ("owner", "INC-3", 1),
    ]


def test_snapshot_summary_headline_counts(workbook: openpyxl.Workbook) -> None:
    summary = workbook["Summary"]
    assert row_of(summary, "Overdue actions")[1].value == 4
    assert row_of(summary, "Post-mortems with an overdue draft or review")[1].value == 2


def test_snapshot_summary_compliance_is_a_percentage(workbook: openpyxl.Workbook) -> None:
    drafted = row_of(workbook["Summary"], "Required post-mortems drafted within 48 h")
    assert (drafted[1].value, drafted[1].number_format, drafted[2].value, drafted[3].value) == (0.75, "0%", 3, 4)


def test_snapshot_summary_has_a_native_bar_chart(snapshot_path: Path) -> None:
    with zipfile.ZipFile(snapshot_path) as package:
        chart = package.read("xl/charts/chart1.xml").decode()
    assert "barChart" in chart
    assert "<f>'Summary'!$B$" in chart


def test_snapshot_writes_to_a_stream() -> None:
    stream = io.BytesIO()
    write_snapshot(stream, overdue=sample_overdue(), findings=[])
    assert openpyxl.load_workbook(stream).sheetnames[0] == "Summary"


def test_snapshot_into_a_missing_folder_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(SnapshotError, match=r"could not write .*s\.xlsx: No such file or directory; nothing was written"):
        write_snapshot(tmp_path / "absent" / "s.xlsx", overdue=sample_overdue(), findings=[])


# --- LibreOffice --------------------------------------------------------------------------------

SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")
# Separator, quote, UTF-8, from row 1, -, -, -, -, cells as shown, -, -, every sheet to its own file.
CSV_FILTER = "csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,true,false,false,-1"


def read_csv(path: Path) -> list[list[str]]:
    return list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"))))


@pytest.mark.skipif(
    SOFFICE is None, reason="LibreOffice (soffice) is not installed; `apt-get install libreoffice-calc-nogui` enables this test"
)
def test_snapshot_opens_in_libreoffice(snapshot_path: Path, tmp_path: Path) -> None:
    out = tmp_path / "csv"
    command = [
        SOFFICE,
        "--headless",
        f"-env:UserInstallation={(tmp_path / 'profile').as_uri()}",
        "--convert-to",
        CSV_FILTER,
        "--outdir",
        str(out),
        str(snapshot_path),
    ]
    subprocess.run(command, check=True, capture_output=True, timeout=180)
    actions = read_csv(out / "snapshot-Actions.csv")
    assert actions[0][0] == "ID"
    assert ["ACT-001", "INC-1", "Fix ACT-001", "Short-term", "Tom Okafor", "2026-11-20", "Open", "", "7", "OPS-001"] in actions
    assert next(row for row in actions if row[0] == "ACT-007")[9] == '=HYPERLINK("x")'
    summary = read_csv(out / "snapshot-Summary.csv")
    assert ["Overdue actions", "4"] in [row[:2] for row in summary]
    assert ["Required post-mortems drafted within 48 h", "75%", "3", "4"] in [row[:4] for row in summary]


def test_a_sheet_past_excels_row_limit_continues_on_numbered_sheets(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(snapshot, "MAX_DATA_ROWS", 3)
    findings = [Finding("action-overdue", Level.ERROR, f"finding {n}", "INC-1", f"ACT-{n}", f"Actions!F{n}") for n in range(7)]
    path = tmp_path / "snapshot.xlsx"
    write_snapshot(path, overdue=sample_overdue(), findings=findings)
    book = openpyxl.load_workbook(path)
    parts = ["Findings", "Findings (2)", "Findings (3)"]
    assert [name for name in book.sheetnames if name.startswith("Findings")] == parts
    assert all(book[name]["A1"].value == "Level" for name in parts)
    assert [row[6] for name in parts for row in book[name].iter_rows(min_row=2, values_only=True)] == [f"finding {n}" for n in range(7)]
    assert [book[name].auto_filter.ref for name in parts] == ["A1:G4", "A1:G4", "A1:G2"]
