"""The weekly report on a small built-in sample: figures, sentences, HTML offline, PDF, CLI.

One store for the module (a year and a quarter of the simulated desk at a
tenth of its volume) and one collected week, composed in both languages.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from dataclasses import replace
from datetime import UTC, date, datetime

import exports
import pytest
from conftest import CHROMIUM, screenshot

from analytics import events, ingest, metrics, report, settings, store
from analytics.report import fmt_hours, fmt_number, fmt_pct
from analytics.settings import load_settings

WEEK = "2025-W10"
MONDAY = date(2025, 3, 3)
TZ = "UTC"


@pytest.fixture(scope="module")
def sample_db(tmp_path_factory, sample_desk):
    out = tmp_path_factory.mktemp("report")
    files = sample_desk(start=date(2024, 1, 1), years=1.25, scale=0.1, seed=7)
    db = out / "report.sqlite"
    con = store.connect(db)
    ingest.import_file(con, files.tickets_csv, source="sample", settings=load_settings())
    events.import_events_csv(con, files.events_csv)
    con.close()
    return db


@pytest.fixture(scope="module")
def week(sample_db):
    """The collected week, and the figures the metric functions give for it."""
    con = store.connect(sample_db)
    data = report.collect(con, "sample", WEEK, None, TZ, settings.load_settings())
    sel = report.week_selection("sample", MONDAY, TZ)
    last_year = report.week_selection("sample", date(2024, 3, 4), TZ)
    expected = {
        "now": metrics.overview(con, sel),
        "previous": metrics.overview(con, sel.previous()),
        "last_year": metrics.overview(con, last_year),
        "clear": metrics.days_to_clear(con, sel),
        "movers": metrics.movers(con, sel),
    }
    con.close()
    return data, expected


@pytest.mark.parametrize(
    ("text", "monday"),
    [
        ("2025-W10", date(2025, 3, 3)),
        ("2026-W01", date(2025, 12, 29)),
        ("2020-W53", date(2020, 12, 28)),
    ],
)
def test_iso_weeks_are_read_as_their_monday(text, monday):
    assert report.parse_week(text) == monday
    assert report.iso_week(monday) == text


@pytest.mark.parametrize("text", ["2025-10", "2025-W54", "W10", ""])
def test_a_malformed_week_is_refused(text):
    with pytest.raises(report.ReportError):
        report.parse_week(text)


def test_the_default_week_is_the_last_complete_one():
    sunday_night = datetime(2025, 3, 9, 23, 0, tzinfo=UTC)
    assert report.last_complete_week(sunday_night, "UTC") == "2025-W09"
    assert report.last_complete_week(datetime(2025, 3, 10, 1, tzinfo=UTC), "UTC") == ("2025-W10")
    assert report.same_week_last_year(date(2021, 1, 4)) == date(2019, 12, 30)  # 2020-W01
    assert report.same_week_last_year(date(2020, 12, 28)) == date(2019, 12, 23)  # W53 -> W52


def test_headline_figures_are_the_metric_functions_figures(week):
    data, expected = week
    heads = {h.key: h for h in report.compose(data, "en").headlines}
    now, prev, ly = expected["now"], expected["previous"], expected["last_year"]
    for key in ("created", "resolved", "frt_median_h", "frt_p90_h", "sla_pct", "backlog_open"):
        assert heads[key].value == getattr(now, key)
        assert heads[key].previous == getattr(prev, key)
        assert heads[key].last_year == getattr(ly, key)
    assert heads["days_to_clear"].value == expected["clear"]["days_to_clear"]
    assert heads["created"].wow == pytest.approx(100 * (now.created - prev.created) / prev.created)
    assert heads["created"].yoy == pytest.approx(100 * (now.created - ly.created) / ly.created)
    assert heads["sla_pct"].wow == pytest.approx(now.sla_pct - prev.sla_pct)  # points
    assert data.flow["created"].sum() == now.created
    assert len(data.flow) == 7


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_every_sentence_states_the_figures_it_cites(week, lang):
    data, expected = week
    now, prev, ly = expected["now"], expected["previous"], expected["last_year"]
    sentences = {s.key: s for s in report.compose(data, lang).sentences}
    assert 3 <= len(sentences) <= 7
    truth = {
        "created": now.created,
        "previous_created": prev.created,
        "resolved": now.resolved,
        "backlog_open": now.backlog_open,
        "backlog_change": now.backlog_open - prev.backlog_open,
        "days_to_clear": expected["clear"]["days_to_clear"],
        "frt_median_h": now.frt_median_h,
        "frt_p90_h": now.frt_p90_h,
        "previous_frt_median_h": prev.frt_median_h,
        "sla_pct": now.sla_pct,
        "sla_change_pts": now.sla_pct - prev.sla_pct,
        "last_year_created": ly.created,
        "created_change_pct": 100 * (now.created - prev.created) / prev.created,
        "yoy_pct": 100 * (now.created - ly.created) / ly.created,
    }
    shown = {
        "created": fmt_number(now.created, lang),
        "previous_created": fmt_number(prev.created, lang),
        "resolved": fmt_number(now.resolved, lang),
        "backlog_open": fmt_number(now.backlog_open, lang),
        "backlog_change": fmt_number(abs(now.backlog_open - prev.backlog_open), lang),
        "days_to_clear": fmt_number(truth["days_to_clear"] or 0, lang, 1),
        "frt_median_h": fmt_hours(now.frt_median_h, lang),
        "frt_p90_h": fmt_hours(now.frt_p90_h, lang),
        "previous_frt_median_h": fmt_hours(prev.frt_median_h, lang),
        "sla_pct": fmt_pct(now.sla_pct, lang, 1),
        "sla_change_pts": fmt_number(abs(truth["sla_change_pts"]), lang, 1),
        "last_year_created": fmt_number(ly.created, lang),
        "created_change_pct": fmt_pct(abs(truth["created_change_pct"]), lang),
        "yoy_pct": fmt_pct(abs(truth["yoy_pct"]), lang),
    }
    movers = expected["movers"]
    for sentence in sentences.values():
        for name, value in sentence.cites.items():
            if name.startswith("driver_") and name.endswith("_change"):
                dimension = name.removeprefix("driver_").removesuffix("_change")
                row = movers[
                    (movers["dimension"] == dimension)
                    & (movers["value"] == sentence.cites[f"driver_{dimension}"])
                ]
                assert int(row["change"].iat[0]) == value
                assert f"({'+' if value > 0 else '-'}{fmt_number(abs(value), lang)})" in (
                    sentence.text
                )
            elif name.startswith("driver_"):
                assert value in sentence.text
            elif name in truth:
                assert value == pytest.approx(truth[name]), (sentence.key, name)
                if name != "backlog_change" or value:
                    assert shown[name] in sentence.text, (sentence.key, name, sentence.text)
    volume = sentences["volume"].text
    pct = truth["created_change_pct"]
    if round(pct):
        word = {"en": ("rose", "fell"), "fr": ("augmenté", "baissé")}[lang][pct < 0]
        assert word in volume
    assert sentences["sla"].cites["sla_pct"] == now.sla_pct


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_the_quality_sentence_states_the_week_against_the_week_before(sample_db, week, lang):
    data, _ = week
    con = store.connect(sample_db)
    try:
        expected = metrics.quality(con, report.week_selection("sample", MONDAY, TZ))
        agents = [
            a for (a,) in con.execute("select distinct assignee from tickets").fetchall() if a
        ]
    finally:
        con.close()
    assert data.quality == expected
    sentence = {s.key: s for s in report.compose(data, lang).sentences}["quality"]
    # The sample records reopens and replies; a rate it lacks is left out of the sentence.
    for key in ("reopen_rate_pct", "one_touch_pct", "csat_pct"):
        now, before = getattr(expected, key), getattr(expected.previous, key)
        if now is None:
            assert key not in sentence.cites
            continue
        assert sentence.cites[key] == now
        assert fmt_pct(now, lang, 1) in sentence.text
        assert sentence.cites[f"previous_{key}"] == before
        assert fmt_pct(before, lang, 1) in sentence.text
    reopen = sentence.cites["reopen_rate_pct"] - sentence.cites["previous_reopen_rate_pct"]
    if round(reopen, 1):
        words = {"en": ("better than", "worse than"), "fr": ("mieux que", "moins bien que")}[lang]
        clause = sentence.text.split({"en": "; ", "fr": " ; "}[lang])[0]
        assert words[reopen > 0] in clause  # fewer reopens is better
    assert agents and not any(agent in sentence.text for agent in agents)


def test_a_source_without_quality_fields_has_no_quality_sentence(tmp_path):
    con = store.connect(tmp_path / "bare.sqlite")
    try:
        ingest.import_file(
            con,
            exports.generic(tmp_path),
            settings=load_settings(),
            source="bare",
            preset="generic",
            mapping=exports.GENERIC_MAPPING,
        )
        data = report.collect(con, "bare", "2024-W11", None, TZ, load_settings(), False)
    finally:
        con.close()
    assert data.quality.reopen_rate_pct is None and data.quality.csat_pct is None
    for lang in ("en", "fr"):
        keys = [s.key for s in report.compose(data, lang).sentences]
        assert "quality" not in keys and "volume" in keys


def test_the_outlook_is_next_week_with_an_interval_and_staffing(week):
    data, _ = week
    out = data.outlook
    assert (out.first_day, out.last_day) == (date(2025, 3, 10), date(2025, 3, 16))
    if out.forecast is None:
        pytest.skip(f"no forecast: {out.note}")
    fc = out.forecast
    assert list(fc["day"]) == [date(2025, 3, 10 + i) for i in range(7)]
    assert (fc["lo80"] <= fc["mean"]).all() and (fc["mean"] <= fc["hi80"]).all()
    assert all(a is None or a >= 0 for a in fc["agents"])
    sentence = {s.key: s for s in report.compose(data, "en").sentences}["next_week"]
    assert sentence.cites["forecast_total"] == pytest.approx(fc["mean"].sum())
    assert fmt_number(fc["mean"].sum(), "en") in sentence.text
    assert data.forecast_before is not None
    assert list(data.forecast_before["day"]) == list(data.flow["day"].map(pd_date))


def pd_date(value):
    import pandas as pd

    return pd.Timestamp(value).date()


def test_user_text_is_never_markup(week):
    data, _ = week
    evil = "<script>alert('x')</script>"
    movers = data.movers.copy()
    movers.loc[0, "value"] = evil
    movers.loc[0, "dimension"] = "category"
    rep = report.compose(replace(data, movers=movers, region="<b>Europe</b>"), "en")
    html = report.to_html(rep)
    assert evil not in html
    assert "<b>Europe</b>" not in html
    assert "&lt;b&gt;Europe&lt;/b&gt;" in html


@pytest.fixture(scope="module")
def html_file(week, tmp_path_factory):
    return report.write(report.compose(week[0], "fr"), tmp_path_factory.mktemp("html"), "html")


@pytest.mark.browser
def test_the_html_works_offline_and_draws_every_chart(week, html_file, page):
    blocked = []

    def only_files(route):
        if route.request.url.startswith("file://"):
            route.continue_()
        else:
            blocked.append(route.request.url)
            route.abort()

    page.route("**/*", only_files)
    page.goto(html_file.as_uri())
    page.wait_for_function(
        "[...document.querySelectorAll('.js-plotly-plot')]"
        ".filter(p => p.querySelector('.main-svg .trace')).length === 4",
        timeout=30_000,
    )
    assert blocked == []
    assert "cdn" not in html_file.read_text(encoding="utf-8").split("<body>")[0].lower()
    now = week[1]["now"]
    created_row = page.locator("tr[data-key='created'] td").nth(1).inner_text()
    assert created_row == fmt_number(now.created, "fr")
    assert page.locator("#summary p").count() >= 3
    screenshot(page, "weekly_report_html")


def _pdftotext(path) -> str:
    if shutil.which("pdftotext") is None:
        pytest.fail("pdftotext is missing: `apt-get install poppler-utils` (make test does it)")
    return subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout


@pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium is missing")
def test_the_pdf_is_a4_with_its_figures_as_text(week, tmp_path):
    data, expected = week
    rep = report.compose(data, "en")
    path = report.write(rep, tmp_path, "pdf")
    raw = path.read_bytes()
    assert raw.startswith(b"%PDF-") and raw.rstrip().endswith(b"%%EOF")
    boxes = re.findall(rb"/MediaBox \[0 0 ([\d.]+) ([\d.]+)\]", raw)
    assert boxes and all(
        abs(float(w) - 595.28) < 1 and abs(float(h) - 841.89) < 1 for w, h in boxes
    )
    assert 1 <= len(boxes) <= 4
    text = _pdftotext(path)
    assert rep.title in text
    now = expected["now"]
    for figure in (
        fmt_number(now.created, "en"),
        fmt_number(now.resolved, "en"),
        fmt_pct(now.sla_pct, "en", 1),
        fmt_hours(now.frt_median_h, "en").replace("\u00a0", " "),
    ):
        assert figure in text.replace("\u00a0", " ")
    # The charts are vector: their axis titles come out as text.
    assert "Tickets per day" in text and "Open tickets" in text


def test_no_chromium_is_a_clear_error(monkeypatch, tmp_path):
    monkeypatch.setattr(report.render, "CHROMIUM_PATHS", ())
    monkeypatch.setenv(report.CHROMIUM_ENV, str(tmp_path / "nothing"))
    monkeypatch.setattr(report.render.shutil, "which", lambda name: None)
    with pytest.raises(report.ReportError, match="apt-get install chromium"):
        report.find_chromium()


def test_the_cli_writes_the_report_and_refuses_an_empty_week(sample_db, tmp_path, capsys):
    from analytics.cli import main

    code = main(["report", "--db", str(sample_db), "--week", "2023-W05", "--out", str(tmp_path)])
    assert code == 1
    assert "no data for 2023-W05" in capsys.readouterr().err
    code = main(
        [
            "report", "--db", str(sample_db), "--week", "2024-W20", "--region", "France",
            "--lang", "fr", "--out", str(tmp_path),
        ]
    )  # fmt: skip
    assert code == 0
    written = tmp_path / "backlog-radar-2024-W20-france-fr.html"
    assert capsys.readouterr().out.strip() == str(written)
    assert "Région\u00a0: France" in written.read_text(encoding="utf-8")
