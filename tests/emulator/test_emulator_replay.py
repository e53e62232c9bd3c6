"""Replays real Sheets/Drive exchanges recorded by gspread's test suite against the emulator.

Each recording's requests are sent in order (ids the emulator made replace the recorded ones)
and each answer must match the recorded one: same status, same JSON keys, lists and value
types, and the same cell values and A1 ranges.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote

import pytest

from pmsheets.register.google_session import EndpointSession
from sheets_emulator import SheetsEmulator
from sheets_emulator.testing import credentials_for

RECORDINGS = Path(__file__).resolve().parents[2] / ".." / "shared" / "sheets-api-recordings"
# The account that made the recordings: protected-range editors name it.
OTHER_EMAIL = "owner@elsewhere.iam.gserviceaccount.com"
RECORDER_EMAIL = "telegram-budgeter@telegram-budgeter.iam.gserviceaccount.com"

# Recordings that use what the emulator does not serve, each with the reason.
SKIPPED = {
    "ClientTest.test_client_export_spreadsheet": "Drive files.export (PDF/CSV download) is out of scope",
    "SpreadsheetTest.test_export_spreadsheet": "Drive files.export (PDF/CSV download) is out of scope",
    "ClientTest.test_copy": "Drive files.copy and comments are out of scope",
    "ClientTest.test_import_csv": "Drive v2 media upload (import_csv) is out of scope",
    "ClientTest.test_openall": "lists files that existed on the recording account before the test",
    "ClientTest.test_open_all_has_metadata": "lists files that existed on the recording account before the test",
    "WorksheetTest.test_auto_resize_columns": "autoResizeDimensions needs font metrics; not implemented",
    "WorksheetTest.test_basic_filters": "setBasicFilter/clearBasicFilter are not implemented",
    "WorksheetTest.test_copy_cut_range": "copyPaste/cutPaste are not implemented",
    "WorksheetTest.test_group_columns": "addDimensionGroup/deleteDimensionGroup are not implemented",
    "WorksheetTest.test_group_rows": "addDimensionGroup/deleteDimensionGroup are not implemented",
}

# Keys whose values differ between runs by nature; only their type is compared.
VOLATILE = {"spreadsheetId", "id", "sheetId", "protectedRangeId", "namedRangeId", "spreadsheetUrl", "createdTime", "modifiedTime"}
ID_KEYS = {"spreadsheetId", "id", "sheetId", "protectedRangeId", "namedRangeId"}
_FILE_ID = re.compile(r"(?<=/spreadsheets/)[A-Za-z0-9_-]{25,}|(?<=/files/)[A-Za-z0-9_-]{25,}")


def _recordings() -> list[Any]:
    if not RECORDINGS.is_dir():
        return [pytest.param(None, marks=pytest.mark.skip(reason=f"no recordings at {RECORDINGS}"), id="no-recordings")]
    params = []
    for path in sorted(RECORDINGS.glob("*.json")):
        marks = [pytest.mark.skip(reason=SKIPPED[path.stem])] if path.stem in SKIPPED else []
        params.append(pytest.param(path, marks=marks, id=path.stem))
    return params


class Replayer:
    """Sends recorded requests to the emulator, translating ids both ways."""

    def __init__(self, emulator: SheetsEmulator, session: EndpointSession) -> None:
        self.emulator = emulator
        self.session = session
        self.ids: dict[str, Any] = {}

    def replay(self, interaction: dict[str, Any]) -> tuple[int, Any]:
        request = interaction["request"]
        uri = self._translate_uri(request["uri"])
        body = request["body"]
        data = json.dumps(self._translate_body(json.loads(body))).encode() if body else None
        headers = {"Content-Type": "application/json"} if data else {}
        response = self.session.request(request["method"], uri, data=data, headers=headers)
        answer = response.json() if response.content and "json" in response.headers.get("Content-Type", "") else None
        return response.status_code, answer

    def _translate_uri(self, uri: str) -> str:
        path, _, query = uri.partition("?")
        path = _FILE_ID.sub(lambda m: self._file_id(m.group(0)), path)
        for old, new in self.ids.items():
            if isinstance(new, str) and len(old) > 20:
                query = query.replace(quote(old, safe=""), quote(new, safe="")).replace(old, new)
        return path + ("?" + query if query else "")

    def _file_id(self, recorded: str) -> str:
        """A file id the recording never created belongs to someone else's spreadsheet."""
        if recorded not in self.ids:
            self.ids[recorded] = self.emulator.store.create_spreadsheet("Not yours", shared_with=(OTHER_EMAIL,), owner=OTHER_EMAIL)
        return str(self.ids[recorded])

    def _translate_body(self, value: Any, key: str = "") -> Any:
        if isinstance(value, dict):
            return {k: self._translate_body(v, k) for k, v in value.items()}
        if isinstance(value, list):
            return [self._translate_body(v, key) for v in value]
        if key in ID_KEYS and str(value) in self.ids:
            return self.ids[str(value)]
        return value

    def learn_ids(self, recorded: Any, actual: Any) -> None:
        if isinstance(recorded, dict) and isinstance(actual, dict):
            for key, value in recorded.items():
                if key in ID_KEYS and key in actual and not isinstance(value, (dict, list)):
                    self.ids[str(value)] = actual[key]
                if key in actual:
                    self.learn_ids(value, actual[key])
        elif isinstance(recorded, list) and isinstance(actual, list):
            for rec, act in zip(recorded, actual, strict=False):
                self.learn_ids(rec, act)


