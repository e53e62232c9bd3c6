"""spreadsheets:batchUpdate and spreadsheets.get through the store's Python API."""

from __future__ import annotations

import re
from typing import Any

import pytest

from sheets_emulator import ApiError, Store
from sheets_emulator.batch import HANDLERS, UNSUPPORTED
from sheets_emulator.schema import discovery


@pytest.fixture
def store() -> Store:
    return Store(clock=lambda: 1_790_000_000.0)


@pytest.fixture
def sid(store: Store) -> str:
    rows = [["ID", "Title", "Due"], ["INC-1", "b", "2026-11-20"], ["INC-2", "a", "2026-11-21"]]
    return store.create_spreadsheet("Register", sheets={"Incidents": rows})


def _batch(store: Store, sid: str, *requests: dict[str, Any]) -> dict[str, Any]:
    return store.batch_update(sid, {"requests": list(requests)}, user="bot@example.iam.gserviceaccount.com")


def _props(store: Store, sid: str, index: int = 0) -> dict[str, Any]:
    return store.get(sid)["sheets"][index]["properties"]


def test_add_sheet_defaults_to_1000_by_26(store: Store, sid: str) -> None:
    reply = _batch(store, sid, {"addSheet": {"properties": {"title": "Findings"}}})["replies"][0]
    assert reply["addSheet"]["properties"]["gridProperties"] == {"rowCount": 1000, "columnCount": 26}
    assert reply["addSheet"]["properties"]["index"] == 1


def test_add_sheet_with_a_taken_title_fails(store: Store, sid: str) -> None:
    with pytest.raises(ApiError, match='A sheet with the name "Incidents" already exists'):
        _batch(store, sid, {"addSheet": {"properties": {"title": "Incidents"}}})


def test_delete_last_sheet_fails(store: Store, sid: str) -> None:
    with pytest.raises(ApiError, match=re.escape("You can't remove all the sheets in a document.")):
        _batch(store, sid, {"deleteSheet": {"sheetId": 0}})


def test_update_sheet_properties_applies_only_the_masked_fields(store: Store, sid: str) -> None:
    props = {"sheetId": 0, "title": "Ignored", "gridProperties": {"frozenRowCount": 1, "rowCount": 5}}
    _batch(store, sid, {"updateSheetProperties": {"properties": props, "fields": "gridProperties.frozenRowCount"}})
    assert _props(store, sid) == {
        "sheetId": 0,
        "title": "Incidents",
        "index": 0,
        "sheetType": "GRID",
        "gridProperties": {"rowCount": 1000, "columnCount": 26, "frozenRowCount": 1},
    }


def test_shrinking_the_grid_drops_cells_outside_it(store: Store, sid: str) -> None:
    grid = {"rowCount": 2, "columnCount": 1}
    _batch(
        store,
        sid,
        {"updateSheetProperties": {"properties": {"sheetId": 0, "gridProperties": grid}, "fields": "gridProperties(rowCount,columnCount)"}},
    )
    assert store.rows(sid, "Incidents") == [["ID"], ["INC-1"]]


def test_update_cells_with_start_sets_values_and_notes(store: Store, sid: str) -> None:
    rows = [{"values": [{"userEnteredValue": {"numberValue": 5}, "note": "checked"}]}]
    _batch(
        store,
        sid,
        {"updateCells": {"start": {"sheetId": 0, "rowIndex": 3, "columnIndex": 1}, "rows": rows, "fields": "userEnteredValue,note"}},
    )
    cell = store.get(sid, ranges=["Incidents!B4"], include_grid_data=True)["sheets"][0]["data"][0]["rowData"][0]["values"][0]
    assert cell["userEnteredValue"] == {"numberValue": 5}
    assert cell["note"] == "checked"


def test_update_cells_with_range_clears_masked_fields_the_rows_leave_out(store: Store, sid: str) -> None:
    rng = {"sheetId": 0, "startRowIndex": 1, "endRowIndex": 3, "startColumnIndex": 0, "endColumnIndex": 1}
    _batch(
        store,
        sid,
        {"updateCells": {"range": rng, "rows": [{"values": [{"userEnteredValue": {"stringValue": "X"}}]}], "fields": "userEnteredValue"}},
    )
    assert [row[0] for row in store.rows(sid, "Incidents")] == ["ID", "X", ""]


def test_repeat_cell_formats_and_mirrors_colour_styles(store: Store, sid: str) -> None:
    cell = {"userEnteredFormat": {"backgroundColor": {"red": 1, "green": 0.5}, "textFormat": {"bold": True}}}
    rng = {"sheetId": 0, "startRowIndex": 0, "endRowIndex": 1}
    _batch(store, sid, {"repeatCell": {"range": rng, "cell": cell, "fields": "userEnteredFormat(backgroundColor,textFormat)"}})
    fields = "sheets.data.rowData.values.userEnteredFormat"
    fmt = store.get(sid, ranges=["Incidents!C1"], fields=fields)["sheets"][0]["data"][0]["rowData"][0]["values"][0]["userEnteredFormat"]
    assert fmt == {
        "backgroundColor": {"red": 1, "green": 0.49803922},
        "backgroundColorStyle": {"rgbColor": {"red": 1, "green": 0.49803922}},
        "textFormat": {"bold": True},
    }


