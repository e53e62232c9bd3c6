"""The post-mortem policy as rules: pure functions of (register, as-of time, policy settings).

Each rule is one small function named after its rule id; its docstring quotes the policy
sentence it enforces (from POSTMORTEM_PROCESS.md). `RULES` is the explicit list the
checker runs, so adding a rule touches one place. No I/O and no clock in this module:
the as-of time is always passed in.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, tzinfo
from functools import cached_property
from typing import TypeVar

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
    Severity,
    TimelineEntry,
)

NO_FINDINGS: Sequence[Finding] = ()
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
        by_id: dict[str, Incident] = {}
        for incident in self.register.incidents:
            if incident.id is not None:
                by_id.setdefault(incident.id, incident)
        return by_id

    @cached_property
    def actions_by_incident(self) -> dict[str, list[Action]]:
        return _by_incident(self.register.actions)

    @cached_property
    def timeline_by_incident(self) -> dict[str, list[TimelineEntry]]:
        return _by_incident(self.register.timeline)

    @cached_property
    def blame_pattern(self) -> re.Pattern[str] | None:
        phrases = [re.escape(p.strip()) for p in self.policy.blame_phrases if p.strip()]
        if not phrases:
            return None
        return re.compile(r"(?<!\w)(" + "|".join(sorted(phrases, key=len, reverse=True)) + r")(?!\w)", re.IGNORECASE)

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


# --- shared helpers ------------------------------------------------------------------------------


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


def _incident_finding(rule: str, level: Level, incident: Incident, field_name: str, message: str) -> Finding:
    return Finding(rule=rule, level=level, message=message, incident=incident.id, cell=incident.ref.cell(field_name))


def _action_finding(rule: str, level: Level, action: Action, field_name: str, message: str) -> Finding:
    return Finding(
        rule=rule,
        level=level,
        message=message,
        incident=action.incident_id,
        action=action.id,
        cell=action.ref.cell(field_name),
    )


def _blank(record: Incident | Action, field_name: str) -> bool:
    """A blank cell in the sheet: not unreadable (that has value-invalid) and not an absent column (column-missing)."""
    return getattr(record, field_name) is None and field_name in record.ref.columns and field_name not in record.ref.invalid


def _unreadable(record: Incident | Action, field_name: str) -> bool:
    """The cell could not be read (it has a value-invalid finding); the record holds only the blank default."""
    return field_name in record.ref.invalid


# --- data rules ----------------------------------------------------------------------------------


def id_missing(ctx: Context) -> Iterator[Finding]:
    """Every incident and action is referred to by its ID (findings, reports, documents)."""
    for incident in ctx.register.incidents:
        if _blank(incident, "id"):
            yield _incident_finding("id-missing", Level.ERROR, incident, "id", "no ID. Give the incident a unique ID, e.g. INC-042.")
    for action in ctx.register.actions:
        if _blank(action, "id"):
            yield _action_finding("id-missing", Level.ERROR, action, "id", "no ID. Give the action a unique ID, e.g. ACT-101.")


def id_duplicate(ctx: Context) -> Iterator[Finding]:
    """IDs are unique, so every finding, report and document points at one row."""
    for kind, records in (("incident", ctx.register.incidents), ("action", ctx.register.actions)):
        first_row: dict[str, int] = {}
        for record in records:
            if record.id is None:
                continue
            if record.id in first_row:
                message = f"{kind} ID {record.id} is already used in row {first_row[record.id]}. Give this row its own ID."
                if isinstance(record, Incident):
                    yield _incident_finding("id-duplicate", Level.ERROR, record, "id", message)
                else:
                    yield _action_finding("id-duplicate", Level.ERROR, record, "id", message)
            else:
                first_row[record.id] = record.ref.row


def incident_unknown(ctx: Context) -> Iterator[Finding]:
    """Actions and timeline entries belong to an incident of the register."""
    if "incidents" in ctx.register.unchecked_tabs:
        return
    known = ctx.incidents_by_id
    records: tuple[Action | TimelineEntry, ...] = (*ctx.register.actions, *ctx.register.timeline)
    for record in records:
        if record.incident_id in known or "incident_id" in record.ref.invalid:
            continue
        message = (
            f"incident {record.incident_id} is not in the Incidents tab. Check the ID or add the incident."
            if record.incident_id is not None
            else "no Incident ID. Say which incident this row belongs to."
        )
        yield Finding(
            rule="incident-unknown",
            level=Level.ERROR,
            message=message,
            incident=record.incident_id,
            action=getattr(record, "id", None),
            cell=record.ref.cell("incident_id"),
        )


def dates_out_of_order(incident: Incident, ctx: Context) -> Iterator[Finding]:
    """Detected <= Resolved, and Draft <= Review <= Closed: the workflow runs one way."""
    pairs = (
        ("resolved_at", "Resolved at", incident.resolved_at, "detected_at", "Detected at", incident.detected_at),
        ("review_date", "Review date", incident.review_date, "draft_date", "Draft date", incident.draft_date),
        ("closed_date", "Closed date", incident.closed_date, "review_date", "Review date", incident.review_date),
    )
    for later_field, later_name, later, _earlier_field, earlier_name, earlier in pairs:
        if later is not None and earlier is not None and later < earlier:
            yield _incident_finding(
                "dates-out-of-order",
                Level.ERROR,
                incident,
                later_field,
                f"{later_name} ({_show_when(later)}) is before {earlier_name} ({_show_when(earlier)}). Correct one of them.",
            )


def _show_when(value: date | datetime) -> str:
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    return value.isoformat()


def severity_missing(incident: Incident, ctx: Context) -> Sequence[Finding]:
    """Severities P0-P2 decide whether a post-mortem is required."""
    if _blank(incident, "severity"):
        return [
            _incident_finding(
                "severity-missing",
                Level.ERROR,
                incident,
                "severity",
                "no severity, so the tool cannot tell whether a post-mortem is required. Set P0, P1 or P2.",
            )
        ]
    return NO_FINDINGS


def severity_mismatch(incident: Incident, ctx: Context) -> Iterator[Finding]:
    """P1: degraded service with customer impact. P2: internal-only or limited impact, minimal customer impact."""
    if incident.severity is Severity.P2 and incident.customer_impact is CustomerImpact.NON_TRIVIAL:
        yield _incident_finding(
            "severity-mismatch",
            Level.WARNING,
            incident,
            "severity",
            "P2 with non-trivial customer impact: P2 means minimal customer impact. Check the severity (P1?) or the impact.",
        )
    if incident.severity is Severity.P1 and incident.customer_impact is CustomerImpact.NONE:
        yield _incident_finding(
            "severity-mismatch",
            Level.WARNING,
            incident,
            "severity",
            "P1 with no customer impact: P1 means degraded service with customer impact. Check the severity (P2?) or the impact.",
        )


# --- post-mortem rules ---------------------------------------------------------------------------


def postmortem_required(incident: Incident, ctx: Context) -> Sequence[Finding]:
    """P0: always. P1: customer impact non-trivial or > 15 minutes. P2: systemic gap, security concern or repeatable failure."""
    reason = ctx.requirement(incident)
    if reason and not incident.postmortem_status.drafted and not _unreadable(incident, "postmortem_status"):
        return [
            _incident_finding(
                "postmortem-required",
                Level.INFO,
                incident,
                "postmortem_status",
                f"needs a post-mortem ({reason}). Start one from the template and set Post-mortem status to Draft.",
            )
        ]
    return NO_FINDINGS


def postmortem_undetermined(incident: Incident, ctx: Context) -> Sequence[Finding]:
    """P1: required when customer impact is non-trivial or lasts > 15 minutes (so one of them must be known)."""
    if incident.severity is not Severity.P1:
        return NO_FINDINGS
    if _blank(incident, "customer_impact") and _blank(incident, "impact_minutes"):
        return [
            _incident_finding(
                "postmortem-undetermined",
                Level.WARNING,
                incident,
                "customer_impact",
                "P1 with neither Customer impact nor Impact minutes, so the tool cannot tell whether a post-mortem is required. Fill in at least one.",
            )
        ]
    return NO_FINDINGS


def owner_missing(incident: Incident, ctx: Context) -> Sequence[Finding]:
    """Incident owner (PM): drives the post-mortem, ensures data is captured, schedules review."""
    if ctx.requirement(incident) and _blank(incident, "owner"):
        return [
            _incident_finding("owner-missing", Level.ERROR, incident, "owner", "no Incident owner. Name the PM who drives the post-mortem.")
        ]
    return NO_FINDINGS


def responder_missing(incident: Incident, ctx: Context) -> Sequence[Finding]:
    """Primary responder: provides timeline, technical details and corrective actions."""
    if ctx.requirement(incident) and _blank(incident, "primary_responder"):
        return [
            _incident_finding(
                "responder-missing",
                Level.ERROR,
                incident,
                "primary_responder",
                "no Primary responder. Name who provides the timeline and technical details.",
            )
        ]
    return NO_FINDINGS


def draft_deadline(incident: Incident, ctx: Context) -> Iterator[Finding]:
    """Draft within 24-48 hours of incident resolution (draft-due after 24 h, draft-overdue after 48 h)."""
    if incident.resolved_at is None or incident.postmortem_status.drafted or _unreadable(incident, "postmortem_status"):
        return
    if not ctx.requirement(incident):
        return
    try:
        due_at, overdue_at = draft_deadlines(incident.resolved_at, ctx.policy)
    except OverflowError:  # due after 9999-12-31: never
        return
    resolved, deadline = show_time(incident.resolved_at, ctx.policy), show_time(overdue_at, ctx.policy)
    hours = _minutes(ctx.policy.draft_overdue_hours)
    if ctx.as_of > overdue_at:
        yield _incident_finding(
            "draft-overdue",
            Level.ERROR,
            incident,
            "postmortem_status",
            f"resolved {resolved} and still no draft; it was due by {deadline} ({hours} h after resolution). "
            "Write the draft and set Post-mortem status to Draft.",
        )
    elif ctx.as_of > due_at:
        yield _incident_finding(
            "draft-due",
            Level.WARNING,
            incident,
            "postmortem_status",
            f"resolved {resolved}; the draft is due by {deadline} ({hours} h after resolution). Start it now.",
        )


def review_overdue(incident: Incident, ctx: Context) -> Sequence[Finding]:
    """Review within 5 business days with relevant stakeholders, then mark Status: Reviewed."""
    if incident.resolved_at is None or incident.postmortem_status.reviewed or _unreadable(incident, "postmortem_status"):
        return NO_FINDINGS
    if not ctx.requirement(incident):
        return NO_FINDINGS
    deadline = ctx.review_deadline(incident.resolved_at)
    if ctx.as_of >= deadline:
        last_day = (deadline - timedelta(days=1)).date()
        return [
            _incident_finding(
                "review-overdue",
                Level.ERROR,
                incident,
                "postmortem_status",
                f"not reviewed; the review was due by the end of {last_day:%a %Y-%m-%d} "
                f"({ctx.policy.review_business_days} business days after resolution). Hold the review and set Post-mortem status to Reviewed.",
            )
        ]
    return NO_FINDINGS


def draft_date_missing(incident: Incident, ctx: Context) -> Sequence[Finding]:
    """Drafts are dated, so the 24-48 h expectation can be measured."""
    if incident.postmortem_status.drafted and _blank(incident, "draft_date"):
        return [
            _incident_finding(
                "draft-date-missing",
                Level.WARNING,
                incident,
                "draft_date",
                f"status is {incident.postmortem_status} but there is no Draft date. Add the day the draft was written.",
            )
        ]
    return NO_FINDINGS


def review_date_missing(incident: Incident, ctx: Context) -> Sequence[Finding]:
    """Reviews are dated, so the 5-business-day expectation can be measured."""
    if incident.postmortem_status.reviewed and _blank(incident, "review_date"):
        return [
            _incident_finding(
                "review-date-missing",
                Level.ERROR,
                incident,
                "review_date",
                f"status is {incident.postmortem_status} but there is no Review date. Add the day of the review.",
            )
        ]
    return NO_FINDINGS


def doc_missing(incident: Incident, ctx: Context) -> Sequence[Finding]:
    """Create a new post-mortem using the template (and link it from the register)."""
    if incident.postmortem_status.drafted and _blank(incident, "postmortem_doc"):
        return [
            _incident_finding(
                "doc-missing",
                Level.WARNING,
                incident,
                "postmortem_doc",
                f"status is {incident.postmortem_status} but there is no Post-mortem doc. Paste the link to the document.",
            )
        ]
    return NO_FINDINGS


def no_actions_after_review(incident: Incident, ctx: Context) -> Sequence[Finding]:
    """Actions created immediately after review."""
    if "actions" in ctx.register.unchecked_tabs:
        return NO_FINDINGS  # the Actions tab could not be read: its rows are unknown, not absent
    if incident.postmortem_status.reviewed and incident.id is not None and not ctx.actions_of(incident):
        return [
            _incident_finding(
                "no-actions-after-review",
                Level.ERROR,
                incident,
                "postmortem_status",
                f"status is {incident.postmortem_status} but the Actions tab has no action for {incident.id}. Add the corrective actions from the review.",
            )
        ]
    return NO_FINDINGS


def closed_with_open_actions(incident: Incident, ctx: Context) -> Iterator[Finding]:
    """Track actions until completion, then mark Status: Closed."""
    if incident.postmortem_status is not PostmortemStatus.CLOSED:
        return
    still_open = [a.id or f"row {a.ref.row}" for a in ctx.actions_of(incident) if not a.status.finished and not _unreadable(a, "status")]
    if still_open:
        yield _incident_finding(
            "closed-with-open-actions",
            Level.ERROR,
            incident,
            "postmortem_status",
            f"Closed while {len(still_open)} action(s) are not Done or Won't do: {', '.join(still_open)}. "
            "Finish them or set the status back to Reviewed.",
        )


def ready_to_close(incident: Incident, ctx: Context) -> Sequence[Finding]:
    """Track actions until completion, then mark Status: Closed."""
    if incident.postmortem_status is not PostmortemStatus.REVIEWED:
        return NO_FINDINGS
    actions = ctx.actions_of(incident)
    if actions and all(a.status.finished for a in actions):
        return [
            _incident_finding(
                "ready-to-close",
                Level.INFO,
                incident,
                "postmortem_status",
                "every action is Done or Won't do. Set Post-mortem status to Closed.",
            )
        ]
    return NO_FINDINGS


def blame_language_incident(incident: Incident, ctx: Context) -> Iterator[Finding]:
    """Post-mortems focus on learning and systemic improvement, not blame."""
    for field_name, label in (("summary", "Summary"), ("root_cause", "Root cause")):
        phrases = _blame_phrases(getattr(incident, field_name), ctx)
        if phrases:
            yield _incident_finding("blame-language", Level.WARNING, incident, field_name, _blame_message(label, phrases))


def _blame_phrases(text: str | None, ctx: Context) -> list[str]:
    if not text or ctx.blame_pattern is None or ctx.blame_pattern.search(text) is None:
        return []
    return sorted({match.casefold() for match in ctx.blame_pattern.findall(text)})


def _blame_message(label: str, phrases: list[str]) -> str:
    quoted = ", ".join(f"'{p}'" for p in phrases)
    return f"{label} uses blaming language ({quoted}). Describe what in the system allowed it to happen instead."


# --- action rules --------------------------------------------------------------------------------


def action_owner_missing(action: Action, ctx: Context) -> Sequence[Finding]:
    """Every action item must have an owner (accountable person or team)."""
    if _blank(action, "owner"):
        return [_action_finding("action-owner-missing", Level.ERROR, action, "owner", "no owner. Name the accountable person or team.")]
    return NO_FINDINGS


def action_due_missing(action: Action, ctx: Context) -> Sequence[Finding]:
    """Every action item must have a due date."""
    if _blank(action, "due_date"):
        return [_action_finding("action-due-missing", Level.ERROR, action, "due_date", "no due date. Agree one with the owner and add it.")]
    return NO_FINDINGS


def action_link_missing(action: Action, ctx: Context) -> Sequence[Finding]:
    """Every action item must have a tracking link (ticket, issue, or task ID)."""
    if _blank(action, "tracking_link"):
        return [
            _action_finding(
                "action-link-missing",
                Level.ERROR,
                action,
                "tracking_link",
                "no tracking link. File a ticket and paste its link or key (e.g. OPS-123); the post-mortem is not complete until actions are tracked.",
            )
        ]
    return NO_FINDINGS


def action_type_missing(action: Action, ctx: Context) -> Sequence[Finding]:
    """Distinguish short-term vs long-term actions."""
    if _blank(action, "type"):
        return [_action_finding("action-type-missing", Level.ERROR, action, "type", "no type. Set Short-term or Long-term.")]
    return NO_FINDINGS


# One alternation: a web link, an issue key (OPS-123), #123, or org/repo#123.
_TRACKING_LINK = re.compile(
    r"https?://[^\s/$.?#][^\s]*|[A-Z][A-Z0-9_]*-\d+|#\d+|[\w.-]+/[\w.-]+#\d+",
    re.IGNORECASE,
)


def action_link_invalid(action: Action, ctx: Context) -> Sequence[Finding]:
    """A tracking link is a ticket, issue, or task ID."""
    link = action.tracking_link
    if link is None or _TRACKING_LINK.fullmatch(link):
        return NO_FINDINGS
    return [
        _action_finding(
            "action-link-invalid",
            Level.WARNING,
            action,
            "tracking_link",
            f"'{_clip(link)}' is neither a web link nor an issue key. Use https://..., OPS-123, #123 or org/repo#123.",
        )
    ]
    return NO_FINDINGS


def _clip(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


def action_overdue(action: Action, ctx: Context) -> Sequence[Finding]:
    """Escalate overdue action items in the next ops review."""
    if action.due_date is None or action.status.finished or action.due_date >= ctx.today:
        return NO_FINDINGS
    if _unreadable(action, "status"):
        return NO_FINDINGS
    return [
        _action_finding(
            "action-overdue",
            Level.ERROR,
            action,
            "due_date",
            f"due {action.due_date:%a %d %b %Y} and still {action.status}. "
            "Finish it or agree a new due date; overdue actions are escalated at the next ops review.",
        )
    ]


def action_done_without_date(action: Action, ctx: Context) -> Sequence[Finding]:
    """Track actions until completion (the completion date shows they were done on time)."""
    if action.status is ActionStatus.DONE and _blank(action, "completed_on"):
        return [
            _action_finding(
                "action-done-without-date",
                Level.WARNING,
                action,
                "completed_on",
                "Done but no Completed on date. Add the day it was finished.",
            )
        ]
    return NO_FINDINGS


def action_due_too_far(action: Action, ctx: Context) -> Sequence[Finding]:
    """Distinguish short-term vs long-term actions (short-term within 30 days, long-term within 180)."""
    incident = ctx.incidents_by_id.get(action.incident_id) if action.incident_id else None
    if incident is None or action.due_date is None or action.type is None:
        return NO_FINDINGS
    if incident.review_date is not None:
        start, start_name = incident.review_date, "the review"
    elif incident.resolved_at is not None:
        start, start_name = incident.resolved_at.astimezone(ctx.policy.timezone).date(), "resolution"
    else:
        return NO_FINDINGS
    limit = ctx.policy.short_term_max_days if action.type is ActionType.SHORT_TERM else ctx.policy.long_term_max_days
    days_after = (action.due_date - start).days  # a difference: start + limit could pass 9999-12-31
    if days_after > limit:
        return [
            _action_finding(
                "action-due-too-far",
                Level.WARNING,
                action,
                "due_date",
                f"a {action.type} action due {days_after} days after {start_name} "
                f"(limit {limit}). Bring the date forward or make it {'Long-term' if action.type is ActionType.SHORT_TERM else 'smaller'}.",
            )
        ]
    return NO_FINDINGS


def blame_language_action(action: Action, ctx: Context) -> Sequence[Finding]:
    """Post-mortems focus on learning and systemic improvement, not blame."""
    phrases = _blame_phrases(action.text, ctx)
    if phrases:
        return [_action_finding("blame-language", Level.WARNING, action, "text", _blame_message("Action", phrases))]
    return NO_FINDINGS


# --- the rule lists --------------------------------------------------------------------------------

RegisterRule = Callable[[Context], Iterable[Finding]]
IncidentRule = Callable[[Incident, Context], Iterable[Finding]]
ActionRule = Callable[[Action, Context], Iterable[Finding]]

REGISTER_RULES: tuple[RegisterRule, ...] = (id_missing, id_duplicate, incident_unknown)
INCIDENT_RULES: tuple[IncidentRule, ...] = (
    severity_missing,
    dates_out_of_order,
    severity_mismatch,
    postmortem_required,
    postmortem_undetermined,
    owner_missing,
    responder_missing,
    draft_deadline,
    review_overdue,
    draft_date_missing,
    review_date_missing,
    doc_missing,
    no_actions_after_review,
    closed_with_open_actions,
    ready_to_close,
    blame_language_incident,
)
ACTION_RULES: tuple[ActionRule, ...] = (
    action_owner_missing,
    action_due_missing,
    action_link_missing,
    action_type_missing,
    action_link_invalid,
    action_overdue,
    action_done_without_date,
    action_due_too_far,
    blame_language_action,
)

RULE_LEVELS: dict[str, Level] = {
    "header-missing": Level.ERROR,
    "header-duplicate": Level.ERROR,
    "column-missing": Level.WARNING,
    "value-invalid": Level.ERROR,
    "id-missing": Level.ERROR,
    "id-duplicate": Level.ERROR,
    "incident-unknown": Level.ERROR,
    "dates-out-of-order": Level.ERROR,
    "severity-missing": Level.ERROR,
    "severity-mismatch": Level.WARNING,
    "postmortem-required": Level.INFO,
    "postmortem-undetermined": Level.WARNING,
    "owner-missing": Level.ERROR,
    "responder-missing": Level.ERROR,
    "draft-due": Level.WARNING,
    "draft-overdue": Level.ERROR,
    "review-overdue": Level.ERROR,
    "draft-date-missing": Level.WARNING,
    "review-date-missing": Level.ERROR,
    "doc-missing": Level.WARNING,
    "no-actions-after-review": Level.ERROR,
    "closed-with-open-actions": Level.ERROR,
    "ready-to-close": Level.INFO,
    "blame-language": Level.WARNING,
    "action-owner-missing": Level.ERROR,
    "action-due-missing": Level.ERROR,
    "action-link-missing": Level.ERROR,
    "action-type-missing": Level.ERROR,
    "action-link-invalid": Level.WARNING,
    "action-overdue": Level.ERROR,
    "action-done-without-date": Level.WARNING,
    "action-due-too-far": Level.WARNING,
}
"""Every rule id the tool can report, with its level (the schema's header and value rules included)."""


def check(register: Register, as_of: datetime, policy: Policy) -> list[Finding]:
    """Run every rule over the register at `as_of` (an aware datetime)."""
    if as_of.tzinfo is None:
        msg = "as_of must carry a time zone"
        raise ValueError(msg)
    ctx = Context(register, as_of, policy, BusinessCalendar(policy.holidays, policy.holiday_country))
    findings: list[Finding] = []
    for register_rule in REGISTER_RULES:
        findings.extend(register_rule(ctx))
    # Most rules find nothing on most rows; skipping the empty extend is measurably faster.
    for incident in register.incidents:
        for incident_rule in INCIDENT_RULES:
            found = incident_rule(incident, ctx)
            if found:
                findings.extend(found)
    for action in register.actions:
        for action_rule in ACTION_RULES:
            found = action_rule(action, ctx)
            if found:
                findings.extend(found)
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
    calendar_ctx = Context(register, as_of, policy, BusinessCalendar(policy.holidays, policy.holiday_country))
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
