"""Which Findings rows fit in one Google Sheets request.

The service refuses a request body over 10 MiB, and the Findings tab is replaced in one
request so that it is never seen half written. About 15,000 to 20,000 findings fit, by the
length of their messages; about one in seven fewer with the highlight on, whose ranges go in the
same request and are counted a cell a finding (see sheets.findings_update). When a register has
more, the tab keeps errors first, then warnings, then info, as many of each as fit (the first
ones, in the usual order, so no gap opens inside a level), and a first row says how many are
not shown and where they all are.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import NamedTuple

from pmsheets.core.schema import FINDINGS_HEADERS, FINDINGS_MESSAGE_COLUMN

LEVELS_BY_PRIORITY = ("error", "warning", "info")
NOT_SHOWN_RULE = "findings-not-shown"
# Room for the note row itself and the rest of the request around the rows.
_RESERVED_BYTES = 64 * 1024


def _none(row: Sequence[str]) -> int:
    return 0


class Fitted(NamedTuple):
    rows: list[str]
    """The encoded rows to write, the note row first when some are left out."""
    shown: int
    """How many of the findings are among them."""


def fitting_rows(
    rows: Sequence[Sequence[str]], encode: Callable[[Sequence[str]], str], max_bytes: int, *, extra: Callable[[Sequence[str]], int] = _none
) -> Fitted:
    """All the rows, encoded, when they fit in `max_bytes`; else the note row and a selection (see shown_rows).

    A row costs its encoded text and a comma, and `extra(row)` bytes more that the same request spends
    elsewhere on it (its cell's range in the highlight rule)."""
    budget = max_bytes - _RESERVED_BYTES
    encoded: list[str] = []
    size = 0
    for row in rows:
        text = encode(row)
        size += len(text) + 1 + extra(row)
        if size > budget:
            return _selection(rows, encode, extra, budget, known=encoded)
        encoded.append(text)
    return Fitted(encoded, len(encoded))


def shown_rows(rows: Sequence[Sequence[str]], shown: int) -> list[Sequence[str]]:
    """The rows a tab showing `shown` of `rows` holds, the note row left out.

    The count alone says which: all the rows, or the first `shown` in the order errors, warnings, info."""
    if shown >= len(rows):
        return list(rows)
    return [row for level in LEVELS_BY_PRIORITY for row in rows if row[0] == level][:shown]


def _selection(
    rows: Sequence[Sequence[str]],
    encode: Callable[[Sequence[str]], str],
    extra: Callable[[Sequence[str]], int],
    budget: int,
    *,
    known: list[str],
) -> Fitted:
    chosen: dict[int, str] = {}
    size = 0
    for level in LEVELS_BY_PRIORITY:
        for index, row in enumerate(rows):
            if row[0] != level:
                continue
            text = known[index] if index < len(known) else encode(row)
            cost = len(text) + 1 + extra(row)
            if size + cost > budget:
                break
            chosen[index] = text
            size += cost
        else:
            continue
        break
    note = encode(not_shown_row(shown=len(chosen), total=len(rows)))
    return Fitted([note, *(chosen[index] for index in sorted(chosen))], len(chosen))


def not_shown_row(*, shown: int, total: int) -> list[str]:
    message = (
        f"{total - shown:,} of {total:,} findings are not shown here: Google Sheets takes at most 10 MB in one request, "
        "so this tab keeps errors first, then warnings, then info, as many as fit. "
        "`pmsheets validate` and the Findings sheet of the Excel snapshot (`pmsheets export`) list them all."
    )
    row = ["info", NOT_SHOWN_RULE] + [""] * (len(FINDINGS_HEADERS) - 2)
    row[FINDINGS_MESSAGE_COLUMN] = message
    return row
