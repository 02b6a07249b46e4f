"""Words, numbers and dates in the reader's language: the gettext catalogue and Babel's formats.

English is the source language: a message is its own English text, and the
catalogue ``locale/<lang>/LC_MESSAGES/messages.po`` gives each one in
another language (French today). ``make messages`` extracts the messages
from the code with Babel and merges them into the catalogues; the
catalogue is compiled to gettext's binary form when first used.

Code that knows the language calls :func:`gettext` or :func:`ngettext`;
a constant defined before anyone asks (a label table) marks its text with
:func:`N_` and is translated where it is shown.

Numbers and dates go through Babel's locale data (CLDR): ``12,345`` and
``12 345``, ``Monday 7 September 2026`` and ``lundi 7 septembre 2026``.

Example
-------
>>> number(12345.5, "fr", 1) == "12\\u202f345,5"
True
>>> long_date(date(2026, 9, 7), "fr")
'lundi 7 septembre 2026'
"""

from __future__ import annotations

import functools
import gettext as _gettext
import io
import re
from collections.abc import Callable
from datetime import date, datetime, timedelta
from functools import cache
from pathlib import Path

from babel import dates as babel_dates
from babel import numbers as babel_numbers
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

LANGS = ("en", "fr")
DEFAULT_LANG = "en"
# How each language names itself, for the switch that offers it.
NAMES = {"en": "English", "fr": "Français"}
LOCALE_DIR = Path(__file__).parent / "locale"
DOMAIN = "messages"
NBSP, NNBSP = "\u00a0", "\u202f"
# French puts a narrow no-break space before these marks when they close a
# phrase or a label; a clock (14:05) or an address (https://) is left alone.
_FRENCH_MARKS = re.compile(r"[ \u00a0\u202f]?([;:!?])(?=\s|$|\*|\))")


def N_(message: str) -> str:
    """Return ``message`` as it is: marks a constant's text for the catalogue.

    The text is translated where it is shown, with :func:`gettext`.
    """
    return message


def lang_of(tag: str | None) -> str | None:
    """Return the catalogue language for a browser's tag (``fr-FR`` -> ``fr``), or None."""
    if not tag:
        return None
    for part in str(tag).split(","):
        code = part.split(";")[0].strip().replace("_", "-").split("-")[0].lower()
        if code in LANGS:
            return code
    return None


@cache
def translations(lang: str) -> _gettext.NullTranslations:
    """Return the compiled catalogue for ``lang`` (English, the source, translates to itself).

    Fuzzy or empty entries are left out, so their English shows instead.
    """
    if lang not in LANGS:
        raise ValueError(f"unknown language {lang!r}: one of {', '.join(LANGS)}")
    path = LOCALE_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}.po"
    if lang == DEFAULT_LANG or not path.exists():
        return _gettext.NullTranslations()
    with path.open("rb") as file:
        catalog = read_po(file, locale=lang)
    compiled = io.BytesIO()
    write_mo(compiled, catalog)
    compiled.seek(0)
    return _gettext.GNUTranslations(compiled)


def translator(lang: str) -> Callable[[str], str]:
    """Return ``_``: a function giving a message in ``lang``, for a function that writes several.

    Write ``_ = i18n.translator(lang)``, then ``_("Tickets created")``: ``make messages``
    finds the calls by that name.
    """
    return functools.partial(gettext, lang)


def gettext(lang: str, message: str) -> str:
    """Return ``message`` in ``lang``, French punctuation spaced."""
    return punctuate(translations(lang).gettext(message), lang)


def ngettext(lang: str, singular: str, plural: str, n: int) -> str:
    """Return the singular or plural form of a message for ``n`` in ``lang``.

    The text keeps its ``{n}`` placeholder: format it with the number formatted.
    """
    return punctuate(translations(lang).ngettext(singular, plural, n), lang)


def punctuate(text: str, lang: str) -> str:
    """Return ``text`` with French spacing before ``; : ! ?`` (a narrow no-break space)."""
    if lang != "fr":
        return text
    return _FRENCH_MARKS.sub(NNBSP + r"\1", text)


def number(value: float, lang: str, decimals: int = 0) -> str:
    """Return ``value`` with the locale's separators: ``1,234.5`` or ``1 234,5``; never ``-0``."""
    rounded = round(float(value), decimals) + 0.0  # -0.0 + 0.0 is 0.0
    pattern = "#,##0" + ("." + "0" * decimals if decimals > 0 else "")
    return babel_numbers.format_decimal(rounded, pattern, locale=lang)


