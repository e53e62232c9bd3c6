"""One worker cycle: read once, check, Findings, drafts, due weekly reports; each step's outcome recorded."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

from pmsheets.core.report_log import read_log
from pmsheets.errors import ExitCode, RegisterError, WriteRefused
from pmsheets.ops.cycle import CycleResult, Status
from pmsheets.ops.lease import FileLease, lease_for
from pmsheets.register import RawRegister, RegisterBackend, TabFilter, every_tab
from tests.builders import Tables
from tests.postmortem_fixtures import LINK_BASE
from tests.postmortem_fixtures import sample_tables as postmortem_tables
from tests.report_fixtures import sample_tables as report_tables
from tests.worker_fixtures import MONDAY_0900, Cycles, MemoryRegister, log_rows, memory_cycles, memory_register, worker_config

OVERDUE_AND_ESCALATION = 2


class FailingWrites(MemoryRegister):
    """A register whose Findings write fails with the given error."""

    def __init__(self, tables: Tables, error: Exception) -> None:
        super().__init__(tables)
        self.error = error

    def write_findings(self, rows: Any, *, on_sent: Callable[[], None] = lambda: None, **look: Any) -> int:
        raise self.error


class SlowConcurrentWrites(MemoryRegister):
    """Takes writes alongside other requests, as Google Sheets does; its Findings write ends only once a report is sent."""

    writes_concurrently = True

    def __init__(self, tables: Tables) -> None:
        super().__init__(tables)
        self.report_sent = threading.Event()
        self.write_waited_for_a_report: bool | None = None

    def write_findings(self, rows: Any, *, on_sent: Callable[[], None] = lambda: None, **look: Any) -> int:
        on_sent()  # the rows are on their way; the service takes its time to apply them
        self.write_waited_for_a_report = self.report_sent.wait(timeout=10)
        return super().write_findings(rows)


class ConcurrentFailingWrites(FailingWrites):
    writes_concurrently = True


# --- real parts: the workbook and the Sheets emulator ---------------------------------------------


def test_cycle_checks_writes_findings_and_sends_the_due_reports(register_from: Callable[[Tables], RegisterBackend], tmp_path: Path) -> None:
    backend = register_from(report_tables())
    cycles = Cycles(backend, lease_for(backend, "worker-a"), worker_config(tmp_path))
    result = cycles.run()
    assert [step.status for step in result.steps] == [Status.OK] * 5
    assert result.exit_code == ExitCode.FINDINGS  # the sample register has error findings, as validate would say
    assert len(cycles.mailer.sent) == OVERDUE_AND_ESCALATION
    tables = backend.read().tables
    assert len(tables["Findings"]) > 1
    assert {entry.kind for entry in read_log(tables)} == {"overdue", "escalation"}


def test_cycle_writes_due_drafts_and_links_them(register_from: Callable[[Tables], RegisterBackend], tmp_path: Path) -> None:
    backend = register_from(postmortem_tables())
    cycles = Cycles(backend, lease_for(backend, "worker-a"), worker_config(tmp_path, postmortems={"link_base": LINK_BASE}))
    result = cycles.run()
    assert result.step("drafts").status is Status.OK
    drafts = sorted(path.name for path in (tmp_path / "postmortems").glob("*.md"))
    assert [name.split("-")[4] for name in drafts] == ["1", "2", "3"]  # 2026-11-20-inc-1-...
    incidents = backend.read().tables["Incidents"]
    doc_column = list(incidents[0]).index("Post-mortem doc")
    assert str(incidents[1][doc_column]).startswith(LINK_BASE)


# --- reading once, and steps that do not depend on each other --------------------------------------


def test_cycle_reads_the_register_once_when_no_report_is_due(tmp_path: Path) -> None:
    cycles = memory_cycles(tmp_path)
    cycles.run(MONDAY_0900 - timedelta(hours=1))
    assert cycles.backend.reads == 1


def test_cycle_reads_the_log_again_under_the_lease_before_sending(tmp_path: Path) -> None:
    cycles = memory_cycles(tmp_path)
    cycles.run()
    assert cycles.backend.reads == 2


def test_cycle_failing_findings_write_does_not_stop_reports_or_drafts(tmp_path: Path) -> None:
    register = FailingWrites(report_tables(), WriteRefused("register.xlsx is open in Excel"))
    cycles = memory_cycles(tmp_path, register)
    result = cycles.run()
    assert result.step("findings").status is Status.FAILED
    assert (result.step("drafts").status, result.step("reports").status) == (Status.OK, Status.OK)
    assert len(cycles.mailer.sent) == OVERDUE_AND_ESCALATION
    assert result.exit_code == ExitCode.FAILURE


def test_cycle_step_raising_unexpectedly_is_logged_with_its_traceback(tmp_path: Path) -> None:
    cycles = memory_cycles(tmp_path, FailingWrites(report_tables(), KeyError("bug")))
    result = cycles.run()
    crashed = cycles.events.named("step.crashed")
    assert crashed[0]["step"] == "findings"
    assert "Traceback (most recent call last)" in crashed[0]["traceback"]
    assert result.step("reports").status is Status.OK


def test_cycle_unreadable_register_skips_every_other_step(tmp_path: Path) -> None:
    class Unreachable(MemoryRegister):
        def read(self, wanted: TabFilter = every_tab) -> RawRegister:
            msg = "could not open the spreadsheet: no answer from the API"
            raise RegisterError(msg)

    result = memory_cycles(tmp_path, Unreachable({})).run()
    assert [(step.step, step.status) for step in result.steps] == [
        ("read", Status.FAILED),
        ("check", Status.SKIPPED),
        ("findings", Status.SKIPPED),
        ("drafts", Status.SKIPPED),
        ("reports", Status.SKIPPED),
    ]
    assert result.exit_code == ExitCode.FAILURE


def test_cycle_failed_step_backs_off_before_it_is_tried_again(tmp_path: Path) -> None:
    cycles = memory_cycles(tmp_path)
    cycles.mailer.down = "could not connect to smtp.example.com:587 (Connection refused)"
    cycles.run()
    cycles.mailer.down = None
    assert cycles.run(MONDAY_0900 + timedelta(seconds=30)).step("reports").status is Status.SKIPPED
    assert cycles.run(MONDAY_0900 + timedelta(minutes=1)).step("reports").status is Status.OK


# --- reports --------------------------------------------------------------------------------------


def test_cycle_sends_each_weekly_report_once(tmp_path: Path) -> None:
    cycles = memory_cycles(tmp_path)
    cycles.run()
    cycles.run(MONDAY_0900 + timedelta(minutes=15))
    assert len(cycles.mailer.sent) == OVERDUE_AND_ESCALATION


def test_cycle_with_smtp_down_fails_the_step_and_logs_nothing(tmp_path: Path) -> None:
    cycles = memory_cycles(tmp_path)
    cycles.mailer.down = "could not connect to smtp.example.com:587 (Connection refused)"
    result = cycles.run()
    assert result.step("reports").status is Status.FAILED
    assert "Connection refused" in result.step("reports").detail
    assert log_rows(cycles.backend) == []
    assert len(cycles.events.named("report.failed")) == OVERDUE_AND_ESCALATION


def test_cycle_late_report_says_so_in_its_subject(tmp_path: Path) -> None:
    cycles = memory_cycles(tmp_path)
    cycles.run(MONDAY_0900 + timedelta(hours=5))
    assert all(subject.startswith("[late: due Mon 30 Nov 09:00 CET] ") for subject in cycles.mailer.subjects())


def test_cycle_skipped_week_is_logged_once(tmp_path: Path) -> None:
    cycles = memory_cycles(tmp_path)
    thursday = MONDAY_0900 + timedelta(days=3)
    cycles.run(thursday)
    cycles.run(thursday + timedelta(minutes=15))
    assert cycles.mailer.sent == []
    skipped = cycles.events.named("weekly.skipped")
    assert [line["week"] for line in skipped] == ["2026-W49"]


def test_cycle_keeps_rows_the_log_refused_so_the_report_is_not_sent_again(tmp_path: Path) -> None:
    class LogDown(MemoryRegister):
        log_down = True

        def append_rows(self, title: str, headers: Any, rows: Any) -> None:
            if self.log_down:
                msg = "register.xlsx is open in Excel"
                raise RegisterError(msg)
            super().append_rows(title, headers, rows)

    register = LogDown(report_tables())
    cycles = memory_cycles(tmp_path, register)
    cycles.run()
    cycles.run(MONDAY_0900 + timedelta(minutes=15))
    assert len(cycles.mailer.sent) == OVERDUE_AND_ESCALATION
    register.log_down = False
    cycles.run(MONDAY_0900 + timedelta(minutes=30))
    assert len(log_rows(register)) == 4  # leads@, ops-review@ and the two managers in Cc
    assert len(cycles.mailer.sent) == OVERDUE_AND_ESCALATION


def test_cycle_sees_a_report_another_worker_logged_after_this_cycles_read(tmp_path: Path) -> None:
    class StaleFirstRead(MemoryRegister):
        """The first read returns the register as it was before another worker sent and logged."""

        stale: RawRegister | None = None

        def read(self, wanted: TabFilter = every_tab) -> RawRegister:
            if self.stale is not None:
                stale, self.stale = self.stale, None
                return stale
            return super().read(wanted)

    register = StaleFirstRead(report_tables())
    before = register.read()
    memory_cycles(tmp_path, register, holder="worker-b").run()  # sends and logs, then releases the lease
    register.stale = before
    cycles = memory_cycles(tmp_path, register)
    cycles.run(MONDAY_0900 + timedelta(minutes=1))
    assert cycles.mailer.sent == []


def test_cycle_does_not_send_while_another_worker_holds_the_lease(tmp_path: Path) -> None:
    FileLease(tmp_path / "register.worker-lease", "worker-b").acquire(MONDAY_0900, timedelta(minutes=10))
    cycles = memory_cycles(tmp_path)
    result = cycles.run()
    assert cycles.mailer.sent == []
    assert "held by worker-b" in result.step("reports").detail


def test_cycle_started_while_another_worker_is_sending_sends_nothing(tmp_path: Path) -> None:
    register = memory_register()
    first, second = memory_cycles(tmp_path, register), memory_cycles(tmp_path, register, holder="worker-b")
    during: list[CycleResult] = []
    first.mailer.on_send = lambda: during.append(second.run()) if not during else None
    first.run()
    assert "held by worker-a" in during[0].step("reports").detail
    assert (len(first.mailer.sent), len(second.mailer.sent)) == (OVERDUE_AND_ESCALATION, 0)


# --- the Findings write beside the other steps, on a backend that takes concurrent writes ---------


def test_cycle_sends_reports_while_a_concurrent_findings_write_is_under_way(tmp_path: Path) -> None:
    register = SlowConcurrentWrites(report_tables())
    cycles = memory_cycles(tmp_path, register)
    cycles.mailer.on_send = lambda *_: register.report_sent.set()
    result = cycles.run()
    assert register.write_waited_for_a_report is True
    assert [step.status for step in result.steps] == [Status.OK] * 5
    assert len(register.tables["Findings"]) > 1


def test_cycle_lists_the_steps_in_order_when_the_findings_write_ends_last(tmp_path: Path) -> None:
    register = SlowConcurrentWrites(report_tables())
    cycles = memory_cycles(tmp_path, register)
    cycles.mailer.on_send = lambda *_: register.report_sent.set()
    result = cycles.run()
    assert [step.step for step in result.steps] == ["read", "check", "findings", "drafts", "reports"]
    settled = [event["step"] for event in cycles.events.named("step")]
    assert settled[-1] == "findings"


def test_cycle_concurrent_findings_write_failing_is_recorded_and_spares_the_reports(tmp_path: Path) -> None:
    cycles = memory_cycles(tmp_path, ConcurrentFailingWrites(report_tables(), RegisterError("the API answered 500")))
    result = cycles.run()
    assert result.step("findings").status is Status.FAILED
    assert "the API answered 500" in result.step("findings").detail
    assert result.step("reports").status is Status.OK
    assert result.exit_code == ExitCode.FAILURE


def test_cycle_concurrent_findings_write_raising_is_logged_with_its_traceback(tmp_path: Path) -> None:
    cycles = memory_cycles(tmp_path, ConcurrentFailingWrites(report_tables(), KeyError("bug")))
    cycles.run()
    [crashed] = cycles.events.named("step.crashed")
    assert crashed["step"] == "findings"
    assert "KeyError" in crashed["traceback"]
