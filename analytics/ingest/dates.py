"""Reading timestamps whatever way an export writes them.

Each date column is classified over all its values at once (one SQL
aggregate), and day-first versus month-first is decided for the whole column
from the values that can only be read one way (a first number above 12 means
day-first). A column whose every value fits both readings is reported as
ambiguous instead of guessed; the caller may name the order explicitly.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb

from analytics import i18n
from analytics.i18n import N_

# Shapes of a timestamp, as RE2 patterns matched against the whole value.
ISO = r"\d{4}-\d{1,2}-\d{1,2}([T ]\d{1,2}:\d{2}(:\d{2}(\.\d+)?)?)?\s*(Z|[+-]\d{2}:?\d{2})?"
ISO_OFFSET = r".*(Z|[+-]\d{2}:?\d{2})"
# An offset no zone has (over 14 hours, or 60 minutes and more), which the
# cast and strptime would still apply: +99:99 moves a ticket by four days.
IMPOSSIBLE_OFFSET = r".*\d\s*[+-]((1[5-9]|[2-9]\d):?\d{2}|\d{2}:?[6-9]\d)"
# Timestamps a ticket can have: outside, a value is a placeholder ("never":
# 9999-12-31) or a typo (0001-01-01), and one would stretch every "all time"
# chart over centuries.
FIRST_YEAR, LAST_YEAR = 1970, 2099
NUMERIC = (
    r"\d{1,2}[/.\-]\d{1,2}[/.\-](\d{2}|\d{4})(\s+\d{1,2}:\d{2}(:\d{2})?(\s*[AaPp]\.?[Mm]\.?)?)?"
)
MONTH_NAME = r"\d{1,2}[/\- ][A-Za-z]{3}[/\- ]\d{2,4}(\s+\d{1,2}:\d{2}(:\d{2})?(\s*[AaPp][Mm])?)?"
EPOCH = r"\d{9,10}(\.\d+)?"
EPOCH_MS = r"\d{12,13}"

TIME_FORMATS = ("%H:%M:%S", "%H:%M", "%I:%M:%S %p", "%I:%M %p")


class DateFormatError(i18n.TranslatableError):
    """A date column cannot be read unambiguously; the message says which and why."""


@dataclass(frozen=True)
class ColumnDates:
    """What one date column holds, counted over every value."""

    values: int
    iso: int
    iso_offset: int
    numeric: int
    month_name: int
    epoch: int
    epoch_ms: int
    max_first: int | None
    max_second: int | None
    short_year: int

    @property
    def recognised(self) -> int:
        return self.iso + self.numeric + self.month_name + self.epoch + self.epoch_ms


def profile_columns(
    con: duckdb.DuckDBPyConnection, table: str, fields: list[str]
) -> dict[str, ColumnDates]:
    """Return a :class:`ColumnDates` for each field of ``table``, from one scan.

    ``table`` and ``fields`` are identifiers chosen by code, never by a user.
    """
    # The shapes exclude each other (ISO starts with four digits and a dash,
    # numeric with one or two digits and a separator, epochs are digits only),
    # so each value is classified once, the first matching shape winning: a
    # clean ISO column costs one pattern per value instead of seven.
    shapes = (("iso", ISO), ("numeric", NUMERIC), ("month_name", MONTH_NAME),
              ("epoch", EPOCH), ("epoch_ms", EPOCH_MS))  # fmt: skip
    inner, parts = [], []
    for i, f in enumerate(fields):
        v, shape = f"_v{i}", f"_s{i}"
        whens = " ".join(
            f"when regexp_full_match({v}, '{pat}') then '{name}'" for name, pat in shapes
        )
        inner += [f'trim("{f}") as {v}']
        num = f"{shape} = 'numeric'"
        parts += [
            f"count({v})",
            f"count(*) filter (where {shape} = 'iso')",
            f"count(*) filter (where {shape} = 'iso' and regexp_full_match({v}, '{ISO_OFFSET}'))",
            f"count(*) filter (where {num})",
            f"count(*) filter (where {shape} = 'month_name')",
            f"count(*) filter (where {shape} = 'epoch')",
            f"count(*) filter (where {shape} = 'epoch_ms')",
            f"max(try_cast(regexp_extract({v}, '^(\\d{{1,2}})', 1) as integer)) filter (where {num})",
            f"max(try_cast(regexp_extract({v}, '^\\d{{1,2}}[/.\\-](\\d{{1,2}})', 1) as integer)) "
            f"filter (where {num})",
            f"count(*) filter (where {num} and regexp_matches({v}, '^\\d{{1,2}}[/.\\-]\\d{{1,2}}[/.\\-]\\d{{2}}($|\\s)'))",
        ]
        inner += [f"case {whens} end as {shape}"]
    table_sql = f"(select {', '.join(inner)} from {table})"  # noqa: S608
    row = con.execute(f"select {', '.join(parts)} from {table_sql}").fetchone()  # noqa: S608
    width = 10
    return {f: ColumnDates(*row[i * width : (i + 1) * width]) for i, f in enumerate(fields)}


def decide_order(profiles: dict[str, ColumnDates], date_order: str | None) -> str | None:
    """Return ``"dmy"``, ``"mdy"`` or None (no numeric dates) for the file's numeric dates.

    Evidence from every column counts together, since one export writes all
    its dates the same way.

    Raises
    ------
    DateFormatError
        When the values contradict each other, or fit both orders and no
        ``date_order`` was given.
    """
    numeric = {f: p for f, p in profiles.items() if p.numeric}
    if not numeric:
        return date_order
    day_first = [f for f, p in numeric.items() if (p.max_first or 0) > 12]
    month_first = [f for f, p in numeric.items() if (p.max_second or 0) > 12]
    if date_order:
        if date_order == "mdy" and day_first:
            raise DateFormatError(
                N_("{fields} has dates whose first number is above 12: they cannot be month-first"),
                fields=", ".join(day_first),
            )
        if date_order == "dmy" and month_first:
            raise DateFormatError(
                N_("{fields} has dates whose second number is above 12: they cannot be day-first"),
                fields=", ".join(month_first),
            )
        return date_order
    if day_first and month_first:
        raise DateFormatError(
            N_("dates mix day-first ({day_first}) and month-first ({month_first}) orders"),
            day_first=", ".join(day_first),
            month_first=", ".join(month_first),
        )
    if day_first:
        return "dmy"
    if month_first:
        return "mdy"
    raise DateFormatError(
        N_(
            "dates in {fields} are ambiguous: every day and month is 12 or less, "
            "so day-first and month-first both fit; choose the date order (dmy or mdy)"
        ),
        fields=", ".join(numeric),
    )


def describe(profile: ColumnDates, order: str | None) -> str:
    """Return a short human description of how a column's dates are read."""
    # Each part is marked for the catalogue: a screen translates them one by one.
    kinds = []
    if profile.iso:
        kinds.append(N_("ISO 8601 with offset") if profile.iso_offset else N_("ISO 8601"))
    if profile.numeric:
        numeric = {"dmy": N_("day/month/year"), "mdy": N_("month/day/year")}
        kinds.append(numeric.get(order or "", N_("d/m/y")))
    if profile.month_name:
        kinds.append(N_("day/Mon/year"))
    if profile.epoch or profile.epoch_ms:
        kinds.append(N_("epoch"))
    return ", ".join(kinds) or N_("empty")


