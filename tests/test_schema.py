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
from conftest import ACTION_HEADERS, INCIDENT_HEADERS, UTC, action_row, incident_row, run_checks, tables

from pmsheets.model import ActionStatus, ActionType, CustomerImpact, Finding, PostmortemStatus, Severity
from pmsheets.schema import ParseSettings, parse
from pmsheets.validation import NotARegister

BERLIN = ZoneInfo("Europe/Berlin")
# 2026-11-20 14:05 as a spreadsheet serial number (days since 1899-12-30).
SERIAL_2026_11_20 = 46346
SERIAL_2026_11_20_1405 = 46346 + (14 * 60 + 5) / 1440

INCIDENT: dict[str, Any] = {
    "id": "INC-1",
    "title": "Checkout errors after a config deploy",
    "severity": "P0",
    "detected_at": datetime(2026, 11, 2, 9, 0),
    "resolved_at": datetime(2026, 11, 2, 10, 30),
    "customer_impact": "Non-trivial",
    "impact_minutes": 90,
    "incident_owner": "Ana Lima",
    "primary_responder": "Bo Chen",
    "post_mortem_status": "Closed",
    "draft_date": date(2026, 11, 3),
    "review_date": date(2026, 11, 5),
    "closed_date": date(2026, 11, 20),
    "post_mortem_doc": "https://docs.example.com/pm/inc-1",
}
ACTION: dict[str, Any] = {
    "id": "ACT-1",
    "incident_id": "INC-1",
    "action": "Validate the config schema in the pipeline",
    "type": "Short-term",
    "owner": "Bo Chen",
    "due_date": date(2026, 11, 30),
    "tracking_link": "OPS-101",
    "status": "Done",
    "completed_on": date(2026, 11, 10),
}


def incident(**changes: Any) -> list[Any]:
    return incident_row(**{**INCIDENT, **changes})


def action(**changes: Any) -> list[Any]:
    return action_row(**{**ACTION, **changes})


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


def test_clean_register_reads_without_findings(register_from):
    result = run_checks(register_from(tables([incident()], [action()])))

    assert result.findings == []
    assert len(result.register.incidents) == 1
    assert len(result.register.actions) == 1


# --- dates and datetimes ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "cell",
    [
        pytest.param(datetime(2026, 11, 20, 14, 5), id="date cell"),
        pytest.param("2026-11-20 14:05", id="text with space"),
        pytest.param("2026-11-20T14:05", id="text with T"),
        pytest.param("  2026-11-20 14:05 ", id="text with spaces around"),
        pytest.param("2026-11-20T15:05+01:00", id="text with +01:00 offset"),
        pytest.param("2026-11-20T14:05Z", id="text with Z"),
        pytest.param(SERIAL_2026_11_20_1405, id="serial number"),
    ],
)
def test_resolved_at_reads_date_cells_and_iso_text(register_from, cell):
    record, findings = read_incident(register_from, resolved_at=cell)

    assert record.resolved_at == datetime(2026, 11, 20, 14, 5, tzinfo=UTC)
    assert "value-invalid" not in rules(findings)


@pytest.mark.parametrize(
    "cell",
    [
        pytest.param("2026-11-20", id="date-only text"),
        pytest.param(date(2026, 11, 20), id="date-only cell"),
        pytest.param(SERIAL_2026_11_20, id="whole serial number"),
    ],
)
def test_resolved_at_date_only_means_midnight(register_from, cell):
    record, _ = read_incident(register_from, resolved_at=cell)

    assert record.resolved_at == datetime(2026, 11, 20, 0, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    "cell",
    [
        pytest.param(date(2026, 11, 20), id="date cell"),
        pytest.param(datetime(2026, 11, 20, 0, 0), id="datetime cell at midnight"),
        pytest.param("2026-11-20", id="ISO text"),
        pytest.param(" 2026-11-20 ", id="ISO text with spaces"),
        pytest.param("2026-11-20 14:05", id="ISO text with a time"),
        pytest.param(SERIAL_2026_11_20, id="serial number"),
    ],
)
def test_draft_date_reads_date_cells_and_iso_text(register_from, cell):
    record, findings = read_incident(register_from, draft_date=cell, review_date=date(2026, 11, 20))

    assert record.draft_date == date(2026, 11, 20)
    assert findings == []


