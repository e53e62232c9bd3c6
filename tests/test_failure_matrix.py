"""Issue 12's fault matrix: every command that touches the failing part, against every fault, through real parts.

Each case runs the command in-process and asserts the contract: the documented exit code, at
most two lines on stderr (run and worker log one line per step instead), never a traceback,
a line that names the host or file, nothing a PM typed changed and no half-written file left.
The servers are real (tests/fault_servers.py); nothing sleeps: a hanging server is cut off by
the client's own timeout_seconds.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import socket
import zipfile
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml

from pmsheets import files
from pmsheets.cli.main import build_parser, main, parse
from pmsheets.cli.report_job import transport_for
from pmsheets.cli.session import open_backend
from pmsheets.cli.worker import build_worker
from pmsheets.config import load as load_config
from pmsheets.errors import ExitCode, PmsheetsError
from pmsheets.network import host_of
from pmsheets.ops.cycle import CycleState, run_cycle
from pmsheets.ops.events import EventLog
from pmsheets.ops.heartbeat import read_beat
from pmsheets.ops.lease import lease_for
from tests.builders import write_workbook
from tests.fault_servers import UNRESOLVABLE, closed_port, fault_server, self_signed_tls_server, service_account_key
from tests.postmortem_fixtures import sample_tables
from tests.smtp_server import HOST as SMTP_HOST
from tests.smtp_server import running_server, self_signed_certificate
from tests.troubleshooting_doc import DOCUMENTED, shape

AS_OF = "2026-11-27T09:00:00+00:00"
MONDAY = "2026-11-30T09:30:00+00:00"
"""Half an hour after the weekly reports' slot: run sends them."""
SHEET = "1FaultyFaultyFaultyFaultyFaultyFaultyFaulty1"
TIMEOUT = 0.2  # register.timeout_seconds where the server hangs: a hanging server costs this long per case
PATIENT = 10.0
"""register.timeout_seconds everywhere else: a loaded CI machine must not turn a prompt answer into a timeout."""

COMMANDS: dict[str, list[str]] = {
    "validate": ["validate", "--as-of", AS_OF, "--write"],  # --write: a what-if (--as-of) writes only when asked
    "generate": ["generate", "--as-of", AS_OF],
    "report": ["report", "--as-of", AS_OF],
    "report --send": ["report", "--send", "--as-of", AS_OF],
    "export": ["export", "--as-of", AS_OF],
    "run": ["run", "--as-of", AS_OF],
    "worker": ["worker"],
    "doctor": ["doctor"],
    "init --sheet": ["init", "--sheet", SHEET],
    "health": ["health"],
}
LOGGING = {"run", "worker"}
"""Commands that log one line per step on stderr instead of ending in one line."""


@dataclass(frozen=True)
class Result:
    code: int
    out: str
    err: str
    health: str = ""
    """For the worker: what `pmsheets health` says after its first cycle."""

    @property
    def said(self) -> str:
        return self.out + self.err + self.health


def attempt(command: str, config: Path, *, as_of: str = AS_OF) -> Result:
    """Run `command` once; the worker runs its first cycle (the loop then would wait for the next tick)."""
    out, err = io.StringIO(), io.StringIO()
    argv = [as_of if arg == AS_OF else arg for arg in COMMANDS[command]] + ["--config", str(config)]
    if command != "worker":
        code = main(argv, stdout=out, stderr=err)
        return Result(code, out.getvalue(), err.getvalue())
    try:
        worker, _events = build_worker(parse(build_parser(), argv), err)
    except PmsheetsError:  # a config or credentials problem stops the worker before its loop: as the CLI ends it
        return Result(main(argv, stdout=out, stderr=err), out.getvalue(), err.getvalue())
    worker.start()
    health_out = io.StringIO()
    code = main(["health", "--config", str(config)], stdout=health_out, stderr=health_out)
    return Result(code, out.getvalue(), err.getvalue(), health_out.getvalue())


