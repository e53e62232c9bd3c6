"""The workbook backend never damages what PMs typed, and refuses to write when it would."""

from __future__ import annotations

import zipfile
from datetime import datetime
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from openpyxl.chart import BarChart, Reference
from openpyxl.formatting.rule import CellIsRule, FormulaRule
from openpyxl.styles import Font, PatternFill
from openpyxl.worksheet.datavalidation import DataValidation

from pmsheets.core.schema import PM_TABS
from pmsheets.errors import RegisterError, WriteRefused
from pmsheets.register.findings_look import HIGHLIGHT_FORMULA, is_highlight_formula
from pmsheets.register.xlsx import XlsxRegister, create_register
from tests.builders import ACTION_HEADERS, INCIDENT_HEADERS, write_workbook

FINDING = ["error", "action-overdue", "INC-1", "ACT-1", "Ann", "Actions!F2", "due 2026-11-20, 7 days overdue"]
HEADERS = ("Level", "Rule", "Incident", "Action", "Owner", "Cell", "Message")


def rich_register(path: Path) -> Path:
    """A register as a PM leaves it: formulas, styles, dropdowns, colours, widths, extra columns."""
    workbook = openpyxl.Workbook()
    incidents = workbook.active
    incidents.title = "Incidents"
    incidents.append([*INCIDENT_HEADERS, "Notes"])
    incidents.append(["INC-1", "Outage", "P1", datetime(2026, 11, 20, 9), datetime(2026, 11, 20, 10)])
    incidents["G2"] = "=(E2-D2)*24*60"
    incidents["U2"] = "keep me"
    incidents["B2"].font = Font(bold=True, color="FF0000")
    incidents["C2"].fill = PatternFill("solid", fgColor="FFFF00")
    incidents.column_dimensions["B"].width = 42
    validation = DataValidation(type="list", formula1='"P0,P1,P2"')
    validation.add("C2:C500")
    incidents.add_data_validation(validation)
    incidents.conditional_formatting.add(
        "G2:G500", CellIsRule(operator="greaterThan", formula=["15"], fill=PatternFill("solid", fgColor="FFC7CE"))
    )
    actions = workbook.create_sheet("Actions")
    actions.append(ACTION_HEADERS)
    actions.append(["ACT-1", "INC-1", "Fix it", "Short-term", "Ann", datetime(2026, 11, 20), "OPS-1", "Open"])
    workbook.create_sheet("Findings").append(["old", "stale", "", "", "", "from last week"])
    workbook.save(path)
    return path


def snapshot(path: Path) -> dict[str, Any]:
    """Everything a PM could have typed or styled, outside the Findings tab."""
    workbook = openpyxl.load_workbook(path)
    state: dict[str, Any] = {}
    for sheet in workbook.worksheets:
        if sheet.title == "Findings":
            continue
        state[sheet.title] = {
            "cells": [
                (cell.coordinate, cell.value, cell.data_type, cell.number_format, repr(cell.font), repr(cell.fill))
                for row in sheet.iter_rows()
                for cell in row
            ],
            "widths": {key: dim.width for key, dim in sheet.column_dimensions.items()},
            "validations": [(dv.sqref, dv.formula1) for dv in sheet.data_validations.dataValidation],
            # The tool's own highlight rule is not the PM's: everything else must stay.
            "conditional": [
                (str(rng.sqref), [r.formula for r in rules])
                for rng, rules in sheet.conditional_formatting._cf_rules.items()
                if not all(is_highlight_formula(f) for r in rules for f in r.formula)
            ],
            "freeze": sheet.freeze_panes,
        }
    state["order"] = workbook.sheetnames
    return state


def test_writing_findings_keeps_everything_else(tmp_path: Path) -> None:
    path = rich_register(tmp_path / "register.xlsx")
    before = snapshot(path)
    XlsxRegister(path).write_findings([FINDING])
    assert snapshot(path) == before


def test_writing_findings_changes_no_other_part_of_the_file(tmp_path: Path) -> None:
    path = rich_register(tmp_path / "register.xlsx")
    with zipfile.ZipFile(path) as package:
        before = {name: package.read(name) for name in package.namelist()}
    XlsxRegister(path).write_findings([FINDING], highlight=False)
    with zipfile.ZipFile(path) as package:
        after = {name: package.read(name) for name in package.namelist()}
    changed = sorted(name for name in before if before[name] != after[name])
    assert set(after) == set(before)
    assert changed == ["xl/styles.xml", "xl/worksheets/sheet3.xml"]  # the Findings tab and its styles, nothing else


