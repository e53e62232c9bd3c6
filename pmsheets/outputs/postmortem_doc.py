"""Post-mortem drafts: register -> view-model -> Markdown text, and the decisions around a rewrite.

Everything here is pure: no file is read or written (postmortems.py does that). Register
text only ever reaches a template as data, and every `{{ value }}` is escaped for Markdown
on the way out, the way HTML templates autoescape, so a pipe or a newline in a cell cannot
break a table and a `#` cannot start a heading.
"""

from __future__ import annotations

import enum
import hashlib
import json
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo

import jinja2

from pmsheets.core.policy import Context, requirement_reason
from pmsheets.errors import ConfigError
from pmsheets.model import Action, ActionType, Incident, PostmortemStatus, Register, TimelineEntry

TEMPLATE_NAME = "postmortem.md.j2"
DOC_HEADER = "Post-mortem doc"
STATUS_HEADER = "Post-mortem status"
DRAFT_DATE_HEADER = "Draft date"
STATUS_PLACEHOLDERS: Mapping[str, tuple[str, ...]] = {STATUS_HEADER: (str(PostmortemStatus.NOT_STARTED),)}
"""A status cell holding one of these counts as blank when generate sets it to Draft."""


class TemplateProblem(ConfigError):
    """A template cannot be found or rendered; the message names the template and the line."""


# --- Markdown escaping ---------------------------------------------------------------------------


class Markdown(str):
    """Markdown the tool built itself from escaped parts; printed as is."""

    __slots__ = ()


_ENTITY = re.compile(r"&(?=#?[A-Za-z0-9]+;)")
_BLOCK_START = re.compile(r"^(?:[#>+*=_~-]|\d{1,9}[.)](?=\s|$))")
_LINE_BREAKS = re.compile(r"\r\n?|[\u2028\u2029\x0b\x0c\x85]")


# Any character escape_inline changes; most register values have none (a few thousand drafts hold ~250k values).
_NEEDS_ESCAPING = re.compile(r"[\\`|<&#\r\n\u2028\u2029\x0b\x0c\x85]")


def escape_inline(text: str) -> str:
    """One value inside a line or a table cell: literal text whatever it holds."""
    if _NEEDS_ESCAPING.search(text) is None:
        return text.strip()
    text = _LINE_BREAKS.sub("\n", text).strip()
    text = text.replace("\\", "\\\\").replace("`", "\\`").replace("|", "\\|").replace("<", "\\<")
    text = _ENTITY.sub("\\&", text)
    if text.endswith("#"):
        text = text[:-1] + "\\#"  # else a heading would drop it as a closing sequence
    return "<br>".join(line.strip() for line in text.split("\n"))


def escape_block(text: str) -> Markdown:
    """Multi-line text as paragraphs: no line of it can start a heading, list, quote, table or code."""
    paragraphs: list[str] = []
    current: list[str] = []
    for raw_line in _LINE_BREAKS.sub("\n", text).split("\n"):
        line = escape_inline(raw_line)
        if not line:
            if current:
                paragraphs.append("\n".join(current))
            current = []
            continue
        current.append(_neutralise_block_start(line))
    if current:
        paragraphs.append("\n".join(current))
    return Markdown("\n\n".join(paragraphs))


def _neutralise_block_start(line: str) -> str:
    match = _BLOCK_START.match(line)
    if match is None or line.startswith("\\"):
        return line
    marker = match.group(0)
    if marker[0].isdigit():
        return marker[:-1] + "\\" + line[len(marker) - 1 :]
    return "\\" + line


def _finalize(value: object) -> str:
    if isinstance(value, Markdown):
        return value
    if value is None:
        return ""
    return escape_inline(str(value))


