"""From report models to delivered messages: plan who gets what, preview or send, log what was accepted.

The weekly run and the worker both call `plan` then either `write_previews` or `deliver`.
`deliver` consults the report log first, so a report already delivered for the week is not
sent again, and after a failure only the recipients still missing are tried. Each message's
accepted recipients are logged straight after it is sent, never before; when the log cannot
take them, the outcome says so and no further message is sent, as none would be remembered.
Nor after the server could not be reached: each try would cost a whole timeout for nothing.
"""

from __future__ import annotations

import functools
import shutil
import tempfile
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import IO

from pmsheets.config import ReportsConfig
from pmsheets.core.overdue import (
    EscalationReport,
    Headline,
    Overdue,
    compliance,
    escalation_report,
    overdue_report,
    owner_digests,
)
from pmsheets.core.report_log import LogEntry, ReportKind, logged_trend, missing_recipients, previous_headline
from pmsheets.core.trend import OnTime, Trend, WeekFigures
from pmsheets.errors import PmsheetsError
from pmsheets.model import Finding, is_address
from pmsheets.outputs.links import NO_LINKS, Links
from pmsheets.outputs.mail import Attachment, Delivery, MailConnectError, MailError, Outgoing, Transport, build_message
from pmsheets.outputs.report_render import Rendered, render
from pmsheets.outputs.snapshot import default_path, save_file, write_snapshot
from pmsheets.register import RawRegister

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass(frozen=True, slots=True)
class Planned:
    rendered: Rendered
    week: str
    to: tuple[str, ...]
    cc: tuple[str, ...] = ()
    attachments: tuple[Attachment, ...] = ()
    headline: Headline | None = None
    """Logged with the overdue and escalation reports: next week's says what changed, and the trend shows it."""
    on_time: OnTime | None = None

    @property
    def recipients(self) -> tuple[str, ...]:
        return unique_addresses((*self.to, *self.cc))

    def audience(self) -> str:
        """Who would receive this message, or that nobody would and how to change that."""
        cc = ", ".join(self.cc)
        if self.to:
            return f"to {', '.join(self.to)}" + (f"; cc {cc}" if cc else "")
        missing = f"no recipients configured (set reports.{_config_key(self)}.to, or pass --to)"
        return f"{missing}; only the managers in Cc would receive it: {cc}" if cc else missing

    def outgoing(self, sender: str) -> Outgoing:
        r = self.rendered
        return Outgoing(sender=sender, to=self.to, cc=self.cc, subject=r.subject, text=r.text, html=r.html, attachments=self.attachments)


def kinds_for(choice: str, settings: ReportsConfig) -> list[ReportKind]:
    """`pmsheets report overdue|escalation|all` -> the kinds of message to build."""
    kinds = []
    if choice in ("overdue", "all"):
        kinds.append(ReportKind.OVERDUE)
        if settings.owner_digests:
            kinds.append(ReportKind.OWNER_DIGEST)
    if choice in ("escalation", "all"):
        kinds.append(ReportKind.ESCALATION)
    return kinds


