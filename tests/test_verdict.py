"""The overview's verdict says in one sentence what the cards show, in the reader's language."""

from __future__ import annotations

import re
from datetime import date

import pytest
from apptest import app_on
from streamlit.testing.v1 import AppTest

from analytics import ingest, store
from analytics.metrics import OverviewFigures
from analytics.settings import load_settings
from analytics.verdict import STEADY_PCT, trend, verdict

NNBSP, NBSP = "\u202f", "\u00a0"


def figures(backlog_open: int, frt_median_h: float | None = 7.2, created: int = 500):
    return OverviewFigures(
        created=created,
        resolved=400,
        frt_median_h=frt_median_h,
        frt_p90_h=None if frt_median_h is None else 2 * frt_median_h,
        resolution_median_h=30.0,
        sla_pct=64.0,
        sla_evaluated=450,
        backlog_open=backlog_open,
        backlog_awaiting_first_response=12,
    )


@pytest.mark.parametrize(
    ("now", "before", "expected"),
    [
        (1180, 1000, "Backlog growing: 1,180 open, +18% in a week"),
        (820, 1000, "Backlog shrinking: 820 open, -18% in a week"),
        (1015, 1000, "Backlog steady: 1,015 open, +2% in a week"),
        (985, 1000, "Backlog steady: 985 open, -2% in a week"),
        (1000, 1000, "Backlog steady: 1,000 open, ±0% in a week"),
    ],
)
def test_the_verdict_says_whether_the_backlog_grows_shrinks_or_holds(now, before, expected):
    text = verdict(figures(now), figures(before), 7, 6.0)
    assert text == f"{expected}, first replies 7.2{NBSP}h against a 6{NBSP}h target."


def test_steady_is_a_move_of_at_most_two_percent_either_way():
    assert STEADY_PCT == 2.0
    assert [trend(n, 100) for n in (97, 98, 100, 102, 103)] == [
        "shrinking", "steady", "steady", "steady", "growing",
    ]  # fmt: skip
    assert (trend(0, 0), trend(3, 0)) == ("steady", "growing")


def test_the_change_is_said_over_the_periods_length():
    assert "+18% in 4 weeks" in verdict(figures(1180), figures(1000), 28, 6.0)
    assert "+18% in 90 days" in verdict(figures(1180), figures(1000), 90, 6.0)
    # from an empty backlog, a change in tickets rather than an infinite percentage
    assert "Backlog growing: 5 open, +5 in a day" in verdict(figures(5), figures(0), 1, 6.0)


def test_a_source_without_first_responses_leaves_that_clause_out():
    text = verdict(figures(1180, None), figures(1000, None), 7, 6.0, missing={"first_response"})
    assert text == "Backlog growing: 1,180 open, +18% in a week."
    # a period with no first reply yet: no "nan", no clause
    assert "nan" not in verdict(figures(1180, float("nan")), figures(1000), 7, 6.0)
    assert "first replies" not in verdict(figures(1180, None), figures(1000), 7, 6.0)


def test_without_an_earlier_period_the_verdict_gives_the_figures_without_a_trend():
    text = verdict(figures(1240), None, 7, 6.0)
    assert text == f"Backlog: 1,240 open, first replies 7.2{NBSP}h against a 6{NBSP}h target."


def test_a_source_that_never_closes_a_ticket_speaks_of_what_came_in():
    text = verdict(figures(900, created=1240), figures(800, created=1000), 7, 6.0, missing={"done"})
    assert text.startswith("No backlog in this source: 1,240 tickets created, +24% in a week")


def test_the_french_verdict_uses_french_numbers_and_words():
    text = verdict(figures(1240), figures(1051), 7, 6.0, lang="fr")
    assert text == (
        f"Backlog en hausse{NNBSP}: 1{NNBSP}240 ouverts, +18{NBSP}% en une semaine, "
        f"premières réponses en 7,2{NBSP}h pour un objectif de 6{NBSP}h."
    )
    assert verdict(figures(1), figures(1), 14, 4.5, lang="fr").startswith(
        f"Backlog stable{NNBSP}: 1 ouvert, ±0{NBSP}% en 2 semaines"
    )
    assert "objectif de 4,5" in verdict(figures(1), figures(1), 14, 4.5, lang="fr")


# --- on the page ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def desk_db(tmp_path_factory, sample_desk):
    """A store holding a year of the simulated desk (first responses and all) as ``desk``."""
    sample = sample_desk(start=date(2016, 1, 4), years=1.0, scale=0.3, seed=11)
    db = tmp_path_factory.mktemp("verdict") / "desk.sqlite"
    con = store.connect(db)
    ingest.import_file(con, sample.tickets_csv, source="desk", settings=load_settings())
    con.close()
    return db


@pytest.fixture
def app(desk_db, tmp_path, monkeypatch):
    yield from app_on(desk_db, tmp_path, monkeypatch)


def overview(at: AppTest, lang: str = "en") -> tuple[str, dict]:
    """Run the overview over its default period; return its verdict and its cards."""
    at.query_params["lang"] = lang
    at.run()
    at.switch_page("pages/overview.py").run()
    assert not at.exception, at.exception
    verdict_line = re.sub(r"\\(.)", r"\1", at.subheader[0].value).replace("\u200b", "")
    return verdict_line, {m.label: m for m in at.metric}


def test_the_overview_opens_with_a_verdict_citing_its_cards(app):
    line, cards = overview(app)
    backlog, first = cards["Backlog now"], cards["Median first response"]
    assert line.startswith(("Backlog growing: ", "Backlog shrinking: ", "Backlog steady: "))
    assert f": {backlog.value} open, " in line
    assert f"first replies {first.value} against a 6\u00a0h target." in line
    # the change is the card's, relative to the backlog before it
    change = int(backlog.delta.replace(",", "").replace("±", ""))
    before = int(backlog.value.replace(",", "")) - change
    exact = 100 * change / before
    percent = round(exact)
    assert re.search(rf"[-+±]{abs(percent)}% in (\d+ days|\d+ weeks|a week)", line)
    assert ("growing" in line) == (exact > STEADY_PCT)
    assert ("shrinking" in line) == (exact < -STEADY_PCT)


def test_the_overview_speaks_french_with_french_numbers(app):
    line, cards = overview(app, "fr")
    assert app.title[0].value == "Vue d'ensemble"
    backlog, first = cards["Backlog actuel"], cards["Première réponse médiane"]
    assert re.fullmatch(r"\d{1,3}(\u202f\d{3})*", backlog.value)
    assert re.fullmatch(r"\d+,\d\u00a0h", first.value)
    assert line.startswith(("Backlog en hausse", "Backlog en baisse", "Backlog stable"))
    assert f" : {backlog.value} ouverts, " in line.replace("\u202f:", " :")
    assert f"premières réponses en {first.value} pour un objectif de 6\u00a0h." in line
    assert "Respect du SLA" in cards and cards["Respect du SLA"].value.endswith("\u00a0%")
    assert "Ce qui a changé" in [h.value for h in app.subheader]
