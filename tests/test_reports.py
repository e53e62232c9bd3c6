"""The report models: what counts as overdue, how old, who escalates, and the compliance figures."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from pmsheets.core.overdue import (
    AGE_BUCKETS,
    EscalationLevel,
    Headline,
    Share,
    age_bucket,
    escalation_report,
    find_overdue,
    overdue_report,
    owner_digests,
)
from pmsheets.core.policy import Policy
from pmsheets.core.schema import parse
from tests.builders import AS_OF, UTC, tables
from tests.report_fixtures import open_action, reviewed_incident, sample_overdue


def overdue_ids(content: dict[str, object]) -> list[str]:
    overdue = find_overdue(parse(content).register, as_of=AS_OF, policy=Policy(timezone=UTC))  # type: ignore[arg-type]
    return [item.id for item in overdue.items]


def test_overdue_lists_actions_and_late_postmortems_oldest_first() -> None:
    assert [i.id for i in sample_overdue().items] == ["ACT-003", "ACT-002", "ACT-001", "INC-4", "ACT-004", "INC-3"]


def test_overdue_ranks_the_more_severe_first_among_equally_old() -> None:
    items = sample_overdue().items
    assert [i.id for i in items if i.days_overdue == 1] == ["ACT-004", "INC-3"]  # P0 before P1


def test_overdue_action_due_today_is_not_overdue() -> None:
    content = tables(incidents=[reviewed_incident("INC-1")], actions=[open_action("ACT-001", "INC-1", AS_OF.date())])
    assert overdue_ids(content) == []


def test_overdue_action_done_is_not_overdue() -> None:
    content = tables(
        incidents=[reviewed_incident("INC-1")],
        actions=[open_action("ACT-001", "INC-1", date(2026, 11, 1), status="Done", completed_on=date(2026, 11, 2))],
    )
    assert overdue_ids(content) == []


def test_overdue_days_count_whole_days_after_the_due_date() -> None:
    by_id = {i.id: i.days_overdue for i in sample_overdue().items}
    assert (by_id["ACT-001"], by_id["ACT-003"]) == (7, 38)


def test_overdue_draft_is_due_on_the_day_the_48_hours_end() -> None:
    draft = next(i for i in sample_overdue().items if i.id == "INC-3")
    assert (draft.what, draft.due, draft.days_overdue) == ("post-mortem draft", date(2026, 11, 26), 1)


def test_overdue_review_is_due_on_the_fifth_business_day() -> None:
    review = next(i for i in sample_overdue().items if i.id == "INC-4")
    assert (review.what, review.due, review.days_overdue) == ("post-mortem review", date(2026, 11, 23), 4)


@pytest.mark.parametrize(("days", "bucket"), [(1, "1-7 days"), (7, "1-7 days"), (8, "8-30 days"), (30, "8-30 days"), (31, "over 30 days")])
def test_age_bucket_edges(days: int, bucket: str) -> None:
    due = AS_OF.date() - timedelta(days=days)
    content = tables(incidents=[reviewed_incident("INC-1")], actions=[open_action("ACT-001", "INC-1", due)])
    item = find_overdue(parse(content).register, as_of=AS_OF, policy=Policy(timezone=UTC)).items[0]
    assert item.bucket.label == bucket


def test_an_item_under_a_day_overdue_is_in_the_first_bucket() -> None:
    assert age_bucket(0) is AGE_BUCKETS[0]


def test_overdue_report_groups_actions_by_owner_most_items_first() -> None:
    report = overdue_report(sample_overdue())
    assert [(g.owner, [i.id for i in g.items]) for g in report.actions_by_owner] == [
        ("Priya Shah", ["ACT-002", "ACT-004"]),
        ("Lena Vogel", ["ACT-003"]),
        ("Tom Okafor", ["ACT-001"]),
    ]


def test_overdue_report_bucket_counts_cover_actions_and_postmortems() -> None:
    report = overdue_report(sample_overdue())
    assert [(b.label, b.count, b.percent) for b in report.buckets] == [("1-7 days", 4, 100), ("8-30 days", 1, 25), ("over 30 days", 1, 25)]


def test_overdue_report_not_tracked_names_what_is_missing() -> None:
    report = overdue_report(sample_overdue())
    assert [(u.action_id, u.missing) for u in report.not_tracked] == [("ACT-006", ("tracking link",)), ("ACT-007", ("owner",))]


def test_overdue_report_change_since_last_week() -> None:
    report = overdue_report(sample_overdue(), previous=Headline(overdue_actions=6, overdue_postmortems=2, not_tracked=0))
    assert report.change == Headline(overdue_actions=-2, overdue_postmortems=0, not_tracked=2)


def test_overdue_report_without_previous_week_has_no_change() -> None:
    assert overdue_report(sample_overdue()).change is None


@pytest.mark.parametrize(
    ("item", "level"),
    [
        ("ACT-001", EscalationLevel.OWNER),  # 7 days: not yet beyond escalate_after_days
        ("ACT-002", EscalationLevel.MANAGER),  # 8 days
        ("ACT-003", EscalationLevel.OPS_REVIEW),  # 38 days
        ("ACT-004", EscalationLevel.OPS_REVIEW),  # 1 day but P0
    ],
)
def test_escalation_level(item: str, level: EscalationLevel) -> None:
    levels = {e.item.id: e.level for e in escalation_report(sample_overdue()).items}
    assert levels[item] is level


def test_escalation_after_days_is_configurable() -> None:
    report = escalation_report(sample_overdue(), escalate_after_days=3)
    assert {e.item.id: e.level for e in report.items}["INC-4"] is EscalationLevel.MANAGER


def test_escalation_cc_holds_managers_of_escalated_owners_only() -> None:
    # Priya (manager dana@) has items at manager and ops-review level; Tom (marc@) only at owner level.
    assert escalation_report(sample_overdue()).cc == ("dana@example.com",)


def test_escalation_lists_reviewed_postmortems_with_untracked_actions() -> None:
    report = escalation_report(sample_overdue())
    assert [(r.incident_id, r.action_ids) for r in report.reviewed_untracked] == [("INC-1", ("ACT-006",)), ("INC-2", ("ACT-007",))]


def test_compliance_drafts_within_48_hours() -> None:
    assert escalation_report(sample_overdue()).compliance.drafted_on_time == Share(3, 4)


def test_compliance_reviews_within_5_business_days_skip_those_not_yet_due() -> None:
    # INC-3's review is not due until Tuesday: it counts neither way.
    assert escalation_report(sample_overdue()).compliance.reviewed_on_time == Share(2, 3)


def test_compliance_actions_done_by_due_date() -> None:
    assert escalation_report(sample_overdue()).compliance.actions_done_on_time == Share(1, 5)


def test_compliance_counts_incidents_by_severity() -> None:
    counts = escalation_report(sample_overdue()).compliance.by_severity
    assert [(c.severity, c.incidents, c.postmortems_required) for c in counts] == [("P0", 1, 1), ("P1", 3, 3), ("P2", 0, 0)]


def test_compliance_window_is_the_last_90_days() -> None:
    compliance = escalation_report(sample_overdue()).compliance
    assert (compliance.since, compliance.until) == (date(2026, 8, 30), date(2026, 11, 27))


def test_share_without_anything_due_is_not_a_percentage() -> None:
    assert (Share(0, 0).percent, Share(0, 0).show()) == (None, "n/a (none due yet)")


def test_owner_digests_hold_only_the_owners_items() -> None:
    digests = {d.email: [i.id for i in d.items] for d in owner_digests(sample_overdue())}
    assert digests == {
        "lena@example.com": ["ACT-003", "INC-3"],
        "priya@example.com": ["ACT-002", "INC-4", "ACT-004"],
        "tom@example.com": ["ACT-001"],
    }


def test_week_is_the_iso_week_in_the_team_time_zone() -> None:
    assert sample_overdue().week == "2026-W48"
