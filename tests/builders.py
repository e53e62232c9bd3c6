"""Registers for tests, built from small literal tables, and the fixed time they are checked at.

`incident()` and `action()` give a clean register's rows (a Closed P0 incident with one Done
action: no finding at all); a test passes only the cells its case is about. `p0()`, `drafted()`
and `open_action()` give an incident still in progress, for the deadlines. `incident_row()` and
`action_row()` give rows with nothing filled in but what is passed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import gspread
import openpyxl

from pmsheets.core.check import Validation, validate
from pmsheets.core.policy import Policy
from pmsheets.core.schema import ACTIONS, INCIDENTS, ParseSettings
from pmsheets.register import RawRegister, RegisterBackend, TabFilter, every_tab
from pmsheets.register.sheets import SheetsRegister
from sheets_emulator import DEFAULT_EMAIL, SheetsEmulator

UTC = ZoneInfo("UTC")
AS_OF = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)  # a Friday


Tables = Mapping[str, Sequence[Sequence[Any]]]
"""Tab title -> rows, header row first."""

INCIDENT_HEADERS = [c.header for c in INCIDENTS.columns]
ACTION_HEADERS = [c.header for c in ACTIONS.columns]


def incident_row(**values: Any) -> list[Any]:
    """A row in INCIDENT_HEADERS order; keyword names are the headers with spaces/dashes as '_'."""
    by_key = {h.lower().replace(" ", "_").replace("-", "_"): h for h in INCIDENT_HEADERS}
    row = {by_key[k]: v for k, v in values.items()}
    return [row.get(h) for h in INCIDENT_HEADERS]


def action_row(**values: Any) -> list[Any]:
    by_key = {h.lower().replace(" ", "_").replace("-", "_"): h for h in ACTION_HEADERS}
    row = {by_key[k]: v for k, v in values.items()}
    return [row.get(h) for h in ACTION_HEADERS]


def tables(incidents: Sequence[Sequence[Any]] = (), actions: Sequence[Sequence[Any]] = (), **extra: Any) -> dict[str, Any]:
    """A minimal register: the Incidents and Actions tabs with standard headers, plus any extra tabs."""
    return {
        "Incidents": [INCIDENT_HEADERS, *incidents],
        "Actions": [ACTION_HEADERS, *actions],
        **extra,
    }


def write_workbook(path: Path, content: Tables) -> Path:
    workbook = openpyxl.Workbook()
    workbook.remove(workbook.active)
    for title, rows in content.items():
        sheet = workbook.create_sheet(title)
        for row in rows:
            sheet.append(list(row))
    workbook.save(path)
    return path


# --- a clean register ------------------------------------------------------------------------------

INCIDENT: Mapping[str, Any] = {
    "id": "INC-1",
    "title": "Checkout errors after a config deploy",
    "severity": "P0",
    "detected_at": datetime(2026, 11, 2, 9, 0),
    "resolved_at": datetime(2026, 11, 2, 10, 30),
    "customer_impact": "Non-trivial",
    "impact_minutes": 90,
    "systemic_gap": "No",
    "security_concern": "No",
    "repeatable_failure": "No",
    "incident_owner": "Ana Lima",
    "primary_responder": "Bo Chen",
    "contributors": "Cy Diaz, Di Egan",
    "post_mortem_status": "Closed",
    "draft_date": date(2026, 11, 3),
    "review_date": date(2026, 11, 5),
    "closed_date": date(2026, 11, 20),
    "post_mortem_doc": "https://docs.example.com/pm/inc-1",
    "summary": "Checkout returned errors for 90 minutes after a config deploy.",
    "root_cause": "The deploy pipeline did not validate the config schema.",
}
"""A Closed P0 incident that follows the process: no finding."""

ACTION: Mapping[str, Any] = {
    "id": "ACT-1",
    "incident_id": "INC-1",
    "action": "Validate the config schema in the pipeline",
    "type": "Short-term",
    "owner": "Bo Chen",
    "due_date": date(2026, 11, 30),
    "tracking_link": "OPS-101",
    "status": "Done",
    "completed_on": date(2026, 11, 10),
}
"""INCIDENT's one action, Done: no finding."""


def incident(**changes: Any) -> list[Any]:
    """INCIDENT's row with `changes` (keys as in incident_row)."""
    return incident_row(**{**INCIDENT, **changes})


def action(**changes: Any) -> list[Any]:
    """ACTION's row with `changes` (keys as in action_row)."""
    return action_row(**{**ACTION, **changes})


# --- an incident in progress -------------------------------------------------------------------

NOW = AS_OF.replace(tzinfo=None)
"""The as-of time as a naive sheet datetime (a cell's wall-clock time, read in UTC unless a zone is set)."""


def p0(**changes: Any) -> list[Any]:
    """A P0 with owner and responder; status and dates as the test needs."""
    values: dict[str, Any] = {
        "id": "INC-1",
        "severity": "P0",
        "customer_impact": "Non-trivial",
        "incident_owner": "Ana Lima",
        "primary_responder": "Bo Chen",
        "post_mortem_doc": "https://docs.example.com/pm/inc-1",
    }
    return incident_row(**{**values, **changes})


def drafted(**changes: Any) -> list[Any]:
    """A P0 whose post-mortem is drafted but not reviewed: only the review clock runs."""
    return p0(post_mortem_status="Draft", draft_date=date(2026, 11, 19), **changes)


def open_action(**changes: Any) -> list[Any]:
    """An Open short-term action of INC-1 with owner and tracking link; due date as the test needs."""
    values: dict[str, Any] = {
        "id": "ACT-1",
        "incident_id": "INC-1",
        "action": "Add a canary stage",
        "type": "Short-term",
        "owner": "Bo Chen",
        "tracking_link": "OPS-7",
        "status": "Open",
    }
    return action_row(**{**values, **changes})


# --- backends holding the tables ---------------------------------------------------------------------

EMULATOR_EPOCH = 1_795_000_000.0  # a fixed emulator clock: tokens never expire mid-test, quotas never roll over


def sheets_register(emulator: SheetsEmulator, client: gspread.Client, workbook: Path) -> SheetsRegister:
    """The same register a workbook holds, loaded into the emulator and read through gspread."""
    key = emulator.load_xlsx(workbook)
    return SheetsRegister(client, key, account_email=DEFAULT_EMAIL, sleep=lambda _seconds: None)


class InMemory:
    """The tables handed straight to the checks, the way a backend hands them over.

    For pure rule logic: reading real cells (date cells, text, numbers, every backend) is
    covered in test_schema.py, and going through the Sheets emulator for every rule case
    would only make the suite slow.
    """

    def __init__(self, content: Mapping[str, Any]) -> None:
        self.content = content

    def read(self, wanted: TabFilter = every_tab) -> RawRegister:
        return RawRegister(tables={title: rows for title, rows in self.content.items() if wanted(title)})


def in_memory(content: Mapping[str, Any]) -> InMemory:
    return InMemory(content)


def run_checks(
    backend: RegisterBackend, *, as_of: datetime = AS_OF, policy: Policy | None = None, settings: ParseSettings | None = None
) -> Validation:
    return validate(backend.read().tables, as_of=as_of, policy=policy or Policy(), settings=settings or ParseSettings())
