"""Credentials for the Google Sheets backend: a service-account key, or a PM's own OAuth login.

Key material only ever comes from a file the config points at, $GOOGLE_APPLICATION_CREDENTIALS,
or an environment variable named by the config; never from the config file itself, and it is
never echoed in a message.
"""

from __future__ import annotations

import json
import os
import stat
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from google.auth.credentials import Credentials
from google.oauth2 import service_account

from pmsheets.config import RegisterConfig
from pmsheets.errors import ConfigError

# drive.metadata.readonly: the file's version number (Drive files.get), so an idle worker cycle costs one
# small request instead of reading the register; it grants no access to any file's content.
SCOPES = ("https://www.googleapis.com/auth/spreadsheets", "https://www.googleapis.com/auth/drive.metadata.readonly")
DRIVE_SCOPES = ("https://www.googleapis.com/auth/drive",)
"""For the post-mortem Docs: files in a folder someone shared, which drive.file cannot reach."""
DEFAULT_OAUTH_TOKEN = Path("~/.config/pmsheets/authorized_user.json")


@dataclass(frozen=True, slots=True)
class GoogleIdentity:
    credentials: Credentials
    email: str | None
    """The service account's email (what the sheet must be shared with); None for OAuth."""
    source: str
    """Where the key came from, for messages (a path or an env var name; never the key)."""
    key_file: Path | None = None


def load_identity(
    register: RegisterConfig,
    environ: Mapping[str, str] | None = None,
    scopes: tuple[str, ...] = SCOPES,
    key_name: str = "register.credentials",
) -> GoogleIdentity:
    environ = os.environ if environ is None else environ
    if register.auth == "oauth":
        return _oauth_identity(register, scopes)
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


def _oauth_identity(register: RegisterConfig, scopes: tuple[str, ...]) -> GoogleIdentity:
    """A PM's own Google login in the browser (gspread's OAuth flow), cached in a token file."""
    import gspread.auth  # deferred: pulls in the OAuth libraries

    token_file = (register.oauth_token_file or DEFAULT_OAUTH_TOKEN).expanduser()
    credentials = gspread.auth.load_credentials(filename=token_file)
    if credentials is None:
        client_file = register.oauth_client_file
        if client_file is None or not client_file.expanduser().exists():
            msg = (
                "register.auth is oauth but register.oauth_client_file does not name an existing OAuth client file. "
                "Create an OAuth client (Desktop app) in the Google Cloud console and download its JSON."
            )
            raise ConfigError(msg)
        credentials = gspread.auth.local_server_flow(json.loads(client_file.expanduser().read_text()), list(scopes))
        token_file.parent.mkdir(parents=True, exist_ok=True)
        gspread.auth.store_credentials(credentials, filename=token_file)
        token_file.chmod(0o600)
    return GoogleIdentity(credentials, None, "your Google login")


def key_file_is_private(path: Path) -> bool:
    """False when group or others may read the key file."""
    return not path.stat().st_mode & (stat.S_IRWXG | stat.S_IRWXO)


def refused_because(error: Exception) -> str:
    """The token endpoint's reason (google-auth's RefreshError starts with its error code and description)."""
    first = str(error.args[0]) if error.args else str(error)
    return first.split(": {", 1)[0].strip() or type(error).__name__
