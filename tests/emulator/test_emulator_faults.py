"""Fault injection, quota and the request log, seen through the real client."""

from __future__ import annotations

import gspread
import pytest
import requests

from sheets_emulator import DEFAULT_EMAIL, SheetsEmulator
from sheets_emulator.testing import FakeClock, close_client, make_client


def _status_of(call: object) -> int:
    try:
        call()  # type: ignore[operator]
    except gspread.exceptions.APIError as error:
        return error.code
    return 200


def test_scripted_429_then_success(gspread_client: gspread.Client, register_id: str, sheets_emulator: SheetsEmulator) -> None:
    sheets_emulator.faults.script(429)
    with pytest.raises(gspread.exceptions.APIError) as caught:
        gspread_client.open_by_key(register_id)
    assert caught.value.code == 429
    assert gspread_client.open_by_key(register_id).title == "Post-mortem register"


def test_scripted_sequence_answers_in_order(gspread_client: gspread.Client, register_id: str, sheets_emulator: SheetsEmulator) -> None:
    sheets_emulator.faults.script(500, None, 503)
    statuses = [_status_of(lambda: gspread_client.http_client.fetch_sheet_metadata(register_id)) for _ in range(4)]
    assert statuses == [500, 200, 503, 200]


def test_injected_errors_use_google_error_bodies(gspread_client: gspread.Client, register_id: str, sheets_emulator: SheetsEmulator) -> None:
    sheets_emulator.faults.script(503)
    with pytest.raises(gspread.exceptions.APIError) as caught:
        gspread_client.http_client.fetch_sheet_metadata(register_id)
    assert caught.value.error == {"code": 503, "message": "The service is currently unavailable.", "status": "UNAVAILABLE"}


def test_random_failures_repeat_with_the_same_seed(
    register_id: str, sheets_emulator: SheetsEmulator, gspread_client: gspread.Client
) -> None:
    def run() -> list[int]:
        sheets_emulator.faults.fail_randomly(0.5, seed=7)
        return [_status_of(lambda: gspread_client.http_client.fetch_sheet_metadata(register_id)) for _ in range(12)]

    first, second = run(), run()
    assert first == second
    assert {500, 503} & set(first)
    assert 200 in first


def test_latency_is_added_to_every_api_request(gspread_client: gspread.Client, register_id: str, sheets_emulator: SheetsEmulator) -> None:
    slept: list[float] = []
    sheets_emulator.faults.sleep = slept.append
    sheets_emulator.faults.latency = 0.25
    gspread_client.http_client.fetch_sheet_metadata(register_id)
    gspread_client.http_client.values_get(register_id, "Incidents")
    assert slept == [0.25, 0.25]


def test_dropped_connection_fails_only_that_request(
    gspread_client: gspread.Client, register_id: str, sheets_emulator: SheetsEmulator
) -> None:
    sheets_emulator.faults.drop_connections(1)
    with pytest.raises(requests.ConnectionError):
        gspread_client.open_by_key(register_id)
    assert gspread_client.open_by_key(register_id).title == "Post-mortem register"


def test_edit_hook_runs_between_two_requests(gspread_client: gspread.Client, register_id: str, sheets_emulator: SheetsEmulator) -> None:
    ws = gspread_client.open_by_key(register_id).worksheet("Incidents")  # requests 1 and 2
    sheets_emulator.faults.after_request(3, lambda emu: emu.store.insert_rows(register_id, "Incidents", 1))
    before = ws.get_all_values()  # request 3, then the hook
    after = ws.get_all_values()  # request 4
    assert [row[0] for row in before] == ["ID", "INC-1", "INC-2"]
    assert [row[0] for row in after] == ["ID", "", "INC-1", "INC-2"]


def test_edit_hook_can_sort_and_rename_a_header(gspread_client: gspread.Client, register_id: str, sheets_emulator: SheetsEmulator) -> None:
    def edit(emu: SheetsEmulator) -> None:
        emu.store.sort_rows(register_id, "Incidents", 0, descending=True)
        emu.store.values_update(register_id, "Incidents!B1", {"values": [["Summary"]]}, input_option="RAW")

    sheets_emulator.faults.after_request(1, edit)
    ws = gspread_client.open_by_key(register_id).worksheet("Incidents")
    assert ws.col_values(1) == ["ID", "INC-2", "INC-1"]
    assert ws.row_values(1) == ["ID", "Summary", "Opened"]


def test_request_log_counts_reads_and_writes(gspread_client: gspread.Client, register_id: str, sheets_emulator: SheetsEmulator) -> None:
    ws = gspread_client.open_by_key(register_id).worksheet("Incidents")
    ws.get_all_values()
    ws.update([["x"]], "D2")
    assert (sheets_emulator.count("read"), sheets_emulator.count("write")) == (3, 1)
    assert [r.method for r in sheets_emulator.requests] == ["GET", "GET", "GET", "PUT"]


def test_quota_is_counted_per_user(register_id: str, sheets_emulator: SheetsEmulator, gspread_client: gspread.Client) -> None:
    other_email = "second-bot@pmsheets-emulator.iam.gserviceaccount.com"
    sheets_emulator.store.share(register_id, other_email)
    sheets_emulator.quota.limits["read"] = 1
    other = make_client(sheets_emulator, other_email)
    try:
        gspread_client.open_by_key(register_id)
        other.open_by_key(register_id)
    finally:
        close_client(other)
    assert [r.status for r in sheets_emulator.requests] == [200, 200]


def test_writes_have_their_own_quota(
    register_id: str, sheets_emulator: SheetsEmulator, gspread_client: gspread.Client, clock: FakeClock
) -> None:
    sheets_emulator.quota.limits["write"] = 1
    ws = gspread_client.open_by_key(register_id).sheet1
    ws.update([["a"]], "E1")
    assert _status_of(lambda: ws.update([["b"]], "E2")) == 429
    assert _status_of(ws.get_all_values) == 200
    clock.advance(61)
    assert _status_of(lambda: ws.update([["b"]], "E2")) == 200


def test_unsharing_between_two_requests_turns_the_next_into_a_403(
    gspread_client: gspread.Client, register_id: str, sheets_emulator: SheetsEmulator
) -> None:
    sheets_emulator.faults.after_request(1, lambda emu: emu.store.unshare(register_id, DEFAULT_EMAIL))
    gspread_client.http_client.fetch_sheet_metadata(register_id)
    assert _status_of(lambda: gspread_client.http_client.fetch_sheet_metadata(register_id)) == 403


def test_renamed_tab_makes_the_old_range_unparsable(
    gspread_client: gspread.Client, register_id: str, sheets_emulator: SheetsEmulator
) -> None:
    sheets_emulator.faults.after_request(1, lambda emu: emu.store.rename_sheet(register_id, "Incidents", "Incidents 2026"))
    gspread_client.http_client.values_get(register_id, "Incidents!A1")
    assert _status_of(lambda: gspread_client.http_client.values_get(register_id, "Incidents!A1")) == 400
    assert gspread_client.http_client.values_get(register_id, "'Incidents 2026'!A1")["values"] == [["ID"]]
