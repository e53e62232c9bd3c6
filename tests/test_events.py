"""Event lines: one line per event, text or JSON, and never a secret in a line."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime

from pmsheets.ops.events import REDACTED, EventLog, Redactor

AT = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)
PASSWORD = "correct horse battery staple"


def event_log(*, json_lines: bool, secrets: tuple[str, ...] = ()) -> tuple[EventLog, io.StringIO]:
    stream = io.StringIO()
    return EventLog(stream, clock=lambda: AT, json_lines=json_lines, redact=Redactor(secrets)), stream


def raised(message: str) -> RuntimeError:
    try:
        raise RuntimeError(message)
    except RuntimeError as error:
        return error


def test_text_event_is_one_line_with_time_level_event_and_fields() -> None:
    events, stream = event_log(json_lines=False)
    events.info("step", "read ok: 3 tabs", step="read", status="ok")
    assert stream.getvalue() == "2026-11-30T08:00:00+00:00 info    step: read ok: 3 tabs step=read status=ok\n"


def test_text_event_quotes_field_values_with_spaces() -> None:
    events, stream = event_log(json_lines=False)
    events.warning("weekly.skipped", "skipped", kinds="overdue report")
    assert stream.getvalue().rstrip("\n").endswith('kinds="overdue report"')


def test_json_event_is_one_object_per_line() -> None:
    events, stream = event_log(json_lines=True)
    events.error("report.failed", "overdue-2026-W49: NOT sent", week="2026-W49")
    assert json.loads(stream.getvalue()) == {
        "at": "2026-11-30T08:00:00+00:00",
        "level": "error",
        "event": "report.failed",
        "message": "overdue-2026-W49: NOT sent",
        "week": "2026-W49",
    }


def test_exception_keeps_its_traceback_on_the_same_line() -> None:
    events, stream = event_log(json_lines=False)
    events.exception("job.failed", "job sync raised", raised("boom"))
    lines = stream.getvalue().splitlines()
    assert len(lines) == 1
    assert "Traceback (most recent call last):" in lines[0]
    assert "RuntimeError: boom" in lines[0]


def test_exception_in_json_has_a_traceback_field() -> None:
    events, stream = event_log(json_lines=True)
    events.exception("job.failed", "job sync raised", raised("boom"))
    assert "RuntimeError: boom" in json.loads(stream.getvalue())["traceback"]


def test_known_secret_never_reaches_a_text_line() -> None:
    events, stream = event_log(json_lines=False, secrets=(PASSWORD,))
    events.exception("report.failed", f"login refused for password {PASSWORD}", raised(f"535 bad credentials {PASSWORD}"), detail=PASSWORD)
    assert PASSWORD not in stream.getvalue()
    assert REDACTED in stream.getvalue()


def test_known_secret_never_reaches_a_json_line() -> None:
    secret = 'p"a\\ss\nword'  # JSON escapes it: the escaped form is removed too
    events, stream = event_log(json_lines=True, secrets=(secret,))
    events.error("report.failed", f"refused {secret}", detail=secret)
    assert json.dumps(secret)[1:-1] not in stream.getvalue()
    assert json.loads(stream.getvalue())["detail"] == REDACTED


def test_private_key_shaped_text_is_redacted_without_being_named() -> None:
    events, stream = event_log(json_lines=True)
    events.error("step", "bad key -----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBg\n-----END PRIVATE KEY----- in env")
    assert "MIIEvQIBADANBg" not in stream.getvalue()


def test_bearer_token_and_password_assignment_are_redacted() -> None:
    events, stream = event_log(json_lines=False)
    events.error("step", "sent Authorization: Bearer ya29.a0AfB_token with password=hunter22")
    line = stream.getvalue()
    assert "ya29.a0AfB_token" not in line
    assert "hunter22" not in line


def test_short_secret_values_are_not_used_for_redaction() -> None:
    events, stream = event_log(json_lines=False, secrets=("on",))
    events.info("step", "read ok: one tab")
    assert "one tab" in stream.getvalue()