def assert_contract(result: Result, command: str, *, code: int, names: str) -> None:
    assert "Traceback" not in result.said, result.said
    assert result.code == code, result.said
    if command not in LOGGING:
        assert len(result.err.splitlines()) <= 2, result.err
        for line in result.err.splitlines() + [line for line in result.out.splitlines() if line.startswith("FAIL  credentials")]:
            if line.startswith(("pmsheets", "FAIL")):
                assert shape(line) in DOCUMENTED, f"not in docs/troubleshooting.md (as worded here): {line}"
    assert names in result.said, result.said


def fingerprint(folder: Path) -> dict[str, str]:
    """Every file under `folder` (hidden ones too: a temporary file left behind shows here) and its content's hash."""
    return {
        str(path.relative_to(folder)): hashlib.sha256(path.read_bytes()).hexdigest() for path in sorted(folder.rglob("*")) if path.is_file()
    }


def leftovers(folder: Path) -> list[str]:
    return [str(path.relative_to(folder)) for path in folder.rglob(".*.tmp")]


def write_config(folder: Path, settings: dict[str, Any]) -> Path:
    base: dict[str, Any] = {
        "timezone": "UTC",
        "register": {"path": "register.xlsx"},
        "postmortems": {"dir": "docs"},
        "reports": {"dir": "reports", "overdue": {"to": ["team@example.com"]}, "escalation": {"to": ["ops@example.com"]}},
        "mail": {"transport": "file", "outbox": "outbox", "from": "pmsheets <reports@example.com>"},
        "worker": {"heartbeat": "worker.heartbeat"},
    }
    for key, value in settings.items():
        base[key] = {**base.get(key, {}), **value} if isinstance(value, dict) else value
    path = folder / "pmsheets.yaml"
    path.write_text(yaml.safe_dump(base), encoding="utf-8")
    return path


# --- Google ------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def key_factory() -> Callable[[str], dict[str, Any]]:
    """One RSA key for the module (2048-bit keys take a while to make), pointed at any token endpoint."""
    template = service_account_key("http://unused")
    return lambda token_uri: {**template, "token_uri": token_uri}


def _token_refused(_folder: Path) -> AbstractContextManager[tuple[str, str]]:
    port = closed_port()
    return nullcontext((f"http://127.0.0.1:{port}/token", f"http://127.0.0.1:{port}"))


def _token_dns(_folder: Path) -> AbstractContextManager[tuple[str, str]]:
    return nullcontext((f"https://{UNRESOLVABLE}/token", f"https://{UNRESOLVABLE}"))


@contextmanager
def _token_tls(folder: Path) -> Iterator[tuple[str, str]]:
    with self_signed_tls_server(folder) as server:
        yield f"{server.url}/token", server.url


def _api(mode: str, *, refuse_key: bool = False, token_hangs: bool = False) -> Callable[[Path], AbstractContextManager[tuple[str, str]]]:
    @contextmanager
    def setup(_folder: Path) -> Iterator[tuple[str, str]]:
        with fault_server(mode) as server:
            if refuse_key:
                server.token_error = REFUSED_KEY
            server.token_hangs = token_hangs
            yield f"{server.url}/token", server.url

    return setup


ENDPOINT_FAULTS: dict[str, tuple[Callable[[Path], AbstractContextManager[tuple[str, str]]], str]] = {
    "token endpoint refuses the connection": (_token_refused, "the connection was refused"),
    "token endpoint name does not resolve": (_token_dns, f"cannot reach {UNRESOLVABLE}: its name does not resolve (DNS)"),
    "token endpoint with a self-signed certificate": (_token_tls, "its TLS certificate is not trusted"),
    "API answers a proxy's HTML 502": (_api("html_502"), "answered 502"),
    "API answers 200 with HTML": (_api("not_json"), "answered with something that is not JSON"),
    "API answers JSON of the wrong shape": (_api("wrong_shape"), "answered JSON that is not a Sheets API answer"),
    "API hangs past timeout_seconds": (_api("hang"), f"no answer within {TIMEOUT:g} s"),
    "token endpoint refuses the key": (_api("hang", refuse_key=True), "(invalid_grant: Invalid JWT Signature.)"),
    "token endpoint hangs past timeout_seconds": (_api("hang", token_hangs=True), f"no answer within {TIMEOUT:g} s"),
    "sheet not shared (403)": (_api("forbidden"), "is not shared with pmsheets-bot@pmsheets-faults.iam.gserviceaccount.com"),
}
KEY_FILE_FAULTS: dict[str, Callable[[Path], None]] = {
    "key file is a directory": lambda path: path.mkdir(),
    "key file is empty": lambda path: path.write_text("", encoding="utf-8"),
    "key file is not JSON": lambda path: path.write_text("-----BEGIN PRIVATE KEY-----\nMIIE\n", encoding="utf-8"),
}
GOOGLE_COMMANDS = ("validate", "generate", "report", "report --send", "export", "run", "worker", "doctor", "init --sheet")


