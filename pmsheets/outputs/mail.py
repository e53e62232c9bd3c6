"""Deliver already-rendered messages: to an SMTP server (through yagmail) or as .eml files.

The MIME message is built here with the standard `email` package, not by yagmail: yagmail
turns any content string that happens to name an existing file into an attachment, adds
no plain-text alternative of its own making, and rewrites the HTML. Its connection is
still what talks to the server (`SmtpTransport`), with certificate checks turned on.
"""

from __future__ import annotations

import email.policy
import os
import smtplib
import ssl
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid, parseaddr
from pathlib import Path
from typing import Protocol

from pmsheets.config import SmtpSettings
from pmsheets.errors import PmsheetsError
from pmsheets.files import write_atomically, write_failed
from pmsheets.network import failure_reason

KEYRING_SERVICE = "pmsheets"


class MailError(PmsheetsError):
    """A message could not be delivered (server unreachable, refused, TLS or login failure)."""


class MailConnectError(MailError):
    """No session with the server (refused, no answer in time, TLS or login failure): the next message would fare the same."""


@dataclass(frozen=True, slots=True)
class Attachment:
    filename: str
    content: bytes
    mime_type: str = "application/octet-stream"


@dataclass(frozen=True, slots=True)
class Outgoing:
    """One message as the reports want it sent; recipients are plain addresses."""

    sender: str
    to: tuple[str, ...]
    subject: str
    text: str
    html: str
    cc: tuple[str, ...] = ()
    attachments: tuple[Attachment, ...] = ()

    @property
    def recipients(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys((*self.to, *self.cc)))


@dataclass(frozen=True, slots=True)
class Delivery:
    """What the server accepted; `refused` maps a recipient to the server's reason."""

    message_id: str
    accepted: tuple[str, ...]
    refused: Mapping[str, str] = field(default_factory=dict)


def build_message(outgoing: Outgoing, *, now: datetime) -> EmailMessage:
    """multipart/alternative (text, then HTML), inside multipart/mixed only when something is attached."""
    message = EmailMessage()
    message["From"] = outgoing.sender
    message["To"] = ", ".join(outgoing.to)
    if outgoing.cc:
        message["Cc"] = ", ".join(outgoing.cc)
    message["Subject"] = " ".join(outgoing.subject.split())
    message["Date"] = format_datetime(now)
    message["Message-ID"] = make_msgid(domain=_domain(outgoing.sender))
    message["Auto-Submitted"] = "auto-generated"  # RFC 3834: auto-replies should not answer a report
    message.set_content(outgoing.text, subtype="plain", charset="utf-8")
    message.add_alternative(outgoing.html, subtype="html", charset="utf-8")
    for attachment in outgoing.attachments:
        maintype, _, subtype = attachment.mime_type.partition("/")
        message.add_attachment(attachment.content, maintype=maintype, subtype=subtype, filename=attachment.filename)
    return message


def _domain(sender: str) -> str:
    address = parseaddr(sender)[1]
    return address.rpartition("@")[2] or "pmsheets.invalid"


def envelope_sender(sender: str) -> str:
    return parseaddr(sender)[1] or sender


class Transport(Protocol):
    def send(self, message: EmailMessage, recipients: Sequence[str], *, name: str) -> Delivery:
        """Deliver `message` to `recipients` (the envelope); `name` is a file-name stem for it."""
        ...

    def close(self) -> None:
        """Let go of any connection the sends opened."""
        ...


# --- file transport ----------------------------------------------------------------------------


class FileTransport:
    """Writes each message as an .eml file into the outbox folder, so nothing needs a mail server."""

    def __init__(self, outbox: Path) -> None:
        self.outbox = outbox

    def send(self, message: EmailMessage, recipients: Sequence[str], *, name: str) -> Delivery:
        path = self.outbox / f"{name}.eml"
        try:
            self.outbox.mkdir(parents=True, exist_ok=True)
            path = unused_path(path)
            write_atomically(path, lambda temp: temp.write_bytes(bytes(message)))
        except OSError as error:
            raise MailError(write_failed(path, error, "Check mail.outbox in the config and the free space.")) from None
        return Delivery(str(message["Message-ID"]), tuple(recipients))

    def close(self) -> None:
        pass


