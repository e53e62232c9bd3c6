"""spreadsheets.values semantics, through the store's Python API (the same code the HTTP side calls)."""

from __future__ import annotations

from typing import Any

import pytest

from sheets_emulator import ApiError, Store
from sheets_emulator.a1 import quote_title


@pytest.fixture
def store() -> Store:
    return Store(clock=lambda: 1_790_000_000.0)


@pytest.fixture
def sid(store: Store) -> str:
    return store.create_spreadsheet("Register", sheets=["Incidents", "My Tab"])


def _put(store: Store, sid: str, range_: str, rows: list[list[Any]], option: str = "USER_ENTERED") -> dict[str, Any]:
    return store.values_update(sid, range_, {"values": rows}, input_option=option)


@pytest.mark.parametrize(
    ("typed", "unformatted", "formatted"),
    [
        pytest.param("2026-11-20", 46346, "2026-11-20", id="iso-date"),
        pytest.param("2026-11-20 14:05", 46346.586805555555, "2026-11-20 14:05", id="iso-date-time"),
        pytest.param("11/20/2026", 46346, "11/20/2026", id="us-date"),
        pytest.param("0042", 42, "42", id="number"),
        pytest.param("1,234.5", 1234.5, "1,234.5", id="grouped-number"),
        pytest.param("12%", 0.12, "12%", id="percent"),
        pytest.param("true", True, "TRUE", id="boolean"),
        pytest.param("=4/2", 2, "2", id="arithmetic-formula"),
        pytest.param("'0042", "0042", "0042", id="apostrophe-keeps-text"),
    ],
)
def test_user_entered_input_is_parsed_like_the_sheets_ui(store: Store, sid: str, typed: str, unformatted: Any, formatted: str) -> None:
    _put(store, sid, "Incidents!A1", [[typed]])
    assert store.values_get(sid, "Incidents!A1", value_render="UNFORMATTED_VALUE")["values"] == [[unformatted]]
    assert store.values_get(sid, "Incidents!A1")["values"] == [[formatted]]


def test_raw_input_keeps_strings_as_strings(store: Store, sid: str) -> None:
    _put(store, sid, "Incidents!A1", [["=1+1", "2026-11-20", "0042", 7]], option="RAW")
    answer = store.values_get(sid, "Incidents!A1:D1", value_render="UNFORMATTED_VALUE")
    assert answer["values"] == [["=1+1", "2026-11-20", "0042", 7]]


def test_formula_render_shows_the_formula_and_unknown_functions_show_their_text(store: Store, sid: str) -> None:
    _put(store, sid, "Incidents!A1", [["=SUM(B1:B3)", "=2*3"]])
    assert store.values_get(sid, "Incidents!A1:B1", value_render="FORMULA")["values"] == [["=SUM(B1:B3)", "=2*3"]]
    assert store.values_get(sid, "Incidents!A1:B1")["values"] == [["=SUM(B1:B3)", "6"]]


def test_date_time_render_option_formats_dates_only_when_asked(store: Store, sid: str) -> None:
    _put(store, sid, "Incidents!A1", [["2026-11-20", 5]])
    options = {"value_render": "UNFORMATTED_VALUE", "date_time_render": "FORMATTED_STRING"}
    assert store.values_get(sid, "Incidents!A1:B1", **options)["values"] == [["2026-11-20", 5]]


def test_answers_drop_trailing_empty_cells_and_rows(store: Store, sid: str) -> None:
    _put(store, sid, "Incidents!A1", [["a", "", "c", ""], ["", "", "", ""], ["", "b"], ["", ""]])
    answer = store.values_get(sid, "Incidents!A1:D4")
    assert answer == {"range": "Incidents!A1:D4", "majorDimension": "ROWS", "values": [["a", "", "c"], [], ["", "b"]]}


def test_empty_range_has_no_values_key(store: Store, sid: str) -> None:
    assert store.values_get(sid, "Incidents!A1:C3") == {"range": "Incidents!A1:C3", "majorDimension": "ROWS"}


def test_columns_major_dimension_transposes_and_trims(store: Store, sid: str) -> None:
    _put(store, sid, "Incidents!A1", [["a", "b"], ["c"]])
    assert store.values_get(sid, "Incidents!A1:B2", major="COLUMNS")["values"] == [["a", "c"], ["b"]]


def test_json_null_leaves_the_cell_unchanged(store: Store, sid: str) -> None:
    _put(store, sid, "Incidents!A1", [["keep", "old"]])
    answer = _put(store, sid, "Incidents!A1:B1", [[None, "new"]], option="RAW")
    assert store.values_get(sid, "Incidents!A1:B1")["values"] == [["keep", "new"]]
    assert (answer["updatedRange"], answer["updatedCells"]) == ("Incidents!A1:B1", 1)


@pytest.mark.parametrize(
    ("asked", "answered"),
    [
        pytest.param("Incidents", "Incidents!A1:Z1000", id="whole-tab"),
        pytest.param("Incidents!A1:C", "Incidents!A1:C1000", id="open-rows"),
        pytest.param("Incidents!A:A", "Incidents!A1:A1000", id="whole-column"),
        pytest.param("Incidents!A2:2", "Incidents!A2:Z2", id="row-to-the-edge"),
        pytest.param("Incidents!C3:A1", "Incidents!A1:C3", id="reversed"),
        pytest.param("B2", "Incidents!B2", id="first-sheet"),
        pytest.param("'My Tab'!A1:B2", "'My Tab'!A1:B2", id="quoted-title"),
        pytest.param("Incidents!A1:C9999", "Incidents!A1:C1000", id="cut-at-grid-edge"),
    ],
)
def test_ranges_are_answered_bounded_and_quoted_like_google(store: Store, sid: str, asked: str, answered: str) -> None:
    assert store.values_get(sid, asked)["range"] == answered


