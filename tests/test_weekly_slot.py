"""Which weekly slot is due: a pure function of (now, weekly settings, report log), across DST."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from pmsheets.config import ReportsConfig
from pmsheets.core.report_log import LogEntry, ReportKind
from pmsheets.core.weekly import SlotState, WeeklySchedule, latest_slot, weekly_due

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")
WANTED = {ReportKind.OVERDUE: ("leads@example.com",), ReportKind.ESCALATION: ("ops@example.com",)}


def monday_0900(zone: ZoneInfo = BERLIN, *, max_late_hours: float = 48) -> WeeklySchedule:
    return WeeklySchedule(day=0, at=time(9, 0), timezone=zone, max_late=timedelta(hours=max_late_hours))


def sent(kind: ReportKind, week: str, recipient: str) -> LogEntry:
    return LogEntry(str(kind), week, recipient, "<id@example.com>", "2026-11-30T09:00:00+01:00")


def test_latest_slot_at_the_slot_time_is_that_slot() -> None:
    now = datetime(2026, 11, 30, 9, 0, tzinfo=BERLIN)
    assert latest_slot(now, monday_0900()) == now


def test_latest_slot_a_minute_early_is_the_week_before() -> None:
    now = datetime(2026, 11, 30, 8, 59, tzinfo=BERLIN)
    assert latest_slot(now, monday_0900()) == datetime(2026, 11, 23, 9, 0, tzinfo=BERLIN)


def test_latest_slot_compares_instants_not_wall_times() -> None:
    # 08:30 UTC is 09:30 in Berlin: the slot has passed although 08:30 < 09:00 on the wall.
    now = datetime(2026, 11, 30, 8, 30, tzinfo=UTC)
    assert latest_slot(now, monday_0900()) == datetime(2026, 11, 30, 9, 0, tzinfo=BERLIN)


@pytest.mark.parametrize(
    ("zone", "monday", "utc_hour"),
    [
        pytest.param(BERLIN, datetime(2026, 3, 23), 8, id="berlin-last-winter-monday"),
        pytest.param(BERLIN, datetime(2026, 3, 30), 7, id="berlin-first-summer-monday"),
        pytest.param(BERLIN, datetime(2026, 10, 19), 7, id="berlin-last-summer-monday"),
        pytest.param(BERLIN, datetime(2026, 10, 26), 8, id="berlin-first-winter-monday"),
        pytest.param(NEW_YORK, datetime(2026, 3, 2), 14, id="new-york-last-winter-monday"),
        pytest.param(NEW_YORK, datetime(2026, 3, 9), 13, id="new-york-first-summer-monday"),
        pytest.param(NEW_YORK, datetime(2026, 10, 26), 13, id="new-york-last-summer-monday"),
        pytest.param(NEW_YORK, datetime(2026, 11, 2), 14, id="new-york-first-winter-monday"),
    ],
)
def test_latest_slot_stays_at_0900_local_across_dst(zone: ZoneInfo, monday: datetime, utc_hour: int) -> None:
    tuesday_noon = (monday + timedelta(days=1, hours=12)).replace(tzinfo=zone)
    slot = latest_slot(tuesday_noon, monday_0900(zone))
    assert (slot.date(), slot.hour, slot.minute) == (monday.date(), 9, 0)
    assert slot.astimezone(UTC).hour == utc_hour


def test_latest_slot_inside_a_dst_gap_falls_after_the_gap() -> None:
    sunday_0230 = WeeklySchedule(day=6, at=time(2, 30), timezone=BERLIN, max_late=timedelta(hours=48))
    slot = latest_slot(datetime(2026, 3, 29, 12, 0, tzinfo=BERLIN), sunday_0230)
    assert slot.astimezone(UTC) == datetime(2026, 3, 29, 1, 30, tzinfo=UTC)  # 03:30 CEST


def test_weekly_due_on_time_is_due_and_not_late() -> None:
    due = weekly_due(datetime(2026, 11, 30, 9, 0, tzinfo=BERLIN), monday_0900(), [], WANTED)
    assert (due.state, due.week, due.late) == (SlotState.DUE, "2026-W49", False)
    assert due.kinds == (ReportKind.OVERDUE, ReportKind.ESCALATION)


def test_weekly_due_five_hours_after_the_slot_is_late() -> None:
    due = weekly_due(datetime(2026, 11, 30, 14, 0, tzinfo=BERLIN), monday_0900(), [], WANTED)
    assert (due.state, due.late, due.late_by) == (SlotState.DUE, True, timedelta(hours=5))


def test_weekly_due_within_the_first_hour_is_not_late() -> None:
    due = weekly_due(datetime(2026, 11, 30, 10, 0, tzinfo=BERLIN), monday_0900(), [], WANTED)
    assert not due.late


def test_weekly_due_beyond_max_late_hours_is_skipped() -> None:
    due = weekly_due(datetime(2026, 12, 3, 10, 0, tzinfo=BERLIN), monday_0900(), [], WANTED)
    assert due.state is SlotState.SKIPPED
    assert due.late_by == timedelta(hours=73)


def test_weekly_due_exactly_at_max_late_hours_is_still_due() -> None:
    due = weekly_due(datetime(2026, 12, 2, 9, 0, tzinfo=BERLIN), monday_0900(), [], WANTED)
    assert due.state is SlotState.DUE


def test_weekly_due_when_every_report_is_logged_is_sent() -> None:
    log = [sent(ReportKind.OVERDUE, "2026-W49", "leads@example.com"), sent(ReportKind.ESCALATION, "2026-W49", "OPS@example.com")]
    due = weekly_due(datetime(2026, 11, 30, 9, 5, tzinfo=BERLIN), monday_0900(), log, WANTED)
    assert (due.state, due.kinds) == (SlotState.SENT, ())


def test_weekly_due_lists_only_the_kinds_missing_from_the_log() -> None:
    log = [sent(ReportKind.OVERDUE, "2026-W49", "leads@example.com")]
    due = weekly_due(datetime(2026, 11, 30, 9, 5, tzinfo=BERLIN), monday_0900(), log, WANTED)
    assert (due.state, due.kinds) == (SlotState.DUE, (ReportKind.ESCALATION,))


def test_weekly_due_ignores_last_weeks_log() -> None:
    log = [sent(kind, "2026-W48", recipients[0]) for kind, recipients in WANTED.items()]
    due = weekly_due(datetime(2026, 11, 30, 9, 5, tzinfo=BERLIN), monday_0900(), log, WANTED)
    assert due.state is SlotState.DUE


def test_weekly_due_files_a_late_report_under_the_slots_week() -> None:
    sunday_2300 = WeeklySchedule(day=6, at=time(23, 0), timezone=BERLIN, max_late=timedelta(hours=48))
    due = weekly_due(datetime(2026, 11, 30, 2, 0, tzinfo=BERLIN), sunday_2300, [], WANTED)
    assert due.week == "2026-W48"  # Sunday 29 November, although now is Monday of W49


def test_weekly_due_with_no_recipients_configured_sends_nothing() -> None:
    due = weekly_due(datetime(2026, 11, 30, 9, 0, tzinfo=BERLIN), monday_0900(), [], {})
    assert due.state is SlotState.NOTHING


def test_wanted_kinds_leaves_out_reports_without_recipients() -> None:
    settings = ReportsConfig(overdue_to=(), escalation_to=("ops@example.com",), owner_digests=True)
    assert settings.wanted_kinds() == {ReportKind.OWNER_DIGEST: (), ReportKind.ESCALATION: ("ops@example.com",)}


def test_weekly_due_counts_owner_digests_sent_when_one_is_logged() -> None:
    log = [sent(ReportKind.OWNER_DIGEST, "2026-W49", "priya@example.com")]
    due = weekly_due(datetime(2026, 11, 30, 9, 5, tzinfo=BERLIN), monday_0900(), log, {ReportKind.OWNER_DIGEST: ()})
    assert due.state is SlotState.SENT
