"""docs/operations.md stays true to the worker: every event it logs and every worker config key is documented."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from pmsheets.config import SPEC

ROOT = Path(__file__).resolve().parent.parent
OPERATIONS = ROOT / "docs" / "operations.md"
EMITTERS = [ROOT / "pmsheets" / name for name in ("ops/cycle.py", "ops/loop.py", "cli/worker.py")]
_EVENT = re.compile(r"\.(?:info|warning|error|exception)\(\s*\"([a-z.]+)\"")


def logged_events() -> list[str]:
    return sorted({name for path in EMITTERS for name in _EVENT.findall(path.read_text(encoding="utf-8"))})


def test_worker_logs_some_events() -> None:
    assert len(logged_events()) > 5, "the pattern no longer finds the event names; this file would check nothing"


@pytest.mark.parametrize("event", logged_events())
def test_operations_doc_explains_every_logged_event(event: str) -> None:
    assert f"`{event}`" in OPERATIONS.read_text(encoding="utf-8"), f"docs/operations.md does not explain the event `{event}`"


@pytest.mark.parametrize("key", [f"worker.{key}" for key in SPEC["worker"]] + ["reports.weekly.max_late_hours"])
def test_operations_doc_lists_every_worker_config_key(key: str) -> None:
    assert f"`{key}`" in OPERATIONS.read_text(encoding="utf-8")