def markdown_environment(loader: jinja2.BaseLoader) -> jinja2.Environment:
    """Templates render Markdown: strict about undefined names, escaping every printed value."""
    environment = jinja2.Environment(
        loader=loader,
        undefined=jinja2.StrictUndefined,
        autoescape=False,  # noqa: S701  the output is Markdown, not HTML; _finalize escapes for Markdown
        finalize=_finalize,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    environment.filters["paragraphs"] = lambda value: escape_block(str(value)) if value else Markdown("")
    return environment


# --- the view-model ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TimelineLine:
    time: str
    event: str


@dataclass(frozen=True, slots=True)
class ActionLine:
    id: str
    text: str
    owner: str
    due: str
    tracking: str
    status: str


@dataclass(frozen=True, slots=True)
class PostmortemView:
    """What a post-mortem template may use: text ready to print, "" where the register is blank."""

    id: str
    title: str
    severity: str
    status: str
    detected: str
    resolved: str
    duration: str
    customer_impact: str
    impact_minutes: str
    owner: str
    responder: str
    contributors: str
    draft_date: str
    review_date: str
    closed_date: str
    reason: str
    draft_due: str
    review_due: str
    summary: str
    root_cause: str
    timeline: tuple[TimelineLine, ...]
    short_term: tuple[ActionLine, ...]
    long_term: tuple[ActionLine, ...]
    untyped: tuple[ActionLine, ...]


def build_view(incident: Incident, ctx: Context) -> PostmortemView:
    """Everything the register knows about one incident, shaped for the template."""
    tz = ctx.policy.timezone
    actions = [_action_line(action, ctx.today) for action in ctx.actions_of(incident)]
    types = [action.type for action in ctx.actions_of(incident)]
    reason = requirement_reason(incident, ctx.policy)
    return PostmortemView(
        id=incident.id or "",
        title=incident.title or "",
        severity=_text(incident.severity),
        status=str(incident.postmortem_status),
        detected=_when(incident.detected_at, tz),
        resolved=_when(incident.resolved_at, tz),
        duration=_duration(incident.detected_at, incident.resolved_at),
        customer_impact=_text(incident.customer_impact),
        impact_minutes=_number(incident.impact_minutes),
        owner=incident.owner or "",
        responder=incident.primary_responder or "",
        contributors=", ".join(incident.contributors),
        draft_date=_day(incident.draft_date),
        review_date=_day(incident.review_date),
        closed_date=_day(incident.closed_date),
        reason=reason[0].upper() + reason[1:] if reason else "Not required by the policy",
        draft_due=_draft_due(incident, ctx),
        review_due=_review_due(incident, ctx),
        summary=incident.summary or "",
        root_cause=incident.root_cause or "",
        timeline=_timeline(ctx.timeline_of(incident), tz),
        short_term=tuple(line for line, kind in zip(actions, types, strict=True) if kind is ActionType.SHORT_TERM),
        long_term=tuple(line for line, kind in zip(actions, types, strict=True) if kind is ActionType.LONG_TERM),
        untyped=tuple(line for line, kind in zip(actions, types, strict=True) if kind is None),
    )


def _text(value: object) -> str:
    return "" if value is None else str(value)


def _when(moment: datetime | None, tz: tzinfo) -> str:
    return "" if moment is None else f"{moment.astimezone(tz):%Y-%m-%d %H:%M %Z}"


def _day(day: date | None) -> str:
    return "" if day is None else day.isoformat()


def _number(value: float | None) -> str:
    if value is None:
        return ""
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


def _duration(start: datetime | None, end: datetime | None) -> str:
    if start is None or end is None or end < start:
        return ""
    minutes = int((end - start).total_seconds() // 60)
    hours, minutes = divmod(minutes, 60)
    days, hours = divmod(hours, 24)
    parts = [f"{days} d" if days else "", f"{hours} h" if hours else "", f"{minutes} min" if minutes or not (days or hours) else ""]
    return " ".join(part for part in parts if part)


def _draft_due(incident: Incident, ctx: Context) -> str:
    if incident.resolved_at is None:
        return ""
    return _when(incident.resolved_at + timedelta(hours=ctx.policy.draft_overdue_hours), ctx.policy.timezone)


def _review_due(incident: Incident, ctx: Context) -> str:
    if incident.resolved_at is None:
        return ""
    last_day = ctx.review_deadline(incident.resolved_at) - timedelta(days=1)
    return f"end of {last_day:%a %Y-%m-%d}"


def _timeline(entries: list[TimelineEntry], tz: tzinfo) -> tuple[TimelineLine, ...]:
    # Undated entries go last; otherwise sheet order breaks ties, so the order is stable.
    ordered = sorted(enumerate(entries), key=lambda pair: (pair[1].time is None, pair[1].time or datetime.min, pair[0]))  # noqa: DTZ901  min only meets min: undated entries sort apart
    return tuple(TimelineLine(_when(entry.time, tz), entry.event or "") for _, entry in ordered)


def _action_line(action: Action, today: date) -> ActionLine:
    status = str(action.status)
    if action.due_date is not None and action.due_date < today and not action.status.finished:
        status += " (overdue)"
    return ActionLine(
        id=action.id or "",
        text=action.text or "",
        owner=action.owner or "",
        due=_day(action.due_date),
        tracking=action.tracking_link or "",
        status=status,
    )


def render_body(view: PostmortemView, environment: jinja2.Environment) -> str:
    try:
        return environment.get_template(TEMPLATE_NAME).render(pm=view)
    except jinja2.TemplateSyntaxError as error:
        msg = f"template {error.filename or error.name}, line {error.lineno}: {error.message}"
        raise TemplateProblem(msg) from None
    except jinja2.TemplateNotFound as error:
        msg = f"no template {error.name} in templates_dir nor among the shipped templates"
        raise TemplateProblem(msg) from None
    except jinja2.UndefinedError as error:
        msg = f"template {TEMPLATE_NAME}: {error.message}. The names a template may use are the fields of pm (see docs/postmortems.md)."
        raise TemplateProblem(msg) from None


# --- which incidents get a document --------------------------------------------------------------


def incidents_to_document(register: Register, ctx: Context, documented: Iterable[str]) -> list[Incident]:
    """Required incidents with no post-mortem yet, plus every incident that already has a generated document."""
    has_document = set(documented)
    chosen: list[Incident] = []
    seen: set[str] = set()
    for incident in register.incidents:
        if incident.id is None or incident.id in seen:
            continue  # a duplicated ID is ambiguous: only its first row counts, as in the checks
        seen.add(incident.id)
        if incident.id in has_document or _needs_first_draft(incident, ctx):
            chosen.append(incident)
    return chosen


def _needs_first_draft(incident: Incident, ctx: Context) -> bool:
    return (
        requirement_reason(incident, ctx.policy) is not None
        and not incident.postmortem_status.drafted
        and "postmortem_status" not in incident.ref.invalid
        and incident.postmortem_doc is None
        and "postmortem_doc" not in incident.ref.invalid
    )


# --- file names ----------------------------------------------------------------------------------

MAX_ID_CHARS = 40
MAX_SLUG_CHARS = 60
_NOT_SAFE = re.compile(r"[^a-z0-9]+")


def document_name(incident: Incident, ctx: Context) -> str:
    """`YYYY-MM-DD-<id>-<slug>.md`: only a-z, 0-9 and '-', bounded, the same on every run.

    The date prefix means no name can be a reserved device name (CON, NUL, ...), and with
    no '.', '/' or '\\' from the register there is no way out of the folder. An ID that
    loses characters on the way gets a short hash of the original, so IDs stay distinct.
    """
    day = _document_day(incident, ctx)
    raw_id = incident.id or ""
    id_part = _clip(_ascii_words(raw_id), MAX_ID_CHARS)
    if id_part != raw_id.lower():
        id_part = "-".join(part for part in (id_part, _short_hash(raw_id)) if part)
    slug = _clip(_ascii_words(incident.title or ""), MAX_SLUG_CHARS) or "post-mortem"
    return f"{day:%Y-%m-%d}-{id_part}-{slug}.md"


def _document_day(incident: Incident, ctx: Context) -> date:
    moment = incident.detected_at or incident.resolved_at
    return moment.astimezone(ctx.policy.timezone).date() if moment is not None else ctx.today


def _ascii_words(text: str) -> str:
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii").lower()
    return _NOT_SAFE.sub("-", folded).strip("-")


def _clip(words: str, limit: int) -> str:
    if len(words) <= limit:
        return words
    cut = words[:limit]
    return (cut.rsplit("-", 1)[0] if "-" in cut[limit // 2 :] else cut).strip("-")


def _short_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:8]


# --- front matter and the never-lose-writing decision --------------------------------------------

_FRONT_MATTER = re.compile(r"\A---\n(?P<head>.*?\n)---\n", re.DOTALL)
_INCIDENT_KEY = re.compile(r"^pmsheets-incident: (?P<value>.+)$", re.MULTILINE)
_HASH_KEY = re.compile(r"^pmsheets-sha256: (?P<value>[0-9a-f]{64})$", re.MULTILINE)


def document_text(incident_id: str, body: str) -> str:
    """The file's full text: front matter recording who wrote the body and its hash, then the body."""
    return (
        "---\n"
        "# Written by `pmsheets generate`. Edit freely: once this file is edited, generate leaves it alone.\n"
        f"pmsheets-incident: {json.dumps(incident_id)}\n"
        f"pmsheets-sha256: {body_hash(body)}\n"
        "---\n"
        f"{body}"
    )


def body_hash(body: str) -> str:
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


@dataclass(frozen=True, slots=True)
class FrontMatter:
    incident_id: str | None
    recorded_hash: str | None
    body: str


def read_front_matter(text: str) -> FrontMatter | None:
    """The tool's front matter of a document, or None when it has none (then it is a person's file)."""
    match = _FRONT_MATTER.match(text)
    if match is None:
        return None
    head = match["head"]
    incident = _INCIDENT_KEY.search(head)
    recorded = _HASH_KEY.search(head)
    return FrontMatter(
        incident_id=_json_text(incident["value"]) if incident else None,
        recorded_hash=recorded["value"] if recorded else None,
        body=text[match.end() :],
    )


def _json_text(value: str) -> str | None:
    try:
        decoded = json.loads(value)
    except ValueError:
        return None
    return decoded if isinstance(decoded, str) else None


class Outcome(enum.StrEnum):
    CREATED = "created"
    UPDATED = "updated"
    UNCHANGED = "unchanged"
    KEPT = "kept, edited by hand"
    REPLACED = "replaced, edited copy kept as .bak"
    CONFLICT = "skipped, the file belongs to another incident"

    @property
    def writes(self) -> bool:
        return self in (Outcome.CREATED, Outcome.UPDATED, Outcome.REPLACED)


def decide(existing: str | None, new_text: str, incident_id: str, *, force: bool) -> Outcome:
    """What to do with a document's file, given what it holds now (None: no file yet)."""
    if existing is None:
        return Outcome.CREATED
    if existing == new_text:
        return Outcome.UNCHANGED
    front = read_front_matter(existing)
    if front is not None and front.incident_id not in (None, incident_id):
        return Outcome.CONFLICT
    if front is not None and front.recorded_hash == body_hash(front.body):
        return Outcome.UPDATED
    return Outcome.REPLACED if force else Outcome.KEPT


# --- the link back into the register -------------------------------------------------------------


def register_updates(
    incidents: Iterable[Incident], links: Mapping[str, str], *, set_status_draft: bool, today: date
) -> dict[str, dict[str, str]]:
    """{incident id: {header: value}} for blank cells only, as the register read shows them.

    The backend checks again at write time; this only avoids asking for writes that cannot happen.
    """
    updates: dict[str, dict[str, str]] = {}
    for incident in incidents:
        if incident.id is None or incident.id not in links:
            continue
        cells: dict[str, str] = {}
        if incident.postmortem_doc is None and "postmortem_doc" not in incident.ref.invalid:
            cells[DOC_HEADER] = links[incident.id]
        if set_status_draft and _status_may_become_draft(incident):
            cells[STATUS_HEADER] = str(PostmortemStatus.DRAFT)
            if incident.draft_date is None and "draft_date" not in incident.ref.invalid:
                cells[DRAFT_DATE_HEADER] = today.isoformat()  # so the new Draft does not raise draft-date-missing
        if cells:
            updates[incident.id] = cells
    return updates


def _status_may_become_draft(incident: Incident) -> bool:
    return incident.postmortem_status is PostmortemStatus.NOT_STARTED and "postmortem_status" not in incident.ref.invalid
