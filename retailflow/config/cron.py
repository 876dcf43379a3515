"""Quartz cron validation (the syntax Databricks job schedules use: seconds first, `?` for day-of-month/week)."""

from __future__ import annotations

import re

_FIELDS = (
    ("seconds", 0, 59),
    ("minutes", 0, 59),
    ("hours", 0, 23),
    ("day-of-month", 1, 31),
    ("month", 1, 12),
    ("day-of-week", 1, 7),
    ("year", 1970, 2199),
)
_MONTHS = "JAN|FEB|MAR|APR|MAY|JUN|JUL|AUG|SEP|OCT|NOV|DEC"
_DAYS = "SUN|MON|TUE|WED|THU|FRI|SAT"


def _check_value(token: str, field: str, low: int, high: int, names: str) -> None:
    if names and re.fullmatch(names, token, flags=re.IGNORECASE):
        return
    if not token.isdigit():
        raise ValueError(f"cron {field} field: {token!r} is not a number")
    if not low <= int(token) <= high:
        raise ValueError(f"cron {field} field: {token} is outside {low}-{high}")


def _check_field(text: str, field: str, low: int, high: int) -> None:
    names = _MONTHS if field == "month" else _DAYS if field == "day-of-week" else ""
    if text in ("*", "?") and (text == "*" or field in ("day-of-month", "day-of-week")):
        return
    for part in text.split(","):
        base, _, step = part.partition("/")
        if step and not step.isdigit():
            raise ValueError(f"cron {field} field: step {step!r} is not a number")
        if base in ("*", ""):
            if not step:
                raise ValueError(f"cron {field} field: {part!r} is malformed")
            continue
        if field in ("day-of-month", "day-of-week") and re.fullmatch(r"(L|LW|\d{1,2}W|\d#\d|\dL)", base):
            continue
        start, _, end = base.partition("-")
        _check_value(start, field, low, high, names)
        if end:
            _check_value(end, field, low, high, names)


def validate_quartz_cron(expression: str) -> None:
    """Raise ValueError naming the field when `expression` is not a valid Quartz cron expression."""
    parts = expression.split()
    if len(parts) not in (6, 7):
        raise ValueError(
            f"cron {expression!r} has {len(parts)} fields; Quartz cron needs 6 or 7 "
            "(seconds minutes hours day-of-month month day-of-week [year])"
        )
    for text, (field, low, high) in zip(parts, _FIELDS, strict=False):
        _check_field(text, field, low, high)
    if parts[3] != "?" and parts[5] != "?":
        raise ValueError("cron: one of day-of-month and day-of-week must be '?'")
