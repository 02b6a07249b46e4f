"""The measured impact of events, checked against the truth the simulator injected.

The built-in sample's rollouts add new-interface tickets to one region at a
time; those tickets are the injected uplift, so the truth over an estimate's
window is (new-interface tickets) / (all other tickets) of that region. One
small sample is simulated and every rollout estimated once for the module.
"""

import json
import time
from datetime import date, timedelta

import duckdb
import numpy as np
import pandas as pd
import pytest

from analytics import cli, events, ingest, store
from analytics.forecast import impact
from analytics.settings import load_settings

TZ = "Europe/Paris"
ROLLOUTS = ("Asia", "North America", "Europe", "France")


@pytest.fixture(scope="module")
def sample(tmp_path_factory, sample_desk):
    """A 3-year sample at 0.4 scale in a store file, with the story's events."""
    folder = tmp_path_factory.mktemp("impact")
    files = sample_desk(years=3, scale=0.4)
    db = folder / "impact.sqlite"
    con = store.connect(db)
    ingest.import_file(con, files.tickets_csv, source="sample", settings=load_settings())
    events.import_events_csv(con, files.events_csv)
    truth = pd.read_csv(files.events_csv)
    yield con, db, truth
    con.close()


@pytest.fixture(scope="module")
def estimates(sample):
    """Every rollout's impact, and the seconds each fit took."""
    con, _, _ = sample
    out = {}
    for region in ROLLOUTS:
        event = impact.find_event(con, f"New interface: {region}")
        started = time.perf_counter()
        out[region] = impact.estimate(con, "sample", event["event_id"], tz=TZ)
        out[region].event["seconds"] = time.perf_counter() - started
    return out


def injected_uplift(con: duckdb.DuckDBPyConnection, region: str, first: date, last: date) -> float:
    """Return the new-interface tickets over all others in ``region`` on local days first..last."""
    return con.execute(
        """
        select count(*) filter (where category = 'New interface')
            / count(*) filter (where category <> 'New interface')
        from tickets
        where region = ? and timezone(?, created_at)::date between ? and ?
        """,
        [region, TZ, first, last],
    ).fetchone()[0]


@pytest.mark.parametrize("region", ROLLOUTS)
def test_intervention_recovers_each_rollouts_injected_uplift(sample, estimates, region):
    con, _, truth = sample
    effect = estimates[region].arrivals
    injected = 100 * injected_uplift(con, region, effect.first_day, effect.last_day)
    assert effect.low_pct <= injected <= effect.high_pct, (effect, injected)
    assert effect.effect_pct > 0 and effect.low_pct > -1
    assert injected / 3 <= effect.effect_pct <= injected * 3
    # The events file's peak is the region's arrivals at the wave's top: the
    # mean uplift over the whole wave is well below it.
    peak = truth.loc[truth["name"] == f"New interface: {region}", "peak_multiplier"].item()
    assert effect.effect_pct < 100 * (peak - 1)
    assert effect.shape in ("pulse", "ramp_decay", "pulse+step", "ramp_decay+step")


@pytest.mark.parametrize("region", ("Asia", "North America", "Europe"))
def test_staggered_did_against_not_yet_treated_regions_recovers_the_uplift(
    sample, estimates, region
):
    con, _, _ = sample
    did = estimates[region].did
    assert did is not None and did.method == "staggered_did"
    injected = 100 * injected_uplift(con, region, did.first_day, did.last_day)
    assert did.low_pct <= injected <= did.high_pct, (did, injected)
    assert injected / 3 <= did.effect_pct <= injected * 3
    # Controls are only regions whose own rollout comes later.
    assert "Asia" not in did.model.split("(")[1] or region == "Asia"


def test_did_stops_the_day_before_the_next_region_is_treated(estimates):
    asia = estimates["Asia"]
    assert asia.did.last_day == date(2024, 6, 2)  # North America's rollout is on 2024-06-03
    assert "the day before the next region was treated" in asia.did_note
    assert "(Europe, France, North America)" in asia.did.model


def test_the_last_region_has_no_untreated_region_to_compare_with(estimates):
    france = estimates["France"]
    assert france.did is None
    assert "No region was still untreated" in france.did_note


@pytest.mark.parametrize("region", ROLLOUTS)
def test_the_extra_tickets_concentrate_in_the_new_interface_category(estimates, region):
    categories = estimates[region].categories
    assert categories.iloc[0]["category"] == "New interface"
    assert categories.iloc[0]["share_pct"] > 50
    assert categories.iloc[0]["low"] > 0


def test_each_fit_takes_seconds_not_minutes(estimates):
    assert max(e.event["seconds"] for e in estimates.values()) < 30


def test_the_sentence_reads_like_the_issue(estimates):
    text = estimates["Europe"].sentence()
    assert text.startswith("Interface rollout, Europe, from 2024-09-02: +")
    assert "tickets/day" in text and "95% interval" in text
    assert "decaying" in text and "weeks" in text
    assert "median first response" in text and text.endswith(" h.")


