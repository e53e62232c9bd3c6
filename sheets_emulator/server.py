"""The HTTP side: a ThreadingHTTPServer on 127.0.0.1 and the SheetsEmulator that owns everything."""

from __future__ import annotations

import contextlib
import functools
import json
import os
import socket
import threading
import time
from collections.abc import Callable, Iterable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Any
from urllib.parse import urlsplit

from sheets_emulator.api import Api, HttpRequest, HttpResponse
from sheets_emulator.auth import Authority
from sheets_emulator.faults import DROP, Faults, LoggedRequest, Quota
from sheets_emulator.store import Store

LOOPBACK = "127.0.0.1"
DEFAULT_EMAIL = "pmsheets-bot@pmsheets-emulator.iam.gserviceaccount.com"


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body go out as separate writes; without this, Nagle + delayed ACK add ~40 ms per answer.
    disable_nagle_algorithm = True
    server: _Server
    # Idle keep-alive connections end on their own so that stop() never waits on a client.
    timeout = 30

    def do_GET(self) -> None:
        self._serve()

    do_POST = do_PUT = do_DELETE = do_PATCH = do_GET  # noqa: N815  the names http.server dispatches to

    def _serve(self) -> None:
        parts = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        headers = {k.lower(): v for k, v in self.headers.items()}
        answer = self.server.api.handle(HttpRequest(self.command, parts.path, parts.query, body, headers))
        if answer == DROP:
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)
            return
        assert isinstance(answer, HttpResponse)
        self._send(answer)

    def _send(self, answer: HttpResponse) -> None:
        if isinstance(answer.body, str):
            payload = answer.body.encode()  # an export: the document's text, not JSON
        else:
            payload = b"" if answer.body is None else json.dumps(answer.body, ensure_ascii=False).encode()
        self.send_response(answer.status)
        self.send_header("Content-Type", answer.headers.get("Content-Type", "application/json; charset=UTF-8"))
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002  the base class's parameter name
        pass


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    api: Api

    def __init__(self, address: tuple[str, int]) -> None:
        super().__init__(address, _Handler)
        self.connections: set[socket.socket] = set()
        self.connections_lock = threading.Lock()

    def process_request_thread(self, request: Any, client_address: Any) -> None:
        with self.connections_lock:
            self.connections.add(request)
        try:
            super().process_request_thread(request, client_address)
        finally:
            with self.connections_lock:
                self.connections.discard(request)

    def close_connections(self) -> None:
        """Wake handler threads blocked on idle keep-alive sockets so they close them."""
        with self.connections_lock:
            for connection in list(self.connections):
                with contextlib.suppress(OSError):
                    connection.shutdown(socket.SHUT_RDWR)


