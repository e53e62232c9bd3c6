"""One worker cycle: what `pmsheets run` does once and `pmsheets worker` does on every tick.

    read -> check -+-> findings   write the Findings tab
                   +-> drafts     write due post-mortem drafts, link them from the register
                   +-> reports    send the weekly reports when due (lease holder only)

The register is read once per cycle. `findings`, `drafts` and `reports` need only the
checked register, not each other, so each runs even when another failed (the Findings tab
locked in Excel must not hold back Monday's email). A failed read or check skips them all.
On a backend that takes concurrent writes (Google Sheets), the Findings write goes out on a
thread of its own: the service spends seconds applying it, time the drafts and the reports
use instead of waiting.

Everything the cycle touches comes in as an argument (backend, lease, mailer, config, the
time, the event log), so tests drive it with a fake clock and no hidden state. What a
long-running worker carries between cycles is the explicit `CycleState`.
"""

from __future__ import annotations

import enum
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from pmsheets import __version__
from pmsheets.config import Config
from pmsheets.core.check import Validation, check_parsed, findings_rows, findings_stamp, not_all_shown, parse_register
from pmsheets.core.overdue import find_overdue
from pmsheets.core.policy import Policy, next_change
from pmsheets.core.report_log import LOG_HEADERS, LOG_TITLE, LogEntry, read_log
from pmsheets.core.schema import RawWorkbook
from pmsheets.core.weekly import SlotState, WeeklyDue, next_slot, weekly_due
from pmsheets.errors import ExitCode, PmsheetsError
from pmsheets.gc_pause import frozen_heap
from pmsheets.ops.events import EventLog
from pmsheets.ops.lease import Lease
from pmsheets.outputs.delivery import Outcome as Delivered
from pmsheets.outputs.delivery import Planned, deliver, links_for, plan
from pmsheets.outputs.mail import Transport
from pmsheets.outputs.postmortem_doc import Outcome as DocumentOutcome
from pmsheets.outputs.publish import draft_and_link, read_documents
from pmsheets.register import FindingsLook, RawRegister, RegisterBackend, all_but_findings, tabs_named, write_findings_if_changed
from pmsheets.register.report_log_store import append_report_log


class Status(enum.StrEnum):
    OK = "ok"
    FAILED = "failed"
    SKIPPED = "skipped"


@dataclass(frozen=True, slots=True)
class StepOutcome:
    step: str
    status: Status
    detail: str


@dataclass(frozen=True, slots=True)
class CycleResult:
    at: datetime
    steps: tuple[StepOutcome, ...]
    error_findings: bool = False

    @property
    def failed(self) -> bool:
        return any(step.status is Status.FAILED for step in self.steps)

    @property
    def exit_code(self) -> ExitCode:
        """As validate: 2 when something could not be done, else 1 when the register has error findings."""
        if self.failed:
            return ExitCode.FAILURE
        return ExitCode.FINDINGS if self.error_findings else ExitCode.OK

    def step(self, name: str) -> StepOutcome:
        return next(step for step in self.steps if step.step == name)

    def verdict(self) -> str:
        """`ok`, or `failed` with the first failed step's reason (what `pmsheets health` shows)."""
        failed = next((step for step in self.steps if step.status is Status.FAILED), None)
        return "ok" if failed is None else f"failed: {failed.step}: {failed.detail}"

    def summary(self) -> str:
        return ", ".join(f"{step.step} {step.status}" for step in self.steps)


class StepFailed(PmsheetsError):
    """A step did part of its work and failed the rest; the message says which."""


