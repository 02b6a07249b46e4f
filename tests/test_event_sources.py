"""An event belongs to one source or to every source, never leaking onto another source.

The store holds two sources: the simulated sample desk and the NYC 311 slice
(real data, ../shared/realdata), each with events of its own, and events of
every source.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import exports
import pandas as pd
import pytest
import streamlit as st
from conftest import NYC311, ROOT
from streamlit.testing.v1 import AppTest

from analytics import cli, events, forecast, ingest, store
from analytics.forecast import impact
from analytics.settings import load_settings

NYC = "nyc311"
SAMPLE = "sample"
# name -> (kind, source or None for every source, start, end)
CALENDAR = {
    "Sample outage": ("outage", SAMPLE, date(2023, 2, 20), date(2023, 3, 3)),
    "Citywide storm": ("outage", None, date(2023, 2, 27), date(2023, 3, 1)),
    "Snow day": ("holiday", NYC, date(2023, 2, 28), None),
    "Sample launch": ("product launch", SAMPLE, date(2023, 5, 1), None),
    "Shared launch": ("product launch", None, date(2023, 5, 8), None),
}
OWN = {SAMPLE: {"Sample outage", "Sample launch"}, NYC: {"Snow day"}}
SHARED = {"Citywide storm", "Shared launch"}

pytestmark = pytest.mark.skipif(
    not NYC311.exists(), reason="../shared/realdata is not beside the repo"
)


def calendar_csv(path: Path) -> Path:
    """Write :data:`CALENDAR` as an events file with a source column."""
    lines = ["name,kind,region,source,start,end"]
    for name, (kind, source, start, end) in CALENDAR.items():
        lines.append(f"{name},{kind},all,{source or 'all'},{start},{end or ''}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def fill(con, files, folder: Path) -> None:
    """Import both sources, the sample's own events file, then :data:`CALENDAR`."""
    ingest.import_file(con, files.tickets_csv, source=SAMPLE, settings=load_settings())
    ingest.import_file(con, NYC311, source=NYC, settings=load_settings())
    events.import_events_csv(con, files.events_csv, source=SAMPLE)  # as `make run` does
    events.import_events_csv(con, calendar_csv(folder / "calendar.csv"))


@pytest.fixture(scope="module")
def db(tmp_path_factory, sample_desk) -> Path:
    folder = tmp_path_factory.mktemp("event_sources")
    path = folder / "two.sqlite"
    con = store.connect(path)
    fill(con, sample_desk(start=date(2022, 10, 3), years=0.5, scale=0.1), folder)
    con.close()
    return path


@pytest.fixture
def con(db, tmp_path):
    """A writable copy of the two-source store, for tests that change it."""
    copy = tmp_path / "copy.sqlite"
    exports.copy_store(db, copy)
    connection = store.connect(copy)
    yield connection
    connection.close()


def names(frame: pd.DataFrame) -> set[str]:
    return set(frame["name"])


@pytest.mark.parametrize(("source", "other"), [(SAMPLE, NYC), (NYC, SAMPLE)])
def test_a_source_sees_its_own_events_and_every_sources_but_not_anothers(con, source, other):
    seen = names(events.events_in_range(con, date(2022, 1, 1), date(2023, 12, 31), source=source))
    assert OWN[source] | SHARED <= seen
    assert not seen & OWN[other]


def test_the_sample_events_file_imported_for_the_sample_stays_on_the_sample(con):
    nyc = names(events.events_in_range(con, date(2022, 12, 1), date(2023, 1, 31), source=NYC))
    sample = names(events.events_in_range(con, date(2022, 12, 1), date(2023, 1, 31), source=SAMPLE))
    assert "Christmas 2022" in sample
    assert "Christmas 2022" not in nyc


def test_the_forecast_reads_only_the_source_calendar(con):
    for source, other in ((SAMPLE, NYC), (NYC, SAMPLE)):
        planned = names(forecast.calendar_events(con, "total", "total", source))
        assert OWN[source] | SHARED <= planned
        assert not planned & OWN[other]


