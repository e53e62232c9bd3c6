"""The register's tabs and columns, and how raw cells become typed records.

Both backends hand over the same raw shape: for each tab, its rows from A1 as lists of
plain Python values (str, int, float, bool, date, datetime or None). Everything about
what a cell *means* lives here, so the same register gives the same findings whichever
backend read it.
"""

from __future__ import annotations

import difflib
import enum
import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo
from typing import Any

from pmsheets.model import (
    UTC_ZONE,
    Action,
    ActionStatus,
    ActionType,
    CustomerImpact,
    Finding,
    Incident,
    Level,
    Person,
    PostmortemStatus,
    Register,
    RowRef,
    Rule,
    Severity,
    TimelineEntry,
    quote_tab,
)

RawRow = Sequence[Any]
RawTable = Sequence[RawRow]
RawWorkbook = Mapping[str, RawTable]
"""Tab title -> rows from A1, in the order the sheet shows the tabs."""

SERIAL_EPOCH = datetime(1899, 12, 30)  # noqa: DTZ001  serials count wall-clock days; the register's zone is attached after
# Excel and Sheets both stop at 9999-12-31; beyond it a number is not a date.
MAX_SERIAL = 2_958_465
CELL_ERRORS = frozenset({"#REF!", "#N/A", "#VALUE!", "#DIV/0!", "#NAME?", "#NUM!", "#NULL!", "#ERROR!", "#SPILL!", "#CALC!"})


class Kind(enum.Enum):
    TEXT = "text"
    NUMBER = "number"
    YESNO = "yesno"
    DATETIME = "datetime"
    DATE = "date"
    LIST = "list"
    ENUM = "enum"


@dataclass(frozen=True, slots=True)
class Column:
    field: str
    header: str
    kind: Kind = Kind.TEXT
    required: bool = False
    choices: type[enum.StrEnum] | None = None
    aliases: tuple[str, ...] = ()
    width: int = 14
    checked_by: tuple[str, ...] = ()
    """Rules that read this optional column: when it is absent they cannot check it (column-missing)."""


@dataclass(frozen=True, slots=True)
class Tab:
    key: str
    title: str
    columns: tuple[Column, ...]
    required: bool


def _col(field: str, header: str, kind: Kind = Kind.TEXT, **kw: Any) -> Column:
    return Column(field, header, kind, **kw)


INCIDENTS = Tab(
    "incidents",
    "Incidents",
    (
        _col("id", "ID", required=True, aliases=("Incident ID",), width=10),
        _col("title", "Title", width=36),
        _col("severity", "Severity", Kind.ENUM, required=True, choices=Severity, width=9),
        _col("detected_at", "Detected at", Kind.DATETIME, width=17, checked_by=("dates-out-of-order",)),
        _col("resolved_at", "Resolved at", Kind.DATETIME, required=True, width=17),
        _col(
            "customer_impact",
            "Customer impact",
            Kind.ENUM,
            choices=CustomerImpact,
            checked_by=("postmortem-required", "postmortem-undetermined", "severity-mismatch"),
        ),
        _col("impact_minutes", "Impact minutes", Kind.NUMBER, width=10, checked_by=("postmortem-required", "postmortem-undetermined")),
        _col("systemic_gap", "Systemic gap", Kind.YESNO, width=10, checked_by=("postmortem-required",)),
        _col("security_concern", "Security concern", Kind.YESNO, width=10, checked_by=("postmortem-required",)),
        _col("repeatable_failure", "Repeatable failure", Kind.YESNO, width=10, checked_by=("postmortem-required",)),
        _col("owner", "Incident owner", width=18, checked_by=("owner-missing",)),
        _col("primary_responder", "Primary responder", width=18, checked_by=("responder-missing",)),
        _col("contributors", "Contributors", Kind.LIST, width=24),
        _col("postmortem_status", "Post-mortem status", Kind.ENUM, required=True, choices=PostmortemStatus),
        _col("draft_date", "Draft date", Kind.DATE, width=12, checked_by=("draft-date-missing", "dates-out-of-order")),
        _col(
            "review_date",
            "Review date",
            Kind.DATE,
            width=12,
            checked_by=("review-date-missing", "dates-out-of-order", "action-due-too-far"),
        ),
        _col("closed_date", "Closed date", Kind.DATE, width=12, checked_by=("dates-out-of-order", "closed-date-missing")),
        _col("postmortem_doc", "Post-mortem doc", width=30, checked_by=("doc-missing",)),
        _col("summary", "Summary", width=40, checked_by=("blame-language",)),
        _col("root_cause", "Root cause", width=40, checked_by=("blame-language",)),
    ),
    required=True,
)

