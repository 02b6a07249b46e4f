"""The sidebar's periods end at the last complete day, open on the dense weeks,
every page says how fresh the data is, and the language follows the user."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import exports
import pytest
from apptest import app_on
from conftest import ROOT

from analytics import metrics, store
from analytics.settings import load_settings

APP = str(ROOT / "app.py")
HEADER = ["Id", "Created at", "Via", "Solved at", "First reply time in minutes", "Status"]
# Twelve busy weeks from Monday 6 January 2025, then one ticket a week for ten weeks;
# the export was taken on Tuesday 10 June 2025 at 10:00 UTC (12:00 in Paris).
BUSY_START = datetime(2025, 1, 6, 9, tzinfo=UTC)
EXPORTED = datetime(2025, 6, 10, 10, tzinfo=UTC)


def _rows(busy_weeks: int, thin_weeks: int, start: datetime = BUSY_START) -> list[list[str]]:
    rows, number = [], 0
    for week in range(busy_weeks + thin_weeks):
        for ticket in range(40 if week < busy_weeks else 1):
            number += 1
            created = start + timedelta(weeks=week, hours=ticket * 2)
            solved = created + timedelta(hours=5)
            rows.append([f"T-{number}", f"{created:%Y-%m-%d %H:%M}", "web",
                         f"{solved:%Y-%m-%d %H:%M}", "60", "solved"])  # fmt: skip
    last = EXPORTED - timedelta(hours=3)
    rows.append([f"T-{number + 1}", f"{last:%Y-%m-%d %H:%M}", "web",
                 f"{EXPORTED:%Y-%m-%d %H:%M}", "30", "solved"])  # fmt: skip
    return rows


@pytest.fixture(scope="module")
def thin_tail_store(tmp_path_factory):
    """A store whose source "desk" has twelve busy weeks and then a trickle."""
    folder = tmp_path_factory.mktemp("periods")
    path = exports.write_csv(folder / "desk.csv", HEADER, _rows(12, 10))
    db = folder / "periods.sqlite"
    con = store.connect(db)
    exports.import_(con, path, source="desk")
    con.close()
    return db


@pytest.fixture
def app(thin_tail_store, tmp_path, monkeypatch):
    db = exports.copy_store(thin_tail_store, tmp_path / "periods.sqlite")
    yield from app_on(db, tmp_path, monkeypatch)


def test_the_day_of_the_export_counts_only_when_it_was_taken_in_its_last_hour():
    assert metrics.last_complete_day(EXPORTED, "Europe/Paris") == date(2025, 6, 9)
    late = datetime(2025, 6, 10, 21, 30, tzinfo=UTC)  # 23:30 in Paris
    assert metrics.last_complete_day(late, "Europe/Paris") == date(2025, 6, 10)
    assert metrics.last_complete_day(late, "UTC") == date(2025, 6, 9)


def test_the_dense_span_ends_where_the_trickle_begins(thin_tail_store):
    con = store.connect(thin_tail_store)
    try:
        first, last = metrics.dense_span(con, "desk", "UTC")
    finally:
        con.close()
    assert (first, last) == (date(2025, 1, 6), date(2025, 3, 30))


def test_a_source_busy_to_its_end_is_dense_to_its_end(tmp_path):
    con = store.connect()
    rows = _rows(8, 0, start=datetime(2025, 4, 14, 9, tzinfo=UTC))
    exports.import_(con, exports.write_csv(tmp_path / "busy.csv", HEADER, rows), source="busy")
    # Eight busy weeks up to the week before the export's (whose day is partial).
    assert metrics.dense_span(con, "busy", "UTC") == (date(2025, 4, 14), date(2025, 6, 8))
    assert metrics.dense_span(con, "nothing", "UTC") is None


def test_a_thin_tail_opens_on_the_ninety_days_before_it(app):
    at = app.run()
    assert not at.exception
    assert at.pills(key="period").value == "Custom"
    # Ninety days back from the trickle, clipped to the source's first day.
    assert at.date_input(key="custom_range").value == (date(2025, 1, 6), date(2025, 3, 30))
    assert any("hold only a trickle" in c.value for c in at.sidebar.caption)


def test_a_relative_period_ends_at_the_last_complete_day(app):
    at = app.run()
    at.pills(key="period").set_value("Last 7 days").run()
    assert load_settings().display_tz == "Europe/Paris"
    assert at.pills(key="period").help == "Up to the last complete day, Monday 9 June 2025."
    # 3 to 9 June in Paris hold no ticket; 4 to 10 June would hold the export day's.
    assert at.metric[0].label == "Tickets created" and at.metric[0].value == "0"


def test_every_page_says_how_fresh_its_data_is(app):
    at = app.run()
    lines = [c.value for c in at.caption if "Data up to" in c.value]
    assert lines and lines[0].startswith(
        ":material/update: Data up to Tuesday 10 June 2025, 12:00 (Europe/Paris), "
    )
    assert "ago; imported" in lines[0]
    at.switch_page("pages/backlog.py").run()
    assert any("Data up to Tuesday 10 June 2025" in c.value for c in at.caption)


def test_lang_in_the_url_speaks_french_and_the_switch_speaks_english_again(app):
    app.query_params["lang"] = "fr"
    at = app.run()
    assert not at.exception
    assert at.pills(key="period").label == "Période"
    line = next(c.value for c in at.caption if "Données jusqu" in c.value)
    assert "mardi 10 juin 2025, 12:00 (Europe/Paris)" in line
    at.segmented_control(key="lang").set_value("en").run()
    assert at.pills(key="period").label == "Period"
    assert at.query_params["lang"] in ("en", ["en"])
