"""A small register with one overdue item of each kind, shared by the report, mail and snapshot tests.

Dates are relative to AS_OF (Friday 2026-11-27 09:00 UTC), so every age is exact.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pmsheets.core.overdue import Overdue, find_overdue
from pmsheets.core.policy import Policy
from pmsheets.core.schema import parse
from pmsheets.model import Register
from tests.builders import AS_OF, UTC, action_row, incident_row, tables

PEOPLE_HEADERS = ["Name", "Email", "Team", "Manager email"]
PEOPLE = [
    PEOPLE_HEADERS,
    ["Priya Shah", "priya@example.com", "Payments", "dana@example.com"],
    ["Tom Okafor", "tom@example.com", "Platform", "marc@example.com"],
    ["Lena Vogel", "lena@example.com", "Search", None],
]


def reviewed_incident(incident_id: str, severity: str = "P1", **values: Any) -> list[Any]:
    defaults: dict[str, Any] = {
        "id": incident_id,
        "title": f"Incident {incident_id}",
        "severity": severity,
        "detected_at": datetime(2026, 11, 2, 9, 0),
        "resolved_at": datetime(2026, 11, 2, 10, 0),
        "customer_impact": "Non-trivial",
        "incident_owner": "Priya Shah",
        "primary_responder": "Tom Okafor",
        "post_mortem_status": "Reviewed",
        "draft_date": date(2026, 11, 3),
        "review_date": date(2026, 11, 5),
        "post_mortem_doc": "https://docs.example.com/pm",
    }
    return incident_row(**(defaults | values))


def open_action(action_id: str, incident_id: str, due: date, **values: Any) -> list[Any]:
    defaults: dict[str, Any] = {
        "id": action_id,
        "incident_id": incident_id,
        "action": f"Fix {action_id}",
        "type": "Short-term",
        "owner": "Tom Okafor",
        "due_date": due,
        "tracking_link": f"OPS-{action_id[-3:]}",
        "status": "Open",
    }
    return action_row(**(defaults | values))


def sample_tables() -> dict[str, Any]:
    return tables(
        incidents=[
            reviewed_incident("INC-1"),
            reviewed_incident("INC-2", severity="P0", title="Checkout <script>alert(1)</script> outage"),
            # P1 resolved Tuesday 09:00, never drafted: the draft was due Thursday 09:00.
            reviewed_incident(
                "INC-3",
                resolved_at=datetime(2026, 11, 24, 9, 0),
                detected_at=datetime(2026, 11, 24, 8, 0),
                post_mortem_status="Not started",
                draft_date=None,
                review_date=None,
                incident_owner="Lena Vogel",
            ),
            # P1 resolved Monday 16th, drafted, not reviewed: review was due by the end of Monday 23rd.
            reviewed_incident(
                "INC-4",
                resolved_at=datetime(2026, 11, 16, 10, 0),
                detected_at=datetime(2026, 11, 16, 9, 0),
                post_mortem_status="Draft",
                draft_date=date(2026, 11, 17),
                review_date=None,
            ),
        ],
        actions=[
            open_action("ACT-001", "INC-1", date(2026, 11, 20)),  # 7 days overdue: owner
            open_action("ACT-002", "INC-1", date(2026, 11, 19), owner="Priya Shah"),  # 8 days: manager
            open_action("ACT-003", "INC-1", date(2026, 10, 20), owner="Lena Vogel"),  # 38 days: ops review
            open_action("ACT-004", "INC-2", date(2026, 11, 26), owner="Priya Shah"),  # 1 day, P0: ops review
            open_action("ACT-005", "INC-1", date(2026, 11, 1), status="Done", completed_on=date(2026, 10, 30)),
            open_action("ACT-006", "INC-1", date(2026, 12, 20), tracking_link=None),  # not tracked
            open_action("ACT-007", "INC-2", date(2026, 12, 20), owner=None, tracking_link='=HYPERLINK("x")'),
        ],
        People=PEOPLE,
    )


def sample_register() -> Register:
    return parse(sample_tables()).register


def sample_overdue(as_of: datetime = AS_OF) -> Overdue:
    return find_overdue(sample_register(), as_of=as_of, policy=Policy(timezone=UTC))