ACTIONS = Tab(
    "actions",
    "Actions",
    (
        _col("id", "ID", required=True, aliases=("Action ID",), width=10),
        _col("incident_id", "Incident ID", required=True, width=11),
        _col("text", "Action", width=40, checked_by=("blame-language",)),
        _col("type", "Type", Kind.ENUM, required=True, choices=ActionType, width=11),
        _col("owner", "Owner", required=True, width=18),
        _col("due_date", "Due date", Kind.DATE, required=True, width=12),
        _col("tracking_link", "Tracking link", required=True, width=30),
        _col("status", "Status", Kind.ENUM, required=True, choices=ActionStatus, width=12),
        _col("completed_on", "Completed on", Kind.DATE, width=12, checked_by=("action-done-without-date",)),
    ),
    required=True,
)

TIMELINE = Tab(
    "timeline",
    "Timeline",
    (
        _col("incident_id", "Incident ID", required=True, width=11),
        _col("time", "Time", Kind.DATETIME, required=True, width=17),
        _col("event", "Event", required=True, width=60),
    ),
    required=False,
)

PEOPLE = Tab(
    "people",
    "People",
    (
        _col("name", "Name", required=True, width=22),
        _col("email", "Email", required=True, width=28),
        _col("team", "Team", width=16),
        _col("manager_email", "Manager email", width=28),
    ),
    required=False,
)

PM_TABS = (INCIDENTS, ACTIONS, TIMELINE, PEOPLE)
FINDINGS_TITLE = "Findings"
FINDINGS_HEADERS = ("Level", "Rule", "Incident", "Action", "Owner", "Cell", "Message")
FINDINGS_CELL_COLUMN = FINDINGS_HEADERS.index("Cell")
FINDINGS_MESSAGE_COLUMN = FINDINGS_HEADERS.index("Message")
_RECORD_TYPES: dict[str, Callable[..., Any]] = {
    "incidents": Incident,
    "actions": Action,
    "timeline": TimelineEntry,
    "people": Person,
}
_ALL_READ: frozenset[str] = frozenset()
"""The `invalid` of almost every row, shared rather than one empty set a row."""
_NO_DEFAULT = object()
"""A blank cell of a field without a default leaves the field at the record's own default (None)."""
_BLANK_DEFAULTS: dict[str, Any] = {
    "systemic_gap": False,
    "security_concern": False,
    "repeatable_failure": False,
    "contributors": (),
    "postmortem_status": PostmortemStatus.NOT_STARTED,
    "status": ActionStatus.OPEN,
}


def normalize(name: object) -> str:
    """Header, tab and choice matching ignores case, spaces and punctuation."""
    return "".join(ch for ch in str(name).casefold() if ch.isalnum())


def column_letter(index: int) -> str:
    """0 -> A, 25 -> Z, 26 -> AA."""
    letters = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def column_index(letters: str) -> int:
    """A -> 0, Z -> 25, AA -> 26 (the inverse of column_letter)."""
    index = 0
    for letter in letters.upper():
        index = index * 26 + ord(letter) - 64
    return index - 1


@dataclass(frozen=True, slots=True)
class ParseSettings:
    timezone: tzinfo = UTC_ZONE
    date_formats: tuple[str, ...] = ()


class CellValueError(ValueError):
    """A cell holds something its column cannot accept; the message says what is accepted."""


# --- cell parsers: raw value -> typed value, or CellValueError -------------------------------


