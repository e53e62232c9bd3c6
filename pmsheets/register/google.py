"""Builds the Google Sheets backend from the config: credentials, endpoint, timeouts, retries."""

from __future__ import annotations

from pmsheets.config import RegisterConfig
from pmsheets.network import RetryPolicy
from pmsheets.register.google_auth import SCOPES, load_identity
from pmsheets.register.google_session import client_for
from pmsheets.register.sheets import SheetsRegister


def open_sheets_register(register: RegisterConfig, *, login: tuple[str, ...] = SCOPES) -> SheetsRegister:
    """`login`: what a browser login asks for when register.auth is oauth (google_auth.login_scopes of the whole config)."""
    assert register.spreadsheet is not None, "config validation requires register.spreadsheet"
    identity = load_identity(register, login=login)
    client = client_for(identity.credentials, register.api_endpoint)
    client.http_client.set_timeout(register.timeout_seconds)
    return SheetsRegister(
        client,
        register.spreadsheet,
        account_email=identity.email,
        refusal=identity.refusal,
        retry=RetryPolicy(total_seconds=register.retry_seconds),
    )
