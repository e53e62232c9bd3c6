"""Which weekly report slot is due: a pure function of (now, the weekly settings, the report log).

The report log is the only memory: a slot is done when the log holds every report of its
ISO week, whoever sent it and whenever. So a restarted worker, a second worker or an
hourly `pmsheets run` all reach the same answer, and nothing needs local state.

Only the most recent slot is ever considered: after a long outage the latest week is sent
(late) or skipped, and older weeks are never sent in a burst.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from pmsheets.core.overdue import iso_week
from pmsheets.core.report_log import LogEntry, ReportKind, missing_recipients

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")

LATE_AFTER = timedelta(hours=1)
"""A report sent more than this after its slot says so in its subject. One hour, so the
normal lag of an hourly CronJob or of a 15-minute sync is not called late."""


@dataclass(frozen=True, slots=True)
class WeeklySchedule:
    day: int
    """0 = Monday, as `date.weekday()`."""
    at: time
    timezone: ZoneInfo
    max_late: timedelta


class SlotState(enum.StrEnum):
    DUE = "due"
    SENT = "sent"
    SKIPPED = "skipped"
    NOTHING = "nothing configured"


@dataclass(frozen=True, slots=True)
class WeeklyDue:
    slot: datetime
    """The latest weekly time at or before now, in the schedule's time zone."""
    week: str
    """The slot's ISO week (2026-W49): the key the report log files it under."""
    state: SlotState
    kinds: tuple[ReportKind, ...]
    """The kinds of report still missing from the log for that week (in the order sent)."""
    late_by: timedelta

    @property
    def late(self) -> bool:
        return self.late_by > LATE_AFTER


def latest_slot(now: datetime, schedule: WeeklySchedule) -> datetime:
    """The most recent `day` at `at` (local wall time) that is not after `now`.

    Built from the local date, so a DST change moves the slot with the clock on the wall:
    09:00 stays 09:00 local. A time that does not exist that day (inside a spring-forward
    gap) falls after the gap, as zoneinfo resolves it.
    """
    today = now.astimezone(schedule.timezone).date()
    day = today - timedelta(days=(today.weekday() - schedule.day) % 7)
    slot = _at(day, schedule)
    if slot.astimezone(UTC) > now.astimezone(UTC):
        slot = _at(day - timedelta(days=7), schedule)
    return slot


def next_slot(now: datetime, schedule: WeeklySchedule) -> datetime:
    """The first slot after `now` (a week after latest_slot, on the wall clock)."""
    return _at(latest_slot(now, schedule).date() + timedelta(days=7), schedule)


def _at(day: date, schedule: WeeklySchedule) -> datetime:
    # Through UTC and back, so a wall time inside a DST gap comes out as a real instant.
    return datetime.combine(day, schedule.at, tzinfo=schedule.timezone).astimezone(UTC).astimezone(schedule.timezone)


def weekly_due(now: datetime, schedule: WeeklySchedule, log: Iterable[LogEntry], wanted: Mapping[ReportKind, tuple[str, ...]]) -> WeeklyDue:
    slot = latest_slot(now, schedule)
    week = iso_week(slot)
    entries = list(log)
    missing = tuple(kind for kind, recipients in wanted.items() if not _logged(entries, kind, recipients, week))
    late_by = now.astimezone(UTC) - slot.astimezone(UTC)
    if not wanted:
        state = SlotState.NOTHING
    elif not missing:
        state = SlotState.SENT
    elif late_by > schedule.max_late:
        state = SlotState.SKIPPED
    else:
        state = SlotState.DUE
    return WeeklyDue(slot, week, state, missing, late_by)


def _logged(entries: list[LogEntry], kind: ReportKind, recipients: tuple[str, ...], week: str) -> bool:
    if not recipients:
        return any(entry.kind == kind and entry.week == week for entry in entries)
    return not missing_recipients(recipients, entries, kind=kind, week=week)
