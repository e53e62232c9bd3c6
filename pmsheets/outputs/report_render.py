"""Report models -> an email's subject, HTML and plain text, through Jinja2 templates.

Each kind of report maps to its two templates by an explicit table. HTML templates
autoescape, so register text is always shown as text; the plain-text part is rendered
from its own template, never derived from the HTML.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

import jinja2

from pmsheets.core.overdue import (
    OPS_REVIEW_AFTER_DAYS,
    EscalationLevel,
    EscalationReport,
    OverdueItem,
    OverdueReport,
    OwnerDigest,
    OwnerGroup,
    counted,
    noun,
)
from pmsheets.core.report_log import ReportKind
from pmsheets.core.trend import Trend
from pmsheets.outputs.links import NO_LINKS, Links, web_link
from pmsheets.outputs.templating import environment

TEMPLATES: dict[ReportKind, str] = {
    ReportKind.OVERDUE: "report_overdue",
    ReportKind.ESCALATION: "report_escalation",
    ReportKind.OWNER_DIGEST: "report_digest",
}
"""Kind -> template stem; `<stem>.html.j2` and `<stem>.txt.j2` live in templates/."""

Report = OverdueReport | EscalationReport | OwnerDigest

DEFAULT_MAX_LIST_ITEMS = 20
"""Rows per list in an email. Gmail clips an HTML body past 102 KB and an item row takes ~1.3 KB,
so three full lists stay readable; the snapshot always has every item."""


@dataclass(frozen=True, slots=True)
class Rendered:
    kind: ReportKind
    subject: str
    html: str
    text: str
    name: str
    """A file-name stem for this report, e.g. overdue-2026-W48 or owner-digest-2026-W48-priya."""


def kind_of(report: Report) -> ReportKind:
    if isinstance(report, OverdueReport):
        return ReportKind.OVERDUE
    if isinstance(report, EscalationReport):
        return ReportKind.ESCALATION
    return ReportKind.OWNER_DIGEST


def render(
    report: Report,
    *,
    templates_dir: Path | None = None,
    max_list_items: int = DEFAULT_MAX_LIST_ITEMS,
    snapshot_note: str | None = None,
    links: Links = NO_LINKS,
    trend: Trend | None = None,
) -> Rendered:
    """`max_list_items` rows per list at most (0: every row); `snapshot_note` says whether the snapshot is attached or where it is."""
    kind = kind_of(report)
    env = _environment(templates_dir)
    context = {
        "report": report,
        "levels": EscalationLevel,
        "ops_review_after_days": OPS_REVIEW_AFTER_DAYS,
        "max_items": max_list_items,
        "snapshot_note": snapshot_note,
        "links": links,
        "trend": trend,
    }
    try:
        html = env.get_template(f"{TEMPLATES[kind]}.html.j2").render(context)
        text = env.get_template(f"{TEMPLATES[kind]}.txt.j2").render(context)
    except jinja2.TemplateNotFound as error:
        from pmsheets.errors import ConfigError

        msg = f"template {error.name} not found in templates_dir or the shipped templates/ folder"
        raise ConfigError(msg) from None
    return Rendered(kind, one_line(report.subject), html, text, _name(kind, report))


def _name(kind: ReportKind, report: Report) -> str:
    stem = f"{kind}-{report.week}"
    if isinstance(report, OwnerDigest):
        stem += "-" + (re.sub(r"[^a-z0-9]+", "-", report.email.split("@")[0].casefold()).strip("-") or "owner")
    return stem


def _environment(templates_dir: Path | None) -> jinja2.Environment:
    env = environment(templates_dir)
    env.filters.update(
        web_link=web_link,
        signed=signed,
        cell=cell,
        day=day,
        one_line=one_line,
        shown=shown,
        shown_groups=shown_groups,
        counted=counted,
        noun=noun,
    )
    return env


# --- long lists ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Shown:
    """The first rows of a list that an email shows, and how many rows it leaves out."""

    items: Sequence[Any]
    more: int


def shown(items: Sequence[Any], limit: int) -> Shown:
    if limit <= 0 or len(items) <= limit:
        return Shown(items, 0)
    return Shown(items[:limit], len(items) - limit)


@dataclass(frozen=True, slots=True)
class ShownGroup:
    owner: str
    items: Sequence[OverdueItem]
    total: int


def shown_groups(groups: Sequence[OwnerGroup], limit: int) -> Shown:
    """Owner groups in order until `limit` rows are shown in all; `more` counts the rows left out."""
    budget = limit if limit > 0 else sum(len(group.items) for group in groups)
    result: list[ShownGroup] = []
    more = 0
    for group in groups:
        take = min(budget, len(group.items))
        if take:
            result.append(ShownGroup(group.owner, group.items[:take], len(group.items)))
        budget -= take
        more += len(group.items) - take
    return Shown(result, more)


# --- filters -----------------------------------------------------------------------------------

_CONTROL = re.compile(r"[\x00-\x1f\x7f\u2028\u2029]+")


def one_line(text: object) -> str:
    """No line breaks or control characters: safe in a header and in a table cell."""
    return re.sub(r" {2,}", " ", _CONTROL.sub(" ", str(text))).strip()


def signed(number: int) -> str:
    return f"+{number}" if number > 0 else ("±0" if number == 0 else f"−{-number}")  # noqa: RUF001  a typographic minus, as wide as the plus


def cell(value: Any, width: int) -> str:
    """A fixed-width plain-text column: one line, cut with '…' when too long, padded."""
    text = "" if value is None else one_line(value)
    if len(text) > width:
        text = text[: width - 1] + "…"
    return text.ljust(width)


def day(value: date | datetime | None) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M %Z").strip()
    return value.isoformat()
