"""A real SMTP server on 127.0.0.1 for the tests (aiosmtpd), and a self-signed certificate for it.

The server keeps every message it accepted, with its envelope, so a test can parse exactly
what arrived. Options make it refuse a recipient, require STARTTLS and AUTH, or speak TLS
from the first byte; `data_faults` make it drop, refuse for now (4xx) or never answer a
message at the end of DATA. `silent_server` accepts connections and never says a word.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import ipaddress
import socket
import ssl
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

HOST = "127.0.0.1"
USER, PASSWORD = "reports-bot", "correct horse battery staple"
HANG_LIMIT = 10.0
"""How long a hanging server keeps a client waiting at most: far beyond any client timeout the tests
configure, so a client that never gives up fails its test instead of hanging the run."""
TEMPFAIL = "451 4.3.0 temporary failure, try again later"
CERT_NOT_BEFORE = dt.datetime(2020, 1, 1, tzinfo=dt.UTC)
CERT_NOT_AFTER = dt.datetime(2099, 1, 1, tzinfo=dt.UTC)


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    content: bytes

    @property
    def message(self) -> EmailMessage:
        parsed = message_from_bytes(self.content, policy=policy.default)
        assert isinstance(parsed, EmailMessage)
        return parsed


@dataclass
class Handler:
    refuse: set[str] = field(default_factory=set)
    received: list[Received] = field(default_factory=list)
    """Only the messages the server accepted (250 at the end of DATA)."""
    logins: list[str] = field(default_factory=list)
    data_faults: dict[str, str] = field(default_factory=dict)
    """Recipient -> what the server does at the end of DATA of a message to them, instead of accepting it:
    "drop" closes the connection, "tempfail" answers TEMPFAIL, "hang" never answers (until HANG_LIMIT)."""
    unaccepted: list[Received] = field(default_factory=list)
    """Messages whose whole content arrived but that a data fault kept from being accepted."""

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: list[str]) -> str:  # noqa: N802  the hook name aiosmtpd calls
        if address in self.refuse:
            return "550 5.1.1 no such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802  the hook name aiosmtpd calls
        message = Received(envelope.mail_from, list(envelope.rcpt_tos), envelope.original_content)
        fault = next((self.data_faults[r] for r in envelope.rcpt_tos if r in self.data_faults), None)
        if fault is None:
            self.received.append(message)
            return "250 Message accepted for delivery"
        self.unaccepted.append(message)
        if fault == "tempfail":
            return TEMPFAIL
        if fault == "hang":
            await asyncio.sleep(HANG_LIMIT)
        server.transport.close()  # "drop", or a hang that outlived its client: no reply ever reaches it
        return "421 4.4.2 closing"

    def authenticate(self, server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any) -> AuthResult:
        if isinstance(auth_data, LoginPassword) and (auth_data.login, auth_data.password) == (USER.encode(), PASSWORD.encode()):
            self.logins.append(auth_data.login.decode())
            return AuthResult(success=True)
        return AuthResult(success=False, handled=False)


@dataclass
class SmtpServer:
    handler: Handler
    port: int


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return int(probe.getsockname()[1])


@contextmanager
def running_server(
    *,
    tls: ssl.SSLContext | None = None,
    implicit_tls: bool = False,
    auth: bool = False,
    refuse: set[str] | None = None,
    data_faults: dict[str, str] | None = None,
) -> Iterator[SmtpServer]:
    handler = Handler(refuse=set(refuse or ()), data_faults=dict(data_faults or {}))
    port = free_port()
    options: dict[str, Any] = {}
    if tls is not None and not implicit_tls:
        options.update(tls_context=tls, require_starttls=True)
    if auth:
        options.update(auth_required=True, authenticator=handler.authenticate)
    controller = Controller(handler, hostname=HOST, port=port, ssl_context=tls if implicit_tls else None, **options)
    controller.start()
    try:
        yield SmtpServer(handler, port)
    finally:
        controller.stop()


@dataclass(frozen=True)
class Certificate:
    cert_file: Path
    key_file: Path

    def server_context(self) -> ssl.SSLContext:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(str(self.cert_file), str(self.key_file))
        return context


def self_signed_certificate(folder: Path, *, names: tuple[str, ...] = ("localhost", HOST)) -> Certificate:
    """A certificate for `names` (default 127.0.0.1 and localhost) that only a client told to trust it accepts."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "pmsheets test SMTP")])
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(CERT_NOT_BEFORE)
        .not_valid_after(CERT_NOT_AFTER)
        .add_extension(x509.SubjectAlternativeName([_subject_name(name) for name in names]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = folder / "smtp-cert.pem", folder / "smtp-key.pem"
    cert_file.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    return Certificate(cert_file, key_file)


def _subject_name(name: str) -> x509.GeneralName:
    try:
        return x509.IPAddress(ipaddress.ip_address(name))
    except ValueError:
        return x509.DNSName(name)


@contextmanager
def dropping_server() -> Iterator[int]:
    """Accepts a connection and closes it at once, like a server that falls over mid-session."""
    listener = socket.socket()
    listener.bind((HOST, 0))
    listener.listen()
    port = int(listener.getsockname()[1])
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                connection, _ = listener.accept()
            except OSError:
                return
            connection.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield port
    finally:
        stop.set()
        listener.shutdown(socket.SHUT_RDWR)  # wakes the blocked accept(); close() alone would not
        listener.close()
        thread.join(timeout=5)


@dataclass
class SilentServer:
    port: int
    connections: list[socket.socket] = field(default_factory=list)
    """Every connection it accepted (and never answered)."""


@contextmanager
def silent_server() -> Iterator[SilentServer]:
    """Accepts connections and never sends a byte, like a server that hangs before its greeting.

    Each connection is closed after HANG_LIMIT at the latest, so a client without a working
    timeout fails its test instead of hanging the run.
    """
    listener = socket.socket()
    listener.bind((HOST, 0))
    listener.listen()
    server = SilentServer(int(listener.getsockname()[1]))
    timers: list[threading.Timer] = []

    def serve() -> None:
        while True:
            try:
                connection, _ = listener.accept()
            except OSError:
                return
            server.connections.append(connection)
            timer = threading.Timer(HANG_LIMIT, connection.close)
            timer.daemon = True
            timers.append(timer)
            timer.start()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        listener.shutdown(socket.SHUT_RDWR)  # wakes the blocked accept(); close() alone would not
        listener.close()
        thread.join(timeout=5)
        for timer in timers:
            timer.cancel()
        for connection in server.connections:
            connection.close()
