"""Fixtures for the Sheets emulator: a running emulator on a fake clock, and real gspread clients."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import gspread
import pytest
from emulator_support import FakeClock, make_client

from pmsheets.emulator import SheetsEmulator


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def sheets_emulator(clock: FakeClock) -> Iterator[SheetsEmulator]:
    """An emulator on the fake clock that checks every exchange against the discovery documents."""
    with SheetsEmulator(clock=clock, validate_schema=True) as emulator:
        yield emulator
        assert not emulator.api.internal_errors, emulator.api.internal_errors
        assert not emulator.schema_violations, emulator.schema_violations


@pytest.fixture
def gspread_client(sheets_emulator: SheetsEmulator) -> Iterator[gspread.Client]:
    client = make_client(sheets_emulator)
    yield client
    client.http_client.session.close()


@pytest.fixture
def register_id(sheets_emulator: SheetsEmulator) -> str:
    """A small register shared with the default service account."""
    rows: dict[str, Any] = {
        "Incidents": [
            ["ID", "Title", "Opened"],
            ["INC-1", "Checkout down", "2026-11-20"],
            ["INC-2", "Slow search", "2026-11-21 14:05"],
        ],
        "Actions": [["ID", "Owner"], ["ACT-1", "ana"]],
    }
    return sheets_emulator.create_spreadsheet("Post-mortem register", sheets=rows)
