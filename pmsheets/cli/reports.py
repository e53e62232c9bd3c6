"""The `report` and `export` subcommands: parse, build, one library call (report_job), print."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

from pmsheets import config as config_module
from pmsheets.cli import session as app
from pmsheets.cli.options import add_as_of
from pmsheets.cli.report_job import export_snapshot, planned_reports, preview_reports, send_reports
from pmsheets.cli.session import Checked
from pmsheets.core.overdue import counted
from pmsheets.errors import ExitCode, UsageError
from pmsheets.model import is_address
from pmsheets.outputs.delivery import Outcome, Planned


def add_report_commands(commands: Any) -> None:
    """`commands` is the parser's subparsers object."""
    report = commands.add_parser(
        "report",
        help="build the weekly overdue and escalation emails; preview them or send them",
        description="Build the overdue report, the escalation report for the ops review, or both (default). Without --send, "
        "write each message as .html, .txt and .eml under reports.dir and print where. With --send, deliver them "
        "(mail.transport) and record each accepted recipient in the register's Report log tab; a report already delivered "
        "this ISO week is not sent again. Exit 0: done; 1: a message or recipient failed; 2: a usage, config or register problem.",
    )
    report.add_argument("kind", nargs="?", choices=("overdue", "escalation", "all"), default="all", help="which report (default: all)")
    add_as_of(report, "report")
    report.add_argument("--send", action="store_true", help="deliver the messages instead of writing previews")
    report.add_argument("--resend", action="store_true", help="with --send: send again even if the Report log says it was sent this week")
    report.add_argument(
        "--to", metavar="ADDR", nargs="+", default=[], help="send to these addresses instead of the configured ones (no Cc)"
    )
    report.set_defaults(handler=cmd_report)

    export = commands.add_parser(
        "export",
        help="write the Excel snapshot for the ops review",
        description="Write an .xlsx snapshot (Summary with a chart, Incidents, Actions, Overdue, Findings) for the ops review; "
        "default reports.dir/snapshot-YYYY-MM-DD.xlsx.",
    )
    add_as_of(export, "snapshot")
    export.add_argument("--out", metavar="PATH", help="where to write the .xlsx (default: reports.dir/snapshot-YYYY-MM-DD.xlsx)")
    export.set_defaults(handler=cmd_export)


def check_register(args: argparse.Namespace) -> Checked:
    return app.check_register(config_module.load(config_module.config_path(args.config)), args.as_of)


def cmd_report(args: argparse.Namespace, out: TextIO, err: TextIO) -> ExitCode:
    _check_options(args)
    checked = check_register(args)
    planned = planned_reports(checked, choice=args.kind, to=args.to)
    if not args.send:
        paths = preview_reports(checked, planned, now=_now())
        print_previews(planned, paths, checked.config.reports.dir, out)
        return ExitCode.OK
    outcomes = send_reports(checked, planned, clock=_now, resend=args.resend)
    return print_outcomes(outcomes, checked, out, err)


def cmd_export(args: argparse.Namespace, out: TextIO, _err: TextIO) -> ExitCode:
    checked = check_register(args)
    path = export_snapshot(checked, out=Path(args.out) if args.out else None)
    print(f"Snapshot written: {path}", file=out)
    return ExitCode.OK


def _check_options(args: argparse.Namespace) -> None:
    if args.resend and not args.send:
        msg = "--resend only makes sense with --send"
        raise UsageError(msg)
    wrong = [address for address in args.to if not is_address(address)]
    if wrong:
        msg = f"--to {wrong[0]!r} is not an email address"
        raise UsageError(msg)


def _now() -> datetime:
    return datetime.now(UTC)


def print_previews(planned: Sequence[Planned], paths: Sequence[Path], folder: Path, out: TextIO) -> None:
    for path in paths:
        print(f"  {path}", file=out)
    for message in planned:
        print(f"{message.rendered.name}: {message.audience()}", file=out)
    print(
        f"{counted(len(planned), 'report')} previewed in {folder} (.html, .txt and .eml); nothing was sent. Add --send to deliver them.",
        file=out,
    )


def print_outcomes(outcomes: Sequence[Outcome], checked: Checked, out: TextIO, err: TextIO) -> ExitCode:
    for outcome in outcomes:
        print(outcome.line(), file=err if outcome.failed else out)
    sent = sum(1 for o in outcomes if o.sent_to)
    where = checked.config.mail.outbox if checked.config.mail.transport == "file" else "the SMTP server"
    recorded = sum(1 for o in outcomes if o.sent_to and o.unlogged is None)
    logged = f"; Report log of {checked.backend.describe()} updated" if recorded else ""
    print(f"{counted(sent, 'message')} delivered to {where}{logged}.", file=out)
    return ExitCode.NOT_DELIVERED if any(o.failed for o in outcomes) else ExitCode.OK
