"""The mail fault suite (issue 7): `pmsheets report --send` against a real SMTP server on 127.0.0.1 that fails.

The server refuses the connection, drops it mid-DATA, refuses one recipient of several, never
answers (before its greeting, or at the end of DATA), or fails for now (4xx) at the end of DATA.
After each run: the Report log holds exactly what the server accepted, the exit code and the
lines say what happened, and a later run with the fault gone sends exactly what is missing and
nothing twice, counted per report and recipient over everything the servers accepted.
"""

from __future__ import annotations

import io
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from pmsheets.cli.main import main
from pmsheets.config import ReportsConfig, SmtpSettings
from pmsheets.core.overdue import counted
from pmsheets.core.report_log import LogEntry, ReportKind, read_log
from pmsheets.outputs.delivery import deliver, plan
from pmsheets.outputs.mail import SmtpTransport
from pmsheets.register.xlsx import XlsxRegister
from tests.builders import AS_OF as FRIDAY
from tests.builders import write_workbook
from tests.report_fixtures import sample_overdue, sample_tables
from tests.smtp_server import HOST, TEMPFAIL, Handler, Received, free_port, running_server, silent_server

AS_OF = "2026-11-27T09:00"  # Friday of ISO week 2026-W48
WEEK = "2026-W48"
SENDER = "pmsheets <reports@example.com>"
TIMEOUT = 1  # mail.smtp.timeout: loopback answers in milliseconds, a silent server costs this long

# The sample register's reports: overdue to two addresses, escalation to ops with Priya's manager in Cc.
EVERY_DELIVERY = Counter(
    {
        ("overdue", "team@example.com"): 1,
        ("overdue", "lead@example.com"): 1,
        ("escalation", "ops@example.com"): 1,
        ("escalation", "dana@example.com"): 1,
    }
)
OVERDUE = Counter({k: n for k, n in EVERY_DELIVERY.items() if k[0] == "overdue"})
ESCALATION = Counter({k: n for k, n in EVERY_DELIVERY.items() if k[0] == "escalation"})


# --- the register, the config and the command -----------------------------------------------------------


def registered(folder: Path) -> Path:
    write_workbook(folder / "register.xlsx", sample_tables())
    return folder


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    return registered(tmp_path)


def configure(folder: Path, port: int) -> Path:
    config = {
        "register": {"path": "register.xlsx"},
        "mail": {
            "transport": "smtp",
            "from": SENDER,
            "smtp": {"host": HOST, "port": port, "security": "none", "timeout": TIMEOUT},
        },
        "reports": {
            "dir": "reports",
            "overdue": {"to": ["team@example.com", "lead@example.com"]},
            "escalation": {"to": ["ops@example.com"]},
        },
    }
    path = folder / "pmsheets.yaml"
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    return path


@dataclass(frozen=True)
class Result:
    code: int
    out: str
    err: str


def send(folder: Path, port: int, *, as_of: str = AS_OF) -> Result:
    out, err = io.StringIO(), io.StringIO()
    code = main(["--config", str(configure(folder, port)), "report", "--as-of", as_of, "--send"], stdout=out, stderr=err)
    return Result(code, out.getvalue(), err.getvalue())


def log(folder: Path) -> list[LogEntry]:
    return read_log(XlsxRegister(folder / "register.xlsx").read().tables)


# --- what the servers accepted, and what the log says ---------------------------------------------------


def kind_of(received: Received) -> str:
    subject = str(received.message["Subject"]).strip()  # a long subject is folded whole onto the next line
    return (
        "overdue"
        if subject.startswith("Overdue post-mortem work")
        else "escalation"
        if subject.startswith("Ops review escalations")
        else subject
    )


def deliveries(*handlers: Handler | None) -> Counter[tuple[str, str]]:
    """(report kind, recipient) for every recipient of every message the servers accepted."""
    return Counter((kind_of(r), to) for h in handlers if h is not None for r in h.received for to in r.rcpt_tos)


