"""The weekly reports as plain data: what is overdue, what to escalate, how compliant we were.

Everything here is a pure function of (register, as-of time, policy): the same rule
functions that produce the Findings decide what is overdue, so a report never disagrees
with the Findings tab. Rendering lives in report_render.py; delivery in delivery.py.
"""

from __future__ import annotations

import enum
import heapq
from bisect import bisect_right
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from pmsheets.core import policy as rules
from pmsheets.model import Action, ActionStatus, Incident, Person, Register, RowRef, Severity

DEFAULT_ESCALATE_AFTER_DAYS = 7
OPS_REVIEW_AFTER_DAYS = 30
COMPLIANCE_WINDOW_DAYS = 90
_SEVERITY_RANK = {Severity.P0: 0, Severity.P1: 1, Severity.P2: 2}


class ItemKind(enum.StrEnum):
    ACTION = "action"
    POSTMORTEM = "post-mortem"


class EscalationLevel(enum.StrEnum):
    OWNER = "owner"
    MANAGER = "manager"
    OPS_REVIEW = "ops review"

    @property
    def rank(self) -> int:
        return _LEVEL_RANKS[self]


_LEVEL_RANKS = {level: rank for rank, level in enumerate(EscalationLevel)}
"""Declaration order: read for every overdue item when the report is sorted (a quarter million at the Sheets limit)."""


@dataclass(frozen=True, slots=True)
class AgeBucket:
    """Items from `low` days overdue up to the next bucket's `low`."""

    label: str
    low: int


AGE_BUCKETS = (AgeBucket("1-7 days", 1), AgeBucket("8-30 days", 8), AgeBucket("over 30 days", 31))
_BUCKET_LOWS = [bucket.low for bucket in AGE_BUCKETS]


def age_bucket(days_overdue: int) -> AgeBucket:
    """The bucket of an item this many days overdue; a day or less counts as the first."""
    return AGE_BUCKETS[max(bisect_right(_BUCKET_LOWS, days_overdue) - 1, 0)]


def noun(number: int, singular: str, plural: str | None = None) -> str:
    """The word for `number` of a thing: `action` for 1, `actions` otherwise."""
    return singular if number == 1 else (plural or singular + "s")


def counted(number: int, singular: str, plural: str | None = None) -> str:
    """`1 action`, `2 actions`: the subjects, headlines and command output say it in words."""
    return f"{number:,} {noun(number, singular, plural)}"


@dataclass(frozen=True, slots=True)
class OverdueItem:
    """An overdue action, or a post-mortem whose draft or review is overdue.

    For a post-mortem, `id` is the incident's ID, `what` says which step is late and `link`
    is the post-mortem document; `due` is the last day the step was due. `ref` is the item's
    row in the register (the action's, or the incident's); `incident_doc` the incident's
    post-mortem document, as typed.
    """

    kind: ItemKind
    id: str
    incident_id: str | None
    incident_title: str | None
    severity: Severity | None
    owner: str | None
    what: str
    due: date
    days_overdue: int
    link: str | None
    status: str
    ref: RowRef | None = None
    incident_doc: str | None = None

    @property
    def bucket(self) -> AgeBucket:
        return age_bucket(self.days_overdue)


@dataclass(frozen=True, slots=True)
class UntrackedAction:
    """An unfinished action missing what the policy needs to track it (owner, due date, link)."""

    action_id: str
    incident_id: str | None
    text: str | None
    owner: str | None
    missing: tuple[str, ...]
    ref: RowRef | None = None


@dataclass(frozen=True, slots=True)
class BucketCount:
    label: str
    count: int
    percent: int
    """Bar length for the chart: the count relative to the largest bucket (0-100)."""


@dataclass(frozen=True, slots=True)
class Headline:
    overdue_actions: int
    overdue_postmortems: int
    not_tracked: int

    def change_from(self, previous: Headline) -> Headline:
        return Headline(
            self.overdue_actions - previous.overdue_actions,
            self.overdue_postmortems - previous.overdue_postmortems,
            self.not_tracked - previous.not_tracked,
        )


