"""The link back from a generated document into the register, on the workbook and on the Sheets emulator.

Only blank cells are written (and a 'Not started' status, when the config allows), rows are
found by ID when writing, and nothing a PM typed is replaced.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pmsheets.core.policy import Policy, policy_context
from pmsheets.core.schema import parse
from pmsheets.model import Incident
from pmsheets.outputs.postmortem_doc import STATUS_PLACEHOLDERS, Outcome
from pmsheets.outputs.postmortems import DocumentResult, planned_links, write_links
from pmsheets.outputs.publish import Drafted
from pmsheets.register import RegisterBackend
from tests.builders import AS_OF, INCIDENT_HEADERS, Tables
from tests.postmortem_fixtures import LINK_BASE, P0, P1, P1_REVIEWED, P2, sample_tables

Build = Callable[[Tables], RegisterBackend]


def plan(backend: RegisterBackend, *, set_status_draft: bool = False) -> Callable[[RegisterBackend], list[str]]:
    """Read and plan now, as generate does; the returned function writes the plan later."""
    raw = backend.read()
    register = parse(raw.tables).register
    results = [
        DocumentResult(item.id or "", f"{item.id}.md", Outcome.CREATED, link=f"{LINK_BASE}/{item.id}.md") for item in register.incidents
    ]
    updates = planned_links(register, results, set_status_draft=set_status_draft, ctx=policy_context(register, AS_OF, Policy()))
    return lambda target: write_links(target, raw.tables, register, updates, set_status_draft=set_status_draft)


def link_all(backend: RegisterBackend, *, set_status_draft: bool = False) -> list[str]:
    return plan(backend, set_status_draft=set_status_draft)(backend)


def incidents(backend: RegisterBackend) -> dict[str | None, Incident]:
    return {item.id: item for item in parse(backend.read().tables).register.incidents}


def test_link_fills_a_blank_post_mortem_doc_cell(register_from: Build) -> None:
    backend = register_from(sample_tables(P0, P1_REVIEWED))
    link_all(backend)
    assert incidents(backend)["INC-1"].postmortem_doc == f"{LINK_BASE}/INC-1.md"


def test_link_leaves_a_filled_post_mortem_doc_cell_alone(register_from: Build) -> None:
    backend = register_from(sample_tables(P0, P1_REVIEWED))
    link_all(backend)
    assert incidents(backend)["INC-5"].postmortem_doc == "https://docs.example.com/pm/inc-5"


def test_status_stays_as_it_is_when_the_config_does_not_allow_draft(register_from: Build) -> None:
    backend = register_from(sample_tables(P0, P1))
    link_all(backend)
    assert [str(item.postmortem_status) for item in incidents(backend).values()] == ["Not started", "Not started"]


def test_blank_and_not_started_status_become_draft_when_allowed(register_from: Build) -> None:
    backend = register_from(sample_tables(P0, P1))
    link_all(backend, set_status_draft=True)
    assert [str(item.postmortem_status) for item in incidents(backend).values()] == ["Draft", "Draft"]


def test_draft_date_is_filled_with_the_as_of_day_when_status_becomes_draft(register_from: Build) -> None:
    backend = register_from(sample_tables(P1))
    link_all(backend, set_status_draft=True)
    assert str(incidents(backend)["INC-2"].draft_date) == "2026-11-27"


def test_reviewed_status_is_never_set_back_to_draft(register_from: Build) -> None:
    backend = register_from(sample_tables(P1_REVIEWED))
    link_all(backend, set_status_draft=True)
    assert str(incidents(backend)["INC-5"].postmortem_status) == "Reviewed"


def test_status_changed_by_a_pm_after_the_read_is_not_replaced(register_from: Build) -> None:
    """The write-time check: the planned 'Draft' only replaces a status that is still blank or Not started."""
    backend = register_from(sample_tables(P1_REVIEWED))
    written = backend.fill_blank_cells("Incidents", "ID", {"INC-5": {"Post-mortem status": "Draft"}}, replaceable=STATUS_PLACEHOLDERS)
    assert written == []


def test_not_started_typed_in_another_case_still_counts_as_not_started(register_from: Build) -> None:
    backend = register_from(sample_tables(with_status(P1, " not STARTED ")))
    link_all(backend, set_status_draft=True)
    assert str(incidents(backend)["INC-2"].postmortem_status) == "Draft"


def test_links_land_on_the_right_rows_after_the_sheet_was_resorted(register_from: Build) -> None:
    write_later = plan(register_from(sample_tables(P0, P1, P2)))
    after = register_from(sample_tables(P2, P1, P0))  # the PM sorted the tab between generate's read and write
    write_later(after)
    assert {key: item.postmortem_doc for key, item in incidents(after).items()} == {
        "INC-3": f"{LINK_BASE}/INC-3.md",
        "INC-2": f"{LINK_BASE}/INC-2.md",
        "INC-1": f"{LINK_BASE}/INC-1.md",
    }


def test_links_find_rows_under_an_incident_id_header(register_from: Build) -> None:
    content = sample_tables(P0)
    content["Incidents"] = [["Incident ID" if header == "ID" else header for header in INCIDENT_HEADERS], *content["Incidents"][1:]]
    backend = register_from(content)
    link_all(backend)
    assert incidents(backend)["INC-1"].postmortem_doc == f"{LINK_BASE}/INC-1.md"


def with_status(row: list[Any], status: str) -> list[Any]:
    changed = list(row)
    changed[INCIDENT_HEADERS.index("Post-mortem status")] = status
    return changed


def test_the_step_summary_names_ten_drafts_and_counts_the_rest() -> None:
    results = [DocumentResult(f"INC-{n}", f"INC-{n}.md", Outcome.CREATED) for n in range(1, 4656)]
    summary = Drafted(results, "postmortems").summary()
    assert summary == "4655 draft(s) written (" + "; ".join(f"INC-{n} created" for n in range(1, 11)) + "; and 4,645 more)"


def test_the_step_summary_names_every_draft_when_there_are_few() -> None:
    results = [DocumentResult("INC-1", "INC-1.md", Outcome.CREATED), DocumentResult("INC-2", "INC-2.md", Outcome.UNCHANGED)]
    assert Drafted(results, "postmortems").summary() == "1 draft(s) written (INC-1 created)"
