"""The sending lease: one holder at a time, renewal, expiry, release; on a lock file and on a hidden tab."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import gspread
import pytest

from pmsheets.ops.lease import LEASE_TITLE, FileLease, Lease, SheetLease, lease_for
from pmsheets.register.xlsx import XlsxRegister
from sheets_emulator import SheetsEmulator
from tests.builders import sheets_register, tables, write_workbook

NOW = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)
TTL = timedelta(minutes=10)

MakeLease = Callable[[str], Lease]


@pytest.fixture(params=["file", "sheet"])
def make_lease(request: pytest.FixtureRequest, tmp_path: Path) -> MakeLease:
    """Leases for several holders on one register: a workbook's lock file, or a Google Sheet's hidden tab."""
    workbook = write_workbook(tmp_path / "register.xlsx", tables())
    if request.param == "file":
        return lambda holder: lease_for(XlsxRegister(workbook), holder)
    register = sheets_register(request.getfixturevalue("emulator"), request.getfixturevalue("sheets_client"), workbook)
    return lambda holder: lease_for(register, holder)


def test_lease_first_claim_is_ours(make_lease: MakeLease) -> None:
    claim = make_lease("worker-a").acquire(NOW, TTL)
    assert (claim.ours, claim.holder, claim.expires) == (True, "worker-a", NOW + TTL)


def test_lease_held_by_another_is_refused_until_it_expires(make_lease: MakeLease) -> None:
    make_lease("worker-a").acquire(NOW, TTL)
    claim = make_lease("worker-b").acquire(NOW + timedelta(minutes=5), TTL)
    assert (claim.ours, claim.holder, claim.expires) == (False, "worker-a", NOW + TTL)


def test_lease_renewed_by_its_holder_moves_the_expiry(make_lease: MakeLease) -> None:
    lease = make_lease("worker-a")
    lease.acquire(NOW, TTL)
    claim = lease.acquire(NOW + timedelta(minutes=5), TTL)
    assert (claim.ours, claim.expires) == (True, NOW + timedelta(minutes=15))


def test_lease_of_a_crashed_holder_lapses_at_its_expiry(make_lease: MakeLease) -> None:
    make_lease("worker-a").acquire(NOW, TTL)  # and never released
    claim = make_lease("worker-b").acquire(NOW + TTL + timedelta(seconds=1), TTL)
    assert (claim.ours, claim.holder) == (True, "worker-b")


def test_lease_released_is_free_at_once(make_lease: MakeLease) -> None:
    lease = make_lease("worker-a")
    lease.acquire(NOW, TTL)
    lease.release()
    assert make_lease("worker-b").acquire(NOW, TTL).ours


def test_lease_release_by_a_non_holder_changes_nothing(make_lease: MakeLease) -> None:
    make_lease("worker-a").acquire(NOW, TTL)
    make_lease("worker-b").release()
    assert not make_lease("worker-b").acquire(NOW, TTL).ours


def test_file_lease_gives_one_of_many_simultaneous_claimants_the_lease(tmp_path: Path) -> None:
    path = tmp_path / "register.xlsx.worker-lease"
    start = threading.Barrier(8)
    wins: list[str] = []

    def claim(holder: str) -> None:
        start.wait()
        if FileLease(path, holder).acquire(NOW, TTL).ours:
            wins.append(holder)

    threads = [threading.Thread(target=claim, args=(f"worker-{n}",)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)
    assert len(wins) == 1


def test_file_lease_treats_an_unreadable_file_as_free(tmp_path: Path) -> None:
    path = tmp_path / "register.xlsx.worker-lease"
    path.write_text("{half a rec", encoding="utf-8")
    assert FileLease(path, "worker-a").acquire(NOW, TTL).ours


def test_sheet_lease_is_a_hidden_tab_the_checks_ignore(emulator: SheetsEmulator, sheets_client: gspread.Client, tmp_path: Path) -> None:
    register = sheets_register(emulator, sheets_client, write_workbook(tmp_path / "register.xlsx", tables()))
    SheetLease(register, "worker-a").acquire(NOW, TTL)
    sheets = sheets_client.open_by_key(register._key).fetch_sheet_metadata()["sheets"]
    lease_tab = next(sheet["properties"] for sheet in sheets if sheet["properties"]["title"] == LEASE_TITLE)
    assert lease_tab.get("hidden") is True


def test_sheet_lease_takeover_loses_to_a_faster_worker(emulator: SheetsEmulator, sheets_client: gspread.Client, tmp_path: Path) -> None:
    """Both see the expired lease; the other worker's takeover lands between our read and our write."""
    register = sheets_register(emulator, sheets_client, write_workbook(tmp_path / "register.xlsx", tables()))
    SheetLease(register, "crashed").acquire(NOW, TTL)
    later = NOW + TTL + timedelta(minutes=1)
    faster = SheetLease(register, "worker-a")

    def faster_takes_over(emu: SheetsEmulator) -> None:
        old_id = next(s["properties"]["sheetId"] for s in emu.store.get(register._key)["sheets"] if s["properties"]["title"] == LEASE_TITLE)
        emu.store.batch_update(
            register._key, {"requests": [{"deleteSheet": {"sheetId": old_id}}, *faster._create_requests(later + TTL, later)]}
        )

    emulator.faults.after_request(len(emulator.requests) + 1, faster_takes_over)  # right after our read
    claim = SheetLease(register, "worker-b").acquire(later, TTL)
    assert not claim.ours
    assert [request.status for request in emulator.requests if request.kind == "write"][-1] == 400  # refused as a whole
    assert SheetLease(register, "worker-b").acquire(later, TTL).holder == "worker-a"
