"""The translation catalogue is complete, and no text on screen bypasses it.

The catalogue check extracts the messages from the code as ``make messages``
does (Babel, the same keywords) and holds the French catalogue to them. The
scan reads the pages and the UI package: a string literal with words in it,
passed to a Streamlit element, is English that no French reader will see
translated.
"""

from __future__ import annotations

import ast
import re
import string
from datetime import date, datetime, timedelta
from html.parser import HTMLParser
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from analytics import i18n
from analytics.jobs import report_mail

ROOT = Path(__file__).resolve().parents[1]
KEYWORDS = {"_": None, "N_": None, "n_": (1, 2), "gettext": (2,), "ngettext": (2, 3)}
METHOD_MAP = [
    ("app.py", "python"),
    ("analytics/**.py", "python"),
    ("pages/**.py", "python"),
    ("ui/**.py", "python"),
    ("web/**.py", "python"),
]
# Streamlit elements that put their arguments on screen, called on st, the
# sidebar, a column, a tab, an expander or a form.
ELEMENTS = {
    "badge", "button", "caption", "checkbox", "columns", "data_editor", "date_input",
    "dialog", "download_button", "error", "expander", "file_uploader", "form_submit_button",
    "header", "info", "link_button", "markdown", "metric", "multiselect", "number_input",
    "page_link", "pills", "popover", "radio", "segmented_control", "select_slider",
    "selectbox", "slider", "spinner", "status", "subheader", "success", "tabs", "text",
    "text_area", "text_input", "time_input", "title", "toast", "toggle", "warning", "write",
    "Page", "TextColumn", "NumberColumn", "DatetimeColumn", "DateColumn", "LinkColumn",
    "ProgressColumn", "CheckboxColumn", "SelectboxColumn", "ListColumn", "Column",
}  # fmt: skip
# Arguments that never reach the screen as text.
NOT_SHOWN = {"key", "icon", "type", "mime", "file_name", "format", "width", "height", "on_change",
             "on_click", "args", "kwargs", "url", "page", "column_order", "selection_mode",
             "border", "gap", "vertical_alignment", "help_key", "anchor", "language",
             "placeholder_key", "delta_color", "delta_arrow", "label_visibility", "divider",
             "default", "disabled", "column_config", "hide_index", "use_container_width"}  # fmt: skip
# Keyword arguments of the app's own helpers that reach the screen.
SHOWN_KEYWORDS = {"label", "help", "placeholder", "empty_message", "title", "caption", "message"}
# Text that reads the same in every language: the product's name, language names.
SAME_IN_EVERY_LANGUAGE = {"Backlog Radar", "English", "Français", "CSV", "JSON", "p90", "SLA"}
WORDS = re.compile(r"[A-Za-z]{2,}")


def _extracted() -> dict[str, tuple]:
    found = {}
    for _filename, _lineno, message, _comments, _context in extract_from_dir(
        ROOT, METHOD_MAP, keywords=KEYWORDS
    ):
        found[message if isinstance(message, str) else message[0]] = message
    return found


def _french():
    with (i18n.LOCALE_DIR / "fr" / "LC_MESSAGES" / "messages.po").open("rb") as file:
        return read_po(file, locale="fr")


def _fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}


def test_every_message_has_a_french_translation():
    catalogue = _french()
    missing = []
    for msgid in _extracted():
        entry = catalogue.get(msgid)
        forms = entry.string if entry is not None else ""
        forms = forms if isinstance(forms, tuple) else (forms,)
        if entry is None or "fuzzy" in entry.flags or not all(forms):
            missing.append(msgid)
    assert not missing, f"{len(missing)} messages lack French (run make messages): {missing[:20]}"


