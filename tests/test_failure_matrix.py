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
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from pmsheets.cli.main import build_parser, main, parse
from pmsheets.cli.worker import build_worker
from pmsheets.errors import ExitCode, PmsheetsError
from pmsheets.network import host_of
from pmsheets.ops.heartbeat import read_beat
from tests.builders import write_workbook
from tests.fault_servers import UNRESOLVABLE, closed_port, fault_server, self_signed_tls_server, service_account_key
from tests.report_fixtures import sample_tables

AS_OF = "2026-11-27T09:00:00+00:00"
SHEET = "1FaultyFaultyFaultyFaultyFaultyFaultyFaulty1"
TIMEOUT = 0.2  # register.timeout_seconds: a hanging server costs this long per case

COMMANDS: dict[str, list[str]] = {
    "validate": ["validate", "--as-of", AS_OF],
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


def attempt(command: str, config: Path) -> Result:
    """Run `command` once; the worker runs its first cycle (the loop then would wait for the next tick)."""
    out, err = io.StringIO(), io.StringIO()
    argv = [*COMMANDS[command], "--config", str(config)]
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


def _api(mode: str) -> Callable[[Path], AbstractContextManager[tuple[str, str]]]:
    @contextmanager
    def setup(_folder: Path) -> Iterator[tuple[str, str]]:
        with fault_server(mode) as server:
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
}
KEY_FILE_FAULTS: dict[str, Callable[[Path], None]] = {
    "key file is a directory": lambda path: path.mkdir(),
    "key file is empty": lambda path: path.write_text("", encoding="utf-8"),
    "key file is not JSON": lambda path: path.write_text("-----BEGIN PRIVATE KEY-----\nMIIE\n", encoding="utf-8"),
}
GOOGLE_COMMANDS = ("validate", "generate", "report", "report --send", "export", "run", "worker", "doctor", "init --sheet")


def google_config(folder: Path, api_endpoint: str) -> Path:
    return write_config(
        folder,
        {
            "register": {
                "backend": "google",
                "spreadsheet": SHEET,
                "credentials": "key.json",
                "api_endpoint": api_endpoint,
                "timeout_seconds": TIMEOUT,
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
        config = google_config(tmp_path, api_endpoint)
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


def test_doctor_tells_a_refused_key_from_an_unreachable_host(tmp_path: Path, key_factory: Callable[[str], dict[str, Any]]) -> None:
    """The fault server's token endpoint answers; a 400 invalid_grant there is the key's fault, not the network's."""
    with fault_server("html_502") as server:
        server.token_error = {"error": "invalid_grant", "error_description": "Invalid JWT Signature."}
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


def sample_register(folder: Path) -> Path:
    return write_workbook(folder / "register.xlsx", sample_tables())
