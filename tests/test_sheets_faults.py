"""`pmsheets validate` on a Google Sheet while the API misbehaves, through real gspread and google-auth.

Each fault is injected by the emulator. Afterwards the PM tabs hold exactly what the PMs typed,
the Findings tab is either the old one or the new one (never a mix), and the exit code and the
one line the command prints say what happened. The emulator runs on a fake clock that the
tool's backoff advances, so nothing here waits except the one bounded client-timeout test.
"""

from __future__ import annotations

import functools
import io
import json
import threading
from collections.abc import Callable, Iterator
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest

from pmsheets.cli.main import main
from pmsheets.core.schema import FINDINGS_HEADERS
from pmsheets.network import host_of
from pmsheets.register import google
from pmsheets.register.sheets import SheetsRegister
from sheets_emulator import SheetsEmulator
from sheets_emulator.testing import FakeClock
from tests.builders import EMULATOR_EPOCH, action_row, incident_row, tables, write_workbook
from tests.pauses import Pauses

AS_OF = "2026-11-27T09:00:00+00:00"
PM_TABS = ("Incidents", "Actions")
OLD_ROWS = [list(FINDINGS_HEADERS), *[["info", "old-rule", f"INC-{n}", "", "", "", "from the last run"] for n in range(5)]]
OLD_FINDINGS = [row[:4] + row[5:] for row in OLD_ROWS]
"""The old rows as findings_tab shows them."""
READ, WRITE = 2, 3
"""The API requests of one validate cycle: 1 spreadsheet metadata, 2 values:batchGet, 3 batchUpdate."""


def register_content() -> dict[str, Any]:
    return tables(
        incidents=[
            incident_row(
                id="INC-1", title="Checkout down", severity="P1", customer_impact="Non-trivial", resolved_at=datetime(2026, 11, 20, 10, 0)
            ),
            incident_row(id="INC-2", title="Slow search", severity="P2", resolved_at=datetime(2026, 11, 25, 8, 0)),
        ],
        actions=[
            action_row(id="ACT-1", incident_id="INC-1", type="Short-term", owner="Ann", due_date=date(2026, 11, 20), tracking_link="OPS-1"),
            action_row(id="ACT-2", incident_id="INC-1", type="Long-term", due_date=date(2027, 1, 15)),
        ],
        Findings=OLD_ROWS,
    )


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(EMULATOR_EPOCH)


@pytest.fixture
def emulator(clock: FakeClock) -> Iterator[SheetsEmulator]:
    """The emulator on a clock that only moves when the tool backs off (or a test says so)."""
    with SheetsEmulator(clock=clock) as running:
        yield running
        assert not running.api.internal_errors, running.api.internal_errors


@pytest.fixture
def key(emulator: SheetsEmulator, tmp_path: Path) -> str:
    return emulator.load_xlsx(write_workbook(tmp_path / "register.xlsx", register_content()))


@pytest.fixture
def backoff(monkeypatch: pytest.MonkeyPatch, clock: FakeClock) -> list[float]:
    """The pauses the tool takes between retries; each moves the emulator's clock instead of sleeping."""
    pauses = Pauses(clock)
    monkeypatch.setattr(google, "SheetsRegister", functools.partial(SheetsRegister, sleep=pauses, jitter=lambda: 1.0))
    return pauses.taken


def config_for(emulator: SheetsEmulator, folder: Path, key: str, *, retry_seconds: float = 60, timeout_seconds: float = 30) -> str:
    key_file = emulator.write_key_file(folder / "key.json")
    key_file.chmod(0o600)
    config = folder / "pmsheets.yaml"
    config.write_text(
        f"register:\n  backend: google\n  spreadsheet: {key}\n  credentials: key.json\n  api_endpoint: {emulator.url}\n"
        f"  retry_seconds: {retry_seconds}\n  timeout_seconds: {timeout_seconds}\ntimezone: UTC\n",
        encoding="utf-8",
    )
    return str(config)


