"""A small register with a P0, a P1 and a P2 that need post-mortems, and Markdown read back with a CommonMark parser."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from markdown_it import MarkdownIt
from markdown_it.token import Token

from pmsheets.core.policy import Policy, policy_context
from pmsheets.core.schema import parse
from pmsheets.model import Register
from pmsheets.outputs.postmortem_doc import render_body
from pmsheets.outputs.postmortems import template_environment
from tests.builders import AS_OF, action_row, incident_row, tables

TIMELINE_HEADERS = ["Incident ID", "Time", "Event"]
LINK_BASE = "https://git.example.com/ops/blob/main/docs/postmortems"

P0 = incident_row(
    id="INC-1",
    title="Checkout API outage",
    severity="P0",
    detected_at="2026-11-20 14:05",
    resolved_at="2026-11-20 15:35",
    customer_impact="Non-trivial",
    impact_minutes=90,
    incident_owner="Priya Shah",
    primary_responder="Tom Okafor",
    contributors="Lena Vogel, Sam Ruiz",
    summary="Checkout returned 503 for all customers.",
    root_cause="A config push removed the connection pool limit.",
)
P1 = incident_row(
    id="INC-2",
    title="Search latency degraded",
    severity="P1",
    detected_at="2026-11-24 08:15",
    resolved_at="2026-11-24 09:00",
    customer_impact="Trivial",
    impact_minutes=45,
    incident_owner="Lena Vogel",
    primary_responder="Jonas Berg",
    post_mortem_status="Not started",
)
P2 = incident_row(
    id="INC-3",
    title="Internal dashboard shows stale data",
    severity="P2",
    detected_at="2026-11-25 10:00",
    resolved_at="2026-11-25 15:00",
    customer_impact="None",
    systemic_gap="Yes",
    incident_owner="Aiko Tanaka",
    primary_responder="Jonas Berg",
)
P2_NOT_REQUIRED = incident_row(
    id="INC-4", title="Nightly batch retried", severity="P2", detected_at="2026-11-26 02:00", resolved_at="2026-11-26 02:15"
)
P1_REVIEWED = incident_row(
    id="INC-5",
    title="Webhooks delayed",
    severity="P1",
    detected_at="2026-11-02 10:00",
    resolved_at="2026-11-02 10:40",
    customer_impact="Non-trivial",
    post_mortem_status="Reviewed",
    post_mortem_doc="https://docs.example.com/pm/inc-5",
)
ACTIONS = [
    action_row(
        id="ACT-1",
        incident_id="INC-1",
        action="Restore the pool limit check",
        type="Short-term",
        owner="Tom Okafor",
        due_date="2026-11-25",
        tracking_link="OPS-1",
    ),
    action_row(
        id="ACT-2",
        incident_id="INC-1",
        action="Roll back the config",
        type="Short-term",
        owner="Tom Okafor",
        due_date="2026-11-20",
        tracking_link="OPS-2",
        status="Done",
        completed_on="2026-11-20",
    ),
    action_row(
        id="ACT-3",
        incident_id="INC-1",
        action="Validate config pushes in CI",
        type="Long-term",
        owner="Platform team",
        due_date="2027-03-01",
        tracking_link="https://issues.example.com/OPS-3",
        status="In progress",
    ),
    action_row(
        id="ACT-4",
        incident_id="INC-1",
        action="Write a runbook for pool exhaustion",
        owner="Priya Shah",
        due_date="2026-12-15",
        tracking_link="OPS-4",
    ),
    action_row(
        id="ACT-5",
        incident_id="INC-2",
        action="Add a search latency SLO alert",
        type="Long-term",
        owner="Lena Vogel",
        due_date="2027-01-10",
        tracking_link="SRCH-5",
    ),
    action_row(
        id="ACT-6",
        incident_id="INC-3",
        action="Alert on missed ETL runs",
        type="Short-term",
        owner="Aiko Tanaka",
        due_date="2026-12-01",
        tracking_link="DATA-6",
        status="Won't do",
    ),
]
TIMELINE = [
    TIMELINE_HEADERS,
    ["INC-1", "2026-11-20 14:20", "Incident declared, checkout team paged"],
    ["INC-1", "2026-11-20 14:05", "Error-rate alert fires"],
    ["INC-1", "2026-11-20 15:35", "Config rolled back; errors stop"],
    ["INC-2", "2026-11-24 08:15", "Latency alert fires"],
    ["INC-2", "2026-11-24 09:00", "Reindex paused; latency recovers"],
    ["INC-3", "2026-11-25 10:00", "A PM notices the dashboard is 5 hours behind"],
]


def sample_tables(*incidents: Sequence[Any], actions: Sequence[Sequence[Any]] = ACTIONS) -> dict[str, Any]:
    """The sample register; by default the P0, P1 and P2 that need a post-mortem plus two that do not."""
    chosen = incidents or (P0, P1, P2, P2_NOT_REQUIRED, P1_REVIEWED)
    return tables(list(chosen), list(actions), Timeline=TIMELINE)


def register_of(content: Mapping[str, Any]) -> Register:
    return parse(content).register


def render(content: Mapping[str, Any], incident_id: str) -> str:
    """The draft body for one incident of the given tables, with the shipped template."""
    from pmsheets.outputs.postmortem_doc import build_view

    register = register_of(content)
    ctx = policy_context(register, AS_OF, Policy())
    incident = next(incident for incident in register.incidents if incident.id == incident_id)
    return render_body(build_view(incident, ctx), template_environment(None))


# --- reading Markdown back -----------------------------------------------------------------------

_PARSER = MarkdownIt("commonmark").enable("table")


@dataclass
class Parsed:
    """What a CommonMark parser sees in a document: headings, tables under each heading, raw HTML."""

    headings: list[tuple[int, str]] = field(default_factory=list)
    tables: dict[str, list[list[list[str]]]] = field(default_factory=dict)
    html: list[str] = field(default_factory=list)
    paragraphs: list[str] = field(default_factory=list)


def parse_markdown(text: str) -> Parsed:
    parsed = Parsed()
    tokens = _PARSER.parse(strip_front_matter(text))
    heading = ""
    rows: list[list[str]] | None = None
    for index, token in enumerate(tokens):
        if token.type == "heading_open":
            heading = plain(tokens[index + 1])
            parsed.headings.append((int(token.tag[1]), heading))
        elif token.type == "table_open":
            rows = []
            parsed.tables.setdefault(heading, []).append(rows)
        elif token.type == "tr_open" and rows is not None:
            rows.append([])
        elif token.type == "inline" and rows is not None and tokens[index - 1].type in ("th_open", "td_open"):
            rows[-1].append(plain(token))
        elif token.type == "table_close":
            rows = None
        elif token.type == "paragraph_open":
            parsed.paragraphs.append(plain(tokens[index + 1]))
        elif token.type == "html_block":
            parsed.html.append(token.content)
        if token.type == "inline":
            parsed.html.extend(child.content for child in token.children or [] if child.type == "html_inline")
    return parsed


def plain(inline: Token) -> str:
    """The text a reader sees; a line break (`<br>`, soft or hard) reads as a newline."""
    parts = []
    for child in inline.children or []:
        if child.type in ("text", "code_inline"):
            parts.append(child.content)
        elif child.type in ("softbreak", "hardbreak") or (child.type == "html_inline" and child.content == "<br>"):
            parts.append("\n")
    return "".join(parts)


def strip_front_matter(text: str) -> str:
    if not text.startswith("---\n"):
        return text
    end = text.index("\n---\n", 4)
    return text[end + len("\n---\n") :]


def table_under(parsed: Parsed, heading: str) -> list[list[str]]:
    """The one table right under `heading`, header row first."""
    found = parsed.tables.get(heading, [])
    assert len(found) == 1, f"expected one table under {heading!r}, found {len(found)}"
    return found[0]


def metadata(text: str) -> dict[str, str]:
    rows = table_under(parse_markdown(text), "Metadata")
    return dict(rows[1:])
