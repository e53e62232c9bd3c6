"""Planning, previewing and delivering the weekly reports, with the report log deciding what is still owed."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from email import message_from_bytes, policy
from pathlib import Path

import openpyxl
import pytest

from pmsheets.config import ReportsConfig, SmtpSettings
from pmsheets.core.overdue import Headline
from pmsheets.core.report_log import LOG_HEADERS, LOG_TITLE, LogEntry, ReportKind, missing_recipients, previous_headline, read_log
from pmsheets.outputs.delivery import Planned, deliver, kinds_for, plan, write_previews
from pmsheets.outputs.mail import FileTransport, SmtpTransport
from tests.builders import AS_OF
from tests.report_fixtures import sample_overdue
from tests.smtp_server import HOST, dropping_server, free_port, running_server

SENDER = "pmsheets <reports@example.com>"
SETTINGS = ReportsConfig(overdue_to=("team@example.com",), escalation_to=("ops@example.com",))


class MemoryLog:
    """Stands in for the register's Report log tab: rows appended, entries read back."""

    def __init__(self) -> None:
        self.rows: list[list[str]] = []

    def append(self, rows: Sequence[Sequence[str]]) -> None:
        self.rows.extend(list(row) for row in rows)

    @property
    def entries(self) -> list[LogEntry]:
        return read_log({LOG_TITLE: [list(LOG_HEADERS), *self.rows]})


def planned(
    kinds: Sequence[ReportKind] = (ReportKind.OVERDUE, ReportKind.ESCALATION),
    *,
    settings: ReportsConfig = SETTINGS,
    log: Sequence[LogEntry] = (),
    to: Sequence[str] = (),
) -> list[Planned]:
    return plan(kinds, overdue=sample_overdue(), findings=[], log=log, settings=settings, to_override=to)


def smtp(port: int) -> SmtpTransport:
    return SmtpTransport(SmtpSettings(host=HOST, port=port, security="none", timeout=5), SENDER)


def send_all(port: int, log: MemoryLog, messages: list[Planned] | None = None, *, resend: bool = False) -> list[object]:
    with smtp(port).connected() as transport:
        return deliver(
            messages or planned(),
            transport=transport,
            sender=SENDER,
            log=log.entries,
            append_log=log.append,
            clock=lambda: AS_OF,
            resend=resend,
        )


# --- planning ------------------------------------------------------------------------------------


def test_kinds_for_overdue_adds_digests_only_when_configured() -> None:
    assert kinds_for("overdue", ReportsConfig()) == [ReportKind.OVERDUE]
    assert kinds_for("all", ReportsConfig(owner_digests=True)) == [ReportKind.OVERDUE, ReportKind.OWNER_DIGEST, ReportKind.ESCALATION]


def test_plan_escalation_ccs_the_managers() -> None:
    escalation = planned([ReportKind.ESCALATION])[0]
    assert (escalation.to, escalation.cc) == (("ops@example.com",), ("dana@example.com",))


def test_plan_to_override_replaces_recipients_and_drops_cc() -> None:
    escalation = planned([ReportKind.ESCALATION], to=["me@example.com"])[0]
    assert (escalation.to, escalation.cc) == (("me@example.com",), ())


def test_plan_digests_go_to_each_owner() -> None:
    digests = planned([ReportKind.OWNER_DIGEST])
    assert [d.to for d in digests] == [("lena@example.com",), ("priya@example.com",), ("tom@example.com",)]


def test_plan_attaches_the_snapshot_only_when_configured() -> None:
    settings = ReportsConfig(escalation_to=("ops@example.com",), attach_snapshot=True)
    [escalation] = planned([ReportKind.ESCALATION], settings=settings)
    [overdue] = planned([ReportKind.OVERDUE], settings=settings)
    assert [a.filename for a in escalation.attachments] == ["snapshot-2026-11-27.xlsx"]
    assert overdue.attachments == ()


def test_plan_overdue_compares_with_last_weeks_logged_headline() -> None:
    log = [LogEntry("overdue", "2026-W47", "team@example.com", "<1@x>", "2026-11-20T09:00:00", Headline(1, 1, 1))]
    [overdue] = planned([ReportKind.OVERDUE], log=log)
    assert "+3 since last week" in overdue.rendered.text


# --- previews ------------------------------------------------------------------------------------


def test_previews_write_html_text_and_eml(tmp_path: Path) -> None:
    paths = write_previews(planned([ReportKind.OVERDUE]), tmp_path, sender=SENDER, now=AS_OF)
    assert [p.name for p in paths] == ["overdue-2026-W48.html", "overdue-2026-W48.txt", "overdue-2026-W48.eml"]
    eml = message_from_bytes(paths[2].read_bytes(), policy=policy.default)
    assert eml["To"] == "team@example.com"


# --- delivery over SMTP --------------------------------------------------------------------------------


def test_deliver_sends_each_report_and_logs_every_recipient() -> None:
    log = MemoryLog()
    with running_server() as server:
        send_all(server.port, log)
    assert [r.rcpt_tos for r in server.handler.received] == [["team@example.com"], ["ops@example.com", "dana@example.com"]]
    assert [(e.kind, e.week, e.recipient) for e in log.entries] == [
        ("overdue", "2026-W48", "team@example.com"),
        ("escalation", "2026-W48", "ops@example.com"),
        ("escalation", "2026-W48", "dana@example.com"),
    ]


