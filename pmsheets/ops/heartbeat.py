"""The worker's heartbeat file, and the staleness check behind `pmsheets health`.

The file says when the worker's loop last got round (after a cycle, and at least once a
minute while idle), not whether the register was reachable: a liveness probe that
restarted the container because Google or SMTP is down would only add churn.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from pmsheets.errors import PmsheetsError
from pmsheets.files import write_text_atomically

DEFAULT_MAX_AGE = timedelta(minutes=10)
"""Longer than a slow cycle (a sheet behind retries) so a busy worker is not called dead."""


class HeartbeatError(PmsheetsError):
    """The heartbeat file could not be written; the message names the path."""


@dataclass(frozen=True, slots=True)
class Beat:
    at: datetime
    state: str
    """`idle`, `cycle done` or `stopped`."""
    last_cycle: str | None = None
    """The last cycle's time and status, for people reading `pmsheets health`."""

    def content(self) -> str:
        return json.dumps({"state": self.state, "last_cycle": self.last_cycle, "pid": os.getpid()}) + "\n"


def write_beat(path: Path, beat: Beat, *, unchanged: bool = False) -> None:
    """The beat's time is the file's mtime, so an idle beat is one utime() call.

    The content (state, last cycle) is rewritten only when it changed, atomically so
    `health` never reads half a file; pass `unchanged` to skip it.
    """
    try:
        if not unchanged or not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            write_text_atomically(path, beat.content())
        stamp = beat.at.timestamp()
        os.utime(path, (stamp, stamp))
    except OSError as error:
        msg = f"could not write the heartbeat {path}: {error.strerror or error}. Point worker.heartbeat at a writable place."
        raise HeartbeatError(msg) from None


def read_beat(path: Path) -> Beat | None:
    """The last beat, or None when the file is missing or unreadable (both mean: not alive)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        at = datetime.fromtimestamp(path.stat().st_mtime, UTC)
        return Beat(at, str(data["state"]), data.get("last_cycle"))
    except (OSError, ValueError, KeyError, TypeError):
        return None


@dataclass(frozen=True, slots=True)
class Health:
    healthy: bool
    message: str


def health(beat: Beat | None, *, now: datetime, max_age: timedelta, path: Path) -> Health:
    if beat is None:
        return Health(False, f"unhealthy: no readable heartbeat at {path}; is `pmsheets worker` running with this config?")
    age = now - beat.at
    last = f"; last cycle: {beat.last_cycle}" if beat.last_cycle else ""
    if beat.state == "stopped":
        return Health(False, f"unhealthy: the worker stopped at {beat.at.isoformat(timespec='seconds')}{last}")
    if age > max_age:
        return Health(False, f"unhealthy: last heartbeat {_ago(age)} ago, more than {_ago(max_age)}{last}")
    return Health(True, f"healthy: last heartbeat {_ago(age)} ago ({beat.state}){last}")


def _ago(age: timedelta) -> str:
    seconds = max(0, int(age.total_seconds()))
    return f"{seconds} s" if seconds < 120 else f"{seconds // 60} min"
