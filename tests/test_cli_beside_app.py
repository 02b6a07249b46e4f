"""Every command runs while another process has the store open, as the app does, on both catalogs.

A child process opens the store, keeps a read transaction open and a cursor
on the tickets, then waits: the app's place. The commands run meanwhile, and
each one does its work.
"""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import date

import pytest

from analytics import cli, store

HOLDER = """
import json, sys
from analytics import store
con = store.connect(**json.loads(sys.argv[1]))
cur = store.cursor(con)
cur.execute("begin")
cur.execute("select count(*) from tickets").fetchone()
print("ready", flush=True)
sys.stdin.readline()
"""


@pytest.fixture
def held(store_location, sample_desk):
    """The store's command-line arguments, with the sample imported and another process holding it."""
    files = sample_desk(start=date(2024, 1, 1), years=0.3, scale=0.05)
    con = store.connect(**store_location)
    con.close()
    args = (
        ["--db", str(store_location["path"])]
        if store_location["path"]
        else [
            "--catalog",
            store_location["catalog"],
            "--data-path",
            str(store_location["data_path"]),
        ]
    )
    assert cli.main(["import", str(files.tickets_csv), "--source", "sample", *args]) == 0
    location = {k: str(v) if v is not None else None for k, v in store_location.items()}
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, json.dumps(location)],
        cwd=store.SQL_DIR.parents[1],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert holder.stdout.readline().strip() == "ready"
    yield args, files
    holder.communicate("done\n", timeout=30)


def test_every_command_works_while_another_process_holds_the_store(held, tmp_path, capsys):
    args, files = held
    run = [
        ["import-events", str(files.events_csv), "--source", "sample"],
        ["sources", "--json"],
        ["metrics", "--source", "sample", "--from", "2024-02-01", "--to", "2024-02-29"],
        ["forecast", "--source", "sample", "--horizon", "7", "--backtest", "0", "--json"],
        ["report", "--source", "sample", "--week", "2024-W10", "--out", str(tmp_path)],
        ["audit", "--json"],
        ["snapshots", "--json"],
        ["maintain", "--json"],
    ]
    for command in run:
        assert cli.main([*command, *args]) == 0, (command, capsys.readouterr().err)
    out = capsys.readouterr().out
    assert '"sample"' in out
    assert list(tmp_path.glob("*.html"))
    # The writes of import and import-events are there, then a delete goes through too.
    assert cli.main(["delete-source", "sample", *args]) == 0
    assert cli.main(["sources", "--json", *args]) == 0
    assert json.loads(capsys.readouterr().out.strip().splitlines()[-1])["sources"] == []
