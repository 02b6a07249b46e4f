"""The agents command: figures per agent or team, shown as ``[people] show`` allows."""

from __future__ import annotations

import argparse
import json
import math
import sys

from analytics import metrics, people
from analytics.cli.analysis import local_days, selection_of
from analytics.cli.parser import open_store
from analytics.settings import load_settings

# PeopleHidden: asked for what the settings do not allow, not a failure of the store
REFUSED = 2


def cmd_agents(args: argparse.Namespace) -> int:
    settings = load_settings()
    # The command line runs as the desk's administrator: no role, [people] show.
    view = people.view_for(settings, None)
    if args.by == "agent":
        try:
            people.require_people(view)
        except people.PeopleHidden as exc:
            print(f"error: {exc}; --by team shows the teams", file=sys.stderr)
            return REFUSED
    key = people.key_for(settings, view)
    con = open_store(args)
    try:
        selection = selection_of(con, args)
        source, first, last = selection.source, *local_days(selection)
        figures = metrics.agents(con, selection, args.by, view, key, settings)
    finally:
        con.close()
    if not args.json:
        numbers = figures.select_dtypes("float").columns
        print(figures.round(dict.fromkeys(numbers, 1)).to_string(index=False, na_rep="-"))
        return 0
    rows = [
        {k: None if isinstance(v, float) and math.isnan(v) else v for k, v in row.items()}
        for row in figures.to_dict(orient="records")
    ]
    payload = {
        "source": source,
        "from": first.isoformat(),
        "to": last.isoformat(),
        "by": args.by,
        "rows": rows,
    }
    print(json.dumps(payload, default=float))
    return 0