@dataclass(frozen=True, slots=True)
class OwnerGroup:
    owner: str
    items: tuple[OverdueItem, ...]


@dataclass(frozen=True, slots=True)
class OverdueReport:
    as_of: datetime
    week: str
    actions_by_owner: tuple[OwnerGroup, ...]
    postmortems: tuple[OverdueItem, ...]
    buckets: tuple[BucketCount, ...]
    not_tracked: tuple[UntrackedAction, ...]
    headline: Headline
    previous: Headline | None
    """Last week's headline from the report log; None when there is no earlier report."""

    @property
    def change(self) -> Headline | None:
        return self.headline.change_from(self.previous) if self.previous is not None else None

    @property
    def subject(self) -> str:
        h = self.headline
        return (
            f"Overdue post-mortem work {self.week}: {counted(h.overdue_actions, 'action')} overdue, "
            f"{counted(h.overdue_postmortems, 'post-mortem')} late, {counted(h.not_tracked, 'action')} not tracked"
        )


@dataclass(frozen=True, slots=True)
class EscalationItem:
    item: OverdueItem
    level: EscalationLevel
    manager_email: str | None


@dataclass(frozen=True, slots=True)
class ReviewedUntracked:
    """A Reviewed (or Closed) post-mortem with actions that cannot be tracked yet."""

    incident_id: str
    title: str | None
    severity: Severity | None
    action_ids: tuple[str, ...]
    ref: RowRef | None = None
    doc: str | None = None


@dataclass(frozen=True, slots=True)
class Share:
    met: int
    total: int

    @property
    def percent(self) -> int | None:
        return round(100 * self.met / self.total) if self.total else None

    def show(self) -> str:
        return f"{self.percent}% ({self.met} of {self.total})" if self.total else "n/a (none due yet)"


@dataclass(frozen=True, slots=True)
class SeverityCount:
    severity: str
    incidents: int
    postmortems_required: int


@dataclass(frozen=True, slots=True)
class Compliance:
    """Figures over the incidents resolved and actions due in the window (default 90 days).

    `draft_hours` and `review_days` are the policy's thresholds the shares were measured
    against, so every label says the configured figure."""

    since: date
    until: date
    drafted_on_time: Share
    reviewed_on_time: Share
    actions_done_on_time: Share
    by_severity: tuple[SeverityCount, ...]
    draft_hours: float
    review_days: int

    @property
    def expectations(self) -> tuple[tuple[str, Share], ...]:
        """Each policy expectation's label with its share, in the order every report shows them."""
        return (
            (f"Required post-mortems drafted within {self.draft_hours:g} h", self.drafted_on_time),
            (f"Required post-mortems reviewed within {counted(self.review_days, 'business day')}", self.reviewed_on_time),
            ("Actions done by their due date", self.actions_done_on_time),
        )


@dataclass(frozen=True, slots=True)
class EscalationReport:
    as_of: datetime
    week: str
    items: tuple[EscalationItem, ...]
    cc: tuple[str, ...]
    reviewed_untracked: tuple[ReviewedUntracked, ...]
    compliance: Compliance
    buckets: tuple[BucketCount, ...]
    escalate_after_days: int

    def at_level(self, level: EscalationLevel) -> tuple[EscalationItem, ...]:
        return tuple(i for i in self.items if i.level is level)

    @property
    def subject(self) -> str:
        ops = len(self.at_level(EscalationLevel.OPS_REVIEW))
        return f"Ops review escalations {self.week}: {counted(len(self.items), 'overdue item')}, {ops:,} for the ops review"


@dataclass(frozen=True, slots=True)
class OwnerDigest:
    owner: str
    email: str
    as_of: datetime
    week: str
    items: tuple[OverdueItem, ...]

    @property
    def subject(self) -> str:
        return f"Your overdue post-mortem work {self.week}: {counted(len(self.items), 'item')}, {self.owner}"