def test_translations_keep_the_placeholders_of_their_message():
    wrong = []
    for entry in _french():
        if not entry.id or not entry.string:
            continue
        ids = entry.id if isinstance(entry.id, tuple) else (entry.id,)
        forms = entry.string if isinstance(entry.string, tuple) else (entry.string,)
        wanted = set().union(*(_fields(text) for text in ids))
        for form in forms:
            # A plural form may leave {n} out ("un ticket"), never add a field.
            if not _fields(form) <= wanted or not (wanted - {"n"}) <= _fields(form):
                wrong.append((entry.id, form))
    assert not wrong, wrong[:10]


def _has_words(node: ast.AST) -> bool:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        text = node.value
    elif isinstance(node, ast.JoinedStr):
        text = "".join(
            part.value
            for part in node.values
            if isinstance(part, ast.Constant) and isinstance(part.value, str)
        )
    elif isinstance(node, (ast.List, ast.Tuple)):
        return any(_has_words(item) for item in node.elts)
    elif isinstance(node, ast.BinOp):
        return _has_words(node.left) or _has_words(node.right)
    elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
        # "...".format(...) and "...".join(...) show their string; so does md_escape(...).
        return _has_words(node.func.value) or (
            node.func.attr == "md_escape" and any(_has_words(a) for a in node.args)
        )
    elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
        return node.func.id == "md_escape" and any(_has_words(a) for a in node.args)
    else:
        return False
    text = text.strip()
    # A page's script (st.Page, st.page_link) is a path, not words.
    if text in SAME_IN_EVERY_LANGUAGE or text.startswith(":material/") or text.endswith(".py"):
        return False
    return bool(WORDS.search(text))


def _is_logger(node: ast.AST) -> bool:
    """Return True for a module's logger: a name such as ``_log``, ``log`` or ``logger``."""
    return isinstance(node, ast.Name) and node.id.strip("_") in {"log", "logger"}


def _untranslated(path: Path) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if not isinstance(node, ast.Call):
            continue
        name = node.func.attr if isinstance(node.func, ast.Attribute) else None
        if name is not None and _is_logger(node.func.value):
            continue  # a log line (_log.warning) goes to the server's log, not the screen
        shown = list(node.args) if name in ELEMENTS else []
        # Options shown through format_func are codes; their labels are translated there.
        if any(keyword.arg == "format_func" for keyword in node.keywords):
            shown = shown[:1] + shown[2:]
            node.keywords = [k for k in node.keywords if k.arg != "options"]
        shown += [
            keyword.value
            for keyword in node.keywords
            if (name in ELEMENTS and keyword.arg not in NOT_SHOWN) or keyword.arg in SHOWN_KEYWORDS
        ]
        if isinstance(node.func, ast.Name) and node.func.id in {"_", "N_", "n_"}:
            # The message itself must be a literal Babel can find, not built at run time.
            if node.args and isinstance(node.args[0], (ast.JoinedStr, ast.BinOp)):
                found.append(f"{path.relative_to(ROOT)}:{node.lineno}: message built at run time")
            continue
        for argument in shown:
            if _has_words(argument):
                found.append(f"{path.relative_to(ROOT)}:{argument.lineno}: {ast.unparse(argument)}")
    return found


def _screen_files() -> list[Path]:
    return [
        ROOT / "app.py",
        *sorted((ROOT / "pages").glob("*.py")),
        *sorted((ROOT / "ui").glob("*.py")),
    ]


@pytest.mark.parametrize("path", _screen_files(), ids=lambda path: path.name)
def test_no_text_on_screen_bypasses_the_catalogue(path):
    found = _untranslated(path)
    assert not found, "English passed straight to Streamlit:\n" + "\n".join(found)


class _TemplateText(HTMLParser):
    """The text a template shows as it is, outside its expressions, styles and scripts."""

    def __init__(self) -> None:
        super().__init__()
        self.hidden, self.words = False, []

    def handle_starttag(self, tag, attrs) -> None:
        self.hidden = tag in ("style", "script")

    def handle_endtag(self, tag) -> None:
        self.hidden = False

    def handle_data(self, data) -> None:
        if not self.hidden and WORDS.search(data) and data.strip() not in SAME_IN_EVERY_LANGUAGE:
            self.words.append(data.strip())


