"""The events calendar: editing with validation, CSV round trips, public holidays."""

from datetime import date

import pandas as pd
import pytest

from analytics import events, store


@pytest.fixture
def con():
    connection = store.connect(":memory:")
    yield connection
    connection.close()


def row(**values) -> dict:
    base = {
        "event_id": None,
        "name": "Spring campaign",
        "kind": "marketing campaign",
        "region": "all",
        "starts_on": date(2024, 3, 4),
        "ends_on": date(2024, 3, 17),
        "notes": None,
    }
    return {**base, **values}


def test_saving_an_edited_table_adds_changes_and_deletes_in_one_go(con):
    events.save_events(con, pd.DataFrame([row(), row(name="Outage", kind="outage", ends_on=None)]))
    table = events.all_events(con)
    table.loc[table["name"] == "Outage", "notes"] = "Login down for 3 hours"
    table = table[table["name"] != "Spring campaign"]
    table = pd.concat([table, pd.DataFrame([row(name="Launch", kind="product launch")])])
    counts = events.save_events(con, table)
    assert counts == {"added": 1, "changed": 1, "deleted": 1}
    after = events.all_events(con).set_index("name")
    assert sorted(after.index) == ["Launch", "Outage"]
    assert after.loc["Outage", "notes"] == "Login down for 3 hours"


def test_saving_bumps_the_data_version_so_caches_refresh(con):
    before = store.data_version(con)
    events.save_events(con, pd.DataFrame([row()]))
    assert store.data_version(con) == before + 1


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        ({"name": ""}, "row 2: an event needs a name"),
        ({"kind": "party"}, "row 2: kind 'party' is not one of"),
        ({"starts_on": None}, "row 2: an event needs a start date"),
        ({"starts_on": "2024-13-01"}, "row 2: dates must be YYYY-MM-DD"),
        ({"ends_on": date(2024, 3, 1)}, "row 2: the event ends before it starts"),
        ({"name": "Outage", "kind": "outage"}, "row 2: 'Outage' (all, 2024-03-04) is there twice"),
    ],
)
def test_an_invalid_row_is_named_and_nothing_is_written(con, bad, message):
    table = pd.DataFrame([row(name="Outage", kind="outage"), row(**bad)])
    with pytest.raises(events.EventsError) as caught:
        events.save_events(con, table)
    assert str(caught.value).startswith(message)
    assert events.all_events(con).empty


def test_empty_rows_from_the_editor_are_skipped(con):
    blank = dict.fromkeys(events.EDITOR_COLUMNS)
    counts = events.save_events(con, pd.DataFrame([row(), blank]))
    assert counts["added"] == 1


def test_a_region_defaults_to_all_and_a_kind_is_case_insensitive(con):
    events.save_events(con, pd.DataFrame([row(region="", kind="Outage")]))
    saved = events.all_events(con).iloc[0]
    assert (saved["region"], saved["kind"]) == ("all", "outage")


def test_export_then_import_gives_back_the_same_calendar(con, tmp_path):
    table = pd.DataFrame(
        [
            row(notes='Quoted "notes", with a comma'),
            row(name="Nouvelle interface : Région Île-de-France", region="France", ends_on=None),
        ]
    )
    events.save_events(con, table)
    path = tmp_path / "events.csv"
    path.write_text(events.export_events_csv(con), encoding="utf-8")
    other = store.connect(":memory:")
    try:
        assert events.import_events_csv(other, path) == 2
        columns = ["name", "kind", "region", "source", "starts_on", "ends_on", "notes"]
        pd.testing.assert_frame_equal(
            events.all_events(other)[columns], events.all_events(con)[columns]
        )
    finally:
        other.close()


def test_export_header_is_the_import_format(con):
    assert events.export_events_csv(con) == "name,kind,region,source,start,end,notes\n"


def test_public_holidays_are_added_once_for_a_region(con):
    count = events.add_public_holidays(con, "FR", "France", [2024])
    assert count == 11
    assert events.add_public_holidays(con, "FR", "France", [2024]) == 11
    table = events.all_events(con)
    assert len(table) == 11
    assert set(table["kind"]) == {"holiday"} and set(table["region"]) == {"France"}
    bastille = table[pd.to_datetime(table["starts_on"]) == "2024-07-14"]
    assert bastille["name"].item() == "National Day"


def test_holidays_of_two_countries_live_side_by_side(con):
    events.add_public_holidays(con, "FR", "France", [2024])
    events.add_public_holidays(con, "SG", "Asia", [2024])
    table = events.all_events(con)
    in_range = events.events_in_range(
        con, date(2024, 5, 1), date(2024, 5, 1), ("Asia",), source=None
    )
    assert set(table["region"]) == {"France", "Asia"}
    assert list(in_range["region"]) == ["Asia"]  # Labour Day in Singapore, not France's


def test_an_unknown_country_is_explained(con):
    with pytest.raises(events.EventsError, match="knows no country 'XX'"):
        events.add_public_holidays(con, "XX", "all", [2024])


@pytest.mark.parametrize("page", ["pages/events.py", "pages/seasonality.py"])
def test_the_pages_render_on_an_empty_store(tmp_path, monkeypatch, page):
    import streamlit as st
    from conftest import ROOT
    from streamlit.testing.v1 import AppTest

    store.connect(tmp_path / "empty.sqlite").close()
    monkeypatch.setenv("BACKLOG_RADAR_DB", str(tmp_path / "empty.sqlite"))
    st.cache_resource.clear()
    st.cache_data.clear()
    try:
        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run()
        at.switch_page(page).run()
        assert not at.exception
        assert not at.error
        assert at.title[0].value in ("Events", "Seasonality")
    finally:
        st.cache_resource.clear()
