"""How the Findings tab and the flagged cells look, the same on both backends.

The colours, widths, the highlight rule's formula and the ranges it covers live here once; xlsx and
sheets only spell them in their own format.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Iterator
from typing import NamedTuple

from pmsheets.core.schema import column_index, column_letter

LEVEL_COLOURS = {"error": "F4C7C3", "warning": "FCE8B2", "info": "CFE2F3"}
"""Background of the Level cell, by level (Google Sheets' light red, yellow and blue)."""
HEADER_COLOUR = "E8EAED"
HIGHLIGHT_COLOUR = "F9CB9C"
"""Background the highlight rule gives a flagged cell on a PM tab (light orange: no PM format uses it by default)."""
LINK_COLOUR = "1155CC"
FINDINGS_WIDTHS = (9, 26, 11, 11, 18, 16, 140)
"""Column widths in characters, in FINDINGS_HEADERS order."""

_A1 = re.compile(r"([A-Z]{1,3})([1-9][0-9]*)")
HIGHLIGHT_FORMULA = 'N("pmsheets: this cell is listed on the Findings tab")=0'
"""The highlight rule's condition, without the leading '=' (Google Sheets wants it, a workbook's <formula> does not).

Always true (N of a text is 0 in Google Sheets, Excel and LibreOffice): the rule's ranges are the flagged cells
themselves, so nothing is evaluated against the Findings tab. The text says to a PM who opens the rule what it is,
and tells the tool its own rule from a PM's."""
# What versions before the ranges-as-cells rule wrote: a lookup of every cell in the Findings tab's Cell column
# (Google through INDIRECT). Recognised so that the first write of a newer version removes it.
_LOOKUP_FORMULA = re.compile(r'COUNTIF\((?:INDIRECT\()?"?.*![$][A-Z]+:[$][A-Z]+"?\)?,".*"&ADDRESS\(ROW\(\),COLUMN\(\),4\)\)>0')


class Target(NamedTuple):
    """Where a finding's cell reference points: the tab's exact title and the cell in A1."""

    tab: str
    cell: str


def link_target(reference: str) -> Target | None:
    """'Incidents!N3' or "'My tab'!N3" -> its tab and cell; None when it is not a single-cell reference."""
    tab, bang, cell = reference.rpartition("!")
    if not (bang and tab and _A1.fullmatch(cell)):
        return None
    return Target(_unquoted(tab), cell)


def _unquoted(tab: str) -> str:
    """ "'My tab'" -> "My tab": a reference quotes a tab name as formulas do."""
    if tab.startswith("'") and tab.endswith("'") and len(tab) > 1:
        return tab[1:-1].replace("''", "'")
    return tab


def is_highlight_formula(formula: str) -> bool:
    """A rule this tool wrote (this version's or an older one's), so it may be replaced or removed; never a PM's."""
    text = formula.strip().removeprefix("=")
    return text == HIGHLIGHT_FORMULA or _LOOKUP_FORMULA.fullmatch(text) is not None


class CellRange(NamedTuple):
    """A rectangle of cells, 0-based and inclusive: row 0 is the sheet's first row, column 0 is A."""

    top: int
    left: int
    bottom: int
    right: int

    def a1(self) -> str:
        first = f"{column_letter(self.left)}{self.top + 1}"
        return first if (self.top, self.left) == (self.bottom, self.right) else f"{first}:{column_letter(self.right)}{self.bottom + 1}"


def highlight_ranges(references: Iterable[str], tabs: Collection[str]) -> dict[str, list[CellRange]]:
    """The cells the references (as link_target reads them) name on each of `tabs` (exact titles), as few
    rectangles as cheaply found.

    The cells of one column merge into vertical runs (N3, N4, N5 -> N3:N5); runs over the same rows in
    adjacent columns merge into one rectangle. A tab with no cell named is left out. Sorted top to bottom,
    then left to right, so the same cells always give the same list. A million references take 1 to 3 s."""
    rows_by_column: dict[str, dict[int, list[int]]] = {}
    # Caches: a register has a handful of tab names and column letters, repeated on every reference.
    titles: dict[str, str | None] = {}
    columns: dict[str, int] = {}
    for reference in references:
        tab, _, cell = reference.rpartition("!")
        if tab not in titles:
            titles[tab] = _unquoted(tab) if tab and _unquoted(tab) in tabs else None
        title = titles[tab]
        found = _A1.fullmatch(cell) if title is not None else None
        if title is None or found is None:
            continue
        letters = found[1]
        if letters not in columns:
            columns[letters] = column_index(letters)
        rows_by_column.setdefault(title, {}).setdefault(columns[letters], []).append(int(found[2]) - 1)
    return {title: _rectangles(cells) for title, cells in rows_by_column.items()}


def _rectangles(rows_by_column: dict[int, list[int]]) -> list[CellRange]:
    columns_by_run: dict[tuple[int, int], list[int]] = {}
    for column, rows in rows_by_column.items():
        for run in _runs(rows):
            columns_by_run.setdefault(run, []).append(column)
    ranges = [CellRange(top, left, bottom, right) for (top, bottom), columns in columns_by_run.items() for left, right in _runs(columns)]
    return sorted(ranges)


def _runs(numbers: list[int]) -> Iterator[tuple[int, int]]:
    """(first, last) of each run of consecutive numbers, in order; a number given twice counts once."""
    numbers.sort()
    first = last = numbers[0]
    for number in numbers:
        if number > last + 1:
            yield first, last
            first = number
        last = number
    yield first, last