def test_naive_datetime_cell_is_in_the_settings_timezone(register_from):
    record, _ = read_incident(
        register_from, ParseSettings(timezone=BERLIN), resolved_at=datetime(2026, 11, 20, 14, 5)
    )

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


@pytest.mark.parametrize(
    ("cell", "says"),
    [
        pytest.param(
            "yesterday",
            "'yesterday' is not a date and time. Use a date cell or text like 2026-11-20 14:05 or 2026-11-20T14:05+01:00.",
            id="word",
        ),
        pytest.param("2026-13-01 10:00", "'2026-13-01 10:00' is not a date and time. Use a date cell", id="month 13"),
        pytest.param(True, "TRUE/FALSE is not a date and time. Use a date cell", id="boolean"),
        pytest.param(-5, "-5 is a number, not a date. Use a date cell", id="negative number"),
        pytest.param(3_000_000, "3000000 is a number, not a date. Use a date cell", id="number past 9999-12-31"),
    ],
)
def test_unreadable_resolved_at_is_value_invalid(register_from, cell, says):
    record, findings = read_incident(register_from, resolved_at=cell)

    (finding,) = [f for f in findings if f.rule == "value-invalid"]
    assert (finding.level, finding.cell, finding.incident) == ("error", "Incidents!E2", "INC-1")
    assert finding.message.startswith(f"Resolved at: {says}")
    assert record.resolved_at is None


# --- Yes/No -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        pytest.param("Yes", True, id="Yes"),
        pytest.param(" yes ", True, id="yes with spaces"),
        pytest.param("Y", True, id="Y"),
        pytest.param("y", True, id="y"),
        pytest.param("TRUE", True, id="TRUE text"),
        pytest.param("True", True, id="True text"),
        pytest.param("1", True, id="1 text"),
        pytest.param(1, True, id="1 number"),
        pytest.param(True, True, id="boolean true"),
        pytest.param("No", False, id="No"),
        pytest.param(" NO ", False, id="NO with spaces"),
        pytest.param("n", False, id="n"),
        pytest.param("false", False, id="false text"),
        pytest.param("0", False, id="0 text"),
        pytest.param(0, False, id="0 number"),
        pytest.param(False, False, id="boolean false"),
        pytest.param(None, False, id="blank means No"),
        pytest.param("   ", False, id="spaces mean No"),
    ],
)
def test_yes_no_variants(register_from, cell, expected):
    record, findings = read_incident(register_from, systemic_gap=cell)

    assert record.systemic_gap is expected
    assert "value-invalid" not in rules(findings)


@pytest.mark.parametrize(
    ("cell", "shown"), [pytest.param("maybe", "'maybe'", id="maybe"), pytest.param(2, "2", id="2")]
)
def test_yes_no_rejects_anything_else(register_from, cell, shown):
    _, findings = read_incident(register_from, security_concern=cell)

    (finding,) = [f for f in findings if f.rule == "value-invalid"]
    assert (finding.level, finding.cell, finding.incident) == ("error", "Incidents!I2", "INC-1")
    assert finding.message == f"Security concern: {shown} is not Yes or No. Use Yes or No (blank means No)."


# --- choices -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "cell", "expected"),
    [
        pytest.param("severity", " p1 ", Severity.P1, id="severity p1"),
        pytest.param("customer_impact", "  non-TRIVIAL ", CustomerImpact.NON_TRIVIAL, id="non-TRIVIAL"),
        pytest.param("customer_impact", "nontrivial", CustomerImpact.NON_TRIVIAL, id="nontrivial"),
        pytest.param("customer_impact", "NONE", CustomerImpact.NONE, id="NONE"),
        pytest.param("post_mortem_status", "REVIEWED", PostmortemStatus.REVIEWED, id="REVIEWED"),
        pytest.param("post_mortem_status", "not started", PostmortemStatus.NOT_STARTED, id="not started"),
        pytest.param("post_mortem_status", None, PostmortemStatus.NOT_STARTED, id="blank status is Not started"),
    ],
)
def test_incident_choices_ignore_case_spaces_and_punctuation(register_from, field, cell, expected):
    record, findings = read_incident(register_from, **{field: cell})

    assert getattr(record, field.replace("post_mortem", "postmortem")) is expected
    assert "value-invalid" not in rules(findings)


