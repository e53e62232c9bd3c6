"""Property tests: whatever a person types into the register, reading and checking it never crashes.

Every unreadable cell becomes exactly one `value-invalid` finding naming that cell, the other
cells of its row are still checked, any header row is survivable, and the Findings tab written
to a workbook reads back as written. Example counts and deadlines come from the hypothesis
profile registered in tests/conftest.py.
"""

from __future__ import annotations

import io
import operator
import re
import zipfile
from collections import Counter
from collections.abc import Sequence
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import openpyxl
import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from pmsheets.cli.main import main
from pmsheets.core.check import Validation, validate
from pmsheets.core.policy import RULE_LEVELS, Policy
from pmsheets.core.schema import (
    ACTIONS,
    CELL_ERRORS,
    FINDINGS_HEADERS,
    INCIDENTS,
    MAX_SERIAL,
    CellValueError,
    ParseSettings,
    Tab,
    column_letter,
    is_blank,
    normalize,
    parser_for,
)
from pmsheets.model import Finding
from pmsheets.register.xlsx import XlsxRegister
from tests.builders import AS_OF, action_row, incident_row, tables, write_workbook

# --- what a person can put in a cell ----------------------------------------------------------------

# Every code point a cell can hold except lone surrogates: controls, combining marks, private use, noncharacters.
ANY_CHARACTER = st.characters(exclude_categories=("Cs",))
WHITESPACE = st.text(alphabet=" \t\n\r\u00a0\u2003\u3000", min_size=1, max_size=6)
ODD_TEXT = st.text(ANY_CHARACTER, max_size=30)
HUGE_TEXT = st.builds(operator.mul, st.text(ANY_CHARACTER, min_size=1, max_size=3), st.integers(10_000, 40_000))
FORMULA_TEXT = st.sampled_from(
    ["=1+1", "=A1", '=HYPERLINK("http://example.com","x")', "+1", "-1", "@SUM(A1)", "=", "=#REF!"]
) | ODD_TEXT.map("=".__add__)
ERROR_TEXT = st.sampled_from(sorted(CELL_ERRORS)).flatmap(lambda shown: st.sampled_from([shown, shown.lower(), f"  {shown} "]))
# Values each column can read, in the spellings PMs use, so the readable paths are exercised too.
LOOKS_VALID = st.sampled_from(
    [
        "INC-1",
        "P0",
        " p1 ",
        "P2",
        "None",
        "trivial",
        "Non-trivial",
        "NON TRIVIAL",
        "Yes",
        "n",
        "TRUE",
        "0",
        "1",
        "Not started",
        "Draft",
        "reviewed",
        "Closed",
        "Short-term",
        "long term",
        "Open",
        "In progress",
        "Done",
        "Won't do",
        "2026-11-20",
        "2026-11-20 14:05",
        "2026-11-20T14:05+01:00",
        "20/11/2026",
        "1,200",
        "1,5",
        "45",
        "-3",
        "OPS-123",
        "#12",
        "org/repo#7",
        "https://example.com/t/1",
        "Ann, Bo,, Cy",
        "human error",
    ]
)
FIXED_OFFSETS = st.builds(timezone, st.timedeltas(min_value=timedelta(hours=-23, minutes=-59), max_value=timedelta(hours=23, minutes=59)))
ZONES = st.timezones() | FIXED_OFFSETS
DATETIMES = st.datetimes() | st.datetimes(timezones=ZONES)
ISO_TEXT = st.dates().map(date.isoformat) | DATETIMES.map(datetime.isoformat)
# Moments whose date changes when moved into another zone, at the calendar's two ends.
CALENDAR_EDGES = st.sampled_from(
    [
        datetime(1, 1, 1, tzinfo=timezone(timedelta(hours=5))),
        datetime(9999, 12, 31, 23, 0, tzinfo=timezone(timedelta(hours=-5))),
        datetime(9999, 12, 31, 23, 59),
        date(9999, 12, 31),
        date(1, 1, 1),
        "0001-01-01T00:00+05:00",
        "9999-12-31T23:00-05:00",
    ]
)
NUMBERS = (
    st.integers()
    | st.integers(min_value=-(10**400), max_value=10**400)
    | st.floats()
    | st.sampled_from([0, 1, -1, 15, 16, 2**53 + 1, MAX_SERIAL, MAX_SERIAL + 1, 10**308, 10**309, -(10**309)])
)
CELL_VALUES = st.one_of(
    st.none(),
    st.just(""),
    WHITESPACE,
    ODD_TEXT,
    HUGE_TEXT,
    FORMULA_TEXT,
    ERROR_TEXT,
    LOOKS_VALID,
    ISO_TEXT,
    CALENDAR_EDGES,
    NUMBERS,
    st.booleans(),
    st.dates(),
    DATETIMES,
    st.times() | st.times(timezones=ZONES),
)
SETTINGS = st.builds(
    ParseSettings,
    timezone=st.sampled_from([ZoneInfo(name) for name in ("UTC", "Asia/Tokyo", "America/New_York", "Pacific/Kiritimati", "Etc/GMT+12")]),
    date_formats=st.sampled_from([(), ("%d/%m/%Y", "%d.%m.%Y %H:%M")]),
)


