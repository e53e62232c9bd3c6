"""A register-sized spreadsheet: a million cells written in requests the service accepts, read back in one,
and a request body over the service's 10 MiB limit refused as the service refuses it."""

from __future__ import annotations

from collections.abc import Iterator

import gspread
import pytest

from sheets_emulator import SheetsEmulator
from sheets_emulator.testing import close_client, make_client

ROWS, COLUMNS = 50_000, 20
ROWS_PER_REQUEST = 10_000


@pytest.fixture
def plain_emulator() -> Iterator[SheetsEmulator]:
    """Without schema validation, which would dominate a million-cell body."""
    with SheetsEmulator() as emulator:
        yield emulator


@pytest.fixture
def client(plain_emulator: SheetsEmulator) -> Iterator[gspread.Client]:
    client = make_client(plain_emulator)
    yield client
    close_client(client)


def big_sheet(emulator: SheetsEmulator) -> str:
    sid = emulator.create_spreadsheet("Big register", sheets=["Incidents"])
    grid = {"rowCount": ROWS + 1000, "columnCount": COLUMNS}
    request = {"updateSheetProperties": {"properties": {"sheetId": 0, "gridProperties": grid}, "fields": "gridProperties"}}
    emulator.store.batch_update(sid, {"requests": [request]})
    return sid


def rows(start: int, stop: int) -> list[list[object]]:
    return [[f"INC-{r}", "2026-11-20", r, *[f"text {r}.{c}" for c in range(COLUMNS - 3)]] for r in range(start, stop)]


def test_a_million_cells_written_in_parts_read_back_in_one_request(plain_emulator: SheetsEmulator, client: gspread.Client) -> None:
    sid = big_sheet(plain_emulator)
    api = client.http_client
    for start in range(0, ROWS, ROWS_PER_REQUEST):
        body = {"values": rows(start, start + ROWS_PER_REQUEST)}
        api.values_update(sid, f"Incidents!A{start + 1}", params={"valueInputOption": "USER_ENTERED"}, body=body)
    answer = api.values_batch_get(sid, ["Incidents"], params={"valueRenderOption": "UNFORMATTED_VALUE"})
    values = answer["valueRanges"][0]["values"]
    assert len(values) == ROWS
    assert values[-1][:3] == [f"INC-{ROWS - 1}", 46346, ROWS - 1]


def test_a_request_body_over_ten_mib_is_refused_and_changes_nothing(plain_emulator: SheetsEmulator, client: gspread.Client) -> None:
    sid = big_sheet(plain_emulator)
    api = client.http_client
    with pytest.raises(gspread.exceptions.APIError) as refused:
        api.values_update(sid, "Incidents!A1", params={"valueInputOption": "RAW"}, body={"values": rows(0, ROWS)})
    assert refused.value.response.status_code == 400
    assert "Request payload size exceeds the limit: 10485760 bytes." in str(refused.value)
    assert plain_emulator.store.rows(sid, "Incidents") == []
