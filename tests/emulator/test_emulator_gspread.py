"""The real gspread + google-auth client path against the emulator, over HTTP."""

from __future__ import annotations

import gspread
import pytest
from gspread.utils import ValidationConditionType
from gspread.worksheet import Worksheet

from sheets_emulator import SheetsEmulator
from sheets_emulator.testing import FakeClock, close_client, make_client

OTHER_EMAIL = "someone-else@other-project.iam.gserviceaccount.com"


def _incidents(client: gspread.Client, register_id: str) -> Worksheet:
    return client.open_by_key(register_id).worksheet("Incidents")


def test_open_by_key_lists_the_worksheets(gspread_client: gspread.Client, register_id: str) -> None:
    spreadsheet = gspread_client.open_by_key(register_id)
    assert spreadsheet.title == "Post-mortem register"
    assert [ws.title for ws in spreadsheet.worksheets()] == ["Incidents", "Actions"]


def test_get_all_values_shows_dates_as_typed(gspread_client: gspread.Client, register_id: str) -> None:
    rows = _incidents(gspread_client, register_id).get_all_values()
    assert rows == [
        ["ID", "Title", "Opened"],
        ["INC-1", "Checkout down", "2026-11-20"],
        ["INC-2", "Slow search", "2026-11-21 14:05"],
    ]


def test_unformatted_values_give_date_serials(gspread_client: gspread.Client, register_id: str) -> None:
    rows = _incidents(gspread_client, register_id).get_all_values(value_render_option="UNFORMATTED_VALUE")
    assert rows[1][2] == 46346
    assert rows[2][2] == pytest.approx(46347.586805, abs=1e-6)


def test_batch_get_returns_each_range(gspread_client: gspread.Client, register_id: str) -> None:
    ranges = _incidents(gspread_client, register_id).batch_get(["A1:B1", "A3"])
    assert [list(r) for r in ranges] == [[["ID", "Title"]], [["INC-2"]]]


def test_update_raw_keeps_text(gspread_client: gspread.Client, register_id: str) -> None:
    ws = _incidents(gspread_client, register_id)
    ws.update([["=1+1", "2026-11-20", "0042"]], "A5", value_input_option="RAW")
    assert ws.get("A5:C5", value_render_option="UNFORMATTED_VALUE") == [["=1+1", "2026-11-20", "0042"]]


def test_update_user_entered_parses_formulas_numbers_and_dates(gspread_client: gspread.Client, register_id: str) -> None:
    ws = _incidents(gspread_client, register_id)
    ws.update([["=1+1", "2026-11-20", "0042", "TRUE"]], "A5", value_input_option="USER_ENTERED")
    assert ws.get("A5:D5", value_render_option="FORMULA") == [["=1+1", 46346, 42, True]]
    assert ws.get("A5:D5") == [["2", "2026-11-20", "42", "TRUE"]]


def test_append_row_goes_under_the_table(gspread_client: gspread.Client, register_id: str) -> None:
    ws = _incidents(gspread_client, register_id)
    ws.append_row(["INC-3", "Lost emails", "2026-11-22"], value_input_option="USER_ENTERED")
    assert ws.row_values(4) == ["INC-3", "Lost emails", "2026-11-22"]


def test_values_batch_update_writes_every_range(gspread_client: gspread.Client, register_id: str) -> None:
    ws = _incidents(gspread_client, register_id)
    ws.batch_update([{"range": "B2", "values": [["Checkout outage"]]}, {"range": "B3", "values": [["Search latency"]]}])
    assert ws.col_values(2) == ["Title", "Checkout outage", "Search latency"]


def test_add_worksheet_has_the_asked_grid(gspread_client: gspread.Client, register_id: str) -> None:
    spreadsheet = gspread_client.open_by_key(register_id)
    spreadsheet.add_worksheet("Findings", rows=50, cols=8)
    properties = spreadsheet.worksheet("Findings")._properties
    assert properties["gridProperties"] == {"rowCount": 50, "columnCount": 8}
    assert properties["index"] == 2


def test_format_and_freeze_show_in_metadata(gspread_client: gspread.Client, register_id: str) -> None:
    ws = _incidents(gspread_client, register_id)
    ws.format("A1:C1", {"textFormat": {"bold": True}})
    ws.freeze(rows=1)
    grid = ws.spreadsheet.fetch_sheet_metadata({"ranges": "Incidents!A1", "includeGridData": "true"})["sheets"][0]
    assert grid["properties"]["gridProperties"]["frozenRowCount"] == 1
    assert grid["data"][0]["rowData"][0]["values"][0]["userEnteredFormat"] == {"textFormat": {"bold": True}}


