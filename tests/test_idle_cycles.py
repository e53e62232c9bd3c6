"""Idle cycles: a worker cycle whose register has not changed and whose next deadline has not come costs one
version lookup and nothing else; an edit (even one landing while the cycle writes) or a deadline ends it."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from pmsheets.core.schema import FINDINGS_TITLE
from pmsheets.core.weekly import WeeklySchedule, latest_slot, next_slot
from pmsheets.ops.cycle import CycleResult, CycleState, Status
from pmsheets.register import RegisterBackend
from pmsheets.register.sheets import SheetsRegister
from pmsheets.register.xlsx import XlsxRegister
from sheets_emulator import SheetsEmulator
from tests.builders import AS_OF, Tables, sheets_register, write_workbook
from tests.worker_fixtures import Cycles, draft_soon_tables, findings_cycles

# The P0 resolved 20 h before AS_OF on the sheet's wall clock, which is Berlin's (UTC+1): its draft is due after this.
DUE = AS_OF + timedelta(hours=3)


def worker_cycles(backend: RegisterBackend, folder: Path) -> Cycles:
    cycles = findings_cycles(backend, folder)
    cycles.state = CycleState(idle_when_unchanged=True)
    return cycles


def idle(result: CycleResult) -> bool:
    return all(step.status is Status.SKIPPED and "unchanged" in step.detail for step in result.steps)


def settled(cycles: Cycles) -> CycleResult:
    """The first cycle writes the tab; the second reads again (the write changed the version) and writes nothing."""
    cycles.run(AS_OF)
    second = cycles.run(AS_OF + timedelta(minutes=1))
    assert not idle(second)
    assert "unchanged" in second.step("findings").detail
    return second


def test_an_unchanged_register_before_its_next_deadline_is_not_read(
    register_from: Callable[[Tables], RegisterBackend], tmp_path: Path
) -> None:
    cycles = worker_cycles(register_from(draft_soon_tables()), tmp_path)
    full = settled(cycles)
    result = cycles.run(AS_OF + timedelta(minutes=2))
    assert idle(result)
    assert result.exit_code == full.exit_code
    assert "2026-11-27T13:00:00" in result.steps[0].detail  # the draft-due deadline, as the idle line says


def test_an_idle_cycle_on_google_is_one_drive_request_and_no_write(emulator: SheetsEmulator, sheets_client: object, tmp_path: Path) -> None:
    backend = sheets_register(emulator, sheets_client, write_workbook(tmp_path / "register.xlsx", draft_soon_tables()))  # type: ignore[arg-type]
    cycles = worker_cycles(backend, tmp_path)
    settled(cycles)
    before = {kind: emulator.count(kind) for kind in ("drive", "read", "write")}
    assert idle(cycles.run(AS_OF + timedelta(minutes=2)))
    assert {kind: emulator.count(kind) - count for kind, count in before.items()} == {"drive": 1, "read": 0, "write": 0}


def test_the_deadline_ends_the_quiet_and_the_cycle_writes_the_new_finding(
    register_from: Callable[[Tables], RegisterBackend], tmp_path: Path
) -> None:
    backend = register_from(draft_soon_tables())
    cycles = worker_cycles(backend, tmp_path)
    settled(cycles)
    assert idle(cycles.run(DUE))  # the rule says 'more than 24 h': at the instant itself nothing changes yet
    result = cycles.run(DUE + timedelta(minutes=1))
    assert "written to the Findings tab" in result.step("findings").detail
    assert "draft-due" in [row[1] for row in backend.read().tables[FINDINGS_TITLE]]


def test_an_edit_between_cycles_is_read(register_from: Callable[[Tables], RegisterBackend], tmp_path: Path) -> None:
    backend = register_from(draft_soon_tables())
    cycles = worker_cycles(backend, tmp_path)
    settled(cycles)
    edit_owner(backend, "")
    result = cycles.run(AS_OF + timedelta(minutes=2))
    assert "written to the Findings tab" in result.step("findings").detail
    assert "owner-missing" in [row[1] for row in backend.read().tables[FINDINGS_TITLE]]


def test_an_edit_landing_between_the_cycles_write_and_its_bookkeeping_is_not_missed(
    emulator: SheetsEmulator, sheets_client: object, tmp_path: Path
) -> None:
    backend = sheets_register(emulator, sheets_client, write_workbook(tmp_path / "register.xlsx", draft_soon_tables()))  # type: ignore[arg-type]
    cycles = worker_cycles(backend, tmp_path)
    edited: list[int] = []

    def pm_edits_after_the_tools_write(running: SheetsEmulator) -> None:
        # Runs once the Findings write is applied, before the tool has its answer (and so before any bookkeeping).
        if not edited and running.api.log[-1].kind == "write":
            edited.append(running.api.log[-1].number)
            # Straight into the store: the emulator serves one request at a time, and this one is not answered yet.
            running.store.values_update(backend._key, "Incidents!K2", {"values": [[""]]}, input_option="RAW")  # type: ignore[attr-defined]

    first = emulator.count() + 1
    for number in range(first, first + 20):
        emulator.faults.after_request(number, pm_edits_after_the_tools_write)
    cycles.run(AS_OF)
    emulator.faults.clear()
    assert edited
    assert "owner-missing" not in [row[1] for row in backend.read().tables[FINDINGS_TITLE]]
    result = cycles.run(AS_OF + timedelta(minutes=1))
    assert not idle(result)
    assert "owner-missing" in [row[1] for row in backend.read().tables[FINDINGS_TITLE]]


def test_a_cycle_with_a_failed_step_is_done_in_full_next_time(tmp_path: Path) -> None:
    backend = XlsxRegister(write_workbook(tmp_path / "register.xlsx", draft_soon_tables()))
    cycles = worker_cycles(backend, tmp_path)
    settled(cycles)
    lock = tmp_path / "~$register.xlsx"
    lock.write_text("", encoding="utf-8")  # Excel has it open: the next write is refused
    edit_owner(backend, "")
    assert cycles.run(AS_OF + timedelta(minutes=2)).step("findings").status is Status.FAILED
    lock.unlink()
    cycles.state.backoff.succeeded("findings")
    assert "written to the Findings tab" in cycles.run(AS_OF + timedelta(minutes=3)).step("findings").detail


def test_pmsheets_run_never_looks_the_version_up(emulator: SheetsEmulator, sheets_client: object, tmp_path: Path) -> None:
    backend = sheets_register(emulator, sheets_client, write_workbook(tmp_path / "register.xlsx", draft_soon_tables()))  # type: ignore[arg-type]
    cycles = findings_cycles(backend, tmp_path)
    cycles.run(AS_OF)
    cycles.run(AS_OF + timedelta(minutes=1))
    assert emulator.count("drive") == 0


@pytest.mark.parametrize(
    "now",
    [
        datetime(2026, 11, 27, 9, tzinfo=ZoneInfo("UTC")),
        datetime(2026, 10, 24, 12, tzinfo=ZoneInfo("UTC")),
        datetime(2026, 11, 30, 8, tzinfo=ZoneInfo("UTC")),
    ],
    ids=["friday", "before the clocks go back", "the slot itself"],
)
def test_the_next_weekly_slot_is_the_first_after_now_at_the_wall_time(now: datetime) -> None:
    berlin = ZoneInfo("Europe/Berlin")
    schedule = WeeklySchedule(day=0, at=datetime(2026, 1, 1, 9).time(), timezone=berlin, max_late=timedelta(hours=48))
    upcoming = next_slot(now, schedule)
    assert upcoming > now
    assert upcoming.astimezone(berlin).strftime("%a %H:%M") == "Mon 09:00"
    assert latest_slot(upcoming, schedule) == upcoming
    assert latest_slot(upcoming - timedelta(microseconds=1), schedule) <= now


def edit_owner(backend: RegisterBackend, owner: str) -> None:
    """A PM clears INC-1's Incident owner (an owner-missing error appears)."""
    if isinstance(backend, SheetsRegister):
        client = backend._http  # type: ignore[attr-defined]
        client.values_update(backend._key, "Incidents!K2", params={"valueInputOption": "RAW"}, body={"values": [[owner]]})  # type: ignore[attr-defined]
        return
    import openpyxl

    assert isinstance(backend, XlsxRegister)
    workbook = openpyxl.load_workbook(backend.path)
    workbook["Incidents"]["K2"] = owner or None
    workbook.save(backend.path)
