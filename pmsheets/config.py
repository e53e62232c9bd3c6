"""Load pmsheets.yaml once into a frozen Config; every problem names the key and the file.

Secrets never come from this file: keys that look like one are rejected with a pointer to
the environment variable to use instead.
"""

from __future__ import annotations

import difflib
import json
import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields, replace
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any, TypeAlias, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml

from pmsheets.core.policy import Policy
from pmsheets.core.report_log import ReportKind
from pmsheets.core.schema import ParseSettings
from pmsheets.core.weekly import WEEKDAYS, WeeklySchedule
from pmsheets.errors import ConfigError
from pmsheets.model import UTC_ZONE, is_address

CONFIG_ENV = "PMSHEETS_CONFIG"
DEFAULT_CONFIG = Path("pmsheets.yaml")
_SECRET_WORDS = ("password", "secret", "token", "private_key", "apikey", "api_key")


GOOGLE_SHEETS_ENDPOINT = "https://sheets.googleapis.com"


@dataclass(frozen=True, slots=True)
class RegisterConfig:
    backend: str = "xlsx"
    path: Path = Path("register.xlsx")
    spreadsheet: str | None = None
    """The Google spreadsheet's key (a full URL in the config is reduced to its key)."""
    auth: str = "service_account"
    credentials: Path | None = None
    """Service-account key file; else $GOOGLE_APPLICATION_CREDENTIALS, else `credentials_env`."""
    credentials_env: str | None = None
    """Name of an environment variable holding the key file's JSON (for containers)."""
    oauth_client_file: Path | None = None
    oauth_token_file: Path | None = None
    api_endpoint: str = GOOGLE_SHEETS_ENDPOINT
    timeout_seconds: float = 30.0
    retry_seconds: float = 60.0


DEFAULT_REFERENCES = ("Post-mortem policy: POSTMORTEM_PROCESS.md",)
"""What a draft's References section lists unless postmortems.references says otherwise."""


@dataclass(frozen=True, slots=True)
class PostmortemsConfig:
    dir: Path = Path("docs/postmortems")
    link_base: str | None = None
    """URL of the folder the documents are published in; when set, generate links each one from the register."""
    set_status_draft: bool = False
    """Let generate set a blank or Not started Post-mortem status to Draft (off: a skeleton is not yet a draft)."""
    references: tuple[str, ...] = DEFAULT_REFERENCES
    """The lines of a draft's References section."""
    publish: str = "local"
    """Where the drafts go: local (`dir`), git (`git`, a team repository) or google_docs (`google_docs`)."""
    git: GitPublishConfig | None = None
    google_docs: GoogleDocsConfig | None = None


@dataclass(frozen=True, slots=True)
class GitPublishConfig:
    remote: str
    """URL or path of the team's repository."""
    branch: str = "main"
    path: str = "docs/postmortems"
    """The folder inside the repository, relative to its root."""
    token_env: str | None = None
    """Name of an environment variable holding an HTTPS token (else SSH agent / credential helper)."""
    cache_dir: Path | None = None
    """Where the tool keeps its clone; None: $XDG_CACHE_HOME/pmsheets/git (~/.cache/pmsheets/git)."""


@dataclass(frozen=True, slots=True)
class GoogleDocsConfig:
    folder: str
    """A Drive folder id (a folder URL in the config is reduced to its id); a folder in a shared drive."""
    credentials: Path | None = None
    """Service-account key file when the register is a workbook; else the register's credentials."""
    credentials_env: str | None = None
    api_endpoint: str | None = None
    """Another Drive endpoint (the emulator); None: the register's register.api_endpoint, else Google."""


@dataclass(frozen=True, slots=True)
class FindingsConfig:
    highlight: bool = True
    """Mark the cells the Findings tab lists on the PM tabs (one tool-owned conditional format per tab)."""


@dataclass(frozen=True, slots=True)
class SmtpSettings:
    """The `mail.smtp` keys."""

    host: str
    port: int | None = None
    security: str = "starttls"
    """starttls | ssl | none."""
    username: str | None = None
    password_env: str | None = None
    timeout: float = 30.0
    ca_file: Path | None = None
    """Extra certificate authority to trust (a company CA); the system's CAs are trusted too."""

    @property
    def effective_port(self) -> int:
        return self.port or {"ssl": 465, "starttls": 587}.get(self.security, 25)


