"""The built-in sample goes through the normal import path, with no options."""

from datetime import date

import pytest

from analytics import events, ingest, metrics, store
from analytics.settings import load_settings


@pytest.fixture(scope="module")
def sample(sample_desk):
    """A small sample (one year, reduced volume) written as a Zendesk export, then imported."""
    files = sample_desk(start=date(2024, 1, 1), years=1.0, scale=0.2, seed=3)
    con = store.connect()
    report = ingest.import_file(con, files.tickets_csv, source="sample", settings=load_settings())
    imported_events = events.import_events_csv(con, files.events_csv)
    yield con, files, report, imported_events
    con.close()


def test_the_sample_export_is_recognised_as_zendesk_and_imports_whole(sample):
    con, files, report, _ = sample
    with files.tickets_csv.open(encoding="utf-8") as fh:
        data_rows = sum(1 for _ in fh) - 1  # no field of the sample holds a line break
    assert report.preset == "zendesk"
    assert report.rows_rejected == 0
    assert report.tickets == report.rows_inserted == data_rows
    assert con.execute("select count(*) from tickets").fetchone()[0] == data_rows


def test_the_sample_keeps_its_regions_channels_and_teams(sample):
    con, *_ = sample
    values = metrics.filter_values(con, "sample")
    assert set(values["region"]) == {"France", "Europe", "North America", "Asia"}
    assert set(values["channel"]) == {"web", "email", "chat", "phone"}
    assert set(values["team"]) == {
        "Support France",
        "Support Europe",
        "Support North America",
        "Support Asia",
    }


def test_every_response_in_the_sample_follows_creation(sample):
    con, *_ = sample
    early = con.execute(
        "select count(*) from tickets where first_response_at < created_at "
        "or resolved_at < created_at or len(flags) > 0"
    ).fetchone()[0]
    assert early == 0


def test_the_story_events_are_in_the_calendar(sample):
    con, files, _, imported = sample
    with files.events_csv.open(encoding="utf-8") as fh:
        rows = sum(1 for _ in fh) - 1
    assert imported == rows > 0
    kinds = {k for (k,) in con.execute("select distinct kind from events").fetchall()}
    assert kinds <= set(events.KINDS)


def test_reimporting_the_sample_changes_nothing(sample):
    con, files, _, _ = sample
    again = ingest.import_file(con, files.tickets_csv, source="sample", settings=load_settings())
    assert (again.rows_inserted, again.rows_updated) == (0, 0)
    assert again.rows_unchanged == again.tickets


def test_the_cli_imports_the_sample_with_no_options(sample, tmp_path, capsys):
    from analytics.cli import main

    _, files, report, _ = sample
    db = tmp_path / "cli.sqlite"
    assert main(["import", str(files.tickets_csv), "--db", str(db), "--json"]) == 0
    con = store.connect(db)
    try:
        assert con.execute("select count(*) from tickets").fetchone()[0] == report.tickets
    finally:
        con.close()
