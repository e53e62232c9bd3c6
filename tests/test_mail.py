"""Delivering messages: what a real SMTP server on 127.0.0.1 receives, and the .eml file transport."""

from __future__ import annotations

from collections.abc import Iterator
from email import message_from_bytes, policy
from pathlib import Path

import pytest

from pmsheets.config import SmtpSettings
from pmsheets.outputs.mail import (
    Attachment,
    FileTransport,
    MailError,
    Outgoing,
    SmtpTransport,
    build_message,
    smtp_password,
)
from tests.builders import AS_OF
from tests.smtp_server import (
    HOST,
    PASSWORD,
    USER,
    Certificate,
    SmtpServer,
    dropping_server,
    free_port,
    running_server,
    self_signed_certificate,
)

SENDER = "pmsheets <reports@example.com>"


def outgoing(**changes: object) -> Outgoing:
    values: dict[str, object] = {
        "sender": SENDER,
        "to": ("ops@example.com",),
        "cc": ("manager@example.com",),
        "subject": "Weekly report",
        "text": "Plain words.\n",
        "html": "<p>Rich <b>words</b>.</p>",
    }
    return Outgoing(**(values | changes))  # type: ignore[arg-type]


def send(settings: SmtpSettings, message: Outgoing, *, password: str | None = None) -> object:
    with SmtpTransport(settings, message.sender, password=password).connected() as transport:
        return transport.send(build_message(message, now=AS_OF), message.recipients, name="test")


@pytest.fixture
def certificate(tmp_path: Path) -> Certificate:
    return self_signed_certificate(tmp_path)


@pytest.fixture
def plain_server() -> Iterator[SmtpServer]:
    with running_server() as server:
        yield server


def plain(port: int) -> SmtpSettings:
    return SmtpSettings(host=HOST, port=port, security="none", timeout=5)


# --- the message -----------------------------------------------------------------------------------


def test_message_has_text_then_html_alternatives() -> None:
    message = build_message(outgoing(), now=AS_OF)
    assert message.get_content_type() == "multipart/alternative"
    assert [p.get_content_type() for p in message.iter_parts()] == ["text/plain", "text/html"]


def test_message_ids_are_unique() -> None:
    ids = {build_message(outgoing(), now=AS_OF)["Message-ID"] for _ in range(20)}
    assert len(ids) == 20


def test_message_date_is_the_given_time() -> None:
    assert build_message(outgoing(), now=AS_OF)["Date"] == "Fri, 27 Nov 2026 09:00:00 +0000"


def test_message_content_naming_an_existing_file_is_not_attached(tmp_path: Path) -> None:
    existing = tmp_path / "secret.txt"
    existing.write_text("do not send me", encoding="utf-8")
    message = build_message(outgoing(text=str(existing), html=str(existing)), now=AS_OF)
    assert not list(message.iter_attachments())
    assert message.get_body(("plain",)).get_content().strip() == str(existing)  # type: ignore[union-attr]


def test_message_subject_newlines_become_spaces() -> None:
    message = build_message(outgoing(subject="Report\r\nBcc: victim@example.com"), now=AS_OF)
    assert message["Subject"] == "Report Bcc: victim@example.com"
    assert "Bcc" not in message


