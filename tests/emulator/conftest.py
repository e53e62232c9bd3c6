"""Fixtures for the Sheets emulator: a running emulator on a fake clock, and real gspread clients."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import gspread
import pytest
from google.oauth2.service_account import Credentials

from pmsheets.emulator import DEFAULT_EMAIL, SheetsEmulator
from pmsheets.register.google_session import client_for

SCOPES = ["https://www.googleapis.com/auth/spreadsheets", "https://www.googleapis.com/auth/drive"]
OTHER_EMAIL = "someone-else@other-project.iam.gserviceaccount.com"


class FakeClock:
    """Seconds that only move when a test says so."""

    def __init__(self, start: float = 1_790_000_000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def sheets_emulator(clock: FakeClock) -> Iterator[SheetsEmulator]:
    with SheetsEmulator(clock=clock, validate_schema=True) as emulator:
        yield emulator
        assert not emulator.api.internal_errors, emulator.api.internal_errors


def make_client(emulator: SheetsEmulator, email: str = DEFAULT_EMAIL, scopes: list[str] | None = None) -> gspread.Client:
    info = emulator.service_account_info(email)
    credentials = Credentials.from_service_account_info(info, scopes=scopes or SCOPES)
    return client_for(credentials, emulator.url)


@pytest.fixture
def gspread_client(sheets_emulator: SheetsEmulator) -> Iterator[gspread.Client]:
    client = make_client(sheets_emulator)
    yield client
    client.http_client.session.close()


@pytest.fixture
def register_id(sheets_emulator: SheetsEmulator) -> str:
    """A small register shared with the default service account."""
    rows: dict[str, Any] = {
        "Incidents": [["ID", "Title", "Opened"], ["INC-1", "Checkout down", "2026-11-20"], ["INC-2", "Slow search", "2026-11-21 14:05"]],
        "Actions": [["ID", "Owner"], ["ACT-1", "ana"]],
    }
    return sheets_emulator.create_spreadsheet("Post-mortem register", sheets=rows)
