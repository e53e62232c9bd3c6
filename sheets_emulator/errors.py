"""The one exception the emulator raises for answers that are Google API errors."""

from __future__ import annotations

from typing import Any

_STATUS_NAMES = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    429: "RESOURCE_EXHAUSTED",
    500: "INTERNAL",
    503: "UNAVAILABLE",
}


class ApiError(Exception):
    """An error the service answers as `{"error": {"code", "message", "status"}}`."""

    def __init__(self, code: int, message: str, status: str | None = None, *, field: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status or _STATUS_NAMES.get(code, "UNKNOWN")
        self.field = field

    @classmethod
    def invalid(cls, message: str, *, field: str | None = None) -> ApiError:
        return cls(400, message, field=field)

    def body(self) -> dict[str, Any]:
        error: dict[str, Any] = {"code": self.code, "message": self.message, "status": self.status}
        if self.field:
            violation = {"field": self.field, "description": self.message}
            error["details"] = [{"@type": "type.googleapis.com/google.rpc.BadRequest", "fieldViolations": [violation]}]
        return {"error": error}


class DriveError(ApiError):
    """Drive v3 answers errors with an extra `errors` list."""

    def __init__(self, code: int, message: str, reason: str) -> None:
        super().__init__(code, message)
        self.reason = reason

    def body(self) -> dict[str, Any]:
        error = {"domain": "global", "reason": self.reason, "message": self.message}
        return {"error": {"code": self.code, "message": self.message, "errors": [error]}}