# --- what is overdue ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Overdue:
    """Every overdue item at one as-of time; the reports and the snapshot all start here."""

    as_of: datetime
    week: str
    actions: tuple[OverdueItem, ...]
    postmortems: tuple[OverdueItem, ...]
    not_tracked: tuple[UntrackedAction, ...]
    context: rules.Context
    items: tuple[OverdueItem, ...]
    """The actions and the post-mortems together, `ranked`."""

    @property
    def headline(self) -> Headline:
        return Headline(len(self.actions), len(self.postmortems), len(self.not_tracked))


def find_overdue(register: Register, *, as_of: datetime, policy: rules.Policy) -> Overdue:
    ctx = rules.policy_context(register, as_of, policy)
    actions = tuple(_overdue_action(a, ctx) for a in register.actions if rules.action_overdue.find(a, ctx))
    postmortems = tuple(item for item in (_late_postmortem(i, ctx) for i in register.incidents) if item is not None)
    untracked = tuple(u for u in (_untracked(a) for a in register.actions) if u is not None)
    late, overdue_actions = ranked(postmortems), ranked(actions)
    both = tuple(heapq.merge(overdue_actions, late, key=_age_order))
    return Overdue(as_of, iso_week(as_of.astimezone(policy.timezone)), overdue_actions, late, untracked, ctx, both)


def iso_week(moment: date) -> str:
    """The ISO week of the moment's own date (2026-W49): how reports and the report log name a week."""
    year, week, _ = moment.isocalendar()
    return f"{year}-W{week:02d}"


def ranked(items: Iterable[OverdueItem]) -> tuple[OverdueItem, ...]:
    """Oldest first; among equally old, the most severe first."""
    return tuple(sorted(items, key=_age_order))


def _age_order(item: OverdueItem) -> tuple[int, int, str]:
    return (-item.days_overdue, _SEVERITY_RANK.get(item.severity, 3) if item.severity else 3, item.id)


def _overdue_action(action: Action, ctx: rules.Context) -> OverdueItem:
    assert action.due_date is not None  # action_overdue fired, so there is one
    incident = ctx.incidents_by_id.get(action.incident_id) if action.incident_id else None
    return OverdueItem(
        kind=ItemKind.ACTION,
        id=action.id or f"row {action.ref.row}",
        incident_id=action.incident_id,
        incident_title=incident.title if incident else None,
        severity=incident.severity if incident else None,
        owner=action.owner,
        what=action.text or "(no description)",
        due=action.due_date,
        days_overdue=(ctx.today - action.due_date).days,
        link=action.tracking_link,
        status=str(action.status),
        ref=action.ref,
        incident_doc=incident.postmortem_doc if incident else None,
    )


def _late_postmortem(incident: Incident, ctx: rules.Context) -> OverdueItem | None:
    """One item per incident: the draft when it is late, else the review when that is late."""
    if incident.id is None or incident.resolved_at is None:
        return None
    if rules.draft_overdue.find(incident, ctx):
        due_at = incident.resolved_at + timedelta(hours=ctx.policy.draft_overdue_hours)
        what = "post-mortem draft"
    elif rules.review_overdue.find(incident, ctx):
        due_at = ctx.review_deadline(incident.resolved_at) - timedelta(microseconds=1)
        what = "post-mortem review"
    else:
        return None
    due = due_at.astimezone(ctx.policy.timezone).date()
    return OverdueItem(
        kind=ItemKind.POSTMORTEM,
        id=incident.id,
        incident_id=incident.id,
        incident_title=incident.title,
        severity=incident.severity,
        owner=incident.owner,
        what=what,
        due=due,
        days_overdue=max(1, (ctx.today - due).days),
        link=incident.postmortem_doc,
        status=str(incident.postmortem_status),
        ref=incident.ref,
        incident_doc=incident.postmortem_doc,
    )


def _untracked(action: Action) -> UntrackedAction | None:
    if action.status.finished or "status" in action.ref.invalid:
        return None
    missing = tuple(
        label
        for label, value in (("owner", action.owner), ("due date", action.due_date), ("tracking link", action.tracking_link))
        if value is None
    )
    if not missing:
        return None
    return UntrackedAction(action.id or f"row {action.ref.row}", action.incident_id, action.text, action.owner, missing, action.ref)


