"""The `report` and `export` commands' work, apart from argument parsing and printing.

Both start from a register that was read and checked once; the worker (issue 6) can call
`send_reports` with the same inputs on its weekly tick.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path

from pmsheets.cli.session import Checked
from pmsheets.config import Config
from pmsheets.core.overdue import escalation_report
from pmsheets.core.report_log import logged_trend, read_log
from pmsheets.core.trend import OnTime, WeekFigures
from pmsheets.files import make_folder
from pmsheets.outputs.delivery import Outcome, Planned, deliver, kinds_for, links_for, plan, write_previews
from pmsheets.outputs.mail import FileTransport, SmtpTransport, Transport
from pmsheets.outputs.snapshot import default_path, write_snapshot
from pmsheets.register.report_log_store import append_report_log


def planned_reports(checked: Checked, *, choice: str, to: Sequence[str] = ()) -> list[Planned]:
    config = checked.config
    return plan(
        kinds_for(choice, config.reports),
        overdue=checked.overdue,
        findings=checked.validation.findings,
        log=read_log(checked.raw.tables),
        settings=config.reports,
        templates_dir=config.templates_dir,
        to_override=to,
        links=links_for(checked.raw, config.reports),
    )


def preview_reports(checked: Checked, planned: Sequence[Planned], *, now: datetime) -> list[Path]:
    return write_previews(planned, checked.config.reports.dir, sender=checked.config.mail.sender, now=now)


def transport_for(config: Config) -> Transport:
    mail = config.mail
    if mail.transport == "smtp" and mail.smtp is not None:
        return SmtpTransport(mail.smtp, mail.sender)
    return FileTransport(mail.outbox)


def send_reports(checked: Checked, planned: Sequence[Planned], *, clock: Callable[[], datetime], resend: bool = False) -> list[Outcome]:
    # Sending what could not be recorded would be sent again next time: check the log can be written first.
    checked.backend.ensure_writable()
    transport = transport_for(checked.config)
    try:
        return deliver(
            planned,
            transport=transport,
            sender=checked.config.mail.sender,
            log=read_log(checked.raw.tables),
            append_log=lambda rows: append_report_log(checked.backend, rows),
            clock=clock,
            resend=resend,
        )
    finally:
        transport.close()


def export_snapshot(checked: Checked, *, out: Path | None = None) -> Path:
    overdue = checked.overdue
    path = out or default_path(checked.config.reports.dir, overdue.as_of, overdue.context.policy.timezone)
    if out is None:
        make_folder(path.parent, "Check reports.dir in the config.")
    escalation = escalation_report(overdue, escalate_after_days=checked.config.reports.escalate_after_days)
    current = WeekFigures(overdue.headline, OnTime.of(escalation.compliance))
    trend = logged_trend(read_log(checked.raw.tables), week=overdue.week, current=current)
    write_snapshot(path, overdue=overdue, findings=checked.validation.findings, escalation=escalation, trend=trend)
    return path
