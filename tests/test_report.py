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
from pathlib import Path

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
    assert "Région\u202f: France" in written.read_text(encoding="utf-8")


# --- the French report, the weeks offered, the cues, the filters, the CLI's language ---

# English words that no French sentence, label or title of the report holds.
ENGLISH = re.compile(
    r"\b(the|was|were|week|weeks|with|against|from|mainly|tickets created|resolved|median|"
    r"figure|summary|charts|next|expected|interval|calendar|hours|open|forecast|change|"
    r"better|worse|unchanged|up|down|per day|source records)\b",
    re.IGNORECASE,
)


def _words_of(rep) -> list[str]:
    """Return every text of a composed report a reader sees: page, charts and tables."""
    texts = [rep.title, rep.subtitle, *(s.text for s in rep.sentences)]
    texts += [rep.surge_lines and "" or "", *rep.surge_lines]
    for cell in rep.headline_cells():
        texts += [cell["label"], cell["value"], cell["cue"].word if cell["cue"] else ""]
    for row in rep.outlook_rows:
        texts += [row["day"]]
    for fig in rep.charts.values():
        layout = fig.layout
        texts += [layout.title.text or "", layout.xaxis.title.text or ""]
        texts += [layout.yaxis.title.text or "", *(t.name or "" for t in fig.data)]
    text_values = [v for k, v in rep.text.items() if isinstance(v, str)]
    return texts + text_values


def _without_data(text: str, data) -> str:
    """Return ``text`` without the names the data brings (categories, regions, events)."""
    for name in [*data.movers["value"].astype(str), *data.events["name"].astype(str)]:
        text = text.replace(name, "")
    return re.sub(r"\{\w+\}", "", text)  # a template's placeholders are no words


def test_the_french_report_has_no_untranslated_message(week):
    data, _ = week
    french, english = report.compose(data, "fr"), report.compose(data, "en")
    same = {k for k, v in french.text.items() if isinstance(v, str) and v == english.text[k]}
    assert same <= {"source", "pts"}, same  # "Source" reads the same; " pts" differs in its space
    leftovers = {
        text: found
        for text in _words_of(french)
        if (found := ENGLISH.findall(_without_data(text, data)))
    }
    assert leftovers == {}
    page = report.to_html(french, {key: b"<svg/>" for key in french.charts})
    body = re.sub(r"<[^>]+>", " ", page.split("<body>")[1])
    assert not ENGLISH.findall(_without_data(html_unescape(body), data))
    # Formats are French too: a comma for decimals, weekday and month names.
    assert re.search(r"\d,\d\u00a0h", page) and "mars" in page and "lundi" in page


def html_unescape(text: str) -> str:
    import html

    return html.unescape(text)


@pytest.mark.parametrize(
    ("monday", "en", "fr"),
    [
        (date(2025, 12, 22), "Week 52, 22–28 December 2025", "Semaine 52, du 22 au 28 décembre 2025"),
        (date(2025, 3, 31), "Week 14, 31 March–6 April 2025", "Semaine 14, du 31 mars au 6 avril 2025"),
        (
            date(2025, 12, 29),
            "Week 1, 29 December 2025–4 January 2026",
            "Semaine 1, du 29 décembre 2025 au 4 janvier 2026",
        ),
    ],
)  # fmt: skip
def test_a_week_is_offered_with_its_number_and_dates(monday, en, fr):
    assert report.week_label(monday, "en") == en
    assert report.week_label(monday, "fr") == fr


def test_the_week_list_offers_only_weeks_with_tickets_of_the_selection(sample_db):
    narrow = report.Filters(regions=("Asia",), channels=("phone",), priorities=("urgent",))
    con = store.connect(sample_db)
    try:
        offered = report.weeks_with_tickets(con, "sample", TZ, narrow)
        every = report.report_weeks(metrics.source_span(con, "sample"), TZ)
        moved = []
        for code in every:
            sel = report.week_selection("sample", report.parse_week(code), TZ, filters=narrow)
            figures = metrics.overview(con, sel)
            if figures.created or figures.resolved:
                moved.append(code)
        unfiltered = report.weeks_with_tickets(con, "sample", TZ)
    finally:
        con.close()
    assert offered == moved  # newest first, as report_weeks lists them
    assert len(offered) < len(every)  # the narrow selection leaves weeks without a ticket
    assert unfiltered == every
    # The newest offered week makes a report; an empty week would have raised.
    assert offered[0] == max(offered)


