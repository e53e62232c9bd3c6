"""The token endpoint and bearer checks, as google-auth and a bare HTTP client meet them."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator

import gspread
import pytest
import requests
from google.auth.exceptions import RefreshError
from google.auth.transport.requests import Request
from google.oauth2 import credentials as user_credentials
from google.oauth2.service_account import Credentials

from pmsheets.register.google_session import client_for
from sheets_emulator import DEFAULT_EMAIL, SheetsEmulator
from sheets_emulator.testing import FakeClock, close_client, credentials_for, make_client

READ_ONLY = ["https://www.googleapis.com/auth/spreadsheets.readonly"]
SHEETS = "https://www.googleapis.com/auth/spreadsheets"
DRIVE = "https://www.googleapis.com/auth/drive"
PERSON = "pm@example.com"


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


def saved_login(
    emulator: SheetsEmulator, scopes: list[str], asking: list[str] | None = None, **changes: str
) -> user_credentials.Credentials:
    """A person's saved login as google-auth loads it (asking for `asking`, else what the file records), refreshing at the emulator."""
    info = {**emulator.authorized_user_info(PERSON, scopes), **changes}
    loaded: user_credentials.Credentials = user_credentials.Credentials.from_authorized_user_info(info, scopes=asking)
    return loaded.with_token_uri(info["token_uri"])


def test_saved_login_has_the_keys_google_auth_writes_for_it(sheets_emulator: SheetsEmulator) -> None:
    info = sheets_emulator.authorized_user_info(PERSON, [SHEETS, DRIVE])
    loaded = user_credentials.Credentials.from_authorized_user_info(info)
    assert json.loads(loaded.to_json(strip=["token"])) == {**info, "token_uri": "https://oauth2.googleapis.com/token"}


def test_saved_login_refreshes_with_the_scopes_it_was_granted(sheets_emulator: SheetsEmulator, token_request: Request) -> None:
    credentials = saved_login(sheets_emulator, [SHEETS, DRIVE])
    credentials.refresh(token_request)
    assert credentials.valid
    assert sorted(credentials.granted_scopes) == [DRIVE, SHEETS]


def test_refresh_token_the_emulator_never_issued_is_an_invalid_grant(sheets_emulator: SheetsEmulator, token_request: Request) -> None:
    credentials = saved_login(sheets_emulator, [SHEETS], refresh_token="1//forged")
    with pytest.raises(RefreshError, match="invalid_grant"):
        credentials.refresh(token_request)


def test_refresh_with_another_clients_secret_is_an_invalid_client(sheets_emulator: SheetsEmulator, token_request: Request) -> None:
    credentials = saved_login(sheets_emulator, [SHEETS], client_secret="GOCSPX-not-this-one")
    with pytest.raises(RefreshError, match="invalid_client"):
        credentials.refresh(token_request)


def test_refresh_asking_for_more_than_was_granted_is_an_invalid_scope(sheets_emulator: SheetsEmulator, token_request: Request) -> None:
    credentials = saved_login(sheets_emulator, [SHEETS], asking=[SHEETS, DRIVE])
    with pytest.raises(RefreshError, match="invalid_scope"):
        credentials.refresh(token_request)


def test_saved_login_opens_a_spreadsheet_shared_with_the_person(sheets_emulator: SheetsEmulator) -> None:
    key = sheets_emulator.create_spreadsheet("Register", sheets=["Incidents"], shared_with=(PERSON,))
    client = client_for(saved_login(sheets_emulator, [SHEETS]), sheets_emulator.url)
    try:
        assert client.open_by_key(key).title == "Register"
    finally:
        close_client(client)


def test_saved_login_without_drive_cannot_list_drive_files(sheets_emulator: SheetsEmulator) -> None:
    client = client_for(saved_login(sheets_emulator, [SHEETS]), sheets_emulator.url)
    try:
        with pytest.raises(gspread.exceptions.APIError) as caught:
            client.list_spreadsheet_files()
    finally:
        close_client(client)
    assert caught.value.code == 403


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