def unused_path(path: Path) -> Path:
    """`path`, or the same name with -2, -3, ... so an earlier message is never overwritten."""
    candidate, number = path, 1
    while candidate.exists():
        number += 1
        candidate = path.with_name(f"{path.stem}-{number}{path.suffix}")
    return candidate


# --- SMTP transport ----------------------------------------------------------------------------


def tls_context(settings: SmtpSettings) -> ssl.SSLContext:
    """Verifies the certificate and the host name; there is deliberately no switch to turn that off."""
    context = ssl.create_default_context()
    if settings.ca_file is not None:
        try:
            context.load_verify_locations(cafile=str(settings.ca_file))
        except (OSError, ssl.SSLError) as error:
            msg = f"mail.smtp.ca_file {settings.ca_file} is not a readable PEM certificate file ({error})"
            raise MailError(msg) from None
    return context


PasswordLookup = Callable[[str, str], str | None]


def keyring_password(service: str, username: str) -> str | None:
    try:
        import keyring  # optional: only when the password lives in the system keyring
        from keyring.errors import KeyringError
    except ImportError:
        return None
    try:
        password: str | None = keyring.get_password(service, username)
    except KeyringError:
        return None
    return password


def smtp_password(
    settings: SmtpSettings, *, environ: Mapping[str, str] | None = None, keyring_lookup: PasswordLookup = keyring_password
) -> str:
    """From the environment variable named in mail.smtp.password_env, else the system keyring."""
    assert settings.username is not None
    env = os.environ if environ is None else environ
    if settings.password_env and env.get(settings.password_env):
        return env[settings.password_env]
    stored = keyring_lookup(KEYRING_SERVICE, settings.username)
    if stored:
        return stored
    where = (
        f"the environment variable {settings.password_env}"
        if settings.password_env
        else "an environment variable named in mail.smtp.password_env"
    )
    msg = (
        f"no SMTP password for {settings.username}: set {where}, or store it in the system keyring "
        f"(service '{KEYRING_SERVICE}', user '{settings.username}'). Passwords are never read from the config file."
    )
    raise MailError(msg)


