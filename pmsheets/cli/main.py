"""The command line: parse arguments, call the core, print. One error boundary for user errors."""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import textwrap
import traceback
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import replace
from datetime import datetime, tzinfo
from pathlib import Path
from typing import TextIO
from zoneinfo import ZoneInfo

from pmsheets import __version__
from pmsheets import config as config_module
from pmsheets.cli.demo import demo_rows
from pmsheets.cli.options import Parser, add_as_of, add_global_options, as_of
from pmsheets.cli.reports import add_report_commands
from pmsheets.cli.session import check_register
from pmsheets.cli.worker import add_worker_commands
from pmsheets.core.check import Validation, findings_rows, findings_stamp, not_all_shown
from pmsheets.errors import ExitCode, PmsheetsError, UsageError, WriteRefused
from pmsheets.model import Finding, Level
from pmsheets.network import failed_host, failure_reason
from pmsheets.outputs.postmortem_doc import Outcome
from pmsheets.outputs.postmortems import DocumentResult
from pmsheets.outputs.publish import Drafted, draft_and_link
from pmsheets.register import FindingsLook, write_findings_if_changed
from pmsheets.register.xlsx import create_register


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(
        prog="pmsheets",
        description="Check a post-mortem register (incidents and corrective actions) against the blameless post-mortem policy.",
        epilog="Quick start: pmsheets init --xlsx register.xlsx --demo (also writes pmsheets.yaml), then pmsheets validate. Docs: docs/ in the repository.",
    )
    add_global_options(parser, on_command=False)
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    commands.required = True

    check = commands.add_parser(
        "validate",
        help="check every row of the register and write the Findings tab",
        description="Check every row of the register against the policy, print the findings and write them to the Findings tab. "
        "Exit 0: no errors; 1: at least one error finding; 2: a usage, config or register problem.",
    )
    add_as_of(check, "check")
    check.add_argument("--format", choices=("table", "json"), default="table", help="output format (default: table)")
    writing = check.add_mutually_exclusive_group()
    writing.add_argument("--no-write", action="store_true", help="print the findings but do not write the Findings tab")
    writing.add_argument(
        "--write", action="store_true", help="with --as-of: write the Findings tab anyway (a what-if is not written by default)"
    )
    check.set_defaults(handler=cmd_validate)

    init = commands.add_parser(
        "init",
        help="create a register workbook, or set up an empty Google Sheet as one",
        description="Create a register workbook (--xlsx) or lay out an existing empty Google spreadsheet (--sheet) with every tab, "
        "headers, dropdowns and date formats. Never overwrites a file and never touches a tab that holds data.",
    )
    target = init.add_mutually_exclusive_group(required=True)
    target.add_argument("--xlsx", metavar="PATH", help="where to create the workbook")
    target.add_argument("--sheet", metavar="KEY", help="key or URL of an empty Google spreadsheet shared with the service account")
    init.add_argument("--demo", action="store_true", help="fill it with realistic demo incidents and actions")
    add_as_of(init, "date the demo data")
    init.set_defaults(handler=cmd_init)

    doctor = commands.add_parser(
        "doctor",
        help="check config, credentials, access to the register and its tabs",
        description="Check the config, the credentials, access to the register, and its tabs and headers; "
        "print one line per check and say what to fix. Exit 0 when nothing failed, 2 otherwise.",
    )
    doctor.set_defaults(handler=cmd_doctor)
    add_report_commands(commands)
    add_worker_commands(commands)

    generate = commands.add_parser(
        "generate",
        help="write post-mortem drafts from the register, from the template",
        description="Write a Markdown post-mortem draft, filled from the register, for each incident that needs one and has none yet "
        "(and refresh drafts nobody has edited). Edited documents are left alone. See docs/postmortems.md. "
        "Exit 0: done; 1: a document could not be written (its file belongs to another incident); 2: a usage, config or register problem.",
    )
    add_as_of(generate, "generate")
    generate.add_argument("--incident", metavar="ID", help="only this incident, even if the policy does not require a post-mortem")
    generate.add_argument("--dry-run", action="store_true", help="say what would be written, write nothing (no file, no register cell)")
    generate.add_argument("--force", action="store_true", help="also replace documents edited by hand, keeping each as a .bak first")
    generate.set_defaults(handler=cmd_generate)

    emulator = commands.add_parser(
        "emulator",
        help="serve a local Google Sheets API emulator on 127.0.0.1 (try the google backend without an account)",
        description="Serve a Sheets API v4 emulator on 127.0.0.1. Options: --port, --load register.xlsx, "
        "--save-on-exit PATH, --key-out key.json, --email. See docs/emulator.md.",
        add_help=False,
    )
    emulator.set_defaults(handler=cmd_emulator)
    for command in commands.choices.values():
        add_global_options(command, on_command=True)
    return parser


