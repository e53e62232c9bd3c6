"""The exact edges of every deadline and threshold: one minute (or one day) either side.

AS_OF (tests/builders.py) is Friday 2026-11-27 09:00 UTC. November 2026:
Mon 16 .. Fri 20 | Sat 21 Sun 22 | Mon 23 .. Thu 26 (US Thanksgiving) Fri 27 | Sat 28.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from pmsheets.core.policy import Policy
from pmsheets.core.schema import ParseSettings
from pmsheets.model import Finding
from tests.builders import NOW, UTC, drafted, in_memory, open_action, p0, run_checks, tables

BERLIN = ZoneInfo("Europe/Berlin")


def of_rule(findings: list[Finding], rule: str) -> list[Finding]:
    return [f for f in findings if f.rule == rule]


def draft_rules(findings: list[Finding]) -> list[str]:
    return [f.rule for f in findings if f.rule in ("draft-due", "draft-overdue")]


# --- draft within 24-48 hours --------------------------------------------------------------------


def test_draft_not_due_at_exactly_24_hours(register_from):
    backend = register_from(tables([p0(resolved_at=NOW - timedelta(hours=24))]))

    assert draft_rules(run_checks(backend).findings) == []


def test_draft_due_just_after_24_hours(register_from):
    backend = register_from(tables([p0(resolved_at=NOW - timedelta(hours=24, minutes=1))]))

    (finding,) = of_rule(run_checks(backend).findings, "draft-due")

    assert finding.level == "warning"
    assert finding.cell == "Incidents!N2"
    assert finding.incident == "INC-1"
    assert "resolved Thu 26 Nov 2026 08:59; the draft is due by Sat 28 Nov 2026 08:59" in finding.message


def test_draft_still_only_due_at_exactly_48_hours(register_from):
    backend = register_from(tables([p0(resolved_at=NOW - timedelta(hours=48))]))

    assert draft_rules(run_checks(backend).findings) == ["draft-due"]


def test_draft_overdue_just_after_48_hours(register_from):
    backend = register_from(tables([p0(resolved_at=NOW - timedelta(hours=48, minutes=1))]))

    findings = run_checks(backend).findings

    assert draft_rules(findings) == ["draft-overdue"]
    (finding,) = of_rule(findings, "draft-overdue")
    assert (finding.level, finding.cell, finding.incident) == ("error", "Incidents!N2", "INC-1")
    assert "resolved Wed 25 Nov 2026 08:59 and still no draft; it was due by Fri 27 Nov 2026 08:59 (48 h" in finding.message


@pytest.mark.parametrize(
    ("resolved_at", "expected"),
    [
        pytest.param("2026-11-26T10:00+01:00", [], id="offset text exactly 24 h"),
        pytest.param("2026-11-26T09:59+01:00", ["draft-due"], id="offset text 24 h 1 min"),
        pytest.param("2026-11-26 09:00", [], id="naive text exactly 24 h"),
        pytest.param("2026-11-26 08:59", ["draft-due"], id="naive text 24 h 1 min"),
    ],
)
def test_draft_due_boundary_with_text_datetimes(register_from, resolved_at, expected):
    backend = register_from(tables([p0(resolved_at=resolved_at)]))

    assert draft_rules(run_checks(backend).findings) == expected


def test_draft_thresholds_come_from_the_policy():
    backend = in_memory(tables([p0(resolved_at=NOW - timedelta(hours=5))]))

    result = run_checks(backend, policy=Policy(draft_due_hours=4, draft_overdue_hours=8))

    (finding,) = of_rule(result.findings, "draft-due")
    assert "(8 h after resolution)" in finding.message


def test_no_draft_clock_before_resolution():
    backend = in_memory(tables([p0(resolved_at=NOW + timedelta(hours=1))]))

    findings = run_checks(backend).findings

    assert draft_rules(findings) == []
    assert of_rule(findings, "review-overdue") == []


# --- review within 5 business days -----------------------------------------------------------------

REVIEW_CASES = [
    # resolved (naive UTC cell), policy, as-of, overdue?
    pytest.param(
        datetime(2026, 11, 19, 10, 0),
        Policy(),
        datetime(2026, 11, 26, 23, 59, tzinfo=UTC),
        False,
        id="Thu resolution, across the weekend: 23:59 on the 5th business day (Thu)",
    ),
    pytest.param(
        datetime(2026, 11, 19, 10, 0),
        Policy(),
        datetime(2026, 11, 27, 0, 0, tzinfo=UTC),
        True,
        id="Thu resolution, across the weekend: midnight after the 5th business day",
    ),
    pytest.param(
        datetime(2026, 11, 20, 16, 0),
        Policy(),
        datetime(2026, 11, 27, 23, 59, tzinfo=UTC),
        False,
        id="Fri resolution: 23:59 on the next Fri",
    ),
    pytest.param(
        datetime(2026, 11, 20, 16, 0),
        Policy(),
        datetime(2026, 11, 28, 0, 0, tzinfo=UTC),
        True,
        id="Fri resolution: midnight after the next Fri",
    ),
    pytest.param(
        datetime(2026, 11, 21, 3, 0),
        Policy(),
        datetime(2026, 11, 27, 23, 59, tzinfo=UTC),
        False,
        id="Sat resolution: the count starts on Mon, 23:59 on Fri",
    ),
    pytest.param(
        datetime(2026, 11, 21, 3, 0),
        Policy(),
        datetime(2026, 11, 28, 0, 0, tzinfo=UTC),
        True,
        id="Sat resolution: midnight after Fri",
    ),
    pytest.param(
        datetime(2026, 11, 19, 10, 0),
        Policy(holidays=frozenset({date(2026, 11, 26)})),
        datetime(2026, 11, 27, 23, 59, tzinfo=UTC),
        False,
        id="configured holiday on Thu pushes the deadline to Fri: 23:59 Fri",
    ),
    pytest.param(
        datetime(2026, 11, 19, 10, 0),
        Policy(holidays=frozenset({date(2026, 11, 26)})),
        datetime(2026, 11, 28, 0, 0, tzinfo=UTC),
        True,
        id="configured holiday on Thu: midnight after Fri",
    ),
    pytest.param(
        datetime(2026, 11, 19, 10, 0),
        Policy(holidays=frozenset({date(2026, 11, 21)})),
        datetime(2026, 11, 27, 0, 0, tzinfo=UTC),
        True,
        id="configured holiday on a Saturday changes nothing",
    ),
    pytest.param(
        datetime(2026, 11, 19, 10, 0),
        Policy(holiday_country="US"),
        datetime(2026, 11, 27, 23, 59, tzinfo=UTC),
        False,
        id="US Thanksgiving pushes the deadline to Fri: 23:59 Fri",
    ),
    pytest.param(
        datetime(2026, 11, 19, 10, 0),
        Policy(holiday_country="US"),
        datetime(2026, 11, 28, 0, 0, tzinfo=UTC),
        True,
        id="US Thanksgiving: midnight after Fri",
    ),
    pytest.param(
        datetime(2026, 11, 19, 10, 0),
        Policy(holiday_country="DE"),
        datetime(2026, 11, 27, 0, 0, tzinfo=UTC),
        True,
        id="Thanksgiving is no holiday in DE",
    ),
    pytest.param(
        datetime(2026, 11, 19, 10, 0),
        Policy(review_business_days=1),
        datetime(2026, 11, 20, 23, 59, tzinfo=UTC),
        False,
        id="1 business day configured: 23:59 Fri",
    ),
    pytest.param(
        datetime(2026, 11, 19, 10, 0),
        Policy(review_business_days=1),
        datetime(2026, 11, 21, 0, 0, tzinfo=UTC),
        True,
        id="1 business day configured: midnight after Fri",
    ),
]


@pytest.mark.parametrize(("resolved_at", "policy", "as_of", "overdue"), REVIEW_CASES)
def test_review_overdue_after_the_last_business_day(resolved_at, policy, as_of, overdue):
    backend = in_memory(tables([drafted(resolved_at=resolved_at)]))

    findings = of_rule(run_checks(backend, as_of=as_of, policy=policy).findings, "review-overdue")

    assert bool(findings) is overdue


@pytest.mark.parametrize(
    ("resolved_at", "policy", "last_day"),
    [
        pytest.param(datetime(2026, 11, 19, 10, 0), Policy(), "Thu 2026-11-26", id="across the weekend"),
        pytest.param(
            datetime(2026, 11, 19, 10, 0),
            Policy(holidays=frozenset({date(2026, 11, 26)})),
            "Fri 2026-11-27",
            id="with a configured holiday",
        ),
        pytest.param(datetime(2026, 11, 19, 10, 0), Policy(holiday_country="US"), "Fri 2026-11-27", id="with US holidays"),
    ],
)
def test_review_overdue_message_names_the_last_day(resolved_at, policy, last_day):
    backend = in_memory(tables([drafted(resolved_at=resolved_at)]))

    as_of = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
    (finding,) = of_rule(run_checks(backend, as_of=as_of, policy=policy).findings, "review-overdue")

    assert (finding.level, finding.cell, finding.incident) == ("error", "Incidents!N2", "INC-1")
    assert f"due by the end of {last_day} (5 business days after resolution)" in finding.message


# Resolved 2026-11-19 23:30 UTC is already Friday 00:30 in Berlin.
LATE_THURSDAY_UTC = "2026-11-19T23:30+00:00"


def test_review_deadline_uses_the_policy_timezone_day_before_midnight(register_from):
    backend = register_from(tables([drafted(resolved_at=LATE_THURSDAY_UTC)]))

    result = run_checks(
        backend,
        as_of=datetime(2026, 11, 27, 23, 59, tzinfo=BERLIN),
        policy=Policy(timezone=BERLIN),
        settings=ParseSettings(timezone=BERLIN),
    )

    assert of_rule(result.findings, "review-overdue") == []


def test_review_deadline_uses_the_policy_timezone_at_midnight(register_from):
    backend = register_from(tables([drafted(resolved_at=LATE_THURSDAY_UTC)]))

    result = run_checks(
        backend,
        as_of=datetime(2026, 11, 28, 0, 0, tzinfo=BERLIN),
        policy=Policy(timezone=BERLIN),
        settings=ParseSettings(timezone=BERLIN),
    )

    (finding,) = of_rule(result.findings, "review-overdue")
    assert "end of Fri 2026-11-27" in finding.message


def test_same_resolution_in_utc_counts_from_thursday():
    backend = in_memory(tables([drafted(resolved_at=LATE_THURSDAY_UTC)]))

    result = run_checks(backend, as_of=datetime(2026, 11, 27, 0, 0, tzinfo=UTC))

    (finding,) = of_rule(result.findings, "review-overdue")
    assert "end of Thu 2026-11-26" in finding.message


def test_berlin_midnight_is_2300_utc():
    backend = in_memory(tables([drafted(resolved_at=LATE_THURSDAY_UTC)]))

    result = run_checks(
        backend,
        as_of=datetime(2026, 11, 27, 23, 0, tzinfo=UTC),
        policy=Policy(timezone=BERLIN),
        settings=ParseSettings(timezone=BERLIN),
    )

    assert len(of_rule(result.findings, "review-overdue")) == 1


def test_review_not_overdue_when_not_required():
    backend = in_memory(tables([p0(severity="P2", customer_impact="Trivial", resolved_at=datetime(2026, 11, 2, 10, 0))]))

    assert of_rule(run_checks(backend).findings, "review-overdue") == []


# --- P1: more than 15 minutes of impact --------------------------------------------------------------


@pytest.mark.parametrize(
    ("minutes", "policy", "required"),
    [
        pytest.param(15, Policy(), False, id="15 minutes"),
        pytest.param(15.0, Policy(), False, id="15.0 minutes"),
        pytest.param(16, Policy(), True, id="16 minutes"),
        pytest.param("15.5", Policy(), True, id="15.5 minutes as text"),
        pytest.param(16, Policy(p1_impact_minutes=30), False, id="16 minutes with a 30-minute policy"),
        pytest.param(31, Policy(p1_impact_minutes=30), True, id="31 minutes with a 30-minute policy"),
    ],
)
def test_p1_postmortem_required_above_the_minutes_threshold(minutes, policy, required):
    backend = in_memory(tables([p0(severity="P1", customer_impact="Trivial", impact_minutes=minutes)]))

    findings = of_rule(run_checks(backend, policy=policy).findings, "postmortem-required")

    assert bool(findings) is required


def test_p1_16_minutes_message_gives_minutes_and_threshold():
    backend = in_memory(tables([p0(severity="P1", customer_impact="Trivial", impact_minutes=16)]))

    (finding,) = of_rule(run_checks(backend).findings, "postmortem-required")

    assert "P1 with 16 minutes of impact, more than 15" in finding.message


def test_p1_15_minutes_starts_no_draft_clock():
    resolved = NOW - timedelta(days=10)
    backend = in_memory(tables([p0(severity="P1", customer_impact="Trivial", impact_minutes=15, resolved_at=resolved)]))

    findings = run_checks(backend).findings

    assert draft_rules(findings) == []
    assert of_rule(findings, "review-overdue") == []


# --- action due dates --------------------------------------------------------------------------------


def test_action_due_on_the_as_of_date_is_not_overdue(register_from):
    backend = register_from(tables([p0()], [open_action(due_date=date(2026, 11, 27))]))

    assert of_rule(run_checks(backend).findings, "action-overdue") == []


def test_action_due_the_day_before_is_one_day_overdue(register_from):
    backend = register_from(tables([p0()], [open_action(due_date=date(2026, 11, 26))]))

    (finding,) = of_rule(run_checks(backend).findings, "action-overdue")

    assert (finding.level, finding.cell, finding.incident, finding.action) == ("error", "Actions!F2", "INC-1", "ACT-1")
    assert "due Thu 26 Nov 2026 and still Open" in finding.message


def test_action_overdue_counts_days_in_the_policy_timezone():
    # 23:30 UTC on Fri 27 is already Sat 28 in Berlin.
    backend = in_memory(tables([p0()], [open_action(due_date=date(2026, 11, 27))]))

    result = run_checks(
        backend,
        as_of=datetime(2026, 11, 27, 23, 30, tzinfo=UTC),
        policy=Policy(timezone=BERLIN),
        settings=ParseSettings(timezone=BERLIN),
    )

    (finding,) = of_rule(result.findings, "action-overdue")
    assert "due Fri 27 Nov 2026" in finding.message


def test_action_due_today_in_utc_is_not_overdue_at_2330():
    backend = in_memory(tables([p0()], [open_action(due_date=date(2026, 11, 27))]))

    result = run_checks(backend, as_of=datetime(2026, 11, 27, 23, 30, tzinfo=UTC))

    assert of_rule(result.findings, "action-overdue") == []


# --- how far ahead an action may be due -------------------------------------------------------------

REVIEWED = {"post_mortem_status": "Reviewed", "draft_date": date(2026, 11, 4), "review_date": date(2026, 11, 5)}
RESOLVED = datetime(2026, 11, 2, 10, 30)


@pytest.mark.parametrize(
    ("incident", "action_type", "due", "too_far"),
    [
        pytest.param(REVIEWED, "Short-term", date(2026, 12, 5), False, id="short-term 30 days after review"),
        pytest.param(REVIEWED, "Short-term", date(2026, 12, 6), True, id="short-term 31 days after review"),
        pytest.param(REVIEWED, "Long-term", date(2027, 5, 4), False, id="long-term 180 days after review"),
        pytest.param(REVIEWED, "Long-term", date(2027, 5, 5), True, id="long-term 181 days after review"),
        pytest.param({}, "Short-term", date(2026, 12, 2), False, id="short-term 30 days after resolution"),
        pytest.param({}, "Short-term", date(2026, 12, 3), True, id="short-term 31 days after resolution"),
        pytest.param({}, "Long-term", date(2027, 5, 1), False, id="long-term 180 days after resolution"),
        pytest.param({}, "Long-term", date(2027, 5, 2), True, id="long-term 181 days after resolution"),
        pytest.param(
            {"resolved_at": None, "detected_at": None},
            "Short-term",
            date(2027, 5, 2),
            False,
            id="no review date and not resolved: no limit",
        ),
    ],
)
def test_action_due_too_far(incident, action_type, due, too_far):
    backend = in_memory(tables([p0(**{"resolved_at": RESOLVED, **incident})], [open_action(type=action_type, due_date=due)]))

    findings = of_rule(run_checks(backend).findings, "action-due-too-far")

    assert bool(findings) is too_far


def test_action_due_too_far_message_after_review():
    backend = in_memory(tables([p0(resolved_at=RESOLVED, **REVIEWED)], [open_action(type="Long-term", due_date=date(2027, 5, 5))]))

    (finding,) = of_rule(run_checks(backend).findings, "action-due-too-far")

    assert (finding.level, finding.cell, finding.action) == ("warning", "Actions!F2", "ACT-1")
    assert "a Long-term action due 181 days after the review (limit 180)" in finding.message


def test_action_due_too_far_message_after_resolution():
    backend = in_memory(tables([p0(resolved_at=RESOLVED)], [open_action(due_date=date(2026, 12, 3))]))

    (finding,) = of_rule(run_checks(backend).findings, "action-due-too-far")

    assert "a Short-term action due 31 days after resolution (limit 30)" in finding.message


def test_action_due_too_far_counts_from_the_resolution_day_in_the_policy_timezone():
    # 23:30 UTC on Mon 2 is Tue 3 in Berlin, so 2026-12-03 is 30 days after resolution there.
    backend = in_memory(tables([p0(resolved_at="2026-11-02T23:30+00:00")], [open_action(due_date=date(2026, 12, 3))]))

    result = run_checks(backend, policy=Policy(timezone=BERLIN), settings=ParseSettings(timezone=BERLIN))

    assert of_rule(result.findings, "action-due-too-far") == []


def test_action_due_limits_come_from_the_policy():
    backend = in_memory(tables([p0(resolved_at=RESOLVED, **REVIEWED)], [open_action(due_date=date(2026, 11, 20))]))

    result = run_checks(backend, policy=Policy(short_term_max_days=14))

    (finding,) = of_rule(result.findings, "action-due-too-far")
    assert "15 days after the review (limit 14)" in finding.message
