"""The few exceptions a person can act on. The CLI turns each into one line on stderr and exit 2."""

from __future__ import annotations


class PmsheetsError(Exception):
    """Base for every error that is the user's to fix (config, register access, usage)."""


class ConfigError(PmsheetsError):
    """The config file is missing, unreadable or has a wrong key or value; the message names the key."""


class RegisterError(PmsheetsError):
    """The register cannot be read or written (missing file, not a workbook, no access)."""


class WriteRefused(RegisterError):
    """Writing would lose something in the register, so nothing was written."""


class UsageError(PmsheetsError):
    """A command-line value is wrong; the message says which option."""
