"""Builds the Google Sheets backend from the config: credentials, endpoint, timeouts, retries."""

from __future__ import annotations

from pmsheets.config import RegisterConfig
from pmsheets.network import RetryPolicy
from pmsheets.register.google_auth import load_identity
from pmsheets.register.google_session import client_for
from pmsheets.register.sheets import SheetsRegister


def open_sheets_register(register: RegisterConfig) -> SheetsRegister:
    assert register.spreadsheet is not None, "config validation requires register.spreadsheet"
    identity = load_identity(register)
    client = client_for(identity.credentials, register.api_endpoint)
    client.http_client.set_timeout(register.timeout_seconds)
    return SheetsRegister(
        client,
        register.spreadsheet,
        account_email=identity.email,
        retry=RetryPolicy(total_seconds=register.retry_seconds),
    )
