"""Options shared by several commands, declared once: the global ones and --as-of."""

from __future__ import annotations

import argparse
from datetime import datetime
from typing import NoReturn
from zoneinfo import ZoneInfo

from pmsheets import config as config_module
from pmsheets.errors import UsageError

LOG_FORMATS = ("text", "json")


class Parser(argparse.ArgumentParser):
    """An argparse parser whose usage errors go through the CLI's failure boundary: one line, exit 2.

    argparse's own would print the usage first, which wraps over several lines for most commands.
    """

    def error(self, message: str) -> NoReturn:
        msg = f"{message}. See: {self.prog} --help"
        raise UsageError(msg)


def add_global_options(parser: argparse.ArgumentParser, *, on_command: bool) -> None:
    """--config, --debug and --log-format, accepted before the command and after it.

    On a command's parser the defaults are SUPPRESS, so an option given before the command
    is not reset by the command's parser when it is not repeated there.
    """

    def default(value: object) -> object:
        return argparse.SUPPRESS if on_command else value

    parser.add_argument(
        "--config",
        metavar="PATH",
        default=default(None),
        help=f"config file (default: ${config_module.CONFIG_ENV} or ./pmsheets.yaml)",
    )
    parser.add_argument(
        "--debug", action="store_true", default=default(False), help="on a failure, print the full traceback (for a bug report)"
    )
    parser.add_argument(
        "--log-format",
        choices=LOG_FORMATS,
        default=default("text"),
        help="run and worker: one line per event as text or JSON (default: text)",
    )


def add_as_of(parser: argparse.ArgumentParser, doing: str) -> None:
    """--as-of DATETIME: `doing` as if it were that time; read with `as_of()` once the time zone is known."""
    parser.add_argument("--as-of", metavar="DATETIME", type=as_of_value, help=f"{doing} as if it were this time (ISO 8601; default: now)")


def as_of_value(text: str) -> datetime:
    """The option's text as a datetime, naive when it has no offset."""
    try:
        return datetime.fromisoformat(text.strip())
    except ValueError:
        msg = f"{text!r} is not an ISO 8601 date or time; use e.g. 2026-11-27 or 2026-11-27T09:00+01:00"
        raise argparse.ArgumentTypeError(msg) from None


def as_of(value: datetime | None, timezone: ZoneInfo) -> datetime:
    """The --as-of time, in `timezone` when it was given without an offset; now when absent."""
    if value is None:
        return datetime.now(timezone)
    return value if value.tzinfo is not None else value.replace(tzinfo=timezone)