def percent_sign(lang: str) -> str:
    """Return the percent sign as ``lang`` writes it after a number: ``%``, or ``\u00a0%`` in French."""
    return f"{NBSP}%" if lang == "fr" else "%"


def percent(value: float, lang: str, decimals: int = 0) -> str:
    """Return a percentage given in points: ``34%`` or ``34 %`` (a no-break space in French)."""
    return number(value, lang, decimals) + percent_sign(lang)


def hours(value: float, lang: str, decimals: int = 1) -> str:
    """Return hours: ``7.2 h`` or ``7,2 h``."""
    return f"{number(value, lang, decimals)}{NBSP}h"


def signed(value: float, lang: str, decimals: int = 0, unit: str = "") -> str:
    """Return a change with its sign, ``±`` when it rounds to zero: ``+410``, ``-3,1 pts``."""
    shown = round(value, decimals)
    sign = "+" if shown > 0 else "-" if shown < 0 else "±"
    return sign + number(abs(value), lang, decimals) + unit


def signed_percent(points: float, lang: str, decimals: int = 0) -> str:
    """Return a change in percentage points with its sign: ``+40%``, ``+40 %``, ``±0%``."""
    return signed(points, lang, decimals, percent_sign(lang))


def long_date(day: date, lang: str, weekday: bool = True, year: bool = True) -> str:
    """Return ``Monday 7 September 2026`` or ``lundi 7 septembre 2026``."""
    pattern = ("EEEE " if weekday else "") + "d MMMM" + (" y" if year else "")
    return babel_dates.format_date(day, pattern, locale=lang)


def short_date(day: date, lang: str) -> str:
    """Return ``7 Sep 2026`` or ``7 sept. 2026``, for tables and axes."""
    return babel_dates.format_date(day, "d MMM y", locale=lang)


def date_time(moment: datetime, lang: str, weekday: bool = True) -> str:
    """Return ``Friday 2 January 2026, 14:05``, on a 24-hour clock, in ``moment``'s own zone."""
    return f"{long_date(moment.date(), lang, weekday)}, {moment:%H:%M}"


def short_date_time(moment: datetime, lang: str) -> str:
    """Return ``2 Jan 2026, 14:05`` for a table cell, in ``moment``'s own zone."""
    return f"{short_date(moment.date(), lang)}, {moment:%H:%M}"


def ago(elapsed: timedelta, lang: str) -> str:
    """Return how long ago, in the largest whole unit: ``3 days ago``, ``il y a 3 jours``."""
    return babel_dates.format_timedelta(
        -abs(elapsed), add_direction=True, threshold=1.0, locale=lang
    )


def weekday_names(lang: str, short: bool = False) -> list[str]:
    """Return the weekdays' names from Monday: ``Monday`` or ``lundi`` (``Mon``, ``lun.`` short)."""
    names = babel_dates.get_day_names("abbreviated" if short else "wide", locale=lang)
    return [names[day] for day in range(7)]


def month_names(lang: str, short: bool = False) -> list[str]:
    """Return the months' names from January: ``January`` or ``janvier`` (``Jan``, ``janv.`` short)."""
    names = babel_dates.get_month_names("abbreviated" if short else "wide", locale=lang)
    return [names[month] for month in range(1, 13)]


def separators(lang: str) -> str:
    """Return Plotly's ``layout.separators`` for ``lang``: the decimal mark, then the grouping one."""
    symbols = babel_numbers.get_decimal_symbol(lang) + babel_numbers.get_group_symbol(lang)
    return symbols


class TranslatableError(Exception):
    """An error whose one line can be said in any language.

    ``str(error)`` is English (the CLI, the logs); ``template`` is the
    message marked with :func:`N_` and ``params`` fill it, so that
    :func:`describe` says it in the reader's language.

    >>> error = TranslatableError(N_("no ticket {ticket} in source {source}"), ticket="T-7", source="desk")
    >>> str(error)
    'no ticket T-7 in source desk'
    """

    def __init__(self, template: str, **params: object) -> None:
        super().__init__(template.format(**params))
        self.template = template
        self.params = params


def describe(error: BaseException, lang: str) -> str:
    """Return ``error``'s one line in ``lang``: a :class:`TranslatableError` translated,
    its numbers written in ``lang``; any other as it is (its English)."""
    template = getattr(error, "template", None)
    if not isinstance(template, str):
        return str(error)
    params = {key: _formatted(value, lang) for key, value in getattr(error, "params", {}).items()}
    return gettext(lang, template).format(**params)


def _formatted(value: object, lang: str) -> object:
    """Return a number written in ``lang`` (``10 000``, ``2,5``); anything else as it is."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return value
    return babel_numbers.format_decimal(value, "#,##0.###", locale=lang)
