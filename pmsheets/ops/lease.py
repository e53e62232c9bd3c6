"""The sending lease: at most one worker per register sends reports at a time.

A lease names its holder and an expiry. A holder that crashes never releases it, so it
lapses at its expiry and another worker takes over. Workers on different machines compare
expiries with their own clocks: keep clocks in sync (NTP) and `worker.lease_minutes` far
above any skew and above the time one delivery takes.

- Workbook: a small JSON file beside the workbook (`register.xlsx.worker-lease`), read and
  rewritten under an exclusive flock, so two processes on one machine never both win.
- Google Sheet: a hidden, tool-owned tab `Worker lease`. The Sheets API has no conditional
  write, but a batchUpdate is atomic and `addSheet` refuses a title that exists, while
  `deleteSheet` refuses a sheet id that is gone. So creating the tab is the claim, and a
  takeover deletes the expired tab *by its id* and re-adds it in one request: of two
  workers racing for an expired lease, the second one's request fails as a whole.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Protocol

from pmsheets.errors import RegisterError
from pmsheets.register import RegisterBackend
from pmsheets.register.locate import quote_range

LEASE_TITLE = "Worker lease"
LEASE_HEADERS = ("Holder", "Expires", "Note")
_NOTE = "Owned by pmsheets: the worker that may send reports. Do not edit."


@dataclass(frozen=True, slots=True)
class Claim:
    """Who holds the lease after an attempt to take it, and until when."""

    holder: str
    expires: datetime
    ours: bool

    def describe(self) -> str:
        who = "this worker" if self.ours else self.holder
        return f"{who} until {self.expires.isoformat(timespec='seconds')}"


class Lease(Protocol):
    def acquire(self, now: datetime, ttl: timedelta) -> Claim:
        """Take or renew the lease for this holder unless another holder's is still valid."""
        ...

    def release(self) -> None:
        """Give the lease up if this holder still has it; never fails the caller."""
        ...


def lease_for(backend: RegisterBackend, holder: str) -> Lease:
    from pmsheets.register.xlsx import XlsxRegister

    if isinstance(backend, XlsxRegister):
        return FileLease(backend.path.with_name(backend.path.name + ".worker-lease"), holder)
    from pmsheets.register.sheets import SheetsRegister  # deferred: gspread is slow to import

    if isinstance(backend, SheetsRegister):
        return SheetLease(backend, holder)
    msg = f"{backend.describe()} has no place for a sending lease"
    raise RegisterError(msg)


def _record(holder: str, expires: datetime) -> dict[str, str]:
    return {"holder": holder, "expires": expires.isoformat()}


def _parse(holder: object, expires: object) -> tuple[str, datetime] | None:
    """A lease record, or None when it is unreadable (which counts as free)."""
    try:
        moment = datetime.fromisoformat(str(expires))
    except ValueError:
        return None
    if not holder or moment.tzinfo is None:
        return None
    return str(holder), moment


# --- workbook: a lock file -------------------------------------------------------------------------


class FileLease:
    def __init__(self, path: Path, holder: str) -> None:
        self.path = path
        self.holder = holder

    def acquire(self, now: datetime, ttl: timedelta) -> Claim:
        with self._locked() as handle:
            current = self._current(handle)
            if current is not None and current[0] != self.holder and current[1] > now:
                return Claim(current[0], current[1], ours=False)
            expires = now + ttl
            self._store(handle, _record(self.holder, expires))
            return Claim(self.holder, expires, ours=True)

    def release(self) -> None:
        try:
            with self._locked() as handle:
                current = self._current(handle)
                if current is not None and current[0] == self.holder:
                    self._store(handle, {})
        except RegisterError:
            pass  # an unreleased lease lapses at its expiry

    def _locked(self) -> _LockedFile:
        return _LockedFile(self.path)

    @staticmethod
    def _current(handle: Any) -> tuple[str, datetime] | None:
        handle.seek(0)
        try:
            data = json.loads(handle.read() or "{}")
        except ValueError:
            return None
        return _parse(data.get("holder"), data.get("expires")) if isinstance(data, dict) else None

    @staticmethod
    def _store(handle: Any, record: dict[str, str]) -> None:
        # Rewritten in place, never replaced or deleted: a new inode would let a process
        # waiting on the old one's lock and a newcomer both believe they hold the lock.
        handle.seek(0)
        handle.truncate()
        handle.write(json.dumps(record))
        handle.flush()
        os.fsync(handle.fileno())


