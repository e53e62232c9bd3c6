"""EndpointSession: where gspread's hard-coded Google URLs end up."""

from __future__ import annotations

import gspread
import pytest

from pmsheets.register.google_session import EndpointSession, client_for
from sheets_emulator import SheetsEmulator
from sheets_emulator.testing import close_client, credentials_for


@pytest.mark.parametrize(
    ("url", "rewritten"),
    [
        pytest.param("https://sheets.googleapis.com/v4/spreadsheets/x", "http://127.0.0.1:9/v4/spreadsheets/x", id="sheets"),
        pytest.param("https://www.googleapis.com/drive/v3/files?q=1", "http://127.0.0.1:9/drive/v3/files?q=1", id="drive"),
        pytest.param("https://oauth2.googleapis.com/token", "https://oauth2.googleapis.com/token", id="other-host-untouched"),
    ],
)
def test_google_urls_are_sent_to_the_endpoint(sheets_emulator: SheetsEmulator, url: str, rewritten: str) -> None:
    session = EndpointSession(credentials_for(sheets_emulator), "http://127.0.0.1:9/")
    try:
        assert session.rewrite(url) == rewritten
    finally:
        session.close()


def test_default_endpoint_is_google_itself(sheets_emulator: SheetsEmulator) -> None:
    session = EndpointSession(credentials_for(sheets_emulator))
    try:
        assert session.rewrite("https://sheets.googleapis.com/v4/spreadsheets/x") == "https://sheets.googleapis.com/v4/spreadsheets/x"
    finally:
        session.close()


def test_client_for_builds_a_gspread_client_that_knows_its_credentials(sheets_emulator: SheetsEmulator, register_id: str) -> None:
    credentials = credentials_for(sheets_emulator)
    client = client_for(credentials, sheets_emulator.url)
    try:
        assert isinstance(client, gspread.Client)
        assert client.open_by_key(register_id).title == "Post-mortem register"
        assert client.expiry == credentials.expiry
    finally:
        close_client(client)
