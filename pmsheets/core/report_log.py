"""The report log: a tool-owned `Report log` tab in the register, one row per delivered recipient.

It is the only memory the reports have, so the worker keeps no local state: it says which
report of which ISO week already reached whom (a retry sends only what is missing), and
holds last week's headline for the overdue report's "change since last week". A row is
added only after the server (or the outbox) accepted the message for that recipient.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from pmsheets.core.overdue import Headline
from pmsheets.core.schema import RawWorkbook, normalize

LOG_TITLE = "Report log"
LOG_HEADERS = ("Kind", "Week", "Recipient", "Message-ID", "Sent at", "Overdue actions", "Overdue post-mortems", "Not tracked")


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

    def row(self) -> list[str]:
        counts = (
            [str(self.headline.overdue_actions), str(self.headline.overdue_postmortems), str(self.headline.not_tracked)]
            if self.headline is not None
            else ["", "", ""]
        )
        return [self.kind, self.week, self.recipient, self.message_id, self.sent_at, *counts]


def find_log_tab(tables: RawWorkbook) -> str | None:
    return next((title for title in tables if normalize(title) == normalize(LOG_TITLE)), None)


def read_log(tables: RawWorkbook) -> list[LogEntry]:
    """The entries in sheet order; rows that are not shaped like an entry are ignored, not fatal."""
    title = find_log_tab(tables)
    rows = list(tables[title]) if title is not None else []
    if not rows:
        return []
    positions = {normalize(header): index for index, header in enumerate(rows[0]) if header is not None}
    entries = []
    for row in rows[1:]:
        values = {key: _text(row[index]) if index < len(row) else "" for key, index in positions.items()}
        if values.get("kind") and values.get("week") and values.get("recipient"):
            entries.append(_entry(values))
    return entries


def _entry(values: dict[str, str]) -> LogEntry:
    return LogEntry(
        kind=values["kind"],
        week=values["week"],
        recipient=values["recipient"],
        message_id=values.get("messageid", ""),
        sent_at=values.get("sentat", ""),
        headline=_headline(values),
    )


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
