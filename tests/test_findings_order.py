"""The order of findings (printed, in the Findings tab): register-wide first, then tab, row, column, rule."""

from __future__ import annotations

from pmsheets.core.check import sort_findings
from pmsheets.model import Finding, Level, Register


def at(cell: str | None, rule: str = "owner-missing") -> Finding:
    return Finding(rule, Level.ERROR, "m", None, None, cell)


def order(*findings: Finding, register: Register | None = None) -> list[str | None]:
    return [f.cell for f in sort_findings(list(findings), register or Register())]


def test_register_wide_findings_come_first() -> None:
    assert order(at("Actions!E2"), at(None), at("Incidents!B9")) == [None, "Incidents!B9", "Actions!E2"]


def test_tabs_follow_the_register_order_then_rows_then_columns() -> None:
    cells = ["Actions!B3", "Actions!AA2", "Incidents!C10", "Actions!B2", "Incidents!C9", "Actions!Z2"]
    assert order(*map(at, cells)) == ["Incidents!C9", "Incidents!C10", "Actions!B2", "Actions!Z2", "Actions!AA2", "Actions!B3"]


def test_the_same_cell_is_ordered_by_rule() -> None:
    later, earlier = at("Actions!E2", "action-overdue"), at("Actions!E2", "action-owner-missing")
    assert [f.rule for f in sort_findings([later, earlier], Register())] == ["action-owner-missing", "action-overdue"]


def test_a_renamed_quoted_tab_keeps_its_place() -> None:
    register = Register(tab_titles={"incidents": "Incident log"})
    assert order(at("Actions!A2"), at("'Incident log'!A5"), register=register) == ["'Incident log'!A5", "Actions!A2"]


def test_text_that_is_not_a_cell_reference_counts_as_register_wide() -> None:
    assert order(at("Incidents!A2"), at("Actions!a1"), at("x12")) == ["Actions!a1", "x12", "Incidents!A2"]