def google_config(folder: Path, api_endpoint: str, *, timeout: float = PATIENT) -> Path:
    return write_config(
        folder,
        {
            "register": {
                "backend": "google",
                "spreadsheet": SHEET,
                "credentials": "key.json",
                "api_endpoint": api_endpoint,
                "timeout_seconds": timeout,
                "retry_seconds": 0,
            }
        },
    )


@pytest.mark.parametrize("command", GOOGLE_COMMANDS)
@pytest.mark.parametrize("fault", ENDPOINT_FAULTS)
def test_google_endpoint_fault(fault: str, command: str, tmp_path: Path, key_factory: Callable[[str], dict[str, Any]]) -> None:
    setup, names = ENDPOINT_FAULTS[fault]
    with setup(tmp_path) as (token_uri, api_endpoint):
        (tmp_path / "key.json").write_text(json.dumps(key_factory(token_uri)), encoding="utf-8")
        (tmp_path / "key.json").chmod(0o600)
        config = google_config(tmp_path, api_endpoint, timeout=TIMEOUT if "hangs" in fault else PATIENT)
        before = fingerprint(tmp_path)
        result = attempt(command, config)
    expected = ExitCode.OK if command == "worker" else ExitCode.FAILURE  # the worker lives on; health says why
    assert_contract(result, command, code=expected, names=names)
    if command == "worker":
        assert "last cycle:" in result.health
        assert names in result.health
    else:
        assert fingerprint(tmp_path) == before, "nothing is written when the register cannot be read"


@pytest.mark.parametrize("command", GOOGLE_COMMANDS)
@pytest.mark.parametrize("fault", KEY_FILE_FAULTS)
def test_google_key_file_fault(fault: str, command: str, tmp_path: Path) -> None:
    KEY_FILE_FAULTS[fault](tmp_path / "key.json")
    config = google_config(tmp_path, "http://127.0.0.1:9")
    before = fingerprint(tmp_path)
    result = attempt(command, config)
    assert_contract(result, command, code=ExitCode.FAILURE, names="key.json")
    assert fingerprint(tmp_path) == before


REFUSED_KEY = {"error": "invalid_grant", "error_description": "Invalid JWT Signature."}


def test_doctor_tells_a_refused_key_from_an_unreachable_host(tmp_path: Path, key_factory: Callable[[str], dict[str, Any]]) -> None:
    """The fault server's token endpoint answers; a 400 invalid_grant there is the key's fault, not the network's."""
    with fault_server("html_502") as server:
        server.token_error = REFUSED_KEY
        (tmp_path / "key.json").write_text(json.dumps(key_factory(f"{server.url}/token")), encoding="utf-8")
        (tmp_path / "key.json").chmod(0o600)
        result = attempt("doctor", google_config(tmp_path, server.url))
    assert result.code == ExitCode.FAILURE
    assert "FAIL  credentials: the key was refused by the token endpoint (invalid_grant: Invalid JWT Signature.)" in result.out
    assert "cannot reach" not in result.out


