"""The Google Sheets backend through real gspread and google-auth, against the emulator over HTTP."""

from __future__ import annotations

import json
import re
from datetime import date
from pathlib import Path

import gspread
import pytest

from pmsheets.core.schema import FINDINGS_HEADERS
from pmsheets.errors import RegisterError
from pmsheets.network import RetryPolicy
from pmsheets.register.sheets import RequestBody, SheetsRegister, SheetsUnavailable
from sheets_emulator import DEFAULT_EMAIL, SheetsEmulator
from tests.builders import ACTION_HEADERS, INCIDENT_HEADERS, action_row, incident_row, tables, write_workbook
from tests.cli_helpers import run

AS_OF = "2026-11-27T09:00:00+00:00"
FINDING = ["error", "action-overdue", "INC-1", "ACT-1", "Actions!F2", "due 2026-11-20, 7 days overdue"]


def register_with_actions(count: int) -> dict[str, list[list[object]]]:
    return tables(
        incidents=[incident_row(id="INC-1", severity="P1", customer_impact="Non-trivial", resolved_at="2026-11-20 10:00")],
        actions=[
            action_row(
                id=f"ACT-{n}",
                incident_id="INC-1",
                type="Short-term",
                owner="Ann",
                due_date=date(2026, 11, 20 + n % 10),
                tracking_link=f"OPS-{n}",
                status="Open",
            )
            for n in range(count)
        ],
    )


def sheet_key(emulator: SheetsEmulator, tmp_path: Path, content: dict[str, list[list[object]]]) -> str:
    return emulator.load_xlsx(write_workbook(tmp_path / "register.xlsx", content))


def backend(client: gspread.Client, key: str, sleeps: list[float] | None = None, budget: float = 60) -> SheetsRegister:
    record = sleeps.append if sleeps is not None else (lambda _s: None)
    return SheetsRegister(
        client, key, account_email=DEFAULT_EMAIL, retry=RetryPolicy(total_seconds=budget), sleep=record, jitter=lambda: 1.0
    )


def google_config(emulator: SheetsEmulator, tmp_path: Path, key: str, extra: str = "") -> Path:
    key_file = emulator.write_key_file(tmp_path / "key.json")
    key_file.chmod(0o600)
    config = tmp_path / "pmsheets.yaml"
    config.write_text(
        "register:\n  backend: google\n"
        f"  spreadsheet: {key}\n  credentials: {key_file.name}\n  api_endpoint: {emulator.url}\n  retry_seconds: 0\n{extra}",
        encoding="utf-8",
    )
    return config


# --- requests per cycle --------------------------------------------------------------------------


@pytest.mark.parametrize("actions", [10, 10_000])
def test_validate_and_write_cycle_costs_two_reads_and_one_write(emulator: SheetsEmulator, tmp_path: Path, actions: int) -> None:
    config = google_config(emulator, tmp_path, sheet_key(emulator, tmp_path, register_with_actions(actions)))
    code, _, err = run("--config", str(config), "validate", "--write", "--as-of", AS_OF, "--format", "json")
    assert code == 1, err
    assert (emulator.count("read"), emulator.count("write")) == (2, 1)


# --- the Findings tab ----------------------------------------------------------------------------


def test_findings_tab_is_created_when_missing(emulator: SheetsEmulator, sheets_client: gspread.Client, tmp_path: Path) -> None:
    key = sheet_key(emulator, tmp_path, register_with_actions(1))
    backend(sheets_client, key).write_findings([FINDING])
    assert emulator.store.rows(key, "Findings") == [list(FINDINGS_HEADERS), FINDING]


def test_findings_tab_is_replaced_without_leftover_rows(emulator: SheetsEmulator, sheets_client: gspread.Client, tmp_path: Path) -> None:
    key = sheet_key(emulator, tmp_path, {**register_with_actions(1), "Findings": [["old"]] * 50})
    backend(sheets_client, key).write_findings([FINDING])
    assert emulator.store.rows(key, "Findings") == [list(FINDINGS_HEADERS), FINDING]


def test_findings_are_written_as_text_never_formulas(emulator: SheetsEmulator, sheets_client: gspread.Client, tmp_path: Path) -> None:
    key = sheet_key(emulator, tmp_path, register_with_actions(1))
    backend(sheets_client, key).write_findings([["error", "r", "", "", "", '=IMPORTXML("http://evil")']])
    assert emulator.store.rows(key, "Findings", render="FORMULA")[1][5] == '=IMPORTXML("http://evil")'


