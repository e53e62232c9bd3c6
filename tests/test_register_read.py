"""Reads fetch only the tabs asked for, on both backends: a check leaves the tool's own Findings tab unread."""

from __future__ import annotations

from collections.abc import Callable

from pmsheets.core.report_log import LOG_TITLE
from pmsheets.register import RegisterBackend, all_but_findings, tabs_named
from pmsheets.register.report_log_store import append_report_log
from tests.builders import Tables, tables

Build = Callable[[Tables], RegisterBackend]
LOG_ROW = ["overdue", "2026-W48", "team@example.com", "<1@example.com>", "2026-11-27T09:00:00+00:00", "4", "2", "2"]


def written(register_from: Build) -> RegisterBackend:
    backend = register_from(tables(People=[["Name", "Email"], ["Ada", "ada@example.com"]]))
    backend.write_findings([["error", "owner-missing", "INC-1", "ACT-001", "Actions!E2", "no owner"]])
    append_report_log(backend, [LOG_ROW])
    return backend


def test_a_plain_read_fetches_every_tab(register_from: Build) -> None:
    assert {"Incidents", "Actions", "People", "Findings", LOG_TITLE} <= set(written(register_from).read().tables)


def test_the_check_read_leaves_out_the_findings_tab(register_from: Build) -> None:
    titles = set(written(register_from).read(all_but_findings).tables)
    assert "Findings" not in titles
    assert {"Incidents", "Actions", "People", LOG_TITLE} <= titles


def test_a_read_of_named_tabs_fetches_only_those(register_from: Build) -> None:
    assert list(written(register_from).read(tabs_named("report LOG")).tables) == [LOG_TITLE]


def test_a_read_of_a_missing_tab_is_empty(register_from: Build) -> None:
    assert written(register_from).read(tabs_named("Nowhere")).tables == {}