def test_a_second_write_changes_only_the_findings_tab(tmp_path: Path) -> None:
    path = rich_register(tmp_path / "register.xlsx")
    XlsxRegister(path).write_findings([FINDING])
    with zipfile.ZipFile(path) as package:
        before = {name: package.read(name) for name in package.namelist()}
    XlsxRegister(path).write_findings([FINDING, FINDING])
    with zipfile.ZipFile(path) as package:
        after = {name: package.read(name) for name in package.namelist()}
    assert sorted(name for name in before if before[name] != after[name]) == ["xl/worksheets/sheet3.xml"]


def test_cached_formula_results_survive_the_write(tmp_path: Path) -> None:
    path = rich_register(tmp_path / "register.xlsx")
    with zipfile.ZipFile(path) as package:
        sheet = package.read("xl/worksheets/sheet1.xml")
    assert b"<f>" in sheet
    XlsxRegister(path).write_findings([FINDING], highlight=False)
    with zipfile.ZipFile(path) as package:
        assert package.read("xl/worksheets/sheet1.xml") == sheet


def test_findings_tab_is_replaced_not_appended(tmp_path: Path) -> None:
    path = rich_register(tmp_path / "register.xlsx")
    XlsxRegister(path).write_findings([FINDING])
    rows = list(openpyxl.load_workbook(path)["Findings"].iter_rows(max_col=len(HEADERS), values_only=True))
    assert rows == [HEADERS, tuple(FINDING)]


def test_a_workbook_an_older_version_wrote_loses_its_hidden_column_and_lookup_rule_on_the_next_write(tmp_path: Path) -> None:
    path = rich_register(tmp_path / "register.xlsx")
    workbook = openpyxl.load_workbook(path)
    # What versions before the ranges-as-cells rule left: a hidden plain-text copy of the Cell column,
    # and on each PM tab a rule looking every cell up in it.
    findings = workbook["Findings"]
    findings["F2"], findings["H2"] = "Actions!F2", "Actions!F2"
    findings.column_dimensions["H"].hidden = True
    lookup = 'COUNTIF(Findings!$H:$H,"Actions!"&ADDRESS(ROW(),COLUMN(),4))>0'
    workbook["Actions"].conditional_formatting.add(
        "A2:XFD1048576", FormulaRule(formula=[lookup], fill=PatternFill("solid", bgColor="F9CB9C"))
    )
    workbook.save(path)
    XlsxRegister(path).write_findings([FINDING])
    workbook = openpyxl.load_workbook(path)
    findings = workbook["Findings"]
    assert (findings["H2"].value, findings.column_dimensions["H"].hidden) == (None, False)
    rules = {str(cf.sqref): [r.formula for r in cf.rules] for cf in workbook["Actions"].conditional_formatting}
    assert rules == {"F2": [[HIGHLIGHT_FORMULA]]}


def test_findings_tab_is_created_when_missing(tmp_path: Path) -> None:
    path = rich_register(tmp_path / "register.xlsx")
    workbook = openpyxl.load_workbook(path)
    del workbook["Findings"]
    workbook.save(path)
    XlsxRegister(path).write_findings([FINDING])
    assert openpyxl.load_workbook(path)["Findings"]["B2"].value == "action-overdue"


def test_text_starting_with_equals_stays_text(tmp_path: Path) -> None:
    path = rich_register(tmp_path / "register.xlsx")
    XlsxRegister(path).write_findings([["error", "r", "=1+2", "", "", "", '=HYPERLINK("http://evil","x")']])
    cell = openpyxl.load_workbook(path)["Findings"]["G2"]
    assert (cell.value, cell.data_type) == ('=HYPERLINK("http://evil","x")', "s")


def test_control_characters_in_messages_do_not_break_the_save(tmp_path: Path) -> None:
    path = rich_register(tmp_path / "register.xlsx")
    XlsxRegister(path).write_findings([["error", "r", "", "", "", "", "bell\x07 here"]])
    assert openpyxl.load_workbook(path)["Findings"]["G2"].value == "bell here"