def test_findings_write_says_when_the_rows_have_left(emulator: SheetsEmulator, sheets_client: gspread.Client, tmp_path: Path) -> None:
    key = sheet_key(emulator, tmp_path, register_with_actions(1))
    calls: list[int] = []
    backend(sheets_client, key).write_findings([FINDING], on_sent=lambda: calls.append(len(calls)))
    assert calls == [0]
    assert emulator.store.rows(key, "Findings")[1] == FINDING


def test_request_body_signals_only_after_its_last_chunk() -> None:
    seen: list[str] = []
    body = RequestBody([b"a", b"b"], on_sent=lambda: seen.append("sent"))
    seen.extend(chunk.decode() for chunk in body)
    assert seen == ["a", "b", "sent"]


def test_writing_findings_leaves_pm_tabs_untouched(emulator: SheetsEmulator, sheets_client: gspread.Client, tmp_path: Path) -> None:
    key = sheet_key(emulator, tmp_path, register_with_actions(3))
    before = {tab: emulator.store.rows(key, tab, render="FORMULA") for tab in ("Incidents", "Actions")}
    backend(sheets_client, key).write_findings([FINDING])
    assert {tab: emulator.store.rows(key, tab, render="FORMULA") for tab in ("Incidents", "Actions")} == before


# --- faults --------------------------------------------------------------------------------------


def test_rate_limit_and_server_errors_are_retried(emulator: SheetsEmulator, sheets_client: gspread.Client, tmp_path: Path) -> None:
    key = sheet_key(emulator, tmp_path, register_with_actions(1))
    sleeps: list[float] = []
    emulator.faults.script(429, 503)
    raw = backend(sheets_client, key, sleeps).read()
    assert "Incidents" in raw.tables
    assert sleeps == [1.0, 2.0]


def test_persistent_failure_stops_within_the_budget_and_writes_nothing(
    emulator: SheetsEmulator, sheets_client: gspread.Client, tmp_path: Path
) -> None:
    key = sheet_key(emulator, tmp_path, register_with_actions(1))
    sheets = backend(sheets_client, key, sleeps := [], budget=20)
    sheets.read()
    emulator.faults.fail_randomly(1.0, statuses=(500,))
    with pytest.raises(SheetsUnavailable, match=re.escape("still failing after retrying for 15 s. Nothing was written")):
        sheets.write_findings([FINDING])
    assert sleeps == [1.0, 2.0, 4.0, 8.0]
    assert "Findings" not in [sheet.props["title"] for sheet in emulator.store.spreadsheet(key).sheets]


def test_unshared_sheet_names_the_account_to_share_with(emulator: SheetsEmulator, sheets_client: gspread.Client, tmp_path: Path) -> None:
    key = sheet_key(emulator, tmp_path, register_with_actions(1))
    emulator.store.unshare(key, DEFAULT_EMAIL)
    with pytest.raises(RegisterError, match=f"is not shared with {DEFAULT_EMAIL}. Share it with {DEFAULT_EMAIL} as Editor"):
        backend(sheets_client, key).read()


def test_unknown_spreadsheet_says_to_check_the_key(sheets_client: gspread.Client) -> None:
    with pytest.raises(RegisterError, match=re.escape("no spreadsheet with key nope. Check register.spreadsheet")):
        backend(sheets_client, "nope").read()


def test_validate_on_an_outage_exits_2_with_one_line(emulator: SheetsEmulator, tmp_path: Path) -> None:
    config = google_config(emulator, tmp_path, sheet_key(emulator, tmp_path, register_with_actions(1)))
    emulator.faults.fail_randomly(1.0, statuses=(503,))
    code, out, err = run("--config", str(config), "validate", "--write", "--as-of", AS_OF)
    assert (code, out) == (2, "")
    assert err.startswith("pmsheets: error: could not open the spreadsheet")
    assert err.count("\n") == 1


# --- writing into PM tabs by ID ------------------------------------------------------------------