def accepted_rows(*handlers: Handler | None) -> Counter[tuple[str, str, str, str]]:
    return Counter(
        (kind_of(r), WEEK, to, str(r.message["Message-ID"])) for h in handlers if h is not None for r in h.received for to in r.rcpt_tos
    )


def logged_rows(folder: Path) -> Counter[tuple[str, str, str, str]]:
    return Counter((e.kind, e.week, e.recipient, e.message_id) for e in log(folder))


# --- the faults ------------------------------------------------------------------------------------------

Server = Callable[[], AbstractContextManager[tuple[int, Handler | None]]]


@contextmanager
def refusing() -> Iterator[tuple[int, Handler | None]]:
    yield free_port(), None  # nothing listens there: the connection is refused


@contextmanager
def silent() -> Iterator[tuple[int, Handler | None]]:
    with silent_server() as server:
        yield server.port, None


def smtp(**faults: Any) -> Server:
    @contextmanager
    def server() -> Iterator[tuple[int, Handler | None]]:
        with running_server(**faults) as running:
            yield running.port, running.handler

    return server


@dataclass(frozen=True)
class Fault:
    name: str
    server: Server
    says: tuple[tuple[str, str], ...]
    """The one stderr line per report that did not (fully) go out: how it starts, what it says about the fault."""
    accepted: Counter[tuple[str, str]]
    """What the faulty server accepts."""

    @property
    def messages_delivered(self) -> int:
        return len({kind for kind, _ in self.accepted})


NOT_TRIED = (f"escalation-{WEEK}: NOT sent: not tried: ", "the connection to the mail server failed for the report before it")
FAULTS = [
    Fault(
        "connection-refused",
        refusing,
        ((f"overdue-{WEEK}: NOT sent: could not connect to the SMTP server", "refused"), NOT_TRIED),
        Counter(),
    ),
    Fault(
        "dropped-mid-data",
        smtp(data_faults={"team@example.com": "drop"}),
        ((f"overdue-{WEEK}: NOT sent: ", "did not accept the message: the server closed the connection"),),
        ESCALATION,
    ),
    Fault(
        "one-recipient-refused",
        smtp(refuse={"lead@example.com"}),
        ((f"overdue-{WEEK}: sent to team@example.com; refused: ", "lead@example.com (550 5.1.1 no such mailbox)"),),
        EVERY_DELIVERY - Counter({("overdue", "lead@example.com"): 1}),
    ),
    Fault(
        "no-greeting",
        silent,
        (
            (f"overdue-{WEEK}: NOT sent: could not connect to the SMTP server", f"no answer within {TIMEOUT} s (mail.smtp.timeout)"),
            NOT_TRIED,
        ),
        Counter(),
    ),
    Fault(
        "no-answer-at-data-end",
        smtp(data_faults={"team@example.com": "hang"}),
        ((f"overdue-{WEEK}: NOT sent: ", f"did not accept the message: no answer within {TIMEOUT} s (mail.smtp.timeout)"),),
        ESCALATION,
    ),
    Fault(
        "tempfail-at-data-end",
        smtp(data_faults={"ops@example.com": "tempfail"}),
        ((f"escalation-{WEEK}: NOT sent: ", f"did not accept the message: {TEMPFAIL}"),),
        OVERDUE,
    ),
]


@dataclass(frozen=True)
class Attempt:
    result: Result
    handler: Handler | None


def faulty_run(folder: Path, fault: Fault) -> Attempt:
    with fault.server() as (port, handler):
        return Attempt(send(folder, port), handler)


def retry(folder: Path) -> Attempt:
    """A later run, against a server without faults."""
    with running_server() as server:
        return Attempt(send(folder, server.port), server.handler)


@dataclass(frozen=True)
class Scenario:
    """One register through a run under the fault, then a later run without it."""

    fault: Fault
    first: Attempt
    logged_after_first: Counter[tuple[str, str, str, str]]
    retry: Attempt
    logged_after_retry: Counter[tuple[str, str, str, str]]


