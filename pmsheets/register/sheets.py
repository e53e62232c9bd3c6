"""The Google Sheets register, through gspread and google-auth.

One read cycle is two API requests whatever the size: the spreadsheet's metadata (tabs,
sheet ids, time zone), then every tab's values in one values:batchGet. The Findings tab is
replaced in one atomic spreadsheets:batchUpdate. Values go in as typed cells, never parsed,
so a message starting with '=' stays text.
"""

from __future__ import annotations

import json
import random
import time
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from json.encoder import encode_basestring_ascii
from typing import Any, TypeVar
from urllib.parse import quote

import gspread
import requests
from google.auth.exceptions import GoogleAuthError
from gspread.exceptions import APIError
from gspread.http_client import ParamsType
from gspread.urls import DRIVE_FILES_API_V3_URL, SPREADSHEET_BATCH_UPDATE_URL

from pmsheets.core.schema import (
    FINDINGS_CELL_COLUMN,
    FINDINGS_HEADERS,
    FINDINGS_MESSAGE_COLUMN,
    FINDINGS_TITLE,
    RawWorkbook,
    is_pm_tab,
    normalize,
)
from pmsheets.errors import RegisterError
from pmsheets.gc_pause import paused_gc
from pmsheets.network import RETRIED_STATUSES, RetryPolicy, failed_host, failure_reason, host_of, lasting
from pmsheets.register import FindingsLook, FindingsRows, RawRegister, TabFilter, every_tab, findings_digest
from pmsheets.register.findings_fit import fitting_rows, shown_rows
from pmsheets.register.findings_look import (
    FINDINGS_WIDTHS,
    HEADER_COLOUR,
    HIGHLIGHT_COLOUR,
    HIGHLIGHT_FORMULA,
    LEVEL_COLOURS,
    CellRange,
    highlight_ranges,
    is_highlight_formula,
    link_target,
)
from pmsheets.register.google_auth import KEY_REFUSED, Refusal, refused_because
from pmsheets.register.google_session import GOOGLE_SHEETS
from pmsheets.register.locate import blank_cell_writes, quote_range
from pmsheets.register.sheets_init import init_request

T = TypeVar("T")
MAX_REQUEST_BYTES = 10_485_760
"""The service answers 400 to a larger request body."""
CHECK_THE_WAY = "Check the network, the proxy (HTTPS_PROXY) and register.api_endpoint"
_JSON = {"Content-Type": "application/json"}
SHEET_URL = "https://docs.google.com/spreadsheets/d/{key}/edit"
"""Where people open the spreadsheet, whatever API endpoint the tool talks to."""


class SheetsUnavailable(RegisterError):
    """The API kept failing (rate limit, server errors, timeouts) past the retry budget."""