def main(argv: Sequence[str] | None = None, *, stdout: TextIO | None = None, stderr: TextIO | None = None) -> int:
    out = stdout or sys.stdout
    err = stderr or sys.stderr
    arguments = list(sys.argv[1:] if argv is None else argv)
    # --debug is looked for by hand: it must show the traceback of a failure in parsing too.
    with failure_boundary(err, debug="--debug" in arguments) as outcome:
        args = parse(build_parser(), arguments)
        outcome.code = ExitCode(args.handler(args, out, err))
    return int(outcome.code)


def parse(parser: argparse.ArgumentParser, arguments: list[str]) -> argparse.Namespace:
    args, extra = parser.parse_known_args(arguments)
    if extra and args.command != "emulator":
        parser.error(f"unrecognized arguments: {' '.join(extra)}")
    args.extra = extra  # the emulator parses its own options
    return args


class _Outcome:
    code = ExitCode.FAILURE


@contextmanager
def failure_boundary(err: TextIO, *, debug: bool) -> Iterator[_Outcome]:
    """Every way a command can end becomes an ExitCode and at most one line on stderr (plus the traceback with --debug)."""
    outcome = _Outcome()
    try:
        yield outcome
    except BrokenPipeError:
        # The reader (e.g. `| head`) went away: stop quietly, as other command-line tools do.
        _silence_stdout()
        outcome.code = ExitCode.FAILURE
    except (KeyboardInterrupt, Exception) as error:  # noqa: BLE001 -- the one place a bug becomes a line, not a traceback
        if debug:
            traceback.print_exception(error, file=err)
        print(f"pmsheets: {failure_line(error)}", file=err)
        outcome.code = ExitCode.FAILURE


def failure_line(error: BaseException) -> str:
    """The one line a failure ends in: the user's to fix, an outage, or a bug to report."""
    if isinstance(error, PmsheetsError):
        return f"error: {visible(str(error))}"
    if isinstance(error, KeyboardInterrupt):
        return "interrupted; what was written is complete (every file is replaced whole, or not at all)"
    reason = failure_reason(error)
    if reason is not None:
        return f"error: cannot reach {failed_host(error) or 'the server'}: {reason}. Check the network and the proxy, then try again."
    if isinstance(error, OSError) and error.filename:
        return f"error: {visible(str(error.filename))}: {error.strerror}. Check the path, its permissions and the free space."
    first = visible(str(error).splitlines()[0] if str(error) else "")[:200]
    return f"internal error (a bug): {type(error).__name__}: {first}. Please run the same command again with --debug and report its output."