def is_blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _reject_error_value(value: object) -> None:
    if isinstance(value, str) and value.strip().upper() in CELL_ERRORS:
        msg = f"the cell shows the error {value.strip()}; fix the formula or type the value"
        raise CellValueError(msg)


def parse_text(value: object, _settings: ParseSettings) -> str:
    if type(value) is str:  # the common case, kept cheap: most cells are plain text
        text = value.strip()
        if text[:1] == "#" and text.upper() in CELL_ERRORS:
            _reject_error_value(text)
        return text
    _reject_error_value(value)
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value).strip()


def parse_list(value: object, settings: ParseSettings) -> tuple[str, ...]:
    text = parse_text(value, settings)
    return tuple(part.strip() for part in text.split(",") if part.strip())


_GROUPED_NUMBER = re.compile(r"\d{1,3}(,\d{3})+(\.\d+)?")


def parse_number(value: object, _settings: ParseSettings) -> float:
    _reject_error_value(value)
    accepted = "Use a number of minutes, like 45."
    if isinstance(value, bool):
        msg = f"TRUE/FALSE is not a number. {accepted}"
        raise CellValueError(msg)
    if isinstance(value, int | float):
        try:
            number = float(value)
        except OverflowError:  # an integer past float's range, e.g. a 400-digit number in an .xlsx
            msg = f"{_show(value)} is too large a number. {accepted}"
            raise CellValueError(msg) from None
    elif isinstance(value, str):
        text = value.strip()
        if "," in text:
            # Only a thousands separator (1,200); "1,5" is ambiguous and must not become 15.
            if not _GROUPED_NUMBER.fullmatch(text):
                msg = f"{_show(value)} is not a number. {accepted}"
                raise CellValueError(msg)
            text = text.replace(",", "")
        try:
            number = float(text)
        except ValueError:
            msg = f"{_show(value)} is not a number. {accepted}"
            raise CellValueError(msg) from None
    else:
        msg = f"{_show(value)} is not a number. {accepted}"
        raise CellValueError(msg)
    if not math.isfinite(number) or number < 0:
        msg = f"{_show(value)} is not a positive number. {accepted}"
        raise CellValueError(msg)
    return number


_YES = frozenset({"yes", "y", "true", "1"})
_NO = frozenset({"no", "n", "false", "0"})


def parse_yesno(value: object, _settings: ParseSettings) -> bool:
    _reject_error_value(value)
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float) and value in (0, 1):
        return bool(value)
    text = str(value).strip().casefold()
    if text in _YES:
        return True
    if text in _NO:
        return False
    msg = f"{_show(value)} is not Yes or No. Use Yes or No (blank means No)."
    raise CellValueError(msg)


def _from_serial(value: int | float) -> datetime:
    if not 0 < value <= MAX_SERIAL:
        msg = f"{_show(value)} is a number, not a date. Use a date cell or text like 2026-11-20."
        raise CellValueError(msg)
    # Round to the second: serials are binary fractions of a day.
    return SERIAL_EPOCH + timedelta(seconds=round(value * 86400))


def _datetime_hint(settings: ParseSettings) -> str:
    extra = f" (also accepted: {', '.join(settings.date_formats)})" if settings.date_formats else ""
    return f"Use a date cell or text like 2026-11-20 14:05 or 2026-11-20T14:05+01:00{extra}."


def _parse_datetime_text(text: str, settings: ParseSettings) -> datetime:
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        pass
    for fmt in settings.date_formats:
        try:
            return datetime.strptime(text, fmt)  # noqa: DTZ007  wall-clock time as typed; the register's zone is attached after
        except ValueError:
            continue
    msg = f"{_show(text)} is not a date and time. {_datetime_hint(settings)}"
    raise CellValueError(msg)