@dataclass(frozen=True, slots=True)
class MailConfig:
    transport: str = "file"
    """file: each message becomes an .eml in `outbox` (no server needed); smtp: sent through `smtp`."""
    sender: str = "pmsheets <pmsheets@localhost>"
    """The `mail.from` key."""
    outbox: Path = Path("reports/outbox")
    smtp: SmtpSettings | None = None


@dataclass(frozen=True, slots=True)
class ReportsConfig:
    dir: Path = Path("reports")
    """Where previews, and snapshots without --out, are written."""
    weekly_day: str = "monday"
    weekly_time: str = "09:00"
    max_late_hours: float = 48.0
    """A weekly report missed (worker down) is sent late up to this long after its time, else skipped."""
    overdue_to: tuple[str, ...] = ()
    owner_digests: bool = False
    escalation_to: tuple[str, ...] = ()
    escalate_after_days: int = 7
    attach_snapshot: bool = False
    attach_max_mb: float = 10.0
    """A larger snapshot is saved in `dir` and the email says so: mail servers refuse big messages."""
    max_list_items: int = 20
    """Rows per list in an email (0: all); the rest are counted and left to the snapshot."""
    tracker_url: str | None = None
    """A tracking key such as DATA-301 links to this URL with the key in place of {key}."""
    github_url: str = "https://github.com"
    """`org/repo#123` links to an issue on this host; a URL naming a repository also links a bare `#123`."""

    def wanted_kinds(self) -> dict[ReportKind, tuple[str, ...]]:
        """The weekly reports asked for, each with its fixed recipients.

        Owner digests have no fixed list (their addresses come from the People tab): one
        logged digest counts as that week's digests being sent.
        """
        wanted: dict[ReportKind, tuple[str, ...]] = {}
        if self.overdue_to:
            wanted[ReportKind.OVERDUE] = self.overdue_to
        if self.owner_digests:
            wanted[ReportKind.OWNER_DIGEST] = ()
        if self.escalation_to:
            wanted[ReportKind.ESCALATION] = self.escalation_to
        return wanted


@dataclass(frozen=True, slots=True)
class WorkerConfig:
    sync_every_minutes: float = 1.0
    """A cycle this often. An idle one (register unchanged, no deadline passed) costs one metadata request."""
    heartbeat: Path = Path("worker.heartbeat")
    """Written after every cycle and at least once a minute while idle; `pmsheets health` reads it."""
    lease_minutes: float = 10.0
    """How long the sending lease lasts when its holder never releases it (a crashed worker)."""


@dataclass(frozen=True, slots=True)
class Config:
    timezone: ZoneInfo | None = None
    """The team's zone; None when the config does not set it (the spreadsheet's own zone, else UTC)."""
    date_formats: tuple[str, ...] = ()
    register: RegisterConfig = field(default_factory=RegisterConfig)
    policy: Policy = field(default_factory=Policy)
    templates_dir: Path | None = None
    """A folder whose templates replace the shipped ones of the same name."""
    postmortems: PostmortemsConfig = field(default_factory=PostmortemsConfig)
    findings: FindingsConfig = field(default_factory=FindingsConfig)
    mail: MailConfig = field(default_factory=MailConfig)
    reports: ReportsConfig = field(default_factory=ReportsConfig)
    worker: WorkerConfig = field(default_factory=WorkerConfig)
    source: Path | None = None
    """The file this came from (None: built-in defaults)."""

    def effective_timezone(self, register_timezone: str | None = None) -> ZoneInfo:
        if self.timezone is not None:
            return self.timezone
        if register_timezone:
            try:
                return ZoneInfo(register_timezone)
            except (ZoneInfoNotFoundError, ValueError):
                pass
        return UTC_ZONE

    def weekly_schedule(self) -> WeeklySchedule:
        return WeeklySchedule(
            day=WEEKDAYS.index(self.reports.weekly_day),
            at=time.fromisoformat(self.reports.weekly_time),
            timezone=self.effective_timezone(),
            max_late=timedelta(hours=self.reports.max_late_hours),
        )

    def parse_settings(self, timezone: ZoneInfo) -> ParseSettings:
        return ParseSettings(timezone=timezone, date_formats=self.date_formats)

    def policy_in(self, timezone: ZoneInfo) -> Policy:
        return replace(self.policy, timezone=timezone)


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


def _choice(*allowed: str) -> Checker:
    def check(value: Any) -> str:
        if value not in allowed:
            msg = " or ".join(repr(a) for a in allowed)
            raise ValueError(msg)
        return str(value)

    return check


def spreadsheet_key(value: Any) -> str:
    """A spreadsheet key from a key or a full URL (ConfigError when it is neither)."""
    try:
        return _spreadsheet_key(value)
    except ValueError as error:
        msg = f"{value!r} is not {error}"
        raise ConfigError(msg) from None


