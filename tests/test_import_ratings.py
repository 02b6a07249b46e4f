"""Satisfaction ratings: read from ticket exports and survey files, written beside the tickets."""

from __future__ import annotations

import csv
from datetime import UTC, date, datetime
from pathlib import Path

import exports
import pytest
from exports import import_, write_csv

from analytics import access, cli, snapshots, store
from analytics.ingest import ImportFailed

HEADER = ["Ticket", "Opened", "Rating"]
MAPPING = {"ticket_id": "Ticket", "created_at": "Opened", "csat_score": "Rating"}
SURVEY_MAPPING = {"ticket_id": "Ticket", "csat_score": "Rating"}
ADMIN = access.User("alice", "admin", "local")


@pytest.fixture
def con(tmp_path):
    con = store.connect(tmp_path / "s.sqlite")
    yield con
    con.close()


def ratings(con, source: str = "desk") -> dict[str, tuple]:
    """Return ticket_id -> (csat_score rounded, csat_raw, csat_at) for one source."""
    rows = con.execute(
        "select ticket_id, round(csat_score, 2), csat_raw, csat_at from ratings "
        "where source = ? order by ticket_id",
        [source],
    ).fetchall()
    return {tid: (score, raw, at) for tid, score, raw, at in rows}


def tickets_file(tmp_path: Path, answers: list[str], name: str = "tickets.csv") -> Path:
    """Write tickets T-1..T-n, ticket i answering ``answers[i - 1]``."""
    rows = [[f"T-{i}", f"2024-03-{i:02d} 09:00:00", a] for i, a in enumerate(answers, 1)]
    return write_csv(tmp_path / name, HEADER, rows)


def survey_file(tmp_path: Path, name: str, rows: list[list[str]]) -> Path:
    return write_csv(tmp_path / name, ["Ticket", "Rating"], rows)


@pytest.mark.parametrize(
    ("answers", "scale", "expected"),
    [
        (["Good", "Bad"], None, [100, 0]),
        (["good ", "BAD"], None, [100, 0]),
        (["Satisfied", "Unsatisfied"], None, [100, 0]),
        (["happy", "unhappy"], None, [100, 0]),
        (["Positive", "Negative"], None, [100, 0]),
        (["bon", "mauvais", "satisfait", "insatisfait"], None, [100, 0, 100, 0]),
        (["Happy", "Neutral", "Unhappy"], None, [100, 50, 0]),
        (
            ["Extremely happy", "Happy", "Neutral", "Unhappy", "Extremely unhappy"],
            None,
            [100, 75, 50, 25, 0],
        ),
        (["1", "3", "5"], None, [0, 50, 100]),
        (["4", "5"], None, [75, 100]),
        (["4,5"], None, [87.5]),
        (["1", "10", "4"], None, [0, 100, 33.33]),
        (["4", "5"], 10, [33.33, 44.44]),
        (["5"], 100, [5]),
        (["80", "100", "0"], None, [80, 100, 0]),
        (["72.5"], None, [72.5]),
        (["Good", "Offered", "Not Offered", "Unoffered", ""], None, [100, None, None, None, None]),
    ],
)
def test_answers_are_stored_as_scores_from_0_to_100(con, tmp_path, answers, scale, expected):
    path = tickets_file(tmp_path, answers)
    report = import_(con, path, source="desk", preset="generic", mapping=MAPPING, csat_scale=scale)
    assert report.rows_rejected == 0
    stored = ratings(con)
    got = [stored.get(f"T-{i}", (None,))[0] for i in range(1, len(answers) + 1)]
    assert got == expected
    assert report.ratings_written == sum(e is not None for e in expected)
    # The raw answer is kept beside the score.
    assert all(
        stored[f"T-{i}"][1] == a.strip() for i, a in enumerate(answers, 1) if f"T-{i}" in stored
    )


@pytest.mark.parametrize(
    ("answers", "scale", "reasons"),
    [
        (["Good", "meh"], None, ["unreadable csat_score: meh"]),
        (["3", "7"], 5, ["csat_score outside 1-5: 7"]),
        (["80", "150"], None, ["csat_score outside 0-100: 150"]),
    ],
)
def test_an_unreadable_answer_rejects_its_row_with_the_reason(
    con, tmp_path, answers, scale, reasons
):
    report = import_(
        con,
        tickets_file(tmp_path, answers),
        source="desk",
        preset="generic",
        mapping=MAPPING,
        csat_scale=scale,
    )
    assert [r.reason for r in report.rejects] == reasons
    assert report.rows_rejected == 1
    assert list(ratings(con)) == ["T-1"]
    assert con.execute("select count(*) from tickets").fetchone()[0] == 1


