"""A stateful fake of the Google Sheets API v4 on 127.0.0.1, for tests and local runs.

See docs/emulator.md. The real gspread and google-auth code talk to it over HTTP.
"""

from __future__ import annotations

from sheets_emulator.errors import ApiError
from sheets_emulator.faults import DROP, USER_RATE_LIMIT, Faults, LoggedRequest, Quota
from sheets_emulator.server import DEFAULT_EMAIL, SheetsEmulator
from sheets_emulator.store import Store

__all__ = ["DEFAULT_EMAIL", "DROP", "USER_RATE_LIMIT", "ApiError", "Faults", "LoggedRequest", "Quota", "SheetsEmulator", "Store"]
