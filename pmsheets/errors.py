"""The exit codes, and the few exceptions a person can act on. The CLI turns each into one line on stderr and exit 2."""

from __future__ import annotations

import enum


class ExitCode(enum.IntEnum):
    """What every command exits with, whatever happens (the table in README and docs/troubleshooting.md)."""

    OK = 0
    """Done, and nothing needs attention."""
    FINDINGS = 1
    """validate, run: the register has error findings."""
    NOT_DELIVERED = 1
    """generate, report: a document or a report could not be delivered (the others were)."""
    FAILURE = 2
    """A usage, config, access, network or service failure, or a bug: the command could not do its job."""


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
