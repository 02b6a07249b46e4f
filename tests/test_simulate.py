"""The built-in sample tells the seed's story, checked on the written Zendesk export.

One module-scoped run (three years at half the default volume) feeds every
statistical test; the thresholds are ones flat random data could not meet.
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path

import duckdb
import pytest

from analytics import cli
from analytics.sample import (
    REGIONS,
    TIMEZONES,
    ZENDESK_COLUMNS,
    Event,
    SampleFiles,
    SimConfig,
    SimInputError,
    TeamStaffing,
    default_staffing,
    simulate,
    story_events,
    write_sample,
)

START = date(2023, 1, 2)
SCALE = 0.5
TZ_CASE = " ".join(f"when '{r}' then '{tz}'" for r, tz in TIMEZONES.items())


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> SampleFiles:
    return write_sample(tmp_path_factory.mktemp("sample"), start=START, years=3.0, scale=SCALE)


@pytest.fixture(scope="module")
def db(sample: SampleFiles) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB with the export as ``t`` (local times added) and ``events``."""
    con = duckdb.connect()
    con.execute(
        f"""
        create table raw as select * from read_csv('{sample.tickets_csv}', all_varchar = true);
        create table t as
        with parsed as (
            select
                cast("Id" as bigint) as id,
                "Region [list]" as region,
                "Category [list]" as category,
                "Via" as via,
                "Status" as status,
                strptime("Created at", '%Y-%m-%d %H:%M:%S %z') as created,
                strptime("Solved at", '%Y-%m-%d %H:%M:%S %z') as solved,
                cast("First reply time in minutes" as integer) as frt,
                cast("First reply time in minutes within business hours" as integer) as frt_bh,
                cast("Full resolution time in minutes" as integer) as full_res,
                cast("Full resolution time in minutes within business hours" as integer)
                    as full_res_bh
            from raw
        )
        select
            *,
            timezone(case region {TZ_CASE} end, created) as local_created,
            frt / 60.0 as frt_hours
        from parsed;
        create table events as
        select * from read_csv('{sample.events_csv}', all_varchar = true);
        """
    )
    return con


def one(con: duckdb.DuckDBPyConnection, sql: str, params: list | dict | None = None):
    return con.execute(sql, params or []).fetchall()[0][0]


def event(name: str) -> tuple[date, date]:
    e = next(e for e in story_events(START, 3.0) if e.name == name)
    return e.start, e.end


def test_export_has_the_zendesk_header_and_formats(sample: SampleFiles) -> None:
    with open(sample.tickets_csv, encoding="utf-8") as f:
        header = f.readline().rstrip("\n")
        row = f.readline()
    assert header == ",".join(f'"{c}"' if "," in c else c for c in ZENDESK_COLUMNS), (
        "header must match a Zendesk export byte for byte"
    )
    assert re.search(r",\d{4}-\d\d-\d\d \d\d:\d\d:\d\d [+-]\d{4},", row)
    assert sample.events_csv.read_text().splitlines()[0] == (
        "name,kind,region,start,end,peak_multiplier,decay_weeks,notes"
    )


def test_volume_is_a_realistic_desk(db: duckdb.DuckDBPyConnection) -> None:
    per_day = one(db, "select count(*) / count(distinct cast(created as date)) from t")
    assert 250 * SCALE < per_day < 400 * SCALE


def test_ids_increase_with_creation_time(db: duckdb.DuckDBPyConnection) -> None:
    out_of_order = one(
        db,
        "select count(*) from (select created, lag(created) over (order by id) as prev from t) "
        "where created < prev",
    )
    assert out_of_order == 0


def test_every_reply_and_resolution_comes_after_creation(db: duckdb.DuckDBPyConnection) -> None:
    bad = one(
        db,
        """
        select count(*) from t
        where frt < 1 or solved <= created or full_res < frt
           or frt_bh > frt or full_res_bh > full_res or frt_bh < 0
           or (status in ('solved', 'closed') and solved is null)
           or (status = 'new' and frt is not null)
        """,
    )
    assert bad == 0
    assert one(db, "select count(*) from t where frt is not null") > 0.99 * one(
        db, "select count(*) from t"
    )


