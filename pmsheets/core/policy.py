"""The post-mortem policy as rules: pure functions of (register, as-of time, policy settings).

Each rule is one small function named after its rule id, declared with `@rule`: its id, level,
one line for the docs' table and the sentences of POSTMORTEM_PROCESS.md it enforces, written
once. `RULES`, `RULE_LEVELS`, the levels in the JSON output and the table of docs/rules.md
follow these declarations (tests/test_docs.py checks the page), so adding a rule is one
declaration here plus its section in docs/rules.md. No I/O and no clock in this module: the
as-of time is always passed in.
"""

from __future__ import annotations

import contextlib
import enum
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, tzinfo
from functools import cached_property
from typing import TypeVar

from pmsheets.core import documents
from pmsheets.core.documents import NO_DOCUMENTS, DocumentFacts, Documents, Unreadable
from pmsheets.core.schema import SCHEMA_RULES
from pmsheets.model import (
    UTC_ZONE,
    Action,
    ActionStatus,
    ActionType,
    CustomerImpact,
    Finding,
    Incident,
    Level,
    PostmortemStatus,
    Register,
    Rule,
    Severity,
    TimelineEntry,
)

R = TypeVar("R", Action, TimelineEntry)
DEFAULT_BLAME_PHRASES = (
    "human error",
    "operator error",
    "user error",
    "careless",
    "carelessness",
    "fault of",
    "at fault",
    "should have known",
    "negligence",
    "negligent",
    "incompetent",
    "sloppy",
    "to blame",
)


@dataclass(frozen=True, slots=True)
class Policy:
    """The thresholds of POSTMORTEM_PROCESS.md; every number here is a config key under `policy`."""

    timezone: tzinfo = UTC_ZONE
    draft_due_hours: float = 24
    draft_overdue_hours: float = 48
    review_business_days: int = 5
    p1_impact_minutes: float = 15
    short_term_max_days: int = 30
    long_term_max_days: int = 180
    holidays: frozenset[date] = frozenset()
    holiday_country: str | None = None
    blame_phrases: tuple[str, ...] = DEFAULT_BLAME_PHRASES


class BusinessCalendar:
    """Monday to Friday, minus configured dates and (optionally) a country's public holidays."""

    def __init__(self, holidays: frozenset[date], country: str | None) -> None:
        self._fixed = holidays
        self._country = _country_holidays(country) if country else None

    def is_business_day(self, day: date) -> bool:
        if day.weekday() >= 5 or day in self._fixed:
            return False
        return self._country is None or day not in self._country

    def add_business_days(self, start: date, count: int) -> date:
        day = start
        while count > 0:
            day += timedelta(days=1)
            if self.is_business_day(day):
                count -= 1
        return day


def _country_holidays(country: str) -> Mapping[date, str]:
    import holidays as holidays_lib  # deferred: loading every country's calendar is slow

    return holidays_lib.country_holidays(country)


@dataclass
class Context:
    """What every rule may look at: built once per check so rules stay one-liners."""

    register: Register
    as_of: datetime
    policy: Policy
    calendar: BusinessCalendar
    documents: Documents = NO_DOCUMENTS
    """The post-mortem documents as read at the start of the check (none: the read-back rules stay quiet)."""
    _review_deadlines: dict[date, datetime] = field(default_factory=dict)
    _reasons: dict[int, str | None] = field(default_factory=dict)

    def requirement(self, incident: Incident) -> str | None:
        """requirement_reason, computed once per incident: five rules ask for it."""
        key = id(incident)
        if key not in self._reasons:
            self._reasons[key] = requirement_reason(incident, self.policy)
        return self._reasons[key]

    @cached_property
    def today(self) -> date:
        return self.as_of.astimezone(self.policy.timezone).date()

    @cached_property
    def incidents_by_id(self) -> dict[str, Incident]:
        return self.register.index("incidents_by_id", _incidents_by_id)

    @cached_property
    def action_ids(self) -> frozenset[str]:
        return self.register.index("action_ids", lambda register: frozenset(a.id for a in register.actions if a.id is not None))

    @cached_property
    def actions_by_incident(self) -> dict[str, list[Action]]:
        return self.register.index("actions_by_incident", lambda register: _by_incident(register.actions))

    @cached_property
    def timeline_by_incident(self) -> dict[str, list[TimelineEntry]]:
        return self.register.index("timeline_by_incident", lambda register: _by_incident(register.timeline))

    @cached_property
    def blame_pattern(self) -> re.Pattern[str] | None:
        """The blame phrases, to search in casefolded text: twice as fast as re.IGNORECASE on every record's text."""
        phrases = [re.escape(p.strip().casefold()) for p in self.policy.blame_phrases if p.strip()]
        if not phrases:
            return None
        return re.compile(r"(?<!\w)(" + "|".join(sorted(phrases, key=len, reverse=True)) + r")(?!\w)")

    def actions_of(self, incident: Incident) -> list[Action]:
        return self.actions_by_incident.get(incident.id, []) if incident.id is not None else []

    def timeline_of(self, incident: Incident) -> list[TimelineEntry]:
        """The incident's timeline entries in sheet order."""
        return self.timeline_by_incident.get(incident.id, []) if incident.id is not None else []

    def review_deadline(self, resolved_at: datetime) -> datetime:
        """The end of the Nth business day after the resolution date, in the team's time zone."""
        resolved_on = resolved_at.astimezone(self.policy.timezone).date()
        deadline = self._review_deadlines.get(resolved_on)
        if deadline is None:
            try:
                last_day = self.calendar.add_business_days(resolved_on, self.policy.review_business_days)
                deadline = datetime.combine(last_day + timedelta(days=1), time(), tzinfo=self.policy.timezone)
            except OverflowError:  # the deadline would fall after 9999-12-31: it never comes
                deadline = datetime.max.replace(tzinfo=self.policy.timezone)
            self._review_deadlines[resolved_on] = deadline
        return deadline


