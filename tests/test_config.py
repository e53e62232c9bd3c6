"""Config problems name the key and the file; secrets are refused; defaults follow the policy."""

from __future__ import annotations

from dataclasses import fields
from datetime import date
from pathlib import Path

import pytest

from pmsheets import config
from pmsheets.core.policy import Policy
from pmsheets.errors import ConfigError
from tests.cli_helpers import write_config


def test_empty_file_gives_policy_defaults(tmp_path: Path) -> None:
    loaded = config.load(write_config(tmp_path, ""))
    assert (loaded.policy.draft_due_hours, loaded.policy.draft_overdue_hours) == (24, 48)
    assert (loaded.policy.review_business_days, loaded.policy.p1_impact_minutes) == (5, 15)
    assert (loaded.policy.short_term_max_days, loaded.policy.long_term_max_days) == (30, 180)
    assert "human error" in loaded.policy.blame_phrases
    assert loaded.timezone is None
    assert str(loaded.effective_timezone()) == "UTC"


def test_register_path_is_relative_to_the_config_file(tmp_path: Path) -> None:
    loaded = config.load(write_config(tmp_path, "register:\n  path: data/reg.xlsx\n"))
    assert loaded.register.path == tmp_path / "data" / "reg.xlsx"


def test_example_config_loads(tmp_path: Path) -> None:
    example = Path(__file__).resolve().parents[1] / "config.example.yaml"
    loaded = config.load(example)
    assert loaded.register.backend == "xlsx"


def test_policy_values_and_timezone_are_read(tmp_path: Path) -> None:
    loaded = config.load(
        write_config(
            tmp_path,
            "timezone: Europe/Berlin\npolicy:\n  draft_due_hours: 12\n  holidays: [2026-12-24, '2026-12-31']\n"
            "  holiday_country: de\n  blame_phrases: []\n",
        )
    )
    assert loaded.policy.draft_due_hours == 12
    assert loaded.policy.holidays == frozenset({date(2026, 12, 24), date(2026, 12, 31)})
    assert loaded.policy.holiday_country == "DE"
    assert loaded.policy.blame_phrases == ()
    assert str(loaded.policy.timezone) == "Europe/Berlin"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param(
            "policy:\n  draft_due_hour: 12\n", "unknown key 'policy.draft_due_hour'. Did you mean 'policy.draft_due_hours'?", id="typo"
        ),
        pytest.param(
            "policy:\n  draft_due_hours: soon\n", "key 'policy.draft_due_hours' must be a number, 0 or more; got 'soon'", id="type"
        ),
        pytest.param("policy:\n  review_business_days: 2.5\n", "key 'policy.review_business_days' must be a whole number", id="whole"),
        pytest.param("timezone: Mars/Olympus\n", "key 'timezone' must be an IANA time zone name", id="timezone"),
        pytest.param("policy:\n  holidays: [next tuesday]\n", "key 'policy.holidays' must be a list of dates", id="holiday"),
        pytest.param("policy:\n  holiday_country: XX\n", "key 'policy.holiday_country' must be an ISO 3166 country code", id="country"),
        pytest.param("register:\n  backend: sqlite\n", "key 'register.backend' must be 'xlsx'", id="backend"),
        pytest.param("date_formats: ['dd/mm/yyyy']\n", "key 'date_formats' must be strftime patterns", id="date-format"),
        pytest.param("- just\n- a list\n", "the top level must be a mapping", id="not-mapping"),
        pytest.param("policy: 3\n", "policy must be a mapping", id="section-not-mapping"),
    ],
)
def test_bad_config_names_the_key(tmp_path: Path, text: str, expected: str) -> None:
    path = write_config(tmp_path, text)
    with pytest.raises(ConfigError) as raised:
        config.load(path)
    assert expected in str(raised.value)
    assert str(path) in str(raised.value)


def test_secret_in_config_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="looks like a secret; secrets are never read from the config file"):
        config.load(write_config(tmp_path, "register:\n  password: hunter2\n"))


def test_secret_value_is_not_echoed(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as raised:
        config.load(write_config(tmp_path, "smtp_password: hunter2\n"))
    assert "hunter2" not in str(raised.value)


def test_invalid_yaml_names_the_line(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"is not valid YAML \(line \d+, column \d+\)"):
        config.load(write_config(tmp_path, "policy:\n  draft_due_hours: 1\n bad: [\n"))


def test_an_empty_config_takes_every_dataclass_default(tmp_path: Path) -> None:
    # The dataclass fields are the only place a default is written; paths land beside the config file.
    loaded = config.load(write_config(tmp_path, ""))
    sections = (
        (loaded.register, config.RegisterConfig()),
        (loaded.postmortems, config.PostmortemsConfig()),
        (loaded.mail, config.MailConfig()),
        (loaded.reports, config.ReportsConfig()),
        (loaded.worker, config.WorkerConfig()),
        (loaded.findings, config.FindingsConfig()),
        (loaded.policy, Policy()),
    )
    for section, default in sections:
        for field in fields(default):
            expected = getattr(default, field.name)
            if isinstance(expected, Path):
                expected = tmp_path / expected
            assert getattr(section, field.name) == expected, f"{type(section).__name__}.{field.name}"


def test_keys_named_otherwise_in_the_file_reach_their_fields(tmp_path: Path) -> None:
    loaded = config.load(
        write_config(
            tmp_path,
            "mail:\n  from: ops <ops@example.com>\n"
            "reports:\n  weekly: {day: friday, time: '16:30', max_late_hours: 6}\n"
            "  overdue: {to: [a@example.com], owner_digests: true}\n"
            "  escalation: {to: [b@example.com], escalate_after_days: 3, attach_snapshot: true, attach_max_mb: 2}\n",
        )
    )
    reports = loaded.reports
    assert loaded.mail.sender == "ops <ops@example.com>"
    assert (reports.weekly_day, reports.weekly_time, reports.max_late_hours) == ("friday", "16:30", 6)
    assert (reports.overdue_to, reports.owner_digests) == (("a@example.com",), True)
    assert (reports.escalation_to, reports.escalate_after_days, reports.attach_snapshot, reports.attach_max_mb) == (
        ("b@example.com",),
        3,
        True,
        2,
    )