class SmtpTransport:
    """The first send opens a yagmail connection; later sends reuse it until `close()`."""

    def __init__(self, settings: SmtpSettings, sender: str, *, password: str | None = None) -> None:
        if settings.security not in ("starttls", "ssl", "none"):
            msg = f"mail.smtp.security must be starttls, ssl or none, not {settings.security!r}"
            raise MailError(msg)
        self.settings = settings
        self.sender = envelope_sender(sender)
        self._password = password
        self._smtp: smtplib.SMTP | None = None

    def describe(self) -> str:
        return f"{self.settings.host}:{self.settings.effective_port} ({self.settings.security})"

    @contextmanager
    def connected(self) -> Iterator[SmtpTransport]:
        try:
            yield self
        finally:
            self.close()

    def close(self) -> None:
        smtp, self._smtp = self._smtp, None
        _quit_quietly(smtp)

    def send(self, message: EmailMessage, recipients: Sequence[str], *, name: str) -> Delivery:
        if self._smtp is None:
            self._smtp = self._open()
        try:
            # smtplib sends bytes as they are: the lines must already end in CRLF.
            refused = self._smtp.sendmail(self.sender, list(recipients), message.as_bytes(policy=email.policy.SMTP))
        except smtplib.SMTPRecipientsRefused as error:
            msg = f"{self.describe()} refused every recipient: {_reasons(error.recipients)}"
            raise MailError(msg) from None
        except (smtplib.SMTPException, OSError) as error:
            self.close()  # the next message starts a fresh session
            msg = f"{self.describe()} did not accept the message: {_explain(error, timeout=self.settings.timeout)}"
            raise MailError(msg) from None
        reasons = {address: _reason_text(code, text) for address, (code, text) in refused.items()}
        accepted = tuple(r for r in recipients if r not in reasons)
        return Delivery(str(message["Message-ID"]), accepted, reasons)

    def _open(self) -> smtplib.SMTP:
        import yagmail  # deferred: only a send needs it

        s = self.settings
        password = self._password
        if s.username and password is None:
            password = smtp_password(s)
        context = tls_context(s) if s.security != "none" else None
        extra = {"context": context} if s.security == "ssl" else {}
        client = yagmail.SMTP(
            user=s.username or "",
            host=s.host,
            port=s.effective_port,
            smtp_ssl=s.security == "ssl",
            smtp_starttls={"context": context} if s.security == "starttls" else False,
            # yagmail would append @gmail.com to a user name without '@': the login happens below instead.
            smtp_skip_login=True,
            soft_email_validation=False,
            timeout=s.timeout,
            **extra,
        )
        client.set_logging(None)
        try:
            client.login()
            if s.username:
                assert password is not None
                client.smtp.login(s.username, password)
        except (smtplib.SMTPException, OSError) as error:
            _quit_quietly(client.smtp)
            client.is_closed = True
            msg = f"could not connect to the SMTP server {self.describe()}: {_explain(error, timeout=s.timeout)}"
            raise MailConnectError(msg) from None
        client.is_closed = True  # the connection is ours now; yagmail must not close it on garbage collection
        smtp: smtplib.SMTP = client.smtp
        return smtp


def _quit_quietly(smtp: smtplib.SMTP | None) -> None:
    if smtp is None:
        return
    try:
        smtp.quit()
    except (smtplib.SMTPException, OSError):
        smtp.close()


def _explain(error: BaseException, *, timeout: float) -> str:
    if isinstance(error, ssl.SSLCertVerificationError) and "mismatch" in str(error.verify_message):
        return (
            f"its TLS certificate is made out to another name ({error.verify_message}). Set mail.smtp.host to the name in the certificate."
        )
    if isinstance(error, ssl.SSLCertVerificationError):
        return f"its TLS certificate is not trusted ({error.verify_message}). Fix the server's certificate, or set mail.smtp.ca_file to the CA that signed it."
    if isinstance(error, smtplib.SMTPAuthenticationError):
        return f"login refused for the configured user ({_reason_text(error.smtp_code, error.smtp_error)}). Check mail.smtp.username and the password."
    if isinstance(error, smtplib.SMTPNotSupportedError):
        return f"{error}. Check mail.smtp.security (starttls, ssl or none) and the port."
    # smtplib turns a read that timed out into SMTPServerDisconnected: the client gave up, the server did not hang up.
    if isinstance(error, TimeoutError) or (
        isinstance(error, smtplib.SMTPServerDisconnected) and isinstance(error.__context__, TimeoutError)
    ):
        return f"no answer within {timeout:g} s (mail.smtp.timeout)"
    if isinstance(error, smtplib.SMTPServerDisconnected):
        return f"the server closed the connection ({error or 'no reason given'})"
    if isinstance(error, smtplib.SMTPResponseException):
        return _reason_text(error.smtp_code, error.smtp_error)
    reason = failure_reason(error, timeout=timeout)
    if reason is not None:
        return f"{reason}. Check mail.smtp.host and mail.smtp.port, and the network"
    return str(error) or type(error).__name__


def _reason_text(code: int, text: bytes | str) -> str:
    shown = text.decode("utf-8", "replace") if isinstance(text, bytes) else str(text)
    return f"{code} {shown}".strip()


def _reasons(refused: Mapping[str, tuple[int, bytes]]) -> str:
    return "; ".join(f"{address}: {_reason_text(code, text)}" for address, (code, text) in refused.items())