def overview_bands(db: Path, source: str, monkeypatch) -> str:
    """Return the Overview page's chart specs for ``source`` over its whole history."""
    monkeypatch.setenv("BACKLOG_RADAR_DB", str(db))
    monkeypatch.setenv("BACKLOG_RADAR_USERS", str(db.parent / "no-users.json"))
    st.cache_resource.clear()
    st.cache_data.clear()
    try:
        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120).run()
        at.switch_page("pages/overview.py").run()
        at.pills(key="source").set_value(source).run()
        at.pills(key="period").set_value("All").run()
        assert not at.exception
        charts = at.get("plotly_chart")
        assert charts, "the overview draws its charts"
        return " ".join(chart.proto.spec for chart in charts)
    finally:
        st.cache_resource.clear()
        st.cache_data.clear()


@pytest.mark.parametrize(
    ("source", "drawn", "not_drawn"),
    [
        (NYC, ("Citywide storm", "Snow day"), ("Sample outage",)),
        (SAMPLE, ("Citywide storm", "Sample outage"), ("Snow day",)),
    ],
)
def test_the_overview_draws_no_band_of_another_source(db, monkeypatch, source, drawn, not_drawn):
    specs = overview_bands(db, source, monkeypatch)
    for name in drawn:
        assert name in specs
    for name in not_drawn:
        assert name not in specs


def test_export_then_import_keeps_each_events_source(con, tmp_path):
    path = tmp_path / "events.csv"
    path.write_text(events.export_events_csv(con), encoding="utf-8")
    other = store.connect(tmp_path / "other.sqlite")
    try:
        assert events.import_events_csv(other, path) == len(events.all_events(con))
        columns = ["name", "kind", "region", "source", "starts_on", "ends_on", "notes"]
        pd.testing.assert_frame_equal(
            events.all_events(other)[columns], events.all_events(con)[columns]
        )
    finally:
        other.close()
    assert set(events.all_events(con)["source"]) == {SAMPLE, NYC, "all"}


def test_a_source_export_holds_its_calendar_only(con):
    text = events.export_events_csv(con, NYC)
    assert "Snow day,holiday,all,nyc311," in text
    assert "Citywide storm,outage,all,all," in text
    assert "Sample outage" not in text


@pytest.mark.parametrize(
    ("cell", "default", "expected"),
    [
        ("", None, None),
        ("", NYC, NYC),
        ("all", NYC, None),
        ("ALL", NYC, None),
        (SAMPLE, NYC, SAMPLE),
    ],
)
def test_a_row_names_its_source_and_a_blank_cell_takes_the_default(cell, default, expected):
    text = f"name,kind,start,source\nLaunch,product launch,2024-01-08,{cell}\n"
    (row,) = events.parse_events_csv(text, default)
    assert row["source"] == expected


def test_the_cli_imports_for_the_source_it_is_given(db, tmp_path, capsys):
    path = tmp_path / "own.csv"
    path.write_text("name,kind,start\nBorough fair,marketing campaign,2023-02-27\n", "utf-8")
    copy = tmp_path / "cli.sqlite"
    exports.copy_store(db, copy)
    assert cli.main(["import-events", str(path), "--source", NYC, "--db", str(copy)]) == 0
    assert f"rows without a source: source '{NYC}'" in capsys.readouterr().out
    con = store.connect(copy)
    try:
        assert "Borough fair" in names(events.all_events(con, NYC))
        assert "Borough fair" not in names(events.all_events(con, SAMPLE))
    finally:
        con.close()


def test_the_same_event_can_belong_to_two_sources_and_to_all(con):
    days = len(events.public_holidays("US", [2023]))
    for source in (SAMPLE, NYC, None):
        assert events.add_public_holidays(con, "US", "all", [2023], source=source) == days
        events.add_public_holidays(con, "US", "all", [2023], source=source)  # changes nothing
    table = events.all_events(con)
    july = table[table["name"] == "Independence Day"]
    assert sorted(july["source"]) == ["all", NYC, SAMPLE]
    assert len(table[table["notes"] == "Public holiday (US)"]) == 3 * days


