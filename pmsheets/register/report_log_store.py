"""Appending rows to the register's tool-owned `Report log` tab, on either backend.

Like the Findings tab, the log is written without touching anything a PM typed: on a
workbook only the log sheet's part of the package is replaced (every other part is copied
byte for byte); on a Google Sheet the rows are appended with RAW input, so text stays text.
"""

from __future__ import annotations

from collections.abc import Sequence

from pmsheets.core.report_log import LOG_HEADERS, LOG_TITLE
from pmsheets.register import RegisterBackend

Rows = Sequence[Sequence[str]]


def append_report_log(backend: RegisterBackend, rows: Rows) -> None:
    if rows:
        backend.append_rows(LOG_TITLE, LOG_HEADERS, rows)
