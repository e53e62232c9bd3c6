"""Shared fixtures. Time is fixed (AS_OF); registers are built from small literal tables."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import openpyxl
import pytest

from pmsheets.policy import Policy
from pmsheets.register import RegisterBackend
from pmsheets.register.xlsx import XlsxRegister
from pmsheets.schema import ACTIONS, INCIDENTS, ParseSettings
from pmsheets.validation import Validation, validate

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


@pytest.fixture(params=["xlsx"])
def register_from(request: pytest.FixtureRequest, tmp_path: Path) -> Callable[[Tables], RegisterBackend]:
    """Builds a register backend holding the given tables (parametrised over every backend)."""

    def build(content: Tables) -> RegisterBackend:
        return XlsxRegister(write_workbook(tmp_path / "register.xlsx", content))

    return build


def run_checks(
    backend: RegisterBackend, *, as_of: datetime = AS_OF, policy: Policy | None = None, settings: ParseSettings | None = None
) -> Validation:
    return validate(backend.read().tables, as_of=as_of, policy=policy or Policy(), settings=settings or ParseSettings())
