"""Long lists in the report emails: the most urgent rows, a line counting the rest, and a snapshot too big to attach."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import openpyxl
import pytest

from pmsheets.config import ReportsConfig
from pmsheets.core.overdue import Overdue, OwnerGroup, escalation_report, find_overdue, overdue_report, owner_digests
from pmsheets.core.policy import Policy
from pmsheets.core.report_log import ReportKind
from pmsheets.core.schema import parse
from pmsheets.outputs.delivery import plan
from pmsheets.outputs.report_render import render, shown, shown_groups
from tests.builders import AS_OF, UTC, tables
from tests.report_fixtures import PEOPLE, open_action, reviewed_incident, sample_overdue

OWNERS = ["Priya Shah", "Lena Vogel", "Sam Okafor", "Jo Park"]
GMAIL_CLIPS_AT = 102 * 1024


def many_overdue(actions: int = 600) -> Overdue:
    """`actions` overdue actions over four owners, every tenth without a tracking link."""
    incidents = [reviewed_incident(f"INC-{n}", title=f"Outage number {n} in the payment path") for n in range(actions // 4 + 1)]
    rows = [
        open_action(
            f"ACT-{n:05d}",
            f"INC-{n // 4}",
            date(2026, 11, 26) - timedelta(days=n % 90),
            owner=OWNERS[n % len(OWNERS)],
            tracking_link=None if n % 10 == 0 else f"https://tracker.example/browse/OPS-{n}",
        )
        for n in range(actions)
    ]
    register = parse(tables(incidents=incidents, actions=rows, People=PEOPLE)).register
    return find_overdue(register, as_of=AS_OF, policy=Policy(timezone=UTC))


def test_a_short_list_is_shown_whole() -> None:
    assert shown([1, 2, 3], 3) == shown([1, 2, 3], 0)
    assert shown([1, 2, 3], 3).more == 0


def test_a_long_list_shows_its_first_rows_and_counts_the_rest() -> None:
    cut = shown(list(range(10)), 4)
    assert (list(cut.items), cut.more) == ([0, 1, 2, 3], 6)


def test_owner_groups_are_filled_in_order_until_the_limit() -> None:
    groups = [OwnerGroup("A", (1, 2, 3)), OwnerGroup("B", (4, 5)), OwnerGroup("C", (6,))]  # type: ignore[arg-type]
    cut = shown_groups(groups, 4)
    assert [(g.owner, list(g.items), g.total) for g in cut.items] == [("A", [1, 2, 3], 3), ("B", [4], 2)]
    assert cut.more == 2


def test_escalation_email_lists_the_oldest_rows_then_counts_the_rest() -> None:
    escalation = escalation_report(many_overdue())
    rendered = render(escalation, max_list_items=20)
    more = len(escalation.items) - 20
    assert f"… and {more:,} more, not listed here" in rendered.html
    assert f"... and {more:,} more, not listed here" in rendered.text
    oldest, first_left_out = escalation.items[19].item.id, escalation.items[20].item.id
    assert oldest in rendered.text
    assert first_left_out not in rendered.text


def test_overdue_email_cuts_each_list_and_keeps_each_owners_total() -> None:
    overdue = many_overdue()
    report = overdue_report(overdue)
    text = render(report, max_list_items=20).text
    top = report.actions_by_owner[0]
    assert f"{top.owner} ({len(top.items)} overdue)" in text
    assert f"... and {len(overdue.actions) - 20:,} more" in text
    assert f"... and {len(overdue.not_tracked) - 20:,} more" in text


def test_no_limit_lists_every_row() -> None:
    escalation = escalation_report(many_overdue())
    text = render(escalation, max_list_items=0).text
    assert "more, not listed here" not in text
    assert all(entry.item.id in text for entry in escalation.items)


def test_owner_digest_is_cut_too() -> None:
    digest = next(d for d in owner_digests(many_overdue()) if d.owner == "Priya Shah")
    text = render(digest, max_list_items=5).text
    assert f"... and {len(digest.items) - 5:,} more of yours" in text


@pytest.mark.parametrize("kind", [ReportKind.OVERDUE, ReportKind.ESCALATION])
def test_emails_of_a_large_register_stay_under_gmails_clipping_size(kind: ReportKind) -> None:
    overdue = many_overdue(2_000)
    report = overdue_report(overdue) if kind is ReportKind.OVERDUE else escalation_report(overdue)
    assert len(render(report).html.encode("utf-8")) < GMAIL_CLIPS_AT


def test_a_snapshot_within_the_limit_is_attached(tmp_path: Path) -> None:
    settings = ReportsConfig(dir=tmp_path, escalation_to=("ops@example.com",), attach_snapshot=True, attach_max_mb=10)
    [escalation] = plan([ReportKind.ESCALATION], overdue=sample_overdue(), findings=[], log=[], settings=settings)
    assert [a.filename for a in escalation.attachments] == ["snapshot-2026-11-27.xlsx"]
    assert "too large to attach" not in escalation.rendered.text
    assert list(tmp_path.iterdir()) == []


def test_a_snapshot_over_the_limit_is_saved_and_the_email_says_where(tmp_path: Path) -> None:
    settings = ReportsConfig(dir=tmp_path, escalation_to=("ops@example.com",), attach_snapshot=True, attach_max_mb=0.001)
    [escalation] = plan([ReportKind.ESCALATION], overdue=sample_overdue(), findings=[], log=[], settings=settings)
    assert escalation.attachments == ()
    saved = tmp_path / "snapshot-2026-11-27.xlsx"
    assert openpyxl.load_workbook(saved).sheetnames[0] == "Summary"
    for part in (escalation.rendered.text, escalation.rendered.html):
        assert "too large to attach (over 0.001 MB); it is saved as snapshot-2026-11-27.xlsx" in part


def test_a_cut_owner_list_still_counts_every_owner() -> None:
    report = overdue_report(many_overdue())
    rendered = render(report, max_list_items=5)
    for group in report.actions_by_owner:
        assert f"{group.owner:<24} {len(group.items)} overdue" in rendered.text
    assert ">Oldest</th>" in rendered.html


def test_owners_past_the_limit_are_counted_too() -> None:
    text = render(overdue_report(many_overdue()), max_list_items=2).text
    assert "... and 2 more owners" in text
