"""The discovery-document checker, and the emulator's opt-in validation of every exchange."""

from __future__ import annotations

from typing import Any

import pytest

from pmsheets.register.google_session import EndpointSession
from sheets_emulator import SheetsEmulator
from sheets_emulator.schema import SchemaChecker, discovery
from sheets_emulator.testing import credentials_for


@pytest.fixture(scope="module")
def checker() -> SchemaChecker:
    return SchemaChecker(discovery("sheets.v4.json"))


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        pytest.param({"range": "A1", "valuez": []}, ".valuez: unknown property", id="unknown-property"),
        pytest.param({"range": 5}, ".range: expected string, got int", id="wrong-type"),
        pytest.param({"majorDimension": "DIAGONAL"}, ".majorDimension: 'DIAGONAL' not in enum", id="bad-enum"),
        pytest.param({"values": "X"}, ".values: expected array, got str", id="not-a-list"),
    ],
)
def test_checker_reports_each_kind_of_violation(checker: SchemaChecker, value: dict[str, Any], problem: str) -> None:
    assert checker.check(value, "ValueRange") == [problem]


def test_checker_accepts_nulls_as_unset(checker: SchemaChecker) -> None:
    assert checker.check({"range": None, "majorDimension": None, "values": [[None, 1, "a", True]]}, "ValueRange") == []


def test_checker_follows_refs_into_nested_schemas(checker: SchemaChecker) -> None:
    body = {"requests": [{"addSheet": {"properties": {"gridProperties": {"rowCount": "many"}}}}]}
    problems = checker.check(body, "BatchUpdateSpreadsheetRequest")
    assert problems == [".requests[0].addSheet.properties.gridProperties.rowCount: expected integer, got str"]


def test_checker_knows_query_parameters_and_their_enums(checker: SchemaChecker) -> None:
    query = {"valueRenderOption": ["FORMATTED"], "fields": ["range"], "colour": ["blue"]}
    assert checker.check_query("sheets.spreadsheets.values.get", query) == [
        "query valueRenderOption: 'FORMATTED' not in enum",
        "query colour: unknown parameter",
    ]


def test_validation_mode_records_a_request_the_real_api_would_reject(sheets_emulator: SheetsEmulator, register_id: str) -> None:
    session = EndpointSession(credentials_for(sheets_emulator), sheets_emulator.url)
    try:
        url = f"https://sheets.googleapis.com/v4/spreadsheets/{register_id}/values/A1?valueInputOption=RAW"
        session.put(url, json={"values": [["x"]], "colour": "red"})
    finally:
        session.close()
    assert sheets_emulator.schema_violations == ["sheets.spreadsheets.values.update: request .colour: unknown property"]
    sheets_emulator.schema_violations.clear()
