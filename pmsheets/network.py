"""Why a connection failed, in words a person can act on: DNS, refused, TLS, timeout, dropped;
and how long a Google API call keeps trying when the failure is passing.

HTTP and SMTP libraries wrap the socket's error in several layers (google-auth's
TransportError around requests' ConnectionError around urllib3's MaxRetryError around
the OSError); the cause that says what went wrong is the innermost one.
"""

from __future__ import annotations

import errno
import socket
import ssl
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from urllib.parse import urlsplit

_UNREACHABLE = {errno.ENETUNREACH, errno.EHOSTUNREACH, errno.ENETDOWN, errno.EHOSTDOWN}
RETRIED_STATUSES = frozenset({429, 500, 502, 503, 504})
"""What Google's APIs answer while a limit or the service itself is passing: worth another try."""


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """Capped exponential backoff with a bound on the total time spent waiting."""

    first_delay: float = 1.0
    max_delay: float = 16.0
    total_seconds: float = 60.0

    def pauses(self, jitter: Callable[[], float]) -> Iterator[float]:
        """The wait before each retry: doubling, capped, each between half and all of it (`jitter` in [0, 1)),
        until the next one would take the total past `total_seconds`."""
        waited, delay = 0.0, self.first_delay
        while waited + (pause := min(delay, self.max_delay) * (0.5 + jitter() / 2)) <= self.total_seconds:
            yield pause
            waited += pause
            delay *= 2


def failure_reason(error: BaseException, *, timeout: float | None = None) -> str | None:
    """What went wrong on the way to the host (a phrase, no advice), or None when `error` is not a connection failure."""
    for cause in reversed(list(_causes(error))):
        reason = _reason(cause, timeout)
        if reason is not None:
            return reason
    return None


def lasting(error: BaseException) -> bool:
    """A name that does not resolve or a TLS certificate refused: retrying within seconds will not help."""
    return any(isinstance(cause, socket.gaierror | ssl.SSLError) for cause in _causes(error))


def _reason(cause: BaseException, timeout: float | None) -> str | None:
    name = type(cause).__name__
    if isinstance(cause, socket.gaierror):
        return "its name does not resolve (DNS)"
    if isinstance(cause, ssl.SSLCertVerificationError):
        return f"its TLS certificate is not trusted ({cause.verify_message})"
    if isinstance(cause, ssl.SSLError):
        return f"the TLS handshake failed ({cause.reason or cause})"
    if isinstance(cause, ConnectionRefusedError):
        return "the connection was refused"
    if isinstance(cause, ConnectionResetError | BrokenPipeError) or name in ("RemoteDisconnected", "ProtocolError"):
        return "the connection was dropped"
    if isinstance(cause, TimeoutError) or name in ("ReadTimeoutError", "ConnectTimeoutError", "Timeout", "ReadTimeout", "ConnectTimeout"):
        within = f" within {timeout:g} s" if timeout is not None else ""
        return f"no answer{within}"
    if isinstance(cause, OSError) and cause.errno in _UNREACHABLE:
        return f"the network is unreachable ({cause.strerror})"
    if name == "ProxyError":
        return "the proxy refused the connection"
    return None


def _causes(error: BaseException) -> Iterator[BaseException]:
    """`error`, then what it wraps: __cause__/__context__, the first argument that is an exception, urllib3's `reason`."""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = _wrapped(current)


def _wrapped(error: BaseException) -> BaseException | None:
    reason = getattr(error, "reason", None)
    if isinstance(reason, BaseException):
        return reason
    inner = next((arg for arg in error.args if isinstance(arg, BaseException)), None)
    return inner or error.__cause__ or error.__context__


def failed_host(error: BaseException) -> str | None:
    """The host the failed request went to, when a layer of `error` records it."""
    for cause in _causes(error):
        request = getattr(cause, "request", None)
        url = getattr(request, "url", None)
        if isinstance(url, str):
            return host_of(url)
        pool = getattr(cause, "pool", None)
        if pool is not None and getattr(pool, "host", None):
            return f"{pool.host}:{pool.port}" if pool.port not in (None, 80, 443) else str(pool.host)
    return None


def host_of(url: str) -> str:
    """The host (and port, when given) of `url`, as a message names it."""
    parts = urlsplit(url)
    return parts.netloc.rsplit("@", 1)[-1] or url
