"""Fault injection, per-user quota and the request log, for tests of retry and backoff paths."""

from __future__ import annotations

import random
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sheets_emulator.errors import ApiError, DriveError

DROP = "drop"
USER_RATE_LIMIT = "userRateLimitExceeded"
"""Drive's per-user limit: a 403 with this reason (not a 429), which clients are to retry with backoff."""
Hook = Callable[[Any], None]

_FAULT_MESSAGES = {
    429: "Resource has been exhausted (e.g. check quota).",
    500: "Internal error encountered.",
    503: "The service is currently unavailable.",
}


def fault_error(fault: int | str) -> ApiError:
    if fault == USER_RATE_LIMIT:
        return DriveError(403, "User rate limit exceeded.", USER_RATE_LIMIT)
    status = int(fault)
    return ApiError(status, _FAULT_MESSAGES.get(status, "Injected fault."))


@dataclass(frozen=True)
class LoggedRequest:
    """One API request as the emulator saw it; `kind` is "read", "write" or "drive"."""

    number: int
    method: str
    path: str
    kind: str
    status: int
    user: str


class Faults:
    """What goes wrong, and when. Scripted answers come first, then the random rate.

    `script(429, None, 503)` answers the next three API requests with 429, the real answer, 503;
    `script(USER_RATE_LIMIT)` with Drive's 403 userRateLimitExceeded.
    `fail_randomly(0.2, seed=1)` fails a seeded 20% of requests with 500 or 503.
    `latency = 0.05` delays every API request; `sleep` can be swapped so tests need not wait.
    `drop_connections(1)` closes the socket of the next request without answering.
    `after_request(3, hook)` runs hook(emulator) after request 3 is answered and before request 4.
    """

    def __init__(self, *, sleep: Callable[[float], None] = time.sleep) -> None:
        self.sleep = sleep
        self.latency = 0.0
        self._lock = threading.Lock()
        self._script: deque[int | str | None] = deque()
        self._rate = 0.0
        self._rate_statuses: tuple[int, ...] = (500, 503)
        self._rng = random.Random(0)
        self._hooks: dict[int, list[Hook]] = {}

    def script(self, *answers: int | str | None) -> None:
        with self._lock:
            self._script.extend(answers)

    def fail_randomly(self, rate: float, *, statuses: tuple[int, ...] = (500, 503), seed: int = 0) -> None:
        with self._lock:
            self._rate, self._rate_statuses, self._rng = rate, statuses, random.Random(seed)

    def drop_connections(self, count: int = 1) -> None:
        self.script(*([DROP] * count))

    def after_request(self, number: int, hook: Hook) -> None:
        with self._lock:
            self._hooks.setdefault(number, []).append(hook)

    def clear(self) -> None:
        with self._lock:
            self._script.clear()
            self._rate = 0.0
            self._hooks.clear()
            self.latency = 0.0

    def next_fault(self) -> int | str | None:
        """The injected answer for the request about to be served, if any."""
        with self._lock:
            if self._script:
                return self._script.popleft()
            if self._rate and self._rng.random() < self._rate:
                return self._rng.choice(self._rate_statuses)
        return None

    def hooks_after(self, number: int) -> list[Hook]:
        with self._lock:
            return self._hooks.pop(number, [])


class Quota:
    """Read and write requests per user in any 60 s, like the Sheets API's per-minute-per-user limits."""

    def __init__(
        self, clock: Callable[[], float], *, reads_per_minute: int = 60, writes_per_minute: int = 60, project_number: str = "0"
    ) -> None:
        self.clock = clock
        self.limits = {"read": reads_per_minute, "write": writes_per_minute}
        self.project_number = project_number
        self._seen: dict[tuple[str, str], deque[float]] = {}
        self._lock = threading.Lock()

    def charge(self, user: str, kind: str) -> None:
        limit = self.limits.get(kind)
        if limit is None:
            return
        now = self.clock()
        with self._lock:
            window = self._seen.setdefault((user, kind), deque())
            while window and window[0] <= now - 60:
                window.popleft()
            if len(window) >= limit:
                raise self._exhausted(kind)
            window.append(now)

    def _exhausted(self, kind: str) -> ApiError:
        metric = "Read requests" if kind == "read" else "Write requests"
        return ApiError(
            429,
            f"Quota exceeded for quota metric '{metric}' and limit '{metric} per minute per user' of service "
            f"'sheets.googleapis.com' for consumer 'project_number:{self.project_number}'.",
        )
