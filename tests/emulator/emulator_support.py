"""Helpers shared by the emulator tests (imported by name: pytest puts this folder on sys.path)."""

from __future__ import annotations

from typing import Any

import gspread
from google.oauth2.service_account import Credentials

from pmsheets.emulator import DEFAULT_EMAIL, SheetsEmulator
from pmsheets.register.google_session import EndpointSession

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


def credentials_for(emulator: SheetsEmulator, email: str = DEFAULT_EMAIL, scopes: list[str] | None = None) -> Credentials:
    return Credentials.from_service_account_info(emulator.service_account_info(email), scopes=scopes or SCOPES)


def make_client(emulator: SheetsEmulator, email: str = DEFAULT_EMAIL, scopes: list[str] | None = None, **session_options: Any) -> gspread.Client:
    """A real gspread client for `email`; close it with client.http_client.session.close()."""
    credentials = credentials_for(emulator, email, scopes)
    session = EndpointSession(credentials, emulator.url, **session_options)
    client = gspread.Client(auth=credentials, session=session)
    client.http_client.auth = credentials
    return client
