"""register.auth: oauth, a PM's own saved Google login, through the real CLI against the emulator.

The emulator issues the saved login (the file gspread's store_credentials writes after the
browser flow) and refreshes it at its token endpoint; the spreadsheet and the Drive folder are
shared with the person's email, as a PM's own files are. The browser flow itself cannot run in a
test: what it asks for is login_scopes, tested as a function.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pmsheets import config as config_module
from pmsheets.errors import ExitCode
from pmsheets.register.google_auth import DRIVE, DRIVE_METADATA, SPREADSHEETS, login_scopes
from sheets_emulator import SheetsEmulator
from sheets_emulator.testing import clock, sheets_emulator
from tests.builders import AS_OF, write_workbook
from tests.cli_helpers import run
from tests.postmortem_fixtures import sample_tables
from tests.troubleshooting_doc import DOCUMENTED, shape

__all__ = ["clock", "sheets_emulator"]  # the fixtures: an emulator on a fake clock, every exchange checked against the discovery documents

PERSON = "pm@example.com"
EVERY_SCOPE = [SPREADSHEETS, DRIVE_METADATA, DRIVE]
DOCS = "postmortems:\n  publish: google_docs\n  google_docs:\n    folder: {folder}\n"


def project(tmp_path: Path, emulator: SheetsEmulator, scopes: list[str], extra: str = DOCS) -> Path:
    """The sample register as a Google Sheet and a Drive folder, both shared with the person, whose saved login holds `scopes`."""
    key = emulator.load_xlsx(write_workbook(tmp_path / "register.xlsx", sample_tables()), shared_with=(PERSON,))
    emulator.write_token_file(tmp_path / "login.json", PERSON, scopes)
    folder = emulator.create_folder(shared_with=(PERSON,))
    config = tmp_path / "pmsheets.yaml"
    config.write_text(
        f"register:\n  backend: google\n  spreadsheet: {key}\n  auth: oauth\n  oauth_token_file: login.json\n"
        f"  api_endpoint: {emulator.url}\n" + extra.format(folder=folder),
        encoding="utf-8",
    )
    return config


def generate(config: Path) -> tuple[int, str, str]:
    return run("--config", str(config), "generate", "--as-of", AS_OF.isoformat())


# --- one login for the register and the Docs -------------------------------------------------------------------


def test_login_with_every_scope_publishes_the_docs(tmp_path: Path, sheets_emulator: SheetsEmulator) -> None:
    code, out, err = generate(project(tmp_path, sheets_emulator, EVERY_SCOPE))
    assert code == ExitCode.OK, out + err
    assert len(sheets_emulator.store.docs.docs) == 3


def test_docs_made_with_the_login_belong_to_the_person(tmp_path: Path, sheets_emulator: SheetsEmulator) -> None:
    generate(project(tmp_path, sheets_emulator, EVERY_SCOPE))
    assert {doc.last_modifier for doc in sheets_emulator.store.docs.docs.values()} == {PERSON}


# --- a saved login made without Drive ---------------------------------------------------------------------------


def without_drive(token_file: Path) -> str:
    return (
        f"the saved Google login in {token_file} was made without access to Google Drive (needed by postmortems.publish: google_docs). "
        "Delete that file and run the command again in a terminal to log in with a browser."
    )


def test_login_without_drive_is_one_line_naming_the_token_file(tmp_path: Path, sheets_emulator: SheetsEmulator) -> None:
    code, _, err = generate(project(tmp_path, sheets_emulator, [SPREADSHEETS, DRIVE_METADATA]))
    assert code == ExitCode.FAILURE
    assert err == f"pmsheets: error: {without_drive(tmp_path / 'login.json')}\n"


def test_login_without_drive_line_is_in_troubleshooting(tmp_path: Path, sheets_emulator: SheetsEmulator) -> None:
    _, _, err = generate(project(tmp_path, sheets_emulator, [SPREADSHEETS, DRIVE_METADATA]))
    assert shape(err.rstrip("\n")) in DOCUMENTED


def test_login_without_drive_creates_nothing_in_drive(tmp_path: Path, sheets_emulator: SheetsEmulator) -> None:
    generate(project(tmp_path, sheets_emulator, [SPREADSHEETS, DRIVE_METADATA]))
    assert sheets_emulator.store.docs.docs == {}
    assert sheets_emulator.count("drive") == 0


def test_doctor_names_the_token_file_on_the_post_mortems_line(tmp_path: Path, sheets_emulator: SheetsEmulator) -> None:
    code, out, _ = run("--config", str(project(tmp_path, sheets_emulator, [SPREADSHEETS, DRIVE_METADATA])), "doctor")
    failed = [line for line in out.splitlines() if line.startswith("FAIL")]
    assert code == ExitCode.FAILURE
    assert failed == [f"FAIL  post-mortems: {without_drive(tmp_path / 'login.json')}"]
    assert shape(failed[0]) in DOCUMENTED


def test_login_without_the_sheets_scope_names_the_token_file(tmp_path: Path, sheets_emulator: SheetsEmulator) -> None:
    code, _, err = run("--config", str(project(tmp_path, sheets_emulator, [DRIVE_METADATA], extra="")), "validate", "--no-write")
    assert code == ExitCode.FAILURE
    assert "was made without access to Google Sheets (needed by register.backend: google)" in err
    assert shape(err.rstrip("\n")) in DOCUMENTED


# --- what the register needs, and no more ----------------------------------------------------------------------


def test_login_without_drive_metadata_still_reads_the_sheet(tmp_path: Path, sheets_emulator: SheetsEmulator) -> None:
    config = project(tmp_path, sheets_emulator, [SPREADSHEETS], extra="")
    code, out, err = run("--config", str(config), "validate", "--as-of", AS_OF.isoformat(), "--no-write")
    assert code in (ExitCode.OK, ExitCode.FINDINGS), err
    assert "error(s)" in out


def test_login_with_drive_alone_still_reads_the_sheet(tmp_path: Path, sheets_emulator: SheetsEmulator) -> None:
    config = project(tmp_path, sheets_emulator, [DRIVE], extra="")
    code, out, err = run("--config", str(config), "validate", "--as-of", AS_OF.isoformat(), "--no-write")
    assert code in (ExitCode.OK, ExitCode.FINDINGS), err
    assert "error(s)" in out


def test_login_that_records_no_scopes_is_left_to_google(tmp_path: Path, sheets_emulator: SheetsEmulator) -> None:
    config = project(tmp_path, sheets_emulator, [SPREADSHEETS, DRIVE_METADATA])
    token_file = tmp_path / "login.json"
    token_file.write_text(json.dumps({k: v for k, v in json.loads(token_file.read_text()).items() if k != "scopes"}))
    code, _, err = generate(config)
    assert code == ExitCode.FAILURE
    assert "the Google login lacks access to Google Drive (Request had insufficient authentication scopes.)" in err  # Drive's refusal
    assert shape(err.rstrip("\n")) in DOCUMENTED


# --- a saved login the token endpoint refuses ---------------------------------------------------------------------


def revoked(token_file: Path) -> None:
    """The login as it is after the person signed out or Google expired it: the refresh token is no longer honoured."""
    saved = json.loads(token_file.read_text(encoding="utf-8"))
    token_file.write_text(json.dumps({**saved, "refresh_token": "1//revoked", "expiry": "2000-01-01T00:00:00Z"}), encoding="utf-8")


LOGIN_REFUSED = (
    "(invalid_grant: Token has been expired or revoked.). The login was signed out, revoked or has expired (an OAuth app in testing "
    "mode expires logins after 7 days). Delete that file and run the command again in a terminal to log in with a browser."
)


def test_refused_login_says_to_log_in_again_not_to_download_a_key(tmp_path: Path, sheets_emulator: SheetsEmulator) -> None:
    config = project(tmp_path, sheets_emulator, EVERY_SCOPE, extra="")
    revoked(tmp_path / "login.json")
    code, _, err = run("--config", str(config), "validate", "--no-write")
    assert code == ExitCode.FAILURE
    assert err.endswith(f"the token endpoint refused the saved Google login in {tmp_path / 'login.json'} {LOGIN_REFUSED}\n")
    assert shape(err.rstrip("\n")) in DOCUMENTED


def test_doctor_says_the_same_of_a_refused_login(tmp_path: Path, sheets_emulator: SheetsEmulator) -> None:
    config = project(tmp_path, sheets_emulator, EVERY_SCOPE, extra="")
    revoked(tmp_path / "login.json")
    code, out, _ = run("--config", str(config), "doctor")
    failed = [line for line in out.splitlines() if line.startswith("FAIL")]
    assert code == ExitCode.FAILURE
    assert failed == [
        f"FAIL  credentials: the saved Google login in {tmp_path / 'login.json'} was refused by the token endpoint {LOGIN_REFUSED}"
    ]
    assert shape(failed[0]) in DOCUMENTED


# --- what the browser login asks for ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "why"), [("{not json", "not JSON"), ('{"type": "authorized_user"}', "not a saved login: its fields are missing")]
)
def test_damaged_login_file_is_one_line_naming_it(tmp_path: Path, sheets_emulator: SheetsEmulator, content: str, why: str) -> None:
    config = project(tmp_path, sheets_emulator, EVERY_SCOPE)
    (tmp_path / "login.json").write_text(content, encoding="utf-8")
    code, _, err = generate(config)
    assert code == ExitCode.FAILURE
    assert err == (
        f"pmsheets: error: the saved Google login in {tmp_path / 'login.json'} cannot be read ({why}). "
        "Delete that file and run the command again in a terminal to log in with a browser.\n"
    )
    assert shape(err.rstrip("\n")) in DOCUMENTED


def scopes_for(tmp_path: Path, text: str) -> tuple[str, ...]:
    path = tmp_path / "pmsheets.yaml"
    path.write_text(text, encoding="utf-8")
    return login_scopes(config_module.load(path))


GOOGLE_REGISTER = "register:\n  backend: google\n  spreadsheet: 1AbCdEfGhIjKlMnOpQrStUvWxYz0123456789AbCdEf\n  auth: oauth\n"


def test_login_for_the_register_alone_asks_for_no_drive_access(tmp_path: Path) -> None:
    assert scopes_for(tmp_path, GOOGLE_REGISTER) == (SPREADSHEETS, DRIVE_METADATA)


def test_login_for_register_and_docs_asks_for_drive_too(tmp_path: Path) -> None:
    assert scopes_for(tmp_path, GOOGLE_REGISTER + DOCS.format(folder="0AFolder")) == (SPREADSHEETS, DRIVE_METADATA, DRIVE)


@pytest.mark.parametrize(
    "publishing",
    [
        "postmortems:\n  publish: local\n",
        "postmortems:\n  publish: google_docs\n  google_docs:\n    folder: 0AFolder\n    credentials: key.json\n",
        "postmortems:\n  publish: google_docs\n  google_docs:\n    folder: 0AFolder\n    credentials_env: DOCS_KEY\n",
    ],
    ids=["local drafts", "docs with their own key file", "docs with their own key variable"],
)
def test_login_leaves_drive_out_when_the_docs_do_not_use_it(tmp_path: Path, publishing: str) -> None:
    assert DRIVE not in scopes_for(tmp_path, GOOGLE_REGISTER + publishing)
