"""The worker's config keys: worker.* and reports.weekly.max_late_hours."""

from __future__ import annotations

from pathlib import Path

import pytest

from pmsheets import config
from pmsheets.errors import ConfigError
from tests.cli_helpers import write_config


def test_worker_defaults_follow_the_issue(tmp_path: Path) -> None:
    loaded = config.load(write_config(tmp_path, ""))
    assert loaded.worker.sync_every_minutes == 1
    assert loaded.worker.lease_minutes == 10
    assert loaded.reports.max_late_hours == 48


def test_worker_heartbeat_is_relative_to_the_config_file(tmp_path: Path) -> None:
    loaded = config.load(write_config(tmp_path, "worker:\n  heartbeat: state/worker.heartbeat\n"))
    assert loaded.worker.heartbeat == tmp_path / "state" / "worker.heartbeat"


def test_worker_keys_are_read(tmp_path: Path) -> None:
    loaded = config.load(
        write_config(tmp_path, "worker:\n  sync_every_minutes: 5\n  lease_minutes: 20\nreports:\n  weekly:\n    max_late_hours: 12\n")
    )
    assert (loaded.worker.sync_every_minutes, loaded.worker.lease_minutes, loaded.reports.max_late_hours) == (5, 20, 12)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param(
            "worker:\n  sync_every_minutes: 0\n", "key 'worker.sync_every_minutes' must be a number greater than 0", id="zero-interval"
        ),
        pytest.param(
            "reports:\n  weekly:\n    max_late_hours: soon\n", "key 'reports.weekly.max_late_hours' must be a number", id="late-hours"
        ),
        pytest.param("worker:\n  sync_every_minute: 5\n", "Did you mean 'worker.sync_every_minutes'?", id="typo"),
    ],
)
def test_worker_key_problem_names_the_key(tmp_path: Path, text: str, expected: str) -> None:
    with pytest.raises(ConfigError, match=expected):
        config.load(write_config(tmp_path, text))
