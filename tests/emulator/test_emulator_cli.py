"""`pmsheets emulator`: serve a workbook, hand out a key file, save on exit."""

from __future__ import annotations

import json
import stat
import threading
from pathlib import Path

import openpyxl
import pytest
from google.oauth2.service_account import Credentials

from pmsheets.register.google_session import client_for
from sheets_emulator.cli import main
from sheets_emulator.testing import close_client

SCOPE = "https://www.googleapis.com/auth/spreadsheets"


@pytest.fixture
def register_path(tmp_path: Path) -> Path:
    workbook = openpyxl.Workbook()
    workbook.active.title = "Incidents"
    workbook.active.append(["ID", "Title"])
    path = tmp_path / "register.xlsx"
    workbook.save(path)
    return path


def test_emulator_command_serves_the_workbook_to_the_key_file_holder(
    register_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ready, stop = threading.Event(), threading.Event()
    key, saved = tmp_path / "key.json", tmp_path / "saved.xlsx"
    argv = ["--load", str(register_path), "--key-out", str(key), "--save-on-exit", str(saved)]
    runner = threading.Thread(target=main, args=(argv,), kwargs={"ready": ready, "stop": stop})
    runner.start()
    try:
        assert ready.wait(10)
        out = capsys.readouterr().out
        url = out.split("Sheets emulator at ")[1].split()[0]
        spreadsheet_id = out.split("spreadsheet id: ")[1].split()[0]
        info = json.loads(key.read_text(encoding="utf-8"))
        credentials = Credentials.from_service_account_info(info, scopes=["https://www.googleapis.com/auth/spreadsheets"])
        client = client_for(credentials, url)
        client.open_by_key(spreadsheet_id).sheet1.append_row(["INC-1", "Outage"])
        close_client(client)
    finally:
        stop.set()
        runner.join(10)
    assert list(openpyxl.load_workbook(saved)["Incidents"].values) == [("ID", "Title"), ("INC-1", "Outage")]


def test_without_load_it_serves_one_empty_spreadsheet_and_prints_its_id(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    ready, stop = threading.Event(), threading.Event()
    key = tmp_path / "key.json"
    runner = threading.Thread(target=main, args=(["--key-out", str(key)],), kwargs={"ready": ready, "stop": stop})
    runner.start()
    try:
        assert ready.wait(10)
        out = capsys.readouterr().out
        url = out.split("Sheets emulator at ")[1].split()[0]
        spreadsheet_id = out.split("spreadsheet id: ")[1].split()[0]
        credentials = Credentials.from_service_account_info(json.loads(key.read_text(encoding="utf-8")), scopes=[SCOPE])
        client = client_for(credentials, url)
        spreadsheet = client.open_by_key(spreadsheet_id)
        tabs = [(sheet.title, sheet.get_all_values()) for sheet in spreadsheet.worksheets()]
        close_client(client)
    finally:
        stop.set()
        runner.join(10)
    assert [(title, [row for row in rows if row]) for title, rows in tabs] == [("Sheet1", [])]


def test_key_out_file_is_readable_by_its_owner_only(tmp_path: Path) -> None:
    key = tmp_path / "key.json"
    key.write_text("{}", encoding="utf-8")
    key.chmod(0o644)  # an older key file in the way: rewritten, and no longer world-readable
    ready, stop = threading.Event(), threading.Event()
    runner = threading.Thread(target=main, args=(["--key-out", str(key)],), kwargs={"ready": ready, "stop": stop})
    runner.start()
    assert ready.wait(10)
    stop.set()
    runner.join(10)
    assert (stat.S_IMODE(key.stat().st_mode), "private_key" in json.loads(key.read_text(encoding="utf-8"))) == (0o600, True)