class SheetsEmulator:
    """A stateful Google Sheets API v4 (and minimal Drive v3) on 127.0.0.1.

    Use as a context manager; `.url` is the base to give `client_for(credentials, url)`.
    `store` holds the spreadsheets (Python API), `faults` and `quota` shape the answers,
    `requests` is the log of API requests served.
    """

    def __init__(
        self,
        host: str = LOOPBACK,
        port: int = 0,
        *,
        clock: Callable[[], float] = time.time,
        token_lifetime: float = 3600,
        reads_per_minute: int = 60,
        writes_per_minute: int = 60,
        seed: int = 0,
        validate_schema: bool = False,
    ) -> None:
        if host not in (LOOPBACK, "localhost"):
            msg = f"The emulator binds 127.0.0.1 only, not {host!r}."
            raise ValueError(msg)
        self.clock = clock
        self.store = Store(clock=self._now, seed=seed)
        self.authority = Authority(self._now, token_lifetime=token_lifetime)
        self.quota = Quota(self._now, reads_per_minute=reads_per_minute, writes_per_minute=writes_per_minute)
        self.faults = Faults()
        self.api = Api(self.store, self.authority, self.quota, self.faults)
        self.api.emulator = self
        self.schema_violations: list[str] = []
        if validate_schema:
            self._enable_schema_validation()
        self._server = _Server((LOOPBACK, port))
        self._server.api = self.api
        self.api.token_uri = self.token_uri
        self._thread: threading.Thread | None = None

    def _now(self) -> float:
        return self.clock()

    def _enable_schema_validation(self) -> None:
        from sheets_emulator.schema import ExchangeValidator

        self.api.on_exchange = ExchangeValidator(self.schema_violations)

    # ------------------------------------------------------------ lifecycle

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    @property
    def url(self) -> str:
        return f"http://{LOOPBACK}:{self.port}"

    @property
    def token_uri(self) -> str:
        return f"{self.url}/token"

    def start(self) -> SheetsEmulator:
        if self._thread is None:
            # A short poll interval keeps stop() (and so every test teardown) fast.
            serve = functools.partial(self._server.serve_forever, poll_interval=0.02)
            self._thread = threading.Thread(target=serve, name="sheets-emulator", daemon=True)
            self._thread.start()
        return self

    def stop(self) -> None:
        if self._thread is not None:
            self._server.shutdown()
            self._thread.join()
            self._thread = None
        self._server.close_connections()
        self._server.server_close()

    def __enter__(self) -> SheetsEmulator:
        return self.start()

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None, tb: TracebackType | None) -> None:
        self.stop()

    # ------------------------------------------------------------ accounts and files

    def service_account_info(self, email: str = DEFAULT_EMAIL) -> dict[str, str]:
        """A service-account key (as in a downloaded JSON key file) whose token_uri is this emulator."""
        return self.authority.service_account_info(email, self.token_uri)

    def write_key_file(self, path: str | Path, email: str = DEFAULT_EMAIL) -> Path:
        """The key file, readable by its owner only (0600), as a private key must be."""
        return _write_private(Path(path), (json.dumps(self.service_account_info(email), indent=2) + "\n").encode("utf-8"))

    def authorized_user_info(self, email: str, scopes: Iterable[str]) -> dict[str, Any]:
        """A person's saved login (what gspread's store_credentials writes) whose token_uri is this emulator.

        Share files with `email` for the login to reach them, as with a service account's email.
        """
        return self.authority.authorized_user_info(email, scopes, self.token_uri)

    def write_token_file(self, path: str | Path, email: str, scopes: Iterable[str]) -> Path:
        """The saved login as a file, readable by its owner only (0600), as pmsheets keeps it."""
        return _write_private(Path(path), json.dumps(self.authorized_user_info(email, scopes)).encode("utf-8"))

    def create_spreadsheet(
        self,
        title: str = "Untitled spreadsheet",
        *,
        sheets: list[str] | dict[str, list[list[Any]]] | None = None,
        shared_with: tuple[str, ...] | list[str] | set[str] = (DEFAULT_EMAIL,),
        time_zone: str = "Etc/GMT",
    ) -> str:
        return self.store.create_spreadsheet(title, sheets=sheets, shared_with=shared_with, time_zone=time_zone)

    def load_xlsx(self, path: str | Path, *, shared_with: tuple[str, ...] = (DEFAULT_EMAIL,)) -> str:
        from sheets_emulator.xlsx_io import load_workbook_into

        return load_workbook_into(self.store, Path(path), shared_with=shared_with)

    def save_xlsx(self, spreadsheet_id: str, path: str | Path) -> Path:
        from sheets_emulator.xlsx_io import save_workbook_from

        return save_workbook_from(self.store, spreadsheet_id, Path(path))

    def create_folder(
        self, name: str = "Post-mortems", *, shared_with: tuple[str, ...] = (DEFAULT_EMAIL,), shared_drive: bool = True
    ) -> str:
        """A Drive folder, in a shared drive unless `shared_drive` is False (then in someone's My Drive)."""
        with self.store.lock:
            return self.store.docs.create_folder(name, shared_with=set(shared_with), shared_drive=shared_drive)

    def edit_doc(self, doc_id: str, content: str, *, user: str = "pm@example.com") -> None:
        """A person edits a Doc: new content, and they become its last modifier (version and time move)."""
        with self.store.lock:
            self.store.docs.edit_doc(doc_id, content, user=user)

    @property
    def requests(self) -> list[LoggedRequest]:
        return list(self.api.log)

    def count(self, kind: str | None = None) -> int:
        """How many API requests were served, optionally of one kind ("read", "write", "drive")."""
        return sum(1 for r in self.api.log if kind is None or r.kind == kind)


def _write_private(target: Path, content: bytes) -> Path:
    descriptor = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        os.fchmod(handle.fileno(), 0o600)  # an existing file keeps its mode through O_CREAT
        handle.write(content)
    return target