def _spreadsheet_key(value: Any) -> str:
    text = _text(value)
    if "://" not in text:
        return text
    from gspread.exceptions import NoValidUrlKeyFound
    from gspread.utils import extract_id_from_url  # deferred: gspread is slow to import

    try:
        return str(extract_id_from_url(text))
    except NoValidUrlKeyFound:
        msg = "a spreadsheet key or a URL like https://docs.google.com/spreadsheets/d/KEY/edit"
        raise ValueError(msg) from None


def _env_name(value: Any) -> str:
    name = _text(value)
    if not name.replace("_", "").isalnum():
        msg = "the NAME of an environment variable (not its value), e.g. PMSHEETS_GOOGLE_KEY"
        raise ValueError(msg)
    return name


def _url(value: Any) -> str:
    text = _text(value).rstrip("/")
    if not text.startswith(("http://", "https://")):
        msg = "an http(s) URL such as https://sheets.googleapis.com"
        raise ValueError(msg)
    return text


def _tracker_url(value: Any) -> str:
    text = _url(value)
    if "{key}" not in text:
        msg = "an http(s) URL with {key} where the tracking key goes, such as https://jira.example.com/browse/{key}"
        raise ValueError(msg)
    return text


def _remote(value: Any) -> str:
    text = _text(value)
    if re.match(r"^[a-z+]+://[^/@]*:[^/@]*@", text):
        # Never echo it: the part before '@' is a password or a token.
        msg = "a repository URL without a password or token in it (name the token's environment variable in postmortems.git.token_env)"
        raise ValueError(msg)
    return text


def _branch(value: Any) -> str:
    name = _text(value)
    if name.startswith("-") or any(part in name for part in ("..", " ", "~", "^", ":", "\\", "?", "*", "[")):
        msg = "a branch name such as main"
        raise ValueError(msg)
    return name


def _repository_folder(value: Any) -> str:
    folder = _text(value).strip("/")
    if folder.startswith("-") or any(part in ("", ".", "..", ".git") for part in folder.split("/")):
        msg = "a folder inside the repository such as docs/postmortems (no '..', not .git)"
        raise ValueError(msg)
    return folder


_DRIVE_FOLDER_URL = re.compile(r"^https://drive\.google\.com/drive/(?:u/\d+/)?folders/(?P<id>[A-Za-z0-9_-]+)")
_DRIVE_ID = re.compile(r"^[A-Za-z0-9_-]+$")


def _drive_folder(value: Any) -> str:
    text = _text(value)
    found = _DRIVE_FOLDER_URL.match(text)
    if found:
        return found["id"]
    if not _DRIVE_ID.match(text):
        msg = "a Drive folder id or its URL like https://drive.google.com/drive/folders/ID"
        raise ValueError(msg)
    return text


def _positive(value: Any) -> float:
    number = _number(value)
    if number <= 0:
        msg = "a number greater than 0"
        raise ValueError(msg)
    return number


def _addresses(value: Any) -> tuple[str, ...]:
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list) or not all(isinstance(item, str) and is_address(item) for item in items):
        msg = "an email address or a list of them, like [ops@example.com]"
        raise ValueError(msg)
    return tuple(item.strip() for item in items)


def _sender(value: Any) -> str:
    text = _text(value)
    if "\n" in text or "\r" in text or not is_address(text.rsplit("<", 1)[-1].rstrip(">")):
        msg = "an address like reports@example.com or 'pmsheets <reports@example.com>'"
        raise ValueError(msg)
    return text


def _weekday(value: Any) -> str:
    if not isinstance(value, str) or value.strip().lower() not in WEEKDAYS:
        msg = "a day of the week such as monday"
        raise ValueError(msg)
    return value.strip().lower()


def _clock_time(value: Any) -> str:
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 24 * 60:
        hours, minutes = divmod(value, 60)  # YAML 1.1 reads an unquoted 09:00 as 540 (base 60)
        return f"{hours:02d}:{minutes:02d}"
    try:
        return datetime.strptime(_text(value), "%H:%M").strftime("%H:%M")  # noqa: DTZ007  a time of day: no date, no zone
    except ValueError:
        msg = "a time of day as HH:MM, such as 09:00 (quote it in YAML)"
        raise ValueError(msg) from None