def test_fill_blank_cells_writes_only_blank_cells(emulator: SheetsEmulator, sheets_client: gspread.Client, tmp_path: Path) -> None:
    key = sheet_key(
        emulator,
        tmp_path,
        tables(incidents=[incident_row(id="INC-1", post_mortem_doc="https://mine"), incident_row(id="INC-2")]),
    )
    written = backend(sheets_client, key).fill_blank_cells(
        "Incidents", "ID", {"INC-1": {"Post-mortem doc": "https://tool/1"}, "INC-2": {"Post-mortem doc": "https://tool/2"}}
    )
    rows = emulator.store.rows(key, "Incidents")
    doc = INCIDENT_HEADERS.index("Post-mortem doc")
    assert written == ["'Incidents'!R3"]
    assert (rows[1][doc], rows[2][doc]) == ("https://mine", "https://tool/2")


def test_edits_between_read_and_write_never_misplace_a_value(
    emulator: SheetsEmulator, sheets_client: gspread.Client, tmp_path: Path
) -> None:
    key = sheet_key(emulator, tmp_path, tables(incidents=[incident_row(id=f"INC-{n}") for n in (3, 1, 2)]))
    sheets = backend(sheets_client, key)
    sheets.read()

    def pm_edits(running: SheetsEmulator) -> None:
        running.store.insert_rows(key, "Incidents", 1, 2)
        running.store.sort_rows(key, "Incidents", 0)

    emulator.faults.after_request(emulator.count(), pm_edits)
    sheets.fill_blank_cells("Incidents", "ID", {"INC-2": {"Post-mortem doc": "doc-2"}})
    rows = emulator.store.rows(key, "Incidents")
    doc = INCIDENT_HEADERS.index("Post-mortem doc")
    placed = {row[0]: row[doc] for row in rows[1:] if row and len(row) > doc and row[doc]}
    assert placed == {"INC-2": "doc-2"}


def test_renamed_header_means_nothing_is_written(emulator: SheetsEmulator, sheets_client: gspread.Client, tmp_path: Path) -> None:
    headers = [("PM document link" if h == "Post-mortem doc" else h) for h in INCIDENT_HEADERS]
    key = sheet_key(emulator, tmp_path, {"Incidents": [headers, incident_row(id="INC-1")], "Actions": [ACTION_HEADERS]})
    before = emulator.store.rows(key, "Incidents")
    assert backend(sheets_client, key).fill_blank_cells("Incidents", "ID", {"INC-1": {"Post-mortem doc": "x"}}) == []
    assert emulator.store.rows(key, "Incidents") == before


# --- time zone -----------------------------------------------------------------------------------


def test_spreadsheet_time_zone_is_used_when_config_sets_none(emulator: SheetsEmulator, tmp_path: Path) -> None:
    key = emulator.create_spreadsheet(
        "tz", sheets={"Incidents": [INCIDENT_HEADERS], "Actions": [ACTION_HEADERS]}, time_zone="America/New_York"
    )
    config = google_config(emulator, tmp_path, key)
    _, out, _ = run("--config", str(config), "validate", "--as-of", "2026-11-27T09:00", "--format", "json", "--no-write")
    assert json.loads(out)["as_of"] == "2026-11-27T09:00:00-05:00"


# --- init and doctor -----------------------------------------------------------------------------


def test_init_sheet_lays_out_an_empty_spreadsheet(emulator: SheetsEmulator, tmp_path: Path) -> None:
    key = emulator.create_spreadsheet("new register")
    config = google_config(emulator, tmp_path, key)
    code, _, err = run("--config", str(config), "init", "--sheet", key)
    assert code == 0, err
    spreadsheet = emulator.store.spreadsheet(key)
    titles = [sheet.props["title"] for sheet in spreadsheet.sheets]
    assert titles[-5:] == ["Incidents", "Actions", "Timeline", "People", "Findings"]
    assert emulator.store.rows(key, "Actions")[0] == ACTION_HEADERS
    assert run("--config", str(config), "validate", "--write", "--as-of", AS_OF)[0] == 0


def test_init_sheet_refuses_a_tab_with_data(emulator: SheetsEmulator, tmp_path: Path) -> None:
    key = emulator.create_spreadsheet("busy", sheets={"Incidents": [["my", "own", "data"]]})
    config = google_config(emulator, tmp_path, key)
    writes_before = emulator.count("write")
    code, _, err = run("--config", str(config), "init", "--sheet", key)
    assert code == 2
    assert "'Incidents' tab(s) already hold data" in err
    assert emulator.count("write") == writes_before
    assert emulator.store.rows(key, "Incidents") == [["my", "own", "data"]]


