"""Files the app hands out: CSV text that a spreadsheet cannot turn into a formula.

A ticket field can hold anything a customer typed. Opened in Excel or
LibreOffice, a cell beginning ``=``, ``+``, ``-``, ``@``, tab or carriage
return is read as a formula (``=HYPERLINK(...)``, ``+cmd|' /C calc'!A0``), so
every CSV the app exports prefixes such text cells with an apostrophe, as
OWASP recommends. Numbers are left alone: ``-3.5`` in a numeric column is data.
"""

from __future__ import annotations

import pandas as pd

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: object) -> object:
    """Return ``value`` with an apostrophe before it when it is text a spreadsheet would run."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def restore(value: str) -> str:
    """Return text read back from an exported CSV without the apostrophe :func:`neutralise` added."""
    if value.startswith("'") and value[1:].startswith(FORMULA_STARTS):
        return value[1:]
    return value


def safe_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """Return a copy of ``frame`` whose text cells (and column names) cannot become formulas."""
    out = frame.copy()
    for column in out.columns:
        if isinstance(out[column].dtype, pd.CategoricalDtype):
            out[column] = out[column].astype(object)
        if out[column].dtype == object or pd.api.types.is_string_dtype(out[column]):
            out[column] = out[column].map(neutralise)
    out.columns = [neutralise(str(c)) for c in out.columns]
    return out


def csv_text(frame: pd.DataFrame) -> str:
    """Return ``frame`` as CSV text (no index) with every formula-like text cell neutralised."""
    return safe_frame(frame).to_csv(index=False)