def differences(recorded: Any, actual: Any, path: str = "", *, loose_lists: bool = False) -> list[str]:
    """Where `actual` departs from `recorded`: keys, list lengths, value types, and non-volatile values."""
    if isinstance(recorded, dict) and isinstance(actual, dict):
        found = [f"{path}: keys {sorted(set(recorded) ^ set(actual))}"] if set(recorded) != set(actual) else []
        for key in set(recorded) & set(actual):
            if key in VOLATILE:
                found += [] if _kind(recorded[key]) == _kind(actual[key]) else [f"{path}.{key}: type"]
            else:
                found += differences(recorded[key], actual[key], f"{path}.{key}", loose_lists=loose_lists or key == "files")
        return found
    if isinstance(recorded, list) and isinstance(actual, list):
        if loose_lists:
            return differences(recorded[0], actual[0], f"{path}[0]") if recorded and actual else []
        found = [f"{path}: {len(actual)} items, recorded {len(recorded)}"] if len(recorded) != len(actual) else []
        for index, (rec, act) in enumerate(zip(recorded, actual, strict=False)):
            found += differences(rec, act, f"{path}[{index}]")
        return found
    if _kind(recorded) != _kind(actual):
        return [f"{path}: {actual!r} is not like recorded {recorded!r}"]
    if isinstance(recorded, str) and path.rsplit(".", 1)[-1] in ("message", "createdTime", "modifiedTime"):
        return []
    return (
        []
        if recorded == actual or (_both_numbers(recorded, actual) and abs(recorded - actual) < 1e-6)
        else [f"{path}: {actual!r} != recorded {recorded!r}"]
    )


def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, (int, float)):
        return "number"
    return type(value).__name__


def _both_numbers(a: Any, b: Any) -> bool:
    return _kind(a) == "number" and _kind(b) == "number"


def _recorded_json(interaction: dict[str, Any]) -> Any:
    text = interaction["response"]["body"]["string"]
    try:
        return json.loads(text) if text else None
    except ValueError:
        return text


@pytest.fixture
def replay_emulator() -> Any:
    # The recordings hold hundreds of requests made over minutes; quota is not what they test.
    with SheetsEmulator(reads_per_minute=10_000, writes_per_minute=10_000, validate_schema=True) as emulator:
        yield emulator


@pytest.mark.parametrize("recording", _recordings())
def test_recording_replays_with_the_recorded_answers(recording: Path, replay_emulator: SheetsEmulator) -> None:
    session = EndpointSession(credentials_for(replay_emulator, RECORDER_EMAIL), replay_emulator.url)
    replayer = Replayer(replay_emulator, session)
    problems: list[str] = []
    try:
        for number, interaction in enumerate(json.loads(recording.read_text(encoding="utf-8"))["interactions"]):
            status, answer = replayer.replay(interaction)
            recorded = _recorded_json(interaction)
            where = f"#{number} {interaction['request']['method']} {unquote(interaction['request']['uri'])[:120]}"
            if status != interaction["response"]["status"]["code"]:
                problems.append(f"{where}: status {status}, recorded {interaction['response']['status']['code']} ({answer})")
                continue
            replayer.learn_ids(recorded, answer)
            problems += [f"{where} {d}" for d in differences(recorded, answer)] if isinstance(recorded, (dict, list)) else []
    finally:
        session.close()
    # Requests are the recorded client's (old gspread sent odd parameters); answers are the emulator's own.
    problems += [v for v in replay_emulator.schema_violations if ": response " in v]
    assert not problems, "\n".join(problems[:15])
