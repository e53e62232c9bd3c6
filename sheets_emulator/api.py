"""One API request from start to answer: faults, auth, sharing, quota, the operation, the log."""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs

from pmsheets.gc_pause import paused_gc
from sheets_emulator import docs, drive
from sheets_emulator.auth import DRIVE_METADATA_SCOPES, DRIVE_SCOPES, READ_SCOPES, WRITE_SCOPES, Authority, Token, TokenError, require_scope
from sheets_emulator.errors import ApiError
from sheets_emulator.faults import DROP, Faults, LoggedRequest, Quota, fault_error
from sheets_emulator.routes import Route, match
from sheets_emulator.store import Store

PERMISSION_DENIED = "The caller does not have permission"


@dataclass
class HttpRequest:
    method: str
    path: str
    query: str
    body: bytes
    headers: dict[str, str]


@dataclass
class HttpResponse:
    status: int
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)


MAX_REQUEST_BYTES = 10_485_760
"""The service refuses a larger request body (HTTP 400); its documentation recommends 2 MB at most."""


class Api:
    """Serves requests against a Store; `on_exchange(route, request, response)` sees every answered one."""

    def __init__(self, store: Store, authority: Authority, quota: Quota, faults: Faults) -> None:
        self.max_request_bytes = MAX_REQUEST_BYTES
        self.store = store
        self.authority = authority
        self.quota = quota
        self.faults = faults
        self.log: list[LoggedRequest] = []
        self.internal_errors: list[Exception] = []
        self.token_requests = 0
        self.token_uri = ""
        self.emulator: Any = None
        self.on_exchange: Any = None
        self._lock = threading.Lock()

    def handle(self, request: HttpRequest) -> HttpResponse | str:
        if request.path == "/token":
            return self._token(request)
        if self.faults.latency:
            self.faults.sleep(self.faults.latency)
        # The collector is paused for the request: a 300 MB updateCells body is millions of dicts that
        # all die with it, and GC passes over them (and the stored sheets) would double its time.
        with self._lock, paused_gc():
            return self._serve(request)

    def _token(self, request: HttpRequest) -> HttpResponse:
        self.token_requests += 1
        form = {k: v[0] for k, v in parse_qs(request.body.decode("utf-8", "replace")).items()}
        try:
            return HttpResponse(200, self.authority.exchange(form, self.token_uri))
        except TokenError as error:
            return HttpResponse(error.status, error.body)

    def _serve(self, request: HttpRequest) -> HttpResponse | str:
        number = len(self.log) + 1
        route = match(request.method, request.path)
        fault = self.faults.next_fault()
        if fault == DROP:
            self._record(number, request, route, 0, "")
            return DROP
        user = ""
        try:
            if fault is not None:
                raise fault_error(fault)
            token = self.authority.token_for(request.headers.get("authorization"))
            user = token.email
            if route is None:
                raise ApiError(501, f"The emulator does not serve {request.method} {request.path}.", "UNIMPLEMENTED")
            if len(request.body) > self.max_request_bytes:
                msg = f"Request payload size exceeds the limit: {self.max_request_bytes} bytes."
                raise ApiError.invalid(msg)
            self._check_scope_and_quota(route, token)
            response = self._dispatch(route, request, token)
        except ApiError as error:
            response = HttpResponse(error.code, error.body())
        except Exception as error:  # noqa: BLE001  an emulator bug answers 500 like Google would, and the test sees it
            self.internal_errors.append(error)
            response = HttpResponse(500, ApiError(500, f"Emulator bug: {error!r}").body())
        self._record(number, request, route, response.status, user)
        self._after(number, route, request, response)
        return response

    def _after(self, number: int, route: Route | None, request: HttpRequest, response: HttpResponse) -> None:
        """Schema checks and edit hooks; their failures are kept for the test, the answer still goes out."""
        try:
            if self.on_exchange is not None and route is not None:
                self.on_exchange(route, request, response)
            for hook in self.faults.hooks_after(number):
                hook(self.emulator)
        except Exception as error:  # noqa: BLE001  kept for the test to fail on; the answer has gone out already
            self.internal_errors.append(error)

    def _record(self, number: int, request: HttpRequest, route: Route | None, status: int, user: str) -> None:
        kind = route.kind if route else "unknown"
        self.log.append(LoggedRequest(number, request.method, request.path, kind, status, user))

    def _check_scope_and_quota(self, route: Route, token: Token) -> None:
        require_scope(token, _scopes_for(route))
        if not route.is_drive:
            self.quota.charge(token.email, route.kind)

    def _dispatch(self, route: Route, request: HttpRequest, token: Token) -> HttpResponse:
        query = parse_qs(request.query, keep_blank_values=True)
        if request.path.startswith("/upload/") or route.method_id == "drive.files.update":
            return _drive_upload(self.store, route, request, token.email, {k: v[0] for k, v in query.items()})
        body = _json_body(request.body)
        if route.is_drive:
            return _drive(self.store, route, request, token.email, query, body)
        if route.method_id != "spreadsheets.create":
            self._check_shared(route.spreadsheet_id, token.email)
        return HttpResponse(200, sheets_operation(self.store, route, query, body, token.email))

    def _check_shared(self, spreadsheet_id: str, email: str) -> None:
        ss = self.store.spreadsheet(spreadsheet_id)
        if email not in ss.shared_with:
            raise ApiError(403, PERMISSION_DENIED)