def _headline(key, value, previous):
    kind = report.compose.__globals__["KINDS"][key]
    return report.Headline(key, key, kind, value, previous, None)


@pytest.mark.parametrize(
    ("key", "value", "previous", "arrow", "tone"),
    [
        ("resolved", 120, 100, "▲", "better"),
        ("resolved", 80, 100, "▼", "worse"),
        ("resolved", 5, 0, "▲", "better"),  # from zero: no percent, still a direction
        ("frt_median_h", 3.0, 2.0, "▲", "worse"),
        ("frt_p90_h", 10.0, 20.0, "▼", "better"),
        ("sla_pct", 80.0, 70.0, "▲", "better"),
        ("sla_pct", 70.0, 80.0, "▼", "worse"),
        ("backlog_open", 60, 50, "▲", "worse"),
        ("backlog_open", 40, 50, "▼", "better"),
        ("days_to_clear", 2.0, 1.0, "▲", "worse"),
        ("created", 120, 100, "▲", "neutral"),  # more tickets is neither good nor bad
        ("created", 80, 100, "▼", "neutral"),
        ("resolved", 1000, 1001, "=", "neutral"),  # -0.1 % shows as ±0 %
    ],
)
def test_cues_point_the_way_of_each_figure(week, key, value, previous, arrow, tone):
    data, _ = week
    words = {
        "en": {"better": "better", "worse": "worse"},
        "fr": {"better": "mieux", "worse": "moins bien"},
    }
    for lang in ("en", "fr"):
        cue = report.compose(data, lang).cue(_headline(key, value, previous))
        assert (cue.arrow, cue.tone) == (arrow, tone)
        if tone in words[lang]:
            assert cue.word == words[lang][tone]


def test_a_figure_without_a_previous_week_has_no_cue(week):
    rep = report.compose(week[0], "en")
    assert rep.cue(_headline("frt_median_h", 2.0, None)) is None


def test_the_html_report_colours_each_cue_by_its_figure(week):
    data, expected = week
    rep = report.compose(data, "en")
    page = report.to_html(rep, {key: b"<svg/>" for key in rep.charts})
    now, prev = expected["now"], expected["previous"]
    row = re.search(r'<tr data-key="backlog_open">(.*?)</tr>', page, re.S)[1]
    if round(100 * (now.backlog_open - prev.backlog_open) / prev.backlog_open):
        worse = now.backlog_open > prev.backlog_open
        assert ("cue-worse" if worse else "cue-better") in row
        assert ("▲" if worse else "▼") in row


def test_filters_change_the_report_figures_as_the_metrics_do(sample_db, week):
    everything, _ = week
    chosen = report.Filters(regions=("Europe", "France"), channels=("email",))
    con = store.connect(sample_db)
    try:
        data = report.collect(con, "sample", WEEK, None, TZ, load_settings(), False, chosen)
        sel = report.week_selection("sample", MONDAY, TZ, filters=chosen)
        expected = metrics.overview(con, sel)
        previous = metrics.overview(con, sel.previous())
        clear = metrics.days_to_clear(con, sel)
        quality = metrics.quality(con, sel)
        business = report.collect(
            con, "sample", WEEK, None, TZ, load_settings(), False,
            report.Filters(business_hours=True),
        )  # fmt: skip
        business_figures = metrics.overview(
            con,
            report.week_selection(
                "sample", MONDAY, TZ, filters=report.Filters(business_hours=True)
            ),
        )
    finally:
        con.close()
    assert data.now == expected and data.previous == previous
    assert data.clear == clear and data.quality == quality
    assert data.now.created < everything.now.created
    assert data.filters == chosen and data.region is None
    rep = report.compose(data, "en")
    assert "Region: Europe, France" in rep.subtitle and "Channel: email" in rep.subtitle
    assert {h.key: h.value for h in rep.headlines}["created"] == expected.created
    # The clock follows the sidebar: durations in business hours, said in the footnote.
    assert business.now == business_figures
    assert business.now.frt_median_h != everything.now.frt_median_h
    assert "Durations in business hours" in report.render.footnote(report.compose(business, "en"))
    assert "heures ouvrées" in report.compose(business, "fr").subtitle


