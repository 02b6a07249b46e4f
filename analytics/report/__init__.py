"""The weekly executive report: one ISO week's figures, charts and narrative, as data.

Two steps, so a language switch costs no query: :func:`collect` gathers the
numbers of a week (every figure comes from :mod:`analytics.metrics`, the
next-week outlook from :mod:`analytics.forecast`), and :func:`compose` turns
them into a :class:`Report` in English or French: headline figures with
their week-on-week and year-on-year changes, Plotly figures, and narrative
sentences written by fixed rules, each keeping the figures it cites.
:func:`to_html` writes a self-contained page (Plotly's JavaScript embedded)
and :func:`to_pdf` an A4 PDF whose charts are vector images exported by
Kaleido through the system Chromium.

The modules, in the order a report is made: ``weeks`` (ISO week
arithmetic, the weeks that hold tickets, the report's filters), ``collect``
(the figures from the store), ``narrative`` (one function per sentence),
``text`` (the strings, messages of the gettext catalogue, and number and
date formats from :mod:`analytics.i18n`), ``compose`` (the report in one
language, with better/worse cues) and ``render`` (HTML and PDF, from
``templates/``, whose words come from ``text``).

Example
-------
>>> data = collect(con, "sample", "2025-W47", None, "Europe/Paris", settings)  # doctest: +SKIP
>>> html = to_html(compose(data, "fr"))  # doctest: +SKIP
"""

from analytics.report.collect import Outlook, WeekData, collect
from analytics.report.compose import Cue, Headline, Report, compose
from analytics.report.errors import ReportError
from analytics.report.narrative import Sentence, narrative
from analytics.report.render import CHROMIUM_ENV, find_chromium, to_html, to_pdf, write
from analytics.report.text import (
    LANGS,
    fmt_date,
    fmt_hours,
    fmt_number,
    fmt_pct,
    fmt_signed,
    strings,
    week_label,
)
from analytics.report.weeks import (
    Filters,
    iso_week,
    last_complete_week,
    parse_week,
    report_weeks,
    same_week_last_year,
    week_selection,
    weeks_with_tickets,
)

__all__ = [
    "CHROMIUM_ENV",
    "LANGS",
    "Cue",
    "Filters",
    "Headline",
    "Outlook",
    "Report",
    "ReportError",
    "Sentence",
    "WeekData",
    "collect",
    "compose",
    "find_chromium",
    "fmt_date",
    "fmt_hours",
    "fmt_number",
    "fmt_pct",
    "fmt_signed",
    "iso_week",
    "last_complete_week",
    "narrative",
    "parse_week",
    "report_weeks",
    "same_week_last_year",
    "strings",
    "to_html",
    "to_pdf",
    "week_label",
    "week_selection",
    "weeks_with_tickets",
    "write",
]
