"""Which operation an HTTP request is, as the Sheets v4 and Drive v3 URLs spell it."""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import unquote

SHEETS_ROUTES: list[tuple[str, re.Pattern[str], str]] = [
    ("POST", re.compile(r"^/v4/spreadsheets/?$"), "spreadsheets.create"),
    ("GET", re.compile(r"^/v4/spreadsheets/(?P<id>[^/:]+)$"), "spreadsheets.get"),
    ("POST", re.compile(r"^/v4/spreadsheets/(?P<id>[^/:]+):batchUpdate$"), "spreadsheets.batchUpdate"),
    ("GET", re.compile(r"^/v4/spreadsheets/(?P<id>[^/:]+)/values:batchGet$"), "spreadsheets.values.batchGet"),
    ("POST", re.compile(r"^/v4/spreadsheets/(?P<id>[^/:]+)/values:batchUpdate$"), "spreadsheets.values.batchUpdate"),
    ("POST", re.compile(r"^/v4/spreadsheets/(?P<id>[^/:]+)/values:batchClear$"), "spreadsheets.values.batchClear"),
    ("POST", re.compile(r"^/v4/spreadsheets/(?P<id>[^/:]+)/values/(?P<range>.+):append$"), "spreadsheets.values.append"),
    ("POST", re.compile(r"^/v4/spreadsheets/(?P<id>[^/:]+)/values/(?P<range>.+):clear$"), "spreadsheets.values.clear"),
    ("GET", re.compile(r"^/v4/spreadsheets/(?P<id>[^/:]+)/values/(?P<range>.+)$"), "spreadsheets.values.get"),
    ("PUT", re.compile(r"^/v4/spreadsheets/(?P<id>[^/:]+)/values/(?P<range>.+)$"), "spreadsheets.values.update"),
]
DRIVE_ROUTES: list[tuple[str, re.Pattern[str], str]] = [
    ("POST", re.compile(r"^/drive/v3/files/?$"), "drive.files.create"),
    ("POST", re.compile(r"^/upload/drive/v3/files/?$"), "drive.files.create"),
    ("PATCH", re.compile(r"^/(?:upload/)?drive/v3/files/(?P<id>[^/]+)$"), "drive.files.update"),
    ("GET", re.compile(r"^/drive/v3/files/(?P<id>[^/]+)/export$"), "drive.files.export"),
    ("GET", re.compile(r"^/drive/v3/files/?$"), "drive.files.list"),
    ("GET", re.compile(r"^/drive/v3/files/(?P<id>[^/]+)$"), "drive.files.get"),
    ("DELETE", re.compile(r"^/drive/v3/files/(?P<id>[^/]+)$"), "drive.files.delete"),
]


@dataclass(frozen=True)
class Route:
    """A matched operation: its discovery-document method id and path parameters (decoded)."""

    method_id: str
    spreadsheet_id: str = ""
    range: str = ""

    @property
    def is_drive(self) -> bool:
        return self.method_id.startswith("drive.")

    @property
    def kind(self) -> str:
        """Quota bucket: Sheets GETs are reads, other Sheets calls writes, Drive calls neither."""
        if self.is_drive:
            return "drive"
        return "read" if self.method_id in ("spreadsheets.get", "spreadsheets.values.get", "spreadsheets.values.batchGet") else "write"


def match(method: str, path: str) -> Route | None:
    for verb, pattern, method_id in SHEETS_ROUTES + DRIVE_ROUTES:
        found = pattern.match(path)
        if verb == method and found:
            groups = found.groupdict()
            return Route(method_id, unquote(groups.get("id") or ""), unquote(groups.get("range") or ""))
    return None
