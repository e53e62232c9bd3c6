"""Parts for driving the worker without waiting: a fake clock, a register held in memory, a mailer that records.

The memory register keeps state like a real one (the Findings tab, the Report log, cells
written by ID), so a week of cycles runs in a second. The cycle tests that need the real
parts use the workbook and the Sheets emulator instead.
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from pmsheets import config as config_module
from pmsheets.core.report_log import LOG_TITLE
from pmsheets.core.schema import FINDINGS_HEADERS, FINDINGS_TITLE, column_index
from pmsheets.ops.cycle import CycleResult, CycleState, run_cycle
from pmsheets.ops.events import EventLog, Redactor
from pmsheets.ops.lease import FileLease, Lease, lease_for
from pmsheets.outputs.mail import Delivery, MailError
from pmsheets.register import RawRegister, RegisterBackend, TabFilter, every_tab
from pmsheets.register.locate import blank_cell_writes
from tests.builders import AS_OF, NOW, p0, tables
from tests.report_fixtures import sample_tables

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")
UTC = ZoneInfo("UTC")

# The week of the sample register (AS_OF is Friday 2026-11-27): Monday 30 November, 09:00 in Berlin is 08:00 UTC.
MONDAY_0900 = datetime(2026, 11, 30, 9, 0, tzinfo=BERLIN)


class FakeClock:
    """Aware datetimes that move only when a test (or the worker's sleep) says so."""

    def __init__(self, start: datetime) -> None:
        self.moment = start.astimezone(UTC)

    def __call__(self) -> datetime:
        return self.moment

    def advance(self, seconds: float) -> None:
        self.moment += timedelta(seconds=seconds)

    def set(self, moment: datetime) -> None:
        self.moment = moment.astimezone(UTC)


class MemoryRegister:
    """A RegisterBackend holding its tabs as lists of rows."""

    writes_concurrently = False

    def __init__(self, tables: Mapping[str, Sequence[Sequence[Any]]]) -> None:
        self.tables = {title: [list(row) for row in rows] for title, rows in tables.items()}
        self.reads = 0

    def describe(self) -> str:
        return "memory register"

    def read(self, wanted: TabFilter = every_tab) -> RawRegister:
        self.reads += 1
        return RawRegister(tables={title: [tuple(row) for row in rows] for title, rows in self.tables.items() if wanted(title)})

    def ensure_writable(self) -> None:
        pass

    def findings_unchanged(self, rows: Sequence[Sequence[str]], *, highlight: bool = True) -> int | None:
        return None  # always written: the cycle tests count the writes

    def version(self) -> str | None:
        return None

    def write_findings(
        self, rows: Sequence[Sequence[str]], *, stamp: str = "", highlight: bool = True, on_sent: Callable[[], None] = lambda: None
    ) -> int:
        self.tables[FINDINGS_TITLE] = [list(FINDINGS_HEADERS), *[list(row) for row in rows]]
        on_sent()
        return len(rows)

    def fill_blank_cells(
        self,
        tab: str,
        id_header: str,
        updates: Mapping[str, Mapping[str, str]],
        *,
        replaceable: Mapping[str, Collection[str]] | None = None,
    ) -> list[str]:
        rows = self.tables.get(tab, [])
        writes = blank_cell_writes(tab, rows, id_header, updates, replaceable)
        for cell, value in writes:
            ref = cell.rsplit("!", 1)[1]
            column = column_index(ref.rstrip("0123456789")) + 1
            row = rows[int(ref[len(ref.rstrip("0123456789")) :]) - 1]
            row.extend([None] * (column - len(row)))
            row[column - 1] = value
        return [cell for cell, _ in writes]

    def append_rows(self, title: str, headers: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
        tab = self.tables.setdefault(title, [list(headers)])
        tab.extend(list(row) for row in rows)


@dataclass
class Sent:
    message: EmailMessage
    recipients: tuple[str, ...]

    @property
    def subject(self) -> str:
        return str(self.message["Subject"])


@dataclass
class RecordingMailer:
    """A Transport that accepts every message (or refuses them all while `down`) and keeps them."""

    sent: list[Sent] = field(default_factory=list)
    down: str | None = None
    on_send: Any = None
    """Called before each message is accepted: how a test makes something happen mid-delivery."""

    def send(self, message: EmailMessage, recipients: Sequence[str], *, name: str) -> Delivery:
        if self.down is not None:
            raise MailError(self.down)
        if self.on_send is not None:
            self.on_send()
        self.sent.append(Sent(message, tuple(recipients)))
        return Delivery(str(message["Message-ID"]), tuple(recipients))

    def close(self) -> None:
        pass

    def subjects(self) -> list[str]:
        return [sent.subject for sent in self.sent]


def worker_config(folder: Path, **sections: Any) -> config_module.Config:
    """A Berlin team, weekly reports Monday 09:00, drafts under `folder`; `sections` override keys."""
    data: dict[str, Any] = {
        "timezone": "Europe/Berlin",
        "postmortems": {"dir": str(folder / "postmortems")},
        "reports": {
            "weekly": {"day": "monday", "time": "09:00"},
            "overdue": {"to": ["leads@example.com"]},
            "escalation": {"to": ["ops-review@example.com"]},
        },
        # Not the 1-minute default: the loop tests simulate whole weeks of ticks, and every tick here is a full cycle.
        "worker": {"sync_every_minutes": 15},
    }
    for key, value in sections.items():
        data[key] = {**data.get(key, {}), **value} if isinstance(value, dict) else value
    return config_module.from_mapping(data, source=folder / "pmsheets.yaml")


def memory_register() -> MemoryRegister:
    return MemoryRegister(sample_tables())


class EventLines:
    """An EventLog writing JSON lines to memory, and the lines read back."""

    def __init__(self, clock: FakeClock, secrets: Sequence[str] = ()) -> None:
        self.stream = io.StringIO()
        self.log = EventLog(self.stream, clock=clock, json_lines=True, redact=Redactor(secrets))

    def all(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in self.stream.getvalue().splitlines()]

    def named(self, event: str) -> list[dict[str, Any]]:
        return [line for line in self.all() if line["event"] == event]


def log_rows(register: MemoryRegister) -> list[list[Any]]:
    return register.tables.get(LOG_TITLE, [])[1:]


class Cycles:
    """Runs cycles of one worker against one register, with a recording mailer and JSON events."""

    def __init__(self, backend: RegisterBackend, lease: Lease, config: config_module.Config, start: datetime = MONDAY_0900) -> None:
        self.backend, self.lease, self.config = backend, lease, config
        self.clock = FakeClock(start)
        self.mailer = RecordingMailer()
        self.events = EventLines(self.clock)
        self.state = CycleState()

    def run(self, at: datetime | None = None) -> CycleResult:
        if at is not None:
            self.clock.set(at)
        return run_cycle(
            backend=self.backend,
            lease=self.lease,
            mailer=self.mailer,
            config=self.config,
            now=self.clock(),
            events=self.events.log,
            state=self.state,
        )


def memory_cycles(
    tmp_path: Path, register: MemoryRegister | None = None, *, holder: str = "worker-a", start: datetime = MONDAY_0900, **config: Any
) -> Cycles:
    """Cycles on a memory register whose lease is a lock file in `tmp_path`; `config` overrides worker_config's sections."""
    lease = FileLease(tmp_path / "register.worker-lease", holder)
    return Cycles(register or memory_register(), lease, worker_config(tmp_path, **config), start)


RESOLVED_20_HOURS_AGO = NOW - timedelta(hours=20)


def draft_soon_tables() -> dict[str, Any]:
    """One P0 resolved 20 h before AS_OF (sheet wall time): complete, but its draft becomes due in a few hours."""
    return tables([p0(resolved_at=RESOLVED_20_HOURS_AGO)])


def findings_cycles(backend: RegisterBackend, folder: Path) -> Cycles:
    """Cycles from AS_OF with no weekly report wanted: only the Findings tab and the drafts folder are written."""
    config = worker_config(folder, reports={"overdue": {"to": []}, "escalation": {"to": []}})
    return Cycles(backend, lease_for(backend, "worker-a"), config, start=AS_OF)
