"""The sql command: one read-only query on the store, printed as a table, CSV or JSON."""

from __future__ import annotations

import argparse
import json

import numpy as np
import pandas as pd

from analytics import queries
from analytics.cli.parser import open_store
from analytics.ingest.model import one_line


def cmd_sql(args: argparse.Namespace) -> int:
    con = open_store(args, read_only=True)
    try:
        frame = queries.read_only_query(con, args.query)
    finally:
        con.close()
    if args.csv:
        print(as_csv(frame), end="")
    elif args.json:
        print(as_json(frame))
    else:
        print(as_text(frame))
    return 0


def as_json(frame: pd.DataFrame) -> str:
    """Return ``frame`` as a JSON array of objects, one per row; times in ISO 8601, nulls null."""
    text = frame.to_json(orient="records", date_format="iso", date_unit="us")
    # pandas escapes every "/" in its JSON; read back and dumped again, the text is plain.
    return json.dumps(json.loads(text))


def as_csv(frame: pd.DataFrame) -> str:
    """Return ``frame`` as CSV with a header; lists and structs as JSON text, nulls empty."""
    shown = frame.copy()
    for position, dtype in enumerate(shown.dtypes):
        if pd.api.types.is_object_dtype(dtype):
            shown.isetitem(position, shown.iloc[:, position].map(_nested_as_json))
    return shown.to_csv(index=False)


def as_text(frame: pd.DataFrame) -> str:
    """Return ``frame`` as an aligned text table, NULL for nulls, control characters escaped.

    Imported ticket fields are whatever the helpdesk held: an escape sequence
    in one must not drive the terminal it is printed on.
    """
    if frame.empty:
        return "  ".join(one_line(str(c)) for c in frame.columns) + "\n(no rows)"
    shown = frame.copy()
    shown.columns = [one_line(str(c)) for c in frame.columns]
    for position in range(shown.shape[1]):
        column = shown.iloc[:, position]
        shown.isetitem(position, column.astype(object).where(column.notna(), "NULL").map(_escaped))
    return shown.to_string(index=False)


def _escaped(value: object) -> object:
    return one_line(value) if isinstance(value, str) else value


def _nested_as_json(value: object) -> object:
    if isinstance(value, np.ndarray | list | dict):
        return json.dumps(_plain(value), default=str)
    return value


def _plain(value: object) -> object:
    """Return ``value`` with numpy arrays, at any depth, as lists."""
    if isinstance(value, np.ndarray | list):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value.item() if isinstance(value, np.generic) else value
