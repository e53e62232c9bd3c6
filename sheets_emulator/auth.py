"""Service-account keys, people's saved logins and the OAuth token endpoint, as google-auth talks to Google's.

google-auth signs a JWT (RS256) with the key file's private key and posts it to the key
file's `token_uri` as a jwt-bearer grant; this module checks that assertion against the
public half of a key it issued and hands out bearer tokens that expire on the emulator's clock.
A person's saved login (what gspread's store_credentials writes after the browser flow) holds
a refresh token instead, posted as a refresh_token grant with the OAuth client's id and secret;
its tokens carry the scopes the person consented to, no more.
"""

from __future__ import annotations

import functools
import hashlib
import secrets
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from google.auth import exceptions as google_exceptions
from google.auth import jwt

from sheets_emulator.errors import ApiError

JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer"
REFRESH_TOKEN = "refresh_token"  # noqa: S105  a grant type, not a secret
# google-auth always puts Google's own endpoint in `aud`, whatever token_uri says.
GOOGLE_TOKEN_AUDIENCE = "https://oauth2.googleapis.com/token"  # noqa: S105  a URL, not a secret
READ_SCOPES = frozenset(
    {
        "https://www.googleapis.com/auth/spreadsheets",
        "https://www.googleapis.com/auth/spreadsheets.readonly",
        "https://www.googleapis.com/auth/drive",
        "https://www.googleapis.com/auth/drive.readonly",
        "https://www.googleapis.com/auth/drive.file",
    }
)
WRITE_SCOPES = frozenset(
    {
        "https://www.googleapis.com/auth/spreadsheets",
        "https://www.googleapis.com/auth/drive",
        "https://www.googleapis.com/auth/drive.file",
    }
)
DRIVE_SCOPES = frozenset(s for s in READ_SCOPES if "/drive" in s)
# Reads a file's metadata (name, version, modifiedTime), never its content: enough for Drive files.get and files.list.
DRIVE_METADATA_SCOPES = DRIVE_SCOPES | {
    "https://www.googleapis.com/auth/drive.metadata.readonly",
    "https://www.googleapis.com/auth/drive.metadata",
}
UNAUTHENTICATED = (
    "Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other "
    "valid authentication credential. See https://developers.google.com/identity/sign-in/web/devconsole-project."
)
INSUFFICIENT_SCOPES = "Request had insufficient authentication scopes."


class TokenError(Exception):
    """An OAuth error answer: 400 (401 for a wrong client) with {"error", "error_description"}."""

    def __init__(self, error: str, description: str, status: int = 400) -> None:
        super().__init__(description)
        self.status = status
        self.body = {"error": error, "error_description": description}


@functools.lru_cache(maxsize=64)
def _private_key_pem(email: str) -> tuple[str, str]:
    """(private PEM, public PEM) per email; cached because RSA key generation is slow."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()).decode()
    public = key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    return private, public


@dataclass(frozen=True)
class Token:
    """An access token handed out by the token endpoint."""

    email: str
    scopes: frozenset[str]
    expires_at: float


@dataclass(frozen=True)
class Login:
    """A person's consent, as a refresh token stands for it: who, for which OAuth client, to what."""

    email: str
    client_id: str
    client_secret: str
    scopes: frozenset[str]


