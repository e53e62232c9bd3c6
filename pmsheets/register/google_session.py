"""An AuthorizedSession that can point gspread at another Sheets endpoint (the emulator).

gspread hard-codes https://sheets.googleapis.com and https://www.googleapis.com/drive/v3;
this session rewrites those prefixes to `api_endpoint`, so the real client code runs unchanged.
"""

from __future__ import annotations

from typing import Any

import gspread
from google.auth.credentials import Credentials
from google.auth.transport.requests import AuthorizedSession

GOOGLE_SHEETS = "https://sheets.googleapis.com"
GOOGLE_APIS = "https://www.googleapis.com"
_GOOGLE_BASES = (GOOGLE_SHEETS, GOOGLE_APIS)


class EndpointSession(AuthorizedSession):
    """AuthorizedSession whose Sheets and Drive URLs go to `api_endpoint` (default: Google itself)."""

    def __init__(self, credentials: Credentials, api_endpoint: str = GOOGLE_SHEETS, **kwargs: Any) -> None:
        super().__init__(credentials, **kwargs)  # type: ignore[no-untyped-call]  # google-auth leaves AuthorizedSession unannotated
        self.api_endpoint = api_endpoint.rstrip("/")

    def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> Any:  # type: ignore[override]
        return super().request(method, self.rewrite(url), *args, **kwargs)  # type: ignore[no-untyped-call]  # as __init__ above

    def rewrite(self, url: str) -> str:
        if self.api_endpoint == GOOGLE_SHEETS:
            return url
        for base in _GOOGLE_BASES:
            if url.startswith(base + "/"):
                return self.api_endpoint + url[len(base) :]
        return url


def client_for(credentials: Credentials, api_endpoint: str = GOOGLE_SHEETS) -> gspread.Client:
    """A gspread client whose requests (and token refreshes) go through an EndpointSession."""
    client = gspread.Client(auth=credentials, session=EndpointSession(credentials, api_endpoint))
    # gspread only keeps `auth` when it builds the session itself; Client.expiry and login() read it.
    client.http_client.auth = credentials
    return client