def test_init_sheet_with_demo_rows_validates_like_the_demo_workbook(emulator: SheetsEmulator, tmp_path: Path) -> None:
    key = emulator.create_spreadsheet("demo")
    config = google_config(emulator, tmp_path, key, "timezone: UTC\n")
    run("--config", str(config), "init", "--sheet", key, "--demo", "--as-of", AS_OF)
    workbook = tmp_path / "demo.xlsx"
    run("init", "--xlsx", str(workbook), "--demo", "--as-of", AS_OF)
    xlsx_config = tmp_path / "xlsx.yaml"
    xlsx_config.write_text(f"register:\n  path: {workbook.name}\n", encoding="utf-8")
    sheet_findings = json.loads(run("--config", str(config), "validate", "--as-of", AS_OF, "--format", "json", "--no-write")[1])
    xlsx_findings = json.loads(run("--config", str(xlsx_config), "validate", "--as-of", AS_OF, "--format", "json", "--no-write")[1])
    assert sheet_findings == xlsx_findings
    assert sheet_findings["counts"]["error"] > 10


def test_doctor_passes_on_a_shared_register(emulator: SheetsEmulator, tmp_path: Path) -> None:
    config = google_config(emulator, tmp_path, sheet_key(emulator, tmp_path, register_with_actions(1)))
    code, out, _ = run("--config", str(config), "doctor")
    assert code == 0, out
    assert all(line.startswith("ok") for line in out.splitlines())


def test_doctor_fails_on_an_unshared_sheet_and_names_the_account(emulator: SheetsEmulator, tmp_path: Path) -> None:
    key = sheet_key(emulator, tmp_path, register_with_actions(1))
    emulator.store.unshare(key, DEFAULT_EMAIL)
    code, out, _ = run("--config", str(google_config(emulator, tmp_path, key)), "doctor")
    assert code == 2
    assert f"FAIL  access: could not open the spreadsheet: spreadsheet {key} is not shared with {DEFAULT_EMAIL}" in out


def test_doctor_warns_about_a_key_file_others_can_read(emulator: SheetsEmulator, tmp_path: Path) -> None:
    config = google_config(emulator, tmp_path, sheet_key(emulator, tmp_path, register_with_actions(1)))
    (tmp_path / "key.json").chmod(0o644)
    _, out, _ = run("--config", str(config), "doctor")
    assert "warn  credentials: key file" in out
    assert "chmod 600" in out


def test_findings_past_the_request_size_limit_are_written_errors_first_with_a_note(
    emulator: SheetsEmulator, sheets_client: gspread.Client, tmp_path: Path
) -> None:
    key = sheet_key(emulator, tmp_path, register_with_actions(1))
    message = "m" * 300
    rows = [["warning", "action-due-missing", f"INC-{n}", f"ACT-{n}", "Ann", f"Actions!F{n + 2}", message] for n in range(30_000)]
    rows[25_000] = ["error", "owner-missing", "INC-25000", "ACT-25000", "Ann", "Actions!E25002", message]
    backend(sheets_client, key).write_findings(rows)
    written = emulator.store.rows(key, "Findings")
    assert written[0] == list(FINDINGS_HEADERS)
    assert written[1][1] == "findings-not-shown"
    assert written[1][6].endswith("list them all.")
    shown = written[2:]
    assert 10_000 < len(shown) < 30_000
    assert ["error", "owner-missing", "INC-25000", "ACT-25000", "Ann", "Actions!E25002", message] in shown
    assert shown[0][2] == "INC-0"


def test_validate_says_when_the_findings_tab_shows_only_some(emulator: SheetsEmulator, tmp_path: Path) -> None:
    untracked = [
        action_row(id=f"ACT-{n}", incident_id="INC-1", type="Short-term", due_date=date(2026, 11, 1), status="Open") for n in range(10_000)
    ]
    content = {**register_with_actions(0), "Actions": tables(actions=untracked)["Actions"]}
    key = sheet_key(emulator, tmp_path, content)  # no owner, no link, overdue: 30,000 findings, ~12 MB
    code, out, err = run("--config", str(google_config(emulator, tmp_path, key)), "validate", "--write", "--as-of", "2026-11-27T12:00")
    assert code == 1, err
    assert re.search(r"Findings tab of .* updated; it shows [\d,]+ of them, errors first", out)