def test_message_with_attachment_is_mixed() -> None:
    attachment = Attachment("snapshot.xlsx", b"PK\x03\x04", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    message = build_message(outgoing(attachments=(attachment,)), now=AS_OF)
    assert message.get_content_type() == "multipart/mixed"
    assert [a.get_filename() for a in message.iter_attachments()] == ["snapshot.xlsx"]


# --- plain SMTP --------------------------------------------------------------------------------------


def test_smtp_delivers_to_to_and_cc(plain_server: SmtpServer) -> None:
    send(plain(plain_server.port), outgoing())
    [received] = plain_server.handler.received
    assert received.rcpt_tos == ["ops@example.com", "manager@example.com"]
    assert (received.message["To"], received.message["Cc"]) == ("ops@example.com", "manager@example.com")


def test_smtp_envelope_sender_is_the_from_address(plain_server: SmtpServer) -> None:
    send(plain(plain_server.port), outgoing())
    assert plain_server.handler.received[0].mail_from == "reports@example.com"


def test_smtp_received_message_has_both_parts(plain_server: SmtpServer) -> None:
    send(plain(plain_server.port), outgoing())
    message = plain_server.handler.received[0].message
    assert message.get_body(("plain",)).get_content() == "Plain words.\r\n"  # type: ignore[union-attr]
    assert "<b>words</b>" in message.get_body(("html",)).get_content()  # type: ignore[union-attr]
    assert message["Message-ID"]
    assert message["Date"]


def test_smtp_sends_lines_ending_in_crlf_so_a_long_message_arrives(plain_server: SmtpServer) -> None:
    html = "<table>" + "<tr><td>row</td></tr>" * 500 + "</table>"
    send(plain(plain_server.port), outgoing(html=html))
    assert plain_server.handler.received[0].message.get_body(("html",)).get_content().strip() == html  # type: ignore[union-attr]


def test_smtp_reports_a_refused_recipient_and_delivers_to_the_others() -> None:
    with running_server(refuse={"manager@example.com"}) as server:
        delivery = send(plain(server.port), outgoing())
    assert delivery.accepted == ("ops@example.com",)  # type: ignore[attr-defined]
    assert list(delivery.refused) == ["manager@example.com"]  # type: ignore[attr-defined]
    assert server.handler.received[0].rcpt_tos == ["ops@example.com"]


def test_smtp_every_recipient_refused_is_an_error() -> None:
    with (
        running_server(refuse={"ops@example.com", "manager@example.com"}) as server,
        pytest.raises(MailError, match="refused every recipient"),
    ):
        send(plain(server.port), outgoing())


def test_smtp_no_server_listening_is_an_error() -> None:
    with pytest.raises(MailError, match="could not connect"):
        send(plain(free_port()), outgoing())


def test_smtp_server_dropping_the_connection_is_an_error() -> None:
    with dropping_server() as port, pytest.raises(MailError, match="could not connect"):
        send(plain(port), outgoing())


def test_smtp_one_connection_sends_several_messages(plain_server: SmtpServer) -> None:
    transport = SmtpTransport(plain(plain_server.port), SENDER)
    with transport.connected():
        for _ in range(3):
            transport.send(build_message(outgoing(), now=AS_OF), ["ops@example.com"], name="x")
    assert len(plain_server.handler.received) == 3


# --- TLS and AUTH ----------------------------------------------------------------------------------


def test_starttls_with_auth_delivers_when_the_certificate_is_trusted(certificate: Certificate) -> None:
    with running_server(tls=certificate.server_context(), auth=True) as server:
        settings = SmtpSettings(host=HOST, port=server.port, security="starttls", username=USER, ca_file=certificate.cert_file, timeout=5)
        send(settings, outgoing(), password=PASSWORD)
    assert server.handler.logins == [USER]
    assert len(server.handler.received) == 1


def test_starttls_refuses_an_untrusted_certificate(certificate: Certificate) -> None:
    with running_server(tls=certificate.server_context()) as server:
        settings = SmtpSettings(host=HOST, port=server.port, security="starttls", timeout=5)
        with pytest.raises(MailError, match="certificate is not trusted"):
            send(settings, outgoing())
    assert server.handler.received == []


def test_ssl_delivers_when_the_certificate_is_trusted(certificate: Certificate) -> None:
    with running_server(tls=certificate.server_context(), implicit_tls=True) as server:
        settings = SmtpSettings(host=HOST, port=server.port, security="ssl", ca_file=certificate.cert_file, timeout=5)
        send(settings, outgoing())
    assert len(server.handler.received) == 1


def test_ssl_refuses_an_untrusted_certificate(certificate: Certificate) -> None:
    with running_server(tls=certificate.server_context(), implicit_tls=True) as server:
        settings = SmtpSettings(host=HOST, port=server.port, security="ssl", timeout=5)
        with pytest.raises(MailError, match="certificate is not trusted"):
            send(settings, outgoing())


def test_auth_with_a_wrong_password_is_an_error(certificate: Certificate) -> None:
    with running_server(tls=certificate.server_context(), auth=True) as server:
        settings = SmtpSettings(host=HOST, port=server.port, security="starttls", username=USER, ca_file=certificate.cert_file, timeout=5)
        with pytest.raises(MailError, match="login refused"):
            send(settings, outgoing(), password="wrong")
    assert server.handler.received == []


def test_starttls_against_a_server_without_it_is_an_error(plain_server: SmtpServer) -> None:
    settings = SmtpSettings(host=HOST, port=plain_server.port, security="starttls", timeout=5)
    with pytest.raises(MailError, match="STARTTLS"):
        send(settings, outgoing())


# --- the password --------------------------------------------------------------------------------------


def test_password_comes_from_the_named_environment_variable() -> None:
    settings = SmtpSettings(host=HOST, username=USER, password_env="PMSHEETS_SMTP_PASSWORD")
    assert smtp_password(settings, environ={"PMSHEETS_SMTP_PASSWORD": "s3cret"}, keyring_lookup=lambda _s, _u: None) == "s3cret"


def test_password_falls_back_to_the_keyring() -> None:
    settings = SmtpSettings(host=HOST, username=USER, password_env="PMSHEETS_SMTP_PASSWORD")
    lookups: list[tuple[str, str]] = []

    def keyring(service: str, user: str) -> str:
        lookups.append((service, user))
        return "from-keyring"

    assert smtp_password(settings, environ={}, keyring_lookup=keyring) == "from-keyring"
    assert lookups == [("pmsheets", USER)]


def test_password_missing_everywhere_names_the_variable() -> None:
    settings = SmtpSettings(host=HOST, username=USER, password_env="PMSHEETS_SMTP_PASSWORD")
    with pytest.raises(MailError, match="PMSHEETS_SMTP_PASSWORD"):
        smtp_password(settings, environ={}, keyring_lookup=lambda _s, _u: None)


# --- the file transport ----------------------------------------------------------------------------------


def test_file_transport_writes_a_parseable_eml(tmp_path: Path) -> None:
    message = build_message(outgoing(), now=AS_OF)
    FileTransport(tmp_path / "outbox").send(message, ["ops@example.com"], name="overdue-2026-W48")
    parsed = message_from_bytes((tmp_path / "outbox" / "overdue-2026-W48.eml").read_bytes(), policy=policy.default)
    assert parsed["Message-ID"] == message["Message-ID"]


def test_file_transport_never_overwrites_an_earlier_message(tmp_path: Path) -> None:
    transport = FileTransport(tmp_path)
    for _ in range(2):
        transport.send(build_message(outgoing(), now=AS_OF), ["ops@example.com"], name="overdue")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["overdue-2.eml", "overdue.eml"]