@pytest.mark.parametrize(
    ("title", "quoted"),
    [("Sheet1", "Sheet1"), ("My Tab", "'My Tab'"), ("D3", "'D3'"), ("It's", "'It''s'"), ("🌵 x", "'🌵 x'")],
)
def test_titles_are_quoted_when_google_quotes_them(title: str, quoted: str) -> None:
    assert quote_title(title) == quoted


def test_title_with_apostrophe_is_found_through_doubled_quotes(store: Store) -> None:
    sid = store.create_spreadsheet("x", sheets=["It's"])
    _put(store, sid, "'It''s'!A1", [["ok"]])
    assert store.values_get(sid, "'It''s'!A1")["values"] == [["ok"]]


def test_unknown_tab_is_unable_to_parse(store: Store, sid: str) -> None:
    with pytest.raises(ApiError) as caught:
        store.values_get(sid, "Nope!A1")
    assert (caught.value.code, caught.value.message) == (400, "Unable to parse range: Nope!A1")


def test_writing_past_the_grid_is_refused(store: Store, sid: str) -> None:
    with pytest.raises(ApiError) as caught:
        _put(store, sid, "Incidents!A1000", [["x"], ["y"]])
    assert caught.value.message == "Range ('Incidents'!A1000:A1001) exceeds grid limits. Max rows: 1000, max columns: 26"


def test_writing_more_than_the_requested_range_is_refused(store: Store, sid: str) -> None:
    with pytest.raises(ApiError) as caught:
        _put(store, sid, "Incidents!A1:B1", [["a", "b", "c"]])
    assert caught.value.message == "Requested writing within range ['Incidents'!A1:B1], but tried writing to column [C]"


def test_values_must_be_a_list_of_lists(store: Store, sid: str) -> None:
    with pytest.raises(ApiError) as caught:
        store.values_update(sid, "Incidents!A1", {"values": "X"}, input_option="RAW")
    assert caught.value.body()["error"]["details"][0]["fieldViolations"][0]["field"] == "data.values"


def test_value_input_option_is_required(store: Store, sid: str) -> None:
    with pytest.raises(ApiError, match="'valueInputOption' is required"):
        store.values_update(sid, "Incidents!A1", {"values": [["x"]]}, input_option=None)


def test_append_writes_under_the_table_and_reports_it(store: Store, sid: str) -> None:
    _put(store, sid, "Incidents!A1", [["ID", "Title"], ["INC-1", "a"]])
    answer = store.values_append(sid, "Incidents", {"values": [["INC-2", "b"]]}, input_option="RAW")
    assert answer["tableRange"] == "Incidents!A1:B2"
    assert answer["updates"]["updatedRange"] == "Incidents!A3:B3"


def test_append_follows_googles_table_search_across_a_gap(store: Store, sid: str) -> None:
    _put(store, sid, "Incidents!A1", [["a", "", "c"]], option="RAW")
    answer = store.values_append(sid, "Incidents", {"values": [["x"]]}, input_option="RAW")
    assert (answer["tableRange"], answer["updates"]["updatedRange"]) == ("Incidents!C1", "Incidents!C2")


def test_append_grows_the_grid_instead_of_failing(store: Store, sid: str) -> None:
    _put(store, sid, "Incidents!A1000", [["last"]])
    store.values_append(sid, "Incidents", {"values": [["more"]] * 3}, input_option="RAW")
    assert store.get(sid)["sheets"][0]["properties"]["gridProperties"]["rowCount"] == 1003
    assert store.values_get(sid, "Incidents!A1003")["values"] == [["more"]]


def test_append_insert_rows_pushes_data_down(store: Store, sid: str) -> None:
    _put(store, sid, "Incidents!A1", [["h"], ["1"], [""], ["below"]], option="RAW")
    store.values_append(sid, "Incidents!A1:A2", {"values": [["2"]]}, input_option="RAW", insert_option="INSERT_ROWS")
    assert store.rows(sid, "Incidents") == [["h"], ["1"], ["2"], [], ["below"]]


def test_clear_keeps_formats_and_reports_the_bounded_range(store: Store, sid: str) -> None:
    _put(store, sid, "Incidents!A1", [["2026-11-20"]])
    assert store.values_clear(sid, "Incidents")["clearedRange"] == "Incidents!A1:Z1000"
    store.values_update(sid, "Incidents!A1", {"values": [[46347]]}, input_option="RAW")
    assert store.values_get(sid, "Incidents!A1")["values"] == [["2026-11-21"]]


def test_batch_update_values_is_all_or_nothing(store: Store, sid: str) -> None:
    body = {"valueInputOption": "RAW", "data": [{"range": "Incidents!A1", "values": [["ok"]]}, {"range": "Nope!A1", "values": [["x"]]}]}
    with pytest.raises(ApiError):
        store.values_batch_update(sid, body)
    assert store.rows(sid, "Incidents") == []


def test_batch_update_values_totals(store: Store, sid: str) -> None:
    body = {
        "valueInputOption": "RAW",
        "data": [{"range": "Incidents!A1:B1", "values": [["a", "b"]]}, {"range": "Incidents!A4", "values": [["c"]]}],
    }
    answer = store.values_batch_update(sid, body)
    totals = {k: v for k, v in answer.items() if k.startswith("total")}
    assert totals == {"totalUpdatedRows": 2, "totalUpdatedColumns": 2, "totalUpdatedCells": 3, "totalUpdatedSheets": 1}