@dataclass
class Backoff:
    """Per key (a step, a job): after n failures in a row, wait first * 2**(n-1), at most `most`."""

    first: timedelta = timedelta(minutes=1)
    most: timedelta = timedelta(hours=1)
    _failures: dict[str, int] = field(default_factory=dict)
    _retry_at: dict[str, datetime] = field(default_factory=dict)

    def ready(self, key: str, now: datetime) -> bool:
        retry_at = self._retry_at.get(key)
        return retry_at is None or now >= retry_at

    def failed(self, key: str, now: datetime) -> datetime:
        count = self._failures.get(key, 0) + 1
        self._failures[key] = count
        self._retry_at[key] = now + min(self.first * 2 ** (count - 1), self.most)
        return self._retry_at[key]

    def succeeded(self, key: str) -> None:
        self._failures.pop(key, None)
        self._retry_at.pop(key, None)

    def failures(self, key: str) -> int:
        return self._failures.get(key, 0)


@dataclass
class CycleState:
    """What a long-running worker carries from one cycle to the next; `pmsheets run` starts empty."""

    backoff: Backoff = field(default_factory=Backoff)
    unlogged: list[list[str]] = field(default_factory=list)
    """Report-log rows of messages that were delivered but could not be recorded yet.
    They count as sent (no second email) and are written when the register takes them."""
    skips_reported: set[str] = field(default_factory=set)
    """Weeks whose skip was logged already, so an outage logs it once, not every tick."""
    failing: dict[str, str] = field(default_factory=dict)
    """Each failing step's last reason, so an outage is logged once (again when the reason changes)."""
    idle_when_unchanged: bool = False
    """Skip a cycle whose register has not changed and whose next deadline has not come (the worker);
    `pmsheets run` does every cycle in full and spends no request on the register's version."""
    quiet: Quiet | None = None
    """What the last full cycle that did all its work saw, for the next cycle to compare with."""


@dataclass(frozen=True, slots=True)
class Quiet:
    """A register version, taken *before* a full cycle read it, and the first instant its findings or the
    weekly reports can change by time alone (None: never). An edit landing at any moment after the version
    was taken, even between the cycle's own write and this bookkeeping, changes the version: never missed.
    The cycle's own writes change it too, so the cycle after a write reads once more (and writes nothing)."""

    version: str
    until: datetime | None
    error_findings: bool

    def holds(self, version: str | None, now: datetime) -> bool:
        return version == self.version and (self.until is None or now < self.until)


def run_cycle(
    *,
    backend: RegisterBackend,
    lease: Lease,
    mailer: Transport,
    config: Config,
    now: datetime,
    events: EventLog,
    state: CycleState | None = None,
) -> CycleResult:
    cycle = _Cycle(backend, lease, mailer, config, now, events, state or CycleState())
    return cycle.run()


