"""next_change: the first instant a register's findings can change with the clock alone, at every kind of boundary.

Each case checks both sides of the boundary: one microsecond before it the findings (messages
included) are those of the as-of time, and at it they differ. AS_OF is Fri 27 Nov 2026 09:00 UTC.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from pmsheets.core.check import validate
from pmsheets.core.policy import Policy, next_change
from pmsheets.core.schema import ParseSettings
from pmsheets.model import Finding
from tests.builders import AS_OF, NOW, UTC, drafted, open_action, p0
from tests.builders import tables as register_tables

BERLIN = ZoneInfo("Europe/Berlin")
TICK = timedelta(microseconds=1)


def findings_at(content: dict[str, Any], as_of: datetime, policy: Policy) -> list[Finding]:
    return validate(content, as_of=as_of, policy=policy, settings=ParseSettings(timezone=policy.timezone)).findings


def change_after(content: dict[str, Any], policy: Policy | None = None) -> datetime | None:
    policy = policy or Policy()
    register = validate(content, as_of=AS_OF, policy=policy, settings=ParseSettings(timezone=policy.timezone)).register
    return next_change(register, AS_OF, policy)


CASES = {
    "draft becomes due": (register_tables([p0(resolved_at=NOW - timedelta(hours=20))]), datetime(2026, 11, 27, 13, 0, tzinfo=UTC) + TICK),
    "draft becomes overdue": (
        register_tables([p0(resolved_at=NOW - timedelta(hours=30))]),
        datetime(2026, 11, 28, 3, 0, tzinfo=UTC) + TICK,
    ),
    # Resolved Wed 25: five business days without Thanksgiving end Wed 2 Dec, so the review is late from Thu 3 Dec.
    "review deadline passes": (
        register_tables([p0(resolved_at=datetime(2026, 11, 25, 10), post_mortem_status="Draft", draft_date=date(2026, 11, 26))]),
        datetime(2026, 12, 3, tzinfo=UTC),
    ),
    "action due date passes": (
        register_tables([drafted(resolved_at=NOW)], [open_action(due_date=date(2026, 11, 30))]),
        datetime(2026, 12, 1, tzinfo=UTC),
    ),
}


@pytest.mark.parametrize("case", CASES)
def test_next_change_is_the_boundary_itself(case: str) -> None:
    content, boundary = CASES[case]
    assert change_after(content) == boundary


@pytest.mark.parametrize("case", CASES)
def test_findings_hold_until_the_next_change_and_differ_from_it(case: str) -> None:
    content, _ = CASES[case]
    policy = Policy()
    boundary = change_after(content)
    assert boundary is not None
    now = findings_at(content, AS_OF, policy)
    assert findings_at(content, boundary - TICK, policy) == now
    assert findings_at(content, boundary, policy) != now


def test_an_action_is_overdue_from_midnight_in_the_team_time_zone() -> None:
    content = register_tables([drafted(resolved_at=NOW)], [open_action(due_date=date(2026, 11, 30))])
    berlin = Policy(timezone=BERLIN)
    boundary = change_after(content, berlin)
    assert boundary == datetime(2026, 12, 1, tzinfo=BERLIN)
    assert findings_at(content, boundary - TICK, berlin) != findings_at(content, boundary, berlin)


def test_the_earliest_of_several_deadlines_wins() -> None:
    content = register_tables(
        [p0(resolved_at=NOW - timedelta(hours=30)), p0(id="INC-2", resolved_at=NOW - timedelta(hours=20))],
        [open_action(due_date=date(2026, 11, 27))],
    )
    assert change_after(content) == datetime(2026, 11, 27, 13, 0, tzinfo=UTC) + TICK


def test_deadlines_already_passed_do_not_count() -> None:
    # Resolved a month ago and never drafted: every deadline is behind; the finding stays as it is.
    content = register_tables([p0(resolved_at=NOW - timedelta(days=30))], [open_action(due_date=date(2026, 10, 1))])
    assert change_after(content) is None


def test_a_register_without_dates_never_changes_by_itself() -> None:
    assert change_after(register_tables([p0()], [open_action()])) is None


def test_a_deadline_past_the_calendar_end_is_left_out() -> None:
    content = register_tables([drafted(resolved_at=NOW)], [open_action(due_date=date(9999, 12, 31))])
    boundary = change_after(content)
    assert boundary is not None
    assert boundary.year == 2026
