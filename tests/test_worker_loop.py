"""`pmsheets worker` on a fake clock: the schedule, catch-up after downtime, DST, failing jobs, two workers, stopping.

Nothing sleeps: the loop's sleep advances the fake clock, so a week of ticks takes a second or two.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import gspread
import pytest

from pmsheets.ops.cycle import CycleResult
from pmsheets.ops.heartbeat import read_beat
from pmsheets.ops.lease import SheetLease
from pmsheets.ops.loop import IDLE_BEAT_SECONDS, Timing, Worker
from pmsheets.register.sheets import SheetsRegister
from sheets_emulator import DEFAULT_EMAIL, SheetsEmulator
from tests.builders import sheets_register, write_workbook
from tests.report_fixtures import sample_tables
from tests.worker_fixtures import (
    BERLIN,
    MONDAY_0900,
    NEW_YORK,
    Cycles,
    EventLines,
    FakeClock,
    MemoryRegister,
    memory_cycles,
    worker_config,
)

SUNDAY = MONDAY_0900 - timedelta(hours=33)  # Sunday 29 November, 00:00 in Berlin
NEXT_SUNDAY = SUNDAY + timedelta(days=7)
REPORTS_PER_WEEK = 2  # the overdue report and the escalation report


@pytest.fixture(autouse=True)
def utc_process_zone(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """schedule keeps naive local times; a fixed process zone keeps these tests the same on every machine."""
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def worker_for(cycles: Cycles, heartbeat: Path, timing: Timing | None = None) -> Worker:
    return Worker(
        cycle=cycles.run,
        clock=cycles.clock,
        timing=timing or Timing.from_config(cycles.config),
        heartbeat=heartbeat,
        events=cycles.events.log,
    )


def run_until(worker: Worker, clock: FakeClock, end: datetime) -> None:
    worker.run(should_stop=lambda: clock() >= end, sleep=clock.advance)


def sent_at(cycles: Cycles) -> list[datetime]:
    return [datetime.fromisoformat(line["at"]) for line in cycles.events.named("report.sent")]


# --- the weekly schedule --------------------------------------------------------------------------


def test_worker_week_of_ticks_sends_each_weekly_report_once(tmp_path: Path) -> None:
    cycles = memory_cycles(tmp_path, start=SUNDAY)
    run_until(worker_for(cycles, tmp_path / "worker.heartbeat"), cycles.clock, NEXT_SUNDAY)
    assert len(cycles.mailer.sent) == REPORTS_PER_WEEK
    assert set(sent_at(cycles)) == {MONDAY_0900}
    assert not any(subject.startswith("[late") for subject in cycles.mailer.subjects())


def test_worker_cycles_every_sync_interval(tmp_path: Path) -> None:
    cycles = memory_cycles(tmp_path, start=SUNDAY, worker={"sync_every_minutes": 15})
    run_until(worker_for(cycles, tmp_path / "worker.heartbeat"), cycles.clock, SUNDAY + timedelta(hours=2))
    assert len(cycles.events.named("cycle")) == 8  # at once, then every 15 minutes


def test_worker_stopped_across_monday_0900_sends_late_once_after_a_restart_at_1400(tmp_path: Path) -> None:
    register = MemoryRegister(sample_tables())
    before = memory_cycles(tmp_path, register, start=SUNDAY)
    run_until(worker_for(before, tmp_path / "worker.heartbeat"), before.clock, MONDAY_0900 - timedelta(hours=1))
    after = memory_cycles(tmp_path, register, start=MONDAY_0900 + timedelta(hours=5))
    run_until(worker_for(after, tmp_path / "worker.heartbeat"), after.clock, NEXT_SUNDAY)
    assert before.mailer.sent == []
    assert len(after.mailer.sent) == REPORTS_PER_WEEK
    assert all(subject.startswith("[late: due Mon 30 Nov 09:00 CET] ") for subject in after.mailer.subjects())
    assert set(sent_at(after)) == {MONDAY_0900 + timedelta(hours=5)}


def test_worker_restarted_on_thursday_sends_nothing_and_logs_the_skip(tmp_path: Path) -> None:
    cycles = memory_cycles(tmp_path, start=MONDAY_0900 + timedelta(days=3, hours=1))
    run_until(worker_for(cycles, tmp_path / "worker.heartbeat"), cycles.clock, NEXT_SUNDAY)
    assert cycles.mailer.sent == []
    skipped = cycles.events.named("weekly.skipped")
    assert len(skipped) == 1
    assert "2026-W49" in skipped[0]["message"]
    assert "max_late_hours (48)" in skipped[0]["message"]


@pytest.mark.parametrize(
    ("zone", "monday"),
    [
        pytest.param(BERLIN, datetime(2026, 3, 30, 9, 0), id="berlin-spring-forward"),
        pytest.param(BERLIN, datetime(2026, 10, 26, 9, 0), id="berlin-fall-back"),
        pytest.param(NEW_YORK, datetime(2026, 3, 9, 9, 0), id="new-york-spring-forward"),
        pytest.param(NEW_YORK, datetime(2026, 11, 2, 9, 0), id="new-york-fall-back"),
    ],
)
def test_worker_sends_at_0900_local_in_the_week_of_a_dst_change(tmp_path: Path, zone: ZoneInfo, monday: datetime) -> None:
    local_monday = monday.replace(tzinfo=zone)
    saturday = local_monday - timedelta(days=2, hours=9)  # before the clocks change (early Sunday)
    cycles = memory_cycles(tmp_path, start=saturday, timezone=str(zone), worker={"sync_every_minutes": 24 * 60})
    run_until(worker_for(cycles, tmp_path / "worker.heartbeat"), cycles.clock, local_monday + timedelta(days=1))
    assert [moment.astimezone(zone).replace(tzinfo=None) for moment in sent_at(cycles)] == [monday] * REPORTS_PER_WEEK


def test_worker_next_weekly_run_is_0900_local_after_a_dst_change(tmp_path: Path) -> None:
    cycles = memory_cycles(tmp_path, start=datetime(2026, 3, 24, 12, 0, tzinfo=BERLIN))  # Tuesday, winter time
    worker = worker_for(cycles, tmp_path / "worker.heartbeat")
    worker.start()
    assert worker.next_weekly().astimezone(BERLIN) == datetime(2026, 3, 30, 9, 0, tzinfo=BERLIN)  # summer time


# --- failing jobs -----------------------------------------------------------------------------------


def raising_worker(tmp_path: Path, clock: FakeClock, calls: list[datetime]) -> tuple[Worker, EventLines]:
    def cycle(now: datetime) -> CycleResult:
        calls.append(now)
        msg = "a bug in the cycle"
        raise RuntimeError(msg)

    events = EventLines(clock)
    timing = Timing(sync_seconds=60, weekly_day="monday", weekly_time="09:00", timezone="Europe/Berlin")
    return Worker(cycle=cycle, clock=clock, timing=timing, heartbeat=tmp_path / "worker.heartbeat", events=events.log), events


def test_worker_job_raising_is_logged_with_its_traceback_and_the_other_jobs_go_on(tmp_path: Path) -> None:
    clock, calls, beats = FakeClock(SUNDAY), list[datetime](), list[datetime | None]()
    worker, events = raising_worker(tmp_path, clock, calls)

    def stop_after_an_hour() -> bool:
        beat = read_beat(tmp_path / "worker.heartbeat")
        beats.append(beat.at if beat else None)
        return clock() >= SUNDAY + timedelta(hours=1)

    worker.run(should_stop=stop_after_an_hour, sleep=clock.advance)
    failures = events.named("job.failed")
    assert "RuntimeError: a bug in the cycle" in failures[0]["traceback"]
    assert len(calls) > 1  # the failing job itself goes on being tried
    assert max(beat for beat in beats if beat is not None) == SUNDAY + timedelta(minutes=59)  # the heartbeat job kept beating


def test_worker_failing_job_backs_off_instead_of_retrying_every_tick(tmp_path: Path) -> None:
    clock, calls = FakeClock(SUNDAY), list[datetime]()
    worker, _ = raising_worker(tmp_path, clock, calls)
    run_until(worker, clock, SUNDAY + timedelta(hours=4))
    gaps = [(later - earlier).total_seconds() / 60 for earlier, later in itertools.pairwise(calls)]
    assert gaps[:6] == [1, 2, 4, 8, 16, 32]
    assert max(gaps) == 60


# --- heartbeat and stopping -------------------------------------------------------------------------


def test_worker_heartbeat_is_never_older_than_a_minute_while_idle(tmp_path: Path) -> None:
    cycles = memory_cycles(tmp_path, start=SUNDAY)
    ages: list[float] = []

    def stop_after_three_hours() -> bool:
        beat = read_beat(tmp_path / "worker.heartbeat")
        assert beat is not None
        ages.append((cycles.clock() - beat.at).total_seconds())
        return cycles.clock() >= SUNDAY + timedelta(hours=3)

    worker_for(cycles, tmp_path / "worker.heartbeat").run(should_stop=stop_after_three_hours, sleep=cycles.clock.advance)
    assert max(ages) <= IDLE_BEAT_SECONDS


def test_worker_asked_to_stop_mid_cycle_finishes_the_cycle_then_stops(tmp_path: Path) -> None:
    cycles = memory_cycles(tmp_path, start=MONDAY_0900)
    stop = {"asked": False}
    cycles.mailer.on_send = lambda: stop.update(asked=True)  # SIGTERM arrives while the first report goes out
    worker_for(cycles, tmp_path / "worker.heartbeat").run(should_stop=lambda: stop["asked"], sleep=cycles.clock.advance)
    assert len(cycles.mailer.sent) == REPORTS_PER_WEEK
    assert cycles.events.named("cycle")[0]["status"] == "ok"
    beat = read_beat(tmp_path / "worker.heartbeat")
    assert beat is not None
    assert beat.state == "stopped"


# --- two workers ------------------------------------------------------------------------------------


def tick_together(workers: list[Worker], clock: FakeClock, end: datetime) -> None:
    for worker in workers:
        worker.start()
    while clock() < end:
        clock.advance(IDLE_BEAT_SECONDS)
        for worker in workers:
            worker.tick()


def test_two_workers_on_one_workbook_register_send_each_report_once(tmp_path: Path) -> None:
    register = MemoryRegister(sample_tables())
    one = memory_cycles(tmp_path, register, start=SUNDAY, holder="host-a:1")
    two = memory_cycles(tmp_path, register, start=SUNDAY, holder="host-b:1")
    two.clock = one.clock
    workers = [worker_for(one, tmp_path / "a.heartbeat"), worker_for(two, tmp_path / "b.heartbeat")]
    tick_together(workers, one.clock, NEXT_SUNDAY)
    assert len(one.mailer.sent) + len(two.mailer.sent) == REPORTS_PER_WEEK


def test_two_workers_on_one_google_sheet_send_each_report_once(
    emulator: SheetsEmulator, sheets_client: gspread.Client, tmp_path: Path
) -> None:
    first = sheets_register(emulator, sheets_client, write_workbook(tmp_path / "register.xlsx", sample_tables()))
    second = SheetsRegister(sheets_client, first._key, account_email=DEFAULT_EMAIL, sleep=lambda _seconds: None)
    config = worker_config(tmp_path, worker={"sync_every_minutes": 5})
    one = Cycles(first, SheetLease(first, "host-a:1"), config, start=MONDAY_0900 - timedelta(minutes=10))
    two = Cycles(second, SheetLease(second, "host-b:1"), config)
    two.clock = one.clock
    workers = [worker_for(one, tmp_path / "a.heartbeat"), worker_for(two, tmp_path / "b.heartbeat")]
    tick_together(workers, one.clock, MONDAY_0900 + timedelta(minutes=20))
    assert len(one.mailer.sent) + len(two.mailer.sent) == REPORTS_PER_WEEK


def test_two_workers_with_one_lease_crashed_holder_the_other_sends_after_the_lease_lapses(tmp_path: Path) -> None:
    register = MemoryRegister(sample_tables())
    crashed = memory_cycles(tmp_path, register, holder="host-a:1")
    crashed.lease.acquire(MONDAY_0900 - timedelta(minutes=1), timedelta(minutes=10))  # then the process died
    survivor = memory_cycles(
        tmp_path, register, start=MONDAY_0900 - timedelta(minutes=5), holder="host-b:1", worker={"sync_every_minutes": 5}
    )
    run_until(worker_for(survivor, tmp_path / "worker.heartbeat"), survivor.clock, MONDAY_0900 + timedelta(minutes=30))
    assert set(sent_at(survivor)) == {MONDAY_0900 + timedelta(minutes=10)}