def _template_words(template: str) -> list[str]:
    parser = _TemplateText()
    parser.feed(re.sub(r"{{.*?}}|{%.*?%}|{#.*?#}", "", template, flags=re.S))
    return [w for w in parser.words if w.strip("· ") not in SAME_IN_EVERY_LANGUAGE]


def test_the_reports_templates_hold_no_words_of_their_own():
    templates = [
        path.read_text(encoding="utf-8")
        for path in (ROOT / "analytics" / "report" / "templates").glob("*.j2")
    ]
    templates.append(report_mail.MAIL_TEMPLATE)
    assert len(templates) >= 2
    assert [words for t in templates if (words := _template_words(t))] == []
    assert _template_words("<p>{{ t.title }}</p><p>Headline figures</p>") == ["Headline figures"]


def test_the_scan_finds_english_passed_straight_to_streamlit(tmp_path):
    page = tmp_path / "page.py"
    page.write_text(
        'st.caption("Data up to Friday")\n'
        'left.metric(f"Open {n} tickets", 3)\n'
        'st.button(_("Import"), key="go", icon=":material/upload:")\n'
        'st.caption(f"{a} / {b}")\n'
        'st.info(_(f"No {thing}"))\n'
        'st.warning(ui.md_escape(f"A store at {old}"))\n'
        'st.caption("Up to {day}".format(day=d))\n'
        '_log.warning("the store could not be read at start")\n'
        'log.warning("A store at %s", old)\n'
        'status.warning("Partly imported")\n'
    )
    global ROOT
    root, ROOT = ROOT, tmp_path
    try:
        found = _untranslated(page)
    finally:
        ROOT = root
    assert sorted(int(line.split(":")[1]) for line in found) == [1, 2, 5, 6, 7, 10]


def test_numbers_and_dates_follow_the_language():
    assert i18n.number(12345, "en") == "12,345"
    assert i18n.number(12345, "fr") == "12\u202f345"
    assert i18n.hours(3.5, "fr") == "3,5\u00a0h"
    assert i18n.percent(65.2, "fr", 1) == "65,2\u00a0%"
    assert i18n.percent(-0.04, "en") == "0%"
    assert i18n.signed(-0.04, "en", unit="%") == "±0%"
    assert i18n.long_date(date(2026, 9, 7), "fr") == "lundi 7 septembre 2026"
    assert i18n.long_date(date(2026, 9, 7), "en") == "Monday 7 September 2026"
    assert i18n.date_time(datetime(2026, 1, 2, 14, 5), "en") == "Friday 2 January 2026, 14:05"
    assert i18n.ago(timedelta(days=3, hours=2), "fr") == "il y a 3 jours"
    assert i18n.weekday_names("fr")[0] == "lundi"


def test_french_spaces_its_punctuation_but_not_a_clock_or_an_address():
    text = i18n.punctuate("Données : à jour ! Mise à jour à 14:05 ; voir https://example.org", "fr")
    assert text == (
        "Données\u202f: à jour\u202f! Mise à jour à 14:05\u202f; voir https://example.org"
    )
    assert i18n.punctuate("Data: ok", "en") == "Data: ok"


def test_a_plural_follows_the_language_rule():
    # French counts 0 and 1 as singular, English only 1.
    assert i18n.ngettext("en", "{n} agent", "{n} agents", 0) == "{n} agents"
    french = i18n.translations("fr").plural
    assert (french(0), french(1), french(2)) == (0, 0, 1)


def test_a_browser_tag_picks_the_language():
    assert i18n.lang_of("fr-FR") == "fr"
    assert i18n.lang_of("de-DE,fr;q=0.8,en;q=0.5") == "fr"
    assert i18n.lang_of("de-DE") is None
    assert i18n.lang_of(None) is None
