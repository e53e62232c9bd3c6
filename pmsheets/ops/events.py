"""One line per event for the worker and `pmsheets run`: readable text, or JSON for log shippers.

Every line passes through the redactor last, so a secret that reached a message (an
SMTP password echoed in a server error, a key in an exception) never reaches the log.
"""

from __future__ import annotations

import json
import re
import traceback
from collections.abc import Callable, Collection, Mapping
from datetime import datetime
from typing import TextIO

Clock = Callable[[], datetime]
"""Returns the current time, timezone-aware. The real one lives in the CLI; tests pass a fake."""

REDACTED = "[redacted]"
_MIN_SECRET_LENGTH = 4  # shorter values would blank out ordinary words
_SECRET_PATTERNS = (
    re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----.*?(?:-----END [A-Z ]*PRIVATE KEY-----|$)", re.DOTALL),
    re.compile(r"(?i)\bbearer\s+[A-Za-z0-9._~+/=-]+"),
    re.compile(r"(?i)(\"?(?:password|passwd|secret|token|private_key|access_token)\"?\s*[:=]\s*)(\"[^\"]*\"|'[^']*'|\S+)"),
)


class Redactor:
    """Removes known secret values, and anything shaped like a key, token or password, from text."""

    def __init__(self, secrets: Collection[str] = ()) -> None:
        # Longest first, so a secret that contains another is removed whole.
        self._secrets = sorted({s for s in secrets if len(s) >= _MIN_SECRET_LENGTH}, key=len, reverse=True)

    def __call__(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, REDACTED)
            text = text.replace(json.dumps(secret)[1:-1], REDACTED)  # as it appears inside a JSON string
        for pattern in _SECRET_PATTERNS:
            text = pattern.sub(_redact_match, text)
        return text


def _redact_match(match: re.Match[str]) -> str:
    return f"{match.group(1)}{REDACTED}" if match.re.groups else REDACTED


class EventLog:
    def __init__(self, stream: TextIO, *, clock: Clock, json_lines: bool = False, redact: Redactor | None = None) -> None:
        self._stream = stream
        self._clock = clock
        self._json = json_lines
        self._redact = redact or Redactor()

    def info(self, event: str, message: str, **fields: object) -> None:
        self._write("info", event, message, fields)

    def warning(self, event: str, message: str, **fields: object) -> None:
        self._write("warning", event, message, fields)

    def error(self, event: str, message: str, **fields: object) -> None:
        self._write("error", event, message, fields)

    def exception(self, event: str, message: str, error: BaseException, **fields: object) -> None:
        """An unexpected failure: the traceback goes into the same single line."""
        trace = "".join(traceback.format_exception(error)).rstrip()
        self._write("error", event, message, {**fields, "traceback": trace})

    def _write(self, level: str, event: str, message: str, fields: Mapping[str, object]) -> None:
        at = self._clock().isoformat(timespec="seconds")
        if self._json:
            line = json.dumps({"at": at, "level": level, "event": event, "message": message, **fields}, ensure_ascii=False, default=str)
        else:
            extra = "".join(f" {key}={_text_value(value)}" for key, value in fields.items())
            line = f"{at} {level:<7} {event}: {_one_line(message)}{extra}"
        self._stream.write(self._redact(line) + "\n")
        self._stream.flush()


def _one_line(text: str) -> str:
    return text.replace("\r", "\\r").replace("\n", "\\n")


def _text_value(value: object) -> str:
    text = str(value)
    return text if text and not any(c in text for c in ' "=\n\r\t') else json.dumps(text, ensure_ascii=False)
