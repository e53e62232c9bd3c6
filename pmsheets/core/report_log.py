"""The report log: a tool-owned `Report log` tab in the register, one row per delivered recipient.

It is the only memory the reports have, so the worker keeps no local state: it says which
report of which ISO week already reached whom (a retry sends only what is missing), and
holds each week's headline figures: the overdue report's "change since last week" and the
12-week trend. A row is added only after the server (or the outbox) accepted the message for
that recipient.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from pmsheets.core.overdue import Headline
from pmsheets.core.schema import RawWorkbook, normalize
from pmsheets.core.trend import NOT_MEASURED, OnTime, Trend, WeekFigures, trend_of

LOG_TITLE = "Report log"
LOG_HEADERS = (
    "Kind",
    "Week",
    "Recipient",
    "Message-ID",
    "Sent at",
    "Overdue actions",
    "Overdue post-mortems",
    "Not tracked",
    # Added later, so at the end: a log written before them reads as it did.
    "Drafted on time %",
    "Reviewed on time %",
    "Actions done on time %",
)


class ReportKind(enum.StrEnum):
    """The weekly reports; also the `Kind` column of the report log."""

    OVERDUE = "overdue"
    ESCALATION = "escalation"
    OWNER_DIGEST = "owner-digest"


@dataclass(frozen=True, slots=True)
class LogEntry:
    kind: str
    week: str
    recipient: str
    message_id: str
    sent_at: str
    headline: Headline | None = None
    on_time: OnTime | None = None

    def row(self) -> list[str]:
        counts = (
            [str(self.headline.overdue_actions), str(self.headline.overdue_postmortems), str(self.headline.not_tracked)]
            if self.headline is not None
            else ["", "", ""]
        )
        percents = ["" if value is None else str(value) for value in self.on_time or NOT_MEASURED]
        return [self.kind, self.week, self.recipient, self.message_id, self.sent_at, *counts, *percents]

    @property
    def figures(self) -> WeekFigures | None:
        if self.headline is None:
            return None
        return WeekFigures(self.headline, self.on_time or NOT_MEASURED)


def find_log_tab(tables: RawWorkbook) -> str | None:
    return next((title for title in tables if normalize(title) == normalize(LOG_TITLE)), None)


def read_log(tables: RawWorkbook) -> list[LogEntry]:
    """The entries in sheet order; rows that are not shaped like an entry are ignored, not fatal."""
    title = find_log_tab(tables)
    rows = list(tables[title]) if title is not None else []
    if not rows:
        return []
    positions = _positions(rows[0])
    entries = []
    for row in rows[1:]:
        values = {key: _text(row[index]) if index < len(row) else "" for key, index in positions.items()}
        if values.get("kind") and values.get("week") and values.get("recipient"):
            entries.append(_entry(values))
    return entries


def _positions(headers: Sequence[object]) -> dict[str, int]:
    """Column of each header; the tool's own columns missing at the end of an older header row are taken in order.

    A Google Sheet log appended to by a newer version keeps its first header row, so the
    newer columns have values but no header."""
    positions = {normalize(str(header)): index for index, header in enumerate(headers) if header not in (None, "")}
    known = [normalize(header) for header in LOG_HEADERS]
    if known[: len(headers)] == [normalize(str(h)) for h in headers]:
        positions.update({key: index for index, key in enumerate(known)})
    return positions


def _entry(values: dict[str, str]) -> LogEntry:
    return LogEntry(
        kind=values["kind"],
        week=values["week"],
        recipient=values["recipient"],
        message_id=values.get("messageid", ""),
        sent_at=values.get("sentat", ""),
        headline=_headline(values),
        on_time=_on_time(values),
    )


def _on_time(values: dict[str, str]) -> OnTime | None:
    on_time = OnTime(*(_percent(values.get(normalize(header), "")) for header in LOG_HEADERS[-3:]))
    return None if on_time == NOT_MEASURED else on_time


def _percent(text: str) -> int | None:
    try:
        return round(float(text.rstrip("%")))
    except ValueError:
        return None


def _headline(values: dict[str, str]) -> Headline | None:
    try:
        return Headline(
            int(float(values.get("overdueactions", ""))),
            int(float(values.get("overduepostmortems", ""))),
            int(float(values.get("nottracked", ""))),
        )
    except ValueError:
        return None


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def delivered_to(entries: Iterable[LogEntry], *, kind: str, week: str) -> set[str]:
    """Recipients (lower-cased) that already received this kind of report for this week."""
    return {e.recipient.casefold() for e in entries if e.kind == kind and e.week == week}


def missing_recipients(recipients: Sequence[str], entries: Iterable[LogEntry], *, kind: str, week: str) -> tuple[str, ...]:
    done = delivered_to(entries, kind=kind, week=week)
    return tuple(r for r in recipients if r.casefold() not in done)


def previous_headline(entries: Iterable[LogEntry], *, kind: str, week: str) -> Headline | None:
    """The headline of the latest earlier week's report of this kind, if any was logged."""
    earlier = [e for e in entries if e.kind == kind and e.week < week and e.headline is not None]
    if not earlier:
        return None
    return max(earlier, key=lambda e: (e.week, e.sent_at)).headline


def figures_by_week(entries: Iterable[LogEntry]) -> dict[str, WeekFigures]:
    """Each logged week's headline figures, from the latest report of that week that logged them."""
    latest: dict[str, LogEntry] = {}
    for entry in entries:
        if entry.figures is not None and (entry.week not in latest or entry.sent_at >= latest[entry.week].sent_at):
            latest[entry.week] = entry
    return {week: figures for week, entry in latest.items() if (figures := entry.figures) is not None}


def logged_trend(entries: Iterable[LogEntry], *, week: str, current: WeekFigures) -> Trend:
    """The last weeks' figures as logged, ending with this `week`'s `current` figures."""
    return trend_of(figures_by_week(entries), week=week, current=current)
