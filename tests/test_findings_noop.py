"""No-op cycles write nothing: an unchanged register leaves the Findings tab, the workbook file and the
Google Sheet's version history alone; a deadline passing or an edit writes again. Both backends."""

from __future__ import annotations

import zipfile
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from pmsheets.core.schema import FINDINGS_TITLE
from pmsheets.ops.cycle import CycleResult
from pmsheets.register import RegisterBackend, findings_digest, write_findings_if_changed
from pmsheets.register.sheets import SheetsRegister
from pmsheets.register.xlsx import XlsxRegister
from sheets_emulator import SheetsEmulator
from tests.builders import AS_OF, Tables, write_workbook
from tests.worker_fixtures import draft_soon_tables, findings_cycles

ROWS = [["error", "action-overdue", "INC-1", "ACT-1", "Ann", "Actions!F2", "due Fri 20 Nov 2026 and still Open."]]


class Writes:
    """What 'written' means on each backend: the file's bytes and time, or the write requests served."""

    def __init__(self, backend: RegisterBackend, emulator: SheetsEmulator | None, client: Any = None) -> None:
        self.backend, self.emulator, self.client = backend, emulator, client

    def fresh(self) -> RegisterBackend:
        """The same register opened anew, as a restarted worker would: nothing remembered in memory."""
        if isinstance(self.backend, XlsxRegister):
            return XlsxRegister(self.backend.path)
        return SheetsRegister(self.client, self.backend._key, sleep=lambda _seconds: None)  # type: ignore[attr-defined]

    def state(self) -> Any:
        if isinstance(self.backend, XlsxRegister):
            return self.backend.path.read_bytes(), self.backend.path.stat().st_mtime_ns
        assert self.emulator is not None
        return self.emulator.count("write")


@pytest.fixture
def writes(register_from: Callable[[Tables], RegisterBackend], request: pytest.FixtureRequest) -> Callable[[Tables], Writes]:
    def build(content: Tables) -> Writes:
        backend = register_from(content)
        if isinstance(backend, SheetsRegister):
            return Writes(backend, request.getfixturevalue("emulator"), request.getfixturevalue("sheets_client"))
        return Writes(backend, None)

    return build


def findings_detail(result: CycleResult) -> str:
    return result.step("findings").detail


def test_a_second_write_of_the_same_findings_writes_nothing(writes: Callable[[Tables], Writes]) -> None:
    target = writes(draft_soon_tables())
    assert write_findings_if_changed(target.backend, ROWS) == (1, True)
    before = target.state()
    assert write_findings_if_changed(target.backend, ROWS) == (1, False)
    assert target.state() == before


def test_other_findings_are_written(writes: Callable[[Tables], Writes]) -> None:
    target = writes(draft_soon_tables())
    write_findings_if_changed(target.backend, ROWS)
    before = target.state()
    assert write_findings_if_changed(target.backend, [*ROWS, ROWS[0]]) == (2, True)
    assert target.state() != before
    assert len(target.backend.read().tables[FINDINGS_TITLE]) == 3


def test_an_unchanged_cycle_an_hour_later_writes_nothing(writes: Callable[[Tables], Writes], tmp_path: Path) -> None:
    target = writes(draft_soon_tables())
    cycles = findings_cycles(target.backend, tmp_path)
    assert "written to the Findings tab" in findings_detail(cycles.run(AS_OF))
    before = target.state()
    assert "unchanged" in findings_detail(cycles.run(AS_OF + timedelta(hours=1)))
    assert target.state() == before


def test_a_cycle_across_a_deadline_writes_the_new_finding(writes: Callable[[Tables], Writes], tmp_path: Path) -> None:
    target = writes(draft_soon_tables())
    cycles = findings_cycles(target.backend, tmp_path)
    cycles.run(AS_OF)
    before = target.state()
    result = cycles.run(AS_OF + timedelta(hours=4, minutes=1))
    assert "written to the Findings tab" in findings_detail(result)
    assert target.state() != before
    assert "draft-due" in [row[1] for row in target.backend.read().tables[FINDINGS_TITLE]]


def test_a_fresh_process_remembers_the_last_write(writes: Callable[[Tables], Writes], tmp_path: Path) -> None:
    target = writes(draft_soon_tables())
    findings_cycles(target.backend, tmp_path).run(AS_OF)
    before = target.state()
    again = findings_cycles(target.fresh(), tmp_path)
    assert "unchanged" in findings_detail(again.run(AS_OF + timedelta(minutes=1)))
    assert target.state() == before


# --- what each backend keeps, and when it lets go ----------------------------------------------------


def test_a_workbook_saved_by_an_office_application_is_written_again(tmp_path: Path) -> None:
    backend = XlsxRegister(write_workbook(tmp_path / "register.xlsx", draft_soon_tables()))
    write_findings_if_changed(backend, ROWS)
    openpyxl.load_workbook(backend.path).save(backend.path)  # as Excel would: our comment is not kept
    assert write_findings_if_changed(backend, ROWS) == (1, True)


def test_the_workbook_mark_is_a_comment_no_application_shows(tmp_path: Path) -> None:
    backend = XlsxRegister(write_workbook(tmp_path / "register.xlsx", draft_soon_tables()))
    backend.write_findings(ROWS)
    with zipfile.ZipFile(backend.path) as package:
        part = next(name for name in package.namelist() if name.startswith("xl/worksheets/") and b"pmsheets findings" in package.read(name))
        assert f"<!-- pmsheets findings {findings_digest(ROWS)} -->".encode() in package.read(part)[:400]
    assert backend.read().tables[FINDINGS_TITLE][1][: len(ROWS[0])] == tuple(ROWS[0])


def test_a_deleted_findings_tab_is_written_again(emulator: SheetsEmulator, sheets_client: Any, tmp_path: Path) -> None:
    from tests.builders import sheets_register

    backend = sheets_register(emulator, sheets_client, write_workbook(tmp_path / "register.xlsx", draft_soon_tables()))
    write_findings_if_changed(backend, ROWS)
    spreadsheet = sheets_client.open_by_key(backend._key)  # type: ignore[attr-defined]
    spreadsheet.del_worksheet(spreadsheet.worksheet(FINDINGS_TITLE))
    backend.read()
    assert write_findings_if_changed(backend, ROWS) == (1, True)
    assert backend.read().tables[FINDINGS_TITLE][1] == ROWS[0]


def test_a_new_tool_version_writes_the_tab_again(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    backend = XlsxRegister(write_workbook(tmp_path / "register.xlsx", draft_soon_tables()))
    write_findings_if_changed(backend, ROWS)
    monkeypatch.setattr("pmsheets.register.FINDINGS_LAYOUT", "next")
    assert write_findings_if_changed(backend, ROWS) == (1, True)


def test_the_digest_follows_every_character_of_the_rows() -> None:
    assert findings_digest(ROWS) == findings_digest([list(row) for row in ROWS])
    assert findings_digest(ROWS) != findings_digest([[*ROWS[0][:5], ROWS[0][5] + " "]])
    assert findings_digest([["a\x1fb"]]) != findings_digest([["a", "b"]])
