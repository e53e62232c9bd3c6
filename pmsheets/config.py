"""Load pmsheets.yaml once into a frozen Config; every problem names the key and the file.

Secrets never come from this file: keys that look like one are rejected with a pointer to
the environment variable to use instead.
"""

from __future__ import annotations

import difflib
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml

from pmsheets.errors import ConfigError
from pmsheets.policy import DEFAULT_BLAME_PHRASES, Policy
from pmsheets.schema import ParseSettings

CONFIG_ENV = "PMSHEETS_CONFIG"
DEFAULT_CONFIG = Path("pmsheets.yaml")
_SECRET_WORDS = ("password", "secret", "token", "private_key", "apikey", "api_key")


@dataclass(frozen=True, slots=True)
class RegisterConfig:
    backend: str = "xlsx"
    path: Path = Path("register.xlsx")


@dataclass(frozen=True, slots=True)
class Config:
    timezone: ZoneInfo = field(default_factory=lambda: ZoneInfo("UTC"))
    date_formats: tuple[str, ...] = ()
    register: RegisterConfig = field(default_factory=RegisterConfig)
    policy: Policy = field(default_factory=Policy)
    source: Path | None = None
    """The file this came from (None: built-in defaults)."""

    @property
    def parse_settings(self) -> ParseSettings:
        return ParseSettings(timezone=self.timezone, date_formats=self.date_formats)


# --- value checkers: raw YAML value -> typed value, or ValueError naming what is expected ----------


def _number(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        msg = "a number, 0 or more"
        raise ValueError(msg)
    return float(value)


def _whole(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        msg = "a whole number, 0 or more"
        raise ValueError(msg)
    return value


def _text(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        msg = "a non-empty text"
        raise ValueError(msg)
    return value.strip()


def _timezone(value: Any) -> ZoneInfo:
    try:
        return ZoneInfo(_text(value))
    except (ZoneInfoNotFoundError, ValueError):
        msg = "an IANA time zone name such as UTC, Europe/Berlin or America/New_York"
        raise ValueError(msg) from None


def _text_list(value: Any) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        msg = "a list of texts"
        raise ValueError(msg)
    return tuple(value)


def _date_formats(value: Any) -> tuple[str, ...]:
    formats = _text_list(value)
    for fmt in formats:
        if "%" not in fmt:
            msg = f"strftime patterns such as '%d/%m/%Y %H:%M' ({fmt!r} has no % field)"
            raise ValueError(msg)
    return formats


def _dates(value: Any) -> frozenset[date]:
    if not isinstance(value, list):
        msg = "a list of dates like 2026-12-25"
        raise ValueError(msg)
    parsed = set()
    for item in value:
        if isinstance(item, datetime) or not isinstance(item, date | str):
            msg = f"a list of dates like 2026-12-25 ({item!r} is not one)"
            raise ValueError(msg)
        try:
            parsed.add(item if isinstance(item, date) else date.fromisoformat(item))
        except ValueError:
            msg = f"a list of dates like 2026-12-25 ({item!r} is not one)"
            raise ValueError(msg) from None
    return frozenset(parsed)


def _country(value: Any) -> str:
    import holidays as holidays_lib  # deferred: only needed when a country is configured

    code = _text(value).upper()
    if code not in holidays_lib.list_supported_countries():
        msg = "an ISO 3166 country code the holidays package knows, such as US, DE or GB"
        raise ValueError(msg)
    return code


def _backend(value: Any) -> str:
    if value not in ("xlsx",):
        msg = "'xlsx'"
        raise ValueError(msg)
    return str(value)


Checker = Callable[[Any], Any]
SPEC: dict[str, Checker | dict[str, Checker]] = {
    "timezone": _timezone,
    "date_formats": _date_formats,
    "register": {"backend": _backend, "path": _text},
    "policy": {
        "draft_due_hours": _number,
        "draft_overdue_hours": _number,
        "review_business_days": _whole,
        "p1_impact_minutes": _number,
        "short_term_max_days": _whole,
        "long_term_max_days": _whole,
        "holidays": _dates,
        "holiday_country": _country,
        "blame_phrases": _text_list,
    },
}


def config_path(explicit: str | None) -> Path:
    if explicit:
        return Path(explicit)
    return Path(os.environ.get(CONFIG_ENV) or DEFAULT_CONFIG)


def load(path: Path) -> Config:
    if not path.exists():
        msg = (
            f"no config file at {path}. Copy config.example.yaml to pmsheets.yaml and edit it, "
            f"or pass --config PATH (or set {CONFIG_ENV})."
        )
        raise ConfigError(msg)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as error:
        msg = f"cannot read config {path}: {error}"
        raise ConfigError(msg) from None
    except yaml.YAMLError as error:
        where = getattr(error, "problem_mark", None)
        line = f" (line {where.line + 1})" if where is not None else ""
        msg = f"config {path} is not valid YAML{line}: {getattr(error, 'problem', None) or error}"
        raise ConfigError(msg) from None
    return from_mapping(data if data is not None else {}, source=path)


def from_mapping(data: Any, *, source: Path | None = None) -> Config:
    values = _checked(data, SPEC, prefix="", source=source)
    register = values.get("register", {})
    policy_values = values.get("policy", {})
    timezone = values.get("timezone", ZoneInfo("UTC"))
    base = source.parent if source is not None else Path()
    register_path = Path(register.get("path", "register.xlsx")).expanduser()
    return Config(
        timezone=timezone,
        date_formats=values.get("date_formats", ()),
        register=RegisterConfig(
            backend=register.get("backend", "xlsx"),
            path=register_path if register_path.is_absolute() else base / register_path,
        ),
        policy=Policy(
            timezone=timezone,
            blame_phrases=policy_values.pop("blame_phrases", DEFAULT_BLAME_PHRASES),
            **policy_values,
        ),
        source=source,
    )


def _checked(data: Any, spec: Mapping[str, Any], *, prefix: str, source: Path | None) -> dict[str, Any]:
    where = f" in {source}" if source else ""
    if not isinstance(data, Mapping):
        msg = f"config{where}: {prefix.rstrip('.') or 'the top level'} must be a mapping of keys to values"
        raise ConfigError(msg)
    values: dict[str, Any] = {}
    for key, value in data.items():
        path = f"{prefix}{key}"
        if key not in spec:
            raise ConfigError(_unknown_key_message(str(key), path, spec, where))
        checker = spec[key]
        if isinstance(checker, dict):
            values[key] = _checked(value if value is not None else {}, checker, prefix=f"{path}.", source=source)
            continue
        try:
            values[key] = checker(value)
        except ValueError as error:
            msg = f"config{where}: key '{path}' must be {error}; got {value!r}"
            raise ConfigError(msg) from None
    return values


def _unknown_key_message(key: str, path: str, spec: Mapping[str, Any], where: str) -> str:
    if any(word in key.lower() for word in _SECRET_WORDS):
        return (
            f"config{where}: key '{path}' looks like a secret; secrets are never read from the config file. "
            "Remove it and set the matching environment variable instead (see config.example.yaml)."
        )
    near = difflib.get_close_matches(key, list(spec), n=1)
    hint = f" Did you mean '{path[: -len(key)]}{near[0]}'?" if near else f" Known keys here: {', '.join(spec)}."
    return f"config{where}: unknown key '{path}'.{hint}"
