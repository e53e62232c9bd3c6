"""Developer metadata (batchUpdate create/update/delete, spreadsheets.get) and Drive's file version, over HTTP.

The sheets_emulator fixture checks every request and answer against the discovery documents.
"""

from __future__ import annotations

from typing import Any

import gspread
import pytest
from gspread.exceptions import APIError
from gspread.urls import DRIVE_FILES_API_V3_URL

from sheets_emulator import SheetsEmulator
from sheets_emulator.testing import close_client, make_client

KEY = "pmsheets.findings"
FIELDS = "developerMetadata,sheets(properties(title),developerMetadata)"
METADATA_SCOPES = ["https://www.googleapis.com/auth/drive.metadata.readonly"]


def _batch(client: gspread.Client, key: str, *requests: dict[str, Any]) -> list[dict[str, Any]]:
    return list(client.http_client.batch_update(key, {"requests": list(requests)})["replies"])


def _on_sheet(sheet_id: int, value: str) -> dict[str, Any]:
    metadata = {"metadataKey": KEY, "metadataValue": value, "location": {"sheetId": sheet_id}, "visibility": "DOCUMENT"}
    return {"createDeveloperMetadata": {"developerMetadata": metadata}}


def _metadata(client: gspread.Client, key: str) -> dict[str, Any]:
    return dict(client.http_client.fetch_sheet_metadata(key, params={"fields": FIELDS}))


def _version(client: gspread.Client, key: str) -> int:
    answer = client.http_client.request("get", f"{DRIVE_FILES_API_V3_URL}/{key}", params={"fields": "version,modifiedTime"}).json()
    assert set(answer) == {"version", "modifiedTime"}
    return int(answer["version"])


def test_metadata_created_on_a_sheet_comes_back_with_that_sheet(gspread_client: gspread.Client, register_id: str) -> None:
    (reply,) = _batch(gspread_client, register_id, _on_sheet(0, "abc"))
    created = reply["createDeveloperMetadata"]["developerMetadata"]
    assert created["location"] == {"locationType": "SHEET"}  # sheetId 0 is left out, as proto3 JSON does
    sheets = _metadata(gspread_client, register_id)["sheets"]
    assert sheets[0]["developerMetadata"] == [{**created, "location": {"locationType": "SHEET"}}]
    assert "developerMetadata" not in sheets[1]


def test_update_by_id_changes_only_the_masked_field(gspread_client: gspread.Client, register_id: str) -> None:
    (reply,) = _batch(gspread_client, register_id, _on_sheet(0, "old"))
    metadata_id = reply["createDeveloperMetadata"]["developerMetadata"]["metadataId"]
    update = {
        "dataFilters": [{"developerMetadataLookup": {"metadataId": metadata_id}}],
        "developerMetadata": {"metadataValue": "new", "metadataKey": "ignored"},
        "fields": "metadataValue",
    }
    _batch(gspread_client, register_id, {"updateDeveloperMetadata": update})
    (stored,) = _metadata(gspread_client, register_id)["sheets"][0]["developerMetadata"]
    assert (stored["metadataKey"], stored["metadataValue"]) == (KEY, "new")


def test_delete_by_key_removes_every_match(gspread_client: gspread.Client, register_id: str) -> None:
    spreadsheet_level = {
        "createDeveloperMetadata": {
            "developerMetadata": {"metadataKey": KEY, "metadataValue": "s", "location": {"spreadsheet": True}, "visibility": "DOCUMENT"}
        }
    }
    _batch(gspread_client, register_id, _on_sheet(0, "a"), spreadsheet_level)
    (reply,) = _batch(
        gspread_client, register_id, {"deleteDeveloperMetadata": {"dataFilter": {"developerMetadataLookup": {"metadataKey": KEY}}}}
    )
    assert len(reply["deleteDeveloperMetadata"]["deletedDeveloperMetadata"]) == 2
    answer = _metadata(gspread_client, register_id)
    assert "developerMetadata" not in answer
    assert all("developerMetadata" not in sheet for sheet in answer["sheets"])


def test_deleting_the_sheet_deletes_its_metadata(gspread_client: gspread.Client, register_id: str) -> None:
    actions_id = gspread_client.open_by_key(register_id).worksheet("Actions").id
    _batch(gspread_client, register_id, _on_sheet(actions_id, "x"))
    _batch(gspread_client, register_id, {"deleteSheet": {"sheetId": actions_id}})
    _batch(gspread_client, register_id, {"addSheet": {"properties": {"sheetId": actions_id, "title": "Actions"}}})
    assert all("developerMetadata" not in sheet for sheet in _metadata(gspread_client, register_id)["sheets"])


def test_metadata_without_visibility_is_refused(gspread_client: gspread.Client, register_id: str) -> None:
    request = _on_sheet(0, "x")
    del request["createDeveloperMetadata"]["developerMetadata"]["visibility"]
    with pytest.raises(APIError, match="visibility"):
        _batch(gspread_client, register_id, request)


def test_the_drive_version_goes_up_with_every_write_and_only_then(gspread_client: gspread.Client, register_id: str) -> None:
    before = _version(gspread_client, register_id)
    gspread_client.open_by_key(register_id).worksheet("Incidents").update([["edited"]], "B2")
    after_edit = _version(gspread_client, register_id)
    _metadata(gspread_client, register_id)
    assert before < after_edit == _version(gspread_client, register_id)


def test_drive_metadata_scope_reads_the_version_but_not_the_cells(sheets_emulator: SheetsEmulator, register_id: str) -> None:
    client = make_client(sheets_emulator, scopes=METADATA_SCOPES)
    try:
        assert _version(client, register_id) >= 1
        with pytest.raises(APIError) as refused:
            client.http_client.values_get(register_id, "Incidents")
        assert refused.value.response.status_code == 403
    finally:
        close_client(client)
