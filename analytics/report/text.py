"""The report's words in English and French, and its numbers and dates in each language.

The strings live in ``text/<lang>.toml``, one key per string with ``{name}``
placeholders, so a translator edits data rather than code.

Example
-------
>>> fmt_number(1234.5, "en", 1)
'1,234.5'
"""

from __future__ import annotations

import tomllib
from datetime import date
from functools import cache
from pathlib import Path

from analytics import coverage

LANGS = ("en", "fr")
NBSP, NNBSP = "\u00a0", "\u202f"
TEXT_DIR = Path(__file__).parent / "text"


@cache
def strings(lang: str) -> dict:
    """Return the report's strings in ``lang``: key -> text, with tables for labels and traces.

    The dict is shared by every report in that language; do not change it.
    """
    with (TEXT_DIR / f"{lang}.toml").open("rb") as file:
        text = tomllib.load(file)
    # English says what coverage says, so the phrase is written once.
    text.setdefault("not_in_source", coverage.NOT_IN_SOURCE)
    return text


def fmt_number(value: float, lang: str, decimals: int = 0) -> str:
    """Return ``value`` with the locale's separators: ``1,234.5`` or ``1 234,5``.

    French groups thousands with a narrow no-break space and uses a decimal comma.
    """
    text = f"{value:,.{decimals}f}"
    if text in ("-0", "-0.0"):
        text = text[1:]
    if lang == "fr":
        text = text.replace(",", NNBSP).replace(".", ",")
    return text


def fmt_pct(value: float, lang: str, decimals: int = 0) -> str:
    """Return a percentage: ``34%`` or ``34 %`` (French puts a no-break space before %)."""
    return fmt_number(value, lang, decimals) + (f"{NBSP}%" if lang == "fr" else "%")


def fmt_hours(value: float, lang: str) -> str:
    """Return hours with one decimal: ``7.2 h`` or ``7,2 h``."""
    return f"{fmt_number(value, lang, 1)}{NBSP}h"


def fmt_signed(value: float, lang: str, decimals: int = 0, unit: str = "") -> str:
    """Return a change with its sign: ``+410``, ``-3.1 pts``, ``+12 %``."""
    sign = "+" if round(value, decimals) > 0 else "-" if round(value, decimals) < 0 else "±"
    return sign + fmt_number(abs(value), lang, decimals) + unit


def fmt_date(day: date, lang: str, weekday: bool = True, year: bool = True) -> str:
    """Return ``Monday 17 November 2025`` or ``lundi 17 novembre 2025``."""
    t = strings(lang)
    text = f"{day.day} {t['months'][day.month - 1]}" + (f" {day.year}" if year else "")
    return f"{t['weekdays'][day.weekday()]} {text}" if weekday else text