def plan(
    kinds: Collection[ReportKind],
    *,
    overdue: Overdue,
    findings: Sequence[Finding],
    log: Sequence[LogEntry],
    settings: ReportsConfig,
    templates_dir: Path | None = None,
    to_override: Sequence[str] = (),
    links: Links = NO_LINKS,
) -> list[Planned]:
    """Every message to send this week; `to_override` (--to) replaces all recipients and drops Cc."""
    override = tuple(to_override)
    planned: list[Planned] = []
    escalation = escalation_report(overdue, escalate_after_days=settings.escalate_after_days) if ReportKind.ESCALATION in kinds else None
    on_time = OnTime.of(escalation.compliance if escalation is not None else compliance(overdue.context))
    if ReportKind.OVERDUE in kinds:
        previous = previous_headline(log, kind=ReportKind.OVERDUE, week=overdue.week)
        report = overdue_report(overdue, previous=previous)
        rendered = render(report, templates_dir=templates_dir, max_list_items=settings.max_list_items, links=links)
        planned.append(Planned(rendered, overdue.week, override or settings.overdue_to, headline=report.headline, on_time=on_time))
    if ReportKind.OWNER_DIGEST in kinds:
        for digest in owner_digests(overdue):
            if is_address(digest.email):
                rendered = render(digest, templates_dir=templates_dir, max_list_items=settings.max_list_items, links=links)
                planned.append(Planned(rendered, overdue.week, override or (digest.email,)))
    if escalation is not None:
        trend = logged_trend(log, week=overdue.week, current=WeekFigures(overdue.headline, on_time))
        taken = {address.casefold() for address in settings.escalation_to}
        cc = () if override else unique_addresses(a for a in escalation.cc if is_address(a) and a.casefold() not in taken)
        attachments, note = snapshot_attachment(overdue, findings, settings, escalation, trend) if settings.attach_snapshot else ((), None)
        rendered = render(
            escalation,
            templates_dir=templates_dir,
            max_list_items=settings.max_list_items,
            snapshot_note=note,
            links=links,
            trend=trend,
        )
        planned.append(
            Planned(rendered, overdue.week, override or settings.escalation_to, cc, attachments, headline=overdue.headline, on_time=on_time)
        )
    return planned


def links_for(raw: RawRegister, settings: ReportsConfig) -> Links:
    """The links the emails make for this register (a workbook has no address, so no register or row links)."""
    return Links(raw.url, raw.sheet_ids, settings.tracker_url, settings.github_url)


def unique_addresses(addresses: Iterable[str]) -> tuple[str, ...]:
    """Each mailbox once, first spelling kept: addresses differing only in case are one mailbox, as in the report log."""
    first: dict[str, str] = {}
    for address in addresses:
        first.setdefault(address.casefold(), address)
    return tuple(first.values())


def snapshot_attachment(
    overdue: Overdue, findings: Sequence[Finding], settings: ReportsConfig, escalation: EscalationReport, trend: Trend | None = None
) -> tuple[tuple[Attachment, ...], str | None]:
    """The snapshot as an attachment, or, when over `attach_max_mb`, saved in reports.dir; with the note the email shows."""
    limit = settings.attach_max_mb * 1_000_000
    path = default_path(settings.dir, overdue.as_of, overdue.context.policy.timezone)
    # Kept in memory only up to the attachment limit: at the Sheets limit the snapshot is over 100 MB.
    with tempfile.SpooledTemporaryFile(max_size=int(limit) + 1) as stream:
        write_snapshot(stream, overdue=overdue, findings=findings, escalation=escalation, trend=trend)
        length = stream.tell()
        size = file_size(length)
        stream.seek(0)
        if length <= limit:
            note = f"The Excel snapshot is attached ({path.name}, {size}): every item, the Findings and the figures, to filter and keep."
            return (Attachment(path.name, stream.read(), XLSX_TYPE),), note
        save_file(path, lambda temp: _copy_into(stream, temp), make_folder=True)
    return (), (
        f"The Excel snapshot ({size}) is too large to attach (over {settings.attach_max_mb:g} MB); "
        f"it is saved as {path.name} in the reports folder of the machine that runs pmsheets."
    )


def _copy_into(stream: IO[bytes], path: Path) -> None:
    with path.open("wb") as out:
        shutil.copyfileobj(stream, out, 1 << 20)


def file_size(size: int) -> str:
    """Bytes as a reader says them: 24 KB, 12.3 MB (decimal units, as mail servers state their limits)."""
    return f"{size / 1_000_000:,.1f} MB" if size >= 100_000 else f"{max(1, round(size / 1000)):,} KB"


# --- previews --------------------------------------------------------------------------------------


def write_previews(planned: Sequence[Planned], folder: Path, *, sender: str, now: datetime) -> list[Path]:
    """The .html, .txt and full .eml of each message, as it would be sent; nothing is logged."""
    written = []
    for message in planned:
        stem = message.rendered.name
        for suffix, data in (
            (".html", message.rendered.html.encode("utf-8")),
            (".txt", message.rendered.text.encode("utf-8")),
            (".eml", bytes(build_message(message.outgoing(sender), now=now))),
        ):
            path = folder / f"{stem}{suffix}"
            save_file(path, functools.partial(Path.write_bytes, data=data), hint="Check reports.dir and the free space.", make_folder=True)
            written.append(path)
    return written


