"""Cell values: how input is read (RAW / USER_ENTERED) and how cells are rendered back.

A cell holds a plain Python value: `None` (empty), `str`, `int`/`float`, `bool`, or a `Formula`.
Number formats (dates) live beside the value in the cell's metadata, as in the real service.
"""

from __future__ import annotations

import ast
import datetime as dt
import math
import operator
import re
from collections.abc import Callable
from typing import Any

EPOCH = dt.datetime(1899, 12, 30)  # noqa: DTZ001  serials count wall-clock days, as Sheets does
DATE_TYPES = frozenset({"DATE", "DATE_TIME", "TIME"})

# Sentinel for a JSON null in written values: the service leaves such cells untouched.
SKIP = object()


class Formula:
    """A formula as typed, plus the value it shows."""

    __slots__ = ("text", "value")

    def __init__(self, text: str, value: Any) -> None:
        self.text = text
        self.value = value

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Formula) and other.text == self.text

    def __hash__(self) -> int:
        return hash(self.text)

    def __repr__(self) -> str:
        return f"Formula({self.text!r})"


# ---------------------------------------------------------------- dates


def to_serial(moment: dt.datetime | dt.date) -> float | int:
    if not isinstance(moment, dt.datetime):
        return (moment - EPOCH.date()).days
    delta = moment.replace(tzinfo=None) - EPOCH
    serial = delta.days + delta.seconds / 86400 + delta.microseconds / 86_400_000_000
    return int(serial) if serial == int(serial) else serial


def from_serial(serial: float) -> dt.datetime:
    # Rounded to the millisecond so that 14:05 does not come back as 14:04:59.999.
    millis = round(serial * 86_400_000)
    return EPOCH + dt.timedelta(milliseconds=millis)


_DATE_TOKENS = re.compile(r'"[^"]*"|yyyy|yy|mmmm|mmm|mm|m|dddd|ddd|dd|d|hh|h|ss|s|am/pm|\.000|.', re.DOTALL | re.IGNORECASE)


def format_date(serial: float, pattern: str) -> str:
    moment = from_serial(serial)
    tokens = [t if t.startswith('"') else t.lower() for t in _DATE_TOKENS.findall(pattern)]
    twelve_hour = "am/pm" in tokens
    out = []
    for i, token in enumerate(tokens):
        out.append(_date_token(token, moment, _is_minute(tokens, i), twelve_hour))
    return "".join(out)


def _is_minute(tokens: list[str], i: int) -> bool:
    if tokens[i] not in ("m", "mm"):
        return False
    before = [t for t in tokens[:i] if t.strip(" :/-.,") and not t.startswith('"')]
    after = [t for t in tokens[i + 1 :] if t.strip(" :/-.,") and not t.startswith('"')]
    return bool(before and before[-1] in ("h", "hh")) or bool(after and after[0] in ("s", "ss"))


def _date_token(token: str, moment: dt.datetime, minute: bool, twelve_hour: bool) -> str:
    hour = (moment.hour % 12 or 12) if twelve_hour else moment.hour
    table = {
        "yyyy": f"{moment.year:04d}",
        "yy": f"{moment.year % 100:02d}",
        "mmmm": moment.strftime("%B"),
        "mmm": moment.strftime("%b"),
        "mm": f"{moment.minute:02d}" if minute else f"{moment.month:02d}",
        "m": f"{moment.minute}" if minute else f"{moment.month}",
        "dddd": moment.strftime("%A"),
        "ddd": moment.strftime("%a"),
        "dd": f"{moment.day:02d}",
        "d": f"{moment.day}",
        "hh": f"{hour:02d}",
        "h": f"{hour}",
        "ss": f"{moment.second:02d}",
        "s": f"{moment.second}",
        ".000": f".{moment.microsecond // 1000:03d}",
    }
    if token == "am/pm":  # noqa: S105  a number-format token, not a secret
        return "AM" if moment.hour < 12 else "PM"
    if token.startswith('"'):
        return token[1:-1]
    return table.get(token, token)


