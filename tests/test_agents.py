"""Figures per agent and per team, and how agents appear: against pandas, on real stores."""

from __future__ import annotations

import json
import random
import time
import zipfile
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import numpy as np
import pandas as pd
import pytest
import streamlit as st
from conftest import ROOT, SERVICENOW_LOG
from exports import import_, write_csv
from streamlit.testing.v1 import AppTest

from analytics import access, cli, metrics, people, sessions, store
from analytics.metrics.agents import FIGURES, UNASSIGNED
from analytics.settings import load_settings

HEADER = [
    "ticket_id", "created_at", "first_response_at", "resolved_at", "status", "team",
    "assignee", "priority", "reopens", "replies",
]  # fmt: skip
# Two spellings of one name: the store holds two agents, and so must the figures.
AGENTS = ["Ana Silva", "Bob Agent", "bob agent", "Chen Li", None]
REAL_NAMES = ("Ana Silva", "Bob Agent", "bob agent", "Chen Li")
TEAMS = ["Tier 1", "Tier 2", None]
KEY = b"a test key"
SOURCE = "hand"


def handmade_tickets(seed: int = 7, n: int = 300) -> pd.DataFrame:
    """Return tickets over four weeks of March 2024, with gaps in every optional field."""
    rnd = random.Random(seed)
    t0 = datetime(2024, 3, 1, tzinfo=UTC)
    rows = []
    for i in range(n):
        created = t0 + timedelta(minutes=rnd.randrange(28 * 24 * 60))
        answered = rnd.random() < 0.85
        resolved = rnd.random() < 0.7
        rows.append(
            {
                "ticket_id": f"T{i}",
                "created_at": created,
                "first_response_at": created + timedelta(minutes=rnd.randrange(1, 720))
                if answered
                else None,
                "resolved_at": created + timedelta(minutes=rnd.randrange(60, 12_000))
                if resolved
                else None,
                "status": "solved" if resolved else "open",
                "team": rnd.choice(TEAMS),
                "assignee": rnd.choice(AGENTS),
                "priority": rnd.choice(["high", "low"]),
                "reopens": None if rnd.random() < 0.2 else rnd.choice([0, 0, 0, 1, 2]),
                "replies": None if rnd.random() < 0.2 else rnd.choice([1, 1, 2, 3]),
                "csat_score": rnd.choice([None, 0.0, 25.0, 50.0, 75.0, 100.0])
                if resolved
                else None,
            }
        )
    return pd.DataFrame(rows)


@pytest.fixture(scope="module")
def hand(tmp_path_factory):
    """(database, tickets as written, settings): the export imported, its ratings stored."""
    folder = tmp_path_factory.mktemp("agents")
    tickets = handmade_tickets()
    cells = [
        ["" if v is None or v != v else (v.isoformat() if isinstance(v, datetime) else v)
         for v in row]
        for row in tickets[HEADER].astype(object).itertuples(index=False)
    ]  # fmt: skip
    path = write_csv(folder / "hand.csv", HEADER, cells)
    db = folder / "hand.sqlite"
    con = store.connect(db)
    import_(con, path, source=SOURCE, preset="generic", mapping={h: h for h in HEADER})
    rated = tickets.dropna(subset=["csat_score"])
    con.executemany(
        "insert into ratings values ($source, $ticket_id, $score, $raw, null, 1)",
        [
            {"source": SOURCE, "ticket_id": t, "score": s, "raw": str(s)}
            for t, s in zip(rated["ticket_id"], rated["csat_score"], strict=True)
        ],
    )
    con.close()
    settings = replace(load_settings(), sla_target_hours=6.0, sla_by_priority={"high": 4.0})
    return db, tickets, settings


def period(first: date, last: date, tz: str = "UTC") -> metrics.Selection:
    start, end = metrics.period(first, last, tz)
    return metrics.Selection(SOURCE, start, end, tz=tz)


def as_of_of(tickets: pd.DataFrame) -> pd.Timestamp:
    return max(tickets[c].max() for c in ("created_at", "first_response_at", "resolved_at"))