# --- delivery --------------------------------------------------------------------------------------

AppendLog = Callable[[Sequence[Sequence[str]]], None]


@dataclass(frozen=True, slots=True)
class Outcome:
    planned: Planned
    sent_to: tuple[str, ...] = ()
    refused: Mapping[str, str] = field(default_factory=dict)
    already_sent: bool = False
    error: str | None = None
    unlogged: str | None = None
    """Why the Report log could not record this delivery: until it does, a later run sends it again."""

    @property
    def failed(self) -> bool:
        return self.error is not None or bool(self.refused) or self.unlogged is not None

    def line(self) -> str:
        name = self.planned.rendered.name
        if self.error is not None:
            return f"{name}: NOT sent: {self.error}"
        if self.already_sent:
            return f"{name}: already sent this week to {', '.join(self.planned.recipients)} (--resend sends it again)"
        sent = f"{name}: sent to {', '.join(self.sent_to)}"
        if self.refused:
            sent += "; refused: " + "; ".join(f"{address} ({reason})" for address, reason in self.refused.items())
        if self.unlogged is not None:
            sent += f"; but NOT recorded in the Report log, so a later --send sends it to them again: {self.unlogged}"
        return sent


def deliver(
    planned: Sequence[Planned],
    *,
    transport: Transport,
    sender: str,
    log: Sequence[LogEntry],
    append_log: AppendLog,
    clock: Callable[[], datetime],
    resend: bool = False,
) -> list[Outcome]:
    outcomes = []
    stopped: str | None = None
    for message in planned:
        kind = str(message.rendered.kind)
        pending = message.recipients if resend else missing_recipients(message.recipients, log, kind=kind, week=message.week)
        if not message.recipients:
            outcomes.append(Outcome(message, error=message.audience()))
        elif not pending:
            outcomes.append(Outcome(message, already_sent=True))
        elif stopped is not None:
            outcomes.append(Outcome(message, error=f"not tried: {stopped}"))
        else:
            try:
                outcome = _send_one(message, pending, transport=transport, sender=sender, append_log=append_log, clock=clock)
            except MailConnectError as error:
                outcome = Outcome(message, error=str(error))
                stopped = "the connection to the mail server failed for the report before it"
            outcomes.append(outcome)
            if outcome.unlogged is not None:
                # Whatever went out now would not be remembered either, and be sent again by the next run.
                stopped = "the Report log could not record the delivery before it"
    return outcomes


def _config_key(message: Planned) -> str:
    return "escalation" if message.rendered.kind is ReportKind.ESCALATION else "overdue"


def _send_one(
    message: Planned, pending: tuple[str, ...], *, transport: Transport, sender: str, append_log: AppendLog, clock: Callable[[], datetime]
) -> Outcome:
    sent_at = clock()
    try:
        delivery = transport.send(build_message(message.outgoing(sender), now=sent_at), pending, name=message.rendered.name)
    except MailConnectError:
        raise  # deliver stops there
    except MailError as error:
        return Outcome(message, error=str(error))
    try:
        append_log([entry.row() for entry in log_entries(message, delivery, sent_at)])
    except PmsheetsError as error:
        return Outcome(message, sent_to=delivery.accepted, refused=delivery.refused, unlogged=str(error))
    return Outcome(message, sent_to=delivery.accepted, refused=delivery.refused)


def log_entries(message: Planned, delivery: Delivery, sent_at: datetime) -> list[LogEntry]:
    return [
        LogEntry(
            str(message.rendered.kind),
            message.week,
            recipient,
            delivery.message_id,
            sent_at.isoformat(timespec="seconds"),
            message.headline,
            message.on_time,
        )
        for recipient in delivery.accepted
    ]
