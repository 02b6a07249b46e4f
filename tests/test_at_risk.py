"""Tickets at risk of missing a target: hand-made exports whose answer is known by
construction, the business-hours clock, the filters, a pandas oracle on the simulated
desk, the command line, and the two pages that show them."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import exports
import numpy as np
import pandas as pd
import pytest
import streamlit as st
from apptest import APP
from reference_metrics import load_tickets
from streamlit.testing.v1 import AppTest

from analytics import cli, ingest, metrics, people, store
from analytics.metrics import risk
from analytics.settings import Schedule, Settings, load_settings

HEADER = ["Ticket", "Opened", "Replied", "Solved", "Group", "Channel", "Priority", "Agent"]
MAPPING = {
    "ticket_id": "Ticket",
    "created_at": "Opened",
    "first_response_at": "Replied",
    "resolved_at": "Solved",
    "team": "Group",
    "channel": "Channel",
    "priority": "Priority",
    "assignee": "Agent",
}
NOW = datetime(2024, 3, 12, 12, 0, tzinfo=UTC)
D, Y = "2024-03-12 ", "2024-03-11 "
# First response within 4 h; urgent within 1 h, low within 8 h. No resolution target.
FIRST_RESPONSE = Settings(sla_target_hours=4.0, sla_by_priority={"urgent": 1.0, "low": 8.0})
# The same, and resolution within 24 h (urgent: 8 h).
BOTH = replace(FIRST_RESPONSE, resolution_target_hours=24.0, resolution_by_priority={"urgent": 8.0})
ROWS = [
    # ticket, opened, replied, solved, team, channel, priority, agent; UTC
    ["a1", D + "09:00", "", "", "Tier 1", "email", "normal", "Ann Lee"],  # FR due 13:00
    ["a2", D + "07:30", "", "", "Tier 1", "email", "normal", "Bob Ray"],  # FR breached 11:30
    ["a3", D + "09:00", D + "09:30", "", "Tier 1", "email", "normal", "Ann Lee"],  # answered
    ["a4", D + "11:30", "", "", "Tier 2", "chat", "urgent", "Cy Dee"],  # FR due 12:30
    ["a5", D + "11:00", "", "", "Tier 1", "email", "normal", ""],  # FR due 15:00
    ["a6", D + "06:00", "", "", "Tier 2", "chat", "normal", "Cy Dee"],  # FR breached 10:00
    ["a7", D + "11:50", "", "", "Tier 1", "phone", "normal", "Bob Ray"],  # FR due 15:50
    # resolved at NOW: done, and the export's latest event, so NOW is its "now"
    ["a8", D + "10:00", "", D + "12:00", "Tier 1", "email", "normal", "Ann Lee"],
    ["a9", D + "04:00", D + "04:30", "", "Tier 1", "email", "urgent", "Ann Lee"],  # res. 12:00
    ["b1", Y + "13:00", Y + "13:10", "", "Tier 1", "email", "normal", "Bob Ray"],  # res. 13:00
    ["b2", D + "11:59", "", "", "Tier 2", "chat", "normal", "Dan Oz"],  # FR due 15:59
    ["b3", D + "10:00", "", "", "Tier 1", "email", "low", "Ann Lee"],  # FR due 18:00
    # FR breached yesterday at 17:30; resolution due 13:30 today
    ["b4", Y + "13:30", "", "", "Tier 1", "email", "normal", "Bob Ray"],
]


def import_rows(con, tmp_path: Path, rows: list[list], source: str = "desk", **options):
    path = exports.write_csv(tmp_path / f"{source}.csv", HEADER, rows)
    exports.import_(con, path, preset="generic", mapping=MAPPING, source=source, **options)


def selection(source: str = "desk", tz: str = "UTC", **fields) -> metrics.Selection:
    # A period far from NOW: the period plays no part in what is at risk.
    start = datetime(2020, 1, 1, tzinfo=UTC)
    return metrics.Selection(source, start, start + timedelta(days=7), tz=tz, **fields)


@pytest.fixture(scope="module")
def desk(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("risk")
    con = store.connect(tmp / "s.sqlite")
    import_rows(con, tmp, ROWS)
    yield con
    con.close()


def test_now_is_the_exports_latest_event(desk):
    assert risk.tickets_at_risk(desk, selection(), 4, FIRST_RESPONSE).now == NOW


@pytest.mark.parametrize(
    ("settings", "within", "at_risk", "breached"),
    [
        # unanswered tickets only; low's 8 h target puts b3 beyond 4 h, not beyond 8 h
        (FIRST_RESPONSE, 4, ["a4", "a1", "a5", "a7", "b2"], {"a2", "a6"} | {"b4"}),
        (FIRST_RESPONSE, 1, ["a4", "a1"], {"a2", "a6", "b4"}),
        (FIRST_RESPONSE, 8, ["a4", "a1", "a5", "a7", "b2", "b3"], {"a2", "a6", "b4"}),
        # resolution watched too: answered tickets (b1) count, a9 is due exactly now
        # (breached), b4 is late on first response and still in time for resolution
        (BOTH, 4, ["a4", "a1", "b1", "b4", "a5", "a7", "b2"], {"a2", "a6", "a9", "b4"}),
    ],
)
def test_the_tickets_at_risk_are_those_due_within_the_horizon(
    desk, settings, within, at_risk, breached
):
    found = risk.tickets_at_risk(desk, selection(), within, settings)
    assert list(found.tickets["ticket_id"]) == at_risk
    assert found.count == len(at_risk)
    assert found.breached == len(breached)
    by_team = found.by_team.set_index("team")
    assert by_team["at_risk"].sum() == len(at_risk)
    assert by_team["breached"].sum() == len(breached)


def test_each_ticket_shows_its_soonest_clock_its_due_time_and_the_hours_left(desk):
    found = risk.tickets_at_risk(desk, selection(tz="Europe/Paris"), 4, BOTH)
    rows = found.tickets.set_index("ticket_id")
    assert rows.loc["a1", "clock"] == "first_response"  # before its resolution, tomorrow
    assert rows.loc["b1", "clock"] == rows.loc["b4", "clock"] == "resolution"
    assert rows.loc["a4", "due_at"] == pd.Timestamp("2024-03-12 13:30", tz="Europe/Paris")
    assert str(rows["due_at"].dt.tz) == "Europe/Paris"
    assert rows.loc["b4", "hours_left"] == pytest.approx(1.5)
    assert rows.loc["b2", "hours_left"] == pytest.approx(3 + 59 / 60)
    assert list(found.tickets.columns) == list(risk.TICKET_COLUMNS)


def test_counts_by_team_put_the_most_at_risk_first(desk):
    found = risk.tickets_at_risk(desk, selection(), 4, FIRST_RESPONSE)
    assert found.by_team.to_dict("records") == [
        {"team": "Tier 1", "at_risk": 3, "breached": 2},
        {"team": "Tier 2", "at_risk": 2, "breached": 1},
    ]


@pytest.mark.parametrize(
    ("filters", "at_risk", "breached"),
    [
        ({"teams": ("Tier 2",)}, ["a4", "b2"], 1),
        ({"channels": ("email",)}, ["a1", "a5"], 2),
        ({"priorities": ("urgent",)}, ["a4"], 0),
    ],
)
def test_the_sidebar_filters_apply(desk, filters, at_risk, breached):
    found = risk.tickets_at_risk(desk, selection(**filters), 4, FIRST_RESPONSE)
    assert list(found.tickets["ticket_id"]) == at_risk
    assert found.breached == breached


@pytest.mark.parametrize(
    ("now", "at_risk", "breached"),
    [
        # a3 was answered at 09:30: at 09:20 its clock still ran; a1 and a3 tie, by id
        ("09:20", ["a6", "a2", "a1", "a3"], 1),
        # a8 was resolved at 12:00: at 11:00 it was open; a5 is due at the horizon's end
        ("11:00", ["a2", "a1", "a8", "a5"], 2),
    ],
)
def test_an_earlier_now_sees_answers_and_resolutions_not_yet_given(desk, now, at_risk, breached):
    moment = datetime.fromisoformat(f"2024-03-12T{now}+00:00")
    found = risk.tickets_at_risk(desk, selection(), 4, FIRST_RESPONSE, now=moment)
    assert list(found.tickets["ticket_id"]) == at_risk
    assert found.breached == breached
    assert found.now == moment


def test_assignees_appear_as_the_callers_view_allows(desk):
    key = b"test key"
    names = risk.tickets_at_risk(desk, selection(), 1, FIRST_RESPONSE)
    hidden = risk.tickets_at_risk(desk, selection(), 1, FIRST_RESPONSE, view=people.TEAMS)
    masked = risk.tickets_at_risk(
        desk, selection(), 1, FIRST_RESPONSE, view=people.PSEUDONYMS, key=key
    )
    assert list(names.tickets["assignee"]) == ["Cy Dee", "Ann Lee"]
    assert "assignee" not in hidden.tickets.columns
    assert list(masked.tickets["assignee"]) == [
        people.pseudonym("Cy Dee", key),
        people.pseudonym("Ann Lee", key),
    ]


# --- business hours ------------------------------------------------------------------------

# 09:00-18:00 Monday to Friday in Paris, no holidays.
NINE_TO_SIX = Schedule(
    "default", "Europe/Paris", tuple(((540, 1080),) if d < 5 else () for d in range(7))
)
BUSINESS = replace(FIRST_RESPONSE, schedules={"default": NINE_TO_SIX})
PARIS_ROWS = [
    # Friday 8 March 2024, 17:00 in Paris: one business hour that day, three on Monday
    ["f1", "2024-03-08 17:00", "", "", "Tier 1", "email", "normal", "Ann Lee"],
    # Thursday 10:00: due Thursday 14:00
    ["f2", "2024-03-07 10:00", "", "", "Tier 1", "email", "normal", "Bob Ray"],
    # Saturday: its clock starts on Monday 09:00, due 13:00
    ["f3", "2024-03-09 11:00", "", "", "Tier 2", "chat", "normal", "Cy Dee"],
    ["f4", "2024-03-11 19:00", "", "2024-03-11 20:00", "Tier 1", "email", "normal", ""],
]


@pytest.fixture(scope="module")
def paris(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("risk-paris")
    con = store.connect(tmp / "s.sqlite")
    import_rows(con, tmp, PARIS_ROWS, source="paris", tz="Europe/Paris")
    yield con
    con.close()


def paris_time(text: str) -> pd.Timestamp:
    return pd.Timestamp(text, tz="Europe/Paris")


@pytest.mark.parametrize(
    ("now", "within", "at_risk", "hours_left", "breached"),
    [
        # Friday 17:30: 3.5 business hours left, the weekend in between counts for nothing
        ("2024-03-08 17:30", 4, ["f1"], [3.5], 1),
        ("2024-03-08 17:30", 3, [], [], 1),
        # Saturday noon: still 3 hours left; f3 exists and its clock has not started
        ("2024-03-09 12:00", 3, ["f1"], [3.0], 1),
        ("2024-03-09 12:00", 4, ["f1", "f3"], [3.0, 4.0], 1),
        # Monday 11:00
        ("2024-03-11 11:00", 1.5, ["f1"], [1.0], 1),
        ("2024-03-11 11:00", 4, ["f1", "f3"], [1.0, 2.0], 1),
        # Monday 12:00: f1 is due at this very instant, so breached
        ("2024-03-11 12:00", 4, ["f3"], [1.0], 2),
    ],
)
def test_business_hours_clocks_run_only_in_the_schedule(
    paris, now, within, at_risk, hours_left, breached
):
    sel = selection("paris", "Europe/Paris", business_hours=True)
    moment = paris_time(now).to_pydatetime()
    found = risk.tickets_at_risk(paris, sel, within, BUSINESS, now=moment)
    assert list(found.tickets["ticket_id"]) == at_risk
    assert list(found.tickets["hours_left"]) == pytest.approx(hours_left)
    assert found.breached == breached


def test_a_friday_evening_ticket_with_a_four_hour_target_is_due_monday_noon(paris):
    sel = selection("paris", "Europe/Paris", business_hours=True)
    now = paris_time("2024-03-08 17:30").to_pydatetime()
    found = risk.tickets_at_risk(paris, sel, 4, BUSINESS, now=now)
    assert found.tickets["due_at"].tolist() == [paris_time("2024-03-11 12:00")]
    # In calendar hours the same ticket was due on Friday at 21:00.
    calendar = risk.tickets_at_risk(paris, replace(sel, business_hours=False), 4, BUSINESS, now=now)
    assert calendar.tickets["due_at"].tolist() == [paris_time("2024-03-08 21:00")]


def test_a_long_horizon_in_business_hours_reaches_past_the_export(paris):
    # 24 business hours from Friday 17:30 reach Wednesday: f3's due time is still found.
    sel = selection("paris", "Europe/Paris", business_hours=True)
    now = paris_time("2024-03-09 12:00").to_pydatetime()
    found = risk.tickets_at_risk(paris, sel, 24, BUSINESS, now=now)
    rows = found.tickets.set_index("ticket_id")
    assert rows.loc["f3", "due_at"] == paris_time("2024-03-11 13:00")


# --- the oracle: plain pandas on the simulated desk ----------------------------------------


def reference_at_risk(tickets: pd.DataFrame, now: pd.Timestamp, within_h: float, settings):
    """Return (ticket ids at risk, soonest first, with hours left; breached ids), in calendar hours."""
    created = tickets["created_at"]
    resolved, closed = tickets["resolved_at"], tickets["closed_at"]
    done = resolved.where(resolved.notna(), closed)
    open_ = tickets[(created <= now) & (done.isna() | (done > now))]
    clocks = []
    unanswered = open_[open_["first_response_at"].isna() | (open_["first_response_at"] > now)]
    fr = unanswered["priority"].map(settings.sla_by_priority).fillna(settings.sla_target_hours)
    clocks.append(
        pd.DataFrame(
            {
                "ticket_id": unanswered["ticket_id"],
                "due": unanswered["created_at"] + pd.to_timedelta(fr, unit="h"),
            }
        )
    )
    res = (
        open_["priority"]
        .map(settings.resolution_by_priority)
        .fillna(settings.resolution_target_hours)
    )
    clocks.append(
        pd.DataFrame(
            {
                "ticket_id": open_["ticket_id"],
                "due": open_["created_at"] + pd.to_timedelta(res, unit="h"),
            }
        )
    )
    every = pd.concat(clocks)
    left_h = (every["due"] - now) / pd.Timedelta(hours=1)
    soon = every.assign(left=left_h)[(left_h > 0) & (left_h <= within_h)]
    soonest = soon.sort_values(["left", "ticket_id"]).drop_duplicates("ticket_id")
    breached = set(every.loc[left_h <= 0, "ticket_id"])
    return soonest.set_index("ticket_id")["left"], breached


@pytest.fixture(scope="module")
def sample_store(tmp_path_factory, sample_desk):
    tmp = tmp_path_factory.mktemp("risk-sample")
    con = store.connect(tmp / "s.sqlite")
    desk_files = sample_desk(start=datetime(2024, 1, 1).date(), years=0.5, scale=0.3, seed=5)
    ingest.import_file(con, desk_files.tickets_csv, source="sample", settings=load_settings())
    yield con
    con.close()


@pytest.mark.parametrize("within", [4, 24])
def test_calendar_hours_agree_with_a_pandas_oracle_on_the_simulated_desk(sample_store, within):
    settings = replace(
        load_settings(),
        sla_target_hours=8.0,
        sla_by_priority={"urgent": 2.0, "high": 4.0},
        resolution_target_hours=72.0,
        resolution_by_priority={"urgent": 24.0},
    )
    tickets = load_tickets(sample_store, "sample")
    found = risk.tickets_at_risk(sample_store, selection("sample"), within, settings)
    expected, breached = reference_at_risk(tickets, pd.Timestamp(found.now), within, settings)
    assert len(expected) > 0 and len(breached) > 0  # the desk has both at its last event
    assert list(found.tickets["ticket_id"]) == list(expected.index)
    np.testing.assert_allclose(found.tickets["hours_left"], expected.to_numpy(), atol=1e-6)
    assert found.breached == len(breached)


# --- the command line and the pages --------------------------------------------------------


def test_the_command_prints_the_tickets_at_risk_as_json(tmp_path, monkeypatch, capsys):
    config = tmp_path / "radar.toml"
    config.write_text(
        "[sla]\ntarget_hours = 4\nby_priority = { urgent = 1, low = 8 }\n"
        '[people]\nshow = "pseudonyms"\n',
        encoding="utf-8",
    )
    monkeypatch.setenv("BACKLOG_RADAR_CONFIG", str(config))
    monkeypatch.setenv("BACKLOG_RADAR_PSEUDONYM_KEY", "cli key")
    db = tmp_path / "s.sqlite"
    con = store.connect(db)
    import_rows(con, tmp_path, ROWS)
    con.close()
    code = cli.main(["at-risk", "--db", str(db), "--within", "1", "--json"])
    out, err = capsys.readouterr()
    assert code == 0, err
    rows = json.loads(out)
    assert [row["ticket_id"] for row in rows] == ["a4", "a1"]
    assert rows[0]["assignee"] == people.pseudonym("Cy Dee", b"cli key")
    assert rows[0]["clock"] == "first_response"
    assert datetime.fromisoformat(rows[0]["due_at"]) == datetime(2024, 3, 12, 12, 30, tzinfo=UTC)
    assert rows[1]["hours_left"] == pytest.approx(1.0)

    code = cli.main(
        ["at-risk", "--db", str(db), "--within", "4", "--now", "2024-03-12T10:20:00+01:00"]
    )
    out, err = capsys.readouterr()
    assert code == 0, err
    assert out.startswith("4 tickets at risk in the next 4 hours as of 2024-03-12T09:20:00+00:00")


@pytest.fixture
def app(tmp_path, monkeypatch):
    """Return the app on a store holding ROWS, with FIRST_RESPONSE's targets and pseudonyms."""
    config = tmp_path / "radar.toml"
    config.write_text(
        "[sla]\ntarget_hours = 4\nby_priority = { urgent = 1, low = 8 }\n"
        '[people]\nshow = "pseudonyms"\n',
        encoding="utf-8",
    )
    db = tmp_path / "s.sqlite"
    con = store.connect(db)
    import_rows(con, tmp_path, ROWS)
    con.close()
    monkeypatch.setenv("BACKLOG_RADAR_CONFIG", str(config))
    monkeypatch.setenv("BACKLOG_RADAR_PSEUDONYM_KEY", "page key")
    monkeypatch.setenv("BACKLOG_RADAR_DB", str(db))
    monkeypatch.setenv("BACKLOG_RADAR_USERS", str(tmp_path / "no-users.json"))
    st.cache_resource.clear()
    st.cache_data.clear()
    at = AppTest.from_file(APP, default_timeout=120)
    yield at
    st.cache_resource.clear()