def oracle(tickets: pd.DataFrame, column: str, selection, settings) -> pd.DataFrame:
    """The figures of ``metrics.agents`` computed row by row in pandas, per ``column``."""
    t = tickets.copy()
    for c in ("created_at", "first_response_at", "resolved_at"):
        t[c] = pd.to_datetime(t[c], utc=True)
    start, end = pd.Timestamp(selection.start), pd.Timestamp(selection.end)
    as_of = as_of_of(t)
    t["name"] = t[column].fillna(UNASSIGNED)
    t["frt_s"] = (t["first_response_at"] - t["created_at"]).dt.total_seconds()
    t["res_s"] = (t["resolved_at"] - t["created_at"]).dt.total_seconds()
    hours = t["priority"].map(settings.sla_by_priority).fillna(settings.sla_target_hours)
    t["target"] = hours * 3600
    t["age_s"] = (as_of - t["created_at"]).dt.total_seconds()
    cohort = t[(t["created_at"] >= start) & (t["created_at"] < end)]
    at = min(end, as_of)
    open_ = t[(t["created_at"] <= at) & (t["resolved_at"].isna() | (t["resolved_at"] > at))]
    solved = t[(t["resolved_at"] >= start) & (t["resolved_at"] < end)]

    def pct(rows, known, good):
        n = rows[known].notna().sum()
        return 100.0 * good(rows).sum() / n if n else np.nan

    out = {}
    for name in set(cohort["name"]) | set(open_["name"]) | set(solved["name"]):
        c, s = cohort[cohort["name"] == name], solved[solved["name"] == name]
        evaluated = c["frt_s"].notna() | (
            c["first_response_at"].isna() & (c["age_s"] > c["target"])
        )
        out[name] = {
            "handled": len(c),
            "frt_median_h": c["frt_s"].median() / 3600,
            "frt_p90_h": c["frt_s"].quantile(0.9) / 3600,
            "resolution_median_h": c["res_s"].median() / 3600,
            "sla_pct": 100.0 * (c["frt_s"] <= c["target"]).sum() / evaluated.sum()
            if evaluated.sum()
            else np.nan,
            "backlog_open": int((open_["name"] == name).sum()),
            "resolved": len(s),
            "reopen_pct": pct(s, "reopens", lambda r: r["reopens"] >= 1),
            "one_touch_pct": pct(s, "replies", lambda r: r["replies"] == 1),
            "csat_pct": pct(s, "csat_score", lambda r: r["csat_score"] >= 75),
            "ratings": int(s["csat_score"].notna().sum()),
        }
    return pd.DataFrame.from_dict(out, orient="index")[list(FIGURES)].sort_index()


@pytest.mark.parametrize(
    ("by", "column", "first", "last"),
    [
        ("agent", "assignee", date(2024, 3, 8), date(2024, 3, 21)),
        ("team", "team", date(2024, 3, 8), date(2024, 3, 21)),
        ("agent", "assignee", date(2024, 2, 1), date(2024, 4, 30)),
    ],
)
def test_figures_per_agent_and_team_equal_pandas(hand, by, column, first, last):
    db, tickets, settings = hand
    selection = period(first, last)
    con = store.connect(db)
    got = metrics.agents(con, selection, by, settings=settings)
    con.close()
    expected = oracle(tickets, column, selection, settings)
    got = got.set_index(column).sort_index()[list(FIGURES)]
    pd.testing.assert_frame_equal(got, expected, check_dtype=False, check_names=False, rtol=1e-9)
    # the open backlog and the rates left the middle weeks' tickets behind
    assert got["backlog_open"].sum() > 0 and got["csat_pct"].notna().all()


def test_two_spellings_of_a_name_stay_two_agents(hand):
    db, tickets, settings = hand
    con = store.connect(db)
    got = metrics.agents(con, period(date(2024, 3, 1), date(2024, 3, 31)), settings=settings)
    con.close()
    handled = got.set_index("assignee")["handled"]
    for name in ("Bob Agent", "bob agent"):
        assert handled[name] == (tickets["assignee"] == name).sum()


