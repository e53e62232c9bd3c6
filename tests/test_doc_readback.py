"""The read-back checks through `pmsheets validate` in local mode: the drafts generate wrote are read back."""

from __future__ import annotations

import json
from pathlib import Path

from tests.builders import AS_OF, write_workbook
from tests.cli_helpers import run
from tests.postmortem_fixtures import sample_tables

P0_DOC = "2026-11-20-inc-1-checkout-api-outage.md"


def project(tmp_path: Path) -> Path:
    write_workbook(tmp_path / "register.xlsx", sample_tables())
    config = tmp_path / "pmsheets.yaml"
    config.write_text("register:\n  path: register.xlsx\n", encoding="utf-8")
    return config


def findings(config: Path) -> list[dict[str, str]]:
    _, out, _ = run("--config", str(config), "validate", "--as-of", AS_OF.isoformat(), "--format", "json", "--no-write")
    return list(json.loads(out)["findings"])


def generate(config: Path) -> None:
    run("--config", str(config), "generate", "--as-of", AS_OF.isoformat())


def test_validate_right_after_generate_does_not_say_start_one_from_the_template(tmp_path: Path) -> None:
    config = project(tmp_path)
    generate(config)
    required = {f["incident"]: f["message"] for f in findings(config) if f["rule"] == "postmortem-required"}
    assert f"Its draft {P0_DOC} is written" in required["INC-1"]
    assert not any("Start one from the template" in message for message in required.values())


def test_status_written_into_the_document_by_hand_is_compared_with_the_register(tmp_path: Path) -> None:
    config = project(tmp_path)
    generate(config)
    draft = tmp_path / "docs" / "postmortems" / P0_DOC
    draft.write_text(draft.read_text(encoding="utf-8").replace("| Status | Not started |", "| Status | Reviewed |"), encoding="utf-8")
    differs = [f for f in findings(config) if f["rule"] == "doc-status-differs"]
    assert [(f["incident"], f["level"]) for f in differs] == [("INC-1", "warning")]


def test_validate_without_drafts_reports_no_read_back_finding(tmp_path: Path) -> None:
    rules = {f["rule"] for f in findings(project(tmp_path))}
    assert not rules & {"doc-status-differs", "doc-sections-empty", "doc-action-untracked", "doc-unreadable"}
