"""A stateful fake of the Google Sheets API v4 on 127.0.0.1, for tests and local runs.

See docs/emulator.md. The real gspread and google-auth code talk to it over HTTP.
"""

from __future__ import annotations

from pmsheets.emulator.errors import ApiError
from pmsheets.emulator.faults import DROP, Faults, LoggedRequest, Quota
from pmsheets.emulator.server import DEFAULT_EMAIL, SheetsEmulator
from pmsheets.emulator.store import Store

__all__ = ["DEFAULT_EMAIL", "DROP", "ApiError", "Faults", "LoggedRequest", "Quota", "SheetsEmulator", "Store"]