def test_data_validation_is_stored_per_cell(gspread_client: gspread.Client, register_id: str) -> None:
    ws = _incidents(gspread_client, register_id)
    ws.add_validation("C2:C3", ValidationConditionType.one_of_list, ["Open", "Closed"], strict=True)
    meta = ws.spreadsheet.fetch_sheet_metadata({"ranges": "Incidents!C3", "fields": "sheets.data.rowData.values.dataValidation"})
    rule = meta["sheets"][0]["data"][0]["rowData"][0]["values"][0]["dataValidation"]
    assert rule["condition"] == {"type": "ONE_OF_LIST", "values": [{"userEnteredValue": "Open"}, {"userEnteredValue": "Closed"}]}
    assert rule["strict"] is True


def test_protected_range_lists_the_caller_as_editor(
    gspread_client: gspread.Client, register_id: str, sheets_emulator: SheetsEmulator
) -> None:
    ws = _incidents(gspread_client, register_id)
    ws.add_protected_range("A1:C1", description="headers")
    protected = ws.spreadsheet.fetch_sheet_metadata()["sheets"][0]["protectedRanges"]
    assert protected[0]["description"] == "headers"
    assert protected[0]["range"] == {"startRowIndex": 0, "endRowIndex": 1, "startColumnIndex": 0, "endColumnIndex": 3}
    assert protected[0]["editors"] == {"users": [sheets_emulator.requests[0].user]}


def test_clear_empties_the_tab(gspread_client: gspread.Client, register_id: str, sheets_emulator: SheetsEmulator) -> None:
    _incidents(gspread_client, register_id).clear()
    assert sheets_emulator.store.rows(register_id, "Incidents") == []


def test_unshared_spreadsheet_is_a_403(gspread_client: gspread.Client, sheets_emulator: SheetsEmulator) -> None:
    private = sheets_emulator.create_spreadsheet("Private", shared_with=(OTHER_EMAIL,))
    with pytest.raises(gspread.exceptions.APIError) as caught:
        gspread_client.http_client.fetch_sheet_metadata(private)
    assert caught.value.code == 403
    assert caught.value.error["message"] == "The caller does not have permission"


def test_open_by_key_of_unshared_spreadsheet_raises_permission_error(
    gspread_client: gspread.Client, sheets_emulator: SheetsEmulator
) -> None:
    private = sheets_emulator.create_spreadsheet("Private", shared_with=(OTHER_EMAIL,))
    with pytest.raises(PermissionError):
        gspread_client.open_by_key(private)


def test_unknown_spreadsheet_is_a_404(gspread_client: gspread.Client) -> None:
    with pytest.raises(gspread.exceptions.APIError) as caught:
        gspread_client.http_client.fetch_sheet_metadata("no-such-spreadsheet")
    assert caught.value.code == 404
    assert caught.value.error["status"] == "NOT_FOUND"


def test_open_by_key_of_unknown_id_raises_spreadsheet_not_found(gspread_client: gspread.Client) -> None:
    with pytest.raises(gspread.SpreadsheetNotFound):
        gspread_client.open_by_key("no-such-spreadsheet")


def test_expired_token_without_refresh_is_a_401(sheets_emulator: SheetsEmulator, register_id: str, clock: FakeClock) -> None:
    client = make_client(sheets_emulator, refresh_status_codes=())  # google-auth would otherwise refresh and retry
    try:
        client.open_by_key(register_id)
        clock.advance(3601)
        with pytest.raises(gspread.exceptions.APIError) as caught:
            client.open_by_key(register_id)
    finally:
        close_client(client)
    assert caught.value.code == 401
    assert caught.value.error["status"] == "UNAUTHENTICATED"


def test_expired_token_is_refreshed_by_google_auth(
    gspread_client: gspread.Client, register_id: str, sheets_emulator: SheetsEmulator, clock: FakeClock
) -> None:
    gspread_client.open_by_key(register_id)
    clock.advance(3601)
    gspread_client.open_by_key(register_id)
    assert [r.status for r in sheets_emulator.requests] == [200, 401, 200]
    assert sheets_emulator.api.token_requests == 2


def test_quota_exceeded_is_a_429_until_the_minute_passes(
    register_id: str, sheets_emulator: SheetsEmulator, gspread_client: gspread.Client, clock: FakeClock
) -> None:
    sheets_emulator.quota.limits["read"] = 2
    gspread_client.open_by_key(register_id)
    gspread_client.open_by_key(register_id)
    with pytest.raises(gspread.exceptions.APIError) as caught:
        gspread_client.open_by_key(register_id)
    assert caught.value.code == 429
    assert "Read requests per minute per user" in caught.value.error["message"]
    clock.advance(60)
    gspread_client.open_by_key(register_id)