def parse_expression(field: str, profile: ColumnDates, order: str | None) -> str:
    """Return a SQL expression turning text column ``field``, trimmed, into a ``timestamptz``.

    Naive values are read in the zone bound as ``$tz``. Only the shapes the
    column holds get a branch, so a clean column costs one conversion.
    Values of no known shape give NULL, which the importer reports.
    """
    v = f'"{field}"'
    branches: list[tuple[str, str]] = []
    if profile.iso:
        branches.append((ISO, _iso_expression(v, profile)))
    if profile.numeric:
        day, month = ("%d", "%m") if order == "dmy" else ("%m", "%d")
        year = "%y" if profile.short_year == profile.numeric else "%Y"
        date = f"{day}/{month}/{year}"
        formats = ", ".join(f"'{date} {t}'" for t in TIME_FORMATS) + f", '{date}'"
        cleaned = (
            f"regexp_replace(regexp_replace(upper({v}), '^(\\d+)[.\\-](\\d+)[.\\-]', '\\1/\\2/'),"
            " '\\s*([AP])\\.?M\\.?$', ' \\1M')"
        )
        branches.append((NUMERIC, f"timezone($tz, try_strptime({cleaned}, [{formats}]))"))
    if profile.month_name:
        formats = (
            ", ".join(f"'%d/%b/{y} {t}'" for y in ("%y", "%Y") for t in TIME_FORMATS)
            + ", '%d/%b/%y', '%d/%b/%Y'"
        )
        cleaned = f"regexp_replace({v}, '^(\\d+)[\\- ]([A-Za-z]{{3}})[\\- ]', '\\1/\\2/')"
        branches.append((MONTH_NAME, f"timezone($tz, try_strptime({cleaned}, [{formats}]))"))
    if profile.epoch:
        branches.append((EPOCH, f"to_timestamp(try_cast({v} as double))"))
    if profile.epoch_ms:
        branches.append((EPOCH_MS, f"to_timestamp(try_cast({v} as double) / 1000)"))
    if not branches:
        return "null::timestamptz"
    if len(branches) == 1:
        pattern, expr = branches[0]
        if pattern in (EPOCH, EPOCH_MS):
            # to_timestamp raises on a value beyond its range (-4.3e16, 1e400),
            # which would fail the whole import; the shape (ten or thirteen
            # digits at most) keeps it in range, and a value of another shape
            # gives NULL, so its row is rejected like any unreadable date.
            return f"case when regexp_full_match({v}, '{pattern}') then {expr} end"
        return expr
    whens = " ".join(f"when regexp_full_match({v}, '{pat}') then {expr}" for pat, expr in branches)
    return f"case {whens} end"


def _iso_expression(v: str, profile: ColumnDates) -> str:
    """Return the expression reading the ISO 8601 values of column ``v`` (quoted), offset or not."""
    naive = f"timezone($tz, try_cast({v} as timestamp))"
    aware = (
        f"try_cast(regexp_replace({v}, '\\s*([+-]\\d{{2}}):?(\\d{{2}})$', '\\1:\\2') "
        "as timestamptz)"
    )
    # Zendesk's "2024-03-12 14:05:00 +0100" is read by strptime more cheaply
    # than by the pattern rewrite; any other value (or a failed read) falls
    # through to the rewrite, so the result is the same for every value.
    aware = (
        f"coalesce(case when {v}[-5] in ('+', '-') and {v}[-6] = ' ' "
        f"then try_strptime({v}, '%Y-%m-%d %H:%M:%S %z') end, {aware})"
    )
    if profile.iso_offset == profile.iso:
        iso_expr = aware
    elif profile.iso_offset == 0:
        iso_expr = naive
    else:
        iso_expr = f"case when regexp_full_match({v}, '{ISO_OFFSET}') then {aware} else {naive} end"
    return iso_expr
