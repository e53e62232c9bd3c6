"""A register-sized read/write cycle stays fast; the bound is loose, it catches quadratic slips."""

from __future__ import annotations

import time
from collections.abc import Iterator

import gspread
import pytest

from pmsheets.emulator import SheetsEmulator
from pmsheets.emulator.testing import close_client, make_client

ROWS, COLUMNS = 50_000, 20
BUDGET_SECONDS = 15.0


@pytest.fixture
def plain_emulator() -> Iterator[SheetsEmulator]:
    """Without schema validation, which would dominate the timing of a million-cell body."""
    with SheetsEmulator() as emulator:
        yield emulator


@pytest.fixture
def client(plain_emulator: SheetsEmulator) -> Iterator[gspread.Client]:
    client = make_client(plain_emulator)
    yield client
    close_client(client)


def test_fifty_thousand_row_cycle_is_quick(plain_emulator: SheetsEmulator, client: gspread.Client) -> None:
    grid = {"rowCount": ROWS + 1000, "columnCount": COLUMNS}
    sid = plain_emulator.create_spreadsheet("Big register", sheets=["Incidents"])
    request = {"updateSheetProperties": {"properties": {"sheetId": 0, "gridProperties": grid}, "fields": "gridProperties"}}
    plain_emulator.store.batch_update(sid, {"requests": [request]})
    rows = [[f"INC-{r}", "2026-11-20", r, *[f"text {r}.{c}" for c in range(COLUMNS - 3)]] for r in range(ROWS)]
    api = client.http_client
    started = time.perf_counter()
    api.values_update(sid, "Incidents!A1", params={"valueInputOption": "USER_ENTERED"}, body={"values": rows})
    answer = api.values_batch_get(sid, ["Incidents"], params={"valueRenderOption": "UNFORMATTED_VALUE"})
    api.values_append(sid, "Incidents", params={"valueInputOption": "RAW"}, body={"values": [["INC-new"]]})
    elapsed = time.perf_counter() - started
    values = answer["valueRanges"][0]["values"]
    assert len(values) == ROWS
    assert values[-1][:3] == [f"INC-{ROWS - 1}", 46346, ROWS - 1]
    assert elapsed < BUDGET_SECONDS, f"{elapsed:.1f}s"
