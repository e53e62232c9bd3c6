"""Loading a register workbook into the emulator and saving it back."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import openpyxl
import pytest

from sheets_emulator import SheetsEmulator


@pytest.fixture
def workbook_path(tmp_path: Path) -> Path:
    workbook = openpyxl.Workbook()
    incidents = workbook.active
    incidents.title = "Incidents"
    incidents.append(["ID", "Opened", "Review", "Minutes"])
    incidents.append(["INC-1", dt.datetime(2026, 11, 20, 14, 5), dt.date(2026, 11, 27), 45])
    incidents.freeze_panes = "A2"
    workbook.create_sheet("Actions").append(["ID", "Owner"])
    path = tmp_path / "register.xlsx"
    workbook.save(path)
    return path


def test_load_xlsx_serves_every_tab(sheets_emulator: SheetsEmulator, workbook_path: Path) -> None:
    sid = sheets_emulator.load_xlsx(workbook_path)
    sheets = sheets_emulator.store.get(sid)["sheets"]
    assert [s["properties"]["title"] for s in sheets] == ["Incidents", "Actions"]
    assert sheets[0]["properties"]["gridProperties"]["frozenRowCount"] == 1


def test_load_xlsx_turns_dates_into_serials_with_date_formats(sheets_emulator: SheetsEmulator, workbook_path: Path) -> None:
    sid = sheets_emulator.load_xlsx(workbook_path)
    store = sheets_emulator.store
    assert store.values_get(sid, "Incidents!B2:D2", value_render="UNFORMATTED_VALUE")["values"] == [
        [pytest.approx(46346.5868055), 46353, 45]
    ]
    assert store.values_get(sid, "Incidents!B2:D2")["values"] == [["2026-11-20 14:05:00", "2026-11-27", "45"]]


def test_save_xlsx_writes_real_date_cells(sheets_emulator: SheetsEmulator, workbook_path: Path, tmp_path: Path) -> None:
    sid = sheets_emulator.load_xlsx(workbook_path)
    sheets_emulator.store.values_update(sid, "Actions!A2", {"values": [["ACT-1", "ana"]]}, input_option="RAW")
    saved = sheets_emulator.save_xlsx(sid, tmp_path / "saved.xlsx")
    workbook = openpyxl.load_workbook(saved)
    try:
        assert list(workbook["Incidents"].iter_rows(min_row=2, values_only=True)) == [
            ("INC-1", dt.datetime(2026, 11, 20, 14, 5), dt.datetime(2026, 11, 27), 45)
        ]
        assert list(workbook["Actions"].values) == [("ID", "Owner"), ("ACT-1", "ana")]
        assert workbook["Incidents"].freeze_panes == "A2"
    finally:
        workbook.close()
