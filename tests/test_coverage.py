"""A metric whose input the source lacks reads "not in this source", never a failure.

NYC 311 exports record when a request closed, never when it was first
answered: their SLA is not 0 %, and their tickets are not "not answered".
"""

from __future__ import annotations

import json
import re

import exports
import pytest
from apptest import app_on, open_page
from conftest import NYC311
from streamlit.testing.v1 import AppTest

from analytics import coverage, report, settings, store

NYC = "nyc311_2023-02-28"
NYC_REASON = (
    "This source has no first-response times: its export format "
    "(NYC 311-style open-data service requests) does not record them."
)

needs_nyc = pytest.mark.skipif(
    not NYC311.exists(), reason="../shared/realdata is not beside the repo"
)


@pytest.fixture(scope="module")
def nyc_db(tmp_path_factory):
    db = tmp_path_factory.mktemp("coverage") / "nyc.sqlite"
    con = store.connect(db)
    exports.import_(con, NYC311)
    con.close()
    return db


def test_a_source_lacking_an_input_says_which_and_why(tmp_path):
    con = store.connect()
    answered = exports.write_csv(
        tmp_path / "answered.csv",
        ["Id", "Created", "First", "Solved"],
        [["1", "2026-03-02 09:00", "2026-03-02 10:00", ""],
         ["2", "2026-03-02 11:00", "", "2026-03-03 09:00"]],
    )  # fmt: skip
    unanswered = exports.write_csv(
        tmp_path / "unanswered.csv",
        ["Id", "Created", "First", "Solved"],
        [["1", "2026-03-02 09:00", "", ""], ["2", "2026-03-02 11:00", "", ""]],
    )
    mapping = {"ticket_id": "Id", "created_at": "Created", "first_response_at": "First",
               "resolved_at": "Solved"}  # fmt: skip
    for path in (answered, unanswered):
        exports.import_(con, path, source=path.stem, preset="generic", mapping=mapping)
    # One ticket with each input is enough: it is the source that records it.
    assert coverage.missing_inputs(con, "answered") == {}
    assert coverage.missing_inputs(con, "unanswered") == {
        "first_response": "This source has no first-response times: "
        "none of its imported tickets has one.",
        "resolution": "This source has no resolution times: none of its imported tickets has one.",
        "done": "This source has no resolution or closing times: "
        "none of its imported tickets has one.",
    }
    assert coverage.missing_inputs(con, "no such source") == {}


def test_a_source_that_only_closes_tickets_has_a_backlog_but_no_resolution_times(tmp_path):
    con = store.connect()
    closed = exports.write_csv(
        tmp_path / "closed.csv",
        ["Id", "Created", "First", "Closed"],
        [["1", "2026-03-02 09:00", "2026-03-02 10:00", "2026-03-04 09:00"]],
    )
    mapping = {"ticket_id": "Id", "created_at": "Created", "first_response_at": "First",
               "closed_at": "Closed"}  # fmt: skip
    exports.import_(con, closed, source="closed", preset="generic", mapping=mapping)
    assert list(coverage.missing_inputs(con, "closed")) == ["resolution"]


@needs_nyc
def test_an_nyc311_source_has_no_first_response_because_of_its_format(nyc_db):
    con = store.connect(nyc_db)
    try:
        assert coverage.missing_inputs(con, NYC) == {"first_response": NYC_REASON}
    finally:
        con.close()


@needs_nyc
@pytest.mark.parametrize("lang", ["en", "fr"])
def test_the_report_file_leaves_out_what_the_source_lacks(nyc_db, lang):
    con = store.connect(nyc_db)
    try:
        data = report.collect(
            con,
            NYC,
            "2023-W09",
            None,
            "America/New_York",
            settings.load_settings(),
            with_forecast=False,
        )
    finally:
        con.close()
    rep = report.compose(data, lang)
    cells = {cell["key"]: cell["value"] for cell in rep.headline_cells()}
    absent = rep.text["not_in_source"]
    assert [k for k, v in cells.items() if v == absent] == ["frt_median_h", "frt_p90_h", "sla_pct"]
    keys = [sentence.key for sentence in rep.sentences]
    assert "missing_first_response" in keys and "sla" not in keys
    assert "first_response" not in rep.charts
    html = report.to_html(rep)
    assert html.count(absent) == 3