def test_the_overview_counts_the_tickets_at_risk_in_the_next_four_hours(app):
    app.run()
    at = app.switch_page("pages/overview.py").run()
    assert not at.exception
    lines = [m.value for m in at.markdown if "tickets at risk" in m.value]
    assert lines == [
        ":material/alarm: **5 tickets at risk** of missing a target in the next 4\u00a0h "
        "(calendar hours)"
    ]


def test_the_response_times_page_lists_the_tickets_at_risk_soonest_first(app):
    app.run()
    at = app.switch_page("pages/response_times.py").run()
    assert not at.exception
    assert "Tickets at risk" in [h.value for h in at.subheader]
    line = next(m.value for m in at.markdown if "tickets at risk" in m.value)
    assert line.startswith("**5 tickets at risk** of missing a target in the next 4 calendar")
    assert "**3** already past one" in line
    tickets = next(d.value for d in at.dataframe if "Ticket" in d.value.columns)
    assert list(tickets["Ticket"]) == ["a4", "a1", "a5", "a7", "b2"]
    # [people] show = "pseudonyms": no name reaches the page
    assert tickets["Assignee"].iloc[0] == people.pseudonym("Cy Dee", b"page key")
    assert not set(tickets["Assignee"]) & {"Ann Lee", "Bob Ray", "Cy Dee", "Dan Oz"}
    # plain names: the clock in words, due times readable in the display zone
    assert set(tickets["Clock"]) <= {"First response", "Resolution"}
    assert tickets["Due"].str.fullmatch(r"\d{1,2} [A-Z][a-z]{2} \d{4}, \d{2}:\d{2}").all()

    at.button_group(key="risk_within").set_value(1).run()
    tickets = next(d.value for d in at.dataframe if "Ticket" in d.value.columns)
    assert list(tickets["Ticket"]) == ["a4", "a1"]


def test_the_at_risk_section_speaks_french(app):
    app.query_params["lang"] = "fr"
    app.run()
    at = app.switch_page("pages/response_times.py").run()
    assert not at.exception
    assert "Tickets à risque" in [h.value for h in at.subheader]
    line = next(m.value for m in at.markdown if "tickets à risque" in m.value)
    assert line.startswith(
        "**5 tickets à risque** de manquer un objectif dans les 4 heures calendaires à venir"
    )
    assert "**3** en ont déjà dépassé un." in line
    assert at.button_group(key="risk_within").options == [
        "1\u00a0h",
        "4\u00a0h",
        "8\u00a0h",
        "24\u00a0h",
    ]
    tickets = next(d.value for d in at.dataframe if "Ticket" in d.value.columns)
    assert {"Délai suivi", "Échéance", "Heures restantes", "Agent assigné"} <= set(tickets.columns)
    assert set(tickets["Délai suivi"]) <= {"Première réponse", "Résolution"}
    # French dates: "12 mars 2024, 11:30"
    assert tickets["Échéance"].str.contains(" mars 2024, ").all()
    by_team = next(d.value for d in at.dataframe if "À risque" in d.value.columns)
    assert by_team["À risque"].sum() == 5
