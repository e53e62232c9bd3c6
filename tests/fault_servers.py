"""Real servers on 127.0.0.1 that fail the way the network does: refuse, hang, answer HTML or garbage, or fail TLS.

Nothing here sleeps: a hanging server holds the request until the test closes it, and the
client's own timeout (register.timeout_seconds) ends the wait.
"""

from __future__ import annotations

import json
import socket
import ssl
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from tests.smtp_server import self_signed_certificate

HOST = "127.0.0.1"
UNRESOLVABLE = "sheets.pmsheets.invalid"
"""RFC 2606: .invalid never resolves, so the lookup fails locally without any network."""

TOKEN = {"access_token": "fault-server-token", "expires_in": 3600, "token_type": "Bearer"}

ANSWERS: dict[str, tuple[int, str, bytes]] = {
    "html_502": (502, "text/html", b"<html><body><h1>502 Bad Gateway</h1><p>nginx</p></body></html>"),
    "not_json": (200, "text/html", b"<html><body>Please sign in to the guest Wi-Fi</body></html>"),
    "wrong_shape": (200, "application/json", b'{"sheets": "not a list", "valueRanges": 7}'),
    "forbidden": (
        403,
        "application/json",
        b'{"error": {"code": 403, "message": "The caller does not have permission", "status": "PERMISSION_DENIED"}}',
    ),
}


def service_account_key(token_uri: str) -> dict[str, Any]:
    """A service-account key (a real RSA key, so google-auth can sign its token request) whose token requests go to `token_uri`."""
    private = rsa.generate_private_key(public_exponent=65537, key_size=1024)  # noqa: S505 -- loads 8x faster than 2048 on every command; only test servers see it
    pem = private.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    return {
        "type": "service_account",
        "project_id": "pmsheets-faults",
        "private_key_id": "fault",
        "private_key": pem.decode("ascii"),
        "client_email": "pmsheets-bot@pmsheets-faults.iam.gserviceaccount.com",
        "token_uri": token_uri,
    }


class _Handler(BaseHTTPRequestHandler):
    server: FaultServer

    def do_POST(self) -> None:
        if self.path.endswith("/token"):
            if self.server.token_hangs:
                self.server.release.wait()
                return
            refusal = self.server.token_error
            self._answer(400 if refusal else 200, "application/json", json.dumps(refusal or TOKEN).encode())
            return
        self._fault()

    def do_GET(self) -> None:
        self._fault()

    def _fault(self) -> None:
        if self.server.mode == "hang":
            self.server.release.wait()
            return
        self._answer(*ANSWERS[self.server.mode])

    def _answer(self, status: int, content_type: str, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 -- BaseHTTPRequestHandler's signature
        pass


class FaultServer(ThreadingHTTPServer):
    """Answers the token endpoint properly and every API request with the fault `mode`."""

    daemon_threads = True
    modes: ClassVar[tuple[str, ...]] = (*ANSWERS, "hang")

    def __init__(self, mode: str) -> None:
        super().__init__((HOST, 0), _Handler)
        self.mode = mode
        self.release = threading.Event()
        self.token_error: dict[str, str] | None = None
        """Set it to have the token endpoint refuse the key with this OAuth error (a 400)."""
        self.token_hangs = False
        """Set it to have the token endpoint hold every request unanswered, as the API does in mode "hang"."""

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.server_address[1]}"


@contextmanager
def fault_server(mode: str) -> Iterator[FaultServer]:
    server = FaultServer(mode)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.release.set()
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@dataclass(frozen=True)
class TlsServer:
    url: str


@contextmanager
def self_signed_tls_server(folder: Path) -> Iterator[TlsServer]:
    """Completes TCP, then offers a certificate no client trusts: the handshake fails on the client's side."""
    certificate = self_signed_certificate(folder)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(str(certificate.cert_file), str(certificate.key_file))
    listener = socket.socket()
    listener.bind((HOST, 0))
    listener.listen()
    port = int(listener.getsockname()[1])

    def serve() -> None:
        while True:
            try:
                connection, _ = listener.accept()
            except OSError:
                return
            try:
                with context.wrap_socket(connection, server_side=True):
                    pass
            except (OSError, ssl.SSLError):
                pass  # the client refused the certificate, as it should
            finally:
                connection.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield TlsServer(f"https://{HOST}:{port}")
    finally:
        listener.shutdown(socket.SHUT_RDWR)
        listener.close()
        thread.join(timeout=5)


def closed_port() -> int:
    """A port nothing listens on (bound, then let go): a connection to it is refused."""
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return int(probe.getsockname()[1])
