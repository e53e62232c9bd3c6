"""`pmsheets generate` as a PM meets it: files written, edits never lost, overrides, exit codes."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest

from pmsheets.cli.main import main
from pmsheets.core.schema import parse
from pmsheets.outputs.postmortem_doc import body_hash, document_text, read_front_matter
from pmsheets.register.xlsx import XlsxRegister
from tests.builders import AS_OF, INCIDENT_HEADERS, incident_row, tables, write_workbook
from tests.postmortem_fixtures import LINK_BASE, P1, P1_REVIEWED, P2, P2_NOT_REQUIRED, sample_tables

EXPECTED_NAMES = {
    "2026-11-20-inc-1-checkout-api-outage.md",
    "2026-11-24-inc-2-search-latency-degraded.md",
    "2026-11-25-inc-3-internal-dashboard-shows-stale-data.md",
}
P0_DOC = "2026-11-20-inc-1-checkout-api-outage.md"


def project(tmp_path: Path, content: dict[str, Any] | None = None, extra: str = "") -> Path:
    """A register workbook and a config beside it; returns the config's path."""
    write_workbook(tmp_path / "register.xlsx", content or sample_tables())
    config = tmp_path / "pmsheets.yaml"
    config.write_text(f"register:\n  path: register.xlsx\n{extra}", encoding="utf-8")
    return config