@pytest.mark.parametrize("region", REGIONS)
def test_monday_morning_arrivals_exceed_other_weekdays(
    db: duckdb.DuckDBPyConnection, region: str
) -> None:
    per_day = db.execute(
        """
        select isodow(local_created) = 1 as monday,
               count(*) / count(distinct cast(local_created as date)) as tickets
        from t
        where region = $region and isodow(local_created) <= 5
          and hour(local_created) between 8 and 11
        group by all
        order by monday
        """,
        {"region": region},
    ).fetchall()
    (_, other), (_, monday) = per_day
    assert monday > 1.2 * other


def test_weekend_and_monday_morning_tickets_wait_longer(db: duckdb.DuckDBPyConnection) -> None:
    weekend_to_monday = one(
        db,
        """
        select median(frt_hours) from t
        where via in ('web_form', 'email')
          and (isodow(local_created) in (6, 7)
               or (isodow(local_created) = 1 and hour(local_created) < 12))
        """,
    )
    midweek = one(
        db,
        "select median(frt_hours) from t "
        "where via in ('web_form', 'email') and isodow(local_created) in (2, 3, 4)",
    )
    assert weekend_to_monday > 1.4 * midweek


@pytest.mark.parametrize("year", [2023, 2024, 2025])
def test_september_peak_exceeds_august_and_the_year(
    db: duckdb.DuckDBPyConnection, year: int
) -> None:
    daily = dict(
        db.execute(
            """
            select month(created) as m, count(*) / count(distinct cast(created as date))
            from t where year(created) = $year group by all
            """,
            {"year": year},
        ).fetchall()
    )
    yearly = one(
        db,
        "select count(*) / count(distinct cast(created as date)) from t where year(created) = ?",
        [year],
    )
    assert daily[9] > 1.5 * daily[8]
    assert daily[9] > 1.2 * yearly


ROLLOUTS = [("Asia",), ("North America",), ("Europe",), ("France",)]


@pytest.mark.parametrize(("region",), ROLLOUTS)
def test_new_interface_tickets_jump_after_the_regions_rollout(
    db: duckdb.DuckDBPyConnection, region: str
) -> None:
    start, _ = event(f"New interface: {region}")
    counts = db.execute(
        """
        select
            count(*) filter (where created < $start) as before,
            count(*) filter (where created >= $start and created < $start + interval 4 weeks)
        from t
        where region = $region and category = 'New interface'
        """,
        {"region": region, "start": start},
    ).fetchall()[0]
    before, after = counts
    assert before == 0
    assert after > 100 * SCALE


def test_rollout_jumps_land_in_story_order(db: duckdb.DuckDBPyConnection) -> None:
    first_busy_week = dict(
        db.execute(
            """
            with weekly as (
                select region, date_trunc('week', created) as week, count(*) as n
                from t where category = 'New interface' group by all
            )
            select region, min(week) from weekly
            where n > 0.5 * (select max(n) from weekly w where w.region = weekly.region)
            group by all
            """
        ).fetchall()
    )
    assert sorted(first_busy_week, key=first_busy_week.get) == [r for (r,) in ROLLOUTS]
    for (region,) in ROLLOUTS:
        start, _ = event(f"New interface: {region}")
        assert timedelta(0) <= first_busy_week[region].date() - start + timedelta(7) < timedelta(21)


def test_no_chat_tickets_while_the_chat_is_closed(db: duckdb.DuckDBPyConnection) -> None:
    start, end = event("Live chat closed")
    chats = db.execute(
        """
        select
            count(*) filter (where cast(created as date) between $start and $end),
            count(*) filter (where cast(created as date) between $start - 10 and $start - 1)
        from t where via = 'chat'
        """,
        {"start": start, "end": end},
    ).fetchall()[0]
    assert chats[0] == 0
    assert chats[1] > 100 * SCALE


def test_queue_waits_fall_while_the_chat_is_closed(db: duckdb.DuckDBPyConnection) -> None:
    start, end = event("Live chat closed")
    before, during = db.execute(
        """
        select
            median(frt_hours) filter (where cast(created as date) between $start - 10 and $start - 1),
            median(frt_hours) filter (where cast(created as date) between $start and $end)
        from t where via in ('web_form', 'email')
        """,
        {"start": start, "end": end},
    ).fetchall()[0]
    assert during < 0.8 * before


# Ordinary = outside every story and calendar event, and outside the summer. Chat and
# phone are answered live within minutes; the seed's "4 to 6 hours" is about tickets.
ORDINARY_QUEUE = """
    via in ('web_form', 'email') and month(created) not in (7, 8)
    and not exists (
        select 1 from events e
        where cast(t.created as date) between cast(e.start as date) and cast(e."end" as date)
    )
"""