class _Cycle:
    def __init__(
        self, backend: RegisterBackend, lease: Lease, mailer: Transport, config: Config, now: datetime, events: EventLog, state: CycleState
    ) -> None:
        self.backend, self.lease, self.mailer, self.config = backend, lease, mailer, config
        self.now, self.events, self.state = now, events, state
        self.outcomes: list[StepOutcome] = []
        self.raw = RawRegister(tables={})
        self.policy = Policy()
        self.validation: Validation | None = None
        self.reports_waiting = False

    def run(self) -> CycleResult:
        version = self.backend.version() if self.state.idle_when_unchanged else None
        quiet = self.state.quiet
        if quiet is not None and quiet.holds(version, self.now):
            return self.idle(quiet)
        self.state.quiet = None
        if self.attempt("read", self.read) and self.attempt("check", self.check):
            with frozen_heap():
                self.write_steps()
        done = {outcome.step for outcome in self.outcomes}
        for name in ("check", "findings", "drafts", "reports"):
            if name not in done:
                self.record(name, Status.SKIPPED, "needs the register read and checked")
        self.outcomes.sort(key=lambda outcome: STEPS.index(outcome.step))
        result = CycleResult(self.now, tuple(self.outcomes), self.validation is not None and self.validation.has_errors)
        log = self.events.error if result.failed else self.events.info
        log("cycle", f"cycle done: {result.summary()}", status="failed" if result.failed else "ok")
        if version is not None and not result.failed and not self.state.unlogged and not self.reports_waiting:
            self.state.quiet = Quiet(version, self.quiet_until(), result.error_findings)
        return result

    def idle(self, quiet: Quiet) -> CycleResult:
        """Nothing to do: no request beyond the version, no step run, one log line."""
        until = f"nothing is due before {quiet.until.isoformat(timespec='seconds')}" if quiet.until else "nothing is due by time alone"
        detail = f"register unchanged since the last cycle and {until}"
        self.events.info("cycle", f"cycle idle: {detail}", status="idle")
        return CycleResult(self.now, tuple(StepOutcome(step, Status.SKIPPED, detail) for step in STEPS), quiet.error_findings)

    def quiet_until(self) -> datetime | None:
        """The first instant a cycle over the same register could do something else: a finding (or a draft)
        changing at a deadline, or the next weekly slot."""
        moments = [next_change(self.checked.register, self.now, self.policy)]
        if self.config.reports.wanted_kinds():
            moments.append(next_slot(self.now, self.config.weekly_schedule()))
        return min((moment for moment in moments if moment is not None), default=None)

    def write_steps(self) -> None:
        steps = {"findings": self.findings, "drafts": self.drafts, "reports": self.reports}
        if not self.backend.writes_concurrently:
            for name, action in steps.items():
                self.attempt(name, action)
            return
        ready = [name for name in steps if self.ready(name)]
        sent = threading.Event()

        def findings() -> str:
            try:
                return self.findings(on_sent=sent.set)
            finally:
                sent.set()

        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="findings-write") as pool:
            write = pool.submit(_tried, "findings", findings) if "findings" in ready else None
            if write is not None:
                # The rows are encoded and sent at full speed first: only the service's time applying them is shared.
                sent.wait()
            for name in ready:
                if name != "findings":
                    self.settle(_tried(name, steps[name]))
            if write is not None:
                self.settle(write.result())

    def attempt(self, step: str, action: Callable[[], str]) -> bool:
        return self.ready(step) and self.settle(_tried(step, action))

    def ready(self, step: str) -> bool:
        backoff = self.state.backoff
        if backoff.ready(step, self.now):
            return True
        self.record(step, Status.SKIPPED, f"backing off after {backoff.failures(step)} failure(s) in a row")
        return False

    def settle(self, tried: _Tried) -> bool:
        """Record how a step went and keep its backoff; on the cycle's own thread, whichever thread ran it."""
        step, backoff = tried.step, self.state.backoff
        if tried.crash is not None:
            error = tried.crash
            self.events.exception("step.crashed", f"{step} raised {type(error).__name__}: {error}", error, step=step)
            self.record(step, Status.FAILED, f"unexpected {type(error).__name__}: {error}")
        elif tried.error is not None:
            detail = str(tried.error)
            logged_before = self.state.failing.get(step) == detail
            self.state.failing[step] = detail
            self.record(step, Status.FAILED, detail, logged_before=logged_before)
        else:
            backoff.succeeded(step)
            if self.state.failing.pop(step, None) is not None:
                self.events.info("step.recovered", f"{step} works again", step=step)
            self.record(step, Status.OK, tried.detail)
            return True
        retry_at = backoff.failed(step, self.now)
        self.events.info("step.backoff", f"{step} is retried from {retry_at.isoformat(timespec='seconds')} on", step=step)
        return False

    def record(self, step: str, status: Status, detail: str, *, logged_before: bool = False) -> None:
        self.outcomes.append(StepOutcome(step, status, detail))
        if logged_before:  # an outage is logged once with its reason, not on every retry
            self.events.info("step", f"{step} {status} again, for the reason logged before", step=step, status=str(status))
            return
        log = self.events.error if status is Status.FAILED else self.events.info
        log("step", f"{step} {status}: {detail}", step=step, status=str(status))

    # --- steps: each returns a one-line detail or raises -------------------------------------------

    def read(self) -> str:
        self.raw = self.backend.read(all_but_findings)
        return f"read {len(self.raw.tables)} tab(s) of {self.backend.describe()}"

    def check(self) -> str:
        timezone = self.config.effective_timezone(self.raw.timezone)
        self.policy = self.config.policy_in(timezone)
        documents = read_documents(self.config)
        if documents.problem is not None:
            self.events.warning("documents.unread", f"post-mortem documents not checked: {documents.problem}")
        settings = self.config.parse_settings(timezone)
        parsed = parse_register(self.raw.tables, settings)
        # From here on only the typed register is read, and of the raw PM tabs only the Incidents header (the
        # draft links): letting the rows go before the rules run keeps them and the findings from peaking together.
        self.raw = self.raw.headers_only(set(parsed.register.tab_titles.values()))
        self.validation = check_parsed(parsed, as_of=self.now, policy=self.policy, documents=documents)
        counts = self.validation.counts
        return f"{counts['error']} error(s), {counts['warning']} warning(s), {counts['info']} info"

    def findings(self, on_sent: Callable[[], None] = lambda: None) -> str:
        findings = self.checked.findings
        look = FindingsLook(findings_stamp(self.checked.as_of, self.policy.timezone, __version__), self.config.findings.highlight)
        rows = findings_rows(findings, self.checked.register)
        shown, written = write_findings_if_changed(self.backend, rows, look=look, on_sent=on_sent)
        if not written:
            return f"{len(findings)} finding(s), unchanged: the Findings tab already shows them{not_all_shown(shown, len(findings))}"
        return f"{len(findings)} finding(s) written to the Findings tab{not_all_shown(shown, len(findings))}"

    def drafts(self) -> str:
        checked = self.checked
        drafted = draft_and_link(self.config, self.backend, self.raw.tables, checked.register, as_of=self.now, policy=self.policy)
        for result in drafted.results:
            if result.outcome is DocumentOutcome.CONFLICT:
                self.events.warning("draft.conflict", f"{result.name} belongs to another incident; no draft for {result.incident_id}")
        if drafted.problem is not None:
            msg = f"{drafted.summary()}; {drafted.problem}"
            raise StepFailed(msg)
        return drafted.summary()

    def reports(self) -> str:
        self.flush_unlogged()
        log = self.report_log(self.raw.tables)
        due = self.due(log)
        if due.state is SlotState.SKIPPED:
            self.report_skip(due)
        if due.state is not SlotState.DUE:
            return f"weekly reports of {due.week}: {due.state}"
        # Built before the lease: it needs no lock and takes seconds at scale (the snapshot), which
        # then overlap a Findings write still under way.
        planned = self.planned(due, log)
        claim = self.lease.acquire(self.now, timedelta(minutes=self.config.worker.lease_minutes))
        if not claim.ours:
            self.reports_waiting = True  # due but not ours to send: keep looking every tick
            return f"weekly reports of {due.week} are due; the sending lease is held by {claim.describe()}"
        try:
            return self.send_due(planned)
        finally:
            self.lease.release()
            self.mailer.close()

    # --- reports -----------------------------------------------------------------------------------

    @property
    def checked(self) -> Validation:
        assert self.validation is not None, "the check step runs first"
        return self.validation

    def due(self, log: Sequence[LogEntry]) -> WeeklyDue:
        return weekly_due(self.now, self.config.weekly_schedule(), log, self.config.reports.wanted_kinds())

    def report_log(self, tables: RawWorkbook) -> list[LogEntry]:
        return read_log(tables) + read_log({LOG_TITLE: [LOG_HEADERS, *self.state.unlogged]})

    def planned(self, due: WeeklyDue, log: Sequence[LogEntry]) -> list[Planned]:
        overdue = find_overdue(self.checked.register, as_of=self.now, policy=self.policy)
        settings = self.config.reports
        return plan(
            due.kinds,
            overdue=overdue,
            findings=self.checked.findings,
            log=log,
            settings=settings,
            templates_dir=self.config.templates_dir,
            links=links_for(self.raw, settings),
        )

    def send_due(self, planned: Sequence[Planned]) -> str:
        # Read again under the lease: a worker that sent since this cycle's read has logged it by now.
        log = self.report_log(self.backend.read(tabs_named(LOG_TITLE)).tables)
        due = self.due(log)
        if due.state is not SlotState.DUE:
            return f"weekly reports of {due.week}: {due.state} (seen under the lease)"
        messages = [for_slot(message, due) for message in planned if message.recipients and message.rendered.kind in due.kinds]
        outcomes = deliver(
            messages, transport=self.mailer, sender=self.config.mail.sender, log=log, append_log=self.append_log, clock=lambda: self.now
        )
        for outcome in outcomes:
            self.report_outcome(outcome, due)
        summary = f"weekly reports of {due.week}{' (late)' if due.late else ''}: " + "; ".join(outcome.line() for outcome in outcomes)
        if any(outcome.failed for outcome in outcomes):
            raise StepFailed(summary)
        return summary

    def report_outcome(self, outcome: Delivered, due: WeeklyDue) -> None:
        kind, name = str(outcome.planned.rendered.kind), outcome.planned.rendered.name
        if outcome.failed:
            self.events.error("report.failed", outcome.line(), report=name, kind=kind, week=due.week)
        elif outcome.sent_to:
            self.events.info("report.sent", outcome.line(), report=name, kind=kind, week=due.week, late=due.late)

    def report_skip(self, due: WeeklyDue) -> None:
        if due.week in self.state.skips_reported:
            return
        self.state.skips_reported.add(due.week)
        hours = due.late_by.total_seconds() / 3600
        self.events.warning(
            "weekly.skipped",
            f"weekly reports of {due.week} (due {due.slot.isoformat(timespec='minutes')}) were not sent: now {hours:.0f} h late, "
            f"beyond reports.weekly.max_late_hours ({self.config.reports.max_late_hours:g}); "
            "the week is skipped. `pmsheets report --send` sends it by hand.",
            week=due.week,
            kinds=",".join(due.kinds),
        )

    def append_log(self, rows: Sequence[Sequence[str]]) -> None:
        """The message went out: if the log cannot take its rows now, keep them so it is not sent again."""
        try:
            append_report_log(self.backend, rows)
        except PmsheetsError as error:
            self.state.unlogged.extend([list(row) for row in rows])
            self.events.error("report.unlogged", f"delivered, but the Report log could not record it ({error}); kept in memory and retried")

    def flush_unlogged(self) -> None:
        if not self.state.unlogged:
            return
        try:
            append_report_log(self.backend, self.state.unlogged)
        except PmsheetsError:
            return  # still kept; they go on counting as sent
        self.events.info("report.logged", f"{len(self.state.unlogged)} delayed Report log row(s) written")
        self.state.unlogged.clear()


STEPS = ("read", "check", "findings", "drafts", "reports")


@dataclass(frozen=True, slots=True)
class _Tried:
    step: str
    detail: str = ""
    error: PmsheetsError | None = None
    crash: Exception | None = None


def _tried(step: str, action: Callable[[], str]) -> _Tried:
    try:
        return _Tried(step, detail=action())
    except PmsheetsError as error:
        return _Tried(step, error=error)
    except Exception as error:  # noqa: BLE001  a crashing step is logged with its traceback; the other steps still run
        return _Tried(step, crash=error)


def for_slot(message: Planned, due: WeeklyDue) -> Planned:
    """Filed under the slot's week, and marked in the subject when it goes out late."""
    rendered = message.rendered
    if due.late:
        rendered = replace(rendered, subject=f"[late: due {due.slot:%a %d %b %H:%M %Z}] {rendered.subject}")
    return replace(message, week=due.week, rendered=rendered)
