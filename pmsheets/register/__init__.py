"""Register backends: where the raw tables come from and where the Findings tab goes.

A backend does I/O only. It hands over raw rows (schema.RawWorkbook) and writes the rows
the tool owns; everything about meaning lives in schema and policy.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Protocol

from pmsheets import __version__
from pmsheets.core.schema import FINDINGS_HEADERS, FINDINGS_TITLE, RawWorkbook, normalize

FindingsRows = Sequence[Sequence[str]]
"""The Findings tab without its header row: one row per finding, as text."""

TabFilter = Callable[[str], bool]
"""Which tabs a read fetches, by title."""

FINDINGS_LAYOUT = "3"
"""Goes into every findings digest: change it when the Findings tab's layout or formatting changes,
so that each register's tab is written once more in the new layout even though its findings are the same.
(3: the highlight rule lists the flagged cells; the workbook's hidden copy of the Cell column is gone.)"""


def findings_digest(rows: FindingsRows, *, highlight: bool = True) -> str:
    """A fingerprint of what a Findings write would put on the tab (header, rows, layout, tool version, and
    whether PM tabs carry the highlight rule).

    Backends keep it next to the tab they write; the same digest later means the tab already shows
    these findings, so the write is left out. The check time in the header (FindingsLook.stamp) is left
    out on purpose: it alone must not make a write, so the tab shows when its findings last changed."""
    prefix = f"{FINDINGS_LAYOUT}\x1e{__version__}\x1ehighlight={highlight}\x1e{_joined([FINDINGS_HEADERS])}"
    hasher = hashlib.sha256(prefix.encode())
    for start in range(0, len(rows), 10_000):
        hasher.update(_joined(rows[start : start + 10_000]).encode("utf-8", "surrogatepass"))
    return hasher.hexdigest()


def _joined(rows: FindingsRows) -> str:
    """Cells and rows joined with the ASCII unit and record separators (4x faster than JSON at a million
    rows); JSON when a cell holds one of them itself, so the joined text still says where each cell ends."""
    text = "".join("\x1f".join(row) + "\x1e" for row in rows)
    if text.count("\x1e") == len(rows) and text.count("\x1f") == sum(len(row) - 1 for row in rows):
        return text
    return json.dumps(rows, ensure_ascii=False)


@dataclass(frozen=True, slots=True)
class FindingsLook:
    """What goes with the Findings rows: the check time and version for the header, and whether the PM tabs mark flagged cells."""

    stamp: str = ""
    highlight: bool = True


def write_findings_if_changed(
    backend: RegisterBackend, rows: FindingsRows, *, look: FindingsLook | None = None, on_sent: Callable[[], None] = lambda: None
) -> tuple[int, bool]:
    """Write the Findings tab unless it already shows exactly these rows; (rows shown, whether written).

    An unchanged tab is not written at all: no new entry in the sheet's version history, no write
    quota spent, the workbook file left as it was (same bytes, same modification time)."""
    look = look or FindingsLook()
    shown = backend.findings_unchanged(rows, highlight=look.highlight)
    if shown is not None:
        on_sent()
        return shown, False
    return backend.write_findings(rows, stamp=look.stamp, highlight=look.highlight, on_sent=on_sent), True


def every_tab(title: str) -> bool:
    return True


def tabs_named(*titles: str) -> TabFilter:
    """The tabs with these titles, matched as tab names are (case, spaces and punctuation ignored)."""
    wanted = {normalize(title) for title in titles}
    return lambda title: normalize(title) in wanted


def all_but_findings(title: str) -> bool:
    """What a check reads: the Findings tab is the tool's own output, up to 40 % of the grid at scale."""
    return normalize(title) != normalize(FINDINGS_TITLE)


@dataclass(frozen=True, slots=True)
class RawRegister:
    """What a backend read: the raw tables, the medium's own time zone if it has one, and its address if it has one."""

    tables: RawWorkbook
    timezone: str | None = None
    url: str | None = None
    """Where people open the register (a Google Sheet's address); None for a workbook file."""
    sheet_ids: Mapping[str, int] = field(default_factory=dict)
    """Tab title -> the medium's id for the tab (Google's `gid`), for links to a row."""

    def headers_only(self, titles: Collection[str]) -> RawRegister:
        """The same read with the `titles` tabs cut to their header row: once the register is typed, the
        rows are not read again, and at the Sheets limit they are several hundred MB."""
        tables = {title: rows[:1] if title in titles else rows for title, rows in self.tables.items()}
        return replace(self, tables=tables)


class RegisterBackend(Protocol):
    writes_concurrently: bool
    """Whether the Findings tab may be written while other requests go on (not so for a file rewritten whole)."""

    def describe(self) -> str:
        """A short human name for messages, e.g. the file name or the spreadsheet title."""
        ...

    def read(self, wanted: TabFilter = every_tab) -> RawRegister:
        """The wanted tabs' rows from A1, in tab order, in as few requests as the medium allows."""
        ...

    def ensure_writable(self) -> None:
        """Raise WriteRefused when a write would be refused right now (say, the workbook is open in Excel).

        Callers that must not act before they can record what they did (sending e-mail) ask first.
        """
        ...

    def findings_unchanged(self, rows: FindingsRows, *, highlight: bool = True) -> int | None:
        """How many rows the Findings tab shows when it already holds exactly `rows` (as the last write left
        it, see findings_digest), else None. Costs no request on Google Sheets after a read."""
        ...

    def version(self) -> str | None:
        """A token that changes whenever anything in the register changes (the file's size and time, Drive's
        version), from one cheap request at most; None when the medium cannot tell."""
        ...

    def write_findings(
        self, rows: FindingsRows, *, stamp: str = "", highlight: bool = True, on_sent: Callable[[], None] = lambda: None
    ) -> int:
        """Replace the Findings tab's content (creating the tab if needed) in one write.

        The tab gets a bold frozen header with a filter (a PM's filter criteria are kept), the level
        coloured, each cell reference a link to its cell, and `stamp` (check time and version) in
        the Message header. With `highlight`, each PM tab with cells the Findings tab shows carries
        the tool's one conditional format, whose ranges are those cells (see findings_look); a tab
        with none, or every tab without `highlight`, has that rule removed. Nothing a PM typed,
        formatted or made is changed.

        Returns how many of the rows the tab shows: all, unless the medium cannot take them in one
        write (Google Sheets, see findings_fit). `on_sent` is called once the rows have left and
        the medium is applying them."""
        ...

    def fill_blank_cells(
        self,
        tab: str,
        id_header: str,
        updates: Mapping[str, Mapping[str, str]],
        *,
        replaceable: Mapping[str, Collection[str]] | None = None,
    ) -> list[str]:
        """Write {row id: {header: text}} into cells that are blank at write time; return the cells written.

        Rows are found by ID and columns by header when writing, never by a remembered row number.
        `replaceable` ({header: values}) lists values that count as blank in that column.
        """
        ...

    def append_rows(self, title: str, headers: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
        """Append rows to a tool-owned tab (e.g. the Report log), creating it with `headers` when missing."""
        ...
