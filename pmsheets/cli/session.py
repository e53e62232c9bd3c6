"""The steps every command starts with: open the configured register, read it once, check it.

The CLI modules and the worker call these instead of each repeating the sequence.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from pmsheets.cli.options import as_of
from pmsheets.config import Config
from pmsheets.core.check import Validation, validate
from pmsheets.core.documents import NO_DOCUMENTS, Documents
from pmsheets.core.overdue import Overdue, find_overdue
from pmsheets.outputs.publish import read_documents
from pmsheets.register import RawRegister, RegisterBackend, all_but_findings
from pmsheets.register.xlsx import XlsxRegister


@dataclass(frozen=True, slots=True)
class Checked:
    """A register read and checked at one as-of time: what the commands start from."""

    config: Config
    backend: RegisterBackend
    raw: RawRegister
    validation: Validation
    documents: Documents = NO_DOCUMENTS
    """The post-mortem documents read back for the check (only when asked for)."""

    @property
    def timezone(self) -> ZoneInfo:
        return self.config.effective_timezone(self.raw.timezone)

    @property
    def overdue(self) -> Overdue:
        return find_overdue(self.validation.register, as_of=self.validation.as_of, policy=self.config.policy_in(self.timezone))


def open_backend(config: Config) -> RegisterBackend:
    if config.register.backend == "google":
        from pmsheets.register.google import open_sheets_register  # deferred: gspread is slow to import
        from pmsheets.register.google_auth import login_scopes

        return open_sheets_register(config.register, login=login_scopes(config))
    return XlsxRegister(config.register.path)


def check_register(config: Config, as_of_value: datetime | None, *, read_back: bool = False) -> Checked:
    """Read the register once and check it; an --as-of without offset is in the register's time zone.

    With `read_back`, the post-mortem documents are read too (where postmortems.publish keeps
    them) and the checks compare them with the register.
    """
    backend = open_backend(config)
    raw = backend.read(all_but_findings)
    timezone = config.effective_timezone(raw.timezone)
    moment = as_of(as_of_value, timezone)
    documents = read_documents(config) if read_back else NO_DOCUMENTS
    policy, settings = config.policy_in(timezone), config.parse_settings(timezone)
    validation = validate(raw.tables, as_of=moment, policy=policy, settings=settings, documents=documents)
    return Checked(config, backend, raw, validation, documents)
