"""A workbook the tool wrote opens in a real office suite (where LibreOffice is installed)."""

from __future__ import annotations

import csv
import shutil
import subprocess
from pathlib import Path

import pytest

from pmsheets.register.xlsx import XlsxRegister
from tests.builders import INCIDENT_HEADERS, write_workbook

SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")
pytestmark = pytest.mark.skipif(SOFFICE is None, reason="LibreOffice (soffice) is not installed; `make libreoffice` installs it")
# Export every sheet as its own CSV, UTF-8, comma-separated.
CSV_FILTER = "csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,false,false,false,-1"


def sheets_as_csv(workbook: Path, out: Path) -> dict[str, list[list[str]]]:
    profile = out / "profile"
    subprocess.run(
        [
            str(SOFFICE),
            f"-env:UserInstallation=file://{profile}",
            "--headless",
            "--convert-to",
            CSV_FILTER,
            "--outdir",
            str(out),
            str(workbook),
        ],
        check=True,
        capture_output=True,
        timeout=180,
    )
    stem = workbook.stem + "-"
    return {path.stem[len(stem) :]: read_csv(path) for path in out.glob(f"{workbook.stem}-*.csv")}


def read_csv(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.reader(handle))


def test_findings_tab_added_by_the_tool_opens_in_libreoffice(tmp_path: Path) -> None:
    path = write_workbook(tmp_path / "register.xlsx", {"Incidents": [INCIDENT_HEADERS, ["INC-1", "Outage", "P1"]]})
    XlsxRegister(path).write_findings([["error", "action-overdue", "INC-1", "ACT-1", "Ann", "Actions!F2", "=1+1 stays text"]])
    sheets = sheets_as_csv(path, tmp_path / "out")
    assert [row[:7] for row in sheets["Findings"]] == [
        ["Level", "Rule", "Incident", "Action", "Owner", "Cell", "Message"],
        ["error", "action-overdue", "INC-1", "ACT-1", "Ann", "Actions!F2", "=1+1 stays text"],
    ]
    assert sheets["Incidents"][1][:3] == ["INC-1", "Outage", "P1"]


def test_findings_tab_replaced_by_the_tool_opens_in_libreoffice(tmp_path: Path) -> None:
    path = write_workbook(tmp_path / "register.xlsx", {"Incidents": [INCIDENT_HEADERS], "Findings": [["stale"]] * 5})
    XlsxRegister(path).write_findings([])
    sheets = sheets_as_csv(path, tmp_path / "out")
    assert sheets["Findings"] == [["Level", "Rule", "Incident", "Action", "Owner", "Cell", "Message"]]
