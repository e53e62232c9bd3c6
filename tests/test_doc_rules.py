"""The read-back rules: the post-mortem documents and the register agree (pure: documents handed in as read)."""

from __future__ import annotations

from pmsheets.core.documents import DocumentFacts, Documents, ListedAction, Unreadable
from pmsheets.core.policy import Policy, check
from pmsheets.model import Finding
from tests.builders import AS_OF
from tests.postmortem_fixtures import P0, P1_REVIEWED, register_of, sample_tables

REVIEWED_LINK = "https://docs.example.com/pm/inc-5"
WRITTEN = DocumentFacts("inc-5.md", "Reviewed", (), (ListedAction("ACT-1", "Restore the pool limit check"),))


def findings(documents: Documents, *incidents: list[object]) -> list[Finding]:
    return check(register_of(sample_tables(*(incidents or (P0, P1_REVIEWED)))), AS_OF, Policy(), documents)


def rule(found: list[Finding], rule_id: str) -> list[Finding]:
    return [finding for finding in found if finding.rule == rule_id]


def of_inc5(facts: DocumentFacts | Unreadable) -> Documents:
    return Documents(by_incident={"INC-5": facts})


# --- doc-status-differs --------------------------------------------------------------------------------


def test_document_marked_reviewed_while_the_register_says_not_started_is_reported() -> None:
    found = rule(findings(Documents(by_incident={"INC-1": WRITTEN})), "doc-status-differs")
    assert [(f.incident, f.cell) for f in found] == [("INC-1", "Incidents!N2")]
    assert "says Status: Reviewed, the register says Not started" in found[0].message


def test_register_reviewed_while_the_document_still_says_draft_is_reported() -> None:
    draft = DocumentFacts("inc-5.md", "Draft", (), ())
    assert len(rule(findings(of_inc5(draft)), "doc-status-differs")) == 1


def test_document_and_register_saying_the_same_is_quiet() -> None:
    assert rule(findings(of_inc5(WRITTEN)), "doc-status-differs") == []


def test_document_found_by_the_register_link_is_checked_too() -> None:
    draft = DocumentFacts("inc-5.md", "Draft", (), ())
    assert len(rule(findings(Documents(by_link={REVIEWED_LINK: draft})), "doc-status-differs")) == 1


# --- doc-sections-empty ----------------------------------------------------------------------------------


def test_reviewed_post_mortem_with_a_placeholder_left_is_reported_naming_the_section() -> None:
    unwritten = DocumentFacts("inc-5.md", "Reviewed", ("Impact", "Root cause"), ())
    found = rule(findings(of_inc5(unwritten)), "doc-sections-empty")
    assert len(found) == 1
    assert "under Impact, Root cause" in found[0].message


def test_draft_with_sections_still_to_write_is_quiet() -> None:
    unwritten = DocumentFacts("inc-1.md", "Not started", ("Impact",), ())
    assert rule(findings(Documents(by_incident={"INC-1": unwritten})), "doc-sections-empty") == []


# --- doc-action-untracked -----------------------------------------------------------------------------------


def test_action_listed_in_the_document_but_not_in_the_actions_tab_is_an_error() -> None:
    listed = DocumentFacts("inc-5.md", "Reviewed", (), (ListedAction("ACT-99", "Page the DBA"),))
    found = rule(findings(of_inc5(listed)), "doc-action-untracked")
    assert [(str(f.level), f.incident) for f in found] == [("error", "INC-5")]
    assert "ACT-99" in found[0].message


def test_action_row_without_an_id_is_an_error() -> None:
    listed = DocumentFacts("inc-5.md", "Reviewed", (), (ListedAction("", "Page the DBA"),))
    assert "with no action ID" in rule(findings(of_inc5(listed)), "doc-action-untracked")[0].message


def test_actions_the_actions_tab_tracks_are_quiet() -> None:
    assert rule(findings(of_inc5(WRITTEN)), "doc-action-untracked") == []


# --- unreadable, doc-missing, postmortem-required ---------------------------------------------------------------


def test_document_that_cannot_be_read_is_one_warning_naming_it() -> None:
    found = rule(findings(of_inc5(Unreadable("inc-5", "deleted"))), "doc-unreadable")
    assert [f.message for f in found] == ["the post-mortem document inc-5 cannot be read: deleted. Its checks were skipped."]


def test_link_into_the_publish_folder_with_no_file_behind_it_is_unreadable() -> None:
    documents = Documents(link_prefix="https://docs.example.com/pm/")
    assert len(rule(findings(documents), "doc-unreadable")) == 1


def test_drafted_incident_with_the_tools_document_has_no_doc_missing() -> None:
    drafted = [value if index != 13 else "Draft" for index, value in enumerate(P0)]  # Post-mortem status
    written = DocumentFacts("inc-1.md", "Draft", (), ())
    assert rule(findings(Documents(by_incident={"INC-1": written}), drafted), "doc-missing") == []
    assert len(rule(findings(Documents(), drafted), "doc-missing")) == 1


def test_required_incident_with_a_written_draft_is_not_told_to_start_one() -> None:
    written = DocumentFacts("2026-11-20-inc-1-checkout-api-outage.md", "Not started", ("Impact",), ())
    found = rule(findings(Documents(by_incident={"INC-1": written})), "postmortem-required")
    assert "Its draft 2026-11-20-inc-1-checkout-api-outage.md is written" in found[0].message
    assert "Start one from the template" not in found[0].message


def test_without_documents_the_read_back_rules_are_quiet() -> None:
    found = findings(Documents())
    assert [f for f in found if f.rule in ("doc-status-differs", "doc-sections-empty", "doc-action-untracked", "doc-unreadable")] == []
