"""How the Findings tab and the flagged cells look, the same on both backends.

The colours, widths and the highlight rule's formula live here once; xlsx and sheets only
spell them in their own format.
"""

from __future__ import annotations

import re
from typing import NamedTuple

from pmsheets.core.schema import FINDINGS_CELL_COLUMN, FINDINGS_HEADERS, column_letter
from pmsheets.model import quote_tab

LEVEL_COLOURS = {"error": "F4C7C3", "warning": "FCE8B2", "info": "CFE2F3"}
"""Background of the Level cell, by level (Google Sheets' light red, yellow and blue)."""
HEADER_COLOUR = "E8EAED"
HIGHLIGHT_COLOUR = "F9CB9C"
"""Background the highlight rule gives a flagged cell on a PM tab (light orange: no PM format uses it by default)."""
LINK_COLOUR = "1155CC"
FINDINGS_WIDTHS = (9, 26, 11, 11, 18, 16, 140)
"""Column widths in characters, in FINDINGS_HEADERS order."""

_A1 = re.compile(r"[A-Z]{1,3}[1-9][0-9]*")
_HIGHLIGHT_FORMULA = re.compile(r'=?COUNTIF\((?:INDIRECT\()?"?.*![$][A-Z]+:[$][A-Z]+"?\)?,".*"&ADDRESS\(ROW\(\),COLUMN\(\),4\)\)>0')


class Target(NamedTuple):
    """Where a finding's cell reference points: the tab's exact title and the cell in A1."""

    tab: str
    cell: str


def link_target(reference: str) -> Target | None:
    """'Incidents!N3' or "'My tab'!N3" -> its tab and cell; None when it is not a single-cell reference."""
    tab, bang, cell = reference.rpartition("!")
    if not (bang and tab and _A1.fullmatch(cell)):
        return None
    if tab.startswith("'") and tab.endswith("'") and len(tab) > 1:
        tab = tab[1:-1].replace("''", "'")
    return Target(tab, cell)


KEY_COLUMN = len(FINDINGS_HEADERS)
"""The workbook's hidden column beside the table that repeats each Cell reference as plain text, for the
highlight rule: LibreOffice looks values up in hyperlinked cells so slowly that, reading the Cell column
itself, a 1,000-row tab with 5,000 findings took over 150 s to print instead of 34 s (bench/highlight.py)."""


def highlight_formula(pm_tab: str, findings_tab: str, *, indirect: bool, column: int = FINDINGS_CELL_COLUMN) -> str:
    """True on a cell of `pm_tab` that the Findings tab's Cell column (or `column`, holding the same) names.

    Google Sheets reaches another tab from a conditional format only through INDIRECT; Excel and
    LibreOffice take the reference as is. One rule per tab, reading the Findings tab, means the
    marks follow every write without the tool touching the PM's tab again.
    """
    letter = column_letter(column)
    cells = f"{quote_tab(findings_tab)}!${letter}:${letter}"
    source = f'INDIRECT("{_in_string(cells)}")' if indirect else cells
    return f'COUNTIF({source},"{_in_string(quote_tab(pm_tab))}!"&ADDRESS(ROW(),COLUMN(),4))>0'


def is_highlight_formula(formula: str) -> bool:
    """A rule this tool wrote (for any tab name or Findings column), so it may be replaced or removed; never a PM's."""
    return _HIGHLIGHT_FORMULA.fullmatch(formula.strip()) is not None


def _in_string(text: str) -> str:
    return text.replace('"', '""')