def validate(config: str, *options: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    write = [] if "--no-write" in options else ["--write"]
    code = main(["--config", config, "validate", *write, "--as-of", AS_OF, *options], stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


def new_findings(config: str) -> list[list[str]]:
    """The Findings tab a fault-free cycle would write, found with --no-write before any fault is set."""
    code, out, err = validate(config, "--format", "json", "--no-write")
    assert code == 1, err
    fields = ("level", "rule", "incident", "action", "cell", "message")
    return [list(JSON_HEADERS), *[[finding[name] or "" for name in fields] for finding in json.loads(out)["findings"]]]


def pm_tabs(emulator: SheetsEmulator, key: str) -> dict[str, list[list[Any]]]:
    return {tab: emulator.store.rows(key, tab, render="FORMULA") for tab in PM_TABS}


JSON_HEADERS = [header for header in FINDINGS_HEADERS if header != "Owner"]


def findings_tab(emulator: SheetsEmulator, key: str) -> list[list[Any]]:
    """The Findings tab as the JSON output has it: no Owner column, the header without its check time."""
    owner = FINDINGS_HEADERS.index("Owner")
    rows = [row[:owner] + row[owner + 1 :] for row in emulator.store.rows(key, "Findings")]
    if rows and rows[0]:
        rows[0][-1] = rows[0][-1].split(" (", 1)[0]
    return rows


def register_state(emulator: SheetsEmulator, key: str) -> tuple[dict[str, list[list[Any]]], list[list[Any]]]:
    """What the PMs see afterwards: their tabs, and the Findings tab."""
    return pm_tabs(emulator, key), findings_tab(emulator, key)


def after(emulator: SheetsEmulator, request: int, hook: Callable[[SheetsEmulator], None]) -> None:
    """Run `hook` after this cycle's `request` (READ or WRITE) is answered."""
    emulator.faults.after_request(emulator.count() + request, hook)


def succeeded(code: int, out: str, err: str) -> bool:
    """The register has error findings, so a complete cycle exits 1 and says it wrote the Findings tab."""
    return code == 1 and err == "" and out.splitlines()[-1].startswith("Findings tab of Google Sheet") and out.endswith("updated.\n")


def one_error_line(err: str) -> str:
    assert err.startswith("pmsheets: error: "), err
    assert err.count("\n") == 1, err
    return err


# --- rate limits and server errors ---------------------------------------------------------------


def test_429_storm_is_ridden_out_with_capped_backoff(emulator: SheetsEmulator, key: str, tmp_path: Path, backoff: list[float]) -> None:
    config = config_for(emulator, tmp_path, key)
    expected, typed = new_findings(config), pm_tabs(emulator, key)
    emulator.faults.script(*[429] * 6)
    assert succeeded(*validate(config))
    assert backoff == [1.0, 2.0, 4.0, 8.0, 16.0, 16.0]
    assert register_state(emulator, key) == (typed, expected)


def test_server_errors_on_the_write_are_retried_until_it_lands(
    emulator: SheetsEmulator, key: str, tmp_path: Path, backoff: list[float]
) -> None:
    config = config_for(emulator, tmp_path, key)
    expected, typed = new_findings(config), pm_tabs(emulator, key)
    emulator.faults.script(None, None, 500, 503, 500)
    assert succeeded(*validate(config))
    assert backoff == [1.0, 2.0, 4.0]
    assert register_state(emulator, key) == (typed, expected)


def test_outage_during_the_write_keeps_the_old_findings_and_exits_2(
    emulator: SheetsEmulator, key: str, tmp_path: Path, backoff: list[float]
) -> None:
    config = config_for(emulator, tmp_path, key, retry_seconds=20)
    typed = pm_tabs(emulator, key)
    after(emulator, READ, lambda running: running.faults.fail_randomly(1.0, statuses=(500,)))
    code, out, err = validate(config)
    assert (code, "updated" in out) == (2, False)
    assert one_error_line(err) == (
        f"pmsheets: error: could not write the Findings tab in {key}: {host_of(emulator.url)} answered 500 (Internal error encountered.), "
        "still failing after retrying for 15 s. Nothing was written. Try again later.\n"
    )
    assert register_state(emulator, key) == (typed, OLD_FINDINGS)


def test_outage_before_the_read_prints_no_findings_and_writes_nothing(emulator: SheetsEmulator, key: str, tmp_path: Path) -> None:
    config = config_for(emulator, tmp_path, key, retry_seconds=0)
    emulator.faults.fail_randomly(1.0, statuses=(503,))
    code, out, err = validate(config)
    assert (code, out) == (2, "")
    assert one_error_line(err).startswith(f"pmsheets: error: could not open the spreadsheet in {key}: {host_of(emulator.url)} answered 503")
    assert emulator.count("write") == 0


# --- slow answers and timeouts -------------------------------------------------------------------


def test_slow_answers_only_make_the_cycle_slower(emulator: SheetsEmulator, key: str, tmp_path: Path, clock: FakeClock) -> None:
    config = config_for(emulator, tmp_path, key)
    expected = new_findings(config)
    emulator.faults.sleep = clock.advance
    emulator.faults.latency = 25.0
    started = clock.now
    assert succeeded(*validate(config))
    assert clock.now - started == 75.0
    assert findings_tab(emulator, key) == expected


@pytest.fixture
def hung_api(emulator: SheetsEmulator) -> Iterator[threading.Event]:
    """Requests given latency hang until the test sets the event (set at teardown so the emulator can stop)."""
    release = threading.Event()
    emulator.faults.sleep = lambda _seconds: release.wait(timeout=10)
    yield release
    release.set()


def test_api_that_never_answers_times_out_and_exits_2(
    emulator: SheetsEmulator, key: str, tmp_path: Path, hung_api: threading.Event
) -> None:
    config = config_for(emulator, tmp_path, key, retry_seconds=0, timeout_seconds=0.2)
    emulator.faults.latency = 1.0
    code, out, err = validate(config)
    assert (code, out) == (2, "")
    assert one_error_line(err).startswith(
        f"pmsheets: error: could not open the spreadsheet in {key}: cannot reach {host_of(emulator.url)}: no answer within 0.2 s"
    )


def test_write_that_times_out_is_not_reported_as_never_written(
    emulator: SheetsEmulator, key: str, tmp_path: Path, hung_api: threading.Event
) -> None:
    config = config_for(emulator, tmp_path, key, retry_seconds=0, timeout_seconds=0.2)
    expected, typed = new_findings(config), pm_tabs(emulator, key)
    landed = threading.Event()
    after(emulator, READ, lambda running: setattr(running.faults, "latency", 1.0))
    after(emulator, WRITE, lambda _running: landed.set())
    code, _, err = validate(config)
    hung_api.set()
    assert landed.wait(timeout=10)
    assert code == 2
    assert one_error_line(err).endswith(
        "no answer within 0.2 s, still failing after retrying for 0 s. It may still have been applied (whole, never in part). "
        "Try again later.\n"
    )
    assert register_state(emulator, key) == (typed, expected)


# --- the token expires, the connection drops -----------------------------------------------------


def test_token_expiring_mid_cycle_is_refreshed_and_the_write_lands(
    emulator: SheetsEmulator, key: str, tmp_path: Path, clock: FakeClock
) -> None:
    config = config_for(emulator, tmp_path, key)
    expected, typed = new_findings(config), pm_tabs(emulator, key)
    emulator.authority.token_lifetime = 300  # short, yet longer than google-auth's early-refresh margin
    tokens_before = emulator.api.token_requests
    after(emulator, READ, lambda _running: clock.advance(301))
    assert succeeded(*validate(config))
    assert emulator.api.token_requests - tokens_before == 2
    assert register_state(emulator, key) == (typed, expected)


def test_connection_dropped_between_read_and_write_is_retried(
    emulator: SheetsEmulator, key: str, tmp_path: Path, backoff: list[float]
) -> None:
    config = config_for(emulator, tmp_path, key)
    expected, typed = new_findings(config), pm_tabs(emulator, key)
    after(emulator, READ, lambda running: running.faults.drop_connections(1))
    assert succeeded(*validate(config))
    assert backoff == [1.0]
    assert register_state(emulator, key) == (typed, expected)


def test_connection_that_keeps_dropping_keeps_the_old_findings_and_exits_2(
    emulator: SheetsEmulator, key: str, tmp_path: Path, backoff: list[float]
) -> None:
    config = config_for(emulator, tmp_path, key, retry_seconds=5)
    typed = pm_tabs(emulator, key)
    after(emulator, READ, lambda running: running.faults.drop_connections(10))
    code, _, err = validate(config)
    assert code == 2
    dropped = f"could not write the Findings tab in {key}: cannot reach {host_of(emulator.url)}: the connection was dropped"
    assert dropped in one_error_line(err)
    assert register_state(emulator, key) == (typed, OLD_FINDINGS)


# --- a PM edits the sheet between the read and the write -----------------------------------------


def test_pm_edits_between_read_and_write_stay_beside_the_new_findings(emulator: SheetsEmulator, key: str, tmp_path: Path) -> None:
    config = config_for(emulator, tmp_path, key)
    expected = new_findings(config)
    typed: dict[str, list[list[Any]]] = {}

    def pm_edits(running: SheetsEmulator) -> None:
        running.store.insert_rows(key, "Incidents", 1, 2)
        running.store.values_update(key, "Incidents!A2:B2", {"values": [["INC-3", "Login loop"]]}, input_option="USER_ENTERED")
        running.store.sort_rows(key, "Actions", 0, descending=True)
        running.store.values_update(key, "Actions!E1", {"values": [["Owner (team)"]]}, input_option="RAW")
        typed.update(pm_tabs(running, key))

    after(emulator, READ, pm_edits)
    assert succeeded(*validate(config))
    assert register_state(emulator, key) == (typed, expected)


def test_pm_deleting_the_findings_tab_between_read_and_write_gets_it_back(emulator: SheetsEmulator, key: str, tmp_path: Path) -> None:
    config = config_for(emulator, tmp_path, key)
    expected, typed = new_findings(config), pm_tabs(emulator, key)
    findings_id = emulator.store.sheet_id(key, "Findings")
    after(emulator, READ, lambda running: running.store.batch_update(key, {"requests": [{"deleteSheet": {"sheetId": findings_id}}]}))
    assert succeeded(*validate(config))
    assert register_state(emulator, key) == (typed, expected)


def test_pm_adding_a_findings_tab_between_read_and_write_gets_it_replaced(emulator: SheetsEmulator, tmp_path: Path) -> None:
    content = {tab: rows for tab, rows in register_content().items() if tab != "Findings"}
    key = emulator.load_xlsx(write_workbook(tmp_path / "register.xlsx", content))
    config = config_for(emulator, tmp_path, key)
    expected = new_findings(config)
    add = {"requests": [{"addSheet": {"properties": {"title": "Findings"}}}]}

    def pm_adds_the_tab(running: SheetsEmulator) -> None:
        running.store.batch_update(key, add)
        running.store.values_update(key, "Findings!A1", {"values": [["my notes"]] * 40}, input_option="RAW")

    after(emulator, READ, pm_adds_the_tab)
    assert succeeded(*validate(config))
    assert findings_tab(emulator, key) == expected


# --- quota ---------------------------------------------------------------------------------------


def test_a_cycle_fits_a_quota_of_two_reads_and_one_write_per_minute(
    emulator: SheetsEmulator, key: str, tmp_path: Path, clock: FakeClock
) -> None:
    config = config_for(emulator, tmp_path, key)
    expected = new_findings(config)
    emulator.quota.limits.update(read=2, write=1)
    clock.advance(60)  # a fresh quota window after new_findings' reads
    first = emulator.count() + 1
    assert succeeded(*validate(config))
    assert [request.status for request in emulator.requests[first - 1 :]] == [200, 200, 200]
    assert findings_tab(emulator, key) == expected


def test_quota_used_up_by_others_is_waited_out_when_the_budget_allows(
    emulator: SheetsEmulator, key: str, tmp_path: Path, backoff: list[float]
) -> None:
    config = config_for(emulator, tmp_path, key, retry_seconds=120)
    expected = new_findings(config)
    emulator.quota.limits["read"] = 2  # new_findings' cycle has just used both reads of this minute
    assert succeeded(*validate(config))
    assert backoff == [1.0, 2.0, 4.0, 8.0, 16.0, 16.0, 16.0]
    assert findings_tab(emulator, key) == expected


def test_quota_used_up_past_the_budget_exits_2_naming_the_quota(
    emulator: SheetsEmulator, key: str, tmp_path: Path, backoff: list[float]
) -> None:
    config = config_for(emulator, tmp_path, key)
    new_findings(config)
    emulator.quota.limits["read"] = 2
    code, out, err = validate(config)
    assert (code, out) == (2, "")
    assert f"{host_of(emulator.url)} answered 429 (Quota exceeded for quota metric 'Read requests'" in one_error_line(err)
    assert findings_tab(emulator, key) == OLD_FINDINGS