def bucket_counts(items: Sequence[OverdueItem]) -> tuple[BucketCount, ...]:
    per_bucket = Counter(age_bucket(item.days_overdue).label for item in items)
    counts = [per_bucket[b.label] for b in AGE_BUCKETS]
    largest = max(counts, default=0) or 1
    return tuple(BucketCount(b.label, n, round(100 * n / largest)) for b, n in zip(AGE_BUCKETS, counts, strict=True))


# --- the overdue report ------------------------------------------------------------------------

NO_OWNER = "(no owner)"


def overdue_report(overdue: Overdue, *, previous: Headline | None = None) -> OverdueReport:
    return OverdueReport(
        as_of=overdue.as_of,
        week=overdue.week,
        actions_by_owner=group_by_owner(overdue.actions),
        postmortems=overdue.postmortems,
        buckets=bucket_counts(overdue.items),
        not_tracked=overdue.not_tracked,
        headline=overdue.headline,
        previous=previous,
    )


def group_by_owner(items: Sequence[OverdueItem]) -> tuple[OwnerGroup, ...]:
    """Owners with the most overdue items first; each owner's items oldest first."""
    grouped: dict[str, list[OverdueItem]] = {}
    for item in items:
        grouped.setdefault(item.owner or NO_OWNER, []).append(item)
    order = sorted(grouped.items(), key=lambda pair: (-len(pair[1]), pair[0].casefold()))
    return tuple(OwnerGroup(owner, ranked(owned)) for owner, owned in order)


# --- the escalation report ---------------------------------------------------------------------


class People:
    """Looks a register owner up in the People tab, by name or by email, ignoring case."""

    def __init__(self, people: Iterable[Person]) -> None:
        self._by_key: dict[str, Person] = {}
        for person in people:
            for key in (person.name, person.email):
                if key:
                    self._by_key.setdefault(key.strip().casefold(), person)

    def find(self, owner: str | None) -> Person | None:
        return self._by_key.get(owner.strip().casefold()) if owner else None


def escalation_level(item: OverdueItem, *, escalate_after_days: int) -> EscalationLevel:
    if item.days_overdue > OPS_REVIEW_AFTER_DAYS or item.severity is Severity.P0:
        return EscalationLevel.OPS_REVIEW
    if item.days_overdue > escalate_after_days:
        return EscalationLevel.MANAGER
    return EscalationLevel.OWNER


def escalation_report(overdue: Overdue, *, escalate_after_days: int = DEFAULT_ESCALATE_AFTER_DAYS) -> EscalationReport:
    register = overdue.context.register
    people = People(register.people)
    items = by_level(_escalated(item, people, escalate_after_days) for item in overdue.items)
    cc = sorted({i.manager_email for i in items if i.manager_email and i.level.rank >= EscalationLevel.MANAGER.rank})
    return EscalationReport(
        as_of=overdue.as_of,
        week=overdue.week,
        items=items,
        cc=tuple(cc),
        reviewed_untracked=reviewed_untracked(register, overdue.not_tracked),
        compliance=compliance(overdue.context),
        buckets=bucket_counts(overdue.items),
        escalate_after_days=escalate_after_days,
    )


def by_level(items: Iterable[EscalationItem]) -> tuple[EscalationItem, ...]:
    """The ops review's items first, then the managers', then the owners'; within a level in the order given
    (`ranked`, oldest first, as `Overdue.items` are): the sort is stable."""
    return tuple(sorted(items, key=lambda entry: -entry.level.rank))


def _escalated(item: OverdueItem, people: People, escalate_after_days: int) -> EscalationItem:
    person = people.find(item.owner)
    manager = person.manager_email if person is not None else None
    return EscalationItem(item, escalation_level(item, escalate_after_days=escalate_after_days), manager)


def reviewed_untracked(register: Register, not_tracked: Sequence[UntrackedAction]) -> tuple[ReviewedUntracked, ...]:
    by_incident: dict[str, list[str]] = {}
    for action in not_tracked:
        if action.incident_id is not None:
            by_incident.setdefault(action.incident_id, []).append(action.action_id)
    return tuple(
        ReviewedUntracked(i.id, i.title, i.severity, tuple(by_incident[i.id]), i.ref, i.postmortem_doc)
        for i in register.incidents
        if i.id in by_incident and i.postmortem_status.reviewed
    )


