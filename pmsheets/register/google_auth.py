"""Credentials for the Google Sheets backend: a service-account key, or a PM's own OAuth login.

Key material only ever comes from a file the config points at, $GOOGLE_APPLICATION_CREDENTIALS,
or an environment variable named by the config; never from the config file itself, and it is
never echoed in a message.
"""

from __future__ import annotations

import json
import os
import stat
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from google.auth.credentials import Credentials
from google.oauth2 import service_account
from google.oauth2.credentials import Credentials as OAuthCredentials

from pmsheets.config import Config, RegisterConfig
from pmsheets.errors import ConfigError

SPREADSHEETS = "https://www.googleapis.com/auth/spreadsheets"
DRIVE = "https://www.googleapis.com/auth/drive"
"""For the post-mortem Docs: files in a folder someone shared, which drive.file cannot reach."""
# drive.metadata.readonly: the file's version number (Drive files.get), so an idle worker cycle costs one
# small request instead of reading the register; it grants no access to any file's content.
DRIVE_METADATA = "https://www.googleapis.com/auth/drive.metadata.readonly"
SCOPES = (SPREADSHEETS, DRIVE_METADATA)
DRIVE_SCOPES = (DRIVE,)
DEFAULT_OAUTH_TOKEN = Path("~/.config/pmsheets/authorized_user.json")


@dataclass(frozen=True, slots=True)
class Access:
    """What one part of the tool does with a Google identity, for the scopes its tokens ask for and for messages."""

    scopes: tuple[str, ...]
    granted_by: frozenset[str]
    """A saved login holding none of these cannot do the job; the rest of `scopes` only saves requests."""
    service: str
    needed_by: str
    """The config setting that calls for it."""


# The Sheets API also takes the drive scope, so a saved login with drive alone still reads and writes the register;
# without drive.metadata.readonly every worker cycle is a full one (docs/operations.md), slower but right.
SHEETS_ACCESS = Access(SCOPES, frozenset({SPREADSHEETS, DRIVE}), "Google Sheets", "register.backend: google")
DOCS_ACCESS = Access(DRIVE_SCOPES, frozenset({DRIVE}), "Google Drive", "postmortems.publish: google_docs")


def login_scopes(config: Config) -> tuple[str, ...]:
    """What the browser login asks for: the register's scopes, plus Drive when the post-mortem Docs go out under the same login.

    One login must cover every command: a saved login cannot gain a scope later, and the first
    command to run (often validate) is the one that logs in.
    """
    return SCOPES + DRIVE_SCOPES if docs_use_register_identity(config) else SCOPES


def docs_use_register_identity(config: Config) -> bool:
    """The post-mortem Docs go to Drive as the register's Google identity: postmortems.google_docs names no key of its own."""
    docs = config.postmortems.google_docs
    own_key = docs is not None and (docs.credentials is not None or docs.credentials_env is not None)
    return config.postmortems.publish == "google_docs" and config.register.backend == "google" and not own_key


@dataclass(frozen=True, slots=True)
class Refusal:
    """What the token endpoint refused, and what to do then: the two kinds of identity call for different fixes."""

    what: str
    fix: str


LOG_IN_AGAIN = "Delete that file and run the command again in a terminal to log in with a browser."
"""What to do about a saved login that cannot serve: only a new browser login replaces it."""
KEY_REFUSED = Refusal("the key", "Download a fresh key for the service account, or check this machine's clock.")


def login_refused(token_file: Path) -> Refusal:
    # A Google Cloud OAuth app left in "testing" signs its users out after 7 days: the usual cause.
    return Refusal(
        f"the saved Google login in {token_file}",
        f"The login was signed out, revoked or has expired (an OAuth app in testing mode expires logins after 7 days). {LOG_IN_AGAIN}",
    )


@dataclass(frozen=True, slots=True)
class GoogleIdentity:
    credentials: Credentials
    email: str | None
    """The service account's email (what the sheet must be shared with); None for OAuth."""
    source: str
    """Where the key came from, for messages (a path or an env var name; never the key)."""
    key_file: Path | None = None
    refusal: Refusal = KEY_REFUSED


def load_identity(
    register: RegisterConfig,
    environ: Mapping[str, str] | None = None,
    access: Access = SHEETS_ACCESS,
    key_name: str = "register.credentials",
    login: tuple[str, ...] = SCOPES,
) -> GoogleIdentity:
    """The identity for `access`; `login` is what a browser login asks for when register.auth is oauth (login_scopes)."""
    environ = os.environ if environ is None else environ
    scopes = access.scopes
    if register.auth == "oauth":
        return _oauth_identity(register, access, login)
    if register.credentials is not None:
        return _from_key_file(register.credentials, key_name, scopes)
    if environ.get("GOOGLE_APPLICATION_CREDENTIALS"):
        return _from_key_file(Path(environ["GOOGLE_APPLICATION_CREDENTIALS"]), "$GOOGLE_APPLICATION_CREDENTIALS", scopes)
    if register.credentials_env:
        text = environ.get(register.credentials_env)
        if not text:
            msg = f"environment variable {register.credentials_env} (named by register.credentials_env) is not set or empty. Put the service-account key's JSON in it."
            raise ConfigError(msg)
        return _from_info(_parse_key(text, f"${register.credentials_env}"), f"${register.credentials_env}", scopes)
    msg = (
        "no Google credentials: set register.credentials to a service-account key file, or "
        "$GOOGLE_APPLICATION_CREDENTIALS, or register.credentials_env to the name of a variable holding the key's JSON "
        "(or register.auth: oauth to log in as yourself). See docs/google-sheets.md."
    )
    raise ConfigError(msg)


