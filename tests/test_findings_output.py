"""What a PM reads: times in the team's zone, unreadable cells skipped, the terminal table, the private what-if."""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from pmsheets.cli.main import print_table, table_findings
from pmsheets.core.check import Validation, findings_rows
from pmsheets.core.policy import Policy
from pmsheets.core.schema import ParseSettings
from pmsheets.model import Finding, Level, Register
from tests.builders import AS_OF, action_row, in_memory, incident_row, run_checks, tables, write_workbook
from tests.cli_helpers import ConfiguredRegister, run

BERLIN = ZoneInfo("Europe/Berlin")
LONG = "resolved 3 days ago (2026-11-24 09:00) and still no draft; it was due within 48 h. Write the draft and set Post-mortem status to Draft."


@pytest.fixture
def overdue_register(tmp_path: Path) -> Path:
    action = action_row(id="ACT-1", incident_id="INC-1", type="Short-term", owner="Ann", due_date=date(2026, 11, 20), tracking_link="OPS-1")
    old = [["Level", "Rule", "Incident", "Action", "Owner", "Cell", "Message"], ["info", "from-yesterday", "", "", "", "", "kept"]]
    content = tables(incidents=[incident_row(id="INC-1", severity="P2")], actions=[action], Findings=old)
    return write_workbook(tmp_path / "register.xlsx", content)


def berlin_checks(content: dict[str, object]) -> Validation:
    return run_checks(in_memory(content), policy=Policy(timezone=BERLIN), settings=ParseSettings(timezone=BERLIN))


# --- times in the team's zone ----------------------------------------------------------------------


def test_a_resolution_typed_with_a_utc_offset_is_shown_in_the_team_zone() -> None:
    content = tables(incidents=[incident_row(id="INC-1", severity="P0", resolved_at="2026-11-24T08:00:00+00:00")])
    [finding] = [f for f in berlin_checks(content).findings if f.rule == "draft-overdue"]
    assert "resolved Tue 24 Nov 2026 09:00" in finding.message  # 08:00 UTC is 09:00 in Berlin


def test_dates_out_of_order_shows_both_times_in_the_team_zone() -> None:
    row = incident_row(id="INC-1", severity="P2", detected_at="2026-11-24T10:00:00+00:00", resolved_at="2026-11-24 09:30")
    [finding] = [f for f in berlin_checks(tables(incidents=[row])).findings if f.rule == "dates-out-of-order"]
    assert "Resolved at (Tue 24 Nov 2026 09:30) is before Detected at (Tue 24 Nov 2026 11:00)" in finding.message


def test_the_summary_line_is_in_the_team_zone(tmp_path: Path, overdue_register: Path) -> None:
    config = tmp_path / "pmsheets.yaml"
    config.write_text(f"timezone: Europe/Berlin\nregister:\n  path: {overdue_register.name}\n", encoding="utf-8")
    _, out, _ = run("--config", str(config), "validate", "--as-of", "2026-11-27T09:00:00+00:00", "--no-write")
    assert out.splitlines()[-1].endswith("as of 2026-11-27 10:00 CET")


# --- an unreadable cell is skipped by every rule that needs it ---------------------------------------


def test_an_unreadable_review_date_does_not_make_due_too_far_count_from_the_resolution() -> None:
    content = tables(
        incidents=[
            incident_row(id="INC-1", severity="P2", resolved_at="2026-01-01 10:00", post_mortem_status="Reviewed", review_date="soon")
        ],
        actions=[
            action_row(id="ACT-1", incident_id="INC-1", type="Short-term", owner="Ann", due_date=date(2026, 11, 20), tracking_link="OPS-1")
        ],
    )
    rules = {f.rule for f in run_checks(in_memory(content)).findings}
    assert "value-invalid" in rules
    assert "action-due-too-far" not in rules


# --- the terminal table --------------------------------------------------------------------------------


def validation(*findings: Finding) -> Validation:
    return Validation(Register(), list(findings), datetime(2026, 11, 27, 9, tzinfo=ZoneInfo("UTC")))


DRAFT_OVERDUE = Finding("draft-overdue", Level.ERROR, LONG, incident="INC-102", cell="Incidents!N3")
REQUIRED = Finding(
    "postmortem-required", Level.INFO, "needs a post-mortem (P0 incidents always need one).", incident="INC-102", cell="Incidents!N3"
)
OVERDUE = Finding(
    "action-overdue", Level.ERROR, "due 2026-11-15, 12 days overdue (Open).", incident="INC-104", action="ACT-007", cell="Actions!F8"
)


def table(result: Validation, width: int | None) -> list[str]:
    out = io.StringIO()
    print_table(result, out, color=False, width=width)
    return out.getvalue().splitlines()