# ---------------------------------------------------------------- input

_ISO_DATE = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
_ISO_DATE_TIME = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})[ T](\d{1,2}):(\d{2})(?::(\d{2}))?$")
_US_DATE = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")
_NUMBER = re.compile(r"^[+-]?(\d{1,3}(,\d{3})+|\d+)?(\.\d+)?([eE][+-]?\d+)?$")

DATE_FORMAT = {"type": "DATE", "pattern": "yyyy-mm-dd"}
US_DATE_FORMAT = {"type": "DATE", "pattern": "M/d/yyyy"}
DATE_TIME_FORMAT = {"type": "DATE_TIME", "pattern": "yyyy-mm-dd hh:mm"}
DATE_TIME_SECONDS_FORMAT = {"type": "DATE_TIME", "pattern": "yyyy-mm-dd hh:mm:ss"}
PERCENT_FORMAT = {"type": "PERCENT", "pattern": "0%"}


def parse_raw(value: Any) -> Any:
    """RAW input: strings stay strings ("=1+1" too), "" empties the cell."""
    if value is None:
        return SKIP
    if value == "" and isinstance(value, str):
        return None
    return value


def parse_user_entered(value: Any) -> tuple[Any, dict[str, str] | None]:
    """USER_ENTERED input → (cell value, number format detected from the text or None)."""
    if value is None:
        return SKIP, None
    if not isinstance(value, str):
        return value, None
    text = value.strip()
    if not text:
        return None, None
    if value.startswith("'"):
        return value[1:] or None, None
    if value.startswith("="):
        return Formula(value, evaluate(value)), None
    return _typed_text(text, value)


def _typed_text(text: str, original: str) -> tuple[Any, dict[str, str] | None]:
    upper = text.upper()
    if upper in ("TRUE", "FALSE"):
        return upper == "TRUE", None
    if not (text[0].isdigit() or text[0] in "+-.,"):
        return original, None  # neither a number nor a date can start this way
    number = _parse_number(text)
    if number is not None:
        return number, _grouped_format(text)
    percent = _parse_number(text[:-1]) if text.endswith("%") else None
    if percent is not None:
        return _tidy_number(percent / 100), PERCENT_FORMAT
    return _parse_date(text) or (original, None)


def _grouped_format(text: str) -> dict[str, str] | None:
    """Typing 2,000,000.01 keeps the thousands separators as a number format, as Sheets does."""
    if "," not in text:
        return None
    decimals = len(text.partition(".")[2].partition("e")[0].partition("E")[0])
    return {"type": "NUMBER", "pattern": "#,##0" + ("." + "0" * decimals if decimals else "")}


def _parse_number(text: str) -> int | float | None:
    if not text or not _NUMBER.match(text) or not any(ch.isdigit() for ch in text):
        return None
    return _tidy_number(float(text.replace(",", "")))


def _tidy_number(number: float) -> int | float:
    return int(number) if number.is_integer() and abs(number) < 2**53 else number


def _parse_date(text: str) -> tuple[Any, dict[str, str]] | None:
    try:
        if m := _ISO_DATE.match(text):
            return to_serial(dt.date(int(m[1]), int(m[2]), int(m[3]))), DATE_FORMAT
        if m := _US_DATE.match(text):
            return to_serial(dt.date(int(m[3]), int(m[1]), int(m[2]))), US_DATE_FORMAT
        if m := _ISO_DATE_TIME.match(text):
            moment = dt.datetime(int(m[1]), int(m[2]), int(m[3]), int(m[4]), int(m[5]), int(m[6] or 0))  # noqa: DTZ001  Sheets keeps wall-clock time
            return to_serial(moment), DATE_TIME_SECONDS_FORMAT if m[6] else DATE_TIME_FORMAT
    except ValueError:
        return None
    return None


# ---------------------------------------------------------------- formulas