def _silence_stdout() -> None:
    """Point stdout at /dev/null so the interpreter's final flush does not raise again."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass
    finally:
        os.close(devnull)


def entrypoint() -> None:
    sys.exit(main())


# --- commands ------------------------------------------------------------------------------------


def cmd_validate(args: argparse.Namespace, out: TextIO, err: TextIO) -> ExitCode:
    checked = check_register(config_module.load(config_module.config_path(args.config)), args.as_of, read_back=True)
    backend, result = checked.backend, checked.validation
    if checked.documents.problem is not None:
        print(f"pmsheets: warning: post-mortem documents not checked: {visible(checked.documents.problem)}", file=err)
    if args.format == "json":
        json.dump(result.as_json(), out, indent=2, ensure_ascii=False)
        out.write("\n")
    else:
        width = shutil.get_terminal_size().columns if out.isatty() else None
        print_table(result, out, color=_wants_color(out), width=width, timezone=checked.timezone)
    # A what-if (--as-of) is the asker's own: the shared tab keeps showing today's findings unless --write says otherwise.
    if args.no_write or (args.as_of is not None and not args.write):
        if args.as_of is not None and not args.no_write and args.format == "table":
            print("What-if: the Findings tab was not written (add --write to write these findings there).", file=out)
        return ExitCode.FINDINGS if result.has_errors else ExitCode.OK
    look = FindingsLook(findings_stamp(result.as_of, checked.timezone, __version__), checked.config.findings.highlight)
    try:
        shown, written = write_findings_if_changed(backend, findings_rows(result.findings, result.register), look=look)
    except WriteRefused as error:
        print(f"pmsheets: error: {visible(str(error))} Or pass --no-write to only print the findings.", file=err)
        return ExitCode.FAILURE
    if args.format == "table":
        done = "updated" if written else "already up to date"
        print(f"Findings tab of {visible(backend.describe())} {done}{not_all_shown(shown, len(result.findings))}.", file=out)
    return ExitCode.FINDINGS if result.has_errors else ExitCode.OK


def cmd_init(args: argparse.Namespace, out: TextIO, _err: TextIO) -> ExitCode:
    now = as_of(args.as_of, ZoneInfo("UTC"))
    what = "a demo register" if args.demo else "an empty register"
    if args.sheet:
        return _init_sheet(args, out, what, now)
    path = Path(args.xlsx)
    create_register(path, demo_rows(now) if args.demo else None)
    config_path = config_module.config_path(args.config)
    validate_command = _command(args.config, "validate")
    if config_module.write_starter(config_path, register_path=path):
        print(f"Created {what} {path} and the config {config_path} that points at it. Next: {validate_command}", file=out)
    elif _configured_register(config_path) == path.resolve():
        print(f"Created {what} {path}, which the config {config_path} already points at. Next: {validate_command}", file=out)
    else:
        relative = os.path.relpath(path.resolve(), config_path.resolve().parent)
        print(f"Created {what} {path}. Set register.path: {relative} in {config_path}, then run: {validate_command}", file=out)
    return ExitCode.OK


def _init_sheet(args: argparse.Namespace, out: TextIO, what: str, now: datetime) -> ExitCode:
    from pmsheets.cli.demo import demo_tables
    from pmsheets.register.google import open_sheets_register
    from pmsheets.register.google_auth import login_scopes

    config = load_config_or_defaults(args.config)
    key = config_module.spreadsheet_key(args.sheet)
    if config.source is not None and config.register.backend != "google":
        msg = (
            f"the config {config.source} has register.backend: {config.register.backend} (the workbook {config.register.path}), "
            "and init --sheet lays out a Google Sheet with that config's Google credentials. "
            f"To switch, set register.backend: google, register.spreadsheet: {key} and register.credentials: KEY.json in {config.source} "
            "(docs/google-sheets.md; for the local emulator also register.api_endpoint, docs/emulator.md), then run this again."
        )
        raise UsageError(msg)
    register = replace(config.register, backend="google", spreadsheet=key)
    backend = open_sheets_register(register, login=login_scopes(replace(config, register=register)))
    backend.initialize(demo_tables(now) if args.demo else None)
    validate_command = _command(args.config, "validate")
    if config.register.backend == "google" and config.register.spreadsheet == key:
        print(f"Set up {backend.describe()} as {what}. Next: {validate_command}", file=out)
    else:
        where = config.source or config_module.config_path(args.config)
        print(f"Set up {backend.describe()} as {what}. Set register.spreadsheet: {key} in {where}, then run: {validate_command}", file=out)
    return ExitCode.OK


def _command(explicit_config: str | None, command: str) -> str:
    """The command to suggest, with the --config the user gave (without it, pmsheets would look elsewhere)."""
    return f"pmsheets --config {explicit_config} {command}" if explicit_config else f"pmsheets {command}"


def _configured_register(config_path: Path) -> Path | None:
    """The workbook an existing config points at, None when it cannot be read or is not a workbook config."""
    try:
        config = config_module.load(config_path)
    except PmsheetsError:
        return None
    return config.register.path.resolve() if config.register.backend == "xlsx" else None


def cmd_doctor(args: argparse.Namespace, out: TextIO, _err: TextIO) -> ExitCode:
    from pmsheets.cli.doctor import diagnose

    failed = False
    for check in diagnose(config_module.config_path(args.config)):
        print(check.line(), file=out)
        failed |= not check.ok and not check.warning
    return ExitCode.FAILURE if failed else ExitCode.OK


def cmd_generate(args: argparse.Namespace, out: TextIO, err: TextIO) -> ExitCode:
    checked = check_register(config_module.load(config_module.config_path(args.config)), args.as_of)
    drafted = draft_and_link(
        checked.config,
        checked.backend,
        checked.raw.tables,
        checked.validation.register,
        as_of=checked.validation.as_of,
        policy=checked.config.policy_in(checked.timezone),
        only=args.incident,
        force=args.force,
        dry_run=args.dry_run,
    )
    print_documents(drafted.results, drafted.where, out, dry_run=args.dry_run)
    if drafted.published:
        print(f"{drafted.published[0].upper()}{drafted.published[1:]}.", file=out)
    if drafted.problem is not None:
        print(f"pmsheets: error: {visible(str(drafted.problem))}{_unlinked(drafted)}", file=err)
        return ExitCode.FAILURE
    code = ExitCode.NOT_DELIVERED if drafted.conflict else ExitCode.OK
    if args.dry_run:
        print_planned_links(drafted.planned, out)
    elif drafted.links:
        print(
            f"Filled in {checked.backend.describe()}: {', '.join(drafted.cells)}" if drafted.cells else "No blank register cell to fill.",
            file=out,
        )
    return code


def _unlinked(drafted: Drafted) -> str:
    return " The documents are written; run generate again to link them." if isinstance(drafted.problem, WriteRefused) else ""


def cmd_emulator(args: argparse.Namespace, _out: TextIO, err: TextIO) -> ExitCode:
    from sheets_emulator.cli import main as emulator_main

    return ExitCode(emulator_main(args.extra, err=err))


def load_config_or_defaults(explicit: str | None) -> config_module.Config:
    """Commands that can run without a config file use the defaults when none is there."""
    path = config_module.config_path(explicit)
    if explicit is None and not path.exists():
        return config_module.Config()
    return config_module.load(path)


# --- shared pieces -------------------------------------------------------------------------------


_COLORS = {Level.ERROR: "\033[31m", Level.WARNING: "\033[33m", Level.INFO: "\033[36m"}
_RESET, _BOLD = "\033[0m", "\033[1m"
# Register text reaches the terminal: C0/C1 controls, DEL and bidi overrides are shown escaped (\r, \x1b, \u202e),
# so a cell cannot move the cursor, fake a line, recolour the output or reorder what a line seems to say.
_ESCAPED = {
    code: chr(code).encode("unicode_escape").decode("ascii")
    for code in (*range(0x20), *range(0x7F, 0xA0), 0x200E, 0x200F, *range(0x202A, 0x202F), *range(0x2066, 0x206A))
}


def visible(text: str) -> str:
    """`text` with every control character shown as its escape, for printing to a terminal."""
    return text.translate(_ESCAPED)


def _wants_color(out: TextIO) -> bool:
    return out.isatty() and "NO_COLOR" not in os.environ and os.environ.get("TERM") != "dumb"


def print_table(result: Validation, out: TextIO, *, color: bool, width: int | None = None, timezone: tzinfo | None = None) -> None:
    """Linter-style lines grouped by tab: cell, incident or action ID, level, rule, message.

    `width` (a terminal's) wraps each message under itself; None (piped) keeps one line per finding.
    An info finding on a cell that also has a warning or error says nothing the PM does not already
    have to fix, so the table leaves it out (the JSON keeps it)."""
    findings = table_findings(result.findings)
    width_of = {
        "cell": max((len(visible(f.cell or "-")) for f in findings), default=0),
        "id": max((len(visible(f.action or f.incident or "-")) for f in findings), default=0),
        "rule": max((len(f.rule) for f in findings), default=0),
    }
    group = None
    for finding in findings:
        tab = visible(finding.cell.rsplit("!", 1)[0].strip("'") if finding.cell else "Register")
        if tab != group:
            group = tab
            print(f"{_BOLD}{tab}{_RESET}" if color else tab, file=out)
        level = f"{finding.level:<7}"
        if color:
            level = f"{_COLORS[finding.level]}{level}{_RESET}"
        cell = f"{visible(finding.cell or '-'):<{width_of['cell']}}"
        record = f"{visible(finding.action or finding.incident or '-'):<{width_of['id']}}"
        prefix = f"  {cell}  {record}  {level}  {finding.rule:<{width_of['rule']}}  "
        plain = len(prefix) - (len(level) - 7)
        message = _wrapped(visible(finding.message), plain, width)
        print((prefix.rstrip() if message.startswith("\n") else prefix) + message, file=out)
    counts = result.counts
    as_of = result.as_of.astimezone(timezone) if timezone is not None else result.as_of
    print(f"{counts['error']} error(s), {counts['warning']} warning(s), {counts['info']} info as of {as_of:%Y-%m-%d %H:%M %Z}", file=out)


_MIN_MESSAGE_WIDTH = 40
_NARROW_INDENT = 6


def _wrapped(message: str, indent: int, width: int | None) -> str:
    """The message wrapped to `width` under its own first column; on a narrow terminal it starts on the next line."""
    if width is None:
        return message
    if width - indent < _MIN_MESSAGE_WIDTH:
        indent = _NARROW_INDENT
        lines = textwrap.wrap(message, max(width - indent, 20), break_on_hyphens=False)
        return "".join("\n" + " " * indent + line for line in lines)
    lines = textwrap.wrap(message, width - indent, break_on_hyphens=False) or [""]
    return ("\n" + " " * indent).join(lines)


def table_findings(findings: Sequence[Finding]) -> list[Finding]:
    """The findings the table shows: an info on a cell that has a warning or error is left out."""
    serious = {f.cell for f in findings if f.level is not Level.INFO and f.cell is not None}
    return [f for f in findings if f.level is not Level.INFO or f.cell is None or f.cell not in serious]


def print_documents(results: Sequence[DocumentResult], where: str, out: TextIO, *, dry_run: bool) -> None:
    """One line per document, then the counts; a dry run says nothing was written."""
    if dry_run:
        print("Dry run: nothing is written. generate would do this:", file=out)
    width = max((len(result.incident_id) for result in results), default=0)
    for result in results:
        backup = f" ({result.backup})" if result.backup is not None else ""
        print(f"  {result.incident_id:<{width}}  {result.name}: {result.outcome}{backup}", file=out)
    if not results:
        print("No incident needs a new post-mortem draft (pmsheets generate --incident ID writes one anyway).", file=out)
        return
    counts = Counter(str(result.outcome) for result in results)
    print(f"{', '.join(f'{n} {outcome}' for outcome, n in counts.items())} in {where}", file=out)
    if counts.get(str(Outcome.KEPT)):
        print("Edited documents are never overwritten; --force --incident ID regenerates one and keeps a .bak.", file=out)


def print_planned_links(updates: Mapping[str, Mapping[str, str]], out: TextIO) -> None:
    for incident_id, cells in updates.items():
        print(f"  would fill {incident_id}: {', '.join(cells)}", file=out)