def parse_datetime(value: object, settings: ParseSettings) -> datetime:
    _reject_error_value(value)
    if isinstance(value, bool):
        msg = f"TRUE/FALSE is not a date and time. {_datetime_hint(settings)}"
        raise CellValueError(msg)
    if isinstance(value, datetime):
        parsed = value
    elif isinstance(value, date):
        parsed = datetime(value.year, value.month, value.day)  # noqa: DTZ001  wall-clock midnight; the zone is attached below
    elif isinstance(value, int | float):
        parsed = _from_serial(value)
    elif isinstance(value, str):
        parsed = _parse_datetime_text(value.strip(), settings)
    else:
        msg = f"{_show(value)} is not a date and time. {_datetime_hint(settings)}"
        raise CellValueError(msg)
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=settings.timezone)
    try:
        # The rules work in the team's zone: a moment that falls off the calendar there cannot be checked.
        parsed.astimezone(settings.timezone)
    except OverflowError:
        msg = f"{_show(value)} falls outside the years 1 to 9999 in the {settings.timezone} time zone. {_datetime_hint(settings)}"
        raise CellValueError(msg) from None
    return parsed


def parse_date(value: object, settings: ParseSettings) -> date:
    _reject_error_value(value)
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    try:
        parsed = parse_datetime(value, settings)
    except CellValueError:
        extra = f" (also accepted: {', '.join(settings.date_formats)})" if settings.date_formats else ""
        msg = f"{_show(value)} is not a date. Use a date cell or text like 2026-11-20{extra}."
        raise CellValueError(msg) from None
    return parsed.astimezone(settings.timezone).date()


def _enum_parser(choices: type[enum.StrEnum]) -> Callable[[object, ParseSettings], Any]:
    lookup = {normalize(member.value): member for member in choices}
    accepted = ", ".join(member.value for member in choices)
    # A column holds the same few spellings over and over; remember how each one read.
    seen: dict[str, enum.StrEnum] = {}

    def parse_choice(value: object, _settings: ParseSettings) -> enum.StrEnum:
        if type(value) is str and value in seen:
            return seen[value]
        _reject_error_value(value)
        member = lookup.get(normalize(value))
        if member is None:
            msg = f"{_show(value)} is not one of: {accepted}."
            raise CellValueError(msg)
        if type(value) is str and len(seen) < 1024:
            seen[value] = member
        return member

    return parse_choice


_PARSERS: dict[Kind, Callable[[object, ParseSettings], Any]] = {
    Kind.TEXT: parse_text,
    Kind.NUMBER: parse_number,
    Kind.YESNO: parse_yesno,
    Kind.DATETIME: parse_datetime,
    Kind.DATE: parse_date,
    Kind.LIST: parse_list,
}


def _date_parser() -> Callable[[object, ParseSettings], Any]:
    """parse_date, remembering the day each serial number reads as: a date column holds the same
    few hundred days over and over (a value that fails is not remembered, so it fails each time)."""
    seen: dict[int | float, date] = {}

    def parse_serial_date(value: object, settings: ParseSettings) -> date:
        if value.__class__ is not int and value.__class__ is not float:
            return parse_date(value, settings)
        day = seen.get(value)
        if day is None:
            day = parse_date(value, settings)
            if len(seen) < 4096:
                seen[value] = day
        return day

    return parse_serial_date


def parser_for(column: Column) -> Callable[[object, ParseSettings], Any]:
    """A column's cell parser; one per column per parse, as the enum and date parsers remember values."""
    if column.kind is Kind.ENUM:
        assert column.choices is not None, column
        return _enum_parser(column.choices)
    if column.kind is Kind.DATE:
        return _date_parser()
    return _PARSERS[column.kind]


def _show(value: object) -> str:
    text = str(value)
    if len(text) > 40:
        text = text[:37] + "..."
    return repr(text) if isinstance(value, str) else text


# --- the data rules the parser reports (the policy's rules are declared in policy.py) -------------

_DATA_CAPTURED = "ensures data is captured"

HEADER_MISSING = Rule(
    "header-missing",
    Level.ERROR,
    "A required tab or column is absent",
    ("Incident owner (PM): Drives the post-mortem, ensures data is captured, and schedules review.",),
)
HEADER_DUPLICATE = Rule("header-duplicate", Level.ERROR, "The same column header appears twice in a tab", (_DATA_CAPTURED,))
COLUMN_MISSING = Rule("column-missing", Level.WARNING, "An optional column that some rule reads is absent", (_DATA_CAPTURED,))
VALUE_INVALID = Rule("value-invalid", Level.ERROR, "A cell cannot be read as its column's kind", (_DATA_CAPTURED,))
SCHEMA_RULES = (HEADER_MISSING, HEADER_DUPLICATE, COLUMN_MISSING, VALUE_INVALID)
"""In the order docs/rules.md lists them, before the policy's rules."""


