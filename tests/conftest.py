"""Shared fixtures. Time is fixed (AS_OF); registers are built from small literal tables."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import gspread
import openpyxl
import pytest
from google.oauth2.service_account import Credentials
from hypothesis import settings

from pmsheets.core.check import Validation, validate
from pmsheets.core.policy import Policy
from pmsheets.core.schema import ACTIONS, INCIDENTS, ParseSettings
from pmsheets.register import RawRegister, RegisterBackend, TabFilter, every_tab
from pmsheets.register.google_auth import SCOPES
from pmsheets.register.google_session import client_for
from pmsheets.register.sheets import SheetsRegister
from pmsheets.register.xlsx import XlsxRegister
from sheets_emulator import DEFAULT_EMAIL, SheetsEmulator
from tests.cli_helpers import ConfiguredRegister, make_config

UTC = ZoneInfo("UTC")
AS_OF = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)  # a Friday

# Property tests: the same examples on every run (derandomize, no example database), few enough to stay fast;
# the deadline only catches a pathological slowdown. Registered as "default" and as "ci" (the profile hypothesis
# picks by itself on CI), never loaded here: this module is imported again as tests.conftest, which would undo
# `pytest --hypothesis-profile=thorough`, the run that explores further.
for _profile in ("default", "ci"):
    settings.register_profile(_profile, max_examples=60, deadline=timedelta(seconds=2), derandomize=True, database=None)
settings.register_profile("thorough", max_examples=2000, deadline=None)

Tables = Mapping[str, Sequence[Sequence[Any]]]
"""Tab title -> rows, header row first."""

INCIDENT_HEADERS = [c.header for c in INCIDENTS.columns]
ACTION_HEADERS = [c.header for c in ACTIONS.columns]


def incident_row(**values: Any) -> list[Any]:
    """A row in INCIDENT_HEADERS order; keyword names are the headers with spaces/dashes as '_'."""
    by_key = {h.lower().replace(" ", "_").replace("-", "_"): h for h in INCIDENT_HEADERS}
    row = {by_key[k]: v for k, v in values.items()}
    return [row.get(h) for h in INCIDENT_HEADERS]


def action_row(**values: Any) -> list[Any]:
    by_key = {h.lower().replace(" ", "_").replace("-", "_"): h for h in ACTION_HEADERS}
    row = {by_key[k]: v for k, v in values.items()}
    return [row.get(h) for h in ACTION_HEADERS]


def tables(incidents: Sequence[Sequence[Any]] = (), actions: Sequence[Sequence[Any]] = (), **extra: Any) -> dict[str, Any]:
    """A minimal register: the Incidents and Actions tabs with standard headers, plus any extra tabs."""
    return {
        "Incidents": [INCIDENT_HEADERS, *incidents],
        "Actions": [ACTION_HEADERS, *actions],
        **extra,
    }


def write_workbook(path: Path, content: Tables) -> Path:
    workbook = openpyxl.Workbook()
    workbook.remove(workbook.active)
    for title, rows in content.items():
        sheet = workbook.create_sheet(title)
        for row in rows:
            sheet.append(list(row))
    workbook.save(path)
    return path


@pytest.fixture(autouse=True)
def _config_outside_the_checkout(monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory) -> None:
    """The default config path points into a temp folder, so no test reads or writes ./pmsheets.yaml."""
    monkeypatch.setenv("PMSHEETS_CONFIG", str(tmp_path_factory.mktemp("default-config") / "pmsheets.yaml"))


EMULATOR_EPOCH = 1_795_000_000.0  # a fixed emulator clock: tokens never expire mid-test, quotas never roll over


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


def sheets_register(emulator: SheetsEmulator, client: gspread.Client, workbook: Path) -> SheetsRegister:
    """The same register a workbook holds, loaded into the emulator and read through gspread."""
    key = emulator.load_xlsx(workbook)
    return SheetsRegister(client, key, account_email=DEFAULT_EMAIL, sleep=lambda _seconds: None)


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


class InMemory:
    """The tables handed straight to the checks, the way a backend hands them over.

    For pure rule logic: reading real cells (date cells, text, numbers, every backend) is
    covered in test_schema.py, and going through the Sheets emulator for every rule case
    would only make the suite slow.
    """

    def __init__(self, content: Mapping[str, Any]) -> None:
        self.content = content

    def read(self, wanted: TabFilter = every_tab) -> RawRegister:
        return RawRegister(tables={title: rows for title, rows in self.content.items() if wanted(title)})


def in_memory(content: Mapping[str, Any]) -> InMemory:
    return InMemory(content)


def run_checks(
    backend: RegisterBackend, *, as_of: datetime = AS_OF, policy: Policy | None = None, settings: ParseSettings | None = None
) -> Validation:
    return validate(backend.read().tables, as_of=as_of, policy=policy or Policy(), settings=settings or ParseSettings())
