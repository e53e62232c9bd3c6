"""The Findings rows that fit in one Google Sheets request: all when they fit, else errors first and a note."""

from __future__ import annotations

from collections.abc import Sequence

from pmsheets.register.findings_fit import _RESERVED_BYTES, NOT_SHOWN_RULE, fitting_rows, shown_rows


def encode(row: Sequence[str]) -> str:
    return "|".join(row)


def finding(level: str, number: int) -> list[str]:
    return [level, "rule", f"INC-{number}", "", f"Actions!F{number}", "x" * 20]


def budget_for(rows: int) -> int:
    """Room for `rows` encoded findings of the shape above (each ~50 bytes and a comma)."""
    return _RESERVED_BYTES + rows * (len(encode(finding("warning", 10))) + 1)


def test_rows_that_fit_are_all_written_in_order() -> None:
    rows = [finding("warning", 10), finding("error", 11), finding("info", 12)]
    assert fitting_rows(rows, encode, budget_for(10)) == ([encode(row) for row in rows], 3)


def test_rows_past_the_budget_keep_errors_first_then_warnings() -> None:
    rows = [finding("warning", 10 + n) for n in range(5)] + [finding("error", 20 + n) for n in range(3)]
    written, shown = fitting_rows(rows, encode, budget_for(5))
    kept = [line.split("|")[2] for line in written[1:]]
    assert shown == len(kept)
    assert kept == ["INC-10", "INC-11", "INC-20", "INC-21", "INC-22"]  # every error, then the first warnings, in order


def test_the_note_row_comes_first_and_counts_what_is_left_out() -> None:
    rows = [finding("info", 10 + n) for n in range(20)]
    written, shown = fitting_rows(rows, encode, budget_for(5))
    level, rule, *_, message = written[0].split("|")
    assert (level, rule) == ("info", NOT_SHOWN_RULE)
    assert message.startswith(f"{20 - shown} of 20 findings are not shown here")


def test_a_level_is_cut_at_its_first_row_that_does_not_fit() -> None:
    long_warning = ["warning", "rule", "INC-1", "", "", "y" * 500]
    rows = [finding("warning", 10), long_warning, finding("warning", 11)]
    written, _ = fitting_rows(rows, encode, _RESERVED_BYTES + 120)
    assert [line.split("|")[2] for line in written[1:]] == ["INC-10"]


def test_bytes_a_row_costs_elsewhere_in_the_request_count_against_the_budget() -> None:
    rows = [finding("warning", 10 + n) for n in range(10)]
    row_bytes = len(encode(rows[0])) + 1
    assert fitting_rows(rows, encode, budget_for(10)).shown == 10
    assert fitting_rows(rows, encode, budget_for(10), extra=lambda row: row_bytes).shown == 5


def test_the_count_shown_says_which_rows_the_tab_holds() -> None:
    rows = [finding(level, n) for n, level in enumerate(["info", "warning", "error", "warning", "info", "error"] * 5)]
    for budget in (budget_for(3), budget_for(12), budget_for(29), budget_for(30)):
        written, shown = fitting_rows(rows, encode, budget)
        held = written if shown == len(rows) else written[1:]
        assert sorted(map(encode, shown_rows(rows, shown))) == sorted(held)
