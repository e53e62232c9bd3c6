"""`pmsheets doctor`: check config, credentials, access and the register's layout, one line per problem."""

from __future__ import annotations

import functools
from collections.abc import Generator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, cast

from pmsheets import config as config_module
from pmsheets.core.schema import parse
from pmsheets.errors import PmsheetsError
from pmsheets.model import Level
from pmsheets.network import failed_host, failure_reason, host_of
from pmsheets.register import RegisterBackend
from pmsheets.register.xlsx import XlsxRegister

if TYPE_CHECKING:
    from pmsheets.register.google_auth import GoogleIdentity


@dataclass(frozen=True, slots=True)
class Check:
    ok: bool
    message: str
    warning: bool = False

    def line(self) -> str:
        tag = "ok  " if self.ok else "warn" if self.warning else "FAIL"
        return f"{tag}  {self.message}"


def diagnose(config_path: Path) -> Iterator[Check]:
    """Each step only runs when the one before it worked, so every FAIL line is a root cause."""
    try:
        config = config_module.load(config_path)
    except PmsheetsError as error:
        yield Check(False, f"config: {error}")
        return
    yield Check(True, f"config {config_path} is valid (register backend: {config.register.backend})")
    if config.register.backend == "google":
        backend = yield from _google_backend(config)
    else:
        backend = yield from _xlsx_backend(config)
    if backend is not None:
        yield from _layout(backend)
    yield from _publishing(config)


def _xlsx_backend(config: config_module.Config) -> Generator[Check, None, RegisterBackend | None]:
    path = config.register.path
    if not path.exists():
        yield Check(False, f"register: {path} does not exist. Create it with: pmsheets init --xlsx {path}")
        return None
    for lock in (path.with_name("~$" + path.name), path.with_name(f".~lock.{path.name}#")):
        if lock.exists():
            yield Check(
                False, f"register: {path} is open in Excel or LibreOffice ({lock.name}); close it before the tool writes", warning=True
            )
    return XlsxRegister(path)


def _google_backend(config: config_module.Config) -> Generator[Check, None, RegisterBackend | None]:
    from google.auth.exceptions import GoogleAuthError
    from google.auth.transport.requests import Request

    from pmsheets.register.google import open_sheets_register
    from pmsheets.register.google_auth import key_file_is_private, load_identity, login_scopes

    login = login_scopes(config)
    try:
        identity = load_identity(config.register, login=login)
    except PmsheetsError as error:
        yield Check(False, f"credentials: {error}")
        return None
    yield Check(True, f"credentials from {identity.source}" + (f" (service account {identity.email})" if identity.email else ""))
    if identity.key_file is not None and not key_file_is_private(identity.key_file):
        yield Check(
            False,
            f"credentials: key file {identity.key_file} can be read by other users; run: chmod 600 {identity.key_file}",
            warning=True,
        )
    # Bounded by the register's timeout, as every other request is (google-auth would wait 120 s for the token).
    token_request = cast("Request", functools.partial(Request(), timeout=config.register.timeout_seconds))
    try:
        identity.credentials.refresh(token_request)
    except (GoogleAuthError, OSError) as error:
        yield Check(False, f"credentials: {_refresh_failure(identity, error, config.register.timeout_seconds)}")
        return None
    yield Check(True, "credentials accepted by the token endpoint")
    return open_sheets_register(config.register, login=login)


def _refresh_failure(identity: GoogleIdentity, error: Exception, timeout: float) -> str:
    """The network's fault (cannot reach the host) and the key's or login's (refused) call for different fixes."""
    from pmsheets.register.google_auth import refused_because

    reason = failure_reason(error, timeout=timeout)
    refusal = identity.refusal
    if reason is not None:
        host = failed_host(error) or host_of(str(getattr(identity.credentials, "_token_uri", "") or "the token endpoint"))
        return f"cannot reach {host}: {reason}. Check the network and the proxy (HTTPS_PROXY); {refusal.what} was not checked."
    return f"{refusal.what} was refused by the token endpoint ({refused_because(error)}). {refusal.fix}"


def _layout(backend: RegisterBackend) -> Iterator[Check]:
    try:
        raw = backend.read()
    except PmsheetsError as error:
        yield Check(False, f"access: {error}")
        return
    yield Check(True, f"read {backend.describe()}: tabs {', '.join(raw.tables) or 'none'}")
    problems = [f for f in parse(raw.tables).findings if f.rule in ("header-missing", "header-duplicate")]
    for finding in problems:
        where = f"{finding.cell}: " if finding.cell else ""
        yield Check(False, f"layout: {where}{finding.message}", warning=finding.level is not Level.ERROR)
    if not problems:
        yield Check(True, "every required tab and column is there")


def _publishing(config: config_module.Config) -> Iterator[Check]:
    """Where the post-mortem drafts go (postmortems.publish): reachable, and writable."""
    from pmsheets.outputs.publish import publisher_for

    if config.postmortems.publish == "local":
        return
    try:
        line = publisher_for(config).check()
    except PmsheetsError as error:
        yield Check(False, f"post-mortems: {error}")
        return
    yield Check(True, f"post-mortems: {line}")