def test_saving_one_sources_calendar_leaves_other_sources_untouched(con):
    table = events.all_events(con, SAMPLE)
    assert not names(table) & OWN[NYC]
    kept = table[table["name"] != "Sample outage"]
    counts = events.save_events(con, kept, source=SAMPLE)
    assert counts == {"added": 0, "changed": 0, "deleted": 1}
    assert OWN[NYC] <= names(events.all_events(con, NYC))
    assert "Sample outage" not in names(events.all_events(con))


def test_an_editor_row_for_another_source_is_refused(con):
    table = events.all_events(con, SAMPLE)
    table.loc[table["name"] == "Sample launch", "source"] = NYC
    with pytest.raises(events.EventsError, match="of 'sample' and of every source, not of"):
        events.save_events(con, table, source=SAMPLE)


def test_an_event_moves_from_one_source_to_every_source(con):
    table = events.all_events(con, SAMPLE)
    table.loc[table["name"] == "Sample launch", "source"] = events.ALL_SOURCES
    assert events.save_events(con, table, source=SAMPLE)["changed"] == 1
    assert "Sample launch" in names(events.all_events(con, NYC))


def test_deleting_a_source_deletes_its_own_events_only(con):
    before = events.all_events(con)
    store.delete_source(con, SAMPLE)
    after = events.all_events(con)
    assert not set(after["source"]) & {SAMPLE}
    assert len(after) == len(before[before["source"] != SAMPLE])
    assert OWN[NYC] | SHARED <= names(after)


@pytest.fixture
def events_page(con, monkeypatch):
    """Return the Events page of source nyc311 in AppTest, on a copy of the store."""
    path = store.location(con).catalog_file
    con.close()
    monkeypatch.setenv("BACKLOG_RADAR_DB", str(path))
    monkeypatch.setenv("BACKLOG_RADAR_USERS", str(path.parent / "no-users.json"))
    st.cache_resource.clear()
    st.cache_data.clear()
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120).run()
    at.switch_page("pages/events.py").run()
    at.pills(key="source").set_value(NYC).run()
    yield at, path
    st.cache_resource.clear()
    st.cache_data.clear()


def test_the_events_page_lists_the_selected_sources_calendar(events_page):
    at, _ = events_page
    assert not at.exception and not at.error
    (table,) = at.dataframe
    assert names(table.value) == OWN[NYC] | SHARED
    impact_choices = " ".join(at.selectbox(key="impact_event").options)
    assert "Snow day" in impact_choices and "Sample outage" not in impact_choices
    assert at.selectbox(key="new_event_source").options == [NYC, "All sources"]


def test_an_event_added_on_the_page_belongs_to_the_selected_source(events_page):
    at, path = events_page
    at.text_input(key="new_event_name").input("Subway strike")
    at.selectbox(key="new_event_kind").set_value("outage")
    at.date_input(key="new_event_start").set_value(date(2023, 2, 28))
    next(b for b in at.button if b.label == "Add event").click().run()
    assert not at.exception and not at.error
    at.button(key="add_holidays").click().run()  # public holidays, for nyc311 by default
    assert not at.exception and not at.error
    con = store.connect(path)
    try:
        table = events.all_events(con)
    finally:
        con.close()
    own = table[table["source"] == NYC]
    assert "Subway strike" in set(own["name"])
    assert (own["notes"] == "Public holiday (FR)").sum() > 0
    assert OWN[SAMPLE] <= names(table)  # the save left the sample's events alone


def test_the_impact_of_another_sources_event_is_not_measured(con):
    snow_day = impact.find_event(con, "Snow day", source=NYC)
    assert snow_day["starts_on"] == date(2023, 2, 28)
    with pytest.raises(impact.ImpactError, match="no event named 'Snow day' in the calendar of"):
        impact.find_event(con, "Snow day", source=SAMPLE)
    with pytest.raises(impact.ImpactError, match="no event with id"):
        impact.estimate(con, SAMPLE, snow_day["event_id"])
