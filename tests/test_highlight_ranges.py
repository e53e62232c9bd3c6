"""Which ranges the highlight rule covers: the cells the findings name, merged into as few rectangles as cheaply found."""

from __future__ import annotations

import pytest

from pmsheets.model import RowRef
from pmsheets.register.findings_look import highlight_ranges


def a1(references: list[str], tabs: tuple[str, ...] = ("Incidents", "Actions")) -> dict[str, list[str]]:
    return {tab: [cells.a1() for cells in ranges] for tab, ranges in highlight_ranges(references, tabs).items()}


def test_one_cell_is_one_range() -> None:
    assert a1(["Incidents!N3"]) == {"Incidents": ["N3"]}


def test_cells_one_below_the_other_make_one_run() -> None:
    assert a1(["Incidents!N3", "Incidents!N5", "Incidents!N4"]) == {"Incidents": ["N3:N5"]}


def test_a_gap_in_a_column_splits_the_run() -> None:
    assert a1(["Incidents!N3", "Incidents!N4", "Incidents!N6"]) == {"Incidents": ["N3:N4", "N6"]}


def test_the_same_run_in_adjacent_columns_makes_one_rectangle() -> None:
    assert a1([f"Incidents!{column}{row}" for column in "MNO" for row in (3, 4)]) == {"Incidents": ["M3:O4"]}


def test_runs_over_different_rows_in_adjacent_columns_stay_apart() -> None:
    assert a1(["Incidents!N3", "Incidents!N4", "Incidents!O3"]) == {"Incidents": ["N3:N4", "O3"]}


def test_a_cell_named_twice_is_one_cell() -> None:
    assert a1(["Actions!F2", "Actions!F2"]) == {"Actions": ["F2"]}


def test_ranges_come_top_to_bottom_then_left_to_right_whatever_the_findings_order() -> None:
    assert a1(["Incidents!B9", "Incidents!Z2", "Incidents!C2"]) == {"Incidents": ["C2", "Z2", "B9"]}


def test_cells_of_other_tabs_and_references_that_name_no_cell_are_left_out() -> None:
    assert a1(["Findings!A2", "Actions!F2:F4", "", "Incidents", "Incidents!N0"]) == {}


def test_each_tab_gets_its_own_ranges() -> None:
    assert a1(["Incidents!N2", "Actions!N2"]) == {"Incidents": ["N2"], "Actions": ["N2"]}


@pytest.mark.parametrize("title", ["Incidents", "Post mortems", "It's"])
def test_a_cell_is_found_on_its_tab_however_the_findings_quote_the_tab_name(title: str) -> None:
    reference = RowRef(title, 7, {"owner": "N"}).cell("owner")
    assert reference is not None
    assert a1([reference], (title,)) == {title: ["N7"]}


def test_ten_thousand_rows_of_the_same_columns_are_one_rectangle() -> None:
    references = [f"Incidents!{column}{row}" for row in range(2, 10_002) for column in "KLMN"]
    assert a1(references) == {"Incidents": ["K2:N10001"]}