def test_pseudonyms_are_stable_hide_the_names_and_keep_the_rows(hand):
    db, _, settings = hand
    selection = period(date(2024, 3, 1), date(2024, 3, 31))
    con = store.connect(db)
    names = metrics.agents(con, selection, "agent", people.NAMES, settings=settings)
    shown = metrics.agents(con, selection, "agent", people.PSEUDONYMS, KEY, settings=settings)
    again = metrics.agents(con, selection, "agent", people.PSEUDONYMS, KEY, settings=settings)
    other = metrics.agents(
        con, selection, "agent", people.PSEUDONYMS, b"another", settings=settings
    )
    workload = metrics.agents_workload(con, selection, "agent", people.PSEUDONYMS, KEY, settings)
    trend = metrics.agents_trend(con, selection, "agent", people.PSEUDONYMS, KEY, settings)
    con.close()
    pd.testing.assert_frame_equal(shown, again)
    assert list(shown["assignee"]) == [
        n if n == UNASSIGNED else people.pseudonym(n, KEY) for n in names["assignee"]
    ]
    pd.testing.assert_frame_equal(shown.drop(columns="assignee"), names.drop(columns="assignee"))
    assert set(shown["assignee"]) != set(other["assignee"])
    text = " ".join(frame.to_csv() for frame in (shown, workload, trend)).casefold()
    assert not any(name.casefold() in text for name in REAL_NAMES)
    assert UNASSIGNED in set(shown["assignee"])


def test_teams_only_refuses_per_agent_figures_and_shows_teams(hand):
    db, _, settings = hand
    selection = period(date(2024, 3, 1), date(2024, 3, 31))
    con = store.connect(db)
    for ask in (metrics.agents, metrics.agents_workload, metrics.agents_trend):
        with pytest.raises(people.PeopleHidden):
            ask(con, selection, "agent", people.TEAMS, settings=settings)
    teams = metrics.agents(con, selection, "team", people.TEAMS, settings=settings)
    con.close()
    assert list(teams.columns) == ["team", *FIGURES]
    assert set(teams["team"]) == {"Tier 1", "Tier 2", UNASSIGNED}


def test_workload_is_counted_in_the_selections_local_hours(hand):
    db, tickets, settings = hand
    tz = "America/New_York"  # DST starts on 10 March 2024
    selection = period(date(2024, 3, 4), date(2024, 3, 17), tz)
    con = store.connect(db)
    got = metrics.agents_workload(con, selection, "team", settings=settings)
    trend = metrics.agents_trend(con, selection, "team", settings=settings)
    con.close()
    t = tickets.assign(team=tickets["team"].fillna(UNASSIGNED))
    created = pd.to_datetime(t["created_at"], utc=True)
    t = t[(created >= selection.start) & (created < selection.end)]
    local = pd.to_datetime(t["created_at"], utc=True).dt.tz_convert(tz)
    expected = (
        t.assign(
            weekday=(local.dt.day_of_week + 1).astype("int64"), hour=local.dt.hour.astype("int64")
        )
        .groupby(["team", "weekday", "hour"])
        .size()
    )
    pd.testing.assert_series_equal(
        got.set_index(["team", "weekday", "hour"])["tickets"].sort_index(),
        expected.sort_index(),
        check_names=False,
        check_dtype=False,
    )
    all_slots = metrics.workload_of(got)
    assert len(all_slots) == 7 * 24 and all_slots["tickets"].sum() == len(t)
    weeks = local.dt.tz_localize(None).dt.normalize() - pd.to_timedelta(local.dt.day_of_week, "D")
    frt = (
        pd.to_datetime(t["first_response_at"], utc=True) - pd.to_datetime(t["created_at"], utc=True)
    ).dt.total_seconds() / 3600
    by_week = t.assign(week=weeks.astype("datetime64[us]"), frt=frt).groupby(["team", "week"])
    pd.testing.assert_frame_equal(
        trend.set_index(["team", "week"])[["handled", "frt_median_h"]].sort_index(),
        pd.DataFrame({"handled": by_week.size(), "frt_median_h": by_week["frt"].median()}),
        check_dtype=False,
        check_names=False,
    )


# --- the UCI ServiceNow log ---------------------------------------------------------------

servicenow = pytest.mark.skipif(not SERVICENOW_LOG.exists(), reason="../shared/realdata is absent")


