"""`pmsheets run` and `pmsheets health` as a user meets them: exit codes, one line per event, no secret in a line."""

from __future__ import annotations

import json
import os
import signal
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from pmsheets.cli.worker import secret_values, stop_on_signals
from pmsheets.config import from_mapping
from pmsheets.ops.heartbeat import Beat, write_beat
from tests.builders import write_workbook
from tests.cli_helpers import ConfiguredRegister, run
from tests.report_fixtures import sample_tables
from tests.smtp_server import HOST, PASSWORD, USER, running_server, self_signed_certificate

MONDAY = "2026-11-30T09:05:00+00:00"
SECRET = "s3cret-Passw0rd-that-must-not-leak"
MAIL_TO = "reports:\n  overdue:\n    to: [leads@example.com]\n  escalation:\n    to: [ops-review@example.com]\n"


def events(stderr: str) -> list[dict[str, object]]:
    return [json.loads(line) for line in stderr.splitlines()]


def test_run_checks_writes_and_sends_then_exits_1_for_error_findings(configure: Callable[..., ConfiguredRegister], tmp_path: Path) -> None:
    register = configure(write_workbook(tmp_path / "register.xlsx", sample_tables()), MAIL_TO)
    code, _out, err = run("--config", register.config, "run", "--as-of", MONDAY)
    assert code == 1
    assert len(register.findings_tab()) > 1
    assert sorted(path.name for path in (tmp_path / "reports" / "outbox").iterdir()) == ["escalation-2026-W49.eml", "overdue-2026-W49.eml"]
    assert "cycle: cycle done: read ok, check ok, findings ok, drafts ok, reports ok" in err


def test_run_twice_in_a_week_sends_once(tmp_path: Path) -> None:
    config = write_config(tmp_path, MAIL_TO)
    run("--config", config, "run", "--as-of", MONDAY)
    run("--config", config, "run", "--as-of", "2026-11-30T10:05:00+00:00")
    assert len(list((tmp_path / "reports" / "outbox").iterdir())) == 2


def test_run_with_json_log_format_writes_one_json_object_per_line(tmp_path: Path) -> None:
    _code, _out, err = run("--config", write_config(tmp_path, MAIL_TO), "run", "--as-of", MONDAY, "--log-format", "json")
    lines = events(err)
    assert [line["step"] for line in lines if line["event"] == "step"] == ["read", "check", "findings", "drafts", "reports"]
    assert lines[-1]["event"] == "cycle"


def test_run_on_a_missing_register_exits_2_and_says_why(tmp_path: Path) -> None:
    config = tmp_path / "pmsheets.yaml"
    config.write_text("register:\n  path: nowhere.xlsx\n", encoding="utf-8")
    code, _out, err = run("--config", str(config), "run", "--as-of", MONDAY)
    assert code == 2
    assert "read failed: register" in err
    assert "nowhere.xlsx does not exist" in err


def test_run_with_smtp_down_exits_2_and_logs_nothing_as_sent(tmp_path: Path) -> None:
    mail = "mail:\n  transport: smtp\n  smtp:\n    host: 127.0.0.1\n    port: 9\n    security: none\n    timeout: 2\n"
    code, _out, err = run("--config", write_config(tmp_path, MAIL_TO + mail), "run", "--as-of", MONDAY, "--log-format", "json")
    assert code == 2
    failed = [line for line in events(err) if line["event"] == "report.failed"]
    assert len(failed) == 2
    assert not any(line["event"] == "report.sent" for line in events(err))


@pytest.mark.parametrize(
    ("password", "sent"),
    [pytest.param(PASSWORD, True, id="login-accepted"), pytest.param(SECRET, False, id="login-refused")],
)
@pytest.mark.parametrize("log_format", ["text", "json"])
def test_run_never_logs_the_smtp_password(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, password: str, sent: bool, log_format: str
) -> None:
    monkeypatch.setenv("PMSHEETS_TEST_SMTP_PASSWORD", password)
    certificate = self_signed_certificate(tmp_path)
    with running_server(tls=certificate.server_context(), auth=True) as server:
        mail = (
            f"mail:\n  transport: smtp\n  smtp:\n    host: {HOST}\n    port: {server.port}\n    security: starttls\n"
            f"    username: {USER}\n    password_env: PMSHEETS_TEST_SMTP_PASSWORD\n    ca_file: {certificate.cert_file.name}\n    timeout: 5\n"
        )
        _code, out, err = run("--config", write_config(tmp_path, MAIL_TO + mail), "run", "--as-of", MONDAY, "--log-format", log_format)
    assert ("report.sent" in err, "report.failed" in err) == (sent, not sent)
    assert password not in out + err


def test_secret_values_are_the_smtp_password_and_the_google_key(tmp_path: Path) -> None:
    key = json.dumps({"type": "service_account", "private_key": "-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----\n"})
    config = from_mapping(
        {"register": {"credentials_env": "KEY_JSON"}, "mail": {"smtp": {"host": "mail.example.com", "password_env": "SMTP_PASSWORD"}}}
    )
    found = secret_values(config, {"KEY_JSON": key, "SMTP_PASSWORD": SECRET, "HOME": "/home/pm"})
    assert found == [key, SECRET, json.loads(key)["private_key"]]


# --- health ----------------------------------------------------------------------------------------


def test_health_without_a_heartbeat_exits_2(tmp_path: Path) -> None:
    code, _out, err = run("--config", write_config(tmp_path), "health")
    assert code == 2
    assert "no readable heartbeat" in err


def test_health_with_a_fresh_heartbeat_exits_0(tmp_path: Path) -> None:
    write_beat(tmp_path / "worker.heartbeat", Beat(datetime.now(UTC), "idle"))
    code, out, _err = run("--config", write_config(tmp_path), "health")
    assert (code, out.startswith("healthy: last heartbeat")) == (0, True)


def test_health_with_a_stale_heartbeat_exits_2(tmp_path: Path) -> None:
    write_beat(tmp_path / "worker.heartbeat", Beat(datetime.now(UTC) - timedelta(minutes=20), "idle"))
    code, _out, err = run("--config", write_config(tmp_path), "health")
    assert code == 2
    assert err.startswith("unhealthy: last heartbeat 20 min ago")


def test_health_max_age_option_sets_the_limit(tmp_path: Path) -> None:
    write_beat(tmp_path / "worker.heartbeat", Beat(datetime.now(UTC) - timedelta(minutes=20), "idle"))
    code, _out, _err = run("--config", write_config(tmp_path), "health", "--max-age", "3600")
    assert code == 0


def write_config(tmp_path: Path, extra: str = "") -> str:
    write_workbook(tmp_path / "register.xlsx", sample_tables())
    config = tmp_path / "pmsheets.yaml"
    config.write_text(f"timezone: UTC\nregister:\n  path: register.xlsx\n{extra}", encoding="utf-8")
    return str(config)


@pytest.mark.parametrize("number", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_stop_signal_only_asks_the_worker_to_stop(number: signal.Signals) -> None:
    stop, before = threading.Event(), signal.getsignal(number)
    with stop_on_signals(stop) as received:
        os.kill(os.getpid(), number)  # no KeyboardInterrupt, no exit: the job in hand goes on
        assert stop.wait(timeout=5)
    assert received == [number.name]
    assert signal.getsignal(number) == before
