"""The mail.* and reports.* config keys: defaults, checks, and secrets kept out of the file."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from pmsheets import config
from pmsheets.errors import ConfigError


def loaded(text: str, tmp_path: Path) -> config.Config:
    path = tmp_path / "pmsheets.yaml"
    path.write_text(text, encoding="utf-8")
    return config.load(path)


def test_report_config_defaults_use_the_file_transport() -> None:
    defaults = config.from_mapping({})
    assert (defaults.mail.transport, defaults.reports.escalate_after_days, defaults.reports.attach_snapshot) == ("file", 7, False)


def test_report_config_paths_are_relative_to_the_config_file(tmp_path: Path) -> None:
    loaded_config = loaded("mail: {outbox: out}\nreports: {dir: rep}\n", tmp_path)
    assert (loaded_config.mail.outbox, loaded_config.reports.dir) == (tmp_path / "out", tmp_path / "rep")


def test_report_config_unquoted_weekly_time_is_read_as_a_time(tmp_path: Path) -> None:
    assert loaded("reports: {weekly: {time: 09:30}}\n", tmp_path).reports.weekly_time == "09:30"


def test_report_config_smtp_password_in_the_file_is_refused() -> None:
    with pytest.raises(ConfigError, match=re.escape("'mail.smtp.password' looks like a secret")):
        config.from_mapping({"mail": {"smtp": {"host": "smtp.example.com", "password": "hunter2"}}})


def test_report_config_smtp_transport_needs_a_host() -> None:
    with pytest.raises(ConfigError, match=re.escape("'mail.smtp.host' is required")):
        config.from_mapping({"mail": {"transport": "smtp"}})


@pytest.mark.parametrize(
    ("data", "key"),
    [
        ({"reports": {"overdue": {"to": ["not-an-address"]}}}, "reports.overdue.to"),
        ({"mail": {"smtp": {"host": "h", "security": "tls"}}}, "mail.smtp.security"),
        ({"mail": {"from": "Reports\nBcc: x@example.com"}}, "mail.from"),
        ({"reports": {"weekly": {"day": "someday"}}}, "reports.weekly.day"),
        ({"mail": {"smtp": {"host": "h", "port": 70000}}}, "mail.smtp.port"),
        ({"reports": {"max_list_items": -1}}, "reports.max_list_items"),
        ({"reports": {"escalation": {"attach_max_mb": 0}}}, "reports.escalation.attach_max_mb"),
    ],
)
def test_report_config_rejects_a_wrong_value_naming_the_key(data: dict[str, object], key: str) -> None:
    with pytest.raises(ConfigError, match=f"key '{key}'"):
        config.from_mapping(data)


def test_report_config_example_file_loads() -> None:
    example = Path(__file__).resolve().parent.parent / "config.example.yaml"
    loaded_config = config.from_mapping(yaml.safe_load(example.read_text(encoding="utf-8")))
    assert loaded_config.reports.escalation_to == ("ops-review@example.com",)


def test_report_config_reads_the_list_and_attachment_limits() -> None:
    settings = config.from_mapping({"reports": {"max_list_items": 5, "escalation": {"attach_max_mb": 2.5}}}).reports
    assert (settings.max_list_items, settings.attach_max_mb) == (5, 2.5)
