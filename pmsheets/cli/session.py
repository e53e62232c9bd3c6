"""The steps every command starts with: open the configured register, read it once, check it.

The CLI modules and the worker call these instead of each repeating the sequence.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from pmsheets.config import Config
from pmsheets.core.check import Validation, validate
from pmsheets.core.overdue import Overdue, find_overdue
from pmsheets.errors import UsageError
from pmsheets.register import RawRegister, RegisterBackend, all_but_findings
from pmsheets.register.xlsx import XlsxRegister


@dataclass(frozen=True, slots=True)
class Checked:
    """A register read and checked at one as-of time: what the commands start from."""

    config: Config
    backend: RegisterBackend
    raw: RawRegister
    validation: Validation

    @property
    def timezone(self) -> ZoneInfo:
        return self.config.effective_timezone(self.raw.timezone)

    @property
    def overdue(self) -> Overdue:
        return find_overdue(self.validation.register, as_of=self.validation.as_of, policy=self.config.policy_in(self.timezone))


def open_backend(config: Config) -> RegisterBackend:
    if config.register.backend == "google":
        from pmsheets.register.google import open_sheets_register  # deferred: gspread is slow to import

        return open_sheets_register(config.register)
    return XlsxRegister(config.register.path)


def parse_as_of(text: str | None, timezone: ZoneInfo) -> datetime:
    """--as-of: ISO 8601, in `timezone` when it has no offset; now when absent."""
    if text is None:
        return datetime.now(timezone)
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        msg = f"--as-of {text!r} is not an ISO 8601 date or time; use e.g. 2026-11-27 or 2026-11-27T09:00+01:00"
        raise UsageError(msg) from None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=timezone)


def check_register(config: Config, as_of: str | None) -> Checked:
    """Read the register once and check it; the as-of text is read in the register's time zone."""
    backend = open_backend(config)
    raw = backend.read(all_but_findings)
    timezone = config.effective_timezone(raw.timezone)
    moment = parse_as_of(as_of, timezone)
    validation = validate(raw.tables, as_of=moment, policy=config.policy_in(timezone), settings=config.parse_settings(timezone))
    return Checked(config, backend, raw, validation)