def test_formula_results_are_read_not_formula_text(tmp_path: Path) -> None:
    path = rich_register(tmp_path / "register.xlsx")
    raw = XlsxRegister(path).read().tables
    # openpyxl never computes formulas; a workbook saved by it has no cached result to read.
    assert raw["Incidents"][1][6] is None


def add_chart(path: Path) -> Path:
    workbook = openpyxl.load_workbook(path)
    chart = BarChart()
    chart.add_data(Reference(workbook["Incidents"], min_col=7, min_row=1, max_row=2))
    workbook["Incidents"].add_chart(chart, "W2")
    workbook.save(path)
    return path


def test_workbook_with_a_chart_keeps_it_when_findings_are_written(tmp_path: Path) -> None:
    path = add_chart(rich_register(tmp_path / "register.xlsx"))
    XlsxRegister(path).write_findings([FINDING])
    with zipfile.ZipFile(path) as package:
        assert any(name.startswith("xl/charts/") for name in package.namelist())
    assert openpyxl.load_workbook(path)["Findings"]["B2"].value == "action-overdue"


def test_filling_pm_cells_is_refused_when_a_chart_would_be_lost(tmp_path: Path) -> None:
    path = add_chart(rich_register(tmp_path / "register.xlsx"))
    before = path.read_bytes()
    with pytest.raises(WriteRefused, match="charts"):
        XlsxRegister(path).fill_blank_cells("Incidents", "ID", {"INC-1": {"Post-mortem doc": "https://x"}})
    assert path.read_bytes() == before


def test_lowercase_findings_tab_is_reused_not_duplicated(tmp_path: Path) -> None:
    path = write_workbook(tmp_path / "register.xlsx", {"Incidents": [INCIDENT_HEADERS], "findings": [["old"]]})
    XlsxRegister(path).write_findings([FINDING])
    workbook = openpyxl.load_workbook(path)
    assert workbook.sheetnames == ["Incidents", "findings"]
    assert workbook["findings"]["B2"].value == "action-overdue"


@pytest.mark.parametrize("lock_name", ["~$register.xlsx", ".~lock.register.xlsx#"], ids=["excel", "libreoffice"])
def test_workbook_open_in_an_office_app_is_not_written(tmp_path: Path, lock_name: str) -> None:
    path = rich_register(tmp_path / "register.xlsx")
    (tmp_path / lock_name).write_bytes(b"lock")
    before = path.read_bytes()
    with pytest.raises(WriteRefused, match="open in Excel or LibreOffice"):
        XlsxRegister(path).write_findings([FINDING])
    assert path.read_bytes() == before


def test_failed_save_leaves_the_original_and_no_temp_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = rich_register(tmp_path / "register.xlsx")
    before = path.read_bytes()

    def crash_half_way(source: zipfile.ZipFile, target: zipfile.ZipFile, title: str, content: bytes, others: Any) -> None:
        target.writestr("xl/workbook.xml", b"half")
        msg = "disk full"
        raise OSError(msg)

    monkeypatch.setattr("pmsheets.register.xlsx.replace_sheet", crash_half_way)
    with pytest.raises(RegisterError, match="disk full"):
        XlsxRegister(path).write_findings([FINDING])
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["register.xlsx"]


def test_init_workbook_has_tabs_headers_dropdowns_and_formats(tmp_path: Path) -> None:
    path = tmp_path / "register.xlsx"
    create_register(path)
    workbook = openpyxl.load_workbook(path)
    assert workbook.sheetnames == [tab.title for tab in PM_TABS] + ["Findings"]
    incidents = workbook["Incidents"]
    assert [c.value for c in incidents[1]] == INCIDENT_HEADERS
    assert incidents["A1"].font.bold
    assert incidents.freeze_panes == "A2"
    dropdowns = {str(dv.sqref).split(":")[0]: dv.formula1 for dv in incidents.data_validations.dataValidation}
    assert dropdowns["C2"] == '"P0,P1,P2"'
    assert dropdowns["N2"] == '"Not started,Draft,Reviewed,Closed"'
    assert incidents.column_dimensions["E"].number_format == "yyyy-mm-dd hh:mm"


def test_demo_dates_are_real_date_cells(tmp_path: Path) -> None:
    from pmsheets.cli.demo import demo_rows

    path = tmp_path / "register.xlsx"
    create_register(path, demo_rows(datetime(2026, 11, 27, 9)))
    actions = openpyxl.load_workbook(path)["Actions"]
    assert actions["F2"].is_date
    assert actions.max_row == 41