@pytest.fixture
def app(nyc_db, tmp_path, monkeypatch):
    yield from app_on(nyc_db, tmp_path, monkeypatch)


def open_nyc_page(at: AppTest, page: str) -> AppTest:
    open_page(at, page)
    assert not at.exception, at.exception
    return at


def chart_specs(at: AppTest) -> list[dict]:
    return [json.loads(node.proto.spec) for node in at.get("plotly_chart")]


def as_read(markdown: str) -> str:
    """Return Markdown text as a person reads it (escapes resolved, zero-width spaces gone)."""
    return re.sub(r"\\(.)", r"\1", markdown).replace("\u200b", "")


def shown(at: AppTest) -> str:
    """Return every text of the run as a person reads it."""
    texts = [e.value for kind in ("markdown", "caption", "info", "warning") for e in at.get(kind)]
    texts += [f"{m.label}: {m.value}" for m in at.metric]
    for table in at.table:
        texts += [str(v) for v in table.value.reset_index().to_numpy().ravel()]
    return as_read("\n".join(texts))


@needs_nyc
def test_overview_cards_without_first_responses_read_not_in_this_source(app):
    at = open_nyc_page(app, "pages/overview.py")
    cards = {m.label: m for m in at.metric}
    for label in ("Median first response", "p90 first response", "SLA attainment",
                  "Awaiting first response"):  # fmt: skip
        assert (cards[label].value, cards[label].delta) == ("—", "not in this source")
        assert as_read(cards[label].proto.help) == NYC_REASON
    assert "0.0%" not in [m.value for m in at.metric]
    # Closing is recorded: what depends only on it is shown.
    for label in ("Tickets resolved", "Backlog now", "Median resolution"):
        assert cards[label].value not in ("—", "-", "0")
    assert NYC_REASON in shown(at)


@needs_nyc
def test_response_times_without_first_responses_show_resolution_only(app):
    at = open_nyc_page(app, "pages/response_times.py")
    assert "First response time: not in this source." in shown(at)
    assert [control.label for control in at.main.segmented_control] == ["Trend by"]
    specs = chart_specs(at)
    titles = [spec["layout"]["title"]["text"] for spec in specs]
    assert titles == ["Resolution time, median and p90 (by creation date)"]
    assert "not answered" not in json.dumps(specs)
    assert not at.get("download_button") or all(
        "slowest" not in b.proto.label for b in at.get("download_button")
    )
    # One week of tickets: a marker on a week's axis, not an axis of milliseconds.
    (trend,) = specs
    low, high = trend["layout"]["xaxis"]["range"]
    assert high[:10] > low[:10]


@needs_nyc
def test_backlog_without_first_responses_draws_no_awaiting_line(app):
    at = open_nyc_page(app, "pages/backlog.py")
    assert NYC_REASON in shown(at)
    names = [trace.get("name") for spec in chart_specs(at) for trace in spec["data"]]
    assert "Open" in names
    assert "Awaiting first response" not in names
    at.session_state["backlog_heatmap"] = "First response by arrival hour"
    at.run()
    assert "First response: not in this source." in shown(at)


@needs_nyc
def test_weekly_report_without_first_responses_says_so(app):
    at = open_nyc_page(app, "pages/weekly_report.py")
    at.selectbox(key="report_week").set_value("2023-W09").run()
    assert not at.exception, at.exception
    figures = at.table[0].value
    values = {
        as_read(k): as_read(v) for k, v in zip(figures.index, figures.iloc[:, 0], strict=True)
    }
    assert values["Median first response"] == "not in this source"
    assert values["SLA attainment (6\xa0h target)"] == "not in this source"
    assert NYC_REASON in shown(at)
    assert "0.0%" not in shown(at)
    titles = [spec["layout"]["title"]["text"] for spec in chart_specs(at)]
    assert not any("First response" in title for title in titles)