def _from_key_file(path: Path, named_by: str, scopes: tuple[str, ...]) -> GoogleIdentity:
    try:
        text = path.expanduser().read_text(encoding="utf-8")
    except OSError as error:
        msg = f"cannot read the service-account key {path} (from {named_by}): {error.strerror or error}. Point {named_by} at the key's JSON file."
        raise ConfigError(msg) from None
    identity = _from_info(_parse_key(text, str(path)), str(path), scopes)
    return GoogleIdentity(identity.credentials, identity.email, identity.source, key_file=path)


def _parse_key(text: str, source: str) -> dict[str, Any]:
    try:
        info = json.loads(text)
    except ValueError:
        msg = f"{source} is not a JSON service-account key. Download a JSON key for the service account in the Google Cloud console."
        raise ConfigError(msg) from None
    if not isinstance(info, dict) or info.get("type") != "service_account":
        msg = f'{source} is not a service-account key (its "type" is not "service_account").'
        raise ConfigError(msg)
    missing = [key for key in ("client_email", "private_key", "token_uri") if not info.get(key)]
    if missing:
        msg = f"{source} lacks {', '.join(missing)}; download a fresh JSON key."
        raise ConfigError(msg)
    return info


def _from_info(info: dict[str, Any], source: str, scopes: tuple[str, ...]) -> GoogleIdentity:
    try:
        credentials = service_account.Credentials.from_service_account_info(info, scopes=list(scopes))
    except (ValueError, TypeError):
        msg = f"the private key in {source} cannot be loaded; download a fresh JSON key."
        raise ConfigError(msg) from None
    return GoogleIdentity(credentials, str(info["client_email"]), source)


def _oauth_identity(register: RegisterConfig, access: Access, login: tuple[str, ...]) -> GoogleIdentity:
    """A PM's own Google login in the browser (gspread's OAuth flow), cached in a token file."""
    token_file = (register.oauth_token_file or DEFAULT_OAUTH_TOKEN).expanduser()
    credentials = _saved_login(token_file)
    if credentials is None:
        # The use at hand is asked for even when a caller's `login` left it out: a login without it is useless here.
        credentials = _browser_login(register, token_file, list(dict.fromkeys(login + access.scopes)))
    else:
        _check_saved_scopes(credentials.scopes, token_file, access)
    return GoogleIdentity(credentials, None, "your Google login", refusal=login_refused(token_file))


def _browser_login(register: RegisterConfig, token_file: Path, scopes: list[str]) -> OAuthCredentials:
    import gspread.auth  # deferred: pulls in the OAuth libraries

    client_file = register.oauth_client_file
    if client_file is None or not client_file.expanduser().exists():
        msg = (
            "register.auth is oauth but register.oauth_client_file does not name an existing OAuth client file. "
            "Create an OAuth client (Desktop app) in the Google Cloud console and download its JSON."
        )
        raise ConfigError(msg)
    credentials = gspread.auth.local_server_flow(json.loads(client_file.expanduser().read_text()), scopes)
    token_file.parent.mkdir(parents=True, exist_ok=True)
    gspread.auth.store_credentials(credentials, filename=token_file)
    token_file.chmod(0o600)
    return credentials


def _saved_login(token_file: Path) -> OAuthCredentials | None:
    """The token file as gspread's store_credentials wrote it, refreshing at the token_uri it names.

    google-auth's loader always puts Google's endpoint back; the file's own token_uri is Google's
    for a real login and the emulator's for one the emulator issued (docs/emulator.md).
    """
    if not token_file.exists():
        return None
    try:
        info = json.loads(token_file.read_text(encoding="utf-8"))
        loaded: OAuthCredentials = OAuthCredentials.from_authorized_user_info(info)
    except (OSError, ValueError, TypeError, AttributeError) as error:
        msg = f"the saved Google login in {token_file} cannot be read ({_why_unreadable(error)}). {LOG_IN_AGAIN}"
        raise ConfigError(msg) from None
    if not info.get("token_uri"):
        return loaded
    credentials: OAuthCredentials = loaded.with_token_uri(info["token_uri"])
    credentials.expiry = loaded.expiry  # the copy drops it, and a saved token would then look valid forever
    return credentials


def _why_unreadable(error: Exception) -> str:
    if isinstance(error, json.JSONDecodeError):
        return "not JSON"
    if isinstance(error, OSError):
        return error.strerror or type(error).__name__
    return "not a saved login: its fields are missing"


def _check_saved_scopes(saved: Sequence[str] | None, token_file: Path, access: Access) -> None:
    """A token never gains a scope on refresh, so a login made without one fails every request that needs it, with no hint why."""
    # A file that records no scopes: only Google's answer tells whether the token is enough.
    if saved is None or access.granted_by & set(saved):
        return
    msg = (
        f"the saved Google login in {token_file} was made without access to {access.service} (needed by {access.needed_by}). {LOG_IN_AGAIN}"
    )
    raise ConfigError(msg)


def key_file_is_private(path: Path) -> bool:
    """False when group or others may read the key file."""
    return not path.stat().st_mode & (stat.S_IRWXG | stat.S_IRWXO)


def refused_because(error: Exception) -> str:
    """The token endpoint's reason (google-auth's RefreshError starts with its error code and description)."""
    first = str(error.args[0]) if error.args else str(error)
    return first.split(": {", 1)[0].strip() or type(error).__name__