def test_deliver_logs_the_message_id_the_server_received() -> None:
    log = MemoryLog()
    with running_server() as server:
        send_all(server.port, log)
    assert log.entries[0].message_id == server.handler.received[0].message["Message-ID"]


def test_deliver_logs_the_overdue_headline_for_next_week() -> None:
    log = MemoryLog()
    with running_server() as server:
        send_all(server.port, log)
    assert previous_headline(log.entries, kind="overdue", week="2026-W49") == Headline(4, 2, 2)


def test_deliver_twice_in_a_week_sends_once() -> None:
    log = MemoryLog()
    with running_server() as server:
        send_all(server.port, log)
        second = send_all(server.port, log)
    assert len(server.handler.received) == 2
    assert all(o.already_sent for o in second)  # type: ignore[attr-defined]


def test_deliver_resend_sends_again() -> None:
    log = MemoryLog()
    with running_server() as server:
        send_all(server.port, log)
        send_all(server.port, log, resend=True)
    assert len(server.handler.received) == 4


def test_deliver_logs_only_the_recipients_the_server_accepted() -> None:
    log = MemoryLog()
    with running_server(refuse={"dana@example.com"}) as server:
        outcomes = send_all(server.port, log)
    assert [e.recipient for e in log.entries if e.kind == "escalation"] == ["ops@example.com"]
    assert outcomes[1].failed
    assert "dana@example.com" in outcomes[1].refused


def test_deliver_retry_sends_only_to_the_refused_recipient() -> None:
    log = MemoryLog()
    with running_server(refuse={"dana@example.com"}) as server:
        send_all(server.port, log)
    with running_server() as server:
        send_all(server.port, log)
    assert [r.rcpt_tos for r in server.handler.received] == [["dana@example.com"]]
    assert server.handler.received[0].message["Cc"] == "dana@example.com"


def test_deliver_to_a_server_that_is_not_there_logs_nothing() -> None:
    log = MemoryLog()
    outcomes = send_all(free_port(), log)
    assert log.rows == []
    assert all(o.failed for o in outcomes)  # type: ignore[attr-defined]


def test_deliver_to_a_server_that_drops_the_connection_logs_nothing() -> None:
    log = MemoryLog()
    with dropping_server() as port:
        outcomes = send_all(port, log)
    assert log.rows == []
    assert "closed the connection" in outcomes[0].line()  # type: ignore[attr-defined]


def test_deliver_escalation_attachment_opens_in_openpyxl(tmp_path: Path) -> None:
    settings = ReportsConfig(escalation_to=("ops@example.com",), attach_snapshot=True)
    with running_server() as server:
        send_all(server.port, MemoryLog(), planned([ReportKind.ESCALATION], settings=settings))
    [attachment] = list(server.handler.received[0].message.iter_attachments())
    path = tmp_path / attachment.get_filename()
    path.write_bytes(attachment.get_content())
    assert openpyxl.load_workbook(path)["Overdue"]["C2"].value == "ACT-003"


def test_deliver_without_recipients_says_which_key_to_set() -> None:
    outcomes = deliver(
        planned([ReportKind.OVERDUE], settings=ReportsConfig()),
        transport=FileTransport(Path("unused")),
        sender=SENDER,
        log=[],
        append_log=MemoryLog().append,
        clock=lambda: AS_OF,
    )
    assert outcomes[0].error == "no recipients configured (set reports.overdue.to, or pass --to)"


def test_deliver_to_the_file_outbox_logs_like_a_server(tmp_path: Path) -> None:
    log = MemoryLog()
    deliver(
        planned(),
        transport=FileTransport(tmp_path),
        sender=SENDER,
        log=[],
        append_log=log.append,
        clock=lambda: datetime(2026, 11, 30, 9, 0, tzinfo=AS_OF.tzinfo),
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == ["escalation-2026-W48.eml", "overdue-2026-W48.eml"]
    assert log.entries[0].sent_at == "2026-11-30T09:00:00+00:00"


# --- the log ------------------------------------------------------------------------------------


def test_log_matches_recipients_ignoring_case() -> None:
    log = [LogEntry("overdue", "2026-W48", "Team@Example.com", "<1@x>", "")]
    assert missing_recipients(["team@example.com", "b@example.com"], log, kind="overdue", week="2026-W48") == ("b@example.com",)


def test_log_other_weeks_do_not_count_as_sent() -> None:
    log = [LogEntry("overdue", "2026-W47", "team@example.com", "<1@x>", "")]
    assert missing_recipients(["team@example.com"], log, kind="overdue", week="2026-W48") == ("team@example.com",)


def test_log_tab_found_by_normalised_title_and_headers() -> None:
    tables = {"report LOG": [["kind", "WEEK", "recipient"], ["overdue", "2026-W48", "a@example.com"], [None, None, None]]}
    assert [(e.kind, e.recipient, e.headline) for e in read_log(tables)] == [("overdue", "a@example.com", None)]


@pytest.mark.parametrize("week", ["2026-W47", "2025-W52"])
def test_previous_headline_takes_the_latest_earlier_week(week: str) -> None:
    log = [
        LogEntry("overdue", "2025-W40", "a@example.com", "", "", Headline(9, 9, 9)),
        LogEntry("overdue", week, "a@example.com", "", "", Headline(1, 2, 3)),
        LogEntry("overdue", "2026-W48", "a@example.com", "", "", Headline(5, 5, 5)),
    ]
    assert previous_headline(log, kind="overdue", week="2026-W48") == Headline(1, 2, 3)
