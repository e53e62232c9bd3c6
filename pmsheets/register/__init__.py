"""Register backends: where the raw tables come from and where the Findings tab goes.

A backend does I/O only. It hands over raw rows (schema.RawWorkbook) and writes the rows
the tool owns; everything about meaning lives in schema and policy.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from pmsheets.schema import RawWorkbook

FindingsRows = Sequence[Sequence[str]]
"""The Findings tab without its header row: one row per finding, as text."""


class RegisterBackend(Protocol):
    def describe(self) -> str:
        """A short human name for messages, e.g. the file name or the spreadsheet title."""
        ...

    def read(self) -> RawWorkbook:
        """Every tab's rows from A1, in tab order, in as few requests as the medium allows."""
        ...

    def write_findings(self, rows: FindingsRows) -> None:
        """Replace the Findings tab's content (creating the tab if needed), touching nothing else."""
        ...
