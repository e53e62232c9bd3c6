"""The heartbeat file and `health`'s verdict on it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from pmsheets.ops.heartbeat import DEFAULT_MAX_AGE, Beat, health, read_beat, write_beat

AT = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)


def test_heartbeat_written_then_read_gives_its_time_and_state(tmp_path: Path) -> None:
    path = tmp_path / "worker.heartbeat"
    write_beat(path, Beat(AT, "cycle done", "2026-11-30T08:00:00+00:00 ok"))
    assert read_beat(path) == Beat(AT, "cycle done", "2026-11-30T08:00:00+00:00 ok")


def test_heartbeat_creates_its_folder(tmp_path: Path) -> None:
    path = tmp_path / "state" / "worker.heartbeat"
    write_beat(path, Beat(AT, "idle"))
    assert read_beat(path) is not None


def test_unchanged_beat_moves_only_the_time(tmp_path: Path) -> None:
    path = tmp_path / "worker.heartbeat"
    write_beat(path, Beat(AT, "idle"))
    content = path.read_text()
    write_beat(path, Beat(AT + timedelta(minutes=1), "idle"), unchanged=True)
    assert path.read_text() == content
    assert read_beat(path) == Beat(AT + timedelta(minutes=1), "idle")


def test_health_of_a_fresh_beat_is_healthy(tmp_path: Path) -> None:
    verdict = health(Beat(AT, "idle"), now=AT + timedelta(seconds=30), max_age=DEFAULT_MAX_AGE, path=tmp_path)
    assert verdict.healthy
    assert verdict.message == "healthy: last heartbeat 30 s ago (idle)"


def test_health_of_a_stale_beat_is_unhealthy(tmp_path: Path) -> None:
    verdict = health(Beat(AT, "idle"), now=AT + timedelta(minutes=11), max_age=DEFAULT_MAX_AGE, path=tmp_path)
    assert not verdict.healthy
    assert verdict.message == "unhealthy: last heartbeat 11 min ago, more than 10 min"


def test_health_without_a_heartbeat_is_unhealthy(tmp_path: Path) -> None:
    path = tmp_path / "worker.heartbeat"
    verdict = health(read_beat(path), now=AT, max_age=DEFAULT_MAX_AGE, path=path)
    assert not verdict.healthy
    assert str(path) in verdict.message


def test_health_of_a_stopped_worker_is_unhealthy(tmp_path: Path) -> None:
    verdict = health(Beat(AT, "stopped"), now=AT, max_age=DEFAULT_MAX_AGE, path=tmp_path)
    assert not verdict.healthy