def test_each_line_names_the_incident_or_action_after_the_cell() -> None:
    lines = table(validation(DRAFT_OVERDUE, OVERDUE), None)
    assert lines[1].split()[:2] == ["Incidents!N3", "INC-102"]
    assert lines[3].split()[:2] == ["Actions!F8", "ACT-007"]


def test_an_info_repeating_an_error_on_the_same_cell_is_left_out_of_the_table() -> None:
    assert table_findings([REQUIRED, DRAFT_OVERDUE, OVERDUE]) == [DRAFT_OVERDUE, OVERDUE]


def test_an_info_alone_on_its_cell_stays() -> None:
    alone = REQUIRED._replace(cell="Incidents!N4")
    assert table_findings([alone, DRAFT_OVERDUE]) == [alone, DRAFT_OVERDUE]


def test_the_json_keeps_the_info_the_table_leaves_out() -> None:
    result = validation(REQUIRED, DRAFT_OVERDUE)
    assert [f["rule"] for f in result.as_json()["findings"]] == ["postmortem-required", "draft-overdue"]  # type: ignore[index]


def test_piped_output_is_one_line_per_finding() -> None:
    lines = table(validation(DRAFT_OVERDUE, OVERDUE), None)
    assert len(lines) == 5  # two tab headings, two findings, the counts
    assert lines[1].endswith(LONG)


def test_on_an_80_column_terminal_each_line_fits_and_the_message_wraps_under_itself() -> None:
    lines = table(validation(DRAFT_OVERDUE, OVERDUE), 80)
    finding_lines = lines[1:4]  # the draft-overdue finding: its line and the message under it
    assert all(len(line) <= 80 for line in finding_lines)
    indents = {len(line) - len(line.lstrip()) for line in finding_lines[1:]}
    assert len(indents) == 1  # every message line starts in the same column
    assert " ".join(line.strip() for line in finding_lines[1:]) == LONG


def test_on_a_wide_terminal_the_message_stays_beside_the_finding_and_wraps_under_itself() -> None:
    lines = table(validation(DRAFT_OVERDUE, OVERDUE), 120)
    column = lines[1].index("resolved")
    assert all(len(line) <= 120 for line in lines[1:3])
    assert lines[2][:column].strip() == ""
    assert lines[2][column] != " "
    assert " ".join([lines[1][column:], lines[2].strip()]) == LONG


def test_a_narrow_terminal_puts_the_message_under_the_line() -> None:
    lines = table(validation(DRAFT_OVERDUE), 50)
    assert all(len(line) <= 50 for line in lines[1:-1])
    assert lines[2].startswith("      resolved")


# --- the what-if is private --------------------------------------------------------------------------


def test_a_what_if_prints_but_does_not_write_the_findings_tab(configure: Callable[..., ConfiguredRegister], overdue_register: Path) -> None:
    register = configure(overdue_register)
    code, out, _ = run("--config", register.config, "validate", "--as-of", "2026-12-10")
    assert code == 1
    assert "action-overdue" in out
    assert "What-if: the Findings tab was not written" in out
    assert register.findings_tab()[1][1] == "from-yesterday"


def test_a_what_if_with_write_writes_it(configure: Callable[..., ConfiguredRegister], overdue_register: Path) -> None:
    register = configure(overdue_register)
    run("--config", register.config, "validate", "--as-of", "2026-12-10", "--write")
    assert register.findings_tab()[1][1] == "action-overdue"


def test_the_owner_column_names_the_action_owner_else_the_incident_owner() -> None:
    content = tables(
        incidents=[incident_row(id="INC-1", severity="P0", incident_owner="Pat", resolved_at="2026-11-20 10:00")],
        actions=[
            action_row(id="ACT-1", incident_id="INC-1", type="Short-term", owner="Ann", due_date=date(2026, 11, 1), tracking_link="OPS-1"),
            action_row(id="ACT-2", incident_id="INC-1", type="Short-term", due_date=date(2026, 12, 20), tracking_link="OPS-2"),
        ],
    )
    result = run_checks(in_memory(content), as_of=AS_OF)
    owners = {(row[1], row[3]): row[4] for row in findings_rows(result.findings, result.register)}
    assert owners[("action-overdue", "ACT-1")] == "Ann"
    assert owners[("action-owner-missing", "ACT-2")] == "Pat"
    assert owners[("draft-overdue", "")] == "Pat"


def test_json_output_has_no_owner_key(configure: Callable[..., ConfiguredRegister], overdue_register: Path) -> None:
    _, out, _ = run("--config", configure(overdue_register).config, "validate", "--format", "json", "--no-write")
    assert set(json.loads(out)["findings"][0]) == {"rule", "level", "incident", "action", "cell", "message"}