def test_doctor_says_cannot_reach_the_host_when_the_network_is_at_fault(
    tmp_path: Path, key_factory: Callable[[str], dict[str, Any]]
) -> None:
    (tmp_path / "key.json").write_text(json.dumps(key_factory(f"https://{UNRESOLVABLE}/token")), encoding="utf-8")
    (tmp_path / "key.json").chmod(0o600)
    result = attempt("doctor", google_config(tmp_path, f"https://{UNRESOLVABLE}"))
    assert f"FAIL  credentials: cannot reach {host_of('https://' + UNRESOLVABLE)}: its name does not resolve (DNS)" in result.out
    assert "refused" not in result.out


# --- the worker's heartbeat ----------------------------------------------------------------------------------


def test_health_after_a_failed_cycle_names_the_reason(tmp_path: Path, key_factory: Callable[[str], dict[str, Any]]) -> None:
    (tmp_path / "key.json").write_text(json.dumps(key_factory(f"https://{UNRESOLVABLE}/token")), encoding="utf-8")
    (tmp_path / "key.json").chmod(0o600)
    result = attempt("worker", google_config(tmp_path, f"https://{UNRESOLVABLE}"))
    beat = read_beat(tmp_path / "worker.heartbeat")
    assert beat is not None
    assert beat.last_cycle is not None
    assert beat.last_cycle.endswith(
        f"failed: read: could not open the spreadsheet: cannot reach {UNRESOLVABLE}: its name does not resolve (DNS). "
        "Check the network, the proxy (HTTPS_PROXY) and register.api_endpoint; nothing was written."
    )
    assert result.health.startswith("healthy: last heartbeat")


def register_tables() -> dict[str, Any]:
    return sample_tables()


def sample_register(folder: Path) -> Path:
    return write_workbook(folder / "register.xlsx", register_tables())


# --- config --------------------------------------------------------------------------------------------------

CONFIG_FAULTS: dict[str, tuple[str, str]] = {
    "YAML syntax error": ("register:\n path: register.xlsx\n  backend: xlsx\n", "is not valid YAML (line 3, column 10)"),
    "a list, not a mapping": ("- register\n- path: register.xlsx\n", "the top level must be a mapping of keys to values"),
    "unknown top-level key": ("registr:\n  path: register.xlsx\n", "unknown key 'registr'. Did you mean 'register'?"),
    "secret pasted into the config": ("register:\n  path: register.xlsx\n  password: hunter2-secret\n", "looks like a secret"),
}


@pytest.mark.parametrize("command", COMMANDS)
@pytest.mark.parametrize("fault", CONFIG_FAULTS)
def test_config_fault(fault: str, command: str, tmp_path: Path) -> None:
    text, names = CONFIG_FAULTS[fault]
    sample_register(tmp_path)
    config = tmp_path / "pmsheets.yaml"
    config.write_text(text, encoding="utf-8")
    before = fingerprint(tmp_path)
    result = attempt(command, config)
    assert_contract(result, command, code=ExitCode.FAILURE, names=names)
    assert str(config) in result.said
    assert "hunter2" not in result.said
    assert fingerprint(tmp_path) == before


# --- files: the register -------------------------------------------------------------------------------------


def _register_directory(path: Path) -> None:
    path.mkdir()


def _register_not_a_workbook(path: Path) -> None:
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("notes.txt", "a zip file, but not a workbook")


def _register_unreadable(path: Path) -> None:
    write_workbook(path, register_tables())
    path.chmod(0)


REGISTER_FAULTS: dict[str, tuple[Callable[[Path], None], str]] = {
    "register path is a directory": (_register_directory, "register.xlsx"),
    "register is a zip but not a workbook": (_register_not_a_workbook, "is not a readable .xlsx workbook"),
    "register is unreadable": (_register_unreadable, "Permission denied"),
}
REGISTER_COMMANDS = ("validate", "generate", "report", "report --send", "export", "run", "worker", "doctor")