def rows_for(tab: Tab) -> st.SearchStrategy[list[list[Any]]]:
    """1-3 data rows, each as long as the header, shorter (trailing cells trimmed) or longer."""
    width = len(tab.columns)
    row = st.integers(0, width + 2).flatmap(lambda length: st.lists(CELL_VALUES, min_size=length, max_size=length))
    return st.lists(row, min_size=1, max_size=3)


def check(content: dict[str, Any], settings: ParseSettings) -> Validation:
    """schema.parse + policy.check (+ sorting), as `pmsheets validate` runs them."""
    return validate(content, as_of=AS_OF, policy=Policy(timezone=settings.timezone), settings=settings)


def unreadable_cells(tab: Tab, rows: Sequence[Sequence[Any]], settings: ParseSettings) -> list[str]:
    """The cells whose column cannot read them, found by asking each column's parser alone."""
    cells = []
    for number, row in enumerate(rows, start=2):
        if all(is_blank(value) for value in row):
            continue
        for index, column in enumerate(tab.columns):
            value = row[index] if index < len(row) else None
            if is_blank(value):
                continue
            try:
                parser_for(column)(value, settings)
            except CellValueError:
                cells.append(f"{tab.title}!{column_letter(index)}{number}")
    return cells


def value_invalid_cells(findings: Sequence[Finding]) -> list[str | None]:
    return [finding.cell for finding in findings if finding.rule == "value-invalid"]


def register_with(tab: Tab, rows: Sequence[Sequence[Any]]) -> dict[str, Any]:
    return tables(incidents=rows) if tab is INCIDENTS else tables(actions=rows)


# --- cell values --------------------------------------------------------------------------------------


@pytest.mark.parametrize("tab", [INCIDENTS, ACTIONS], ids=lambda tab: tab.title)
@given(data=st.data(), settings=SETTINGS)
def test_any_cell_values_give_one_value_invalid_per_unreadable_cell(tab: Tab, data: st.DataObject, settings: ParseSettings) -> None:
    rows = data.draw(rows_for(tab), label="rows")
    result = check(register_with(tab, rows), settings)
    assert Counter(value_invalid_cells(result.findings)) == Counter(unreadable_cells(tab, rows, settings))


@pytest.mark.parametrize("tab", [INCIDENTS, ACTIONS], ids=lambda tab: tab.title)
@given(data=st.data(), settings=SETTINGS)
def test_value_invalid_message_names_the_column_it_could_not_read(tab: Tab, data: st.DataObject, settings: ParseSettings) -> None:
    rows = data.draw(rows_for(tab), label="rows")
    headers = {f"{tab.title}!{column_letter(index)}": column.header for index, column in enumerate(tab.columns)}
    for finding in check(register_with(tab, rows), settings).findings:
        if finding.rule == "value-invalid":
            assert finding.cell is not None
            assert finding.message.startswith(headers[finding.cell.rstrip("0123456789")] + ": ")


@pytest.mark.parametrize("tab", [INCIDENTS, ACTIONS], ids=lambda tab: tab.title)
@given(data=st.data(), shown=ERROR_TEXT)
def test_error_value_in_any_column_is_value_invalid_at_that_cell(tab: Tab, data: st.DataObject, shown: str) -> None:
    index = data.draw(st.integers(0, len(tab.columns) - 1), label="column")
    row: list[Any] = ["X-1"] * len(tab.columns)
    row[index] = shown
    findings = check(register_with(tab, [row]), ParseSettings()).findings
    assert f"{tab.title}!{column_letter(index)}2" in value_invalid_cells(findings)


# A row that trips one check on each of two columns that no other cell influences.
INCIDENT_ANCHORS = {"summary": "blame-language", "root_cause": "blame-language"}
ANCHORED_INCIDENT = incident_row(id="INC-1", severity="P2", summary="human error", root_cause="it was careless")
ACTION_ANCHORS = {"text": "blame-language", "owner": "action-owner-missing"}
ANCHORED_ACTION = action_row(id="ACT-1", incident_id="INC-1", action="a careless slip", type="Short-term", tracking_link="OPS-1")