class _LockedFile:
    """The lease file opened and flocked for the length of a `with` block."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._handle: Any = None

    def __enter__(self) -> Any:
        try:
            self._handle = self.path.open("a+", encoding="utf-8")
        except OSError as error:
            msg = f"could not open the sending lease {self.path}: {error.strerror or error}"
            raise RegisterError(msg) from None
        fcntl.flock(self._handle, fcntl.LOCK_EX)
        return self._handle

    def __exit__(self, *_: object) -> None:
        fcntl.flock(self._handle, fcntl.LOCK_UN)
        self._handle.close()


# --- Google Sheet: a hidden tab ---------------------------------------------------------------------


class SheetLease:
    """Goes through the register's own requests (`get`, `batch_update`), so the same retries apply."""

    def __init__(self, register: Any, holder: str) -> None:
        self._register = register
        self.holder = holder

    def acquire(self, now: datetime, ttl: timedelta) -> Claim:
        expires = now + ttl
        found = self._read()
        if found is None:
            if self._try(self._create_requests(expires, now), "take the sending lease"):
                return Claim(self.holder, expires, ours=True)
            found = self._read()  # another worker created it just now
            if found is None:
                return Claim("another worker", now, ours=False)
        sheet_id, current = found
        if current is not None and current[0] == self.holder:
            if self._try([self._write_request(sheet_id, expires)], "renew the sending lease"):
                return Claim(self.holder, expires, ours=True)
            return Claim("another worker", now, ours=False)
        if current is not None and current[1] > now:
            return Claim(current[0], current[1], ours=False)
        takeover = [{"deleteSheet": {"sheetId": sheet_id}}, *self._create_requests(expires, now)]
        if self._try(takeover, "take over the expired sending lease"):
            return Claim(self.holder, expires, ours=True)
        return Claim("another worker", now, ours=False)

    def release(self) -> None:
        try:
            found = self._read()
            if found is not None and found[1] is not None and found[1][0] == self.holder:
                self._try([{"deleteSheet": {"sheetId": found[0]}}], "release the sending lease")
        except RegisterError:
            pass  # an unreleased lease lapses at its expiry

    def _read(self) -> tuple[int, tuple[str, datetime] | None] | None:
        """(sheet id, lease) of the lease tab in one request; None when there is no such tab."""
        register = self._register
        params = {
            "ranges": f"{quote_range(LEASE_TITLE)}!A2:B2",
            "includeGridData": "true",
            "fields": "sheets(properties(sheetId),data(rowData(values(userEnteredValue))))",
        }
        try:
            answer = register.get("read the sending lease", params)
        except RegisterError as error:
            if "Unable to parse range" in str(error):
                return None
            raise
        sheet = answer["sheets"][0]
        rows = sheet.get("data", [{}])[0].get("rowData", [])
        cells = [_cell_text(cell) for cell in rows[0].get("values", [])] if rows else []
        return sheet["properties"]["sheetId"], _parse(*[*cells, "", ""][:2])

    def _try(self, requests: list[dict[str, Any]], doing: str) -> bool:
        """Apply atomically; False when another worker changed the lease tab first."""
        register = self._register
        try:
            register.batch_update(doing, requests)
        except RegisterError as error:
            if "already exists" in str(error) or "No grid with id" in str(error):
                return False
            raise
        return True

    def _create_requests(self, expires: datetime, now: datetime) -> list[dict[str, Any]]:
        # The id is chosen here so the same request can fill the new tab.
        sheet_id = int.from_bytes(hashlib.sha256(f"{self.holder}|{now.isoformat()}".encode()).digest()[:4]) % 2_000_000_000 + 1
        properties = {"sheetId": sheet_id, "title": LEASE_TITLE, "hidden": True, "gridProperties": {"rowCount": 2, "columnCount": 3}}
        header = {
            "updateCells": {
                "start": {"sheetId": sheet_id, "rowIndex": 0, "columnIndex": 0},
                "rows": [_row(LEASE_HEADERS)],
                "fields": "userEnteredValue",
            }
        }
        return [{"addSheet": {"properties": properties}}, header, self._write_request(sheet_id, expires)]

    def _write_request(self, sheet_id: int, expires: datetime) -> dict[str, Any]:
        record = _record(self.holder, expires)
        return {
            "updateCells": {
                "start": {"sheetId": sheet_id, "rowIndex": 1, "columnIndex": 0},
                "rows": [_row((record["holder"], record["expires"], _NOTE))],
                "fields": "userEnteredValue",
            }
        }


def _row(values: tuple[str, ...]) -> dict[str, Any]:
    return {"values": [{"userEnteredValue": {"stringValue": value}} for value in values]}


def _cell_text(cell: dict[str, Any]) -> str:
    value = cell.get("userEnteredValue", {})
    return str(next(iter(value.values()), "")) if value else ""