@pytest.mark.parametrize(
    ("field", "cell", "expected"),
    [
        pytest.param("status", "won't do", ActionStatus.WONT_DO, id="won't do"),
        pytest.param("status", "WONT DO", ActionStatus.WONT_DO, id="WONT DO"),
        pytest.param("status", "in progress", ActionStatus.IN_PROGRESS, id="in progress"),
        pytest.param("status", "In-Progress", ActionStatus.IN_PROGRESS, id="In-Progress"),
        pytest.param("status", " done ", ActionStatus.DONE, id="done"),
        pytest.param("status", None, ActionStatus.OPEN, id="blank status is Open"),
        pytest.param("type", "short term", ActionType.SHORT_TERM, id="short term"),
        pytest.param("type", " long-TERM ", ActionType.LONG_TERM, id="long-TERM"),
    ],
)
def test_action_choices_ignore_case_spaces_and_punctuation(register_from, field, cell, expected):
    record, findings = read_action(register_from, **{field: cell}, completed_on=date(2026, 11, 10))

    assert getattr(record, field) is expected
    assert "value-invalid" not in rules(findings)


def test_unknown_choice_lists_what_is_accepted(register_from):
    _, findings = read_action(register_from, status="Finished")

    (finding,) = [f for f in findings if f.rule == "value-invalid"]
    assert (finding.level, finding.cell, finding.incident, finding.action) == ("error", "Actions!H2", "INC-1", "ACT-1")
    assert finding.message == "Status: 'Finished' is not one of: Open, In progress, Done, Won't do."


# --- numbers, text and lists -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        pytest.param(16, 16.0, id="whole number"),
        pytest.param(16.5, 16.5, id="fraction"),
        pytest.param(0, 0.0, id="zero"),
        pytest.param("16", 16.0, id="text"),
        pytest.param(" 16.5 ", 16.5, id="text with spaces"),
        pytest.param("1,200", 1200.0, id="thousands separator"),
    ],
)
def test_impact_minutes_reads_numbers(register_from, cell, expected):
    record, findings = read_incident(register_from, impact_minutes=cell)

    assert record.impact_minutes == expected
    assert "value-invalid" not in rules(findings)


@pytest.mark.parametrize(
    ("cell", "says"),
    [
        pytest.param("16 min", "'16 min' is not a number", id="unit"),
        pytest.param("1,5", "'1,5' is not a number", id="decimal comma"),
        pytest.param(-3, "-3 is not a positive number", id="negative"),
        pytest.param(True, "TRUE/FALSE is not a number", id="boolean"),
    ],
)
def test_impact_minutes_rejects_non_numbers(register_from, cell, says):
    record, findings = read_incident(register_from, impact_minutes=cell)

    (finding,) = [f for f in findings if f.rule == "value-invalid"]
    assert finding.cell == "Incidents!G2"
    assert finding.message.startswith("Impact minutes: ")
    assert says in finding.message
    assert "Use a number of minutes, like 45." in finding.message
    assert record.impact_minutes is None


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


@pytest.mark.parametrize(
    ("tab", "field", "error", "cell"),
    [
        pytest.param("Incidents", "severity", "#REF!", "Incidents!C2", id="choice"),
        pytest.param("Incidents", "resolved_at", "#N/A", "Incidents!E2", id="datetime"),
        pytest.param("Incidents", "impact_minutes", "#DIV/0!", "Incidents!G2", id="number"),
        pytest.param("Incidents", "systemic_gap", "#VALUE!", "Incidents!H2", id="yes/no"),
        pytest.param("Incidents", "incident_owner", "#NAME?", "Incidents!K2", id="text"),
        pytest.param("Incidents", "contributors", "#NUM!", "Incidents!M2", id="list"),
        pytest.param("Incidents", "draft_date", "#REF!", "Incidents!O2", id="date"),
        pytest.param("Actions", "due_date", "#N/A", "Actions!F2", id="action date"),
        pytest.param("Actions", "tracking_link", "#REF!", "Actions!G2", id="action text"),
    ],
)
def test_spreadsheet_error_is_value_invalid(register_from, tab, field, error, cell):
    if tab == "Incidents":
        content = tables([incident(**{field: error})], [action()])
    else:
        content = tables([incident()], [action(**{field: error})])

    findings = run_checks(register_from(content)).findings

    (finding,) = [f for f in findings if f.rule == "value-invalid"]
    assert (finding.level, finding.cell) == ("error", cell)
    assert f"the cell shows the error {error}; fix the formula or type the value" in finding.message


