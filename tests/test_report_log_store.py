"""The Report log tab on both backends: appended rows read back, and nothing else in the register changes."""

from __future__ import annotations

import zipfile
from collections.abc import Callable
from datetime import date
from pathlib import Path
from xml.etree import ElementTree

import openpyxl

from pmsheets.core.overdue import Headline
from pmsheets.core.report_log import LOG_TITLE, LogEntry, read_log
from pmsheets.register import RegisterBackend
from pmsheets.register.report_log_store import append_report_log
from pmsheets.register.xlsx import XlsxRegister
from tests.builders import Tables, tables, write_workbook
from tests.report_fixtures import open_action, reviewed_incident

ENTRY = LogEntry("overdue", "2026-W48", "team@example.com", "<1@example.com>", "2026-11-27T09:00:00+00:00", Headline(4, 2, 2))
FORMULA_ENTRY = LogEntry("escalation", "2026-W48", "=cmd@example.com", "<2@example.com>", "2026-11-27T09:00:01+00:00")


def register_tables() -> Tables:
    return tables(incidents=[reviewed_incident("INC-1")], actions=[open_action("ACT-001", "INC-1", date(2026, 11, 20))])


def test_report_log_appends_rows_that_read_back(register_from: Callable[[Tables], RegisterBackend]) -> None:
    backend = register_from(register_tables())
    append_report_log(backend, [ENTRY.row()])
    append_report_log(backend, [FORMULA_ENTRY.row()])
    assert read_log(backend.read().tables) == [ENTRY, FORMULA_ENTRY]


def test_report_log_keeps_the_pm_tabs(register_from: Callable[[Tables], RegisterBackend]) -> None:
    backend = register_from(register_tables())
    before = backend.read().tables
    append_report_log(backend, [ENTRY.row()])
    after = backend.read().tables
    assert {title: rows for title, rows in after.items() if title != LOG_TITLE} == dict(before)


def test_report_log_on_a_workbook_copies_every_other_part_unchanged(tmp_path: Path) -> None:
    path = write_workbook(tmp_path / "register.xlsx", register_tables())
    with zipfile.ZipFile(path) as package:
        before = {name: package.read(name) for name in package.namelist()}
    append_report_log(XlsxRegister(path), [ENTRY.row()])
    with zipfile.ZipFile(path) as package:
        after = {name: package.read(name) for name in package.namelist()}
    changed = {name for name in before if before[name] != after.get(name)}
    assert changed == {"xl/workbook.xml", "xl/_rels/workbook.xml.rels", "[Content_Types].xml"}


def test_report_log_on_a_workbook_stores_text_as_text(tmp_path: Path) -> None:
    path = write_workbook(tmp_path / "register.xlsx", register_tables())
    append_report_log(XlsxRegister(path), [FORMULA_ENTRY.row()])
    cell = openpyxl.load_workbook(path)[LOG_TITLE]["C2"]
    assert (cell.value, cell.data_type) == ("=cmd@example.com", "s")


def test_report_log_tab_added_to_an_openpyxl_workbook_keeps_it_well_formed(tmp_path: Path) -> None:
    # openpyxl declares the relationships prefix on each <sheet>, not on the root element.
    path = write_workbook(tmp_path / "register.xlsx", register_tables())
    append_report_log(XlsxRegister(path), [ENTRY.row()])
    with zipfile.ZipFile(path) as package:
        ElementTree.fromstring(package.read("xl/workbook.xml"))  # noqa: S314  the workbook this test just wrote
    append_report_log(XlsxRegister(path), [FORMULA_ENTRY.row()])
    assert read_log(XlsxRegister(path).read().tables) == [ENTRY, FORMULA_ENTRY]
