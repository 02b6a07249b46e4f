"""Staffing: Erlang C and Erlang A against published values, stable for large desks, and
agents that only grow with volume and handling time."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analytics.planning import staffing


@pytest.mark.parametrize(
    "agents,probability",
    # Probability of waiting for 10 erlangs of traffic (Erlang C tables, e.g. Gans, Koole
    # & Mandelbaum 2003; Cooper, Introduction to Queueing Theory).
    [(11, 0.6821), (12, 0.4494), (13, 0.2853), (14, 0.1741), (15, 0.1020)],
)
def test_erlang_c_matches_the_textbook_table(agents, probability):
    assert staffing.erlang_c(agents, 10.0) == pytest.approx(probability, abs=5e-4)


def test_the_check_value_needs_14_agents_by_erlang_c_and_12_by_erlang_a():
    # 100 calls per 30 min, 180 s handling, 80% answered within 20 s.
    assert staffing.agents_erlang_c(100, 1800, 180, 0.8, 20) == 14
    assert staffing.service_level_c(14, 10.0, 180, 20) == pytest.approx(0.888, abs=1e-3)
    assert staffing.service_level_c(13, 10.0, 180, 20) < 0.8
    # Callers who hang up after 120 s on average lighten the queue.
    assert staffing.agents_erlang_a(100, 1800, 180, 0.8, 20, 120) == 12


def test_erlang_is_stable_for_a_large_desk():
    # 2000 erlangs: factorials would overflow; the recursion does not.
    p = staffing.erlang_c(2050, 2000.0)
    assert 0 < p < 1
    n = staffing.agents_erlang_c(40_000, 3600, 180, 0.8, 20)
    assert 2000 < n < 2100
    assert staffing.erlang_c(1999, 2000.0) == 1.0


def test_erlang_a_needs_no_more_agents_than_erlang_c_and_tends_to_it_with_patience():
    for calls in (20, 100):
        c = staffing.agents_erlang_c(calls, 1800, 180, 0.8, 20)
        assert staffing.agents_erlang_a(calls, 1800, 180, 0.8, 20, 120) <= c
        assert staffing.agents_erlang_a(calls, 1800, 180, 0.8, 20, 1e5) == c


@pytest.mark.parametrize("aht", [120, 180, 300])
def test_live_agents_grow_with_volume(aht):
    needed = [staffing.agents_erlang_c(v, 3600, aht, 0.8, 20) for v in range(0, 400, 10)]
    assert needed == sorted(needed)
    needed_a = [staffing.agents_erlang_a(v, 3600, aht, 0.8, 20, 180) for v in range(0, 400, 25)]
    assert needed_a == sorted(needed_a)


def test_live_agents_grow_with_handling_time():
    needed = [staffing.agents_erlang_c(200, 3600, aht, 0.8, 20) for aht in range(60, 900, 30)]
    assert needed == sorted(needed) and needed[-1] > needed[0]


def test_the_fifo_queue_serves_in_order_and_reads_waits_from_the_curves():
    # 10 tickets in the first hour, 5 answered an hour: half wait into the next hour.
    out = staffing.fifo_backlog(np.array([10.0, 0.0, 0.0]), np.array([5.0, 5.0, 5.0]))
    assert list(out["backlog"]) == [5.0, 0.0, 0.0]
    assert out["wait_max_h"].iloc[0] == pytest.approx(1.0)
    assert out["wait_h"].iloc[0] == pytest.approx(0.5)
    # Nobody works: the tickets wait until the end of the horizon.
    out = staffing.fifo_backlog(np.array([3.0, 0.0]), np.zeros(2), open_backlog=2)
    assert list(out["backlog"]) == [5.0, 5.0]


def day_of_arrivals(scale: float) -> pd.Series:
    hours = pd.date_range("2026-03-02", periods=24 * 5, freq="h")
    shape = np.where((hours.hour >= 8) & (hours.hour < 19), 1.0, 0.2)
    return pd.Series(scale * 10 * shape, index=hours)


def test_queued_agents_grow_with_volume_and_handling_time():
    def agents(scale, handling):
        frame = staffing.queued_agents_per_day(day_of_arrivals(scale), handling, 7, 0.3, 4)
        return frame["agents"].sum()

    by_volume = [agents(s, 25) for s in (0.5, 1, 2, 4, 8)]
    assert by_volume == sorted(by_volume) and by_volume[-1] > by_volume[0]
    by_handling = [agents(2, h) for h in (10, 20, 40, 80)]
    assert by_handling == sorted(by_handling) and by_handling[-1] > by_handling[0]


def test_queued_agents_cover_the_workload_and_meet_the_target():
    arrivals = day_of_arrivals(2)
    frame = staffing.queued_agents_per_day(arrivals, 25, 7, 0.3, 4, shift=(8, 19))
    assert (frame["agents"] >= np.ceil(frame["workload_agents"] - 1e-9)).all()
    # With that head count every ticket arriving on shift is answered within 4 h.
    per_hour = 60 / 25 * 0.7
    hours = arrivals.index
    cap = np.where((hours.hour >= 8) & (hours.hour < 19), 1.0, 0.0)
    cap = cap * np.repeat(frame["agents"].to_numpy(), 24) * per_hour
    sim = staffing.fifo_backlog(arrivals.to_numpy(), cap)
    on_shift = (hours.hour >= 8) & (hours.hour < 19)
    assert (sim["wait_max_h"][on_shift] <= 4 + 1e-9).all()


def test_each_day_gets_the_plan_row_of_its_own_weekday():
    plan = pd.DataFrame(
        [("Desk", day, 8, 18, 10 + d, d) for d, day in enumerate(staffing.WEEKDAYS)],
        columns=list(staffing.PLAN_COLUMNS),
    )
    days = pd.date_range("2026-03-04", periods=9, freq="D")  # a Wednesday onwards
    queue = staffing.planned_per_day(plan, days, "queue_agents")
    assert list(queue) == [12, 13, 14, 15, 16, 10, 11, 12, 13]
    live = staffing.planned_per_hour(plan, pd.date_range("2026-03-08 07:00", periods=3, freq="h"),
                                     "live_agents")  # fmt: skip
    assert list(live) == [0, 6, 6]  # Sunday: nobody before 08:00


def test_the_live_share_counts_the_last_four_weeks_of_live_channels():
    days = pd.date_range("2026-01-01", periods=60, freq="D")
    rows = [(day, "chat", 1 if day < days[-28] else 3) for day in days]
    rows += [(day, "email", 1) for day in days]
    history = pd.DataFrame(rows, columns=["period", "series", "created"])
    total = history.groupby("period", as_index=False)["created"].sum().assign(series="total")
    history = pd.concat([history, total], ignore_index=True)
    assert staffing.live_share(history, ("chat", "voice")) == pytest.approx(0.75)
    assert staffing.live_share(history.iloc[0:0], ("chat",)) == 0.0