def _json_body(raw: bytes) -> dict[str, Any]:
    if not raw.strip():
        return {}
    try:
        body = json.loads(raw)
    except ValueError:
        msg = "Invalid JSON payload received."
        raise ApiError.invalid(msg) from None
    if not isinstance(body, dict):
        msg = "Invalid JSON payload received. Expected an object."
        raise ApiError.invalid(msg)
    return body


def _first(query: dict[str, list[str]], name: str, default: str | None = None) -> str | None:
    values = query.get(name)
    return values[0] if values else default


def _flag(query: dict[str, list[str]], name: str) -> bool:
    return (_first(query, name) or "false").lower() == "true"


def sheets_operation(store: Store, route: Route, query: dict[str, list[str]], body: dict[str, Any], user: str) -> dict[str, Any]:
    sid, method = route.spreadsheet_id, route.method_id
    render = {
        "value_render": _first(query, "valueRenderOption", "FORMATTED_VALUE") or "FORMATTED_VALUE",
        "date_time_render": _first(query, "dateTimeRenderOption", "SERIAL_NUMBER") or "SERIAL_NUMBER",
        "major": _first(query, "majorDimension", "ROWS") or "ROWS",
    }
    if method == "spreadsheets.get":
        ranges, fields = query.get("ranges", []), _first(query, "fields")
        return store.get(sid, ranges=ranges, include_grid_data=_flag(query, "includeGridData"), fields=fields)
    if method == "spreadsheets.create":
        return _create(store, body, user)
    if method == "spreadsheets.batchUpdate":
        return store.batch_update(sid, body, user=user)
    if method == "spreadsheets.values.get":
        return store.values_get(sid, route.range, **render)
    if method == "spreadsheets.values.batchGet":
        return store.values_batch_get(sid, query.get("ranges", []), **render)
    return _values_write(store, route, query, body)


def _values_write(store: Store, route: Route, query: dict[str, list[str]], body: dict[str, Any]) -> dict[str, Any]:
    sid, method = route.spreadsheet_id, route.method_id
    input_option = _first(query, "valueInputOption")
    include = _flag(query, "includeValuesInResponse")
    if method == "spreadsheets.values.update":
        return store.values_update(sid, route.range, body, input_option=input_option, include_values=include)
    if method == "spreadsheets.values.append":
        insert = _first(query, "insertDataOption", "OVERWRITE") or "OVERWRITE"
        return store.values_append(sid, route.range, body, input_option=input_option, insert_option=insert, include_values=include)
    if method == "spreadsheets.values.clear":
        return store.values_clear(sid, route.range)
    if method == "spreadsheets.values.batchUpdate":
        return store.values_batch_update(sid, body)
    return store.values_batch_clear(sid, body)


def _create(store: Store, body: dict[str, Any], user: str) -> dict[str, Any]:
    props = body.get("properties") or {}
    titles = [(s.get("properties") or {}).get("title") or f"Sheet{i + 1}" for i, s in enumerate(body.get("sheets") or [])]
    spreadsheet_id = store.create_spreadsheet(
        props.get("title") or "Untitled spreadsheet",
        sheets=titles or None,
        owner=user,
        time_zone=props.get("timeZone") or "Etc/GMT",
        locale=props.get("locale") or "en_US",
    )
    return store.get(spreadsheet_id)


def _drive(store: Store, route: Route, request: HttpRequest, user: str, query: dict[str, list[str]], body: dict[str, Any]) -> HttpResponse:
    flat = {k: v[0] for k, v in query.items()}
    with store.lock:
        if route.method_id == "drive.files.create":
            return HttpResponse(200, drive.create(store, body, user))
        if route.method_id == "drive.files.list":
            return HttpResponse(200, drive.list_files(store, user, flat))
        if route.method_id == "drive.files.get":
            return HttpResponse(200, drive.get(store, route.spreadsheet_id, user, flat))
        if route.method_id == "drive.files.export":
            text = store.docs.export(route.spreadsheet_id, user, flat.get("mimeType"))
            return HttpResponse(200, text, {"Content-Type": f"{flat.get('mimeType')}; charset=utf-8"})
        drive.delete(store, route.spreadsheet_id, user)
        return HttpResponse(204, None, {"Content-Type": "text/html"})


def _scopes_for(route: Route) -> frozenset[str]:
    if route.method_id in ("drive.files.get", "drive.files.list"):
        return DRIVE_METADATA_SCOPES
    if route.is_drive:
        return DRIVE_SCOPES
    return READ_SCOPES if route.kind == "read" else WRITE_SCOPES


def _drive_upload(store: Store, route: Route, request: HttpRequest, user: str, query: dict[str, str]) -> HttpResponse:
    """files.create / files.update of a Google Doc, with its content uploaded (multipart or media) or metadata only."""
    content_type = request.headers.get("content-type", "application/json")
    try:
        metadata, media = docs.upload_parts(content_type, request.body, query.get("uploadType"))
    except (ValueError, UnicodeDecodeError):
        msg = "Invalid upload: the metadata must be JSON and the media UTF-8 text."
        raise ApiError.invalid(msg) from None
    with store.lock:
        if route.method_id == "drive.files.create":
            if media is None:
                msg = "A Google Doc is created from uploaded content here."
                raise ApiError.invalid(msg)
            answer = store.docs.create(metadata, media, user, query)
        else:
            answer = store.docs.update(route.spreadsheet_id, metadata, media, user, query)
    return HttpResponse(200, drive.masked(answer, query.get("fields")))
