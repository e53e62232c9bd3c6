"""Fixtures for the Sheets emulator tests; the general ones come from sheets_emulator.testing."""

from __future__ import annotations

from typing import Any

import pytest

from sheets_emulator import SheetsEmulator
from sheets_emulator.testing import clock, gspread_client, sheets_emulator

__all__ = ["clock", "gspread_client", "register_id", "sheets_emulator"]


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