@pytest.mark.parametrize(
    ("tab", "anchored_row", "anchors"),
    [(INCIDENTS, ANCHORED_INCIDENT, INCIDENT_ANCHORS), (ACTIONS, ANCHORED_ACTION, ACTION_ANCHORS)],
    ids=["Incidents", "Actions"],
)
@given(data=st.data(), value=CELL_VALUES, settings=SETTINGS)
def test_any_value_in_one_cell_leaves_the_rest_of_the_row_checked(
    tab: Tab, anchored_row: list[Any], anchors: dict[str, str], data: st.DataObject, value: Any, settings: ParseSettings
) -> None:
    fields = [column.field for column in tab.columns]
    fuzzed = data.draw(st.sampled_from(fields), label="column")
    row = list(anchored_row)
    row[fields.index(fuzzed)] = value
    content = tables(incidents=[row]) if tab is INCIDENTS else tables(incidents=[ANCHORED_INCIDENT], actions=[row])
    found = {(finding.rule, finding.cell) for finding in check(content, settings).findings}
    for field, rule in anchors.items():
        if field != fuzzed:
            assert (rule, f"{tab.title}!{column_letter(fields.index(field))}2") in found


# --- dates anywhere on the calendar, under any thresholds ---------------------------------------------

ANY_DAY = st.dates() | st.datetimes() | CALENDAR_EDGES
POLICIES = st.builds(
    Policy,
    draft_due_hours=st.floats(0, 10_000),
    draft_overdue_hours=st.floats(0, 10_000),
    review_business_days=st.integers(0, 400),
    short_term_max_days=st.integers(0, 4000),
    long_term_max_days=st.integers(0, 4000),
    holidays=st.frozensets(st.dates(), max_size=5),
)


@given(
    resolved=ANY_DAY,
    draft=ANY_DAY,
    review=ANY_DAY,
    due=ANY_DAY,
    status=st.sampled_from(["Not started", "Draft", "Reviewed", "Closed"]),
    policy=POLICIES,
)
def test_any_dates_of_a_required_incident_and_its_actions_give_findings_about_them_at_their_declared_levels(
    resolved: Any, draft: Any, review: Any, due: Any, status: str, policy: Policy
) -> None:
    incident = incident_row(
        id="INC-1", severity="P0", resolved_at=resolved, post_mortem_status=status, draft_date=draft, review_date=review
    )
    actions = [action_row(id=f"ACT-{kind}", incident_id="INC-1", type=kind, due_date=due) for kind in ("Short-term", "Long-term")]
    result = validate(tables(incidents=[incident], actions=actions), as_of=AS_OF, policy=policy, settings=ParseSettings())
    assert [record.id for record in result.register.incidents] == ["INC-1"]
    assert [record.id for record in result.register.actions] == ["ACT-Short-term", "ACT-Long-term"]
    for finding in result.findings:
        assert finding.incident == "INC-1", finding
        assert finding.level is RULE_LEVELS[finding.rule], finding


# --- header rows ------------------------------------------------------------------------------------


def header_spellings(tab: Tab) -> st.SearchStrategy[Any]:
    names = sorted({name for column in tab.columns for name in (column.header, *column.aliases)})
    return st.sampled_from(names).flatmap(
        lambda name: st.sampled_from([name, name.upper(), name.lower(), f"  {name} ", name.replace(" ", "_"), name.replace("-", "")])
    )


def header_rows(tab: Tab) -> st.SearchStrategy[list[Any]]:
    """Real headers (any spelling, duplicated, missing) mixed with blanks, numbers, dates and odd text."""
    cell = header_spellings(tab) | st.none() | st.just("") | WHITESPACE | ODD_TEXT | NUMBERS | st.booleans() | st.dates()
    return st.lists(cell, max_size=len(tab.columns) + 8)


def has_every_required_column(tab: Tab, header: Sequence[Any]) -> bool:
    present = {normalize(cell) for cell in header if not is_blank(cell)}
    return all(any(normalize(name) in present for name in (column.header, *column.aliases)) for column in tab.columns if column.required)


@pytest.mark.parametrize("tab", [INCIDENTS, ACTIONS], ids=lambda tab: tab.title)
@given(data=st.data(), settings=SETTINGS)
def test_any_header_row_is_read_or_reported_never_a_crash(tab: Tab, data: st.DataObject, settings: ParseSettings) -> None:
    header = data.draw(header_rows(tab), label="header")
    rows = data.draw(rows_for(tab), label="rows")
    content = {**tables(), tab.title: [header, *rows]}
    result = check(content, settings)
    usable = has_every_required_column(tab, header)
    assert (tab.key not in result.register.unchecked_tabs) == usable
    assert usable or any(finding.rule == "header-missing" for finding in result.findings)