@servicenow
def test_servicenow_groups_handled_and_reopen_rate_equal_the_raw_log(tmp_path):
    con = store.connect(tmp_path / "sn.sqlite")
    import_(con, SERVICENOW_LOG)
    source = con.execute("select source from tickets limit 1").fetchone()[0]
    stored = {r[0] for r in con.execute("select ticket_id from tickets").fetchall()}
    start, end = metrics.period(date(2015, 1, 1), date(2018, 12, 31), "UTC")
    got = metrics.agents(con, metrics.Selection(source, start, end), "team")
    con.close()

    with zipfile.ZipFile(SERVICENOW_LOG) as archive:
        name = next(n for n in archive.namelist() if n.endswith(".csv"))
        with archive.open(name) as handle:
            log = pd.read_csv(
                handle,
                usecols=["number", "sys_mod_count", "sys_updated_at", "assignment_group",
                         "resolved_at", "reopen_count"],
                dtype=str, na_values=["?"], keep_default_na=False,
            )  # fmt: skip
    # Each incident's latest update wins, as the importer takes it: the highest
    # sys_mod_count, then the latest update, then the last row of the file.
    log["row"] = range(len(log))
    log["mods"] = pd.to_numeric(log["sys_mod_count"])
    log["updated"] = pd.to_datetime(log["sys_updated_at"], format="%d/%m/%Y %H:%M")
    final = (
        log.sort_values(["mods", "updated", "row"], na_position="first").groupby("number").tail(1)
    )
    final = final[final["number"].isin(stored)]
    final = final.assign(team=final["assignment_group"].fillna(UNASSIGNED))
    handled = final.groupby("team").size()
    solved = final[final["resolved_at"].notna()]
    reopens = pd.to_numeric(solved["reopen_count"])
    reopen_pct = (
        100.0
        * (reopens >= 1).groupby(solved["team"]).sum()
        / reopens.notna().groupby(solved["team"]).sum()
    )
    got = got.set_index("team")
    assert len(stored) > 24_000 and len(got) > 50
    pd.testing.assert_series_equal(
        got["handled"].sort_index(), handled.sort_index(), check_names=False, check_dtype=False
    )
    pd.testing.assert_series_equal(
        got["reopen_pct"].dropna().sort_index(),
        reopen_pct.dropna().sort_index(),
        check_names=False,
    )


# --- the command line ---------------------------------------------------------------------


def cli_run(capsys, monkeypatch, tmp_path, db, show: str, *argv) -> tuple[int, str, str]:
    config = tmp_path / f"{show}.toml"
    config.write_text(f'[people]\nshow = "{show}"\n', encoding="utf-8")
    monkeypatch.setenv("BACKLOG_RADAR_CONFIG", str(config))
    monkeypatch.setenv("BACKLOG_RADAR_PSEUDONYM_KEY", KEY.decode())
    code = cli.main(
        ["agents", "--db", str(db), "--from", "2024-03-01", "--to", "2024-03-31", *argv]
    )
    out, err = capsys.readouterr()
    return code, out, err


def test_the_command_obeys_how_people_are_shown(hand, capsys, monkeypatch, tmp_path):
    db = hand[0]
    code, out, _ = cli_run(capsys, monkeypatch, tmp_path, db, "names", "--json")
    assert code == 0
    named = json.loads(out)
    assert {r["assignee"] for r in named["rows"]} == {*REAL_NAMES, UNASSIGNED}
    assert set(named["rows"][0]) == {"assignee", *FIGURES}

    code, out, _ = cli_run(capsys, monkeypatch, tmp_path, db, "pseudonyms", "--json")
    assert code == 0
    shown = json.loads(out)
    assert {r["assignee"] for r in shown["rows"]} == {
        *(people.pseudonym(n, KEY) for n in REAL_NAMES),
        UNASSIGNED,
    }
    assert [r["handled"] for r in shown["rows"]] == [r["handled"] for r in named["rows"]]
    code, out, _ = cli_run(capsys, monkeypatch, tmp_path, db, "pseudonyms")
    assert code == 0 and "handled" in out
    assert not any(name.casefold() in out.casefold() for name in REAL_NAMES)

    code, out, err = cli_run(capsys, monkeypatch, tmp_path, db, "teams", "--json")
    assert code == 2 and out == "" and len(err.strip().splitlines()) == 1
    assert "teams only" in err
    code, out, _ = cli_run(capsys, monkeypatch, tmp_path, db, "teams", "--by", "team", "--json")
    assert code == 0
    assert {r["team"] for r in json.loads(out)["rows"]} == {"Tier 1", "Tier 2", UNASSIGNED}
    assert not any(name.casefold() in out.casefold() for name in REAL_NAMES)