# --- declaring a rule ----------------------------------------------------------------------------

Hit = tuple[Incident | Action | TimelineEntry, str, str]
"""Where a rule fires: the record, the field whose cell the finding points at, and the message."""
NO_HITS: Sequence[Hit] = ()


class On(enum.Enum):
    """What a rule's function is called with: the whole register (the context), or each record in turn."""

    REGISTER = "register"
    INCIDENTS = "incidents"
    ACTIONS = "actions"


@dataclass(frozen=True, slots=True)
class Check:
    """A declared rule, the function that finds it and what that function is called with."""

    rule: Rule
    on: frozenset[On]
    find: Callable[..., Iterable[Hit]]


_DECLARED: list[Check] = []


def rule(
    rule_id: str, level: Level, *, on: On | tuple[On, ...], fires_when: str, policy: tuple[str, ...] = ()
) -> Callable[[Callable[..., Iterable[Hit]]], Check]:
    """Declare the rule the decorated function finds: its id, level, one line for the docs' table and the
    policy sentences it enforces. The function returns hits; the checker turns them into findings of this
    rule, so no call site restates the id or the level."""

    def declare(find: Callable[..., Iterable[Hit]]) -> Check:
        declared = Check(Rule(rule_id, level, fires_when, policy), frozenset(on if isinstance(on, tuple) else (on,)), find)
        _DECLARED.append(declared)
        return declared

    return declare


# --- shared helpers ------------------------------------------------------------------------------


def _incidents_by_id(register: Register) -> dict[str, Incident]:
    """The first incident of each ID, as the rules and reports resolve an Incident ID."""
    by_id: dict[str, Incident] = {}
    for incident in register.incidents:
        if incident.id is not None:
            by_id.setdefault(incident.id, incident)
    return by_id


def _by_incident(records: Iterable[R]) -> dict[str, list[R]]:
    """Records grouped by their Incident ID, in sheet order (records without one left out)."""
    grouped: dict[str, list[R]] = {}
    for record in records:
        if record.incident_id is not None:
            grouped.setdefault(record.incident_id, []).append(record)
    return grouped


def requirement_reason(incident: Incident, policy: Policy) -> str | None:
    """Why the incident needs a post-mortem, or None when it does not (or cannot tell)."""
    if incident.severity is Severity.P0:
        return "P0 incidents always need one"
    if incident.severity is Severity.P1:
        if incident.customer_impact is CustomerImpact.NON_TRIVIAL:
            return "P1 with non-trivial customer impact"
        if incident.impact_minutes is not None and incident.impact_minutes > policy.p1_impact_minutes:
            return f"P1 with {_minutes(incident.impact_minutes)} minutes of impact, more than {_minutes(policy.p1_impact_minutes)}"
        return None
    if incident.severity is Severity.P2:
        gaps = [
            name
            for name, flagged in (
                ("a systemic gap", incident.systemic_gap),
                ("a security concern", incident.security_concern),
                ("a repeatable failure", incident.repeatable_failure),
            )
            if flagged
        ]
        if gaps:
            return "P2 that revealed " + " and ".join(gaps)
    return None