@pytest.mark.parametrize("tab", [INCIDENTS, ACTIONS], ids=lambda tab: tab.title)
@given(data=st.data())
def test_duplicate_headers_are_reported_in_row_1(tab: Tab, data: st.DataObject) -> None:
    row = data.draw(header_rows(tab), label="header")
    content = {**tables(), tab.title: [row]}
    for finding in check(content, ParseSettings()).findings:
        if finding.rule == "header-duplicate":
            assert finding.cell is not None
            assert re.fullmatch(rf"{tab.title}![A-Z]+1", finding.cell)


# --- the Findings tab in a workbook -----------------------------------------------------------------

# XML 1.0's Char production: what a worksheet can carry at all.
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
FINDING_TEXT = ODD_TEXT | FORMULA_TEXT | WHITESPACE | HUGE_TEXT | st.sampled_from(["_x0041_", "a\r\nb", "<t>&amp;</t>", "'quoted'"])


@pytest.fixture(scope="module")
def findings_workbook(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One register whose Findings tab each example replaces."""
    return write_workbook(tmp_path_factory.mktemp("findings") / "register.xlsx", tables())


def read_findings(path: Path) -> list[list[Any]]:
    workbook = openpyxl.load_workbook(path)
    try:
        rows = [list(row) for row in workbook["Findings"].iter_rows(max_col=len(FINDINGS_HEADERS), values_only=True)]
    finally:
        workbook.close()
    while rows and all(value is None for value in rows[-1]):
        rows.pop()
    return rows


@given(rows=st.lists(st.lists(FINDING_TEXT, min_size=7, max_size=7), max_size=6))
@example(rows=[["error", "value-invalid", "INC-1", "", "", "Incidents!C2", "Severity: 'a\rb' is not one of: P0, P1, P2."]])
def test_findings_written_to_a_workbook_read_back_as_written(findings_workbook: Path, rows: list[list[str]]) -> None:
    XlsxRegister(findings_workbook).write_findings(rows)
    expected = [list(FINDINGS_HEADERS), *[[_NOT_XML.sub("", text) or None for text in row] for row in rows]]
    while expected and all(value is None for value in expected[-1]):
        expected.pop()
    assert read_findings(findings_workbook) == expected


# --- values that crashed the run before their fix --------------------------------------------------


def test_number_past_float_range_is_value_invalid() -> None:
    content = tables(incidents=[incident_row(id="INC-1", severity="P1", impact_minutes=10**400)])
    assert value_invalid_cells(check(content, ParseSettings()).findings) == ["Incidents!G2"]


@pytest.mark.parametrize("typed", ["0001-01-01T00:00+05:00", "9999-12-31T23:00-05:00"])
def test_moment_off_the_calendar_in_the_team_zone_is_value_invalid(typed: str) -> None:
    content = tables(incidents=[incident_row(id="INC-1", severity="P2", detected_at=typed, draft_date=typed)])
    assert value_invalid_cells(check(content, ParseSettings()).findings) == ["Incidents!D2", "Incidents!O2"]


def test_review_deadline_past_the_calendar_end_is_never_overdue() -> None:
    content = tables(incidents=[incident_row(id="INC-1", severity="P0", resolved_at=datetime(9999, 12, 31, 12, 0))])
    assert "review-overdue" not in [finding.rule for finding in check(content, ParseSettings()).findings]


def test_action_due_at_the_calendar_end_is_measured_from_a_review_days_before() -> None:
    content = tables(
        incidents=[incident_row(id="INC-1", severity="P2", review_date=date(9999, 12, 20))],
        actions=[action_row(id="ACT-1", incident_id="INC-1", type="Short-term", due_date=date(9999, 12, 31))],
    )
    assert "action-due-too-far" not in [finding.rule for finding in check(content, ParseSettings()).findings]


def test_number_too_long_for_python_in_a_workbook_is_one_error_line(tmp_path: Path) -> None:
    workbook = write_workbook(tmp_path / "register.xlsx", tables(incidents=[incident_row(id="INC-1", impact_minutes=123456789)]))
    with zipfile.ZipFile(workbook) as source:
        parts = {info.filename: source.read(info) for info in source.infolist()}
    with zipfile.ZipFile(workbook, "w") as target:
        for name, data in parts.items():
            target.writestr(name, data.replace(b"<v>123456789</v>", b"<v>" + b"9" * 5000 + b"</v>"))
    (tmp_path / "pmsheets.yaml").write_text("register:\n  path: register.xlsx\n", encoding="utf-8")
    err = io.StringIO()
    code = main(["--config", str(tmp_path / "pmsheets.yaml"), "validate", "--no-write"], stdout=io.StringIO(), stderr=err)
    assert code == 2
    assert err.getvalue().startswith(f"pmsheets: error: {workbook} is not a readable .xlsx workbook: its 'Incidents' tab cannot be read")
    assert err.getvalue().count("\n") == 1
