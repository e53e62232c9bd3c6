"""Reading the register: cell values (dates, Yes/No, choices, numbers, errors) and headers.

Everything goes through the `register_from` backends, so a cell is read the way the
backend hands it over (real date cells come back as datetimes, numbers as numbers).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from pmsheets.core.check import NotARegister
from pmsheets.core.schema import ParseSettings, parse
from pmsheets.model import ActionStatus, ActionType, CustomerImpact, Finding, PostmortemStatus, Severity
from tests.builders import ACTION_HEADERS, INCIDENT_HEADERS, UTC, action, incident, run_checks, tables

BERLIN = ZoneInfo("Europe/Berlin")
# 2026-11-20 14:05 as a spreadsheet serial number (days since 1899-12-30).
SERIAL_2026_11_20 = 46346
SERIAL_2026_11_20_1405 = 46346 + (14 * 60 + 5) / 1440


def rules(findings: Sequence[Finding]) -> list[str]:
    return [f.rule for f in findings]


def at(findings: Sequence[Finding], cell: str) -> list[str]:
    return [f.rule for f in findings if f.cell == cell]


def renamed(headers: Sequence[str], old: str, new: str) -> list[str]:
    return [new if h == old else h for h in headers]


def reorder(rows: Sequence[Sequence[Any]], order: Sequence[int]) -> list[list[Any]]:
    return [[row[i] for i in order] for row in rows]


def read_incident(register_from, settings: ParseSettings | None = None, **changes: Any):
    result = run_checks(register_from(tables([incident(**changes)], [action()])), settings=settings)
    return result.register.incidents[0], result.findings


def read_action(register_from, **changes: Any):
    result = run_checks(register_from(tables([incident()], [action(**changes)])))
    return result.register.actions[0], result.findings


# A table of cell variants is read as one register, one row per variant (INC-1, INC-2, ...),
# so each backend is set up once per table rather than once per variant.
Variants = Sequence[tuple[str, Any, Any]]
"""(label, cell as typed, expected value)"""


def read_incident_variants(register_from, column: str, variants: Variants, settings: ParseSettings | None = None, **fixed: Any):
    rows = [incident(id=f"INC-{n}", **{**fixed, column: cell}) for n, (_, cell, _) in enumerate(variants, start=1)]
    result = run_checks(register_from(tables(rows, [action()])), settings=settings)
    assert len(result.register.incidents) == len(variants)
    return result


def read_action_variants(register_from, column: str, variants: Variants, **fixed: Any):
    rows = [action(id=f"ACT-{n}", **{**fixed, column: cell}) for n, (_, cell, _) in enumerate(variants, start=1)]
    result = run_checks(register_from(tables([incident()], rows)))
    assert len(result.register.actions) == len(variants)
    return result


def by_label(variants: Variants, values: Sequence[Any]) -> dict[str, Any]:
    return {label: value for (label, _, _), value in zip(variants, values, strict=True)}


def expected_by_label(variants: Variants) -> dict[str, Any]:
    return {label: expected for label, _, expected in variants}


def invalid_messages(findings: Sequence[Finding]) -> dict[str | None, str]:
    return {f.cell: f.message for f in findings if f.rule == "value-invalid"}


def test_clean_register_reads_without_findings(register_from):
    result = run_checks(register_from(tables([incident()], [action()])))

    assert result.findings == []
    assert len(result.register.incidents) == 1
    assert len(result.register.actions) == 1


# --- dates and datetimes ---------------------------------------------------------------------------


DATETIME_CELLS: Variants = [
    ("date cell", datetime(2026, 11, 20, 14, 5), datetime(2026, 11, 20, 14, 5, tzinfo=UTC)),
    ("text with space", "2026-11-20 14:05", datetime(2026, 11, 20, 14, 5, tzinfo=UTC)),
    ("text with T", "2026-11-20T14:05", datetime(2026, 11, 20, 14, 5, tzinfo=UTC)),
    ("text with spaces around", "  2026-11-20 14:05 ", datetime(2026, 11, 20, 14, 5, tzinfo=UTC)),
    ("text with +01:00 offset", "2026-11-20T15:05+01:00", datetime(2026, 11, 20, 14, 5, tzinfo=UTC)),
    ("text with Z", "2026-11-20T14:05Z", datetime(2026, 11, 20, 14, 5, tzinfo=UTC)),
    ("serial number", SERIAL_2026_11_20_1405, datetime(2026, 11, 20, 14, 5, tzinfo=UTC)),
    ("date-only text is midnight", "2026-11-20", datetime(2026, 11, 20, 0, 0, tzinfo=UTC)),
    ("date-only cell is midnight", date(2026, 11, 20), datetime(2026, 11, 20, 0, 0, tzinfo=UTC)),
    ("whole serial number is midnight", SERIAL_2026_11_20, datetime(2026, 11, 20, 0, 0, tzinfo=UTC)),
]


def test_resolved_at_reads_date_cells_iso_text_and_serials(register_from):
    result = read_incident_variants(register_from, "resolved_at", DATETIME_CELLS, detected_at=None)

    assert by_label(DATETIME_CELLS, [i.resolved_at for i in result.register.incidents]) == expected_by_label(DATETIME_CELLS)
    assert "value-invalid" not in rules(result.findings)


DATE_CELLS: Variants = [
    ("date cell", date(2026, 11, 20), date(2026, 11, 20)),
    ("datetime cell at midnight", datetime(2026, 11, 20, 0, 0), date(2026, 11, 20)),
    ("ISO text", "2026-11-20", date(2026, 11, 20)),
    ("ISO text with spaces", " 2026-11-20 ", date(2026, 11, 20)),
    ("ISO text with a time", "2026-11-20 14:05", date(2026, 11, 20)),
    ("serial number", SERIAL_2026_11_20, date(2026, 11, 20)),
]


def test_draft_date_reads_date_cells_iso_text_and_serials(register_from):
    result = read_incident_variants(register_from, "draft_date", DATE_CELLS, review_date=date(2026, 11, 20))

    assert by_label(DATE_CELLS, [i.draft_date for i in result.register.incidents]) == expected_by_label(DATE_CELLS)
    assert "value-invalid" not in rules(result.findings)


def test_naive_datetime_cell_is_in_the_settings_timezone(register_from):
    record, _ = read_incident(register_from, ParseSettings(timezone=BERLIN), resolved_at=datetime(2026, 11, 20, 14, 5))

    assert record.resolved_at == datetime(2026, 11, 20, 13, 5, tzinfo=UTC)


def test_naive_datetime_text_is_in_the_settings_timezone(register_from):
    record, _ = read_incident(register_from, ParseSettings(timezone=BERLIN), resolved_at="2026-11-20 14:05")

    assert record.resolved_at == datetime(2026, 11, 20, 13, 5, tzinfo=UTC)


def test_explicit_offset_wins_over_the_settings_timezone(register_from):
    record, _ = read_incident(register_from, ParseSettings(timezone=BERLIN), resolved_at="2026-11-20T14:05+00:00")

    assert record.resolved_at == datetime(2026, 11, 20, 14, 5, tzinfo=UTC)


def test_extra_date_format_for_a_date_column(register_from):
    settings = ParseSettings(date_formats=("%d/%m/%Y",))

    record, findings = read_incident(register_from, settings, closed_date="20/11/2026")

    assert record.closed_date == date(2026, 11, 20)
    assert findings == []


def test_extra_datetime_format_takes_the_settings_timezone(register_from):
    settings = ParseSettings(timezone=BERLIN, date_formats=("%d.%m.%Y %H:%M",))

    record, _ = read_incident(register_from, settings, resolved_at="20.11.2026 14:05")

    assert record.resolved_at == datetime(2026, 11, 20, 13, 5, tzinfo=UTC)


def test_second_extra_format_is_tried_when_the_first_does_not_match(register_from):
    settings = ParseSettings(date_formats=("%d/%m/%Y", "%b %d, %Y"))

    record, _ = read_incident(register_from, settings, closed_date="Nov 20, 2026")

    assert record.closed_date == date(2026, 11, 20)


def test_other_text_dates_are_invalid_without_a_configured_format(register_from):
    record, findings = read_incident(register_from, closed_date="20/11/2026")

    (finding,) = [f for f in findings if f.rule == "value-invalid"]
    assert (finding.level, finding.cell, finding.incident, finding.action) == ("error", "Incidents!Q2", "INC-1", None)
    assert finding.message == "Closed date: '20/11/2026' is not a date. Use a date cell or text like 2026-11-20."
    assert record.closed_date is None


def test_invalid_date_message_lists_the_configured_formats(register_from):
    settings = ParseSettings(date_formats=("%d/%m/%Y",))

    _, findings = read_incident(register_from, settings, closed_date="the 20th")

    (finding,) = [f for f in findings if f.rule == "value-invalid"]
    assert "(also accepted: %d/%m/%Y)" in finding.message


UNREADABLE_DATETIMES: Variants = [
    (
        "word",
        "yesterday",
        "'yesterday' is not a date and time. Use a date cell or text like 2026-11-20 14:05 or 2026-11-20T14:05+01:00.",
    ),
    ("month 13", "2026-13-01 10:00", "'2026-13-01 10:00' is not a date and time. Use a date cell"),
    ("boolean", True, "TRUE/FALSE is not a date and time. Use a date cell"),
    ("negative number", -5, "-5 is a number, not a date. Use a date cell"),
    ("number past 9999-12-31", 3_000_000, "3000000 is a number, not a date. Use a date cell"),
]


def test_unreadable_resolved_at_is_value_invalid(register_from):
    result = read_incident_variants(register_from, "resolved_at", UNREADABLE_DATETIMES, detected_at=None)

    messages = invalid_messages(result.findings)
    for n, (label, _, says) in enumerate(UNREADABLE_DATETIMES, start=2):
        assert messages.get(f"Incidents!E{n}", "").startswith(f"Resolved at: {says}"), label
    assert [i.resolved_at for i in result.register.incidents] == [None] * len(UNREADABLE_DATETIMES)
    assert {(f.level, f.incident) for f in result.findings if f.rule == "value-invalid"} == {
        ("error", f"INC-{n}") for n in range(1, len(UNREADABLE_DATETIMES) + 1)
    }


# --- Yes/No -----------------------------------------------------------------------------------------

YES_NO_CELLS: Variants = [
    ("Yes", "Yes", True),
    ("yes with spaces", " yes ", True),
    ("Y", "Y", True),
    ("y", "y", True),
    ("TRUE text", "TRUE", True),
    ("True text", "True", True),
    ("1 text", "1", True),
    ("1 number", 1, True),
    ("boolean true", True, True),
    ("No", "No", False),
    ("NO with spaces", " NO ", False),
    ("n", "n", False),
    ("false text", "false", False),
    ("0 text", "0", False),
    ("0 number", 0, False),
    ("boolean false", False, False),
    ("blank means No", None, False),
    ("spaces mean No", "   ", False),
]


def test_yes_no_variants(register_from):
    result = read_incident_variants(register_from, "systemic_gap", YES_NO_CELLS)

    assert by_label(YES_NO_CELLS, [i.systemic_gap for i in result.register.incidents]) == expected_by_label(YES_NO_CELLS)
    assert "value-invalid" not in rules(result.findings)


def test_yes_no_rejects_anything_else(register_from):
    variants = [("maybe", "maybe", "'maybe'"), ("2", 2, "2")]

    result = read_incident_variants(register_from, "security_concern", variants)

    assert invalid_messages(result.findings) == {
        "Incidents!I2": "Security concern: 'maybe' is not Yes or No. Use Yes or No (blank means No).",
        "Incidents!I3": "Security concern: 2 is not Yes or No. Use Yes or No (blank means No).",
    }


# --- choices -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("column", "variants"),
    [
        pytest.param("severity", [("p1 with spaces", " p1 ", Severity.P1), ("P0", "P0", Severity.P0)], id="severity"),
        pytest.param(
            "customer_impact",
            [
                ("non-TRIVIAL with spaces", "  non-TRIVIAL ", CustomerImpact.NON_TRIVIAL),
                ("nontrivial", "nontrivial", CustomerImpact.NON_TRIVIAL),
                ("NONE", "NONE", CustomerImpact.NONE),
                ("trivial", "trivial", CustomerImpact.TRIVIAL),
            ],
            id="customer impact",
        ),
        pytest.param(
            "post_mortem_status",
            [
                ("REVIEWED", "REVIEWED", PostmortemStatus.REVIEWED),
                ("not started", "not started", PostmortemStatus.NOT_STARTED),
                ("blank is Not started", None, PostmortemStatus.NOT_STARTED),
            ],
            id="post-mortem status",
        ),
    ],
)
def test_incident_choices_ignore_case_spaces_and_punctuation(register_from, column, variants):
    result = read_incident_variants(register_from, column, variants)

    attribute = column.replace("post_mortem", "postmortem")
    parsed = [getattr(i, attribute) for i in result.register.incidents]
    assert by_label(variants, parsed) == expected_by_label(variants)
    assert "value-invalid" not in rules(result.findings)


@pytest.mark.parametrize(
    ("column", "variants"),
    [
        pytest.param(
            "status",
            [
                ("won't do", "won't do", ActionStatus.WONT_DO),
                ("WONT DO", "WONT DO", ActionStatus.WONT_DO),
                ("in progress", "in progress", ActionStatus.IN_PROGRESS),
                ("In-Progress", "In-Progress", ActionStatus.IN_PROGRESS),
                ("done with spaces", " done ", ActionStatus.DONE),
                ("blank is Open", None, ActionStatus.OPEN),
            ],
            id="status",
        ),
        pytest.param(
            "type",
            [("short term", "short term", ActionType.SHORT_TERM), ("long-TERM", " long-TERM ", ActionType.LONG_TERM)],
            id="type",
        ),
    ],
)
def test_action_choices_ignore_case_spaces_and_punctuation(register_from, column, variants):
    result = read_action_variants(register_from, column, variants)

    parsed = [getattr(a, column) for a in result.register.actions]
    assert by_label(variants, parsed) == expected_by_label(variants)
    assert "value-invalid" not in rules(result.findings)


def test_unknown_choice_lists_what_is_accepted(register_from):
    _, findings = read_action(register_from, status="Finished")

    (finding,) = [f for f in findings if f.rule == "value-invalid"]
    assert (finding.level, finding.cell, finding.incident, finding.action) == ("error", "Actions!H2", "INC-1", "ACT-1")
    assert finding.message == "Status: 'Finished' is not one of: Open, In progress, Done, Won't do."


# --- numbers, text and lists -------------------------------------------------------------------------


NUMBER_CELLS: Variants = [
    ("whole number", 16, 16.0),
    ("fraction", 16.5, 16.5),
    ("zero", 0, 0.0),
    ("text", "16", 16.0),
    ("text with spaces", " 16.5 ", 16.5),
    ("thousands separator", "1,200", 1200.0),
]


def test_impact_minutes_reads_numbers(register_from):
    result = read_incident_variants(register_from, "impact_minutes", NUMBER_CELLS)

    parsed = [i.impact_minutes for i in result.register.incidents]
    assert by_label(NUMBER_CELLS, parsed) == expected_by_label(NUMBER_CELLS)
    assert "value-invalid" not in rules(result.findings)


NOT_NUMBERS: Variants = [
    ("unit", "16 min", "'16 min' is not a number"),
    ("decimal comma", "1,5", "'1,5' is not a number"),
    ("negative", -3, "-3 is not a positive number"),
    ("boolean", True, "TRUE/FALSE is not a number"),
]


def test_impact_minutes_rejects_non_numbers(register_from):
    result = read_incident_variants(register_from, "impact_minutes", NOT_NUMBERS)

    messages = invalid_messages(result.findings)
    assert messages == {
        f"Incidents!G{n}": f"Impact minutes: {says}. Use a number of minutes, like 45."
        for n, (_, _, says) in enumerate(NOT_NUMBERS, start=2)
    }
    assert [i.impact_minutes for i in result.register.incidents] == [None] * len(NOT_NUMBERS)


def test_numeric_ids_match_text_ids(register_from):
    content = tables([incident(id=42)], [action(id=7, incident_id="42")])

    result = run_checks(register_from(content))

    assert result.findings == []
    assert (result.register.incidents[0].id, result.register.actions[0].id) == ("42", "7")


def test_contributors_are_split_on_commas(register_from):
    record, _ = read_incident(register_from, contributors=" Cy Diaz, Di Egan ,, ")

    assert record.contributors == ("Cy Diaz", "Di Egan")


def test_text_cells_are_trimmed(register_from):
    record, findings = read_incident(register_from, id="  INC-1 ", incident_owner=" Ana Lima ")

    assert (record.id, record.owner) == ("INC-1", "Ana Lima")
    assert findings == []


# --- spreadsheet error values ------------------------------------------------------------------------


def test_spreadsheet_errors_are_value_invalid_in_every_kind_of_column(register_from):
    content = tables(
        [
            incident(id="INC-1", severity="#REF!"),  # choice
            incident(id="INC-2", resolved_at="#N/A", detected_at=None),  # datetime
            incident(id="INC-3", impact_minutes="#DIV/0!"),  # number
            incident(id="INC-4", systemic_gap="#VALUE!"),  # Yes/No
            incident(id="INC-5", incident_owner="#NAME?"),  # text
            incident(id="INC-6", contributors="#NUM!"),  # list
            incident(id="INC-7", draft_date="#REF!"),  # date
        ],
        [action(id="ACT-1", due_date="#N/A"), action(id="ACT-2", tracking_link="#REF!")],
    )

    findings = run_checks(register_from(content)).findings

    errors = {"C2": "#REF!", "E3": "#N/A", "G4": "#DIV/0!", "H5": "#VALUE!", "K6": "#NAME?", "M7": "#NUM!", "O8": "#REF!"}
    expected = {f"Incidents!{cell}": error for cell, error in errors.items()} | {"Actions!F2": "#N/A", "Actions!G3": "#REF!"}
    messages = invalid_messages(findings)
    assert set(messages) == set(expected)
    for cell, error in expected.items():
        assert f"the cell shows the error {error}; fix the formula or type the value" in messages[cell], cell


def test_invalid_action_cell_does_not_stop_the_other_checks_of_the_row(register_from):
    content = tables([incident()], [action(due_date="next week", owner=None, tracking_link="ask Bo")])

    findings = run_checks(register_from(content)).findings

    assert at(findings, "Actions!F2") == ["value-invalid"]
    assert at(findings, "Actions!E2") == ["action-owner-missing"]
    assert at(findings, "Actions!G2") == ["action-link-invalid"]


def test_invalid_incident_cell_does_not_stop_the_other_checks_of_the_row(register_from):
    content = tables([incident(severity="P0", resolved_at="#REF!", incident_owner=None, post_mortem_status=None)])

    findings = run_checks(register_from(content)).findings

    assert at(findings, "Incidents!E2") == ["value-invalid"]
    assert at(findings, "Incidents!K2") == ["owner-missing"]
    assert "postmortem-required" in at(findings, "Incidents!N2")


def test_every_invalid_cell_is_reported_and_the_run_goes_on(register_from):
    content = tables(
        [incident(severity="P5"), incident(id="INC-2", impact_minutes="lots"), incident(id="INC-3", incident_owner=None)],
        [action()],
    )

    findings = run_checks(register_from(content)).findings

    assert [(f.rule, f.cell, f.incident) for f in findings if f.rule in ("value-invalid", "owner-missing")] == [
        ("value-invalid", "Incidents!C2", "INC-1"),
        ("value-invalid", "Incidents!G3", "INC-2"),
        ("owner-missing", "Incidents!K4", "INC-3"),
    ]


# Each row has one unreadable cell in a column that also has a "missing" rule.
INVALID_NOT_MISSING_INCIDENTS = [
    ({"id": "#REF!", "title": "row 2"}, "Incidents!A2", "id-missing"),
    ({"id": "INC-3", "severity": "P3"}, "Incidents!C3", "severity-missing"),
    ({"id": "INC-4", "incident_owner": "#REF!"}, "Incidents!K4", "owner-missing"),
    ({"id": "INC-5", "primary_responder": "#N/A"}, "Incidents!L5", "responder-missing"),
    (
        {"id": "INC-6", "severity": "P1", "customer_impact": "lots", "impact_minutes": None},
        "Incidents!F6",
        "postmortem-undetermined",
    ),
    ({"id": "INC-7", "draft_date": "soon"}, "Incidents!O7", "draft-date-missing"),
    ({"id": "INC-8", "review_date": "soon", "closed_date": None}, "Incidents!P8", "review-date-missing"),
    ({"id": "INC-9", "post_mortem_doc": "#REF!"}, "Incidents!R9", "doc-missing"),
]
INVALID_NOT_MISSING_ACTIONS = [
    ({"id": "#N/A"}, "Actions!A2", "id-missing"),
    ({"id": "ACT-3", "incident_id": "#REF!"}, "Actions!B3", "incident-unknown"),
    ({"id": "ACT-4", "type": "Medium-term"}, "Actions!D4", "action-type-missing"),
    ({"id": "ACT-5", "owner": "#REF!"}, "Actions!E5", "action-owner-missing"),
    ({"id": "ACT-6", "due_date": "next week"}, "Actions!F6", "action-due-missing"),
    ({"id": "ACT-7", "tracking_link": "#N/A"}, "Actions!G7", "action-link-missing"),
    ({"id": "ACT-8", "completed_on": "done"}, "Actions!I8", "action-done-without-date"),
]


def test_invalid_cell_is_reported_once_and_not_also_as_missing(register_from):
    content = tables(
        [*(incident(**changes) for changes, _, _ in INVALID_NOT_MISSING_INCIDENTS), incident(id="INC-1")],
        [action(**changes) for changes, _, _ in INVALID_NOT_MISSING_ACTIONS],
    )

    findings = run_checks(register_from(content)).findings

    for _, cell, missing_rule in (*INVALID_NOT_MISSING_INCIDENTS, *INVALID_NOT_MISSING_ACTIONS):
        assert at(findings, cell) == ["value-invalid"], cell
        assert missing_rule not in rules(findings), missing_rule


def test_unreadable_postmortem_status_starts_no_clock(register_from):
    content = tables([incident(post_mortem_status="Drafted", review_date=None, closed_date=None)], [action()])

    findings = run_checks(register_from(content)).findings

    assert at(findings, "Incidents!N2") == ["value-invalid"]
    assert rules(findings) == ["value-invalid"]


def test_unreadable_action_status_is_not_called_open(register_from):
    content = tables([incident()], [action(status="Finished", due_date=date(2026, 11, 20))])

    findings = run_checks(register_from(content)).findings

    assert rules(findings) == ["value-invalid"]
    assert findings[0].cell == "Actions!H2"


# --- headers -------------------------------------------------------------------------------------------


def test_reordered_columns_are_read_by_name(register_from):
    order_i = list(reversed(range(len(INCIDENT_HEADERS))))
    order_a = list(reversed(range(len(ACTION_HEADERS))))
    content = {
        "Incidents": reorder([INCIDENT_HEADERS, incident(incident_owner=None)], order_i),
        "Actions": reorder([ACTION_HEADERS, action()], order_a),
    }

    findings = run_checks(register_from(content)).findings

    # Incident owner is column K normally; reversed, it is the 10th column: J.
    assert [(f.rule, f.cell) for f in findings] == [("owner-missing", "Incidents!J2")]


@pytest.mark.parametrize(
    "header",
    ["postmortem STATUS", "post_mortem-status", "POST MORTEM STATUS", " Post-Mortem Status "],
)
def test_renamed_header_case_and_punctuation(register_from, header):
    content = {
        "Incidents": [renamed(INCIDENT_HEADERS, "Post-mortem status", header), incident(post_mortem_status="Reviewed")],
        "Actions": [ACTION_HEADERS, action(status="Open")],
    }

    result = run_checks(register_from(content))

    assert result.register.incidents[0].postmortem_status is PostmortemStatus.REVIEWED
    assert not [f for f in result.findings if f.rule.startswith("header-")]


def test_id_columns_may_be_headed_incident_id_and_action_id(register_from):
    content = {
        "Incidents": [renamed(INCIDENT_HEADERS, "ID", "Incident ID"), incident()],
        "Actions": [renamed(ACTION_HEADERS, "ID", "Action ID"), action()],
    }

    result = run_checks(register_from(content))

    assert result.findings == []
    assert (result.register.incidents[0].id, result.register.actions[0].id) == ("INC-1", "ACT-1")


def test_extra_columns_are_ignored(register_from):
    headers = ["Notes", *INCIDENT_HEADERS[:5], "Region", *INCIDENT_HEADERS[5:]]
    row = incident(incident_owner=None)
    content = {
        "Incidents": [headers, ["call Ana", *row[:5], "EU", *row[5:]]],
        "Actions": [[*ACTION_HEADERS, "Cost"], [*action(), 300]],
    }

    findings = run_checks(register_from(content)).findings

    # Incident owner moves from K to M: two extra columns before it.
    assert [(f.rule, f.cell) for f in findings] == [("owner-missing", "Incidents!M2")]


def test_blank_rows_are_skipped_and_rows_keep_their_sheet_numbers(register_from):
    content = tables(
        [
            [],
            incident(),
            [None] * len(INCIDENT_HEADERS),
            ["  ", None, "", None],
            incident(id="INC-2", incident_owner=None),
        ],
        [[], action(), action(id="ACT-2", incident_id="INC-2")],
    )

    result = run_checks(register_from(content))

    assert [i.ref.row for i in result.register.incidents] == [3, 6]
    assert [a.ref.row for a in result.register.actions] == [3, 4]
    assert [(f.rule, f.cell) for f in result.findings] == [("owner-missing", "Incidents!K6")]


def test_duplicate_header_is_reported_and_the_first_column_read(register_from):
    content = tables([[*incident(), None]], [action()])
    content["Incidents"] = [[*INCIDENT_HEADERS, "incident OWNER"], content["Incidents"][1]]

    result = run_checks(register_from(content))

    (finding,) = result.findings
    assert (finding.rule, finding.level, finding.cell) == ("header-duplicate", "error", "Incidents!U1")
    assert "a second 'Incident owner' column; the tool reads column K and ignores this one" in finding.message
    assert result.register.incidents[0].owner == "Ana Lima"


def test_missing_required_column_stops_only_that_tab(register_from):
    headers = [h for h in INCIDENT_HEADERS if h != "Resolved at"]
    row = [v for h, v in zip(INCIDENT_HEADERS, incident(severity="P9"), strict=True) if h != "Resolved at"]
    content = {"Incidents": [headers, row], "Actions": [ACTION_HEADERS, action(owner=None)]}

    result = run_checks(register_from(content))

    assert [(f.rule, f.cell) for f in result.findings] == [("header-missing", None), ("action-owner-missing", "Actions!E2")]
    assert result.findings[0].message == (
        "the Incidents tab has no 'Resolved at' column in row 1, so the tab is not checked. Add a column headed 'Resolved at'."
    )
    assert result.register.incidents == ()


def test_each_missing_required_column_is_reported(register_from):
    headers = [h for h in ACTION_HEADERS if h not in ("Owner", "Type")]
    content = {"Incidents": [INCIDENT_HEADERS, incident()], "Actions": [headers]}

    findings = [f for f in run_checks(register_from(content)).findings if f.rule == "header-missing"]

    assert [f.message.split(" column")[0] for f in findings] == [
        "the Actions tab has no 'Type'",
        "the Actions tab has no 'Owner'",
    ]


def test_unchecked_actions_tab_does_not_make_reviewed_incidents_look_actionless(register_from):
    headers = [h for h in ACTION_HEADERS if h != "Tracking link"]
    content = {
        "Incidents": [INCIDENT_HEADERS, incident(incident_owner=None)],
        "Actions": [headers],
    }

    findings = run_checks(register_from(content)).findings

    assert rules(findings) == ["header-missing", "owner-missing"]


def test_missing_required_tab(register_from):
    content = {"Incidents": [INCIDENT_HEADERS, incident(incident_owner=None)]}

    findings = run_checks(register_from(content)).findings

    assert [(f.rule, f.level, f.cell) for f in findings] == [
        ("header-missing", "error", None),
        ("owner-missing", "error", "Incidents!K2"),
    ]
    assert findings[0].message == (
        "the register has no 'Actions' tab, so it is not checked. "
        "Add a tab named 'Actions' (pmsheets init creates a register with every tab)."
    )


def test_near_miss_header_suggests_the_rename(register_from):
    content = {"Incidents": [renamed(INCIDENT_HEADERS, "Severity", "Severty"), incident()], "Actions": [ACTION_HEADERS, action()]}

    (finding,) = run_checks(register_from(content)).findings

    assert finding.rule == "header-missing"
    assert "Did you mean 'Severty'? Rename it to 'Severity'." in finding.message


def test_near_miss_tab_name_suggests_the_rename(register_from):
    content = {"Incident": [INCIDENT_HEADERS, incident()], "Actions": [ACTION_HEADERS, action()]}

    (finding,) = run_checks(register_from(content)).findings

    assert finding.rule == "header-missing"
    assert "Did you mean the 'Incident' tab? Rename it to 'Incidents'." in finding.message


def test_tab_names_match_regardless_of_case(register_from):
    content = {"INCIDENTS": [INCIDENT_HEADERS, incident(incident_owner=None)], "actions": [ACTION_HEADERS, action()]}

    findings = run_checks(register_from(content)).findings

    assert [(f.rule, f.cell) for f in findings] == [("owner-missing", "INCIDENTS!K2")]


def test_workbook_that_is_not_a_register_gives_header_missing_per_tab():
    parsed = parse({"Budget": [["Item", "Amount"], ["Laptops", 12000]]})

    assert [(f.rule, f.level, f.cell) for f in parsed.findings] == [
        ("header-missing", "error", None),
        ("header-missing", "error", None),
    ]
    assert "the register has no 'Incidents' tab" in parsed.findings[0].message
    assert "the register has no 'Actions' tab" in parsed.findings[1].message
    assert parsed.register.unchecked_tabs == {"incidents", "actions"}


def test_workbook_that_is_not_a_register_is_refused_by_validate(register_from):
    backend = register_from({"Budget": [["Item", "Amount"], ["Laptops", 12000]]})

    with pytest.raises(NotARegister, match=r"does not look like a post-mortem register.*'Budget'"):
        run_checks(backend)


def test_empty_incidents_tab_reports_its_required_columns(register_from):
    content = {"Incidents": [], "Actions": [ACTION_HEADERS]}

    findings = [f for f in run_checks(register_from(content)).findings if f.rule == "header-missing"]

    assert [f.message.split(" column")[0] for f in findings] == [
        "the Incidents tab has no 'ID'",
        "the Incidents tab has no 'Severity'",
        "the Incidents tab has no 'Resolved at'",
        "the Incidents tab has no 'Post-mortem status'",
    ]


def test_optional_timeline_tab_with_a_missing_column_is_skipped(register_from):
    content = tables([incident()], [action()], Timeline=[["Incident ID", "Time"], ["INC-9", datetime(2026, 11, 2, 9, 0)]])

    findings = run_checks(register_from(content)).findings

    assert rules(findings) == ["header-missing"]
    assert "the Timeline tab has no 'Event' column" in findings[0].message


def test_findings_and_unknown_tabs_are_ignored(register_from):
    content = tables(
        [incident()],
        [action()],
        Findings=[["Level", "Rule"], ["error", "made-up"]],
        Notes=[["anything"], ["#REF!"]],
    )

    assert run_checks(register_from(content)).findings == []
