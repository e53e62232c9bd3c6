"""The command line as a user meets it: exit codes, output shapes, messages without tracebacks."""

from __future__ import annotations

import json
import shlex
import subprocess
import sys
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest

from tests.builders import action_row, incident_row, tables, write_workbook
from tests.cli_helpers import ConfiguredRegister, make_config, run

AS_OF = "2026-11-27T09:00:00+00:00"


@pytest.fixture
def overdue_register(tmp_path: Path) -> Path:
    return write_workbook(
        tmp_path / "register.xlsx",
        tables(
            incidents=[incident_row(id="INC-1", severity="P2", resolved_at="2026-11-20 10:00")],
            actions=[
                action_row(
                    id="ACT-1",
                    incident_id="INC-1",
                    type="Short-term",
                    owner="Ann",
                    due_date=date(2026, 11, 20),
                    tracking_link="OPS-1",
                    status="Open",
                )
            ],
        ),
    )


@pytest.fixture
def clean_register(tmp_path: Path) -> Path:
    return write_workbook(
        tmp_path / "register.xlsx",
        tables(incidents=[incident_row(id="INC-1", severity="P2", resolved_at="2026-11-20 10:00")]),
    )


def test_validate_json_has_the_documented_shape(configure: Callable[..., ConfiguredRegister], overdue_register: Path) -> None:
    config = configure(overdue_register).config
    code, out, _ = run("--config", config, "validate", "--as-of", AS_OF, "--format", "json", "--no-write")
    document = json.loads(out)
    assert code == 1
    assert set(document) == {"as_of", "findings", "counts"}
    assert document["as_of"] == AS_OF
    assert document["counts"] == {"error": 1, "warning": 0, "info": 0}
    assert document["findings"] == [
        {
            "rule": "action-overdue",
            "level": "error",
            "incident": "INC-1",
            "action": "ACT-1",
            "cell": "Actions!F2",
            "message": document["findings"][0]["message"],
        }
    ]
    assert "due Fri 20 Nov 2026 and still" in document["findings"][0]["message"]


def test_validate_exits_0_without_error_findings(configure: Callable[..., ConfiguredRegister], clean_register: Path) -> None:
    code, _, err = run("--config", configure(clean_register).config, "validate", "--write", "--as-of", AS_OF)
    assert (code, err) == (0, "")


def test_validate_table_names_cell_level_rule_and_counts(configure: Callable[..., ConfiguredRegister], overdue_register: Path) -> None:
    config = configure(overdue_register).config
    _, out, _ = run("--config", config, "validate", "--as-of", AS_OF, "--no-write")
    line = next(line for line in out.splitlines() if "action-overdue" in line)
    assert line.split()[:4] == ["Actions!F2", "ACT-1", "error", "action-overdue"]
    assert "1 error(s), 0 warning(s), 0 info" in out


def test_table_output_has_no_colour_codes_when_not_a_terminal(tmp_path: Path, overdue_register: Path) -> None:
    _, out, _ = run("--config", str(make_config(tmp_path, overdue_register)), "validate", "--as-of", AS_OF, "--no-write")
    assert "\033[" not in out


def test_validate_writes_findings_tab(configure: Callable[..., ConfiguredRegister], overdue_register: Path) -> None:
    register = configure(overdue_register)
    run("--config", register.config, "validate", "--write", "--as-of", AS_OF)
    rows = register.findings_tab()
    assert rows[0][:6] == ["Level", "Rule", "Incident", "Action", "Owner", "Cell"]
    assert rows[0][6].startswith("Message (as of ")
    assert rows[1][:6] == ["error", "action-overdue", "INC-1", "ACT-1", "Ann", "Actions!F2"]


def test_second_run_replaces_previous_findings(configure: Callable[..., ConfiguredRegister], overdue_register: Path) -> None:
    register = configure(overdue_register)
    run("--config", register.config, "validate", "--write", "--as-of", AS_OF)
    run("--config", register.config, "validate", "--write", "--as-of", "2026-11-01T09:00:00+00:00")
    assert [row[:6] for row in register.findings_tab()] == [["Level", "Rule", "Incident", "Action", "Owner", "Cell"]]