def test_an_unknown_rating_scale_is_refused(con, tmp_path):
    with pytest.raises(ImportFailed, match="rating scale must be 5, 10 or 100"):
        import_(
            con,
            tickets_file(tmp_path, ["4"]),
            source="desk",
            preset="generic",
            mapping=MAPPING,
            csat_scale=7,
        )


def _with_columns(path: Path, values: dict[str, list[str]]) -> Path:
    """Rewrite a CSV with extra columns (or refilled ones), one value per data row."""
    with path.open(encoding="utf-8", newline="") as fh:
        table = list(csv.reader(fh))
    header, rows = table[0], table[1:]
    for column, cells in values.items():
        if column not in header:
            header.append(column)
            for row in rows:
                row.append("")
        at = header.index(column)
        for row, cell in zip(rows, cells, strict=True):
            row[at] = cell
    return write_csv(path, header, rows)


def test_a_zendesk_export_with_satisfaction_imports_its_ratings(con, tmp_path):
    path = _with_columns(
        exports.zendesk(tmp_path),
        {
            "Satisfaction Score": ["Good", "Offered", "Bad"],
            "Satisfaction Comment": ["Quick and kind", "", "Still broken"],
        },
    )
    report = import_(con, path, source="zd")
    assert report.preset == "zendesk"
    assert report.mapping["csat_score"] == "Satisfaction Score"
    assert "Satisfaction Comment" not in report.mapping.values()
    assert report.ratings_written == 2
    assert ratings(con, "zd") == {"101": (100.0, "Good", None), "103": (0.0, "Bad", None)}
    assert "Quick and kind" not in exports.stored_text(con)
    # The metric queries' copy of the tickets carries them.
    assert (
        con.execute(
            "select count(*) from tickets join ratings using (source, ticket_id) where source = 'zd'"
        ).fetchone()[0]
        == 2
    )


def test_jira_satisfaction_and_its_date_are_read(con, tmp_path):
    path = _with_columns(
        exports.jira(tmp_path),
        {"Satisfaction": ["4", ""], "Satisfaction date": ["13/Mar/24 10:00 AM", ""]},
    )
    report = import_(con, path, source="jira", tz="UTC")
    assert report.preset == "jira"
    assert ratings(con, "jira") == {"SUP-1": (75.0, "4", datetime(2024, 3, 13, 10, 0, tzinfo=UTC))}


def test_freshdesk_survey_results_read_on_its_five_point_scale(con, tmp_path):
    path = _with_columns(
        exports.freshdesk(tmp_path), {"Survey Results": ["Extremely happy", "Happy"]}
    )
    import_(con, path, source="fd")
    assert ratings(con, "fd") == {
        "2001": (100.0, "Extremely happy", None),
        "2002": (75.0, "Happy", None),
    }


def test_a_survey_file_rates_stored_tickets_and_rejects_unknown_ids(con, tmp_path):
    import_(
        con,
        tickets_file(tmp_path, ["Good", "", ""]),
        source="desk",
        preset="generic",
        mapping=MAPPING,
    )
    tickets_before = exports.tickets(con, "desk")
    survey = survey_file(tmp_path, "survey.csv", [["T-1", "Bad"], ["T-2", "Good"], ["T-9", "Good"]])
    report = import_(con, survey, source="desk", preset="generic", mapping=SURVEY_MAPPING)
    assert report.tickets == report.rows_inserted == 0
    assert report.ratings_written == 2
    assert [(r.line, r.reason) for r in report.rejects] == [(4, "no ticket T-9 in source desk")]
    assert ratings(con) == {"T-1": (0.0, "Bad", None), "T-2": (100.0, "Good", None)}
    # Tickets are untouched by a survey.
    assert exports.tickets(con, "desk") == tickets_before


def test_reimporting_a_survey_changes_nothing(con, tmp_path):
    import_(
        con, tickets_file(tmp_path, ["", "", ""]), source="desk", preset="generic", mapping=MAPPING
    )
    survey = survey_file(tmp_path, "survey.csv", [["T-1", "4"], ["T-2", "2"]])
    import_(con, survey, source="desk", preset="generic", mapping=SURVEY_MAPPING)
    before = con.execute("select * from ratings order by all").fetchall()
    again = import_(con, survey, source="desk", preset="generic", mapping=SURVEY_MAPPING)
    assert again.ratings_written == 0
    assert con.execute("select * from ratings order by all").fetchall() == before