@pytest.mark.parametrize("command", REGISTER_COMMANDS)
@pytest.mark.parametrize("fault", REGISTER_FAULTS)
def test_register_file_fault(fault: str, command: str, tmp_path: Path) -> None:
    if fault == "register is unreadable" and os.geteuid() == 0:
        pytest.skip("root reads any file: permissions cannot make the register unreadable")
    make, names = REGISTER_FAULTS[fault]
    make(tmp_path / "register.xlsx")
    config = write_config(tmp_path, {})
    before = fingerprint(tmp_path) if fault != "register is unreadable" else {}
    result = attempt(command, config)
    expected = ExitCode.OK if command == "worker" else ExitCode.FAILURE
    assert_contract(result, command, code=expected, names=names)
    if command == "worker":
        assert names in result.health
    elif before:
        assert fingerprint(tmp_path) == before


EMPTY_TAB_CODES = {
    "validate": ExitCode.FINDINGS,
    "generate": ExitCode.FAILURE,  # no incident can be read, so no draft can be written
    "report": ExitCode.OK,
    "report --send": ExitCode.OK,
    "export": ExitCode.OK,
    "run": ExitCode.FAILURE,  # its drafts step fails as generate does
    "worker": ExitCode.OK,
    "doctor": ExitCode.FAILURE,
}


@pytest.mark.parametrize("command", REGISTER_COMMANDS)
def test_required_tab_empty_is_a_finding_not_a_crash(command: str, tmp_path: Path) -> None:
    """An empty Incidents tab is the register's content: a header-missing error finding, and the other commands go on."""
    content = register_tables()
    write_workbook(tmp_path / "register.xlsx", {**content, "Incidents": []})
    config = write_config(tmp_path, {})
    result = attempt(command, config)
    assert_contract(result, command, code=EMPTY_TAB_CODES[command], names="")
    assert leftovers(tmp_path) == []
    if command in ("validate", "doctor"):
        assert "the Incidents tab has no" in result.said or "Incidents" in result.said


# --- files: what the tool writes -----------------------------------------------------------------------------

OUTPUT_FOLDERS: dict[str, tuple[str, str, dict[str, int]]] = {
    # fault: (config key, value, {command: exit code})
    "postmortems.dir is a file": ("postmortems", "docs", {"generate": ExitCode.FAILURE, "run": ExitCode.FAILURE, "worker": ExitCode.OK}),
    "reports.dir is a file": ("reports", "reports", {"report": ExitCode.FAILURE, "export": ExitCode.FAILURE}),
    "mail.outbox is a file": ("mail", "outbox", {"report --send": ExitCode.NOT_DELIVERED, "run": ExitCode.FAILURE, "worker": ExitCode.OK}),
}
OUTPUT_CASES = [(fault, command) for fault, (_k, _v, codes) in OUTPUT_FOLDERS.items() for command in codes]


@pytest.mark.parametrize(("fault", "command"), OUTPUT_CASES)
def test_output_folder_not_writable(fault: str, command: str, tmp_path: Path) -> None:
    """The folder's name is taken by a file: mkdir and every write under it fail, for root too (chmod would not stop root)."""
    _key, folder, codes = OUTPUT_FOLDERS[fault]
    sample_register(tmp_path)
    (tmp_path / folder).write_text("a file where a folder should be\n", encoding="utf-8")
    # The worker reads the real clock: a late week is sent whatever day this runs (a slot is at most 168 h old).
    config = write_config(tmp_path, {"reports": {"weekly": {"max_late_hours": 200}}})
    register = fingerprint(tmp_path)["register.xlsx"]
    result = attempt(command, config, as_of=MONDAY)
    assert_contract(result, command, code=codes[command], names=f"{tmp_path / folder}")
    assert (tmp_path / folder).read_text(encoding="utf-8") == "a file where a folder should be\n"
    assert leftovers(tmp_path) == []
    if command in ("generate", "report", "export", "report --send"):
        assert fingerprint(tmp_path)["register.xlsx"] == register