def _port(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value < 65536:
        msg = "a port number from 1 to 65535"
        raise ValueError(msg)
    return value


def _yes_no(value: Any) -> bool:
    if not isinstance(value, bool):
        msg = "true or false"
        raise ValueError(msg)
    return value


Checker = Callable[[Any], Any]
Spec: TypeAlias = dict[str, "Checker | Spec"]
SPEC: Spec = {
    "timezone": _timezone,
    "date_formats": _date_formats,
    "register": {
        "backend": _choice("xlsx", "google"),
        "path": _text,
        "spreadsheet": _spreadsheet_key,
        "auth": _choice("service_account", "oauth"),
        "credentials": _text,
        "credentials_env": _env_name,
        "oauth_client_file": _text,
        "oauth_token_file": _text,
        "api_endpoint": _url,
        "timeout_seconds": _positive,
        "retry_seconds": _number,
    },
    "templates_dir": _text,
    "postmortems": {
        "dir": _text,
        "link_base": _url,
        "set_status_draft": _yes_no,
        "references": _text_list,
        "publish": _choice("local", "git", "google_docs"),
        "git": {"remote": _remote, "branch": _branch, "path": _repository_folder, "token_env": _env_name, "cache_dir": _text},
        "google_docs": {
            "folder": _drive_folder,
            "credentials": _text,
            "credentials_env": _env_name,
            "api_endpoint": _url,
        },
    },
    "findings": {"highlight": _yes_no},
    "mail": {
        "transport": _choice("file", "smtp"),
        "from": _sender,
        "outbox": _text,
        "smtp": {
            "host": _text,
            "port": _port,
            "security": _choice("starttls", "ssl", "none"),
            "username": _text,
            "password_env": _env_name,
            "timeout": _positive,
            "ca_file": _text,
        },
    },
    "reports": {
        "dir": _text,
        "max_list_items": _whole,
        "tracker_url": _tracker_url,
        "github_url": _url,
        "weekly": {"day": _weekday, "time": _clock_time, "max_late_hours": _number},
        "overdue": {"to": _addresses, "owner_digests": _yes_no},
        "escalation": {"to": _addresses, "escalate_after_days": _whole, "attach_snapshot": _yes_no, "attach_max_mb": _positive},
    },
    "worker": {"sync_every_minutes": _positive, "heartbeat": _text, "lease_minutes": _positive},
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


def write_starter(path: Path, *, register_path: Path) -> bool:
    """A minimal config pointing at a new workbook, unless one is there already (never overwritten)."""
    if path.exists():
        return False
    try:
        relative = os.path.relpath(register_path.resolve(), path.resolve().parent)
    except ValueError:  # another drive on Windows
        relative = str(register_path.resolve())
    text = (
        "# Written by `pmsheets init`. Every key, with what it does: config.example.yaml in the\n"
        "# pmsheets repository (or docs/). Unset keys take the policy's defaults.\n"
        "register:\n"
        "  backend: xlsx\n"
        f"  path: {json.dumps(relative)}\n"
    )
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("x", encoding="utf-8") as handle:
            handle.write(text)
    except FileExistsError:
        return False
    except OSError as error:
        msg = f"could not write the starter config {path}: {error.strerror or error}"
        raise ConfigError(msg) from None
    return True


def config_path(explicit: str | None) -> Path:
    if explicit:
        return Path(explicit)
    return Path(os.environ.get(CONFIG_ENV) or DEFAULT_CONFIG)


def load(path: Path) -> Config:
    if not path.exists():
        msg = (
            f"no config file at {path}. Copy config.example.yaml to pmsheets.yaml and edit it, or pass --config PATH (or set {CONFIG_ENV})."
        )
        raise ConfigError(msg)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as error:
        msg = f"cannot read config {path}: {error}"
        raise ConfigError(msg) from None
    except yaml.YAMLError as error:
        where = getattr(error, "problem_mark", None)
        line = f" (line {where.line + 1}, column {where.column + 1})" if where is not None else ""
        msg = f"config {path} is not valid YAML{line}: {getattr(error, 'problem', None) or error}"
        raise ConfigError(msg) from None
    return from_mapping(data if data is not None else {}, source=path)


def from_mapping(data: Any, *, source: Path | None = None) -> Config:
    values = _checked(data, SPEC, prefix="", source=source)
    base = source.parent if source is not None else Path()
    register = values.pop("register", {})
    if register.get("backend") == "google" and "spreadsheet" not in register:
        where = f" in {source}" if source else ""
        msg = f"config{where}: key 'register.spreadsheet' is required when register.backend is google (the key or the sheet's URL)"
        raise ConfigError(msg)
    policy, postmortems, findings, mail, reports, worker = (
        values.pop(key, {}) for key in ("policy", "postmortems", "findings", "mail", "reports", "worker")
    )
    if "timezone" in values:
        policy["timezone"] = values["timezone"]
    if "templates_dir" in values:
        values["templates_dir"] = _beside(base, values["templates_dir"])
    return Config(
        **values,
        register=_section(RegisterConfig, register, base),
        policy=Policy(**policy),
        postmortems=_postmortems_config(postmortems, base, source),
        findings=_section(FindingsConfig, findings, base),
        mail=_mail_config(mail, base, source),
        reports=_section(ReportsConfig, _flat(reports), base, names=_REPORTS_FIELDS),
        worker=_section(WorkerConfig, worker, base),
        source=source,
    )


_T = TypeVar("_T")
_PATH_TYPES = ("Path", "Path | None")
_REPORTS_FIELDS = {
    "weekly.day": "weekly_day",
    "weekly.time": "weekly_time",
    "weekly.max_late_hours": "max_late_hours",
    "overdue.to": "overdue_to",
    "overdue.owner_digests": "owner_digests",
    "escalation.to": "escalation_to",
    "escalation.escalate_after_days": "escalate_after_days",
    "escalation.attach_snapshot": "attach_snapshot",
    "escalation.attach_max_mb": "attach_max_mb",
}
"""reports.* keys whose field in ReportsConfig has another name."""


def _section(kind: type[_T], values: Mapping[str, Any], base: Path, *, names: Mapping[str, str] | None = None) -> _T:
    """A config section from the keys the file sets. A key left out takes the dataclass field's
    default, the only place a default is written; every path (set or default) is relative to
    the config file's folder."""
    renamed = names or {}
    section = kind(**{renamed.get(key, key): value for key, value in values.items()})
    paths = {
        f.name: _beside(base, getattr(section, f.name))
        for f in fields(section)  # type: ignore[arg-type]
        if f.type in _PATH_TYPES and getattr(section, f.name) is not None
    }
    return replace(section, **paths)  # type: ignore[type-var]


def _flat(nested: Mapping[str, Any]) -> dict[str, Any]:
    """{'weekly': {'day': ...}} -> {'weekly.day': ...}."""
    flat: dict[str, Any] = {}
    for key, value in nested.items():
        if isinstance(value, Mapping):
            flat.update({f"{key}.{sub}": item for sub, item in value.items()})
        else:
            flat[key] = value
    return flat


def _postmortems_config(postmortems: dict[str, Any], base: Path, source: Path | None) -> PostmortemsConfig:
    git, docs = postmortems.pop("git", {}), postmortems.pop("google_docs", {})
    publish = postmortems.get("publish")
    required = {"git": ("git", "remote", git), "google_docs": ("google_docs", "folder", docs)}.get(publish or "")
    if required is not None and required[1] not in required[2]:
        where = f" in {source}" if source else ""
        msg = f"config{where}: key 'postmortems.{required[0]}.{required[1]}' is required when postmortems.publish is {publish}"
        raise ConfigError(msg)
    if "remote" in git and "://" not in git["remote"] and ":" not in git["remote"].split("/", 1)[0]:
        git["remote"] = str(_beside(base, git["remote"]))  # a repository on disk, relative to the config file
    postmortems["git"] = _section(GitPublishConfig, git, base) if "remote" in git else None
    postmortems["google_docs"] = _section(GoogleDocsConfig, docs, base) if "folder" in docs else None
    return _section(PostmortemsConfig, postmortems, base)


def _mail_config(mail: dict[str, Any], base: Path, source: Path | None) -> MailConfig:
    smtp = mail.pop("smtp", {})
    if mail.get("transport") == "smtp" and "host" not in smtp:
        where = f" in {source}" if source else ""
        msg = f"config{where}: key 'mail.smtp.host' is required when mail.transport is smtp"
        raise ConfigError(msg)
    if "host" in smtp:
        mail["smtp"] = _section(SmtpSettings, smtp, base)
    return _section(MailConfig, mail, base, names={"from": "sender"})


def _beside(base: Path, text: str | Path) -> Path:
    """A path from the config, relative to the config file's folder unless absolute."""
    path = Path(text).expanduser()
    return path if path.is_absolute() else base / path


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
            # A value that is not a variable's name is most likely the secret itself: never echo it.
            got = "something else (not shown: it may be the secret itself)" if checker in (_env_name, _remote) else repr(value)
            msg = f"config{where}: key '{path}' must be {error}; got {got}"
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
