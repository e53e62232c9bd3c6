"""Post-mortem drafts rendered from the register: sections, tables, values, escaping, names, rewrite decisions."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from pmsheets.core.policy import Policy, policy_context
from pmsheets.outputs.postmortem_doc import Outcome, decide, document_name, document_text, incidents_to_document
from tests.builders import AS_OF, action_row, incident_row
from tests.postmortem_fixtures import (
    P2_NOT_REQUIRED,
    metadata,
    parse_markdown,
    register_of,
    render,
    sample_tables,
    table_under,
)

ROOT = Path(__file__).resolve().parent.parent
BLANK_TEMPLATE = ROOT / "docs" / "postmortems" / "INCIDENT_POSTMORTEM_TEMPLATE.md"
SECTIONS = [
    (2, "Metadata"),
    (2, "Summary"),
    (2, "Impact"),
    (2, "Timeline"),
    (2, "Root cause and contributing factors"),
    (2, "What went well"),
    (2, "What went wrong"),
    (2, "Where we got lucky"),
    (2, "Corrective actions"),
    (3, "Short-term"),
    (3, "Long-term"),
    (2, "Review sign-off"),
    (2, "References"),
]
ACTION_COLUMNS = ["ID", "Action", "Owner", "Due date", "Tracking link", "Status"]


def sections(text: str) -> list[tuple[int, str]]:
    return [heading for heading in parse_markdown(text).headings if heading[0] > 1]


def title_heading(text: str) -> str:
    titles = [title for level, title in parse_markdown(text).headings if level == 1]
    assert len(titles) == 1, titles
    return titles[0]


# --- sections and values -------------------------------------------------------------------------


@pytest.mark.parametrize("incident_id", ["INC-1", "INC-2", "INC-3"])
def test_draft_has_the_policy_sections_in_order(incident_id: str) -> None:
    assert sections(render(sample_tables(), incident_id)) == SECTIONS


def test_blank_template_has_the_same_headings_as_the_jinja_template() -> None:
    blank = BLANK_TEMPLATE.read_text(encoding="utf-8")
    assert sections(blank) == sections(render(sample_tables(), "INC-1"))
    assert title_heading(blank).startswith("Post-mortem: ")


def test_blank_template_and_draft_open_with_the_blameless_reminder() -> None:
    for text in (BLANK_TEMPLATE.read_text(encoding="utf-8"), render(sample_tables(), "INC-1")):
        assert parse_markdown(text).paragraphs[0].startswith("Blameless post-mortem.")


def test_blank_template_names_the_policy_references() -> None:
    blank = BLANK_TEMPLATE.read_text(encoding="utf-8")
    for path in ("docs/runbooks/README.md", "OPERATIONS.md", "docs/SECURITY_VULN_POLICY.md"):
        assert f"`{path}`" in blank


def test_title_heading_holds_id_and_title() -> None:
    assert title_heading(render(sample_tables(), "INC-1")) == "Post-mortem: INC-1 — Checkout API outage"


def test_p0_metadata_table_holds_the_register_values() -> None:
    values = metadata(render(sample_tables(), "INC-1"))
    assert values == {
        "ID": "INC-1",
        "Title": "Checkout API outage",
        "Severity": "P0",
        "Status": "Not started",
        "Detected at": "2026-11-20 14:05 UTC",
        "Resolved at": "2026-11-20 15:35 UTC",
        "Duration": "1 h 30 min",
        "Customer impact": "Non-trivial",
        "Incident owner": "Priya Shah",
        "Primary responder": "Tom Okafor",
        "Contributors": "Lena Vogel, Sam Ruiz",
        "Draft date": "",
        "Review date": "",
        "Closed date": "",
        "Why a post-mortem": "P0 incidents always need one",
        "Draft due by": "2026-11-22 15:35 UTC",
        "Review due by": "end of Fri 2026-11-27",
    }


def test_p1_metadata_says_why_it_needs_a_post_mortem() -> None:
    assert metadata(render(sample_tables(), "INC-2"))["Why a post-mortem"] == "P1 with 45 minutes of impact, more than 15"


def test_p2_metadata_says_which_gap_it_revealed() -> None:
    assert metadata(render(sample_tables(), "INC-3"))["Why a post-mortem"] == "P2 that revealed a systemic gap"


def test_summary_and_root_cause_come_from_the_register() -> None:
    paragraphs = parse_markdown(render(sample_tables(), "INC-1")).paragraphs
    assert "Checkout returned 503 for all customers." in paragraphs
    assert "A config push removed the connection pool limit." in paragraphs


def test_missing_summary_leaves_a_prompt_to_write_it() -> None:
    paragraphs = parse_markdown(render(sample_tables(), "INC-2")).paragraphs
    assert any(paragraph.startswith("To write: what happened") for paragraph in paragraphs)


def test_timeline_table_lists_the_incidents_entries_in_time_order() -> None:
    rows = table_under(parse_markdown(render(sample_tables(), "INC-1")), "Timeline")
    assert rows == [
        ["Time", "Event"],
        ["2026-11-20 14:05 UTC", "Error-rate alert fires"],
        ["2026-11-20 14:20 UTC", "Incident declared, checkout team paged"],
        ["2026-11-20 15:35 UTC", "Config rolled back; errors stop"],
    ]


def test_timeline_with_no_entries_has_one_placeholder_row() -> None:
    rows = table_under(parse_markdown(render(sample_tables(P2_NOT_REQUIRED), "INC-4")), "Timeline")
    assert rows == [["Time", "Event"], ["", "To fill: detection, escalation, mitigation, resolution."]]


def test_short_term_table_has_its_actions_with_every_column() -> None:
    rows = table_under(parse_markdown(render(sample_tables(), "INC-1")), "Short-term")
    assert rows == [
        ACTION_COLUMNS,
        ["ACT-1", "Restore the pool limit check", "Tom Okafor", "2026-11-25", "OPS-1", "Open (overdue)"],
        ["ACT-2", "Roll back the config", "Tom Okafor", "2026-11-20", "OPS-2", "Done"],
    ]


def test_long_term_table_has_its_actions_with_every_column() -> None:
    rows = table_under(parse_markdown(render(sample_tables(), "INC-1")), "Long-term")
    assert rows == [
        ACTION_COLUMNS,
        ["ACT-3", "Validate config pushes in CI", "Platform team", "2027-03-01", "https://issues.example.com/OPS-3", "In progress"],
    ]


def test_incident_with_no_long_term_action_gets_a_placeholder_row() -> None:
    rows = table_under(parse_markdown(render(sample_tables(), "INC-3")), "Long-term")
    assert rows == [ACTION_COLUMNS, ["", "None in the register yet.", "", "", "", ""]]


def test_finished_action_past_its_due_date_is_not_marked_overdue() -> None:
    rows = table_under(parse_markdown(render(sample_tables(), "INC-3")), "Short-term")
    assert rows[1][-1] == "Won't do"


def test_action_without_type_is_listed_under_the_tables() -> None:
    text = render(sample_tables(), "INC-1")
    assert "- ACT-4: Write a runbook for pool exhaustion" in text
    assert all("ACT-4" not in row[0] for table in parse_markdown(text).tables["Short-term"] for row in table)


def test_review_sign_off_table_names_owner_and_responder() -> None:
    rows = table_under(parse_markdown(render(sample_tables(), "INC-1")), "Review sign-off")
    assert rows == [
        ["Role", "Name", "Date"],
        ["Incident owner", "Priya Shah", ""],
        ["Primary responder", "Tom Okafor", ""],
        ["Stakeholder", "", ""],
    ]


# --- hostile register text -----------------------------------------------------------------------

LONG_TITLE = "Very long title " * 31 + "end"  # 500 characters


def hostile(title: str = "Checkout outage", *, action_text: str = "Fix it", summary: str = "Summary.", event: str = "Alert") -> str:
    content = sample_tables(
        incident_row(id="INC-9", title=title, severity="P0", detected_at="2026-11-20 14:05", summary=summary),
        actions=[
            action_row(
                id="ACT-9",
                incident_id="INC-9",
                action=action_text,
                type="Short-term",
                owner="Tom",
                due_date="2026-12-20",
                tracking_link="OPS-9",
            )
        ],
    )
    content["Timeline"] = [content["Timeline"][0], ["INC-9", "2026-11-20 14:05", event]]
    return render(content, "INC-9")


def test_template_syntax_in_a_title_renders_literally() -> None:
    text = hostile("{{ 7*7 }} {% if true %}x{% endif %}")
    assert metadata(text)["Title"] == "{{ 7*7 }} {% if true %}x{% endif %}"
    assert "49" not in text


@pytest.mark.parametrize(
    "title",
    [
        pytest.param("a | b || c", id="pipes"),
        pytest.param("line one\nline two\r\nline three", id="newlines"),
        pytest.param("ends with a backslash \\", id="trailing-backslash"),
        pytest.param("`code | span`", id="backticks"),
        pytest.param("<script>alert(1)</script>", id="html"),
        pytest.param("&amp; &#124; entity", id="entities"),
        pytest.param("Zahlung fehlgeschlagen – 支払い失敗 🚨", id="unicode"),  # noqa: RUF001  the en dash is the point
        pytest.param(LONG_TITLE, id="500-chars"),
    ],
)
def test_hostile_title_reads_back_exactly_in_the_metadata_table(title: str) -> None:
    expected = "\n".join(line.strip() for line in title.replace("\r\n", "\n").split("\n"))
    assert metadata(hostile(title))["Title"] == expected


@pytest.mark.parametrize("text", ["a | b", "one\ntwo", "x \\| y", "| starts with a pipe", "ends with a pipe |"])
def test_cell_text_cannot_change_the_action_tables_shape(text: str) -> None:
    rows = table_under(parse_markdown(hostile(action_text=text)), "Short-term")
    assert [len(row) for row in rows] == [6, 6]
    assert rows[1][1] == text


def test_newline_in_a_timeline_event_stays_in_its_row() -> None:
    rows = table_under(parse_markdown(hostile(event="paged\n| 99 | injected |")), "Timeline")
    assert rows[1:] == [["2026-11-20 14:05 UTC", "paged\n| 99 | injected |"]]


@pytest.mark.parametrize(
    "summary",
    [
        "# Injected heading",
        "text\n## Injected heading",
        "text\n---",
        "text\n===",
        "> quote",
        "- list",
        "1. list",
        "```\nfence\n```",
        "    indented code",
    ],
)
def test_summary_text_cannot_add_headings_or_blocks(summary: str) -> None:
    parsed = parse_markdown(hostile(summary=summary))
    assert [heading for heading in parsed.headings if heading[0] > 1] == SECTIONS
    assert summary.replace("\n", " ").split()[-1] in " ".join(parsed.paragraphs)


def test_html_in_register_text_is_never_raw_html() -> None:
    parsed = parse_markdown(hostile("<img src=x onerror=alert(1)>", summary="<script>alert(1)</script>", action_text="<b>x</b>"))
    assert set(parsed.html) <= {"<br>"}


def test_register_text_cannot_start_a_block_of_raw_html() -> None:
    parsed = parse_markdown(hostile(summary="<div>\n\n## Not a heading"))
    assert parsed.html == []


# --- file names ----------------------------------------------------------------------------------

SAFE_NAME = re.compile(r"^\d{4}-\d{2}-\d{2}-[a-z0-9]+(?:-[a-z0-9]+)*\.md$")


def name_for(incident_id: str, title: str = "Checkout outage") -> str:
    content = sample_tables(incident_row(id=incident_id, title=title, severity="P0", detected_at="2026-11-20 14:05"))
    register = register_of(content)
    return document_name(register.incidents[0], policy_context(register, AS_OF, Policy()))


def test_document_name_is_date_id_and_title_slug() -> None:
    assert name_for("INC-101", "Checkout API outage") == "2026-11-20-inc-101-checkout-api-outage.md"


@pytest.mark.parametrize(
    ("incident_id", "title"),
    [
        pytest.param("../../etc/passwd", "../../etc/passwd", id="traversal"),
        pytest.param("..\\..\\windows\\system32", "C:\\evil", id="backslashes"),
        pytest.param("CON", "NUL", id="reserved-names"),
        pytest.param("INC-1", "{{ 7*7 }}", id="template-syntax"),
        pytest.param("INC|1", "a | b", id="pipes"),
        pytest.param("INC-1\n2", "line\nbreak", id="newlines"),
        pytest.param("INC-" + "9" * 300, LONG_TITLE, id="500-chars"),
        pytest.param("事件-1", "Zahlungsausfall über Nacht 🚨", id="unicode"),
        pytest.param(".hidden", ".", id="dots"),
    ],
)
def test_hostile_ids_and_titles_give_a_safe_bounded_name(incident_id: str, title: str) -> None:
    name = name_for(incident_id, title)
    assert SAFE_NAME.fullmatch(name), name
    assert len(name) <= 124  # date 10 + id 40 + hash 9 + slug 60 + separators and .md


def test_document_name_is_the_same_on_every_run() -> None:
    assert name_for("OPS/42", "Über-long outage") == name_for("OPS/42", "Über-long outage")


def test_ids_that_clean_up_alike_get_different_names() -> None:
    assert name_for("INC/1") != name_for("INC 1")


def test_title_with_no_usable_characters_falls_back_to_post_mortem() -> None:
    assert name_for("INC-1", "🚨🚨").endswith("-inc-1-post-mortem.md")


def test_undated_incident_is_named_after_the_as_of_day() -> None:
    register = register_of(sample_tables(incident_row(id="INC-1", title="x", severity="P0")))
    assert document_name(register.incidents[0], policy_context(register, AS_OF, Policy())).startswith("2026-11-27-")


# --- which incidents and whether to rewrite ------------------------------------------------------


def chosen_ids(documented: tuple[str, ...] = ()) -> list[str | None]:
    register = register_of(sample_tables())
    return [incident.id for incident in incidents_to_document(register, policy_context(register, AS_OF, Policy()), documented)]


def test_required_incidents_without_a_post_mortem_are_chosen() -> None:
    assert chosen_ids() == ["INC-1", "INC-2", "INC-3"]


def test_incident_with_a_generated_document_is_chosen_again_to_refresh_it() -> None:
    assert chosen_ids(("INC-5",)) == ["INC-1", "INC-2", "INC-3", "INC-5"]


def test_decide_creates_a_missing_document() -> None:
    assert decide(None, document_text("INC-1", "body\n"), "INC-1", force=False) is Outcome.CREATED


def test_decide_leaves_an_identical_document_unchanged() -> None:
    text = document_text("INC-1", "body\n")
    assert decide(text, text, "INC-1", force=False) is Outcome.UNCHANGED


def test_decide_updates_a_document_nobody_edited() -> None:
    assert decide(document_text("INC-1", "old\n"), document_text("INC-1", "new\n"), "INC-1", force=False) is Outcome.UPDATED


def test_decide_keeps_an_edited_document() -> None:
    edited = document_text("INC-1", "old\n") + "A PM's paragraph.\n"
    assert decide(edited, document_text("INC-1", "new\n"), "INC-1", force=False) is Outcome.KEPT


def test_decide_replaces_an_edited_document_only_with_force() -> None:
    edited = document_text("INC-1", "old\n") + "A PM's paragraph.\n"
    assert decide(edited, document_text("INC-1", "new\n"), "INC-1", force=True) is Outcome.REPLACED


def test_decide_keeps_a_file_without_front_matter() -> None:
    assert decide("# Written by hand\n", document_text("INC-1", "new\n"), "INC-1", force=False) is Outcome.KEPT


def test_decide_never_touches_another_incidents_document_even_with_force() -> None:
    assert decide(document_text("INC-2", "old\n"), document_text("INC-1", "new\n"), "INC-1", force=True) is Outcome.CONFLICT