# --- the page -----------------------------------------------------------------------------

PASSWORD = "a-long-password"


@pytest.fixture
def app(hand, tmp_path, monkeypatch):
    """AppTest of app.py on the handmade store, with an admin and a viewer."""
    db = hand[0]
    users = tmp_path / "users.json"
    con = store.connect(tmp_path / "audit.sqlite")
    for name, role in (("alice", "admin"), ("vic", "viewer")):
        access.set_user(users, name, role, PASSWORD, cur=con, actor=access.SYSTEM)
    con.close()
    monkeypatch.setenv("BACKLOG_RADAR_DB", str(db))
    monkeypatch.setenv("BACKLOG_RADAR_USERS", str(users))
    st.cache_resource.clear()
    st.cache_data.clear()
    yield AppTest.from_file(str(ROOT / "app.py"), default_timeout=180)
    st.cache_resource.clear()


def signed_in_page(at: AppTest, name: str) -> AppTest:
    cfg = load_settings().access
    key = sessions.load_secret(cfg.secret_file, cfg.session_secret)
    at.session_state["auth_token"] = sessions.issue(key, name, time.time())
    at.run()
    at.switch_page("pages/agents.py").run()
    at.pills(key="period").set_value("All").run()
    assert not at.exception
    return at


def test_the_page_shows_an_admin_the_figures_per_agent(app, hand):
    at = signed_in_page(app, "alice")
    assert at.segmented_control(key="agents_by").options == ["Agents", "Teams"]
    table = at.dataframe[0].value
    # plain names: the unassigned read "Unassigned", the columns their human labels
    assert set(table["Agent"]) == {*REAL_NAMES, "Unassigned"}
    assert table["Tickets handled"].sum() == len(hand[1])
    at.segmented_control(key="agents_by").set_value("team").run()
    assert set(at.dataframe[0].value["Team"]) == {"Tier 1", "Tier 2", "Unassigned"}
    assert len(at.get("plotly_chart")) == 3


def test_the_page_shows_a_viewer_teams_only(app):
    at = signed_in_page(app, "vic")
    assert at.segmented_control(key="agents_by").options == ["Teams"]
    assert any("per team only" in c.value for c in at.caption)
    table = at.dataframe[0].value
    assert "Agent" not in table.columns
    assert set(table["Team"]) == {"Tier 1", "Tier 2", "Unassigned"}
    assert not any(name in str(at.main) for name in REAL_NAMES)


def test_the_page_speaks_french_with_french_labels_and_numbers(app, hand):
    app.query_params["lang"] = "fr"
    at = signed_in_page(app, "alice")
    assert at.title[0].value == "Agents et équipes"
    assert at.segmented_control(key="agents_by").options == ["Agents", "Équipes"]
    table = at.dataframe[0].value
    assert set(table["Agent"]) == {*REAL_NAMES, "Non attribué"}
    assert table["Tickets traités"].sum() == len(hand[1])
    assert [h.value for h in at.subheader] == ["Quand le travail arrive", "Semaine par semaine"]
    # the charts: French titles, weekdays and the locale's separators
    specs = [json.loads(chart.proto.spec) for chart in at.get("plotly_chart")]
    heatmap = specs[0]
    assert heatmap["layout"]["title"]["text"].startswith("Tickets créés par jour de la semaine")
    assert heatmap["data"][0]["y"][0] == "lun."
    assert heatmap["layout"]["separators"] == ",\u202f"
    titles = [spec["layout"]["title"]["text"] for spec in specs[1:]]
    assert titles == [
        "Tickets traités par semaine (par date de création)",
        "Première réponse médiane par semaine (par date de création)",
    ]
    assert specs[1]["layout"]["yaxis"]["tickformat"] == ",d"
