"""`pmsheets emulator`: serve a workbook, hand out a key file, save on exit."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import openpyxl
import pytest
from google.oauth2.service_account import Credentials

from pmsheets.register.google_session import client_for
from sheets_emulator.cli import main
from sheets_emulator.testing import close_client


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


def test_save_on_exit_without_load_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--save-on-exit", "x.xlsx"]) == 2
    assert "--save-on-exit needs --load" in capsys.readouterr().err