class Authority:
    """Registered service accounts and people's logins, and the tokens issued to them."""

    def __init__(self, clock: Callable[[], float], *, token_lifetime: float = 3600, project_id: str = "pmsheets-emulator") -> None:
        self.clock = clock
        self.token_lifetime = token_lifetime
        self.project_id = project_id
        self._public_keys: dict[str, tuple[str, str]] = {}
        self._tokens: dict[str, Token] = {}
        self._logins: dict[str, Login] = {}
        self._lock = threading.Lock()

    def service_account_info(self, email: str, token_uri: str) -> dict[str, str]:
        """A key file's content for `email`, registered so its assertions are accepted."""
        private, public = _private_key_pem(email)
        key_id = hashlib.sha1(public.encode(), usedforsecurity=False).hexdigest()
        with self._lock:
            self._public_keys[key_id] = (email, public)
        return {
            "type": "service_account",
            "project_id": self.project_id,
            "private_key_id": key_id,
            "private_key": private,
            "client_email": email,
            "client_id": str(int(key_id[:16], 16)),
            "auth_uri": "https://accounts.google.com/o/oauth2/auth",
            "token_uri": token_uri,
            "auth_provider_x509_cert_url": "https://www.googleapis.com/oauth2/v1/certs",
            "client_x509_cert_url": "https://www.googleapis.com/robot/v1/metadata/x509/" + email,
            "universe_domain": "googleapis.com",
        }

    def authorized_user_info(self, email: str, scopes: Iterable[str], token_uri: str) -> dict[str, Any]:
        """A saved login's content for `email`, consented to `scopes`, as gspread's store_credentials writes it.

        Those are google-auth's Credentials.to_json keys without "token" (gspread strips it), so the
        first request refreshes; the expiry is on the emulator's clock, as a login just made.
        """
        client_id = f"{secrets.randbelow(10**12):012d}-emulator.apps.googleusercontent.com"
        login = Login(email, client_id, "GOCSPX-" + secrets.token_urlsafe(21), frozenset(scopes))
        refresh_token = "1//emulator-" + secrets.token_urlsafe(32)
        with self._lock:
            self._logins[refresh_token] = login
        expiry = datetime.fromtimestamp(self.clock() + self.token_lifetime, tz=UTC).replace(tzinfo=None)
        return {
            "refresh_token": refresh_token,
            "token_uri": token_uri,
            "client_id": login.client_id,
            "client_secret": login.client_secret,
            "scopes": list(scopes),
            "universe_domain": "googleapis.com",
            "account": "",
            "expiry": expiry.isoformat() + "Z",
        }

    def exchange(self, form: dict[str, str], token_uri: str) -> dict[str, Any]:
        """The token endpoint: a signed jwt-bearer assertion, or a saved login's refresh token, in; a bearer token out."""
        if form.get("grant_type") == REFRESH_TOKEN:
            return self._refresh(form)
        if form.get("grant_type") != JWT_BEARER:
            msg = "unsupported_grant_type"
            raise TokenError(msg, "Invalid grant_type: " + form.get("grant_type", ""))
        claims = self._verified_claims(form.get("assertion", ""), token_uri)
        scopes = frozenset(str(claims.get("scope", "")).split())
        if not scopes:
            msg = "invalid_scope"
            raise TokenError(msg, "Invalid OAuth scope or ID token audience provided.")
        return self._issue(claims["iss"], scopes)

    def _refresh(self, form: dict[str, str]) -> dict[str, Any]:
        """Google's answer names the granted scopes, which may be fewer than the client asked for at login."""
        with self._lock:
            login = self._logins.get(form.get("refresh_token", ""))
        if login is None:
            msg = "invalid_grant"
            raise TokenError(msg, "Token has been expired or revoked.")
        if (form.get("client_id"), form.get("client_secret")) != (login.client_id, login.client_secret):
            msg = "invalid_client"
            raise TokenError(msg, "Unauthorized", status=401)
        asked = frozenset(form.get("scope", "").split()) or login.scopes
        if not asked <= login.scopes:
            msg = "invalid_scope"
            raise TokenError(msg, "Some requested scopes were not granted by the user: " + " ".join(sorted(asked - login.scopes)))
        return self._issue(login.email, asked) | {"scope": " ".join(sorted(asked))}

    def _issue(self, email: str, scopes: frozenset[str]) -> dict[str, Any]:
        access_token = "ya29.emulator-" + secrets.token_urlsafe(24)
        with self._lock:
            self._tokens[access_token] = Token(email, scopes, self.clock() + self.token_lifetime)
        return {"access_token": access_token, "expires_in": int(self.token_lifetime), "token_type": "Bearer"}

    def _verified_claims(self, assertion: str, token_uri: str) -> dict[str, Any]:
        try:
            header = jwt.decode_header(assertion)
        except (ValueError, google_exceptions.GoogleAuthError):
            msg = "invalid_grant"
            raise TokenError(msg, "Invalid JWT: Token must be a short-lived token and in a reasonable timeframe") from None
        with self._lock:
            known = self._public_keys.get(str(header.get("kid")))
        if known is None:
            msg = "invalid_grant"
            raise TokenError(msg, "Invalid grant: account not found")
        email, public = known
        try:
            claims: dict[str, Any] = jwt.decode(assertion, certs={header["kid"]: public}, audience=[GOOGLE_TOKEN_AUDIENCE, token_uri])
        except (ValueError, google_exceptions.GoogleAuthError):
            msg = "invalid_grant"
            raise TokenError(msg, "Invalid JWT Signature.") from None
        if claims.get("iss") != email:
            msg = "invalid_grant"
            raise TokenError(msg, "Invalid JWT: issuer does not own this key.")
        return claims

    def token_for(self, authorization: str | None) -> Token:
        """The caller behind an `Authorization: Bearer …` header, or a 401 like Google's."""
        if not authorization or not authorization.startswith("Bearer "):
            raise ApiError(401, UNAUTHENTICATED)
        with self._lock:
            token = self._tokens.get(authorization[len("Bearer ") :].strip())
        if token is None or token.expires_at <= self.clock():
            raise ApiError(401, UNAUTHENTICATED)
        return token

    def expire_all_tokens(self) -> None:
        with self._lock:
            self._tokens.clear()


def require_scope(token: Token, allowed: frozenset[str]) -> None:
    if not token.scopes & allowed:
        raise ApiError(403, INSUFFICIENT_SCOPES)