def test_ordinary_weeks_median_first_reply_is_three_to_seven_hours(
    db: duckdb.DuckDBPyConnection,
) -> None:
    median = one(db, f"select median(frt_hours) from t where {ORDINARY_QUEUE}")
    assert 3.0 <= median <= 7.0


def test_the_europe_rollout_crisis_is_far_worse_than_ordinary_weeks(
    db: duckdb.DuckDBPyConnection,
) -> None:
    start, _ = event("New interface: Europe")
    crisis = one(
        db,
        "select median(frt_hours) from t where region = 'Europe' and via in ('web_form', 'email') "
        "and created >= $start and created < $start + interval 3 weeks",
        {"start": start},
    )
    ordinary = one(
        db, f"select median(frt_hours) from t where region = 'Europe' and {ORDINARY_QUEUE}"
    )
    assert crisis > 2 * ordinary


def test_same_seed_gives_identical_files_and_another_seed_differs(tmp_path: Path) -> None:
    kwargs = {"start": date(2024, 2, 5), "years": 0.2, "scale": 0.2}
    a = write_sample(tmp_path / "a", seed=7, **kwargs)
    b = write_sample(tmp_path / "b", seed=7, **kwargs)
    c = write_sample(tmp_path / "c", seed=8, **kwargs)
    assert a.tickets_csv.read_bytes() == b.tickets_csv.read_bytes()
    assert a.events_csv.read_bytes() == b.events_csv.read_bytes()
    assert a.tickets_csv.read_bytes() != c.tickets_csv.read_bytes()


def test_more_weekend_agents_shorten_weekend_waits() -> None:
    base = SimConfig(start=date(2023, 2, 6), years=0.4, scale=SCALE, events=())
    more = {
        r: replace(s, weekend_share=0.7) for r, s in default_staffing(SCALE, base.years).items()
    }

    def weekend_median(config: SimConfig) -> float:
        tickets = simulate(config).tickets
        weekend = (tickets["created"] // 1440 % 7) >= 5
        waits = tickets["first_reply"] - tickets["created"]
        return float(waits[weekend].median())

    assert weekend_median(replace(base, staffing=more)) < 0.7 * weekend_median(base)


def test_story_follows_any_start_date() -> None:
    events = {e.name: e for e in story_events(date(2021, 6, 14), 3.0)}
    europe = events["New interface: Europe"].start
    assert (europe.year, europe.month, europe.weekday()) == (2022, 9, 0)
    order = [events[f"New interface: {r}"].start for (r,) in ROLLOUTS]
    assert order == sorted(order)
    assert isinstance(default_staffing()["France"], TeamStaffing)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"scale": 1e6}, "scale: more than 0 and at most 100"),
        ({"years": 1000.0}, "years: a run lasts"),
        ({"staffing": {r: TeamStaffing(200_000, 5) for r in REGIONS}}, "from 0 to 10,000"),
        ({"staffing": {r: TeamStaffing(4, 9) for r in REGIONS}}, "no more on the live desk"),
        (
            {"staffing": {r: TeamStaffing(4, 1, weekend_share=3.0) for r in REGIONS}},
            "weekend share",
        ),
        ({"staffing": {"France": TeamStaffing(4, 1)}}, "no head count for Europe"),
        (
            {"events": (Event("Surge", "interface rollout", "Asia", START, START, 1e9, 2.0),)},
            "the multiplier is between 0 and 10",
        ),
        (
            {"events": (Event("Long", "channel closed", "all", START, date(2999, 1, 1), 0.0),)},
            "within 10 years",
        ),
        (
            {"events": (Event("Odd", "meteor", "all", START, START, 1.0),)},
            "the kind is one of",
        ),
    ],
)
def test_a_simulation_out_of_bounds_is_refused_before_it_runs(change, message) -> None:
    with pytest.raises(SimInputError, match=message):
        simulate(replace(SimConfig(start=START, years=0.1, scale=0.1), **change))


def test_the_command_line_refuses_a_sample_out_of_bounds(tmp_path, capsys) -> None:
    assert cli.main(["sample", "--out", str(tmp_path), "--scale", "1000"]) == 1
    assert (
        capsys.readouterr().err == "error: scale: more than 0 and at most 100 times the default\n"
    )
    assert not list(tmp_path.iterdir())
