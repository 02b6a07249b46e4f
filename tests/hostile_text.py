"""A store whose every name is hostile text (tests/hostile/hostile_names.csv).

The source, its regions, teams, channels, categories, priorities, some ticket
ids, and an event's name and notes all come from the corpus, so every page
draws them somewhere. Each name must show as the characters typed: no bold,
link, image, code, LaTeX, colour, icon or emoji, and no request to
evil.example.
"""

from __future__ import annotations

import csv
import random
import re
from datetime import datetime, timedelta
from pathlib import Path

from analytics import events, ingest, store
from analytics.settings import load_settings

CORPUS_FILE = Path(__file__).parent / "hostile" / "hostile_names.csv"
# A name far longer than any label: it must wrap or cut, never break a page.
LONG_NAME = " ".join(["**long**"] * 40)
with CORPUS_FILE.open(encoding="utf-8", newline="") as _handle:
    NAMES: list[str] = [row["Category"] for row in csv.DictReader(_handle)] + [LONG_NAME]

SOURCE = "[login](https://evil.example/login)"
REGIONS = ["**bold**", "![x](https://evil.example/x.png)", ":red[alert]", "www.evil.example"]
TEAMS = ["https://evil.example", "<img src=x onerror=alert(1)>", "$\\LaTeX$"]
CHANNELS = ["mail@evil.example", ":smile: :+1:"]
CATEGORIES = [
    ":material/warning:",
    "`code` and ``` fence",
    "a | b | c",
    "# heading",
    "_under_ ~~strike~~",
    "\u202eevil\u202c right to left",
    "<script>alert(1)</script>",
    LONG_NAME,
]
PRIORITIES = ["<https://evil.example/angle>", "urgent"]
# A region with one ticket, in the first week: later weeks have no report for it.
RARE_REGION = "**rare** [x](https://evil.example/rare)"
FORMULA_IDS = ['=HYPERLINK("https://evil.example","click")', "+cmd|' /C calc'!A0"]
EVENT_NAME = "![x](https://evil.example/launch.png) **launch**"
EVENT_NOTES = "[notes](https://evil.example/notes) www.evil.example"

# Words inside the corpus's markup: drawn markup holding one was drawn from the data.
MARKERS = ("bold", "login", "evil", "alert(", "latex", "code", "heading", "under", "strike",
           "smile", "+1", "warning", "red[", "launch", "long", "script", "rare")  # fmt: skip


def write_store(db: Path, days: int = 70) -> Path:
    """Write ``db``: one source of tickets named from the corpus, and one event; return ``db``.

    Arrivals climb through the period and half the tickets stay open, so the
    forecast sees surges in every region, and the formula-named tickets,
    never answered, are the slowest.
    """
    rng = random.Random(18)
    start = datetime(2026, 6, 1)
    path = db.with_suffix(".csv")
    with path.open("w", newline="", encoding="utf-8") as handle:
        out = csv.writer(handle)
        out.writerow(["id", "created", "first", "resolved", "region", "team", "channel",
                      "category", "priority"])  # fmt: skip
        out.writerow(["rare-1", start.isoformat(), "", "", RARE_REGION, TEAMS[0], CHANNELS[0],
                      CATEGORIES[0], PRIORITIES[0]])  # fmt: skip
        for ticket_id in FORMULA_IDS:
            out.writerow([ticket_id, start.isoformat(), "", "", REGIONS[0], TEAMS[0],
                          CHANNELS[0], CATEGORIES[0], PRIORITIES[0]])  # fmt: skip
        n = 0
        for day in range(days):
            for _ in range(20 + day):
                created = start + timedelta(days=day, minutes=rng.randint(0, 24 * 60 - 1))
                first = created + timedelta(hours=rng.expovariate(1 / 5))
                resolved = first + timedelta(hours=rng.expovariate(1 / 20))
                out.writerow([f"T{n}", created.isoformat(), first.isoformat(),
                              resolved.isoformat() if rng.random() < 0.5 else "",
                              rng.choice(REGIONS), rng.choice(TEAMS), rng.choice(CHANNELS),
                              rng.choice(CATEGORIES), rng.choice(PRIORITIES)])  # fmt: skip
                n += 1
    con = store.connect(db)
    try:
        ingest.import_file(
            con,
            path,
            source=SOURCE,
            preset="generic",
            mapping={"ticket_id": "id", "created_at": "created", "first_response_at": "first",
                     "resolved_at": "resolved", "region": "region", "team": "team",
                     "channel": "channel", "category": "category", "priority": "priority"}, settings=load_settings(),
        )  # fmt: skip
        calendar = db.with_name("events.csv")
        with calendar.open("w", newline="", encoding="utf-8") as handle:
            out = csv.writer(handle)
            out.writerow(["name", "kind", "region", "start", "end", "notes"])
            out.writerow([EVENT_NAME, "product launch", "all", "2026-07-01", "2026-07-07",
                          EVENT_NOTES])  # fmt: skip
        events.import_events_csv(con, calendar)
    finally:
        con.close()
    return db


_ESCAPE = re.compile(r"\\(.)", re.S)
# Read from the text with its backslash escapes hidden: syntax only a live character starts.
_SYNTAX = {
    "bold or emphasis": re.compile(r"(\*\*?|__?)[^\s*_](.*?[^\s])?\1"),
    "link": re.compile(r"\[[^\]]*\]\([^)]*\)?"),
    "image": re.compile(r"!\[[^\]]*\]\([^)]*\)?"),
    "code": re.compile(r"`[^`]+`"),
    "LaTeX": re.compile(r"\$[^$]+\$"),
    "strikethrough": re.compile(r"~~.+?~~"),
    "HTML or angle link": re.compile(r"<[A-Za-z/!][^>]*>?"),
    "colour or directive": re.compile(r":[a-z-]+\[[^\]]*\]?"),
    "heading": re.compile(r"(?m)^ {0,3}#{1,6} .*"),
}
# Read from the text once the renderer has consumed the escapes: what it finds in plain text.
_TEXT = {
    "autolink": re.compile(r"(?i)https?://|www\.|[\w.+-]+@[\w-]+\.\w"),
    "shortcode": re.compile(r":[\w+-]+:|:material/\w+:"),
    # Not markup, but it turns the sentence around the name backwards on screen.
    "bidirectional control": re.compile("[\u202a-\u202e\u2066-\u2069]"),
}


def live_markup(text: str) -> list[tuple[str, str]]:
    """Return what a GitHub-flavoured Markdown renderer (with Streamlit's extras) would draw.

    ``(kind, the text it covers)`` pairs, from a model of the renderer kept
    to what the corpus exercises: syntax written with unescaped characters,
    and the links and shortcodes the renderer finds in the text once it has
    read the escapes. Empty for text that renders as the characters typed.
    """
    # The escaped character itself stays in ``plain``; in ``hidden`` it is a NUL,
    # at the same position, so no pattern can start or end on it.
    plain = _ESCAPE.sub(r"\1", text)
    hidden = _ESCAPE.sub("\x00", text)
    found = [
        (kind, plain[m.start() : m.end()])
        for kind, pattern in _SYNTAX.items()
        for m in pattern.finditer(hidden)
    ]
    return found + [
        (kind, plain[m.start() : m.end() + 24])
        for kind, pattern in _TEXT.items()
        for m in pattern.finditer(plain)
    ]


def drawn_from_data(text: str) -> list[tuple[str, str]]:
    """Return the markup of :func:`live_markup` that holds a word of the corpus."""
    return [(kind, snippet) for kind, snippet in live_markup(text)
            if any(marker in snippet.lower() for marker in MARKERS)]  # fmt: skip
