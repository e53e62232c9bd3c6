"""Typed records of the register and the findings the checks produce.

Enum values are exactly what a PM types or reads in the sheet, so they can be written
back and shown in messages without translation.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import lru_cache
from typing import Any, NamedTuple, TypeVar, cast
from zoneinfo import ZoneInfo

T = TypeVar("T")

UTC_ZONE = ZoneInfo("UTC")
"""The zone of a register whose config names none; zones are immutable, so one instance serves every default."""


class Severity(enum.StrEnum):
    P0 = "P0"
    P1 = "P1"
    P2 = "P2"


class CustomerImpact(enum.StrEnum):
    NONE = "None"
    TRIVIAL = "Trivial"
    NON_TRIVIAL = "Non-trivial"


class PostmortemStatus(enum.StrEnum):
    NOT_STARTED = "Not started"
    DRAFT = "Draft"
    REVIEWED = "Reviewed"
    CLOSED = "Closed"

    @property
    def drafted(self) -> bool:
        return self is not PostmortemStatus.NOT_STARTED

    @property
    def reviewed(self) -> bool:
        return self in (PostmortemStatus.REVIEWED, PostmortemStatus.CLOSED)


class ActionType(enum.StrEnum):
    SHORT_TERM = "Short-term"
    LONG_TERM = "Long-term"


class ActionStatus(enum.StrEnum):
    OPEN = "Open"
    IN_PROGRESS = "In progress"
    DONE = "Done"
    WONT_DO = "Won't do"

    @property
    def finished(self) -> bool:
        return self in (ActionStatus.DONE, ActionStatus.WONT_DO)


class Level(enum.StrEnum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"


@dataclass(frozen=True, slots=True)
class RowRef:
    """Where a record came from, so a finding can name the exact cell.

    `columns` maps a field name to the column letter it was read from; a field whose
    column is absent from the sheet has no entry. `invalid` holds the fields whose cell
    could not be read: they are None in the record and already have a `value-invalid`
    finding, so the rules do not also call them "missing".
    """

    tab: str
    row: int
    columns: Mapping[str, str]
    invalid: frozenset[str] = frozenset()

    def cell(self, field_name: str) -> str | None:
        letter = self.columns.get(field_name)
        if letter is None:
            return None
        return f"{quote_tab(self.tab)}!{letter}{self.row}"

    def column_letter(self, field_name: str) -> str | None:
        return self.columns.get(field_name)


@lru_cache(maxsize=256)
def quote_tab(tab: str) -> str:
    """A tab name as a spreadsheet formula would write it (quoted when it needs to be)."""
    if tab.replace("_", "").isalnum() and not tab[:1].isdigit():
        return tab
    return "'" + tab.replace("'", "''") + "'"


@dataclass(frozen=True, slots=True)
class Incident:
    id: str | None
    ref: RowRef
    title: str | None = None
    severity: Severity | None = None
    detected_at: datetime | None = None
    resolved_at: datetime | None = None
    customer_impact: CustomerImpact | None = None
    impact_minutes: float | None = None
    systemic_gap: bool = False
    security_concern: bool = False
    repeatable_failure: bool = False
    owner: str | None = None
    primary_responder: str | None = None
    contributors: tuple[str, ...] = ()
    postmortem_status: PostmortemStatus = PostmortemStatus.NOT_STARTED
    draft_date: date | None = None
    review_date: date | None = None
    closed_date: date | None = None
    postmortem_doc: str | None = None
    summary: str | None = None
    root_cause: str | None = None


@dataclass(frozen=True, slots=True)
class Action:
    id: str | None
    ref: RowRef
    incident_id: str | None = None
    text: str | None = None
    type: ActionType | None = None
    owner: str | None = None
    due_date: date | None = None
    tracking_link: str | None = None
    status: ActionStatus = ActionStatus.OPEN
    completed_on: date | None = None


@dataclass(frozen=True, slots=True)
class TimelineEntry:
    ref: RowRef
    incident_id: str | None = None
    time: datetime | None = None
    event: str | None = None


_ADDRESS = re.compile(r"[^@\s<>,;:\"()\[\]\\]+@[^@\s<>,;:\"()\[\]\\]+\.[^@\s<>,;:\"()\[\]\\]+")


def is_address(text: str) -> bool:
    """An e-mail address pmsheets can send to (a config recipient, a People tab email)."""
    return bool(_ADDRESS.fullmatch(text.strip()))


@dataclass(frozen=True, slots=True)
class Person:
    ref: RowRef
    name: str | None = None
    email: str | None = None
    team: str | None = None
    manager_email: str | None = None


@dataclass(frozen=True, slots=True)
class Register:
    """The register as typed records, in sheet order.

    A tab that is absent (or unusable because a required column is missing) is empty
    here and named in `unchecked_tabs`, so the rules skip it instead of reporting every
    row as wrong.
    """

    incidents: tuple[Incident, ...] = ()
    actions: tuple[Action, ...] = ()
    timeline: tuple[TimelineEntry, ...] = ()
    people: tuple[Person, ...] = ()
    unchecked_tabs: frozenset[str] = frozenset()
    tab_titles: Mapping[str, str] = field(default_factory=dict)
    derived: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)
    """Indexes computed from the records once (records by ID, actions by incident): a cycle checks,
    drafts and reports the same register, and at the Sheets limit each index takes about a second."""

    def index(self, name: str, build: Callable[[Register], T]) -> T:
        """`build(self)`, computed on the first call for `name` and kept: the records never change."""
        if name not in self.derived:
            self.derived[name] = build(self)
        return cast(T, self.derived[name])


class Finding(NamedTuple):
    """One problem at one place. A NamedTuple, not a frozen dataclass: a large register makes
    hundreds of thousands of these, and a tuple is built several times faster."""

    rule: str
    level: Level
    message: str
    incident: str | None = None
    action: str | None = None
    cell: str | None = None

    def as_dict(self) -> dict[str, str | None]:
        return {
            "rule": self.rule,
            "level": str(self.level),
            "incident": self.incident,
            "action": self.action,
            "cell": self.cell,
            "message": self.message,
        }


@dataclass(frozen=True, slots=True)
class Rule:
    """One rule's declaration, the only place its id, level and policy sentences are written.

    Findings get their id and level from here (`finding`, `at`), so no call site can restate
    them; the level table, the JSON output and docs/rules.md all follow the declaration.
    """

    id: str
    level: Level
    fires_when: str
    """One line for the "All rules at a glance" table of docs/rules.md."""
    policy: tuple[str, ...] = ()
    """The sentences of POSTMORTEM_PROCESS.md it enforces (or, for a data rule, supports), quoted as docs/rules.md quotes them."""

    def finding(self, message: str, *, incident: str | None = None, action: str | None = None, cell: str | None = None) -> Finding:
        return Finding(self.id, self.level, message, incident, action, cell)

    def at(self, record: Incident | Action | TimelineEntry, field_name: str, message: str) -> Finding:
        """A finding on one cell of a record, naming the incident (and action) it belongs to."""
        if isinstance(record, Incident):
            incident, action = record.id, None
        elif isinstance(record, Action):
            incident, action = record.incident_id, record.id
        else:
            incident, action = record.incident_id, None
        return Finding(self.id, self.level, message, incident, action, record.ref.cell(field_name))