def test_undoing_a_survey_puts_the_ratings_back(con, tmp_path):
    import_(
        con,
        tickets_file(tmp_path, ["Good", "", ""]),
        source="desk",
        preset="generic",
        mapping=MAPPING,
    )
    first = con.execute("select * from ratings order by all").fetchall()
    survey = survey_file(tmp_path, "survey.csv", [["T-1", "Bad"], ["T-3", "Good"]])
    report = import_(con, survey, source="desk", preset="generic", mapping=SURVEY_MAPPING)
    undone = snapshots.undo_import(con, report.import_id, actor=ADMIN)
    assert undone.ratings_undone == 2
    assert con.execute("select * from ratings order by all").fetchall() == first
    assert len(exports.tickets(con, "desk")) == 3


def test_undoing_a_ticket_import_removes_its_ratings(con, tmp_path):
    report = import_(
        con,
        tickets_file(tmp_path, ["Good", "Bad"]),
        source="desk",
        preset="generic",
        mapping=MAPPING,
    )
    snapshots.undo_import(con, report.import_id, actor=ADMIN)
    assert ratings(con) == {}


def test_deleting_a_source_deletes_its_ratings_and_no_other(con, tmp_path):
    for source in ("desk", "other"):
        import_(
            con,
            tickets_file(tmp_path, ["Good", "Bad"], name=f"{source}.csv"),
            source=source,
            preset="generic",
            mapping=MAPPING,
        )
    store.delete_source(con, "desk", actor=ADMIN)
    assert ratings(con) == {} and len(ratings(con, "other")) == 2
    # imported again without answers, the source has no ratings back from before
    import_(con, tickets_file(tmp_path, ["", ""]), source="desk", preset="generic", mapping=MAPPING)
    assert ratings(con) == {}


def test_a_failed_write_leaves_tickets_and_ratings_as_they_were(con, tmp_path, monkeypatch):
    import_(
        con,
        tickets_file(tmp_path, ["Good", "Bad"]),
        source="desk",
        preset="generic",
        mapping=MAPPING,
    )
    before = exports.table_dump(con)
    real = store.load_sql

    def broken(name):
        # By then the changed ratings are deleted: the rollback must bring them back.
        if name == "import_ratings_insert":
            return real(name).replace("insert into ratings", "insert into no_such_table")
        return real(name)

    monkeypatch.setattr(store, "load_sql", broken)
    newer = tickets_file(tmp_path, ["Bad", "Good", "Good"], name="newer.csv")
    with pytest.raises(ImportFailed, match="no_such_table"):
        import_(con, newer, source="desk", preset="generic", mapping=MAPPING)
    assert exports.table_dump(con) == before


def test_the_command_line_imports_a_survey_file(con, tmp_path, capsys):
    db = tmp_path / "cli.sqlite"
    path = tickets_file(tmp_path, ["", ""])
    args = ["--db", str(db), "--source", "desk", "--preset", "generic"]
    assert (
        cli.main(
            ["import", str(path), *args, "--map", "ticket_id=Ticket", "--map", "created_at=Opened"]
        )
        == 0
    )
    survey = survey_file(tmp_path, "survey.csv", [["T-2", "Good"], ["T-7", "Bad"]])
    code = cli.main(
        ["import", str(survey), *args, "--map", "ticket_id=Ticket", "--map", "csat_score=Rating"]
    )
    out = capsys.readouterr().out
    assert code == 0
    assert "no ticket T-7 in source desk" in out
    assert "wrote 1 new or changed" in out
    other = store.connect(db)
    try:
        assert ratings(other) == {"T-2": (100.0, "Good", None)}
    finally:
        other.close()


@pytest.fixture(scope="module")
def sample(sample_desk):
    files = sample_desk(start=date(2024, 1, 1), years=1.0, scale=0.2, seed=29)
    con = store.connect()
    report = import_(con, files.tickets_csv, source="sample")
    yield con, files, report
    con.close()


def test_the_sample_export_carries_zendesk_satisfaction_answers(sample):
    con, files, report = sample
    with files.tickets_csv.open(encoding="utf-8", newline="") as fh:
        answers = {row["Satisfaction Score"] for row in csv.DictReader(fh)}
    assert answers == {"Good", "Bad", "Offered", ""}
    assert report.rows_rejected == 0
    solved, rated = con.execute(
        "select count(*), count(ratings.ticket_id) from tickets "
        "left join ratings using (source, ticket_id) where status in ('solved', 'closed')"
    ).fetchone()
    assert report.ratings_written == rated
    assert 0.2 < rated / solved < 0.3


def test_in_the_sample_good_ratings_are_rarer_after_slow_first_replies(sample):
    con, _, _ = sample
    shares = dict(
        con.execute(
            """
            select
                case when first_response_s < 3600 then 'fast' when first_response_s > 86400 then 'slow' end,
                avg(case when csat_score = 100 then 1.0 else 0.0 end)
            from ratings join tickets using (source, ticket_id)
            group by 1
            """
        ).fetchall()
    )
    assert shares["fast"] > 0.85
    assert shares["slow"] < 0.6