# --- an invalid cell: reported once, and the rest of the row is still checked ----------------------------


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


@pytest.mark.parametrize(
    ("tab", "changes", "cell", "missing_rule"),
    [
        pytest.param("Incidents", {"id": "#REF!"}, "Incidents!A2", "id-missing", id="incident id"),
        pytest.param("Incidents", {"severity": "P3"}, "Incidents!C2", "severity-missing", id="severity"),
        pytest.param("Incidents", {"incident_owner": "#REF!"}, "Incidents!K2", "owner-missing", id="owner"),
        pytest.param("Incidents", {"primary_responder": "#N/A"}, "Incidents!L2", "responder-missing", id="responder"),
        pytest.param(
            "Incidents", {"severity": "P1", "customer_impact": "lots", "impact_minutes": None},
            "Incidents!F2", "postmortem-undetermined", id="customer impact",
        ),
        pytest.param("Incidents", {"draft_date": "soon"}, "Incidents!O2", "draft-date-missing", id="draft date"),
        pytest.param(
            "Incidents", {"review_date": "soon", "closed_date": None}, "Incidents!P2", "review-date-missing",
            id="review date",
        ),
        pytest.param("Incidents", {"post_mortem_doc": "#REF!"}, "Incidents!R2", "doc-missing", id="post-mortem doc"),
        pytest.param("Actions", {"id": "#N/A"}, "Actions!A2", "id-missing", id="action id"),
        pytest.param("Actions", {"incident_id": "#REF!"}, "Actions!B2", "incident-unknown", id="incident id of action"),
        pytest.param("Actions", {"type": "Medium-term"}, "Actions!D2", "action-type-missing", id="type"),
        pytest.param("Actions", {"owner": "#REF!"}, "Actions!E2", "action-owner-missing", id="action owner"),
        pytest.param("Actions", {"due_date": "next week"}, "Actions!F2", "action-due-missing", id="due date"),
        pytest.param("Actions", {"tracking_link": "#N/A"}, "Actions!G2", "action-link-missing", id="tracking link"),
        pytest.param("Actions", {"completed_on": "done"}, "Actions!I2", "action-done-without-date", id="completed on"),
    ],
)
def test_invalid_cell_is_not_also_reported_missing(register_from, tab, changes, cell, missing_rule):
    if tab == "Incidents":
        content = tables([incident(**changes)], [action()])
    else:
        content = tables([incident()], [action(**changes)])

    findings = run_checks(register_from(content)).findings

    assert at(findings, cell) == ["value-invalid"]
    assert missing_rule not in rules(findings)


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
        "the Incidents tab has no 'Resolved at' column in row 1, so the tab is not checked. "
        "Add a column headed 'Resolved at'."
    )
    assert result.register.incidents == ()


def test_each_missing_required_column_is_reported(register_from):
    headers = [h for h in ACTION_HEADERS if h not in ("Owner", "Type")]
    content = {"Incidents": [INCIDENT_HEADERS, incident()], "Actions": [headers]}

    findings = run_checks(register_from(content)).findings

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

    with pytest.raises(NotARegister, match="does not look like a post-mortem register.*'Budget'"):
        run_checks(backend)


def test_empty_incidents_tab_reports_its_required_columns(register_from):
    content = {"Incidents": [], "Actions": [ACTION_HEADERS]}

    findings = run_checks(register_from(content)).findings

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