# --- compliance --------------------------------------------------------------------------------


def compliance(ctx: rules.Context, *, window_days: int = COMPLIANCE_WINDOW_DAYS) -> Compliance:
    since = ctx.today - timedelta(days=window_days)
    resolved = [
        i
        for i in ctx.register.incidents
        if i.resolved_at is not None and since < i.resolved_at.astimezone(ctx.policy.timezone).date() <= ctx.today
    ]
    required = [i for i in resolved if rules.requirement_reason(i, ctx.policy)]
    return Compliance(
        since=since + timedelta(days=1),
        until=ctx.today,
        drafted_on_time=_share(_draft_on_time(i, ctx) for i in required),
        reviewed_on_time=_share(_review_on_time(i, ctx) for i in required),
        actions_done_on_time=_share(_done_on_time(a, ctx, since) for a in ctx.register.actions),
        by_severity=_by_severity(resolved, ctx.policy),
        draft_hours=ctx.policy.draft_overdue_hours,
        review_days=ctx.policy.review_business_days,
    )


def _share(outcomes: Iterable[bool | None]) -> Share:
    """None means "not measurable yet" (its deadline has not passed and it is not done)."""
    known = [o for o in outcomes if o is not None]
    return Share(sum(known), len(known))


def _draft_on_time(incident: Incident, ctx: rules.Context) -> bool | None:
    assert incident.resolved_at is not None
    due_at = incident.resolved_at + timedelta(hours=ctx.policy.draft_overdue_hours)
    due = due_at.astimezone(ctx.policy.timezone).date()
    if "draft_date" in incident.ref.invalid:
        return None  # an unreadable Draft date is unknown, not missing
    return _on_time(incident.draft_date if incident.postmortem_status.drafted else None, due, passed=ctx.as_of > due_at)


def _review_on_time(incident: Incident, ctx: rules.Context) -> bool | None:
    assert incident.resolved_at is not None
    deadline = ctx.review_deadline(incident.resolved_at)
    last_day = (deadline - timedelta(days=1)).date()
    if "review_date" in incident.ref.invalid:
        return None
    return _on_time(incident.review_date if incident.postmortem_status.reviewed else None, last_day, passed=ctx.as_of >= deadline)


def _on_time(done_on: date | None, due: date, *, passed: bool) -> bool | None:
    if done_on is not None:
        return done_on <= due
    return False if passed else None


def _done_on_time(action: Action, ctx: rules.Context, since: date) -> bool | None:
    """Won't-do actions are left out: dropping an action is a decision, not a missed date."""
    if action.due_date is None or not since < action.due_date <= ctx.today or action.status is ActionStatus.WONT_DO:
        return None
    if "completed_on" in action.ref.invalid:
        return None
    done_on = action.completed_on if action.status is ActionStatus.DONE else None
    return _on_time(done_on, action.due_date, passed=action.due_date < ctx.today)


def _by_severity(resolved: Sequence[Incident], policy: rules.Policy) -> tuple[SeverityCount, ...]:
    return tuple(
        SeverityCount(
            str(severity),
            sum(1 for i in resolved if i.severity is severity),
            sum(1 for i in resolved if i.severity is severity and rules.requirement_reason(i, policy)),
        )
        for severity in Severity
    )


# --- per-owner digests -------------------------------------------------------------------------


def owner_digests(overdue: Overdue) -> tuple[OwnerDigest, ...]:
    """One digest per owner with an email in People, holding only that owner's items."""
    people = People(overdue.context.register.people)
    by_email: dict[str, tuple[str, list[OverdueItem]]] = {}
    for item in overdue.items:
        person = people.find(item.owner)
        if person is None or not person.email:
            continue
        name = person.name or person.email
        by_email.setdefault(person.email, (name, []))[1].append(item)
    return tuple(OwnerDigest(name, email, overdue.as_of, overdue.week, tuple(items)) for email, (name, items) in sorted(by_email.items()))
