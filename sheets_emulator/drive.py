"""The few Drive v3 `files` calls gspread makes to create, find and delete spreadsheets."""

from __future__ import annotations

import re
from typing import Any

from sheets_emulator.errors import DriveError
from sheets_emulator.fields import apply_mask, parse_mask
from sheets_emulator.model import Spreadsheet
from sheets_emulator.store import Store

SPREADSHEET_MIME = "application/vnd.google-apps.spreadsheet"
_DEFAULT_FILE_FIELDS = "kind,id,name,mimeType"
_DEFAULT_LIST_FIELDS = "kind,incompleteSearch,files(kind,id,name,mimeType)"
_CLAUSE = re.compile(r"""^\s*(mimeType|name)\s*(=|!=|contains)\s*(['"])(.*)\3\s*$""")


def file_json(ss: Spreadsheet) -> dict[str, Any]:
    return {
        "kind": "drive#file",
        "id": ss.id,
        "name": ss.title,
        "mimeType": SPREADSHEET_MIME,
        "createdTime": ss.created,
        "modifiedTime": ss.modified,
        "version": str(ss.version),  # int64, a JSON string as Drive sends it
    }


def create(store: Store, body: dict[str, Any], user: str) -> dict[str, Any]:
    if body.get("mimeType") != SPREADSHEET_MIME:
        raise DriveError(400, "The emulator only creates Google Sheets files.", "badRequest")
    spreadsheet_id = store.create_spreadsheet(body.get("name") or "Untitled spreadsheet", owner=user)
    answer = file_json(store.spreadsheet(spreadsheet_id))
    return {k: answer[k] for k in ("kind", "id", "name", "mimeType")}


def visible(store: Store, file_id: str, user: str) -> Spreadsheet:
    ss = store.spreadsheets.get(file_id)
    if ss is None or user not in ss.shared_with:
        raise DriveError(404, f"File not found: {file_id}.", "notFound")
    return ss


def get(store: Store, file_id: str, user: str, query: dict[str, str]) -> dict[str, Any]:
    if file_id in store.docs.folders or file_id in store.docs.docs:
        return masked(store.docs.get(file_id, user, query), query.get("fields"))
    return masked(file_json(visible(store, file_id, user)), query.get("fields"))


def masked(answer: dict[str, Any], fields: str | None) -> dict[str, Any]:
    shown: dict[str, Any] = apply_mask(answer, parse_mask(fields or _DEFAULT_FILE_FIELDS))
    return shown


def delete(store: Store, file_id: str, user: str) -> None:
    ss = visible(store, file_id, user)
    if ss.owner and ss.owner != user:
        raise DriveError(403, "The user does not have sufficient permissions for this file.", "insufficientFilePermissions")
    store.delete_spreadsheet(file_id)


def list_files(store: Store, user: str, query: dict[str, str]) -> dict[str, Any]:
    q = query.get("q", "")
    if "in parents" in q or "appProperties" in q:
        files = store.docs.listed(user, query)  # the Docs of the post-mortem path
    else:
        tests = [_clause(c) for c in re.split(r"\s+and\s+", q) if c.strip()]
        files = [file_json(ss) for ss in store.spreadsheets.values() if user in ss.shared_with]
        files = [f for f in files if all(test(f) for test in tests)]
    files.sort(key=lambda f: f["modifiedTime"], reverse=True)
    start = int(query.get("pageToken") or 0)
    size = int(query.get("pageSize") or 100)
    answer: dict[str, Any] = {"kind": "drive#fileList", "incompleteSearch": False, "files": files[start : start + size]}
    if start + size < len(files):
        answer["nextPageToken"] = str(start + size)
    shown: dict[str, Any] = apply_mask(answer, parse_mask(query.get("fields") or _DEFAULT_LIST_FIELDS))
    return shown


def _clause(text: str) -> Any:
    if text.strip() in ("trashed = false", "trashed=false"):
        return lambda f: True
    found = _CLAUSE.match(text)
    if not found:
        raise DriveError(400, f"Invalid Value: the emulator does not understand the query clause {text!r}", "invalid")
    field, op, _, value = found.groups()
    value = value.replace("\\'", "'").replace('\\"', '"')
    if op == "=":
        return lambda f: f[field] == value
    if op == "!=":
        return lambda f: f[field] != value
    return lambda f: value.lower() in f[field].lower()