def test_the_cli_speaks_french_when_asked_and_by_the_desk_default(
    sample_db, tmp_path, capsys, monkeypatch
):
    from analytics.cli import main

    args = ["report", "--db", str(sample_db), "--week", "2023-W05", "--out", str(tmp_path)]
    assert main([*args, "--lang", "fr"]) == 1
    assert "pas de données pour 2023-W05" in capsys.readouterr().err
    config = tmp_path / "radar.toml"
    config.write_text('[desk]\nlang = "fr"\n', encoding="utf-8")
    week = ["--week", "2024-W20"]
    # --config names the process's settings file; the variable is undone after the test.
    monkeypatch.setenv("BACKLOG_RADAR_CONFIG", str(config))
    assert main(["--config", str(config), *args[:3], *week, "--out", str(tmp_path)]) == 0
    written = Path(capsys.readouterr().out.strip())
    assert written.name.endswith("-fr.html")
    assert "Rapport hebdomadaire" in written.read_text(encoding="utf-8")
    assert main([*args[:3], *week, "--out", str(tmp_path), "--lang", "en"]) == 0
    assert capsys.readouterr().out.strip().endswith("-en.html")


def test_at_risk_prints_french_prose_and_english_json(sample_db, capsys):
    from analytics.cli import main

    base = ["at-risk", "--db", str(sample_db), "--within", "48", "--now", "2025-03-05T10:00:00Z"]
    assert main([*base, "--lang", "fr"]) == 0
    first = capsys.readouterr().out.splitlines()[0]
    assert re.match(r"\d+ tickets? à risque dans les 48 prochaines heures au ", first), first
    assert "déjà hors objectif" in first
    assert main([*base, "--json", "--lang", "fr"]) == 0
    french_json = capsys.readouterr().out
    assert main([*base, "--json", "--lang", "en"]) == 0
    assert capsys.readouterr().out == french_json


# --- the Weekly report page, under AppTest ---


@pytest.fixture
def report_app(sample_db, tmp_path, monkeypatch):
    from apptest import app_on

    yield from app_on(sample_db, tmp_path, monkeypatch)


def _report_page(at, **params):
    for name, value in params.items():
        at.query_params[name] = value
    at.run()
    at.switch_page("pages/weekly_report.py").run()
    assert not at.exception, at.exception
    return at


def test_the_page_offers_real_weeks_in_french_with_cues(report_app, sample_db):
    at = _report_page(report_app, lang="fr", tz="UTC")
    box = at.selectbox(key="report_week")
    con = store.connect(sample_db)
    try:
        weeks = report.weeks_with_tickets(con, "sample", "UTC")
    finally:
        con.close()
    assert box.options[0] == report.week_label(report.parse_week(weeks[0]), "fr")
    assert box.value == weeks[0] and box.options[0].startswith("Semaine ")
    assert any(h.value.startswith("Rapport hebdomadaire") for h in at.header)
    table = at.table[0].value
    assert table.index.name == "Indicateur"
    changes = " ".join(table.iloc[:, 1])
    assert re.search(r"[▲▼=] (mieux|moins bien|en hausse|en baisse|sans changement)", changes)
    # The colour is the cell's style: green for better, red for worse.
    styles = at.table[0].proto.arrow_data.styler.styles
    assert "#1a7f37" in styles or "#c62828" in styles
    assert "Aucun filtre dans la barre latérale" in " ".join(c.value for c in at.caption)


def test_the_page_applies_the_sidebar_filters_and_names_them(report_app, sample_db):
    at = _report_page(report_app, region="Asia", channel="phone", tz="UTC", lang="en")
    captions = " ".join(c.value for c in at.caption)
    assert "Sidebar filters applied: Region: Asia; Channel: phone." in captions
    week = at.selectbox(key="report_week").value
    con = store.connect(sample_db)
    try:
        chosen = report.Filters(regions=("Asia",), channels=("phone",))
        sel = report.week_selection("sample", report.parse_week(week), "UTC", filters=chosen)
        expected = metrics.overview(con, sel)
    finally:
        con.close()
    table = at.table[0].value
    assert table.loc["Tickets created"].iloc[0] == fmt_number(expected.created, "en")