# --- header matching ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class HeaderMatch:
    positions: dict[str, int]
    """field -> 0-based column index"""
    findings: list[Finding]
    usable: bool
    """False when a required column is missing: the tab is then not checked further."""


def match_headers(tab: Tab, title: str, header_row: RawRow) -> HeaderMatch:
    by_name: dict[str, list[int]] = {}
    for index, cell in enumerate(header_row):
        if not is_blank(cell):
            by_name.setdefault(normalize(cell), []).append(index)
    positions: dict[str, int] = {}
    findings: list[Finding] = []
    for column in tab.columns:
        found = _column_positions(column, by_name)
        if found:
            positions[column.field] = found[0]
            findings.extend(_duplicate_header_findings(title, column, found))
        elif column.required:
            findings.append(_missing_column_finding(tab, title, column, header_row))
        elif column.checked_by:
            findings.append(_unchecked_column_finding(tab, title, column, header_row))
    usable = all(column.field in positions for column in tab.columns if column.required)
    return HeaderMatch(positions, findings, usable)


def _column_positions(column: Column, by_name: Mapping[str, list[int]]) -> list[int]:
    found: list[int] = []
    for name in (column.header, *column.aliases):
        found.extend(by_name.get(normalize(name), ()))
    return sorted(found)


def _duplicate_header_findings(title: str, column: Column, found: list[int]) -> list[Finding]:
    first = column_letter(found[0])
    return [
        HEADER_DUPLICATE.finding(
            f"a second '{column.header}' column; the tool reads column {first} and ignores this one. Rename or remove one of them.",
            cell=f"{quote_tab(title)}!{column_letter(extra)}1",
        )
        for extra in found[1:]
    ]


def _unchecked_column_finding(tab: Tab, title: str, column: Column, header_row: RawRow) -> Finding:
    """One finding for an absent optional column, instead of one 'missing' finding per row."""
    hint = _header_hint(tab, column, header_row)
    return COLUMN_MISSING.finding(
        f"the {title} tab has no '{column.header}' column, so {', '.join(column.checked_by)} cannot check it.{hint}"
    )


def _missing_column_finding(tab: Tab, title: str, column: Column, header_row: RawRow) -> Finding:
    hint = _header_hint(tab, column, header_row)
    return HEADER_MISSING.finding(f"the {title} tab has no '{column.header}' column in row 1, so the tab is not checked.{hint}")


def _header_hint(tab: Tab, column: Column, header_row: RawRow) -> str:
    """What to do about an absent column: rename the near match in row 1, else add the column."""
    known = {normalize(name) for c in tab.columns for name in (c.header, *c.aliases)}
    unknown = [str(cell).strip() for cell in header_row if not is_blank(cell) and normalize(cell) not in known]
    near = difflib.get_close_matches(column.header, unknown, n=1, cutoff=0.6)
    return f" Did you mean '{near[0]}'? Rename it to '{column.header}'." if near else f" Add a column headed '{column.header}'."


# --- tabs and rows -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ParseResult:
    register: Register
    findings: list[Finding]


def is_pm_tab(title: str) -> bool:
    """Whether a tab is one the PMs keep (Incidents, Actions, Timeline, People), matched as find_tab matches."""
    return any(normalize(title) == normalize(tab.title) for tab in PM_TABS)


def find_tab(raw: RawWorkbook, tab: Tab) -> str | None:
    wanted = normalize(tab.title)
    for title in raw:
        if normalize(title) == wanted:
            return title
    return None