def _minutes(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


def show_time(moment: datetime, policy: Policy) -> str:
    """A moment as a PM reads it, in the team's time zone: 'Thu 26 Nov 2026 09:00'.

    Findings name deadlines as times, never as durations ('30 h ago'), so an unchanged register
    gives an unchanged Findings tab from one hour to the next, and a cycle writes nothing."""
    return moment.astimezone(policy.timezone).strftime("%a %d %b %Y %H:%M")


def draft_deadlines(resolved_at: datetime, policy: Policy) -> tuple[datetime, datetime]:
    """When a missing draft becomes due (draft-due) and overdue (draft-overdue): strictly after these instants."""
    return resolved_at + timedelta(hours=policy.draft_due_hours), resolved_at + timedelta(hours=policy.draft_overdue_hours)


def overdue_from(due_date: date, policy: Policy) -> datetime:
    """The first instant an unfinished action due on `due_date` is overdue: the next day's midnight, team time."""
    return datetime.combine(due_date + timedelta(days=1), time(), tzinfo=policy.timezone)


def _blank(record: Incident | Action, field_name: str) -> bool:
    """A blank cell in the sheet: not unreadable (that has value-invalid) and not an absent column (column-missing)."""
    return getattr(record, field_name) is None and field_name in record.ref.columns and field_name not in record.ref.invalid


def _unreadable(record: Incident | Action, field_name: str) -> bool:
    """The cell could not be read (it has a value-invalid finding); the record holds only the blank default."""
    return field_name in record.ref.invalid


def _when_blank(record: Incident | Action, field_name: str, message: str) -> Sequence[Hit]:
    """The hit of a rule that asks for one cell to be filled in."""
    return [(record, field_name, message)] if _blank(record, field_name) else NO_HITS


_DEFAULTS = Policy()
"""The docs' table states the default thresholds; they come from here, not from a second copy."""
# The policy's sentences are quoted verbatim, its en dashes included.
_DRAFT_WITHIN = "Draft within 24–48 hours of incident resolution."  # noqa: RUF001
_DRAFT_WITHIN_HOURS = "Draft within 24–48 hours"  # noqa: RUF001
_P0_TO_P2 = "Provide a lightweight, consistent post-mortem workflow for P0–P2 incidents"  # noqa: RUF001


# --- data rules ----------------------------------------------------------------------------------
# These protect the data every other rule reads: the policy has no sentence of their own.


@rule("id-missing", Level.ERROR, on=On.REGISTER, fires_when="An incident or action has no ID")
def id_missing(ctx: Context) -> Iterator[Hit]:
    """Every incident and action is referred to by its ID (findings, reports, documents)."""
    for incident in ctx.register.incidents:
        if _blank(incident, "id"):
            yield incident, "id", "no ID. Give the incident a unique ID, e.g. INC-042."
    for action in ctx.register.actions:
        if _blank(action, "id"):
            yield action, "id", "no ID. Give the action a unique ID, e.g. ACT-101."


@rule("id-duplicate", Level.ERROR, on=On.REGISTER, fires_when="An ID is used by more than one row")
def id_duplicate(ctx: Context) -> Iterator[Hit]:
    """IDs are unique, so every finding, report and document points at one row."""
    for kind, records in (("incident", ctx.register.incidents), ("action", ctx.register.actions)):
        first_row: dict[str, int] = {}
        for record in records:
            if record.id is None:
                continue
            if record.id in first_row:
                yield record, "id", f"{kind} ID {record.id} is already used in row {first_row[record.id]}. Give this row its own ID."
            else:
                first_row[record.id] = record.ref.row


@rule(
    "incident-unknown",
    Level.ERROR,
    on=On.REGISTER,
    fires_when="An action or timeline row names no incident, or one not in Incidents",
)
def incident_unknown(ctx: Context) -> Iterator[Hit]:
    """Actions and timeline entries belong to an incident of the register."""
    if "incidents" in ctx.register.unchecked_tabs:
        return
    known = ctx.incidents_by_id
    records: tuple[Action | TimelineEntry, ...] = (*ctx.register.actions, *ctx.register.timeline)
    for record in records:
        if record.incident_id in known or "incident_id" in record.ref.invalid:
            continue
        yield (
            record,
            "incident_id",
            f"incident {record.incident_id} is not in the Incidents tab. Check the ID or add the incident."
            if record.incident_id is not None
            else "no Incident ID. Say which incident this row belongs to.",
        )


@rule(
    "dates-out-of-order",
    Level.ERROR,
    on=On.INCIDENTS,
    fires_when="Resolved before Detected, Review before Draft, Closed before Review",
    policy=(_DRAFT_WITHIN_HOURS, "Review within 5 business days"),
)
def dates_out_of_order(incident: Incident, ctx: Context) -> Iterator[Hit]:
    """Detected <= Resolved, and Draft <= Review <= Closed: the deadlines are measured from these dates."""
    pairs = (
        ("resolved_at", "Resolved at", incident.resolved_at, "Detected at", incident.detected_at),
        ("review_date", "Review date", incident.review_date, "Draft date", incident.draft_date),
        ("closed_date", "Closed date", incident.closed_date, "Review date", incident.review_date),
    )
    for later_field, later_name, later, earlier_name, earlier in pairs:
        if later is not None and earlier is not None and later < earlier:
            yield (
                incident,
                later_field,
                (
                    f"{later_name} ({_show_when(later, ctx.policy)}) is before {earlier_name} ({_show_when(earlier, ctx.policy)}). "
                    "Correct one of them."
                ),
            )


def _show_when(value: date | datetime, policy: Policy) -> str:
    """A date as is; a time in the team's zone, whatever offset it was typed with."""
    if isinstance(value, datetime):
        return show_time(value, policy)
    return value.isoformat()


@rule(
    "severity-missing",
    Level.ERROR,
    on=On.INCIDENTS,
    fires_when="An incident has no Severity",
    policy=(_P0_TO_P2, "When a Post-Mortem Is Required"),
)
def severity_missing(incident: Incident, ctx: Context) -> Sequence[Hit]:
    return _when_blank(incident, "severity", "no severity, so the tool cannot tell whether a post-mortem is required. Set P0, P1 or P2.")


@rule(
    "severity-mismatch",
    Level.WARNING,
    on=On.INCIDENTS,
    fires_when="P2 with non-trivial customer impact, or P1 with none",
    policy=(
        "P1: Degraded service with customer impact but not a full outage.",
        "P2: Internal-only or limited-impact incident with minimal customer impact.",
    ),
)
def severity_mismatch(incident: Incident, ctx: Context) -> Iterator[Hit]:
    if incident.severity is Severity.P2 and incident.customer_impact is CustomerImpact.NON_TRIVIAL:
        yield (
            incident,
            "severity",
            "P2 with non-trivial customer impact: P2 means minimal customer impact. Check the severity (P1?) or the impact.",
        )
    if incident.severity is Severity.P1 and incident.customer_impact is CustomerImpact.NONE:
        yield (
            incident,
            "severity",
            "P1 with no customer impact: P1 means degraded service with customer impact. Check the severity (P2?) or the impact.",
        )


# --- post-mortem rules ---------------------------------------------------------------------------


@rule(
    "postmortem-required",
    Level.INFO,
    on=On.INCIDENTS,
    fires_when="A required post-mortem is not started",
    policy=(
        (
            "P0: Always required. P1: Required when customer impact is non-trivial or lasts > 15 minutes. "
            "P2: Required when it reveals a systemic gap, security concern, or repeatable failure."
        ),
    ),
)
def postmortem_required(incident: Incident, ctx: Context) -> Sequence[Hit]:
    reason = ctx.requirement(incident)
    if reason and not incident.postmortem_status.drafted and not _unreadable(incident, "postmortem_status"):
        written = _document(incident, ctx)
        start = f"Its draft {written.name} is written: fill it in" if written else "Start one from the template"
        return [(incident, "postmortem_status", f"needs a post-mortem ({reason}). {start} and set Post-mortem status to Draft.")]
    return NO_HITS


@rule(
    "postmortem-undetermined",
    Level.WARNING,
    on=On.INCIDENTS,
    fires_when="A P1 with neither Customer impact nor Impact minutes",
    policy=("P1: Required when customer impact is non-trivial or lasts > 15 minutes.",),
)
def postmortem_undetermined(incident: Incident, ctx: Context) -> Sequence[Hit]:
    """A P1 is required when its customer impact is non-trivial or lasts long, so one of them must be known."""
    if incident.severity is not Severity.P1:
        return NO_HITS
    if _blank(incident, "customer_impact") and _blank(incident, "impact_minutes"):
        return [
            (
                incident,
                "customer_impact",
                "P1 with neither Customer impact nor Impact minutes, so the tool cannot tell whether a post-mortem is required. Fill in at least one.",
            )
        ]
    return NO_HITS


@rule(
    "owner-missing",
    Level.ERROR,
    on=On.INCIDENTS,
    fires_when="A required incident has no Incident owner",
    policy=("Incident owner (PM): Drives the post-mortem, ensures data is captured, and schedules review.",),
)
def owner_missing(incident: Incident, ctx: Context) -> Sequence[Hit]:
    if ctx.requirement(incident) and _blank(incident, "owner"):
        return [(incident, "owner", "no Incident owner. Name the PM who drives the post-mortem.")]
    return NO_HITS


@rule(
    "responder-missing",
    Level.ERROR,
    on=On.INCIDENTS,
    fires_when="A required incident has no Primary responder",
    policy=("Primary responder: Provides timeline, technical details, and corrective actions.",),
)
def responder_missing(incident: Incident, ctx: Context) -> Sequence[Hit]:
    if ctx.requirement(incident) and _blank(incident, "primary_responder"):
        return [(incident, "primary_responder", "no Primary responder. Name who provides the timeline and technical details.")]
    return NO_HITS


def _draft_clock(incident: Incident, ctx: Context) -> tuple[datetime, datetime, datetime] | None:
    """(resolved at, draft due at, draft overdue at) for a required incident with no draft yet; None when no draft clock runs."""
    if incident.resolved_at is None or incident.postmortem_status.drafted or _unreadable(incident, "postmortem_status"):
        return None
    if not ctx.requirement(incident):
        return None
    try:
        return (incident.resolved_at, *draft_deadlines(incident.resolved_at, ctx.policy))
    except OverflowError:  # due after 9999-12-31: never
        return None


@rule(
    "draft-due",
    Level.WARNING,
    on=On.INCIDENTS,
    fires_when=f"Not drafted, more than {_DEFAULTS.draft_due_hours:g} h after resolution",
    policy=(_DRAFT_WITHIN,),
)
def draft_due(incident: Incident, ctx: Context) -> Sequence[Hit]:
    """After draft_due_hours, until draft-overdue takes over."""
    clock = _draft_clock(incident, ctx)
    if clock is None or not clock[1] < ctx.as_of <= clock[2]:
        return NO_HITS
    resolved_at, _, overdue_at = clock
    return [
        (
            incident,
            "postmortem_status",
            (
                f"resolved {show_time(resolved_at, ctx.policy)}; the draft is due by {show_time(overdue_at, ctx.policy)} "
                f"({_minutes(ctx.policy.draft_overdue_hours)} h after resolution). Start it now."
            ),
        )
    ]


@rule(
    "draft-overdue",
    Level.ERROR,
    on=On.INCIDENTS,
    fires_when=f"Not drafted, more than {_DEFAULTS.draft_overdue_hours:g} h after resolution",
    policy=(_DRAFT_WITHIN,),
)
def draft_overdue(incident: Incident, ctx: Context) -> Sequence[Hit]:
    clock = _draft_clock(incident, ctx)
    if clock is None or ctx.as_of <= clock[2]:
        return NO_HITS
    resolved_at, _, overdue_at = clock
    return [
        (
            incident,
            "postmortem_status",
            (
                f"resolved {show_time(resolved_at, ctx.policy)} and still no draft; it was due by {show_time(overdue_at, ctx.policy)} "
                f"({_minutes(ctx.policy.draft_overdue_hours)} h after resolution). Write the draft and set Post-mortem status to Draft."
            ),
        )
    ]


@rule(
    "review-overdue",
    Level.ERROR,
    on=On.INCIDENTS,
    fires_when=f"Not reviewed within {_DEFAULTS.review_business_days} business days of resolution",
    policy=(
        "Review within 5 business days with relevant stakeholders.",
        "Review with responders and stakeholders, then mark Status: Reviewed.",
    ),
)
def review_overdue(incident: Incident, ctx: Context) -> Sequence[Hit]:
    if incident.resolved_at is None or incident.postmortem_status.reviewed or _unreadable(incident, "postmortem_status"):
        return NO_HITS
    if not ctx.requirement(incident):
        return NO_HITS
    deadline = ctx.review_deadline(incident.resolved_at)
    if ctx.as_of >= deadline:
        last_day = (deadline - timedelta(days=1)).date()
        return [
            (
                incident,
                "postmortem_status",
                (
                    f"not reviewed; the review was due by the end of {last_day:%a %Y-%m-%d} "
                    f"({ctx.policy.review_business_days} business days after resolution). Hold the review and set Post-mortem status to Reviewed."
                ),
            )
        ]
    return NO_HITS


@rule(
    "draft-date-missing",
    Level.WARNING,
    on=On.INCIDENTS,
    fires_when="Drafted but no Draft date",
    policy=(_DRAFT_WITHIN,),
)
def draft_date_missing(incident: Incident, ctx: Context) -> Sequence[Hit]:
    """The draft date shows whether the draft was on time."""
    if incident.postmortem_status.drafted and _blank(incident, "draft_date"):
        return [
            (
                incident,
                "draft_date",
                f"status is {incident.postmortem_status} but there is no Draft date. Add the day the draft was written.",
            )
        ]
    return NO_HITS


@rule(
    "review-date-missing",
    Level.ERROR,
    on=On.INCIDENTS,
    fires_when="Reviewed or Closed but no Review date",
    policy=("Review within 5 business days with relevant stakeholders.",),
)
def review_date_missing(incident: Incident, ctx: Context) -> Sequence[Hit]:
    """The review date shows whether the review was on time; action due dates are measured from it."""
    if incident.postmortem_status.reviewed and _blank(incident, "review_date"):
        return [
            (
                incident,
                "review_date",
                f"status is {incident.postmortem_status} but there is no Review date. Add the day of the review.",
            )
        ]
    return NO_HITS


@rule(
    "closed-date-missing",
    Level.WARNING,
    on=On.INCIDENTS,
    fires_when="Closed but no Closed date",
    policy=("Track actions until completion, then mark Status: Closed.",),
)
def closed_date_missing(incident: Incident, ctx: Context) -> Sequence[Hit]:
    """The closed date shows when the post-mortem's actions were all done, as the draft and review dates show theirs."""
    if incident.postmortem_status is PostmortemStatus.CLOSED and _blank(incident, "closed_date"):
        return [(incident, "closed_date", "status is Closed but there is no Closed date. Add the day the post-mortem was closed.")]
    return NO_HITS


@rule(
    "doc-missing",
    Level.WARNING,
    on=On.INCIDENTS,
    fires_when="Drafted but no Post-mortem doc",
    policy=("Create a new post-mortem using the template.",),
)
def doc_missing(incident: Incident, ctx: Context) -> Sequence[Hit]:
    # The draft the tool wrote counts as the document, linked or not.
    if incident.postmortem_status.drafted and _blank(incident, "postmortem_doc") and _document(incident, ctx) is None:
        return [
            (
                incident,
                "postmortem_doc",
                f"status is {incident.postmortem_status} but there is no Post-mortem doc. Paste the link to the document.",
            )
        ]
    return NO_HITS


def _document(incident: Incident, ctx: Context) -> DocumentFacts | None:
    """The incident's post-mortem document as read, when it could be read."""
    found = ctx.documents.of(incident.id, incident.postmortem_doc)
    return found if isinstance(found, DocumentFacts) else None


@rule(
    "doc-status-differs",
    Level.WARNING,
    on=On.INCIDENTS,
    fires_when="The document says Status: Reviewed or Closed and the register does not, or the reverse",
    policy=(
        "Review with responders and stakeholders, then mark Status: Reviewed.",
        "Track actions until completion, then mark Status: Closed.",
    ),
)
def doc_status_differs(incident: Incident, ctx: Context) -> Sequence[Hit]:
    written = _document(incident, ctx)
    if written is None or _unreadable(incident, "postmortem_status"):
        return NO_HITS
    message = documents.status_differs(incident.postmortem_status, written)
    return [(incident, "postmortem_status", message)] if message else NO_HITS


@rule(
    "doc-sections-empty",
    Level.WARNING,
    on=On.INCIDENTS,
    fires_when="Reviewed or Closed, and the document has nothing under Impact, Root cause or Corrective actions",
    policy=("Summarize impact and root cause in clear, factual language.", "List corrective actions with owner and due date:"),
)
def doc_sections_empty(incident: Incident, ctx: Context) -> Sequence[Hit]:
    written = _document(incident, ctx)
    message = documents.sections_unwritten(incident.postmortem_status, written) if written else None
    return [(incident, "postmortem_status", message)] if message else NO_HITS


@rule(
    "doc-action-untracked",
    Level.ERROR,
    on=On.INCIDENTS,
    fires_when="The document lists an action with no row in the Actions tab, or with no ID",
    policy=("The post-mortem is not complete until actions are tracked.",),
)
def doc_action_untracked(incident: Incident, ctx: Context) -> Sequence[Hit]:
    written = _document(incident, ctx)
    if written is None or not written.actions:
        return NO_HITS
    return [(incident, "postmortem_doc", message) for message in documents.untracked_actions(written, ctx.action_ids)]


@rule("doc-unreadable", Level.WARNING, on=On.INCIDENTS, fires_when="The incident's document is known but cannot be read")
def doc_unreadable(incident: Incident, ctx: Context) -> Sequence[Hit]:
    found = ctx.documents.of(incident.id, incident.postmortem_doc)
    return [(incident, "postmortem_doc", documents.unreadable(found))] if isinstance(found, Unreadable) else NO_HITS


@rule(
    "no-actions-after-review",
    Level.ERROR,
    on=On.INCIDENTS,
    fires_when="Reviewed or Closed with no actions",
    policy=("Actions created immediately after review (or earlier if urgent).",),
)
def no_actions_after_review(incident: Incident, ctx: Context) -> Sequence[Hit]:
    if "actions" in ctx.register.unchecked_tabs:
        return NO_HITS  # the Actions tab could not be read: its rows are unknown, not absent
    if incident.postmortem_status.reviewed and incident.id is not None and not ctx.actions_of(incident):
        return [
            (
                incident,
                "postmortem_status",
                f"status is {incident.postmortem_status} but the Actions tab has no action for {incident.id}. Add the corrective actions from the review.",
            )
        ]
    return NO_HITS


@rule(
    "closed-with-open-actions",
    Level.ERROR,
    on=On.INCIDENTS,
    fires_when="Closed while an action is not finished",
    policy=("Track actions until completion, then mark Status: Closed.",),
)
def closed_with_open_actions(incident: Incident, ctx: Context) -> Iterator[Hit]:
    if incident.postmortem_status is not PostmortemStatus.CLOSED:
        return
    still_open = [a.id or f"row {a.ref.row}" for a in ctx.actions_of(incident) if not a.status.finished and not _unreadable(a, "status")]
    if still_open:
        yield (
            incident,
            "postmortem_status",
            (
                f"Closed while {len(still_open)} action(s) are not Done or Won't do: {', '.join(still_open)}. "
                "Finish them or set the status back to Reviewed."
            ),
        )


@rule(
    "ready-to-close",
    Level.INFO,
    on=On.INCIDENTS,
    fires_when="Reviewed and every action finished",
    policy=("Track actions until completion, then mark Status: Closed.",),
)
def ready_to_close(incident: Incident, ctx: Context) -> Sequence[Hit]:
    if incident.postmortem_status is not PostmortemStatus.REVIEWED:
        return NO_HITS
    actions = ctx.actions_of(incident)
    if actions and all(a.status.finished for a in actions):
        return [(incident, "postmortem_status", "every action is Done or Won't do. Set Post-mortem status to Closed.")]
    return NO_HITS


_BLAME_FIELDS: dict[type, tuple[tuple[str, str], ...]] = {
    Incident: (("summary", "Summary"), ("root_cause", "Root cause")),
    Action: (("text", "Action"),),
}


@rule(
    "blame-language",
    Level.WARNING,
    on=(On.INCIDENTS, On.ACTIONS),
    fires_when="Summary, Root cause or Action text uses blaming words",
    policy=("Blameless principle: Post-mortems focus on learning and systemic improvement, not blame.",),
)
def blame_language(record: Incident | Action, ctx: Context) -> Sequence[Hit]:
    # Every record passes here and almost none match: one search a text, nothing built when it finds nothing.
    pattern = ctx.blame_pattern
    if pattern is None:
        return NO_HITS
    hits: list[Hit] = []
    for field_name, label in _BLAME_FIELDS[type(record)]:
        text = getattr(record, field_name)
        if text and pattern.search(folded := text.casefold()) is not None:
            quoted = ", ".join(f"'{p}'" for p in sorted(set(pattern.findall(folded))))
            hits.append(
                (record, field_name, f"{label} uses blaming language ({quoted}). Describe what in the system allowed it to happen instead.")
            )
    return hits


# --- action rules --------------------------------------------------------------------------------


@rule(
    "action-owner-missing",
    Level.ERROR,
    on=On.ACTIONS,
    fires_when="An action has no Owner",
    policy=("Every action item must have: Owner (accountable person or team)",),
)
def action_owner_missing(action: Action, ctx: Context) -> Sequence[Hit]:
    return _when_blank(action, "owner", "no owner. Name the accountable person or team.")


@rule(
    "action-due-missing",
    Level.ERROR,
    on=On.ACTIONS,
    fires_when="An action has no Due date",
    policy=("Every action item must have: ... Due date",),
)
def action_due_missing(action: Action, ctx: Context) -> Sequence[Hit]:
    return _when_blank(action, "due_date", "no due date. Agree one with the owner and add it.")


@rule(
    "action-link-missing",
    Level.ERROR,
    on=On.ACTIONS,
    fires_when="An action has no Tracking link",
    policy=(
        "Every action item must have: ... Tracking link (ticket, issue, or task ID)",
        "The post-mortem is not complete until actions are tracked.",
    ),
)
def action_link_missing(action: Action, ctx: Context) -> Sequence[Hit]:
    return _when_blank(
        action,
        "tracking_link",
        "no tracking link. File a ticket and paste its link or key (e.g. OPS-123); the post-mortem is not complete until actions are tracked.",
    )


@rule(
    "action-type-missing",
    Level.ERROR,
    on=On.ACTIONS,
    fires_when="An action has no Type",
    policy=("Distinguish short-term vs long-term actions.",),
)
def action_type_missing(action: Action, ctx: Context) -> Sequence[Hit]:
    return _when_blank(action, "type", "no type. Set Short-term or Long-term.")


# One alternation: a web link, an issue key (OPS-123), #123, or org/repo#123.
_TRACKING_LINK = re.compile(
    r"https?://[^\s/$.?#][^\s]*|[A-Z][A-Z0-9_]*-\d+|#\d+|[\w.-]+/[\w.-]+#\d+",
    re.IGNORECASE,
)


@rule(
    "action-link-invalid",
    Level.WARNING,
    on=On.ACTIONS,
    fires_when="The Tracking link is neither a web link nor an issue key",
    policy=("Tracking link (ticket, issue, or task ID)",),
)
def action_link_invalid(action: Action, ctx: Context) -> Sequence[Hit]:
    link = action.tracking_link
    if link is None or _TRACKING_LINK.fullmatch(link):
        return NO_HITS
    return [
        (
            action,
            "tracking_link",
            f"'{_clip(link)}' is neither a web link nor an issue key. Use https://..., OPS-123, #123 or org/repo#123.",
        )
    ]


def _clip(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


@rule(
    "action-overdue",
    Level.ERROR,
    on=On.ACTIONS,
    fires_when="An unfinished action's due date has passed",
    policy=("Escalate overdue action items in the next ops review.",),
)
def action_overdue(action: Action, ctx: Context) -> Sequence[Hit]:
    if action.due_date is None or action.status.finished or action.due_date >= ctx.today:
        return NO_HITS
    if _unreadable(action, "status"):
        return NO_HITS
    return [
        (
            action,
            "due_date",
            (
                f"due {action.due_date:%a %d %b %Y} and still {action.status}. "
                "Finish it or agree a new due date; overdue actions are escalated at the next ops review."
            ),
        )
    ]


@rule(
    "action-done-without-date",
    Level.WARNING,
    on=On.ACTIONS,
    fires_when="A Done action has no Completed on date",
    policy=("Track actions until completion.",),
)
def action_done_without_date(action: Action, ctx: Context) -> Sequence[Hit]:
    """The completion date shows when an action was finished."""
    if action.status is ActionStatus.DONE and _blank(action, "completed_on"):
        return [(action, "completed_on", "Done but no Completed on date. Add the day it was finished.")]
    return NO_HITS


@rule(
    "action-due-too-far",
    Level.WARNING,
    on=On.ACTIONS,
    fires_when=f"Due more than {_DEFAULTS.short_term_max_days} (Short-term) or {_DEFAULTS.long_term_max_days} (Long-term) days after the review",
    policy=("Distinguish short-term vs long-term actions.",),
)
def action_due_too_far(action: Action, ctx: Context) -> Sequence[Hit]:
    """The policy gives no numbers: the limits are the team's settings (short_term_max_days, long_term_max_days)."""
    incident = ctx.incidents_by_id.get(action.incident_id) if action.incident_id else None
    if incident is None or action.due_date is None or action.type is None:
        return NO_HITS
    if _unreadable(incident, "review_date"):
        return NO_HITS  # the limit runs from the review: unknown, and resolution is not a stand-in for it
    if incident.review_date is not None:
        start, start_name = incident.review_date, "the review"
    elif incident.resolved_at is not None:
        start, start_name = incident.resolved_at.astimezone(ctx.policy.timezone).date(), "resolution"
    else:
        return NO_HITS
    limit = ctx.policy.short_term_max_days if action.type is ActionType.SHORT_TERM else ctx.policy.long_term_max_days
    days_after = (action.due_date - start).days  # a difference: start + limit could pass 9999-12-31
    if days_after > limit:
        return [
            (
                action,
                "due_date",
                (
                    f"a {action.type} action due {days_after} days after {start_name} "
                    f"(limit {limit}). Bring the date forward or make it {'Long-term' if action.type is ActionType.SHORT_TERM else 'smaller'}."
                ),
            )
        ]
    return NO_HITS


# --- the catalogue and the checker ---------------------------------------------------------------

CHECKS: tuple[Check, ...] = tuple(_DECLARED)
"""Every policy rule with its function, in the order declared above."""
RULES: tuple[Rule, ...] = (*SCHEMA_RULES, *(c.rule for c in CHECKS))
"""Every rule the tool can report, in the order of docs/rules.md: the schema's data rules, then the policy's."""
RULE_LEVELS: dict[str, Level] = {r.id: r.level for r in RULES}
"""Every rule id with its level, in catalogue order."""
_REGISTER_CHECKS = tuple((c.find, c.rule.at) for c in CHECKS if On.REGISTER in c.on)
_INCIDENT_CHECKS = tuple((c.find, c.rule.at) for c in CHECKS if On.INCIDENTS in c.on)
_ACTION_CHECKS = tuple((c.find, c.rule.at) for c in CHECKS if On.ACTIONS in c.on)


def policy_context(register: Register, as_of: datetime, policy: Policy, documents: Documents = NO_DOCUMENTS) -> Context:
    """What the rules, reports and documents know at `as_of` (an aware datetime)."""
    if as_of.tzinfo is None:
        msg = "as_of must carry a time zone"
        raise ValueError(msg)
    return Context(register, as_of, policy, BusinessCalendar(policy.holidays, policy.holiday_country), documents)


def check(register: Register, as_of: datetime, policy: Policy, documents: Documents = NO_DOCUMENTS) -> list[Finding]:
    """Run every rule over the register at `as_of` (an aware datetime), and its documents as read."""
    ctx = policy_context(register, as_of, policy, documents)
    findings: list[Finding] = []
    for find, at in _REGISTER_CHECKS:
        findings.extend(at(*hit) for hit in find(ctx))
    # Most rules find nothing on most rows; skipping the empty extend is measurably faster.
    for incident in register.incidents:
        for find, at in _INCIDENT_CHECKS:
            hits = find(incident, ctx)
            if hits:
                findings.extend(at(*hit) for hit in hits)
    for action in register.actions:
        for find, at in _ACTION_CHECKS:
            hits = find(action, ctx)
            if hits:
                findings.extend(at(*hit) for hit in hits)
    return findings


_JUST_AFTER = timedelta(microseconds=1)


def next_change(register: Register, as_of: datetime, policy: Policy) -> datetime | None:
    """The earliest instant after `as_of` from which `check` may find something else in the same register.

    Until then an unchanged register gives the same findings, so a worker need not read it
    again. Every deadline a rule compares the as-of time with is a candidate (a draft becoming
    due or overdue, a review deadline, an action's due date passing) while its record is still
    open to that rule; the finer conditions are not repeated here: waking for nothing costs a
    read, missing a change would leave a finding out. None: no finding can change with time alone.
    """
    calendar_ctx = policy_context(register, as_of, policy)
    earliest: datetime | None = None
    for moment in _deadlines(register, calendar_ctx):
        if moment > as_of and (earliest is None or moment < earliest):
            earliest = moment
    return earliest


def _deadlines(register: Register, ctx: Context) -> Iterator[datetime]:
    for incident in register.incidents:
        status = incident.postmortem_status
        if incident.resolved_at is None or status.reviewed or not ctx.requirement(incident):
            continue
        if not status.drafted:
            try:
                due_at, overdue_at = draft_deadlines(incident.resolved_at, ctx.policy)
                yield due_at + _JUST_AFTER  # the rules compare with '>': the finding appears just after
                yield overdue_at + _JUST_AFTER
            except OverflowError:  # a deadline after 9999-12-31 never comes
                pass
        yield ctx.review_deadline(incident.resolved_at)
    seen: set[date] = set()
    for action in register.actions:
        due = action.due_date
        if due is None or due in seen or action.status.finished:
            continue
        seen.add(due)
        with contextlib.suppress(OverflowError):  # due on 9999-12-31: never overdue
            yield overdue_from(due, ctx.policy)
