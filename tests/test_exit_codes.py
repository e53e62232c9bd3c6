"""One set of exit codes for every command, one failure line, global options on either side of the command."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from pmsheets.cli import main as cli_main
from pmsheets.cli.options import as_of_value
from pmsheets.errors import ExitCode
from tests.builders import ACTION_HEADERS, INCIDENT_HEADERS, write_workbook
from tests.cli_helpers import run

REPO = Path(__file__).resolve().parents[1]
AS_OF = "2026-11-27T09:00:00+00:00"


def exit_code_table(path: Path) -> dict[int, str]:
    """The rows of the '| Exit code | Meaning |' table in a Markdown file."""
    text = path.read_text(encoding="utf-8")
    table = text[text.index("| Exit code | Meaning |") :].split("\n\n", 1)[0]
    return {int(code): meaning for code, meaning in re.findall(r"^\| (\d+) \| (.+) \|$", table, flags=re.MULTILINE)}


@pytest.fixture
def config(tmp_path: Path) -> Path:
    write_workbook(tmp_path / "register.xlsx", {"Incidents": [INCIDENT_HEADERS], "Actions": [ACTION_HEADERS]})
    path = tmp_path / "pmsheets.yaml"
    path.write_text("register:\n  path: register.xlsx\n", encoding="utf-8")
    return path


def test_readme_and_troubleshooting_show_the_same_table_of_exactly_the_codes_in_the_code() -> None:
    readme, troubleshooting = exit_code_table(REPO / "README.md"), exit_code_table(REPO / "docs" / "troubleshooting.md")
    assert readme == troubleshooting
    assert set(readme) == {code.value for code in ExitCode}


def test_config_after_the_command_is_accepted(config: Path) -> None:
    code, out, err = run("validate", "--config", str(config), "--as-of", AS_OF, "--no-write")
    assert (code, err) == (ExitCode.OK, "")
    assert "0 error(s)" in out


def test_config_after_the_command_wins_over_the_one_before(config: Path, tmp_path: Path) -> None:
    code, _out, err = run("--config", str(tmp_path / "missing.yaml"), "validate", "--config", str(config), "--no-write")
    assert (code, err) == (ExitCode.OK, "")


def test_config_before_the_command_still_works(config: Path) -> None:
    code, _out, err = run("--config", str(config), "validate", "--no-write")
    assert (code, err) == (ExitCode.OK, "")


def test_log_format_after_run_gives_json_lines(config: Path) -> None:
    _code, _out, err = run("run", "--config", str(config), "--as-of", AS_OF, "--log-format", "json")
    assert err.splitlines()
    assert all(line.startswith("{") for line in err.splitlines())


def test_usage_error_is_one_line_naming_the_help(config: Path) -> None:
    code, _out, err = run("validate", "--config", str(config), "--colour")
    assert code == ExitCode.FAILURE
    assert err == "pmsheets: error: unrecognized arguments: --colour. See: pmsheets --help\n"


def test_as_of_is_read_before_the_register_is_opened(tmp_path: Path) -> None:
    """A wrong --as-of is a usage error even when the config is missing: it is parsed with the options."""
    code, _out, err = run("report", "--config", str(tmp_path / "none.yaml"), "--as-of", "soon")
    assert code == ExitCode.FAILURE
    assert err.startswith("pmsheets: error: argument --as-of: 'soon' is not an ISO 8601 date or time")


def test_every_as_of_option_has_the_one_parser() -> None:
    parser = cli_main.build_parser()
    commands = next(action for action in parser._actions if action.dest == "command").choices
    with_as_of = {name: action.type for name, sub in commands.items() for action in sub._actions if "--as-of" in action.option_strings}
    assert sorted(with_as_of) == ["export", "generate", "init", "report", "run", "validate"]
    assert set(with_as_of.values()) == {as_of_value}


def _bug(*_args: object) -> int:
    missing = "Severity"
    raise KeyError(missing)


def test_a_bug_exits_2_with_one_line_asking_for_debug_output(config: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cli_main, "cmd_doctor", _bug)
    code, _out, err = run("doctor", "--config", str(config))
    assert code == ExitCode.FAILURE
    assert err == (
        "pmsheets: internal error (a bug): KeyError: 'Severity'. Please run the same command again with --debug and report its output.\n"
    )


def test_debug_prints_the_traceback_before_the_line(config: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cli_main, "cmd_doctor", _bug)
    code, _out, err = run("doctor", "--debug", "--config", str(config))
    assert code == ExitCode.FAILURE
    assert err.startswith("Traceback (most recent call last):")
    assert err.splitlines()[-1].startswith("pmsheets: internal error (a bug): KeyError")


def test_debug_shows_the_traceback_of_a_user_error_too(tmp_path: Path) -> None:
    code, _out, err = run("--debug", "validate", "--config", str(tmp_path / "none.yaml"))
    assert code == ExitCode.FAILURE
    assert "Traceback" in err
    assert err.splitlines()[-1].startswith("pmsheets: error: no config file at")


def test_failed_doctor_check_exits_2(tmp_path: Path) -> None:
    (tmp_path / "pmsheets.yaml").write_text("register:\n  path: nowhere.xlsx\n", encoding="utf-8")
    code, out, _err = run("doctor", "--config", str(tmp_path / "pmsheets.yaml"))
    assert code == ExitCode.FAILURE
    assert "FAIL  register:" in out


def _interrupted(*_args: object) -> int:
    raise KeyboardInterrupt


def test_ctrl_c_exits_2_with_one_line(config: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cli_main, "cmd_doctor", _interrupted)
    code, _out, err = run("doctor", "--config", str(config))
    assert code == ExitCode.FAILURE
    assert err == "pmsheets: interrupted; what was written is complete (every file is replaced whole, or not at all)\n"