_OPERATORS: dict[type[ast.operator], Callable[[float, float], float]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.Pow: operator.pow,
}


def evaluate(formula: str) -> Any:
    """Arithmetic on literal numbers only (=4/2, =1+1); any other formula shows its own text.

    Evaluating spreadsheet functions and references is out of scope; showing the text keeps a
    reader's output recognisable rather than inventing a value.
    """
    expression = formula[1:].replace("^", "**").strip()
    try:
        result = _eval_node(ast.parse(expression, mode="eval").body)
    except (SyntaxError, ValueError, ZeroDivisionError, OverflowError, TypeError):
        return "#DIV/0!" if "/0" in expression.replace(" ", "") else formula
    return _tidy_number(float(result))


def _eval_node(node: ast.AST) -> float:
    if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)) and not isinstance(node.value, bool):
        number: float = node.value
        return number
    if isinstance(node, ast.BinOp) and type(node.op) in _OPERATORS:
        return _OPERATORS[type(node.op)](_eval_node(node.left), _eval_node(node.right))
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        operand = _eval_node(node.operand)
        return -operand if isinstance(node.op, ast.USub) else operand
    msg = "unsupported formula"
    raise ValueError(msg)


# ---------------------------------------------------------------- output


def render(value: Any, number_format: dict[str, Any] | None, option: str, date_option: str) -> Any:
    """One non-string cell → its JSON value for a values.get answer."""
    if isinstance(value, Formula):
        if option == "FORMULA":
            return value.text
        value = value.value
    if isinstance(value, bool):
        return ("TRUE" if value else "FALSE") if option == "FORMATTED_VALUE" else value
    if isinstance(value, (int, float)):
        return _render_number(value, number_format, option, date_option)
    return "" if value is None else value


def _render_number(value: float, number_format: dict[str, Any] | None, option: str, date_option: str) -> Any:
    is_date = number_format is not None and number_format.get("type") in DATE_TYPES
    if option == "FORMATTED_VALUE" or (is_date and date_option == "FORMATTED_STRING"):
        return format_number(value, number_format)
    return _tidy_number(value) if isinstance(value, float) else value


def format_number(value: float, number_format: dict[str, Any] | None) -> str:
    kind = (number_format or {}).get("type")
    pattern = (number_format or {}).get("pattern", "")
    if kind in DATE_TYPES:
        return format_date(value, pattern or _DEFAULT_PATTERNS[kind])
    if pattern and kind in ("NUMBER", "PERCENT", "CURRENCY", "SCIENTIFIC"):
        return _format_pattern(value, pattern)
    return general_number(value)


_DEFAULT_PATTERNS = {"DATE": "M/d/yyyy", "DATE_TIME": "M/d/yyyy H:mm:ss", "TIME": "h:mm:ss am/pm"}


def general_number(value: float) -> str:
    """The 'Automatic' format: integers as is, otherwise up to 10 significant digits."""
    if isinstance(value, int) or (value.is_integer() and abs(value) < 1e15):
        return str(int(value))
    if math.isinf(value) or math.isnan(value):
        return "#NUM!"
    text = f"{value:.10g}"
    return text.replace("e", "E") if "e" in text else text


def _format_pattern(value: float, pattern: str) -> str:
    section = pattern.split(";", maxsplit=1)[0]
    percent = "%" in section
    if percent:
        value *= 100
    digits = re.search(r"[0#][0#,]*(\.[0#]+)?", section)
    if not digits:
        return general_number(value)
    decimals = len(digits.group(1)) - 1 if digits.group(1) else 0
    grouping = "," if "," in digits.group(0) else ""
    number = f"{abs(value):{grouping}.{decimals}f}"
    sign = "-" if value < 0 and float(number.replace(",", "")) != 0 else ""
    prefix = section[: digits.start()].replace('"', "").replace("\\", "")
    suffix = section[digits.end() :].replace('"', "").replace("\\", "")
    return f"{sign}{prefix}{number}{suffix}"