def test_no_write_leaves_workbook_bytes_unchanged(tmp_path: Path, overdue_register: Path) -> None:
    before = overdue_register.read_bytes()
    run("--config", str(make_config(tmp_path, overdue_register)), "validate", "--as-of", AS_OF, "--no-write")
    assert overdue_register.read_bytes() == before


def test_missing_config_is_a_clear_exit_2(tmp_path: Path) -> None:
    code, out, err = run("--config", str(tmp_path / "nope.yaml"), "validate")
    assert code == 2
    assert out == ""
    assert "no config file at" in err
    assert "config.example.yaml" in err
    assert "Traceback" not in err


def test_config_from_environment_variable(tmp_path: Path, clean_register: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PMSHEETS_CONFIG", str(make_config(tmp_path, clean_register)))
    code, _, err = run("validate", "--as-of", AS_OF, "--no-write")
    assert (code, err) == (0, "")


def test_bad_as_of_is_a_usage_error(tmp_path: Path, clean_register: Path) -> None:
    code, _, err = run("--config", str(make_config(tmp_path, clean_register)), "validate", "--as-of", "yesterday")
    assert code == 2
    assert "--as-of: 'yesterday' is not an ISO 8601 date" in err


def test_as_of_without_offset_uses_config_timezone(configure: Callable[..., ConfiguredRegister], clean_register: Path) -> None:
    config = configure(clean_register, "timezone: Europe/Berlin\n").config
    _, out, _ = run("--config", config, "validate", "--as-of", "2026-11-27T09:00", "--format", "json", "--no-write")
    assert json.loads(out)["as_of"] == "2026-11-27T09:00:00+01:00"


def test_workbook_that_is_not_a_register_exits_2(tmp_path: Path) -> None:
    other = write_workbook(tmp_path / "register.xlsx", {"Budget": [["Item", "Cost"], ["Laptop", 1200]]})
    code, out, err = run("--config", str(make_config(tmp_path, other)), "validate")
    assert code == 2
    assert "does not look like a post-mortem register" in err
    assert "'Budget'" in err
    assert out == ""


def test_file_that_is_not_a_workbook_exits_2(tmp_path: Path) -> None:
    bogus = tmp_path / "register.xlsx"
    bogus.write_text("ID,Title\n", encoding="utf-8")
    code, _, err = run("--config", str(make_config(tmp_path, bogus)), "validate")
    assert code == 2
    assert "is not a readable .xlsx workbook" in err
    assert "Traceback" not in err


def test_missing_register_suggests_init(tmp_path: Path) -> None:
    code, _, err = run("--config", str(make_config(tmp_path, tmp_path / "register.xlsx")), "validate")
    assert code == 2
    assert "pmsheets init --xlsx" in err


def test_init_creates_register_that_validates(tmp_path: Path) -> None:
    register = tmp_path / "register.xlsx"
    code, out, _ = run("init", "--xlsx", str(register))
    assert code == 0
    assert "Created an empty register" in out
    code, _, err = run("--config", str(make_config(tmp_path, register)), "validate", "--write", "--as-of", AS_OF)
    assert (code, err) == (0, "")


def test_init_refuses_to_overwrite(tmp_path: Path, clean_register: Path) -> None:
    before = clean_register.read_bytes()
    code, _, err = run("init", "--xlsx", str(clean_register), "--demo")
    assert code == 2
    assert "already exists" in err
    assert clean_register.read_bytes() == before


def test_demo_register_trips_most_rules(configure: Callable[..., ConfiguredRegister], tmp_path: Path) -> None:
    register = tmp_path / "register.xlsx"
    run("init", "--xlsx", str(register), "--demo", "--as-of", AS_OF)
    config = configure(register, "timezone: UTC\n").config
    _, out, _ = run("--config", config, "validate", "--as-of", AS_OF, "--format", "json", "--no-write")
    rules = {finding["rule"] for finding in json.loads(out)["findings"]}
    assert len(rules) >= 25


def test_python_dash_m_shows_help() -> None:
    done = subprocess.run([sys.executable, "-m", "pmsheets", "--help"], capture_output=True, text=True, check=False)
    assert done.returncode == 0
    assert "validate" in done.stdout
    assert "init" in done.stdout


def test_output_cut_short_by_the_reader_shows_no_traceback(tmp_path: Path) -> None:
    untracked = [action_row(id=f"ACT-{n}", incident_id="INC-404") for n in range(3000)]
    register = write_workbook(tmp_path / "register.xlsx", tables(actions=untracked))
    config = make_config(tmp_path, register)
    command = f"{sys.executable} -m pmsheets --config {config} validate --as-of {AS_OF} --no-write | head -1"
    done = subprocess.run(["bash", "-c", command], capture_output=True, text=True, check=False)
    assert done.stdout.strip() == "Actions"
    assert "Traceback" not in done.stderr
    assert "BrokenPipe" not in done.stderr


def test_workbook_with_damaged_xml_exits_2_without_traceback(tmp_path: Path, clean_register: Path) -> None:
    import zipfile

    damaged = tmp_path / "damaged.xlsx"
    with zipfile.ZipFile(clean_register) as source, zipfile.ZipFile(damaged, "w") as target:
        for info in source.infolist():
            data = source.read(info.filename)
            target.writestr(info, b"<worksheet><sheetData><row" if info.filename.startswith("xl/worksheets/") else data)
    code, _, err = run("--config", str(make_config(tmp_path, damaged)), "validate")
    assert code == 2
    assert "is not a readable .xlsx workbook" in err
    assert "Traceback" not in err


def test_init_writes_a_starter_config_that_validate_uses(tmp_path: Path) -> None:
    config = tmp_path / "team" / "pmsheets.yaml"
    register = tmp_path / "register.xlsx"
    code, out, _ = run("--config", str(config), "init", "--xlsx", str(register))
    assert code == 0
    assert f"the config {config} that points at it" in out
    code, _, err = run("--config", str(config), "validate", "--write", "--as-of", AS_OF)
    assert (code, err) == (0, "")


def test_init_never_overwrites_an_existing_config(tmp_path: Path) -> None:
    config = tmp_path / "pmsheets.yaml"
    config.write_text("timezone: Europe/Berlin\n", encoding="utf-8")
    run("--config", str(config), "init", "--xlsx", str(tmp_path / "register.xlsx"))
    assert config.read_text(encoding="utf-8") == "timezone: Europe/Berlin\n"


def next_command(out: str) -> list[str]:
    """The command a message tells the user to run next ("Next: pmsheets ..." or "then run: pmsheets ...")."""
    marker = "Next: " if "Next: " in out else "then run: "
    words = shlex.split(out.split(marker, 1)[1].strip())
    assert words[0] == "pmsheets"
    return words[1:]


def test_init_into_an_existing_config_that_points_at_it_says_the_command_that_works(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "demo").mkdir()
    (tmp_path / "demo" / "pmsheets.yaml").write_text("register:\n  path: register.xlsx\n", encoding="utf-8")
    code, out, _ = run("--config", "demo/pmsheets.yaml", "init", "--xlsx", "demo/register.xlsx", "--demo", "--as-of", AS_OF)
    assert (code, next_command(out)) == (0, ["--config", "demo/pmsheets.yaml", "validate"])
    code, _, err = run(*next_command(out), "--no-write")
    assert (code, err) == (1, "")  # ran and found the demo's errors


def test_init_with_a_config_pointing_elsewhere_names_the_key_and_the_value(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("PMSHEETS_CONFIG", raising=False)
    (tmp_path / "pmsheets.yaml").write_text("register:\n  path: old.xlsx\n", encoding="utf-8")
    (tmp_path / "new").mkdir()
    code, out, _ = run("init", "--xlsx", "new/register.xlsx")
    assert code == 0, out
    assert "Set register.path: new/register.xlsx in pmsheets.yaml, then run: pmsheets validate" in out


def test_init_writing_a_starter_config_elsewhere_says_to_pass_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    code, out, _ = run("--config", "team/pmsheets.yaml", "init", "--xlsx", "register.xlsx")
    assert code == 0
    code, _, err = run(*next_command(out), "--no-write")
    assert (code, err) == (0, "")


def test_init_sheet_on_a_workbook_config_names_the_backend_and_how_to_switch(tmp_path: Path, clean_register: Path) -> None:
    code, out, err = run("--config", str(make_config(tmp_path, clean_register)), "init", "--sheet", "1AbCdEf")
    assert (code, out) == (2, "")
    assert "has register.backend: xlsx" in err
    assert "set register.backend: google, register.spreadsheet: 1AbCdEf and register.credentials" in err
    assert "no Google credentials" not in err
