"""The 12-week trend from the Report log: gaps for weeks without a report, never zeros; in the email and the snapshot."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

import openpyxl
import pytest

from pmsheets.config import ReportsConfig
from pmsheets.core.overdue import Headline, compliance, escalation_report
from pmsheets.core.report_log import LOG_HEADERS, LOG_TITLE, LogEntry, ReportKind, figures_by_week, logged_trend, read_log
from pmsheets.core.trend import OnTime, WeekFigures, weeks_up_to
from pmsheets.outputs.delivery import plan
from pmsheets.outputs.report_render import render
from pmsheets.outputs.snapshot import write_snapshot
from tests.report_fixtures import sample_overdue

WEEK = "2026-W48"
LOGGED = {  # 12 weeks back from W48 are W37..W48; W39, W40, W44 and W46 have no report
    "2026-W37": (9, 3, 5, 50, 40, 60),
    "2026-W38": (8, 3, 5, 50, 40, None),
    "2026-W41": (7, 2, 4, 60, 50, 70),
    "2026-W42": (0, 0, 0, 100, 100, 100),  # a week with nothing overdue: zeros, not a gap
    "2026-W43": (6, 2, 4, 60, 50, 70),
    "2026-W45": (5, 2, 3, 70, 60, 75),
    "2026-W47": (5, 2, 2, 75, 67, 20),
}
GAPS = {"2026-W39", "2026-W40", "2026-W44", "2026-W46"}


def log_entries() -> list[LogEntry]:
    entries = [
        LogEntry("overdue", week, "team@example.com", f"<{week}@example.com>", f"{week}T09:00", Headline(a, p, n), OnTime(d, r, done))
        for week, (a, p, n, d, r, done) in LOGGED.items()
    ]
    # An earlier week outside the window, and a row of the same week from an older version (no percentages).
    entries.append(LogEntry("overdue", "2026-W30", "team@example.com", "<x>", "x", Headline(99, 9, 9)))
    return entries


def current() -> WeekFigures:
    overdue = sample_overdue()
    return WeekFigures(overdue.headline, OnTime.of(compliance(overdue.context)))


def test_weeks_up_to_counts_back_twelve_iso_weeks() -> None:
    assert weeks_up_to(WEEK) == tuple(f"2026-W{n}" for n in range(37, 49))


def test_weeks_up_to_crosses_a_53_week_year() -> None:
    assert weeks_up_to("2027-W02", 4) == ("2026-W52", "2026-W53", "2027-W01", "2027-W02")


def test_trend_has_a_gap_for_each_week_without_a_report() -> None:
    trend = logged_trend(log_entries(), week=WEEK, current=current())
    assert {week for week, figures in trend.rows if figures is None} == GAPS


def test_trend_series_keeps_zeros_and_gaps_apart() -> None:
    trend = logged_trend(log_entries(), week=WEEK, current=current())
    overdue_actions = dict(zip(trend.weeks, trend.series[0].values, strict=True))
    assert overdue_actions["2026-W42"] == 0
    assert overdue_actions["2026-W44"] is None
    assert overdue_actions[WEEK] == 4  # this week: what the report measured now


def test_trend_takes_a_missing_percentage_as_a_gap_in_that_line_only() -> None:
    trend = logged_trend(log_entries(), week=WEEK, current=current())
    done_on_time = dict(zip(trend.weeks, trend.series[5].values, strict=True))
    assert done_on_time["2026-W38"] is None
    assert dict(zip(trend.weeks, trend.series[0].values, strict=True))["2026-W38"] == 8


def test_latest_report_of_a_week_gives_its_figures() -> None:
    early = LogEntry("overdue", WEEK, "a@example.com", "<1>", "2026-11-23T09:00", Headline(1, 1, 1))
    late = LogEntry("escalation", WEEK, "b@example.com", "<2>", "2026-11-23T10:00", Headline(2, 2, 2))
    assert figures_by_week([late, early])[WEEK].headline == Headline(2, 2, 2)


def test_log_round_trips_the_percentages() -> None:
    entry = LogEntry("escalation", WEEK, "ops@example.com", "<1>", "t", Headline(4, 2, 2), OnTime(75, None, 20))
    assert read_log({LOG_TITLE: [list(LOG_HEADERS), entry.row()]}) == [entry]


def test_log_of_an_older_header_row_still_reads_the_newer_columns() -> None:
    entry = LogEntry("escalation", WEEK, "ops@example.com", "<1>", "t", Headline(4, 2, 2), OnTime(75, 67, 20))
    assert read_log({LOG_TITLE: [list(LOG_HEADERS[:8]), entry.row()]}) == [entry]


# --- in the escalation email ---------------------------------------------------------------------


def escalation_rendered() -> tuple[str, str]:
    overdue = sample_overdue()
    trend = logged_trend(log_entries(), week=WEEK, current=current())
    rendered = render(escalation_report(overdue), trend=trend)
    return rendered.html, rendered.text


def bar_cells(html: str) -> list[tuple[str, str]]:
    """(title, content) of each week cell of the trend bars."""
    return re.findall(r'<td valign="bottom"[^>]*title="([^"]+)"[^>]*>(.*?)</td>', html)


def test_email_trend_draws_no_bar_for_a_week_without_a_report() -> None:
    html, _ = escalation_rendered()
    cells = bar_cells(html)
    assert len(cells) == 6 * 12
    gaps = [title for title, content in cells[:12] if "<div" not in content]  # the first line: overdue actions
    assert {title.split(":")[0] for title in gaps} == GAPS
    assert all(title.endswith(": n/a") for title in gaps)


def test_email_trend_draws_a_zero_as_a_thin_bar() -> None:
    html, _ = escalation_rendered()
    [zero] = [content for title, content in bar_cells(html) if title == "2026-W42: 0"][:1]
    assert "height:1px" in zero


def test_email_trend_scales_the_largest_count_to_the_full_bar() -> None:
    html, _ = escalation_rendered()
    [largest] = [content for title, content in bar_cells(html) if title == "2026-W37: 9"][:1]
    assert "height:34px" in largest


def test_text_trend_shows_a_dash_for_a_week_without_a_report() -> None:
    _, text = escalation_rendered()
    line = next(line for line in text.splitlines() if line.strip().startswith("2026-W44"))
    assert set(line.split()[1:]) == {"-"}
    assert next(line for line in text.splitlines() if line.strip().startswith("2026-W42")).split()[1:4] == ["0", "0", "0"]


def test_plan_puts_the_logged_trend_in_the_escalation_email() -> None:
    settings = ReportsConfig(escalation_to=("ops@example.com",))
    [escalation] = plan([ReportKind.ESCALATION], overdue=sample_overdue(), findings=[], log=log_entries(), settings=settings)
    assert "Trend, last 12 weeks" in escalation.rendered.text
    assert escalation.headline == sample_overdue().headline
    assert escalation.on_time == current().on_time


# --- on the snapshot's Summary -------------------------------------------------------------------


@pytest.fixture
def snapshot(tmp_path: Path) -> Path:
    path = tmp_path / "snapshot.xlsx"
    write_snapshot(path, overdue=sample_overdue(), findings=[], trend=logged_trend(log_entries(), week=WEEK, current=current()))
    return path


def test_snapshot_trend_leaves_weeks_without_a_report_blank(snapshot: Path) -> None:
    rows = {row[0]: row[1:7] for row in openpyxl.load_workbook(snapshot)["Summary"].iter_rows(values_only=True) if row[0]}
    assert all(rows[week] == (None,) * 6 for week in GAPS)
    assert rows["2026-W42"][:3] == (0, 0, 0)
    assert rows["2026-W37"] == (9, 3, 5, 0.5, 0.4, 0.6)


def test_snapshot_trend_is_a_native_line_chart_with_gaps(snapshot: Path) -> None:
    with zipfile.ZipFile(snapshot) as package:
        charts = [package.read(name).decode() for name in package.namelist() if name.startswith("xl/charts/chart")]
    [trend] = [chart for chart in charts if "lineChart" in chart]
    assert '<dispBlanksAs val="gap"/>' in trend
    assert trend.count("<ser>") == 6