def generate(config: Path, *args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(["--config", str(config), "generate", "--as-of", AS_OF.isoformat(), *args], stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


def folder(tmp_path: Path) -> Path:
    return tmp_path / "docs" / "postmortems"


def document(tmp_path: Path, name: str = P0_DOC) -> str:
    return (folder(tmp_path) / name).read_text(encoding="utf-8")


def with_p0(**changes: Any) -> dict[str, Any]:
    """The sample register with INC-1's row changed."""
    values = {"id": "INC-1", "title": "Checkout API outage", "severity": "P0", "detected_at": "2026-11-20 14:05", **changes}
    return sample_tables(incident_row(**values), P1, P2, P2_NOT_REQUIRED, P1_REVIEWED)


# --- writing documents ---------------------------------------------------------------------------


def test_generate_writes_one_draft_per_incident_that_needs_one(tmp_path: Path) -> None:
    code, out, _ = generate(project(tmp_path))
    assert code == 0
    assert {path.name for path in folder(tmp_path).iterdir()} == EXPECTED_NAMES
    assert "3 created in " in out


def test_generated_document_records_its_incident_and_body_hash(tmp_path: Path) -> None:
    generate(project(tmp_path))
    front = read_front_matter(document(tmp_path))
    assert front is not None
    assert (front.incident_id, front.recorded_hash) == ("INC-1", body_hash(front.body))


def test_rerun_with_nothing_changed_writes_no_file(tmp_path: Path) -> None:
    config = project(tmp_path)
    generate(config)
    before = {path.name: (path.stat().st_ino, path.stat().st_mtime_ns) for path in folder(tmp_path).iterdir()}
    code, out, _ = generate(config)
    after = {path.name: (path.stat().st_ino, path.stat().st_mtime_ns) for path in folder(tmp_path).iterdir()}
    assert (code, after) == (0, before)
    assert "3 unchanged in " in out


def test_unedited_document_is_refreshed_when_the_register_changes(tmp_path: Path) -> None:
    config = project(tmp_path)
    generate(config)
    project(tmp_path, with_p0(summary="Checkout failed for 90 minutes."))
    _, out, _ = generate(config)
    assert "Checkout failed for 90 minutes." in document(tmp_path)
    assert f"{P0_DOC}: updated" in out


def test_edited_document_survives_generate(tmp_path: Path) -> None:
    config = project(tmp_path)
    generate(config)
    edited = document(tmp_path).replace("_To write._", "Paging worked within a minute.", 1)
    (folder(tmp_path) / P0_DOC).write_text(edited, encoding="utf-8")
    project(tmp_path, with_p0(summary="A new summary in the register."))
    code, out, _ = generate(config)
    assert (code, document(tmp_path)) == (0, edited)
    assert f"{P0_DOC}: kept, edited by hand" in out


def test_force_replaces_an_edited_document_and_keeps_a_bak(tmp_path: Path) -> None:
    config = project(tmp_path)
    generate(config)
    edited = document(tmp_path) + "\nA PM's notes.\n"
    (folder(tmp_path) / P0_DOC).write_text(edited, encoding="utf-8")
    code, _, _ = generate(config, "--force")
    assert code == 0
    assert (folder(tmp_path) / f"{P0_DOC}.bak").read_text(encoding="utf-8") == edited
    assert "A PM's notes." not in document(tmp_path)


def test_second_force_keeps_the_first_bak_too(tmp_path: Path) -> None:
    config = project(tmp_path)
    generate(config)
    for note in ("first edit", "second edit"):
        (folder(tmp_path) / P0_DOC).write_text(document(tmp_path) + note, encoding="utf-8")
        generate(config, "--force")
    assert (folder(tmp_path) / f"{P0_DOC}.bak").read_text(encoding="utf-8").endswith("first edit")
    assert (folder(tmp_path) / f"{P0_DOC}.2.bak").read_text(encoding="utf-8").endswith("second edit")


def test_document_keeps_its_file_name_when_the_title_changes(tmp_path: Path) -> None:
    config = project(tmp_path)
    generate(config)
    project(tmp_path, with_p0(title="Checkout and cart outage"))
    generate(config)
    assert {path.name for path in folder(tmp_path).iterdir()} == EXPECTED_NAMES
    assert "Checkout and cart outage" in document(tmp_path)


def test_file_of_another_incident_is_left_alone_and_exits_1(tmp_path: Path) -> None:
    config = project(tmp_path)
    folder(tmp_path).mkdir(parents=True)
    foreign = document_text("INC-77", "Another incident's post-mortem.\n")
    (folder(tmp_path) / P0_DOC).write_text(foreign, encoding="utf-8")
    code, out, _ = generate(config)
    assert (code, document(tmp_path)) == (1, foreign)
    assert "belongs to another incident" in out


def test_dry_run_writes_no_document(tmp_path: Path) -> None:
    code, out, _ = generate(project(tmp_path), "--dry-run")
    assert code == 0
    assert not folder(tmp_path).exists()
    assert out.startswith("Dry run: nothing is written.")


def test_hand_written_template_in_the_folder_is_not_taken_for_a_document(tmp_path: Path) -> None:
    config = project(tmp_path)
    folder(tmp_path).mkdir(parents=True)
    (folder(tmp_path) / "INCIDENT_POSTMORTEM_TEMPLATE.md").write_text("# Post-mortem: INC-000\n", encoding="utf-8")
    code, out, _ = generate(config)
    assert (code, out.count(": created")) == (0, 3)


# --- choosing incidents --------------------------------------------------------------------------


def test_incident_option_writes_only_that_incident(tmp_path: Path) -> None:
    generate(project(tmp_path), "--incident", "INC-2")
    assert [path.name for path in folder(tmp_path).iterdir()] == ["2026-11-24-inc-2-search-latency-degraded.md"]


def test_incident_option_writes_a_draft_the_policy_does_not_require(tmp_path: Path) -> None:
    code, _, _ = generate(project(tmp_path), "--incident", "INC-4")
    assert code == 0
    assert [path.name for path in folder(tmp_path).iterdir()] == ["2026-11-26-inc-4-nightly-batch-retried.md"]


def test_unknown_incident_exits_2_naming_it(tmp_path: Path) -> None:
    code, _, err = generate(project(tmp_path), "--incident", "INC-404")
    assert code == 2
    assert err == "pmsheets: error: --incident 'INC-404': the Incidents tab has no incident with that ID.\n"


def test_register_with_nothing_to_write_says_so(tmp_path: Path) -> None:
    code, out, _ = generate(project(tmp_path, sample_tables(P2_NOT_REQUIRED, P1_REVIEWED)))
    assert code == 0
    assert out.startswith("No incident needs a new post-mortem draft")


def test_unreadable_incidents_tab_exits_2(tmp_path: Path) -> None:
    headers = [header for header in INCIDENT_HEADERS if header != "ID"]
    code, _, err = generate(project(tmp_path, {**tables(), "Incidents": [headers]}))
    assert code == 2
    assert "Incidents tab cannot be read" in err


# --- templates -----------------------------------------------------------------------------------


def with_template(tmp_path: Path, source: str) -> Path:
    (tmp_path / "my-templates").mkdir()
    (tmp_path / "my-templates" / "postmortem.md.j2").write_text(source, encoding="utf-8")
    return project(tmp_path, extra="templates_dir: my-templates\n")


def test_template_in_templates_dir_overrides_the_shipped_one(tmp_path: Path) -> None:
    generate(with_template(tmp_path, "# Our own format for {{ pm.id }}: {{ pm.title }}\n"))
    assert document(tmp_path).endswith("---\n# Our own format for INC-1: Checkout API outage\n")


def test_override_template_escapes_register_text_too(tmp_path: Path) -> None:
    config = with_template(tmp_path, "{{ pm.title }}\n")
    project(tmp_path, with_p0(title="a | {{ 7*7 }}"), extra="templates_dir: my-templates\n")
    generate(config)
    (written,) = [path for path in folder(tmp_path).iterdir() if "inc-1" in path.name]
    assert written.read_text(encoding="utf-8").endswith("---\na \\| {{ 7*7 }}\n")


def test_override_template_using_an_unknown_name_exits_2(tmp_path: Path) -> None:
    code, _, err = generate(with_template(tmp_path, "{{ pm.severityy }}\n"))
    assert code == 2
    assert "severityy" in err


def test_override_template_with_a_syntax_error_exits_2_naming_the_line(tmp_path: Path) -> None:
    code, _, err = generate(with_template(tmp_path, "# ok\n{% if pm.id %}\n"))
    assert code == 2
    assert "postmortem.md.j2, line 2" in err


def test_missing_templates_dir_exits_2(tmp_path: Path) -> None:
    code, _, err = generate(project(tmp_path, extra="templates_dir: nowhere\n"))
    assert code == 2
    assert "templates_dir" in err


# --- hostile register text -----------------------------------------------------------------------


def test_hostile_ids_and_titles_only_write_inside_the_postmortems_folder(tmp_path: Path) -> None:
    hostile = [
        incident_row(id=incident_id, title=title, severity="P0", detected_at="2026-11-20 14:05")
        for incident_id, title in [
            ("../../etc/passwd", "../../etc/passwd"),
            ("CON", "NUL"),
            ("INC-7", "{{ 7*7 }} | pipes\nand newlines"),
            ("事件-8", "Zahlungsausfall 🚨 " * 30),
        ]
    ]
    code, _, _ = generate(project(tmp_path, tables(hostile)))
    written = {path.relative_to(tmp_path).parts[:2] for path in tmp_path.rglob("*") if path.is_file()}
    assert code == 0
    assert written == {("register.xlsx",), ("pmsheets.yaml",), ("docs", "postmortems")}
    assert len(list(folder(tmp_path).iterdir())) == 4


# --- the link back, end to end on a workbook -----------------------------------------------------


def incident(tmp_path: Path, incident_id: str) -> Any:
    register = parse(XlsxRegister(tmp_path / "register.xlsx").read().tables).register
    return next(item for item in register.incidents if item.id == incident_id)


def test_link_base_fills_the_blank_post_mortem_doc_cell(tmp_path: Path) -> None:
    code, out, _ = generate(project(tmp_path, extra=f"postmortems:\n  link_base: {LINK_BASE}\n"))
    assert code == 0
    assert incident(tmp_path, "INC-1").postmortem_doc == f"{LINK_BASE}/{P0_DOC}"
    assert "Filled in " in out


def test_without_link_base_the_register_is_not_written(tmp_path: Path) -> None:
    config = project(tmp_path)
    before = (tmp_path / "register.xlsx").read_bytes()
    generate(config)
    assert (tmp_path / "register.xlsx").read_bytes() == before


def test_dry_run_does_not_write_the_register(tmp_path: Path) -> None:
    config = project(tmp_path, extra=f"postmortems:\n  link_base: {LINK_BASE}\n  set_status_draft: true\n")
    before = (tmp_path / "register.xlsx").read_bytes()
    _, out, _ = generate(config, "--dry-run")
    assert (tmp_path / "register.xlsx").read_bytes() == before
    assert "would fill INC-2: Post-mortem doc, Post-mortem status, Draft date" in out


def test_workbook_open_in_excel_exits_2_after_writing_the_documents(tmp_path: Path) -> None:
    config = project(tmp_path, extra=f"postmortems:\n  link_base: {LINK_BASE}\n")
    (tmp_path / "~$register.xlsx").write_text("lock", encoding="utf-8")
    code, _, err = generate(config)
    assert code == 2
    assert "run generate again to link them" in err
    assert {path.name for path in folder(tmp_path).iterdir()} == EXPECTED_NAMES


@pytest.mark.parametrize("allowed", [True, False], ids=["allowed", "not-allowed"])
def test_generate_sets_not_started_to_draft_only_when_allowed(tmp_path: Path, allowed: bool) -> None:
    generate(project(tmp_path, extra=f"postmortems:\n  link_base: {LINK_BASE}\n  set_status_draft: {str(allowed).lower()}\n"))
    assert str(incident(tmp_path, "INC-2").postmortem_status) == ("Draft" if allowed else "Not started")


def test_draft_set_by_generate_leaves_no_draft_date_or_doc_warning(tmp_path: Path) -> None:
    config = project(tmp_path, extra=f"postmortems:\n  link_base: {LINK_BASE}\n  set_status_draft: true\n")
    generate(config)
    out = io.StringIO()
    main(
        ["--config", str(config), "validate", "--as-of", AS_OF.isoformat(), "--no-write", "--format", "json"],
        stdout=out,
        stderr=io.StringIO(),
    )
    rules = {finding["rule"] for finding in json.loads(out.getvalue())["findings"] if finding["incident"] == "INC-2"}
    assert rules.isdisjoint({"draft-date-missing", "doc-missing", "draft-overdue", "value-invalid"})