def test_counterfactual_band_holds_the_actual_series_before_the_event(estimates):
    series = estimates["North America"].series
    before = series[series["day"] < pd.Timestamp("2024-06-03")]
    inside = (before["actual"] >= before["low"]) & (before["actual"] <= before["high"])
    assert inside.mean() > 0.9
    during = series[(series["day"] >= "2024-06-10") & (series["day"] <= "2024-07-10")]
    assert (during["actual"] > during["counterfactual"]).mean() > 0.8


def _no_event_series(seed: int) -> pd.Series:
    rng = np.random.default_rng(seed)
    days = pd.date_range("2022-01-03", "2024-06-30", freq="D")
    weekday = np.array([1.38, 1.15, 1.08, 1.03, 0.94, 0.52, 0.46])[days.day_of_week]
    annual = 1 + 0.15 * np.cos(2 * np.pi * (days.day_of_year.to_numpy() - 258) / 365.25)
    rate = 40 * weekday * annual * (1 + 0.05 * (days - days[0]).days.to_numpy() / 365.25)
    return pd.Series(rng.poisson(rate), index=days)


@pytest.mark.parametrize("seed", [1, 2])
def test_on_a_series_with_no_event_the_interval_contains_zero(seed):
    fit = impact.fit_intervention(_no_event_series(seed), date(2024, 3, 4), date(2024, 4, 28))
    assert fit.effect.low_pct <= 0 <= fit.effect.high_pct, fit.effect
    assert abs(fit.effect.effect_pct) < 10


def test_a_known_step_is_found_with_its_size():
    counts = _no_event_series(3)
    after = counts.index >= pd.Timestamp("2024-03-04")
    rng = np.random.default_rng(4)
    lifted = counts.where(~after, rng.poisson(counts.clip(lower=0) * 1.3))
    fit = impact.fit_intervention(lifted, date(2024, 3, 4), date(2024, 4, 28))
    assert fit.effect.low_pct <= 30 <= fit.effect.high_pct
    assert "step" in fit.effect.shape


def test_saved_effects_replace_the_previous_estimate_of_the_same_event(sample, estimates):
    con, _, _ = sample
    europe = estimates["Europe"]
    first = impact.save_effects(con, europe)
    again = impact.save_effects(con, europe)
    assert len(first) == len(again) == 3  # intervention, DiD, first response
    saved = impact.saved_effects(con, kind="interface rollout")
    rows = saved[saved["event_name"] == "New interface: Europe"]
    assert sorted(rows["method"] + "/" + rows["metric"]) == [
        "intervention/arrivals",
        "intervention/first_response_h",
        "staggered_did/arrivals",
    ]
    arrivals = rows[(rows["method"] == "intervention") & (rows["metric"] == "arrivals")].iloc[0]
    assert arrivals["effect_pct"] == pytest.approx(europe.arrivals.effect_pct)
    profile = arrivals["profile"]
    assert len(profile) >= (europe.arrivals.last_day - europe.arrivals.first_day).days + 1
    assert max(profile) > europe.arrivals.effect_pct / 100  # the wave's peak
    assert con.execute("select count(*) from event_effect_profile").fetchone()[0] == sum(
        len(e.profile) for e in (europe.arrivals, europe.did, europe.first_response)
    )


def test_an_event_after_the_data_cannot_be_measured(sample):
    con, _, _ = sample
    with store.cursor(con) as cur:
        cur.execute(
            "insert into events (event_id, name, kind, region, starts_on) values "
            "(900, 'Next launch', 'product launch', 'all', ?)",
            [date(2026, 3, 1)],
        )
    event = impact.find_event(con, "Next launch")
    with pytest.raises(impact.ImpactError, match="too close to the end"):
        impact.estimate(con, "sample", event["event_id"], tz=TZ)


def test_cli_prints_one_json_object_with_the_issue_keys(sample, capsys):
    _, db, _ = sample
    status = cli.main(
        ["impact", "--event", "New interface: North America", "--db", str(db), "--tz", TZ, "--json"]
    )
    assert status == 0
    out = json.loads(capsys.readouterr().out)
    for key in ("event", "method", "effect_pct", "low_pct", "high_pct", "duration_days"):
        assert key in out
    assert out["event"] == "New interface: North America"
    assert out["method"].startswith("intervention: ")
    assert out["low_pct"] < out["effect_pct"] < out["high_pct"]
    assert isinstance(out["first_response_h"], float)
    assert out["did"]["method"] == "staggered_did"


def test_cli_names_an_unknown_event_in_one_line(sample, capsys):
    _, db, _ = sample
    assert cli.main(["impact", "--event", "Nothing", "--db", str(db), "--json"]) == 1
    assert "no event named 'Nothing'" in capsys.readouterr().err


def test_the_window_is_the_events_dates(estimates):
    europe = estimates["Europe"].arrivals
    assert (europe.first_day, europe.last_day) == (date(2024, 9, 2), date(2024, 11, 11))
    assert europe.last_day - europe.first_day == timedelta(days=70)