class SheetsRegister:
    def __init__(
        self,
        client: gspread.Client,
        spreadsheet_key: str,
        *,
        account_email: str | None = None,
        refusal: Refusal = KEY_REFUSED,
        retry: RetryPolicy | None = None,
        sleep: Callable[[float], None] = time.sleep,
        jitter: Callable[[], float] = random.random,
    ) -> None:
        # The HTTP client's plain API calls, not gspread's Spreadsheet object: that object
        # fetches the metadata again on creation, which would cost a request per cycle.
        self._http = client.http_client
        self._key = spreadsheet_key
        self._account = account_email
        self._refusal = refusal
        self._retry = retry or RetryPolicy()
        self._sleep = sleep
        self._jitter = jitter
        self._host = host_of(getattr(self._http.session, "api_endpoint", GOOGLE_SHEETS))
        self._title: str | None = None
        self._sheet_ids: dict[str, int] | None = None
        self._findings_mark: FindingsMark | None = None
        self._sheets: dict[str, Mapping[str, Any]] = {}
        self._sheets_stale = False

    # The service applies each request whole, and the Findings write touches only its own tab.
    writes_concurrently = True

    def describe(self) -> str:
        return f"Google Sheet '{self._title}' ({self._key})" if self._title else f"Google Sheet {self._key}"

    # --- reading ---------------------------------------------------------------------------------

    def read(self, wanted: TabFilter = every_tab) -> RawRegister:
        metadata = self._metadata()
        titles = [title for title in self._sheet_ids or {} if wanted(title)]
        if not titles:
            return self._raw({}, metadata)
        with paused_gc():  # the answer decodes to millions of cells that all stay
            answer = self._call(
                "read the register",
                lambda: self._http.values_batch_get(
                    self._key,
                    [quote_range(title) for title in titles],
                    params={"valueRenderOption": "UNFORMATTED_VALUE", "dateTimeRenderOption": "SERIAL_NUMBER", "majorDimension": "ROWS"},
                ),
            )
        with self._shape("read the register"):
            ranges = answer["valueRanges"]
            tables = {title: _rows(value_range.get("values", [])) for title, value_range in zip(titles, ranges, strict=True)}
        return self._raw(tables, metadata)

    def _raw(self, tables: RawWorkbook, metadata: Mapping[str, Any]) -> RawRegister:
        timezone = metadata.get("properties", {}).get("timeZone")
        return RawRegister(
            tables=tables, timezone=timezone, url=SHEET_URL.format(key=quote(self._key, safe="")), sheet_ids=dict(self._sheet_ids or {})
        )

    def _metadata(self) -> Mapping[str, Any]:
        metadata = self._call(
            "open the spreadsheet",
            lambda: self._http.fetch_sheet_metadata(
                self._key,
                params={"fields": _METADATA_FIELDS},
            ),
        )
        with self._shape("open the spreadsheet"):
            self._title = metadata.get("properties", {}).get("title")
            sheets = sorted(metadata.get("sheets", []), key=lambda sheet: sheet["properties"].get("index", 0))
            # The API leaves out fields at their default (a sheetId of 0), as proto3 JSON does.
            self._sheet_ids = {str(sheet["properties"].get("title", "")): int(sheet["properties"].get("sheetId", 0)) for sheet in sheets}
            findings: Mapping[str, Any] = next((sheet for sheet in sheets if sheet["properties"].get("title") == FINDINGS_TITLE), {})
            self._findings_mark = FindingsMark.found_in(findings.get("developerMetadata", []))
            self._sheets = {str(sheet["properties"].get("title", "")): sheet for sheet in sheets}
            self._sheets_stale = False
        return metadata

    def version(self) -> str | None:
        """Drive's version number of the spreadsheet file: one metadata request, no cell read (scope
        drive.metadata.readonly). None when the credentials lack that scope: then every cycle reads."""
        url = f"{DRIVE_FILES_API_V3_URL}/{self._key}"
        try:
            answer = self._call(
                "look up the spreadsheet's version",
                lambda: self._http.request("get", url, params={"fields": "version,modifiedTime", "supportsAllDrives": "true"}).json(),
            )
        except RegisterError:
            return None
        version = answer.get("version")
        return str(version) if version is not None else None

    def findings_unchanged(self, rows: FindingsRows, *, highlight: bool = True) -> int | None:
        """The last write's digest is developer metadata on the Findings sheet (invisible to PMs, deleted
        with the tab), read with the register's metadata: this costs no request after a read. A PM tab
        whose highlight rule is missing or does not cover exactly the flagged cells (a PM deleted it, or
        inserted rows above them) counts as a change."""
        if self._sheet_ids is None or self._sheets_stale:
            self._metadata()
        mark = self._findings_mark
        if mark is None or FINDINGS_TITLE not in (self._sheet_ids or {}) or mark.digest != findings_digest(rows, highlight=highlight):
            return None
        wanted = _flagged(self._sheets, shown_rows(rows, mark.shown)) if highlight else {}
        if _highlight_requests(self._sheets, wanted):
            return None
        return mark.shown

    @contextmanager
    def _shape(self, doing: str) -> Iterator[None]:
        """An answer that is JSON but not the one the API gives (a proxy, a stub, another service) is a failure, not a bug."""
        try:
            yield
        except (AttributeError, KeyError, TypeError, ValueError):
            msg = (
                f"could not {doing}: {self._host} answered JSON that is not a Sheets API answer. "
                "Check register.api_endpoint and the proxy settings."
            )
            raise RegisterError(msg) from None

    # --- writing ---------------------------------------------------------------------------------

    def ensure_writable(self) -> None:
        """Nothing to check ahead: sharing and quota problems show on the write itself, which is retried."""

    def write_findings(
        self, rows: FindingsRows, *, stamp: str = "", highlight: bool = True, on_sent: Callable[[], None] = lambda: None
    ) -> int:
        if self._sheet_ids is None or self._sheets_stale:
            self._metadata()  # the rules and filter the last write set are not known without a look
        look = FindingsLook(stamp, highlight)
        try:
            return self._replace_findings(rows, look, on_sent)
        except RegisterError as error:
            if "No grid with id" not in str(error) and "already exists" not in str(error) and "conditional format" not in str(error):
                raise
            # Someone deleted or added a tab or a rule since the read: look again, once.
            self._metadata()
            return self._replace_findings(rows, look, on_sent)

    def _replace_findings(self, rows: FindingsRows, look: FindingsLook, on_sent: Callable[[], None]) -> int:
        sheet_ids = self._sheet_ids or {}
        mark = self._findings_mark if FINDINGS_TITLE in sheet_ids else None
        digest = findings_digest(rows, highlight=look.highlight)
        body, shown = findings_update(self._sheets, rows, look=look, on_sent=on_sent, mark=(mark, digest))
        url = SPREADSHEET_BATCH_UPDATE_URL % self._key

        def post() -> requests.Response:
            # gspread types `data` as bytes, but hands it to requests, which streams an iterable of chunks.
            return self._http.request("post", url, data=body, headers=_JSON)  # type: ignore[arg-type]

        answer = self._call("write the Findings tab", post, writes=True)
        self._remember_write(answer, FindingsMark(mark.metadata_id if mark else None, digest, shown))
        self._sheets_stale = True
        return shown

    def _remember_write(self, answer: requests.Response, mark: FindingsMark) -> None:
        """The new tab's id and the new mark's id come back in the replies: the next write needs them."""
        replies = answer.json().get("replies", [])
        for reply in replies:
            if "addSheet" in reply:
                (self._sheet_ids or {})[FINDINGS_TITLE] = reply["addSheet"]["properties"].get("sheetId", 0)
            if "createDeveloperMetadata" in reply:
                mark = FindingsMark(reply["createDeveloperMetadata"]["developerMetadata"]["metadataId"], mark.digest, mark.shown)
        self._findings_mark = mark

    def fill_blank_cells(
        self,
        tab: str,
        id_header: str,
        updates: Mapping[str, Mapping[str, str]],
        *,
        replaceable: Mapping[str, Collection[str]] | None = None,
    ) -> list[str]:
        """Write `updates` ({row id: {header: text}}) into cells that are blank *now*.

        The rows and columns are located by ID and header name at write time, never from a
        row number remembered from an earlier read, so edits in between cannot misplace a
        value; a non-blank cell is never overwritten. Returns the A1 cells written.
        """
        current = self._call(
            f"read the {tab} tab",
            lambda: self._http.values_get(self._key, quote_range(tab), params={"valueRenderOption": "UNFORMATTED_VALUE"}),
        )
        writes = blank_cell_writes(tab, current.get("values", []), id_header, updates, replaceable)
        if writes:
            data = [{"range": cell, "values": [[value]]} for cell, value in writes]
            self._call(
                f"write the {tab} tab",
                lambda: self._http.values_batch_update(self._key, {"valueInputOption": "RAW", "data": data}),
                writes=True,
            )
        return [cell for cell, _ in writes]

    def append_rows(self, title: str, headers: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
        """Append to a tool-owned tab in one values:append (RAW: text stays text); adds the tab when missing."""
        self._metadata()  # fresh: another worker (or the last append) may have added the tab
        found = next((name for name in self._sheet_ids or {} if normalize(name) == normalize(title)), None)
        values = [list(row) for row in rows]
        if found is None:
            found = title
            add = {"requests": [{"addSheet": {"properties": {"title": title, "gridProperties": {"frozenRowCount": 1}}}}]}
            self._call(f"add the {title} tab", lambda: self._http.batch_update(self._key, add), writes=True)
            values.insert(0, list(headers))
        params: ParamsType = {"valueInputOption": "RAW", "insertDataOption": "INSERT_ROWS"}
        self._call(
            f"append to the {title} tab",
            lambda: self._http.values_append(self._key, f"{quote_range(found)}!A1", params=params, body={"values": values}),
            writes=True,
        )

    def get(self, doing: str, params: Mapping[str, str]) -> Mapping[str, Any]:
        """One spreadsheets.get with the caller's ranges/fields, under the same retries as every read."""
        return self._call(doing, lambda: self._http.fetch_sheet_metadata(self._key, params=dict(params)))

    def batch_update(self, doing: str, requests: Sequence[Mapping[str, Any]]) -> Mapping[str, Any]:
        """One atomic spreadsheets:batchUpdate (all requests apply or none), under the write retries."""
        body = {"requests": list(requests)}
        return self._call(doing, lambda: self._http.batch_update(self._key, body), writes=True)

    def initialize(self, demo_tables: Mapping[str, Sequence[Sequence[Any]]] | None = None) -> None:
        """Lay out the register's tabs (see sheets_init); refuses when a tab already holds data."""
        raw = self.read()
        body = init_request(raw.tables, self._sheet_ids or {})
        self._call("set up the spreadsheet", lambda: self._http.batch_update(self._key, body), writes=True)
        if demo_tables:
            data = [{"range": f"{quote_range(title)}!A2", "values": rows} for title, rows in demo_tables.items() if rows]
            self._call(
                "write the demo rows",
                lambda: self._http.values_batch_update(self._key, {"valueInputOption": "RAW", "data": data}),
                writes=True,
            )

    # --- plumbing --------------------------------------------------------------------------------

    def _call(self, doing: str, request: Callable[[], T], *, writes: bool = False) -> T:
        """Retry what the API says is passing (429, 5xx, timeouts, dropped connections) within the time budget."""
        waited = 0.0
        pauses = self._retry.pauses(self._jitter)
        # A write that got no answer may still have been applied: the failure message must not say it was not.
        maybe_applied = False
        while True:
            try:
                return request()
            except APIError as error:
                status = error.response.status_code
                if status not in RETRIED_STATUSES:
                    raise RegisterError(self._explain(doing, error)) from None
                problem = f"{self._host} answered {status} ({_api_message(error)})"
            except requests.JSONDecodeError:
                msg = (
                    f"could not {doing}: {self._host} answered with something that is not JSON, so it is not the Sheets API "
                    "(a proxy or captive portal?). Check register.api_endpoint and the proxy settings."
                )
                raise RegisterError(msg) from None
            except (GoogleAuthError, requests.Timeout, requests.ConnectionError) as error:
                reason = failure_reason(error, timeout=_timeout_of(self._http))
                if reason is None:  # the token endpoint answered, and refused the key
                    raise RegisterError(self._refused(doing, error)) from None
                host = failed_host(error) or self._host
                if lasting(error):
                    msg = f"could not {doing}: cannot reach {host}: {reason}. {CHECK_THE_WAY}; nothing was written."
                    raise RegisterError(msg) from None
                problem = f"cannot reach {host}: {reason}"
                maybe_applied |= writes and not isinstance(error, requests.ConnectTimeout | GoogleAuthError)
            pause = next(pauses, None)
            if pause is None:
                msg = (
                    f"could not {doing} in {self._key}: {problem}, still failing after retrying for "
                    f"{waited:.0f} s. {'It may still have been applied (whole, never in part).' if maybe_applied else 'Nothing was written.'} "
                    "Try again later."
                )
                raise SheetsUnavailable(msg)
            self._sleep(pause)
            waited += pause

    def _refused(self, doing: str, error: Exception) -> str:
        return f"could not {doing}: the token endpoint refused {self._refusal.what} ({refused_because(error)}). {self._refusal.fix}"

    def _explain(self, doing: str, error: APIError) -> str:
        status = error.response.status_code
        who = self._account or "the account the tool runs as"
        if status == 403:
            return (
                f"could not {doing}: spreadsheet {self._key} is not shared with {who}. "
                f"Share it with {who} as Editor (Share button in Google Sheets)."
            )
        if status == 404:
            return f"could not {doing}: no spreadsheet with key {self._key}. Check register.spreadsheet (the key or the full URL)."
        if status == 401:
            return f"could not {doing}: the credentials were refused ({_api_message(error)}). Check the service-account key."
        return f"could not {doing} in {self._key}: the API answered {status}: {_api_message(error)}"


def _rows(values: Any) -> list[list[Any]]:
    if not isinstance(values, list) or not all(isinstance(row, list) for row in values):
        msg = "values is not a list of rows"
        raise TypeError(msg)
    return values


def _timeout_of(http: Any) -> float | None:
    timeout = getattr(http, "timeout", None)
    return float(timeout) if isinstance(timeout, int | float) else None


def _api_message(error: APIError) -> str:
    try:
        return str(error.response.json()["error"]["message"])
    except (ValueError, KeyError, TypeError):
        return error.response.reason or "no details"


class RequestBody:
    """A JSON request body kept as chunks of about a megabyte and sent as they are: joined into one
    bytes object, the 280 MB Findings write of a 10-million-cell register would be held twice at
    its peak. requests sends any iterable of bytes with the size len() gives (as Content-Length),
    and iterates it again for a retry. `on_sent` is called each time the last chunk has gone."""

    def __init__(self, chunks: list[bytes], on_sent: Callable[[], None] = lambda: None) -> None:
        self._chunks = chunks
        self._size = sum(len(chunk) for chunk in chunks)
        self._on_sent = on_sent

    def __iter__(self) -> Iterator[bytes]:
        yield from self._chunks
        self._on_sent()

    def __len__(self) -> int:
        return self._size

    def __bytes__(self) -> bytes:
        return b"".join(self._chunks)


@dataclass(frozen=True, slots=True)
class FindingsMark:
    """What the last Findings write left: its digest and how many rows the tab shows, kept as the
    Findings sheet's developer metadata (key FINDINGS_MARK_KEY, value 'digest shown')."""

    metadata_id: int | None
    digest: str
    shown: int

    @property
    def value(self) -> str:
        return f"{self.digest} {self.shown}"

    @classmethod
    def found_in(cls, entries: Sequence[Mapping[str, Any]]) -> FindingsMark | None:
        for entry in entries:
            digest, _, shown = str(entry.get("metadataValue", "")).partition(" ")
            if entry.get("metadataKey") == FINDINGS_MARK_KEY and shown.isdigit():
                return cls(int(entry["metadataId"]), digest, int(shown))
        return None


FINDINGS_MARK_KEY = "pmsheets.findings"


def _mark_request(sheet_id: int, previous: FindingsMark | None, digest: str, shown: int) -> dict[str, Any]:
    value = FindingsMark(None, digest, shown).value
    if previous is not None and previous.metadata_id is not None:
        lookup = {"developerMetadataLookup": {"metadataId": previous.metadata_id}}
        return {
            "updateDeveloperMetadata": {"dataFilters": [lookup], "developerMetadata": {"metadataValue": value}, "fields": "metadataValue"}
        }
    metadata = {"metadataKey": FINDINGS_MARK_KEY, "metadataValue": value, "location": {"sheetId": sheet_id}, "visibility": "DOCUMENT"}
    return {"createDeveloperMetadata": {"developerMetadata": metadata}}


def findings_update(
    sheets: Mapping[str, Mapping[str, Any]],
    rows: FindingsRows,
    *,
    look: FindingsLook | None = None,
    on_sent: Callable[[], None] = lambda: None,
    max_bytes: int = MAX_REQUEST_BYTES,
    mark: tuple[FindingsMark | None, str] | None = None,
) -> tuple[RequestBody, int]:
    """One atomic batchUpdate that leaves the Findings tab holding exactly `rows` under the header,
    or, past the service's request size, the rows that fit (see findings_fit); and how many it shows.

    `sheets` is the spreadsheet's metadata by tab title (see _METADATA_FIELDS). The same request
    keeps the header bold and frozen, the filter (with any criteria a PM set) over the new rows,
    and on each PM tab the highlight rule over the cells of the findings shown (added, replaced or
    removed; see findings_look). Each shown finding's cell counts against `max_bytes` as a range
    of its own, which the merged ranges never exceed.

    Returned as the JSON body to send, the cells encoded straight to text: as dicts for
    json.dumps, a million cells took hundreds of MB and seconds to build.
    """
    look = look or FindingsLook()
    sheet_ids = {title: int(sheet["properties"].get("sheetId", 0)) for title, sheet in sheets.items()}
    encode = _row_encoder(sheet_ids)
    fitted = fitting_rows(rows, encode, max_bytes, extra=_range_bytes(sheets) if look.highlight else lambda row: 0)
    header = list(FINDINGS_HEADERS)
    if look.stamp:
        header[FINDINGS_MESSAGE_COLUMN] = f"{header[FINDINGS_MESSAGE_COLUMN]} ({look.stamp})"
    all_rows = [_header_row(header), *fitted.rows]
    findings = sheets.get(FINDINGS_TITLE)
    requests_ = _findings_requests(findings, len(all_rows), set(sheet_ids.values()))
    requests_ += _highlight_requests(sheets, _flagged(sheets, shown_rows(rows, fitted.shown)) if look.highlight else {})
    if mark is not None:
        tab_id = (
            int(findings["properties"].get("sheetId", 0)) if findings is not None else requests_[0]["addSheet"]["properties"]["sheetId"]
        )
        requests_.append(_mark_request(tab_id, mark[0], mark[1], fitted.shown))
    text = json.dumps({"requests": requests_}, separators=(",", ":"))
    head, tail = text.split(json.dumps(_ROWS_SLOT))
    chunks = [head.encode() + b"["]
    for start in range(0, len(all_rows), _ROWS_PER_CHUNK):
        joined = ",".join(all_rows[start : start + _ROWS_PER_CHUNK])
        chunks.append(("," + joined if start else joined).encode())
    chunks.append(b"]" + tail.encode())
    return RequestBody(chunks, on_sent), fitted.shown


_ROWS_SLOT = "\x00findings rows\x00"
_ROWS_PER_CHUNK = 2500
_METADATA_FIELDS = (
    "properties(title,timeZone),sheets(properties(sheetId,title,index,gridProperties(rowCount,columnCount)),"
    "developerMetadata(metadataId,metadataKey,metadataValue),"
    "basicFilter,conditionalFormats)"
)


def _rgb(hex_colour: str) -> dict[str, float]:
    # Unrounded: the service keeps 8 bits a channel by truncating, so a rounded-down fraction would lose one.
    return {name: int(hex_colour[i : i + 2], 16) / 255 for name, i in (("red", 0), ("green", 2), ("blue", 4))}


def _text_cell(value: str, cell_format: dict[str, Any] | None = None) -> str:
    text = '{"userEnteredValue":{"stringValue":' + encode_basestring_ascii(str(value)) + "}"
    if cell_format:
        text += ',"userEnteredFormat":' + json.dumps(cell_format, separators=(",", ":"))
    return text + "}"


def _header_row(header: Sequence[str]) -> str:
    bold = {"backgroundColor": _rgb(HEADER_COLOUR), "textFormat": {"bold": True}}
    return '{"values":[' + ",".join(_text_cell(value, bold) for value in header) + "]}"


_LEVEL_CELLS = {
    level: '{"backgroundColor":' + json.dumps(_rgb(colour), separators=(",", ":")) + "}" for level, colour in LEVEL_COLOURS.items()
}
_CELL = '{"userEnteredValue":{"stringValue":%s}}'
_LEVEL_CELL = '{"userEnteredValue":{"stringValue":%s},"userEnteredFormat":%s}'
_LINK_CELL = '{"userEnteredValue":{"stringValue":%s},"userEnteredFormat":{"textFormat":{"link":{"uri":%s}}}}'


def _row_encoder(sheet_ids: Mapping[str, int]) -> Callable[[Sequence[str]], str]:
    """One RowData as JSON (ASCII, as json.dumps writes it): the level coloured, the cell reference a link to the cell."""

    def link(reference: str) -> str | None:
        target = link_target(reference)
        if target is None or target.tab not in sheet_ids:
            return None
        # A text link, never a HYPERLINK formula: register text must not become part of a formula.
        return f"#gid={sheet_ids[target.tab]}&range={target.cell}"

    def encode(row: Sequence[str]) -> str:
        cells = []
        for index, value in enumerate(row):
            quoted = encode_basestring_ascii(str(value))
            if index == 0 and value in _LEVEL_CELLS:
                cells.append(_LEVEL_CELL % (quoted, _LEVEL_CELLS[value]))
            elif index == FINDINGS_CELL_COLUMN and (uri := link(value)) is not None:
                cells.append(_LINK_CELL % (quoted, encode_basestring_ascii(uri)))
            else:
                cells.append(_CELL % quoted)
        return '{"values":[' + ",".join(cells) + "]}"

    return encode


def _findings_requests(findings: Mapping[str, Any] | None, written_rows: int, taken_ids: set[int]) -> list[dict[str, Any]]:
    """The Findings tab's requests, with _ROWS_SLOT where the updateCells rows go."""
    row_count = written_rows + 1
    columns = len(FINDINGS_HEADERS)
    grid = {"rowCount": row_count, "columnCount": columns, "frozenRowCount": 1}
    requests_: list[dict[str, Any]] = []
    basic_filter: dict[str, Any] = {}
    if findings is None:
        sheet_id = _free_sheet_id(taken_ids)
        requests_.append({"addSheet": {"properties": {"sheetId": sheet_id, "title": FINDINGS_TITLE, "gridProperties": grid}}})
        requests_ += [_column_width(sheet_id, index, width) for index, width in enumerate(FINDINGS_WIDTHS)]
    else:
        sheet_id = int(findings["properties"].get("sheetId", 0))
        basic_filter = dict(findings.get("basicFilter") or {})
        requests_.append(
            {
                "updateSheetProperties": {
                    "properties": {"sheetId": sheet_id, "gridProperties": grid},
                    "fields": "gridProperties(rowCount,columnCount,frozenRowCount)",
                }
            }
        )
        requests_.append({"updateCells": {"range": {"sheetId": sheet_id}, "fields": "userEnteredValue,userEnteredFormat"}})
    requests_.append(
        {
            "updateCells": {
                "start": {"sheetId": sheet_id, "rowIndex": 0, "columnIndex": 0},
                "rows": _ROWS_SLOT,
                "fields": "userEnteredValue,userEnteredFormat",
            }
        }
    )
    # The filter a PM set (criteria, sort) stays; only its range follows the rows.
    basic_filter.pop("tableId", None)
    if "filterSpecs" in basic_filter:
        basic_filter.pop("criteria", None)  # the same criteria in their older spelling; the service takes one
    basic_filter["range"] = {
        "sheetId": sheet_id,
        "startRowIndex": 0,
        "endRowIndex": written_rows,
        "startColumnIndex": 0,
        "endColumnIndex": columns,
    }
    requests_.append({"setBasicFilter": {"filter": basic_filter}})
    return requests_


def _column_width(sheet_id: int, index: int, characters: float) -> dict[str, Any]:
    return {
        "updateDimensionProperties": {
            "range": {"sheetId": sheet_id, "dimension": "COLUMNS", "startIndex": index, "endIndex": index + 1},
            "properties": {"pixelSize": round(characters * 7 + 5)},
            "fields": "pixelSize",
        }
    }


def _pm_sheet_ids(sheets: Mapping[str, Mapping[str, Any]]) -> dict[str, int]:
    """The PM tabs' exact titles and sheet ids: the tabs that carry the highlight rule."""
    return {title: int(sheet["properties"].get("sheetId", 0)) for title, sheet in sheets.items() if is_pm_tab(title)}


def _flagged(sheets: Mapping[str, Mapping[str, Any]], rows: FindingsRows) -> dict[str, list[CellRange]]:
    """The flagged cells of each PM tab, inside its grid: the service refuses a range past the grid's
    last row or column, and a finding's cell lies past it only when rows went since the read."""
    flagged = highlight_ranges((row[FINDINGS_CELL_COLUMN] for row in rows), _pm_sheet_ids(sheets))
    inside: dict[str, list[CellRange]] = {}
    for title, ranges in flagged.items():
        grid = sheets[title]["properties"].get("gridProperties") or {}
        rows_, columns = int(grid.get("rowCount", _UNBOUNDED)), int(grid.get("columnCount", _UNBOUNDED))
        clipped = [
            cells._replace(bottom=min(cells.bottom, rows_ - 1), right=min(cells.right, columns - 1))
            for cells in ranges
            if cells.top < rows_ and cells.left < columns
        ]
        if clipped:
            inside[title] = clipped
    return inside


_UNBOUNDED = 1 << 31


def _range_bytes(sheets: Mapping[str, Mapping[str, Any]]) -> Callable[[Sequence[str]], int]:
    """What a finding's cell adds to the request at most: one GridRange of its own and a comma."""
    sheet_ids = _pm_sheet_ids(sheets)

    def size(row: Sequence[str]) -> int:
        flagged = highlight_ranges([row[FINDINGS_CELL_COLUMN]], sheet_ids)
        return sum(len(json.dumps(_grid_range(sheet_ids[tab], cells[0]), separators=(",", ":"))) + 1 for tab, cells in flagged.items())

    return size


def _highlight_requests(sheets: Mapping[str, Mapping[str, Any]], flagged: Mapping[str, Sequence[CellRange]]) -> list[dict[str, Any]]:
    """Per PM tab: nothing when the tool's rule already covers exactly its flagged cells; else remove the tool's
    rules and, when it has flagged cells, add the rule over them, after the PM's own rules (so theirs come first).

    Rules are matched by their formula (findings_look.is_highlight_formula): a PM's rule is never touched.
    """
    requests_: list[dict[str, Any]] = []
    for title, sheet_id in _pm_sheet_ids(sheets).items():
        rules = sheets[title].get("conditionalFormats") or []
        ours = [(index, rule) for index, rule in enumerate(rules) if is_highlight_formula(_rule_formula(rule))]
        wanted = [_grid_range(sheet_id, cells) for cells in flagged.get(title, ())]
        if _same_rule([rule for _, rule in ours], wanted):
            continue
        requests_ += [{"deleteConditionalFormatRule": {"sheetId": sheet_id, "index": index}} for index, _ in reversed(ours)]
        if wanted:
            requests_.append(_highlight_rule(len(rules) - len(ours), wanted))
    return requests_


def _same_rule(ours: Sequence[Mapping[str, Any]], wanted: Sequence[Mapping[str, int]]) -> bool:
    """Whether the tool's rules on a tab are already the one rule over exactly `wanted` (no rule when nothing is)."""
    if not wanted:
        return not ours
    if len(ours) != 1 or _rule_formula(ours[0]) != "=" + HIGHLIGHT_FORMULA:
        return False
    return {_grid_key(cells) for cells in ours[0].get("ranges") or []} == {_grid_key(cells) for cells in wanted}


def _grid_key(grid_range: Mapping[str, Any]) -> tuple[int, ...]:
    # The service leaves out fields at their default (an index of 0), as proto3 JSON does.
    fields = ("sheetId", "startRowIndex", "endRowIndex", "startColumnIndex", "endColumnIndex")
    return tuple(int(grid_range.get(field, 0)) for field in fields)


def _grid_range(sheet_id: int, cells: CellRange) -> dict[str, int]:
    return {
        "sheetId": sheet_id,
        "startRowIndex": cells.top,
        "endRowIndex": cells.bottom + 1,
        "startColumnIndex": cells.left,
        "endColumnIndex": cells.right + 1,
    }


def _rule_formula(rule: Mapping[str, Any]) -> str:
    condition = (rule.get("booleanRule") or {}).get("condition") or {}
    if condition.get("type") != "CUSTOM_FORMULA":
        return ""
    values = condition.get("values") or [{}]
    return str(values[0].get("userEnteredValue", ""))


def _highlight_rule(index: int, ranges: list[dict[str, int]]) -> dict[str, Any]:
    return {
        "addConditionalFormatRule": {
            "index": index,
            "rule": {
                "ranges": ranges,
                "booleanRule": {
                    "condition": {"type": "CUSTOM_FORMULA", "values": [{"userEnteredValue": "=" + HIGHLIGHT_FORMULA}]},
                    "format": {"backgroundColor": _rgb(HIGHLIGHT_COLOUR)},
                },
            },
        }
    }


def _free_sheet_id(taken: set[int]) -> int:
    candidate = 7_000_001
    while candidate in taken:
        candidate += 1
    return candidate