@pytest.fixture
def disk_full(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every atomic write's temporary file is /dev/full, where each write() fails with ENOSPC as on a full disk."""
    if not Path("/dev/full").exists():
        pytest.skip("no /dev/full on this system")
    real_mkstemp = files.tempfile.mkstemp

    def full_mkstemp(*args: Any, **kwargs: Any) -> tuple[int, str]:
        handle, name = real_mkstemp(*args, **kwargs)
        Path(name).unlink()
        Path(name).symlink_to("/dev/full")
        return handle, name

    monkeypatch.setattr(files.tempfile, "mkstemp", full_mkstemp)


DISK_FULL_COMMANDS = {
    "validate": ExitCode.FAILURE,
    "generate": ExitCode.FAILURE,
    "report": ExitCode.FAILURE,
    "report --send": ExitCode.NOT_DELIVERED,
    "export": ExitCode.FAILURE,
    "run": ExitCode.FAILURE,
}


@pytest.mark.parametrize("command", DISK_FULL_COMMANDS)
@pytest.mark.usefixtures("disk_full")
def test_disk_full_keeps_the_previous_file_and_says_so(command: str, tmp_path: Path) -> None:
    sample_register(tmp_path)
    config = write_config(tmp_path, {})
    before = fingerprint(tmp_path)
    result = attempt(command, config, as_of=MONDAY)
    assert_contract(result, command, code=DISK_FULL_COMMANDS[command], names="No space left on device")
    assert "unchanged" in result.said or "nothing was written" in result.said
    assert fingerprint(tmp_path)["register.xlsx"] == before["register.xlsx"]
    assert leftovers(tmp_path) == []
    assert not [path for path in tmp_path.rglob("*") if path.is_symlink()]


def test_disk_full_on_the_findings_write_names_the_register_and_keeps_it(tmp_path: Path, disk_full: None) -> None:
    sample_register(tmp_path)
    config = write_config(tmp_path, {})
    before = fingerprint(tmp_path)
    result = attempt("validate", config)
    assert f"could not write {tmp_path / 'register.xlsx'}: No space left on device; the previous register.xlsx is unchanged." in result.err
    assert fingerprint(tmp_path) == before


# --- SMTP ------------------------------------------------------------------------------------------------------

SMTP_CODES = {"report --send": ExitCode.NOT_DELIVERED, "run": ExitCode.FAILURE, "worker": ExitCode.OK}


def smtp_config(folder: Path, smtp: dict[str, Any]) -> Path:
    # The worker reads the real clock: a late week is sent whatever day this runs (a slot is at most 168 h old).
    return write_config(
        folder,
        {
            "mail": {"transport": "smtp", "smtp": {"timeout": 1, **smtp}},
            "reports": {"weekly": {"max_late_hours": 200}},
        },
    )


@contextmanager
def _smtp_unresolvable(_folder: Path) -> Iterator[dict[str, Any]]:
    yield {"host": f"smtp.{UNRESOLVABLE}", "port": 587, "security": "starttls"}


@contextmanager
def _smtp_certificate_for_another_name(folder: Path) -> Iterator[dict[str, Any]]:
    """The certificate is trusted (ca_file) but made out to another host: the name check must fail."""
    certificate = self_signed_certificate(folder, names=("mail.example.com",))
    with running_server(tls=certificate.server_context()) as server:
        yield {"host": SMTP_HOST, "port": server.port, "security": "starttls", "ca_file": str(certificate.cert_file)}


SMTP_FAULTS: dict[str, tuple[Callable[[Path], AbstractContextManager[dict[str, Any]]], str]] = {
    "SMTP host name does not resolve": (_smtp_unresolvable, f"smtp.{UNRESOLVABLE}:587 (starttls): its name does not resolve (DNS)"),
    "SMTP certificate for another host": (_smtp_certificate_for_another_name, "certificate is not valid for '127.0.0.1'"),
}


@pytest.mark.parametrize("command", SMTP_CODES)
@pytest.mark.parametrize("fault", SMTP_FAULTS)
def test_smtp_fault(fault: str, command: str, tmp_path: Path) -> None:
    setup, names = SMTP_FAULTS[fault]
    sample_register(tmp_path)
    with setup(tmp_path) as smtp:
        config = smtp_config(tmp_path, smtp)
        before = fingerprint(tmp_path)
        result = attempt(command, config, as_of=MONDAY)
    assert_contract(result, command, code=SMTP_CODES[command], names=names)
    assert leftovers(tmp_path) == []
    if command == "report --send":
        assert fingerprint(tmp_path) == before, "nothing sent, so nothing recorded in the Report log"
    if command == "worker":
        assert names in result.health


# --- the emulator's command line ------------------------------------------------------------------------------


@pytest.fixture
def port_in_use() -> Iterator[int]:
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        yield int(holder.getsockname()[1])


def _emulator(*argv: str) -> Result:
    out, err = io.StringIO(), io.StringIO()
    code = main(["emulator", *argv], stdout=out, stderr=err)
    return Result(code, out.getvalue(), err.getvalue())


def test_emulator_with_a_missing_load_file(tmp_path: Path) -> None:
    result = _emulator("--load", str(tmp_path / "nowhere.xlsx"))
    assert_contract(result, "emulator", code=ExitCode.FAILURE, names=f"--load {tmp_path / 'nowhere.xlsx'} does not exist")


def test_emulator_with_a_load_file_that_is_not_a_workbook(tmp_path: Path) -> None:
    (tmp_path / "register.xlsx").write_text("ID,Title\nINC-1,Checkout down\n", encoding="utf-8")
    result = _emulator("--load", str(tmp_path / "register.xlsx"))
    assert_contract(
        result, "emulator", code=ExitCode.FAILURE, names=f"--load {tmp_path / 'register.xlsx'} is not a readable .xlsx workbook"
    )


def test_emulator_on_a_port_in_use(port_in_use: int) -> None:
    result = _emulator("--port", str(port_in_use))
    assert_contract(result, "emulator", code=ExitCode.FAILURE, names=f"port {port_in_use} on 127.0.0.1 is in use")


def test_emulator_saving_into_a_missing_folder_is_refused_before_serving(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write_workbook(tmp_path / "register.xlsx", register_tables())
    result = _emulator("--load", str(tmp_path / "register.xlsx"), "--save-on-exit", str(tmp_path / "absent" / "after.xlsx"))
    assert_contract(result, "emulator", code=ExitCode.FAILURE, names=f"the folder {tmp_path / 'absent'} does not exist")
    assert "Sheets emulator at" not in capsys.readouterr().out  # it prints there directly: it never served


# --- a long outage, cycle after cycle ------------------------------------------------------------------------


def test_worker_logs_an_outage_once_and_its_end(tmp_path: Path, key_factory: Callable[[str], dict[str, Any]]) -> None:
    """Three cycles against an unreachable token endpoint, then one that works: the reason is logged once, then 'works again'."""
    sample_register(tmp_path)
    (tmp_path / "key.json").write_text(json.dumps(key_factory(f"https://{UNRESOLVABLE}/token")), encoding="utf-8")
    (tmp_path / "key.json").chmod(0o600)
    google = google_config(tmp_path, f"https://{UNRESOLVABLE}")
    log = io.StringIO()
    state = CycleState()
    start = datetime.fromisoformat(MONDAY)
    for hours in range(3):  # hours apart: the backoff (at most an hour) lets every cycle try
        run(google, log, state, start + timedelta(hours=hours))
    run(write_config(tmp_path, {}), log, state, start + timedelta(hours=3))
    lines = log.getvalue().splitlines()
    assert len([line for line in lines if "its name does not resolve" in line]) == 1
    assert len([line for line in lines if "read failed again, for the reason logged before" in line]) == 2
    assert len([line for line in lines if "read works again" in line]) == 1


def run(config_path: Path, log: io.StringIO, state: CycleState, now: datetime) -> None:
    config = load_config(config_path)
    backend = open_backend(config)
    events = EventLog(log, clock=lambda: now)
    run_cycle(
        backend=backend, lease=lease_for(backend, "test"), mailer=transport_for(config), config=config, now=now, events=events, state=state
    )
