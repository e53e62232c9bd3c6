"""Every rule id: a row that triggers it, and a near-miss row that does not.

Each case starts from a clean register (one Closed P0 incident with one Done action, which
gives no finding at all) and changes only what the case is about. The clean register is
read through every backend (`register_from`); the rule cases hand their tables straight
to the checks, since reading cells is test_schema.py's job.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import pytest

from pmsheets.core import policy
from pmsheets.core.policy import RULE_LEVELS, Policy
from pmsheets.core.schema import ParseSettings, parse
from pmsheets.model import Finding, Level, Register
from tests.builders import AS_OF, INCIDENT_HEADERS, NOW, action, in_memory, incident, run_checks, tables

TIMELINE_HEADERS = ["Incident ID", "Time", "Event"]

# A P2 with no systemic gap, security concern or repeatable failure: no post-mortem needed.
MINOR = {
    "severity": "P2",
    "customer_impact": "Trivial",
    "post_mortem_status": None,
    "draft_date": None,
    "review_date": None,
    "closed_date": None,
    "post_mortem_doc": None,
}


def register(
    incidents: Sequence[Sequence[Any]] | None = None, actions: Sequence[Sequence[Any]] | None = None, **extra: Any
) -> dict[str, Any]:
    return tables(
        [incident()] if incidents is None else incidents,
        [action()] if actions is None else actions,
        **extra,
    )


def without_column(rows: Sequence[Sequence[Any]], header: str) -> list[list[Any]]:
    index = list(rows[0]).index(header)
    return [[value for i, value in enumerate(row) if i != index] for row in rows]


def with_column(rows: Sequence[Sequence[Any]], header: str, values: Sequence[Any]) -> list[list[Any]]:
    """Append a column at the right end (values for the data rows, in order)."""
    return [[*rows[0], header], *([*row, value] for row, value in zip(rows[1:], values, strict=True))]


@dataclass(frozen=True)
class Expect:
    rule: str
    level: Level
    cell: str | None
    incident: str | None
    action: str | None
    says: tuple[str, ...]


def expect(rule: str, level: str, cell: str | None, incident: str | None, action: str | None, *says: str) -> Expect:
    return Expect(rule, Level(level), cell, incident, action, says)


def findings_for(findings: Sequence[Finding], rule: str) -> list[Finding]:
    return [f for f in findings if f.rule == rule]


# --- the clean register ------------------------------------------------------------------------


def test_clean_register_has_no_findings(register_from):
    result = run_checks(register_from(register()))

    assert result.findings == []


# --- triggers ------------------------------------------------------------------------------------

TRIGGERS = [
    # data rules
    pytest.param(
        register() | {"Incidents": without_column(register()["Incidents"], "Severity")},
        expect("header-missing", "error", None, None, None, "Incidents tab has no 'Severity' column", "not checked"),
        id="header-missing/Incidents without Severity column",
    ),
    pytest.param(
        register() | {"Actions": with_column(register()["Actions"], "Owner", ["Someone else"])},
        expect("header-duplicate", "error", "Actions!J1", None, None, "a second 'Owner' column", "reads column E"),
        id="header-duplicate/second Owner column",
    ),
    pytest.param(
        register() | {"Incidents": without_column(register()["Incidents"], "Incident owner")},
        expect(
            "column-missing", "warning", None, None, None, "Incidents tab has no 'Incident owner' column", "owner-missing cannot check it"
        ),
        id="column-missing/Incidents without Incident owner column",
    ),
    pytest.param(
        register([incident(severity="P3")]),
        expect("value-invalid", "error", "Incidents!C2", "INC-1", None, "Severity: 'P3' is not one of: P0, P1, P2"),
        id="value-invalid/severity P3",
    ),
    pytest.param(
        register([incident(id=None)], [action(incident_id="INC-1")]),
        expect("id-missing", "error", "Incidents!A2", None, None, "no ID"),
        id="id-missing/incident",
    ),
    pytest.param(
        register(actions=[action(id=None)]),
        expect("id-missing", "error", "Actions!A2", "INC-1", None, "no ID"),
        id="id-missing/action",
    ),
    pytest.param(
        register([incident(), incident(title="Same id again")]),
        expect("id-duplicate", "error", "Incidents!A3", "INC-1", None, "incident ID INC-1 is already used in row 2"),
        id="id-duplicate/incident",
    ),
    pytest.param(
        register(actions=[action(), action(action="Another action")]),
        expect("id-duplicate", "error", "Actions!A3", "INC-1", "ACT-1", "action ID ACT-1 is already used in row 2"),
        id="id-duplicate/action",
    ),
    pytest.param(
        register(actions=[action(incident_id="INC-9")]),
        expect("incident-unknown", "error", "Actions!B2", "INC-9", "ACT-1", "incident INC-9 is not in the Incidents tab"),
        id="incident-unknown/action",
    ),
    pytest.param(
        register(actions=[action(incident_id=None)]),
        expect("incident-unknown", "error", "Actions!B2", None, "ACT-1", "no Incident ID"),
        id="incident-unknown/action without incident id",
    ),
    pytest.param(
        register(Timeline=[TIMELINE_HEADERS, ["INC-9", datetime(2026, 11, 2, 9, 0), "Paged on-call"]]),
        expect("incident-unknown", "error", "Timeline!A2", "INC-9", None, "incident INC-9 is not in the Incidents tab"),
        id="incident-unknown/timeline",
    ),
    pytest.param(
        register([incident(resolved_at=datetime(2026, 11, 2, 8, 0))]),
        expect(
            "dates-out-of-order",
            "error",
            "Incidents!E2",
            "INC-1",
            None,
            "Resolved at (Mon 02 Nov 2026 08:00) is before Detected at (Mon 02 Nov 2026 09:00)",
        ),
        id="dates-out-of-order/resolved before detected",
    ),
    pytest.param(
        register([incident(review_date=date(2026, 11, 2))]),
        expect(
            "dates-out-of-order",
            "error",
            "Incidents!P2",
            "INC-1",
            None,
            "Review date (2026-11-02) is before Draft date (2026-11-03)",
        ),
        id="dates-out-of-order/review before draft",
    ),
    pytest.param(
        register([incident(closed_date=date(2026, 11, 4))]),
        expect(
            "dates-out-of-order",
            "error",
            "Incidents!Q2",
            "INC-1",
            None,
            "Closed date (2026-11-04) is before Review date (2026-11-05)",
        ),
        id="dates-out-of-order/closed before review",
    ),
    pytest.param(
        register([incident(severity=None)]),
        expect("severity-missing", "error", "Incidents!C2", "INC-1", None, "no severity", "P0, P1 or P2"),
        id="severity-missing/blank severity",
    ),
    pytest.param(
        register([incident(severity="P2")]),
        expect("severity-mismatch", "warning", "Incidents!C2", "INC-1", None, "P2 with non-trivial customer impact"),
        id="severity-mismatch/P2 with non-trivial impact",
    ),
    pytest.param(
        register([incident(severity="P1", customer_impact="None")]),
        expect("severity-mismatch", "warning", "Incidents!C2", "INC-1", None, "P1 with no customer impact"),
        id="severity-mismatch/P1 with no impact",
    ),
    # post-mortem rules
    pytest.param(
        register([incident(post_mortem_status="Not started")]),
        expect("postmortem-required", "info", "Incidents!N2", "INC-1", None, "needs a post-mortem", "P0 incidents always need one"),
        id="postmortem-required/P0",
    ),
    pytest.param(
        register([incident(severity="P1", impact_minutes=None, post_mortem_status=None)]),
        expect("postmortem-required", "info", "Incidents!N2", "INC-1", None, "P1 with non-trivial customer impact"),
        id="postmortem-required/P1 non-trivial impact",
    ),
    pytest.param(
        register([incident(severity="P1", customer_impact=None, impact_minutes=16, post_mortem_status=None)]),
        expect("postmortem-required", "info", "Incidents!N2", "INC-1", None, "P1 with 16 minutes of impact, more than 15"),
        id="postmortem-required/P1 16 minutes",
    ),
    pytest.param(
        register([incident(**MINOR, systemic_gap="Yes", security_concern="Yes")]),
        expect(
            "postmortem-required",
            "info",
            "Incidents!N2",
            "INC-1",
            None,
            "P2 that revealed a systemic gap and a security concern",
        ),
        id="postmortem-required/P2 systemic gap and security concern",
    ),
    pytest.param(
        register([incident(**MINOR, repeatable_failure="Yes")]),
        expect("postmortem-required", "info", "Incidents!N2", "INC-1", None, "P2 that revealed a repeatable failure"),
        id="postmortem-required/P2 repeatable failure",
    ),
    pytest.param(
        register([incident(severity="P1", customer_impact=None, impact_minutes=None)]),
        expect(
            "postmortem-undetermined",
            "warning",
            "Incidents!F2",
            "INC-1",
            None,
            "neither Customer impact nor Impact minutes",
        ),
        id="postmortem-undetermined/P1 without impact",
    ),
    pytest.param(
        register([incident(incident_owner=None)]),
        expect("owner-missing", "error", "Incidents!K2", "INC-1", None, "no Incident owner"),
        id="owner-missing/required P0",
    ),
    pytest.param(
        register([incident(primary_responder=None)]),
        expect("responder-missing", "error", "Incidents!L2", "INC-1", None, "no Primary responder"),
        id="responder-missing/required P0",
    ),
    pytest.param(
        register([incident(resolved_at=NOW - timedelta(hours=25), post_mortem_status=None)]),
        expect(
            "draft-due",
            "warning",
            "Incidents!N2",
            "INC-1",
            None,
            "resolved Thu 26 Nov 2026 08:00",
            "due by Sat 28 Nov 2026 08:00 (48 h after resolution)",
        ),
        id="draft-due/25 hours",
    ),
    pytest.param(
        register([incident(resolved_at=NOW - timedelta(hours=72), post_mortem_status=None)]),
        expect(
            "draft-overdue",
            "error",
            "Incidents!N2",
            "INC-1",
            None,
            "resolved Tue 24 Nov 2026 09:00",
            "still no draft",
            "due by Thu 26 Nov 2026 09:00 (48 h after resolution)",
        ),
        id="draft-overdue/72 hours",
    ),
    pytest.param(
        register([incident(post_mortem_status="Draft", review_date=None, closed_date=None)], [action(status="Open")]),
        expect(
            "review-overdue",
            "error",
            "Incidents!N2",
            "INC-1",
            None,
            "not reviewed",
            "due by the end of Mon 2026-11-09",
            "5 business days",
        ),
        id="review-overdue/draft from early November",
    ),
    pytest.param(
        register([incident(post_mortem_status="Draft", draft_date=None, review_date=None, closed_date=None)]),
        expect("draft-date-missing", "warning", "Incidents!O2", "INC-1", None, "status is Draft but there is no Draft date"),
        id="draft-date-missing/Draft",
    ),
    pytest.param(
        register([incident(review_date=None)]),
        expect("review-date-missing", "error", "Incidents!P2", "INC-1", None, "status is Closed but there is no Review date"),
        id="review-date-missing/Closed",
    ),
    pytest.param(
        register([incident(closed_date=None)]),
        expect("closed-date-missing", "warning", "Incidents!Q2", "INC-1", None, "status is Closed but there is no Closed date"),
        id="closed-date-missing/Closed",
    ),
    pytest.param(
        register([incident(post_mortem_status="Reviewed", closed_date=None, post_mortem_doc=None)]),
        expect("doc-missing", "warning", "Incidents!R2", "INC-1", None, "status is Reviewed but there is no Post-mortem doc"),
        id="doc-missing/Reviewed",
    ),
    pytest.param(
        register(actions=[]),
        expect(
            "no-actions-after-review",
            "error",
            "Incidents!N2",
            "INC-1",
            None,
            "status is Closed but the Actions tab has no action for INC-1",
        ),
        id="no-actions-after-review/Closed without actions",
    ),
    pytest.param(
        register(actions=[action(), action(id="ACT-2", status="In progress"), action(id="ACT-3", status=None)]),
        expect(
            "closed-with-open-actions",
            "error",
            "Incidents!N2",
            "INC-1",
            None,
            "Closed while 2 action(s) are not Done or Won't do: ACT-2, ACT-3",
        ),
        id="closed-with-open-actions/in progress and blank",
    ),
    pytest.param(
        register(
            [incident(post_mortem_status="Reviewed", closed_date=None)],
            [action(), action(id="ACT-2", status="Won't do", completed_on=None)],
        ),
        expect("ready-to-close", "info", "Incidents!N2", "INC-1", None, "every action is Done or Won't do", "Closed"),
        id="ready-to-close/Done and Won't do",
    ),
    pytest.param(
        register([incident(root_cause="Human error: a careless edit by the on-call engineer.")]),
        expect("blame-language", "warning", "Incidents!T2", "INC-1", None, "Root cause uses blaming language ('careless', 'human error')"),
        id="blame-language/root cause",
    ),
    pytest.param(
        register([incident(summary="It was the fault of the release manager.")]),
        expect("blame-language", "warning", "Incidents!S2", "INC-1", None, "Summary uses blaming language ('fault of')"),
        id="blame-language/summary",
    ),
    pytest.param(
        register(actions=[action(action="Retrain the Negligent operator")]),
        expect("blame-language", "warning", "Actions!C2", "INC-1", "ACT-1", "Action uses blaming language ('negligent')"),
        id="blame-language/action text",
    ),
    # action rules
    pytest.param(
        register(actions=[action(owner=None)]),
        expect("action-owner-missing", "error", "Actions!E2", "INC-1", "ACT-1", "no owner"),
        id="action-owner-missing",
    ),
    pytest.param(
        register(actions=[action(due_date=None)]),
        expect("action-due-missing", "error", "Actions!F2", "INC-1", "ACT-1", "no due date"),
        id="action-due-missing",
    ),
    pytest.param(
        register(actions=[action(tracking_link=None)]),
        expect("action-link-missing", "error", "Actions!G2", "INC-1", "ACT-1", "no tracking link", "OPS-123"),
        id="action-link-missing",
    ),
    pytest.param(
        register(actions=[action(type=None)]),
        expect("action-type-missing", "error", "Actions!D2", "INC-1", "ACT-1", "no type", "Short-term or Long-term"),
        id="action-type-missing",
    ),
    pytest.param(
        register(actions=[action(tracking_link="ask Bo")]),
        expect(
            "action-link-invalid",
            "warning",
            "Actions!G2",
            "INC-1",
            "ACT-1",
            "'ask Bo' is neither a web link nor an issue key",
        ),
        id="action-link-invalid/free text",
    ),
    pytest.param(
        register(actions=[action(status="In progress", due_date=date(2026, 11, 20))]),
        expect(
            "action-overdue",
            "error",
            "Actions!F2",
            "INC-1",
            "ACT-1",
            "due Fri 20 Nov 2026 and still In progress",
        ),
        id="action-overdue/in progress a week late",
    ),
    pytest.param(
        register(actions=[action(completed_on=None)]),
        expect("action-done-without-date", "warning", "Actions!I2", "INC-1", "ACT-1", "Done but no Completed on date"),
        id="action-done-without-date",
    ),
    pytest.param(
        register(actions=[action(due_date=date(2026, 12, 6))]),
        expect(
            "action-due-too-far",
            "warning",
            "Actions!F2",
            "INC-1",
            "ACT-1",
            "a Short-term action due 31 days after the review (limit 30)",
        ),
        id="action-due-too-far/short-term",
    ),
]


@pytest.mark.parametrize(("content", "expected"), TRIGGERS)
def test_rule_fires(content, expected: Expect):
    result = run_checks(in_memory(content))

    matching = [f for f in findings_for(result.findings, expected.rule) if f.cell == expected.cell]
    assert len(matching) == 1, result.findings
    finding = matching[0]
    assert finding.level is expected.level
    assert (finding.incident, finding.action) == (expected.incident, expected.action)
    for part in expected.says:
        assert part in finding.message


# --- near misses ---------------------------------------------------------------------------------

NEAR_MISSES = [
    pytest.param(
        register() | {"Incidents": [["SEVERITY " if h == "Severity" else h for h in INCIDENT_HEADERS], incident()]},
        "header-missing",
        id="header-missing/severity header in other case",
    ),
    pytest.param(
        register() | {"Actions": with_column(register()["Actions"], "Owner team", ["SRE"])},
        "header-duplicate",
        id="header-duplicate/extra column with a similar name",
    ),
    pytest.param(
        register() | {"Incidents": without_column(register()["Incidents"], "Title")},
        "column-missing",
        id="column-missing/absent column that no rule reads",
    ),
    pytest.param(register([incident(severity=" p0 ")]), "value-invalid", id="value-invalid/severity lower case and spaces"),
    pytest.param(register([incident(id="INC-1")]), "id-missing", id="id-missing/ids present"),
    pytest.param(
        register([incident(), incident(id="INC-2")], [action(), action(id="ACT-2", incident_id="INC-2")]),
        "id-duplicate",
        id="id-duplicate/distinct ids",
    ),
    pytest.param(
        register(
            actions=[action(incident_id=" INC-1 ")],
            Timeline=[TIMELINE_HEADERS, ["INC-1", datetime(2026, 11, 2, 9, 0), "Paged on-call"]],
        ),
        "incident-unknown",
        id="incident-unknown/known incident with spaces around",
    ),
    pytest.param(
        register(
            [
                incident(
                    detected_at=datetime(2026, 11, 2, 9, 0),
                    resolved_at=datetime(2026, 11, 2, 9, 0),
                    draft_date=date(2026, 11, 5),
                    closed_date=date(2026, 11, 5),
                )
            ]
        ),
        "dates-out-of-order",
        id="dates-out-of-order/equal dates",
    ),
    pytest.param(register([incident(severity="P2", customer_impact="Trivial")]), "severity-missing", id="severity-missing/P2"),
    pytest.param(
        register([incident(severity="P2", customer_impact="Trivial"), incident(id="INC-2", severity="P1", customer_impact="Trivial")]),
        "severity-mismatch",
        id="severity-mismatch/P2 and P1 with trivial impact",
    ),
    pytest.param(
        register([incident(severity="P1", customer_impact="Trivial", impact_minutes=15, post_mortem_status=None)]),
        "postmortem-required",
        id="postmortem-required/P1 trivial 15 minutes",
    ),
    pytest.param(
        register([incident(**MINOR)]),
        "postmortem-required",
        id="postmortem-required/P2 without gap, concern or failure",
    ),
    pytest.param(
        register([incident(post_mortem_status="Draft", review_date=None, closed_date=None)]),
        "postmortem-required",
        id="postmortem-required/P0 already drafted",
    ),
    pytest.param(
        register([incident(severity="P1", customer_impact=None, impact_minutes=5)]),
        "postmortem-undetermined",
        id="postmortem-undetermined/P1 with minutes only",
    ),
    pytest.param(
        register([incident(**MINOR, incident_owner=None)]),
        "owner-missing",
        id="owner-missing/P2 that needs no post-mortem",
    ),
    pytest.param(
        register([incident(**MINOR, primary_responder=None)]),
        "responder-missing",
        id="responder-missing/P2 that needs no post-mortem",
    ),
    pytest.param(
        register([incident(resolved_at=NOW - timedelta(hours=23), post_mortem_status=None)]),
        "draft-due",
        id="draft-due/23 hours",
    ),
    pytest.param(
        register([incident(resolved_at=NOW - timedelta(hours=72), post_mortem_status="Draft", review_date=None, closed_date=None)]),
        "draft-overdue",
        id="draft-overdue/drafted",
    ),
    pytest.param(
        register([incident(**MINOR, resolved_at=NOW - timedelta(hours=72))]),
        "draft-overdue",
        id="draft-overdue/not required",
    ),
    pytest.param(
        register([incident(resolved_at=None, detected_at=None, post_mortem_status=None)]),
        "draft-overdue",
        id="draft-overdue/not resolved yet",
    ),
    pytest.param(
        register([incident(post_mortem_status="Reviewed", closed_date=None)], [action(status="Open")]),
        "review-overdue",
        id="review-overdue/reviewed",
    ),
    pytest.param(
        register([incident(post_mortem_status=None, draft_date=None, review_date=None, closed_date=None)]),
        "draft-date-missing",
        id="draft-date-missing/not started",
    ),
    pytest.param(
        register([incident(post_mortem_status="Draft", review_date=None, closed_date=None)]),
        "review-date-missing",
        id="review-date-missing/Draft",
    ),
    pytest.param(
        register([incident(post_mortem_status="Reviewed", closed_date=None)]),
        "closed-date-missing",
        id="closed-date-missing/Reviewed",
    ),
    pytest.param(
        register([incident(closed_date="last week")]),
        "closed-date-missing",
        id="closed-date-missing/unreadable",
    ),
    pytest.param(
        register([incident(post_mortem_status=None, post_mortem_doc=None)]),
        "doc-missing",
        id="doc-missing/not started",
    ),
    pytest.param(
        register([incident(post_mortem_status="Draft", review_date=None, closed_date=None)], actions=[]),
        "no-actions-after-review",
        id="no-actions-after-review/Draft",
    ),
    pytest.param(
        register(actions=[action(), action(id="ACT-2", status="Won't do", completed_on=None)]),
        "closed-with-open-actions",
        id="closed-with-open-actions/Done and Won't do",
    ),
    pytest.param(
        register([incident(post_mortem_status="Reviewed", closed_date=None)], [action(), action(id="ACT-2", status="Open")]),
        "ready-to-close",
        id="ready-to-close/one action still open",
    ),
    pytest.param(
        register(
            [incident(summary="The default of the retry setting was wrong.", root_cause="A careful review missed it.")],
            [action(action="Blameless retro with the team")],
        ),
        "blame-language",
        id="blame-language/phrases only inside other words",
    ),
    pytest.param(register(actions=[action(owner="Team SRE")]), "action-owner-missing", id="action-owner-missing/team"),
    pytest.param(
        register(actions=[action(due_date=date(2026, 11, 27), status="Open")]),
        "action-due-missing",
        id="action-due-missing/due date present",
    ),
    pytest.param(register(actions=[action(tracking_link="#123")]), "action-link-missing", id="action-link-missing/#123"),
    pytest.param(register(actions=[action(type=" long-TERM ")]), "action-type-missing", id="action-type-missing/long-term"),
    pytest.param(
        register(
            actions=[
                action(id="ACT-1", tracking_link="https://tracker.example.com/browse/OPS-1"),
                action(id="ACT-2", tracking_link="http://tracker.example.com/t/2"),
                action(id="ACT-3", tracking_link="OPS-123"),
                action(id="ACT-4", tracking_link="ops-7"),
                action(id="ACT-5", tracking_link="#123"),
                action(id="ACT-6", tracking_link="acme/payments#42"),
            ]
        ),
        "action-link-invalid",
        id="action-link-invalid/url, key, #number, org/repo#number",
    ),
    pytest.param(
        register(actions=[action(status="Open", due_date=AS_OF.date())]),
        "action-overdue",
        id="action-overdue/due on the as-of date",
    ),
    pytest.param(
        register(actions=[action(due_date=date(2026, 11, 20)), action(id="ACT-2", status="Won't do", due_date=date(2026, 11, 20))]),
        "action-overdue",
        id="action-overdue/late but Done or Won't do",
    ),
    pytest.param(
        register(actions=[action(status="Won't do", completed_on=None)]),
        "action-done-without-date",
        id="action-done-without-date/won't do",
    ),
    pytest.param(
        register(actions=[action(due_date=date(2026, 12, 5))]),
        "action-due-too-far",
        id="action-due-too-far/short-term 30 days",
    ),
]


def test_absent_owner_column_is_one_finding_not_one_per_row():
    content = register([incident(id=f"INC-{n}") for n in range(1, 4)])
    content = content | {"Incidents": without_column(content["Incidents"], "Incident owner")}

    result = run_checks(in_memory(content))

    assert [f.rule for f in result.findings if f.rule in ("owner-missing", "column-missing")] == ["column-missing"]


@pytest.mark.parametrize(("content", "rule"), NEAR_MISSES)
def test_rule_does_not_fire(content, rule: str):
    result = run_checks(in_memory(content))

    assert findings_for(result.findings, rule) == []


def _rules_in(cases: list[Any], position: int) -> set[str]:
    rules = set()
    for case in cases:
        value = case.values[position]
        rules.add(value.rule if isinstance(value, Expect) else value)
    return rules


READ_BACK_RULES = {"doc-status-differs", "doc-sections-empty", "doc-action-untracked", "doc-unreadable"}
"""These compare the register with its documents; their triggers and near misses are in tests/test_doc_rules.py."""


def test_every_rule_has_a_trigger():
    assert _rules_in(TRIGGERS, 1) == set(RULE_LEVELS) - READ_BACK_RULES


def test_every_rule_has_a_near_miss():
    assert _rules_in(NEAR_MISSES, 1) == set(RULE_LEVELS) - READ_BACK_RULES


def test_trigger_levels_match_the_published_levels():
    for case in TRIGGERS:
        expected = case.values[1]
        assert RULE_LEVELS[expected.rule] is expected.level, expected.rule


# --- rules that read the whole register ------------------------------------------------------------


def test_draft_overdue_replaces_draft_due():
    content = register([incident(resolved_at=NOW - timedelta(hours=72), post_mortem_status=None)])

    rules = {f.rule for f in run_checks(in_memory(content)).findings}

    assert "draft-overdue" in rules
    assert "draft-due" not in rules


def test_id_duplicate_reports_every_extra_row():
    content = register([incident(), incident(), incident()])

    cells = [f.cell for f in findings_for(run_checks(in_memory(content)).findings, "id-duplicate")]

    assert cells == ["Incidents!A3", "Incidents!A4"]


def test_closed_with_open_actions_names_an_action_without_id_by_row():
    content = register(actions=[action(), action(id=None, status="Open")])

    (finding,) = findings_for(run_checks(in_memory(content)).findings, "closed-with-open-actions")

    assert "row 3" in finding.message


def test_blame_phrases_come_from_the_policy():
    content = register([incident(root_cause="The vendor dropped the ball on retries.")])

    result = run_checks(in_memory(content), policy=Policy(blame_phrases=("dropped the ball",)))

    (finding,) = findings_for(result.findings, "blame-language")
    assert "'dropped the ball'" in finding.message


def test_blame_phrases_match_whatever_the_case_of_phrase_and_text():
    content = register([incident(root_cause="The vendor DROPPED THE BALL on retries.")])

    result = run_checks(in_memory(content), policy=Policy(blame_phrases=("Dropped the Ball",)))

    (finding,) = findings_for(result.findings, "blame-language")
    assert "'dropped the ball'" in finding.message


def test_blame_language_is_off_with_no_phrases():
    content = register([incident(root_cause="Human error.")])

    result = run_checks(in_memory(content), policy=Policy(blame_phrases=()))

    assert findings_for(result.findings, "blame-language") == []


def test_action_of_unknown_incident_is_not_checked_for_due_too_far():
    content = register(actions=[action(incident_id="INC-9", due_date=date(2027, 6, 1))])

    rules = {f.rule for f in run_checks(in_memory(content)).findings}

    assert "incident-unknown" in rules
    assert "action-due-too-far" not in rules


def test_incident_rules_find_nothing_about_actions_when_the_actions_tab_is_unchecked():
    """The Actions tab could not be read: a Reviewed incident's actions are unknown, not absent.

    Every rule is called on its own, so one that returned None instead of an empty iterable fails too."""
    parsed = parse(register([incident(post_mortem_status="Reviewed")]), ParseSettings()).register
    blind = Register(incidents=parsed.incidents, unchecked_tabs=frozenset({"actions"}))
    ctx = policy.policy_context(blind, AS_OF, Policy())

    found = [finding.rule for check in policy.CHECKS if policy.On.INCIDENTS in check.on for finding in check.find(blind.incidents[0], ctx)]

    assert found == []