def test_conditional_format_rule_is_listed_on_the_sheet(store: Store, sid: str) -> None:
    rule = {
        "ranges": [{"sheetId": 0, "startRowIndex": 1}],
        "booleanRule": {"condition": {"type": "BLANK"}, "format": {"textFormat": {"bold": True}}},
    }
    _batch(store, sid, {"addConditionalFormatRule": {"rule": rule, "index": 0}})
    assert store.get(sid)["sheets"][0]["conditionalFormats"] == [{"ranges": [{"startRowIndex": 1}], "booleanRule": rule["booleanRule"]}]


def test_insert_rows_moves_cells_and_protected_ranges_down(store: Store, sid: str) -> None:
    protected = {"range": {"sheetId": 0, "startRowIndex": 1, "endRowIndex": 3}}
    _batch(store, sid, {"addProtectedRange": {"protectedRange": protected}})
    _batch(store, sid, {"insertDimension": {"range": {"sheetId": 0, "dimension": "ROWS", "startIndex": 1, "endIndex": 3}}})
    assert [row[0] if row else "" for row in store.rows(sid, "Incidents")] == ["ID", "", "", "INC-1", "INC-2"]
    assert store.get(sid)["sheets"][0]["protectedRanges"][0]["range"] == {"startRowIndex": 3, "endRowIndex": 5}
    assert _props(store, sid)["gridProperties"]["rowCount"] == 1002


def test_delete_columns_shifts_the_rest_left(store: Store, sid: str) -> None:
    _batch(store, sid, {"deleteDimension": {"range": {"sheetId": 0, "dimension": "COLUMNS", "startIndex": 0, "endIndex": 1}}})
    assert store.rows(sid, "Incidents", render="FORMATTED_VALUE")[1] == ["b", "2026-11-20"]
    assert _props(store, sid)["gridProperties"]["columnCount"] == 25


def test_sort_range_keeps_formats_with_their_rows(store: Store, sid: str) -> None:
    _batch(
        store,
        sid,
        {"sortRange": {"range": {"sheetId": 0, "startRowIndex": 1}, "sortSpecs": [{"dimensionIndex": 1, "sortOrder": "ASCENDING"}]}},
    )
    assert store.rows(sid, "Incidents", render="FORMATTED_VALUE")[1:] == [["INC-2", "a", "2026-11-21"], ["INC-1", "b", "2026-11-20"]]


def test_a_failing_request_leaves_the_whole_batch_unapplied(store: Store, sid: str) -> None:
    with pytest.raises(ApiError, match=r"Invalid requests\[1\]\.deleteSheet: No grid with id: 99"):
        _batch(store, sid, {"addSheet": {"properties": {"title": "New"}}}, {"deleteSheet": {"sheetId": 99}})
    assert [s["properties"]["title"] for s in store.get(sid)["sheets"]] == ["Incidents"]


def test_unknown_request_kind_is_a_400(store: Store, sid: str) -> None:
    with pytest.raises(ApiError) as caught:
        _batch(store, sid, {"makeCoffee": {}})
    assert caught.value.code == 400
    assert caught.value.message == "Invalid JSON payload received. Unknown name \"makeCoffee\" at 'requests[0]': Cannot find field."


def test_real_but_unimplemented_request_kind_is_a_400_not_a_silent_success(store: Store, sid: str) -> None:
    with pytest.raises(ApiError, match="not supported by the emulator"):
        _batch(store, sid, {"autoResizeDimensions": {"dimensions": {"sheetId": 0, "dimension": "COLUMNS"}}})


def test_every_request_kind_of_the_discovery_document_is_handled_or_refused() -> None:
    kinds = set(discovery("sheets.v4.json")["schemas"]["Request"]["properties"])
    assert kinds == set(HANDLERS) | UNSUPPORTED


def test_cell_limit_of_ten_million_is_enforced(store: Store, sid: str) -> None:
    grid = {"rowCount": 400_000, "columnCount": 26}
    with pytest.raises(ApiError, match="above the limit of 10000000 cells"):
        _batch(store, sid, {"addSheet": {"properties": {"title": "Huge", "gridProperties": grid}}})


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        pytest.param("properties.timeZone", {"properties": {"timeZone": "Etc/GMT"}}, id="nested-path"),
        pytest.param(
            "sheets.properties(title,index)", {"sheets": [{"properties": {"title": "Incidents", "index": 0}}]}, id="sub-selection"
        ),
        pytest.param(
            "sheets/properties/gridProperties/rowCount", {"sheets": [{"properties": {"gridProperties": {"rowCount": 1000}}}]}, id="slashes"
        ),
        pytest.param("namedRanges", {}, id="absent-field"),
    ],
)
def test_get_applies_the_fields_mask(store: Store, sid: str, fields: str, expected: dict[str, Any]) -> None:
    assert store.get(sid, fields=fields) == expected


def test_get_with_ranges_returns_only_those_sheets(store: Store, sid: str) -> None:
    _batch(store, sid, {"addSheet": {"properties": {"title": "Actions"}}})
    answer = store.get(sid, ranges=["Actions!A1:B2"], include_grid_data=True)
    assert [s["properties"]["title"] for s in answer["sheets"]] == ["Actions"]
    assert answer["sheets"][0]["data"][0]["columnMetadata"] == [{"pixelSize": 100}, {"pixelSize": 100}]
