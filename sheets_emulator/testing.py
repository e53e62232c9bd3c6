"""Test helpers and pytest fixtures for code that talks to the emulator.

Use the fixtures from any conftest.py:

    from sheets_emulator.testing import clock, gspread_client, sheets_emulator  # noqa: F401

`sheets_emulator` runs on `clock` (a FakeClock: tokens and quota only move when a test
advances it) and fails the test if an exchange strays from the discovery documents.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import gspread
import pytest
from google.oauth2.service_account import Credentials

from pmsheets.register.google_session import EndpointSession
from sheets_emulator.server import DEFAULT_EMAIL, SheetsEmulator

SCOPES = ["https://www.googleapis.com/auth/spreadsheets", "https://www.googleapis.com/auth/drive"]


class FakeClock:
    """Seconds that only move when a test says so."""

    def __init__(self, start: float = 1_790_000_000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def credentials_for(emulator: SheetsEmulator, email: str = DEFAULT_EMAIL, scopes: list[str] | None = None) -> Credentials:
    """google-auth service-account credentials whose token requests go to the emulator."""
    credentials: Credentials = Credentials.from_service_account_info(emulator.service_account_info(email), scopes=scopes or SCOPES)
    return credentials


def make_client(
    emulator: SheetsEmulator, email: str = DEFAULT_EMAIL, scopes: list[str] | None = None, **session_options: Any
) -> gspread.Client:
    """A real gspread client for `email`; `session_options` go to AuthorizedSession. Close with close_client()."""
    credentials = credentials_for(emulator, email, scopes)
    session = EndpointSession(credentials, emulator.url, **session_options)
    client = gspread.Client(auth=credentials, session=session)
    client.http_client.auth = credentials
    return client


def close_client(client: gspread.Client) -> None:
    client.http_client.session.close()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def sheets_emulator(clock: FakeClock) -> Iterator[SheetsEmulator]:
    """A running emulator on the fake clock that checks every exchange against the discovery documents."""
    with SheetsEmulator(clock=clock, validate_schema=True) as emulator:
        yield emulator
        assert not emulator.api.internal_errors, emulator.api.internal_errors
        assert not emulator.schema_violations, emulator.schema_violations


@pytest.fixture
def gspread_client(sheets_emulator: SheetsEmulator) -> Iterator[gspread.Client]:
    """A gspread client for DEFAULT_EMAIL (spreadsheets made with create_spreadsheet are shared with it)."""
    client = make_client(sheets_emulator)
    yield client
    close_client(client)
