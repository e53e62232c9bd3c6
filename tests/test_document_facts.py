"""Reading a post-mortem document back: its status, the sections still unwritten, the actions it lists."""

from __future__ import annotations

from pmsheets.core.documents import ListedAction, read_document
from tests.postmortem_fixtures import render, sample_tables

DRAFT = render(sample_tables(), "INC-1")


def written(text: str) -> str:
    """The draft as a PM leaves it after writing Impact and Root cause."""
    text = text.replace("_To write: who was affected, how, and how many; internal impact too._", "All EU customers could not pay.")
    return text.replace(
        "_To write: the contributing factors, the conditions that let the cause have this effect._", "No limit check in CI."
    )


def test_status_is_read_from_the_metadata_table() -> None:
    assert read_document("d.md", DRAFT).status == "Not started"


def test_status_line_written_by_hand_is_read() -> None:
    assert read_document("d.md", "# PM\n\n**Status:** Reviewed\n").status == "Reviewed"


def test_fresh_draft_has_impact_and_root_cause_unwritten() -> None:
    assert read_document("d.md", DRAFT).unwritten == ("Impact", "Root cause")


def test_written_sections_are_not_reported() -> None:
    assert read_document("d.md", written(DRAFT)).unwritten == ()


def test_missing_section_counts_as_unwritten() -> None:
    assert read_document("d.md", "## Summary\n\nText.\n").unwritten == ("Impact", "Root cause", "Corrective actions")


def test_corrective_actions_with_only_placeholder_rows_are_unwritten() -> None:
    draft = render(sample_tables(), "INC-3")  # INC-3's one action is typed Short-term, so Long-term shows a placeholder row
    no_actions = render(sample_tables(actions=[]), "INC-3")
    assert "Corrective actions" not in read_document("d.md", draft).unwritten
    assert "Corrective actions" in read_document("d.md", no_actions).unwritten


def test_actions_listed_in_the_tables_are_read_with_their_ids() -> None:
    ids = [action.id for action in read_document("d.md", DRAFT).actions]
    assert ids == ["ACT-1", "ACT-2", "ACT-3"]


def test_action_row_a_pm_added_without_an_id_is_read() -> None:
    text = DRAFT.replace("| ACT-3 |", "|  | Page the DBA on pool alerts | Tom | 2026-12-01 |  | Open |\n| ACT-3 |", 1)
    assert ListedAction("", "Page the DBA on pool alerts") in read_document("d.md", text).actions


def test_sections_under_level_three_headings_are_found() -> None:
    text = "### Impact\n\nMany.\n\n### Root cause\n\nA bug.\n\n### Corrective actions\n\n| ID | Action |\n| --- | --- |\n| ACT-9 | Fix |\n"
    facts = read_document("d.md", text)
    assert (facts.unwritten, [action.id for action in facts.actions]) == ((), ["ACT-9"])


def test_escaped_pipe_inside_a_cell_does_not_split_it() -> None:
    text = "## Corrective actions\n\n| ID | Action |\n| --- | --- |\n| ACT-9 | Fix a \\| b |\n"
    assert read_document("d.md", text).actions == (ListedAction("ACT-9", "Fix a | b"),)
