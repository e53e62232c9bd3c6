"""The token endpoint and bearer checks, as google-auth and a bare HTTP client meet them."""

from __future__ import annotations

import re
from collections.abc import Iterator

import gspread
import pytest
import requests
from google.auth.exceptions import RefreshError
from google.auth.transport.requests import Request
from google.oauth2.service_account import Credentials

from sheets_emulator import DEFAULT_EMAIL, SheetsEmulator
from sheets_emulator.testing import FakeClock, close_client, credentials_for, make_client

READ_ONLY = ["https://www.googleapis.com/auth/spreadsheets.readonly"]


@pytest.fixture
def token_request() -> Iterator[Request]:
    """google-auth's transport for token refreshes, on a session the test closes."""
    session = requests.Session()
    yield Request(session)
    session.close()


def test_key_file_looks_like_a_google_service_account_key(sheets_emulator: SheetsEmulator) -> None:
    info = sheets_emulator.service_account_info()
    assert {"type", "project_id", "private_key_id", "private_key", "client_email", "client_id", "token_uri"} <= set(info)
    assert info["type"] == "service_account"
    assert info["client_email"] == DEFAULT_EMAIL
    assert info["token_uri"] == sheets_emulator.token_uri


def test_token_endpoint_answers_google_auth(sheets_emulator: SheetsEmulator, token_request: Request) -> None:
    credentials = credentials_for(sheets_emulator)
    credentials.refresh(token_request)
    assert credentials.token.startswith("ya29.")
    assert credentials.valid


def test_key_the_emulator_never_issued_is_an_invalid_grant(sheets_emulator: SheetsEmulator, token_request: Request) -> None:
    with SheetsEmulator() as other:
        foreign = other.service_account_info("stranger@elsewhere.iam.gserviceaccount.com")
    foreign["token_uri"] = sheets_emulator.token_uri
    credentials = Credentials.from_service_account_info(foreign, scopes=READ_ONLY)
    with pytest.raises(RefreshError, match="invalid_grant"):
        credentials.refresh(token_request)


def test_assertion_signed_with_the_wrong_key_is_an_invalid_signature(sheets_emulator: SheetsEmulator, token_request: Request) -> None:
    genuine = sheets_emulator.service_account_info()
    forged = {**genuine, "private_key": sheets_emulator.service_account_info("other@x.iam.gserviceaccount.com")["private_key"]}
    credentials = Credentials.from_service_account_info(forged, scopes=READ_ONLY)
    with pytest.raises(RefreshError, match="Invalid JWT Signature"):
        credentials.refresh(token_request)


def test_request_without_token_is_a_401_with_googles_body(sheets_emulator: SheetsEmulator, register_id: str) -> None:
    answer = requests.get(f"{sheets_emulator.url}/v4/spreadsheets/{register_id}", timeout=5)
    assert answer.status_code == 401
    assert answer.json()["error"]["status"] == "UNAUTHENTICATED"
    assert answer.json()["error"]["message"].startswith("Request had invalid authentication credentials.")


def test_read_only_scope_cannot_write(sheets_emulator: SheetsEmulator, register_id: str) -> None:
    client = make_client(sheets_emulator, scopes=READ_ONLY)
    try:
        worksheet = client.open_by_key(register_id).sheet1
        with pytest.raises(gspread.exceptions.APIError) as caught:
            worksheet.update([["x"]], "A1")
    finally:
        close_client(client)
    assert caught.value.code == 403
    assert caught.value.error["message"] == "Request had insufficient authentication scopes."


def test_drive_calls_create_list_open_and_delete(gspread_client: gspread.Client, sheets_emulator: SheetsEmulator) -> None:
    created = gspread_client.create("Register 2026")
    assert [f["name"] for f in gspread_client.list_spreadsheet_files()] == ["Register 2026"]
    assert gspread_client.open("Register 2026").id == created.id
    gspread_client.del_spreadsheet(created.id)
    assert gspread_client.list_spreadsheet_files() == []
    assert sheets_emulator.count("drive") == 5  # gspread.open lists files by name


@pytest.mark.parametrize("host", ["0.0.0.0", "192.0.2.1", "::"])
def test_emulator_refuses_to_bind_anything_but_loopback(host: str) -> None:
    with pytest.raises(ValueError, match=re.escape("127.0.0.1 only")):
        SheetsEmulator(host=host)


def test_token_shorter_than_google_auths_margin_is_fetched_before_every_call(clock: FakeClock) -> None:
    with SheetsEmulator(clock=clock, token_lifetime=30) as emulator:
        sid = emulator.create_spreadsheet("Short", sheets=["Incidents"])
        client = make_client(emulator)
        try:
            client.open_by_key(sid)
            client.open_by_key(sid)
        finally:
            close_client(client)
        assert [r.status for r in emulator.requests] == [200, 200]
        assert emulator.api.token_requests == 2