def parse(raw: RawWorkbook, settings: ParseSettings | None = None) -> ParseResult:
    """Raw tables -> typed Register plus the findings about values and headers."""
    settings = settings or ParseSettings()
    findings: list[Finding] = []
    records: dict[str, tuple[Any, ...]] = {}
    unchecked: set[str] = set()
    titles: dict[str, str] = {}
    for tab in PM_TABS:
        title = find_tab(raw, tab)
        if title is None:
            if tab.required:
                findings.append(_missing_tab_finding(tab, raw))
                unchecked.add(tab.key)
            records[tab.key] = ()
            continue
        titles[tab.key] = title
        rows = raw[title]
        match = match_headers(tab, title, rows[0] if rows else ())
        findings.extend(match.findings)
        if not match.usable:
            unchecked.add(tab.key)
            records[tab.key] = ()
            continue
        parsed, value_findings = _parse_rows(tab, title, rows, match.positions, settings)
        records[tab.key] = parsed
        findings.extend(value_findings)
    register = Register(
        incidents=records["incidents"],
        actions=records["actions"],
        timeline=records["timeline"],
        people=records["people"],
        unchecked_tabs=frozenset(unchecked),
        tab_titles=titles,
    )
    return ParseResult(register, findings)


def _missing_tab_finding(tab: Tab, raw: RawWorkbook) -> Finding:
    near = difflib.get_close_matches(tab.title, list(raw), n=1, cutoff=0.6)
    hint = (
        f" Did you mean the '{near[0]}' tab? Rename it to '{tab.title}'."
        if near
        else f" Add a tab named '{tab.title}' (pmsheets init creates a register with every tab)."
    )
    return HEADER_MISSING.finding(f"the register has no '{tab.title}' tab, so it is not checked.{hint}")


def _parse_rows(
    tab: Tab, title: str, rows: RawTable, positions: Mapping[str, int], settings: ParseSettings
) -> tuple[tuple[Any, ...], list[Finding]]:
    fields = [(column, positions[column.field], parser_for(column)) for column in tab.columns if column.field in positions]
    letters = {column.field: column_letter(index) for column, index, _ in fields}
    # Looked up once per column, not once per cell: a register at the Sheets limit has ten million cells.
    plan = [
        (column, column.field, index, parse_cell, _BLANK_DEFAULTS.get(column.field, _NO_DEFAULT)) for column, index, parse_cell in fields
    ]
    make = _RECORD_TYPES[tab.key]
    id_field = "id" if tab.key in ("incidents", "actions") else None
    records: list[Any] = []
    findings: list[Finding] = []
    for row_index in range(1, len(rows)):
        row = rows[row_index]
        if not row or (is_blank(row[0]) and all(is_blank(value) for value in row)):
            continue
        values: dict[str, Any] = {}
        invalid: list[str] = []
        width = len(row)
        for column, name, index, parse_cell, blank in plan:
            raw_value = row[index] if index < width else None
            if raw_value is None or raw_value == "" or (raw_value.__class__ is str and raw_value.isspace()):
                if blank is not _NO_DEFAULT:
                    values[name] = blank
                continue
            try:
                values[name] = parse_cell(raw_value, settings)
            except CellValueError as error:
                invalid.append(name)
                findings.append(
                    VALUE_INVALID.finding(
                        f"{column.header}: {error}",
                        cell=f"{quote_tab(title)}!{letters[column.field]}{row_index + 1}",
                        incident=_incident_of(tab.key, row, positions),
                        action=_safe_id(row, positions.get("id")) if tab.key == "actions" else None,
                    )
                )
        ref = RowRef(tab=title, row=row_index + 1, columns=letters, invalid=frozenset(invalid) if invalid else _ALL_READ)
        if id_field is not None:
            values.setdefault("id", None)
        records.append(make(ref=ref, **values))
    return tuple(records), findings


def _safe_id(row: RawRow, index: int | None) -> str | None:
    if index is None or index >= len(row) or is_blank(row[index]):
        return None
    try:
        return parse_text(row[index], ParseSettings())
    except CellValueError:
        return None


def _incident_of(tab_key: str, row: RawRow, positions: Mapping[str, int]) -> str | None:
    if tab_key == "incidents":
        return _safe_id(row, positions.get("id"))
    return _safe_id(row, positions.get("incident_id"))
