"""A realistic demo register, dated relative to a given moment so it always has something to say.

It is built to trip most rules: late drafts, missing owners, untracked and overdue actions,
a Closed post-mortem with open work, blaming language, a typo'd date.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

Record = dict[str, Any]

_PEOPLE = [
    ("Priya Shah", "priya.shah@example.com", "Payments", "dana.kim@example.com"),
    ("Tom Okafor", "tom.okafor@example.com", "Platform", "marc.li@example.com"),
    ("Lena Vogel", "lena.vogel@example.com", "Search", "marc.li@example.com"),
    ("Sam Ruiz", "sam.ruiz@example.com", "Identity", "dana.kim@example.com"),
    ("Aiko Tanaka", "aiko.tanaka@example.com", "Data", "marc.li@example.com"),
    ("Jonas Berg", "jonas.berg@example.com", "SRE", "dana.kim@example.com"),
    ("Dana Kim", "dana.kim@example.com", "Engineering", None),
    ("Marc Li", "marc.li@example.com", "Engineering", None),
]

# (id, title, severity, resolved days ago, duration min, impact, minutes, gap, security, repeat,
#  owner, responder, contributors, status, draft/review/closed days ago, doc?, summary, root cause)
_INCIDENTS: list[tuple[Any, ...]] = [
    ("INC-101", "Checkout API outage", "P0", 12, 90, "Non-trivial", 90, None, None, None,
     "Priya Shah", "Tom Okafor", "Lena Vogel, Sam Ruiz", "Reviewed", (11, 8, None), True,
     "Checkout returned 503 for all customers for 90 minutes.",
     "A config push removed the connection pool limit; the database ran out of connections."),
    ("INC-102", "Search latency degraded", "P1", 3, 45, "Non-trivial", 45, None, None, None,
     "Lena Vogel", "Jonas Berg", "", "Not started", (None, None, None), False,
     "p95 search latency rose from 300 ms to 4 s.", None),
    ("INC-103", "Login errors for EU users", "P1", 1.25, 20, "Trivial", 20, None, None, None,
     "Sam Ruiz", "Tom Okafor", "Priya Shah", "", (None, None, None), False,
     "About 2% of EU logins failed with a timeout.", None),
    ("INC-104", "Internal dashboard shows stale data", "P2", 20, 300, "None", None, "Yes", None, None,
     "Aiko Tanaka", "Jonas Berg", "", "Draft", (19, None, None), False,
     "The ops dashboard lagged 5 hours behind.", "The ETL scheduler had no alert on missed runs."),
    ("INC-105", "Nightly batch job retried", "P2", 6, 15, "None", 0, "No", "No", "No",
     "Aiko Tanaka", "Jonas Berg", "", "Not started", (None, None, None), False,
     "The nightly export retried once and finished late.", None),
    ("INC-106", "Image uploads slow", "P1", 2, None, None, None, None, None, None,
     "Priya Shah", "Tom Okafor", "", "Not started", (None, None, None), False, None, None),
    ("INC-107", "Card data written to debug log", "P0", 40, 0, "Non-trivial", None, None, "Yes", None,
     "Priya Shah", "Jonas Berg", "Sam Ruiz", "Closed", (39, 35, 10), True,
     "Masked card numbers appeared in a debug log for 2 days.",
     "The log scrubber did not cover a new payment field."),
    ("INC-108", "Webhook deliveries delayed", "P1", 30, 40, "Non-trivial", 40, None, None, None,
     "Lena Vogel", "Tom Okafor", "", "Reviewed", (29, 26, None), True,
     "Partner webhooks were delivered up to 40 minutes late.", "A queue consumer was stuck on a poison message."),
    ("INC-109", "Email receipts missing", "P2", 9, 120, "Non-trivial", 120, None, None, None,
     "Sam Ruiz", "Jonas Berg", "", "Not started", (None, None, None), False,
     "Receipts were not sent for two hours.", None),
    ("INC-110", "Mobile app crash on launch", "P0", 0.1, 35, "Non-trivial", 35, None, None, None,
     None, None, "", "Not started", (None, None, None), False, "The iOS app crashed on launch after an update.", None),
    ("INC-111", "Rate limiter blocked partners", "P1", 5, 25, "Non-trivial", 25, None, None, None,
     "Tom Okafor", "Jonas Berg", "", "Draft", (None, None, None), True,
     "Partner API calls were rejected with 429.", None),
    ("INC-112", "DNS resolution failures", "P1", 15, 30, "Non-trivial", 30, None, None, None,
     "Jonas Berg", "Tom Okafor", "", "Reviewed", (14, None, None), True,
     "Internal services failed to resolve each other for 30 minutes.", "A resolver was drained without a replacement."),
    ("INC-113", "Report export timeouts", "P1", 4, 60, "Trivial", "about an hour", None, None, None,
     "Aiko Tanaka", "Lena Vogel", "", "Not started", (None, None, None), False, None, None),
    ("INC-114", "Cache stampede after deploy", "P2", 1.1, 10, "Trivial", 10, None, None, "Yes",
     "Lena Vogel", "Jonas Berg", "", "Not started", (None, None, None), False,
     "Human error by the deployer: the cache was flushed by hand.", None),
    ("INC-115", "Intermittent 502s on API gateway", "P1", None, None, "Non-trivial", None, None, None, None,
     "Tom Okafor", "Jonas Berg", "", "Not started", (None, None, None), False, "Still under investigation.", None),
]

# (id, incident, action, type, owner, due days from now, link, status, completed days ago)
_ACTIONS: list[tuple[Any, ...]] = [
    ("ACT-001", "INC-101", "Restore the connection pool limit and alert on pool exhaustion", "Short-term", "Tom Okafor", -9, "OPS-412", "Done", 10),
    ("ACT-002", "INC-101", "Validate config pushes against a schema in CI", "Short-term", "Priya Shah", -3, "OPS-413", "In progress", None),
    ("ACT-003", "INC-101", "Canary config changes to 5% of hosts first", "Long-term", "Platform team", 60, "https://tracker.example.com/OPS-414", "Open", None),
    ("ACT-004", "INC-101", "Load-test checkout with the pool limit", "Short-term", "Tom Okafor", 6, "OPS-415", "Open", None),
    ("ACT-005", "INC-102", "Add a latency SLO alert for search", "Short-term", "Lena Vogel", 10, "SRCH-88", "Open", None),
    ("ACT-006", "INC-102", "Capacity plan for the search cluster", "Long-term", "", 90, "SRCH-89", "Open", None),
    ("ACT-007", "INC-104", "Alert when an ETL run is missed", "Short-term", "Aiko Tanaka", -12, "DATA-301", "Open", None),
    ("ACT-008", "INC-104", "Move the scheduler to the managed workflow service", "Long-term", "Data team", 200, "DATA-302", "Open", None),
    ("ACT-009", "INC-107", "Extend the log scrubber to every payment field", "Short-term", "Sam Ruiz", -34, "SEC-77", "Done", 33),
    ("ACT-010", "INC-107", "Purge the affected debug logs", "Short-term", "Jonas Berg", -36, "SEC-78", "Done", None),
    ("ACT-011", "INC-107", "Add a test that fails on card-like strings in logs", "Long-term", "Payments team", -5, "SEC-79", "Open", None),
    ("ACT-012", "INC-108", "Dead-letter poison messages after 3 attempts", "Short-term", "Tom Okafor", -20, "PLAT-210", "Done", 21),
    ("ACT-013", "INC-108", "Alert on consumer lag above 5 minutes", "Short-term", "Lena Vogel", -18, "PLAT-211", "Won't do", None),
    ("ACT-014", "INC-111", "Give partners their own rate-limit bucket", "Short-term", "Tom Okafor", 14, "", "Open", None),
    ("ACT-015", "INC-111", "Document the rate limits for partners", "Long-term", "Jonas Berg", 40, "ask Tom", "Open", None),
    ("ACT-016", "INC-111", "Review rate limits quarterly", "", "Jonas Berg", 80, "PLAT-230", "Open", None),
    ("ACT-017", "INC-101", "Write a runbook for connection exhaustion", "Short-term", "Tom Okafor", "next Friday", "OPS-416", "Open", None),
    ("ACT-018", "INC-199", "Rotate the leaked staging key", "Short-term", "Sam Ruiz", 3, "SEC-90", "Open", None),
    ("ACT-019", "INC-102", "Stop careless reindexing during peak hours", "Short-term", "Lena Vogel", 5, "SRCH-90", "Open", None),
    ("ACT-020", "INC-104", "Backfill the stale dashboard data", "Short-term", "Aiko Tanaka", -15, "DATA-303", "Done", 16),
    ("ACT-021", "INC-101", "Add a pool-size panel to the checkout dashboard", "Short-term", "Tom Okafor", 2, "OPS-417", "Open", None),
    ("ACT-022", "INC-107", "Security review of all new payment fields", "Long-term", "Security team", 100, "SEC-80", "In progress", None),
    ("ACT-023", "INC-108", "Replay the delayed webhooks for partners", "Short-term", "Lena Vogel", -25, "PLAT-212", "Done", 25),
    ("ACT-024", "INC-111", "Alert on 429 rate by partner", "Short-term", "Jonas Berg", None, "PLAT-231", "Open", None),
    ("ACT-025", "INC-114", "Remove manual cache flush from the deploy runbook", "Short-term", "Jonas Berg", 7, "#482", "Open", None),
    ("ACT-026", "INC-114", "Warm the cache gradually after deploys", "Long-term", "Platform team", 45, "platform/cache#77", "Open", None),
    ("ACT-027", "INC-101", "Chaos test database connection limits", "Long-term", "SRE team", 120, "OPS-418", "Open", None),
    ("ACT-028", "INC-102", "Cap reindex concurrency", "Short-term", "Lena Vogel", -1, "SRCH-91", "Open", None),
    ("ACT-029", "INC-104", "Add freshness timestamp to the dashboard", "Short-term", "Aiko Tanaka", 4, "DATA-304", "In progress", None),
    ("ACT-030", "INC-107", "Notify affected card issuers", "Short-term", "Priya Shah", -37, "SEC-81", "Done", 37),
    ("ACT-031", "INC-108", "Partner status page entry for webhook delays", "Short-term", "Tom Okafor", -24, "PLAT-213", "Done", 24),
    ("ACT-032", "INC-111", "Load-test the partner API", "Short-term", "Tom Okafor", 0, "PLAT-232", "Open", None),
    ("ACT-033", "INC-114", "Add a deploy checklist item for cache", "Short-term", "Lena Vogel", 8, "PLAT-240", "Open", None),
    ("ACT-034", "INC-101", "Quarterly review of config push guardrails", "Long-term", "Priya Shah", 150, "OPS-419", "Open", None),
    ("ACT-035", "INC-102", "Move search to dedicated nodes", "Long-term", "Search team", 170, "SRCH-92", "Open", None),
    ("ACT-036", "INC-104", "Page on-call when ETL lags over 1 hour", "Short-term", "Jonas Berg", -2, "DATA-305", "Open", None),
    ("ACT-037", "INC-107", "Tabletop exercise for data exposure", "Long-term", "Security team", 30, "SEC-82", "Open", None),
    ("ACT-038", "INC-111", "Resolver drain procedure", "Short-term", "Jonas Berg", 3, "NET-51", "Open", None),
    ("ACT-038", "INC-111", "Add a second resolver per zone", "Long-term", "Network team", 90, "NET-52", "Open", None),
    ("ACT-040", "INC-111", "Publish partner rate-limit headers", "Short-term", "Tom Okafor", 12, "PLAT-233", "Open", None),
]

_TIMELINE: list[tuple[str, float, str]] = [
    ("INC-101", 12.08, "Checkout error rate alert fires"),
    ("INC-101", 12.06, "On-call engineer acknowledges and opens an incident channel"),
    ("INC-101", 12.04, "Config push identified as the trigger; rollback started"),
    ("INC-101", 12.02, "Rollback complete; error rate back to normal"),
    ("INC-102", 3.05, "Search latency alert fires"),
    ("INC-102", 3.0, "Reindex job paused; latency recovers"),
    ("INC-107", 40.5, "Engineer notices card-like strings in a debug log"),
    ("INC-107", 40.2, "Debug logging disabled for the payment service"),
    ("INC-111", 5.02, "Partners report 429 responses"),
]


def demo_rows(now: datetime) -> dict[str, list[Record]]:
    """Records keyed by header, for every tab; dates are naive local datetimes/dates around `now`."""
    now = now.replace(tzinfo=None, second=0, microsecond=0)
    return {
        "incidents": [_incident(row, now) for row in _INCIDENTS],
        "actions": [_action(row, now.date()) for row in _ACTIONS],
        "timeline": [
            {"Incident ID": incident, "Time": now - timedelta(days=days), "Event": event}
            for incident, days, event in _TIMELINE
        ],
        "people": [
            {"Name": name, "Email": email, "Team": team, "Manager email": manager}
            for name, email, team, manager in _PEOPLE
        ],
    }


def _incident(row: tuple[Any, ...], now: datetime) -> Record:
    (ident, title, severity, resolved_ago, duration, impact, minutes, gap, security, repeat,
     owner, responder, contributors, status, (draft, review, closed), has_doc, summary, root_cause) = row
    resolved = now - timedelta(days=resolved_ago) if resolved_ago is not None else None
    detected = (resolved or now) - timedelta(minutes=duration or 30)
    if ident == "INC-111":
        detected = resolved + timedelta(hours=2)  # typo'd on purpose: detected after resolved
    today = now.date()

    def day(ago: int | None) -> date | None:
        return today - timedelta(days=ago) if ago is not None else None

    return {
        "ID": ident,
        "Title": title,
        "Severity": severity,
        "Detected at": detected,
        "Resolved at": resolved,
        "Customer impact": impact,
        "Impact minutes": minutes,
        "Systemic gap": gap,
        "Security concern": security,
        "Repeatable failure": repeat,
        "Incident owner": owner,
        "Primary responder": responder,
        "Contributors": contributors or None,
        "Post-mortem status": status or None,
        "Draft date": day(draft),
        "Review date": day(review),
        "Closed date": day(closed),
        "Post-mortem doc": f"https://docs.example.com/postmortems/{ident}" if has_doc else None,
        "Summary": summary,
        "Root cause": root_cause,
    }


def _action(row: tuple[Any, ...], today: date) -> Record:
    ident, incident, text, kind, owner, due, link, status, completed_ago = row
    due_value = today + timedelta(days=due) if isinstance(due, int) else due
    return {
        "ID": ident,
        "Incident ID": incident,
        "Action": text,
        "Type": kind or None,
        "Owner": owner or None,
        "Due date": due_value,
        "Tracking link": link or None,
        "Status": status,
        "Completed on": today - timedelta(days=completed_ago) if completed_ago is not None else None,
    }


def demo_tables(now: datetime) -> dict[str, list[list[Any]]]:
    """The demo rows as plain cell values in column order (dates as spreadsheet serial numbers)."""
    from pmsheets.core.schema import PM_TABS, SERIAL_EPOCH  # the schema owns column order and the epoch

    def cell(value: Any) -> Any:
        if isinstance(value, datetime):
            return (value - SERIAL_EPOCH).total_seconds() / 86400
        if isinstance(value, date):
            return (value - SERIAL_EPOCH.date()).days
        return "" if value is None else value

    records = demo_rows(now)
    return {
        tab.title: [[cell(record.get(column.header)) for column in tab.columns] for record in records[tab.key]]
        for tab in PM_TABS
    }