@pytest.fixture(scope="module", params=FAULTS, ids=lambda fault: fault.name)
def scenario(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Scenario:
    fault: Fault = request.param
    folder = registered(tmp_path_factory.mktemp(fault.name))
    first = faulty_run(folder, fault)
    logged_after_first = logged_rows(folder)
    second = retry(folder)
    return Scenario(fault, first, logged_after_first, second, logged_rows(folder))


# --- under each fault --------------------------------------------------------------------------------------


def test_fault_exits_1(scenario: Scenario) -> None:
    assert scenario.first.result.code == 1


def test_fault_is_named_on_stderr_one_line_per_report(scenario: Scenario) -> None:
    lines = scenario.first.result.err.splitlines()
    said = [next((line for line in lines if line.startswith(start) and fault in line), None) for start, fault in scenario.fault.says]
    assert (None not in said, len(lines)) == (True, len(scenario.fault.says)), lines


def test_fault_summary_counts_only_the_delivered_messages(scenario: Scenario) -> None:
    assert f"{counted(scenario.fault.messages_delivered, 'message')} delivered to the SMTP server" in scenario.first.result.out


def test_fault_server_accepts_what_the_fault_lets_through(scenario: Scenario) -> None:
    assert deliveries(scenario.first.handler) == scenario.fault.accepted


def test_fault_log_holds_exactly_what_the_server_accepted(scenario: Scenario) -> None:
    assert scenario.logged_after_first == accepted_rows(scenario.first.handler)


def test_retry_after_fault_succeeds(scenario: Scenario) -> None:
    assert (scenario.retry.result.code, scenario.retry.result.err) == (0, "")


def test_retry_after_fault_sends_only_what_is_missing(scenario: Scenario) -> None:
    assert deliveries(scenario.retry.handler) == EVERY_DELIVERY - scenario.fault.accepted


def test_fault_then_retry_deliver_each_report_to_each_recipient_once(scenario: Scenario) -> None:
    assert deliveries(scenario.first.handler, scenario.retry.handler) == EVERY_DELIVERY


def test_fault_then_retry_log_exactly_what_the_servers_accepted(scenario: Scenario) -> None:
    assert scenario.logged_after_retry == accepted_rows(scenario.first.handler, scenario.retry.handler)


# --- details of single faults ----------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["drop", "hang"])
def test_data_fault_strikes_after_the_whole_message_arrived(folder: Path, kind: str) -> None:
    with running_server(data_faults={"team@example.com": kind}) as server:
        send(folder, server.port)
    [unaccepted] = server.handler.unaccepted
    assert (kind_of(unaccepted), unaccepted.rcpt_tos) == ("overdue", ["team@example.com", "lead@example.com"])


def test_server_that_never_greets_is_waited_for_once_per_run_not_once_per_report(folder: Path) -> None:
    with silent_server() as server:
        send(folder, server.port)
    assert len(server.connections) == 1


def test_refused_recipient_retry_keeps_the_original_to_header(folder: Path) -> None:
    with running_server(refuse={"lead@example.com"}) as server:
        send(folder, server.port)
    [received] = retry(folder).handler.received  # type: ignore[union-attr]
    assert (received.rcpt_tos, received.message["To"]) == (["lead@example.com"], "team@example.com, lead@example.com")


# --- a report the log already records is not sent again ------------------------------------------------------


def test_second_send_in_the_same_week_sends_nothing(folder: Path) -> None:
    with running_server() as server:
        send(folder, server.port)
        second = send(folder, server.port)
    assert (second.code, deliveries(server.handler)) == (0, EVERY_DELIVERY)


def test_second_send_in_the_same_week_says_already_sent(folder: Path) -> None:
    with running_server() as server:
        send(folder, server.port)
        second = send(folder, server.port)
    assert [line.partition(":")[0] for line in second.out.splitlines() if "already sent this week" in line] == [
        f"overdue-{WEEK}",
        f"escalation-{WEEK}",
    ]


SUNDAY = "2026-11-29T23:30"  # still 2026-W48; by then Tom's ACT-001 is 9 days overdue, so his manager is escalated too


def test_send_later_in_the_same_iso_week_sends_no_one_a_report_twice(folder: Path) -> None:
    with running_server() as server:
        send(folder, server.port)
        send(folder, server.port, as_of=SUNDAY)
    assert [key for key, count in deliveries(server.handler).items() if count > 1] == []


def test_send_later_in_the_same_iso_week_reaches_only_a_recipient_new_since(folder: Path) -> None:
    """The log is per recipient (docs/reports.md): a manager escalated since Friday gets this week's report once."""
    with running_server() as server:
        send(folder, server.port)
        before = deliveries(server.handler)
        send(folder, server.port, as_of=SUNDAY)
    assert deliveries(server.handler) - before == Counter({("escalation", "marc@example.com"): 1})


def test_second_send_logs_nothing_more(folder: Path) -> None:
    with running_server() as server:
        send(folder, server.port)
        rows = logged_rows(folder)
        send(folder, server.port)
    assert logged_rows(folder) == rows


# --- the Report log cannot record ------------------------------------------------------------------------------


def open_in_libreoffice(folder: Path) -> None:
    (folder / ".~lock.register.xlsx#").write_text("", encoding="utf-8")  # the register refuses writes while it exists


def test_send_while_the_log_cannot_be_written_sends_nothing_and_exits_2(folder: Path) -> None:
    open_in_libreoffice(folder)
    with running_server() as server:
        result = send(folder, server.port)
    assert result.code == 2
    assert "is open in Excel or LibreOffice" in result.err
    assert deliveries(server.handler) == Counter()


def refusing_log(_rows: Any) -> None:
    """The log became unwritable after the check before sending (a PM opened the workbook mid-run)."""
    from pmsheets.errors import WriteRefused

    msg = "register.xlsx is open in Excel or LibreOffice (lock file ~$register.xlsx); nothing was written."
    raise WriteRefused(msg)


def deliver_with_refusing_log(server_port: int) -> list[Any]:
    planned = plan(
        [ReportKind.OVERDUE, ReportKind.ESCALATION],
        overdue=sample_overdue(),
        findings=[],
        log=[],
        settings=ReportsConfig(overdue_to=("team@example.com", "lead@example.com"), escalation_to=("ops@example.com",)),
    )
    with SmtpTransport(SmtpSettings(HOST, server_port, "none", timeout=TIMEOUT), SENDER).connected() as transport:
        return deliver(planned, transport=transport, sender=SENDER, log=[], append_log=refusing_log, clock=lambda: FRIDAY)


def test_delivery_the_log_cannot_record_says_it_was_sent_and_will_be_sent_again() -> None:
    with running_server() as server:
        outcomes = deliver_with_refusing_log(server.port)
    assert (
        outcomes[0]
        .line()
        .startswith(
            f"overdue-{WEEK}: sent to team@example.com, lead@example.com; but NOT recorded in the Report log, so a later --send sends it to them again: "
        )
    )
    assert outcomes[0].failed


def test_delivery_the_log_cannot_record_stops_the_reports_after_it() -> None:
    with running_server() as server:
        outcomes = deliver_with_refusing_log(server.port)
    assert deliveries(server.handler) == OVERDUE
    assert outcomes[1].line() == f"escalation-{WEEK}: NOT sent: not tried: the Report log could not record the delivery before it"


# --- one mailbox written two ways ----------------------------------------------------------------------------


def test_a_manager_also_in_escalation_to_written_in_other_case_gets_the_report_once() -> None:
    settings = ReportsConfig(escalation_to=("ops@example.com", "Dana@Example.com"))  # Dana is also Priya's manager in People
    planned = plan([ReportKind.ESCALATION], overdue=sample_overdue(), findings=[], log=[], settings=settings)
    with (
        running_server() as server,
        SmtpTransport(SmtpSettings(HOST, server.port, "none", timeout=TIMEOUT), SENDER).connected() as transport,
    ):
        deliver(planned, transport=transport, sender=SENDER, log=[], append_log=lambda _rows: None, clock=lambda: FRIDAY)
    assert [r.rcpt_tos for r in server.handler.received] == [["ops@example.com", "Dana@Example.com"]]
