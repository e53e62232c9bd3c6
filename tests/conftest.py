"""Shared fixtures: the Sheets emulator, a gspread client, and registers on every backend (tests/builders.py builds their tables)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path

import gspread
import openpyxl
import pytest
from google.oauth2.service_account import Credentials
from hypothesis import settings

from pmsheets.register import RegisterBackend
from pmsheets.register.google_auth import SCOPES
from pmsheets.register.google_session import client_for
from pmsheets.register.xlsx import XlsxRegister
from sheets_emulator import SheetsEmulator
from tests.builders import EMULATOR_EPOCH, Tables, sheets_register, write_workbook
from tests.cli_helpers import ConfiguredRegister, make_config

# Property tests: the same examples on every run (derandomize, no example database), few enough to stay fast;
# the deadline only catches a pathological slowdown. Registered as "default" and as "ci" (the profile hypothesis
# picks by itself on CI), never loaded here: loading one would undo `pytest --hypothesis-profile=thorough`, the run
# that explores further.
for _profile in ("default", "ci"):
    settings.register_profile(_profile, max_examples=60, deadline=timedelta(seconds=2), derandomize=True, database=None)
settings.register_profile("thorough", max_examples=2000, deadline=None)


@pytest.fixture(autouse=True)
def _config_outside_the_checkout(monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory) -> None:
    """The default config path points into a temp folder, so no test reads or writes ./pmsheets.yaml."""
    monkeypatch.setenv("PMSHEETS_CONFIG", str(tmp_path_factory.mktemp("default-config") / "pmsheets.yaml"))


@pytest.fixture
def emulator() -> Iterator[SheetsEmulator]:
    """A Sheets API emulator on 127.0.0.1 with a fixed clock."""
    with SheetsEmulator(clock=lambda: EMULATOR_EPOCH) as running:
        yield running


@pytest.fixture
def sheets_client(emulator: SheetsEmulator) -> Iterator[gspread.Client]:
    """A real gspread client, authenticated by the emulator's token endpoint, talking HTTP to it."""
    credentials = Credentials.from_service_account_info(emulator.service_account_info(), scopes=list(SCOPES))
    client = client_for(credentials, emulator.url)
    yield client
    client.http_client.session.close()


@pytest.fixture(params=["xlsx", "google"])
def register_from(request: pytest.FixtureRequest, tmp_path: Path) -> Callable[[Tables], RegisterBackend]:
    """Builds a register backend holding the given tables: once as a workbook, once as a Google Sheet."""

    def build(content: Tables) -> RegisterBackend:
        workbook = write_workbook(tmp_path / "register.xlsx", content)
        if request.param == "xlsx":
            return XlsxRegister(workbook)
        emulator = request.getfixturevalue("emulator")
        return sheets_register(emulator, request.getfixturevalue("sheets_client"), workbook)

    return build


@pytest.fixture(params=["xlsx", "google"])
def configure(request: pytest.FixtureRequest, tmp_path: Path) -> Callable[..., ConfiguredRegister]:
    """Puts a workbook's register behind a config: as the workbook itself, or loaded into the Sheets emulator."""

    def build(workbook: Path, extra: str = "") -> ConfiguredRegister:
        if request.param == "xlsx":
            config = make_config(tmp_path, workbook, extra)
            return ConfiguredRegister(
                config, lambda: [list(row) for row in openpyxl.load_workbook(workbook)["Findings"].iter_rows(values_only=True)]
            )
        emulator = request.getfixturevalue("emulator")
        key = emulator.load_xlsx(workbook)
        emulator.write_key_file(tmp_path / "key.json")
        config = tmp_path / "pmsheets.yaml"
        config.write_text(
            f"register:\n  backend: google\n  spreadsheet: {key}\n  credentials: key.json\n  api_endpoint: {emulator.url}\n{extra}",
            encoding="utf-8",
        )
        return ConfiguredRegister(config, lambda: [row + [None] * (6 - len(row)) for row in emulator.store.rows(key, "Findings")])

    return build
