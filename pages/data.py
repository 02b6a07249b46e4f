"""Data: upload helpdesk exports, check how they map, import them; list and delete sources;
the store's recent changes, and undoing an import."""

import contextlib
import shutil
import tempfile
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

import pandas as pd
import streamlit as st

import ui
from analytics import access, access_words, exports, ingest, store
from analytics.canonical import FIELD_LABELS, FLAG_LABELS, MAPPABLE_FIELDS
from analytics.ingest import ALL_PRESETS
from ui import N_, _, n_

# The colours of the headers' dividers.
SECTION, SUBSECTION = "blue", "gray"
# Option codes of the reading choices; each is shown in words (CHOICES).
DETECT = "(detect)"
NOT_MAPPED = "(not mapped)"
ENCODINGS = [DETECT, "utf-8", "cp1252", "latin-1", "utf-16"]
DELIMITERS = {DETECT: None, "comma": ",", "semicolon": ";", "tab": "\t", "pipe": "|"}
DATE_ORDERS = [DETECT, "dmy", "mdy"]
CHOICES = {
    DETECT: N_("(detect)"),
    NOT_MAPPED: N_("(not mapped)"),
    "comma": N_("comma"),
    "semicolon": N_("semicolon"),
    "tab": N_("tab"),
    "pipe": N_("pipe"),
    "dmy": N_("day first (dmy)"),
    "mdy": N_("month first (mdy)"),
}
# How the import's preview names its columns and its actions.
PREVIEW_LABELS = {
    **FIELD_LABELS,
    "csat_raw": N_("Rating as written"),
    "flags": N_("Flags"),
    "action": N_("Action"),
}
ACTIONS = {"insert": N_("new"), "update": N_("updated"), "unchanged": N_("unchanged")}
REJECT_LABELS = {"line": N_("Line"), "reason": N_("Reason"), "raw": N_("Row as read")}
SOURCE_LABELS = {
    "source": N_("Source"),
    "tickets": N_("Tickets"),
    "open_tickets": N_("Open"),
    "first_created_at": N_("First created"),
    "last_created_at": N_("Last created"),
    "imports": N_("Imports"),
    "last_import_at": N_("Last import"),
}

st.title(_("Data"))
selection = ui.selection()  # the shared sidebar, so the source picker reflects imports
if st.session_state.pop("show_kept_source", False):
    # "Show <source>" was clicked: the sidebar has just taken that source.
    st.switch_page("pages/overview.py")
user = ui.current_user()
shown_tz = selection.tz if selection else ui.settings().default_tz
st.caption(
    _(
        "Import ticket exports from Zendesk, Freshdesk, Jira Service Management, ServiceNow, "
        "Zammad, osTicket, GLPI, NYC 311-style open data, or any CSV with a column mapping."
    )
)

if user.can("import"):
    uploads = st.file_uploader(
        _("Helpdesk export files"),
        type=["csv", "tsv", "txt", "gz", "zip", "xlsx"],
        accept_multiple_files=True,
        help=_("CSV or TSV (also .gz, or a .zip holding one CSV) and XLSX."),
        key="uploads",  # its files stay when the language, hence the label, changes
    )
else:
    uploads = []
    role = _(access_words.ROLE_NAMES.get(user.role, user.role))
    st.info(_("You are a {role}: importing data needs the analyst role.").format(role=role))


def _in_words(codes: Iterable[str], words: dict[str, str] = CHOICES) -> Callable:
    """Return a widget's ``format_func``: the option codes ``words`` names in words, others as
    they are.

    The words are worked out now: Streamlit may call the function after the
    run (AppTest does), when the session's language is out of reach.
    """
    return {code: _(words[code]) if code in words else code for code in codes}.__getitem__


@contextlib.contextmanager
def _staged(upload) -> Iterator[Path]:
    """Yield a path holding the upload's bytes; the copy is deleted when the block ends."""
    with tempfile.TemporaryDirectory(prefix="backlog-radar-upload-") as folder:
        path = Path(folder) / "upload.bin"
        upload.seek(0)
        with path.open("wb") as handle:
            shutil.copyfileobj(upload, handle)
        yield path


def _preview(upload, preset: str | None, options: dict) -> ingest.FilePreview:
    """Return the file's preview, read (and an archive unpacked) once per upload and options.

    Every widget on the form reruns the page; reading a large archive again on
    each of those clicks cost seconds and disk each time.
    """
    key = (upload.file_id, preset, tuple(sorted(options.items())))
    previews = st.session_state.setdefault("previews", {})
    if key not in previews:
        with _staged(upload) as path:
            try:
                previews[key] = ingest.preview_file(
                    path, file_name=upload.name, preset=preset, settings=ui.settings(), **options
                )
            except ingest.ImportFailed as exc:
                previews[key] = exc
    if isinstance(previews[key], ingest.ImportFailed):
        raise previews[key]
    return previews[key]


def _import_form(upload) -> None:
    key = upload.file_id
    options = _reading_options(key)
    preset_choice = st.selectbox(
        _("Export format"),
        [DETECT, *ALL_PRESETS],
        format_func=_in_words(
            [DETECT, *ALL_PRESETS],
            {DETECT: CHOICES[DETECT], **{name: p.label for name, p in ALL_PRESETS.items()}},
        ),
        key=f"preset_{key}",
    )
    try:
        preview = _preview(upload, None if preset_choice == DETECT else preset_choice, options)
    except ingest.ImportFailed as exc:
        reason = ui.md_escape(ui.describe(exc))
        st.error(_("This file cannot be read: {reason}").format(reason=reason))
        return
    _show_preview(preview)
    arguments = {
        **_mapping_choices(preview, key),
        **_target_choices(upload, preview, key),
        "preset": preview.preset.name,
        "file_name": upload.name,
        **options,
    }
    validate, run = st.columns([1, 1])
    if validate.button(_("Validate (dry run)"), key=f"dry_{key}", icon=":material/fact_check:"):
        with _staged(upload) as path:
            _run_import(path, arguments, dry_run=True, key=key)
    if run.button(_("Import"), key=f"import_{key}", type="primary", icon=":material/download:"):
        with _staged(upload) as path:
            _run_import(path, arguments, dry_run=False, key=key)
    report = st.session_state.get(f"report_{key}")
    if report is not None:
        _show_report(report, key)


def _reading_options(key: str) -> dict:
    with st.expander(_("Reading options"), expanded=False):
        col1, col2, col3 = st.columns(3)
        encoding = col1.selectbox(
            _("Encoding"), ENCODINGS, format_func=_in_words(ENCODINGS), key=f"enc_{key}"
        )
        delimiter = col2.selectbox(
            _("Delimiter"), list(DELIMITERS), format_func=_in_words(DELIMITERS), key=f"delim_{key}"
        )
        header = col3.checkbox(_("First row is a header"), value=True, key=f"header_{key}")
    return {
        "encoding": None if encoding == DETECT else encoding,
        "delimiter": DELIMITERS[delimiter],
        "header": None if header else False,
    }


def _show_preview(preview: ingest.FilePreview) -> None:
    if preview.detected:
        label = ui.md_escape(_(preview.preset.label))
        st.success(_("Recognised as **{preset}**.").format(preset=label))
    elif preview.preset.name in ("generic", "event-log"):
        st.warning(_("No preset recognises this header: map the columns below."))
    facts = [n_("{n} column", "{n} columns", len(preview.columns))]
    if preview.encoding:
        facts.append(_("encoding {encoding}").format(encoding=preview.encoding))
    if preview.delimiter:
        named = {mark: name for name, mark in DELIMITERS.items() if mark}
        code = named.get(preview.delimiter)
        delimiter = _(CHOICES[code]) if code else repr(preview.delimiter)
        facts.append(_("delimiter: {delimiter}").format(delimiter=delimiter))
    st.caption(ui.md_escape(", ".join(facts)))
    ui.grid(pd.DataFrame(preview.rows, columns=_unique(preview.columns)), height=220)


def _mapping_choices(preview: ingest.FilePreview, key: str) -> dict:
    st.subheader(_("Column mapping"), divider=SUBSECTION)
    columns = [NOT_MAPPED, *preview.columns]
    fields = [
        f
        for f in MAPPABLE_FIELDS
        if preview.preset.kind == "event_log"
        or f not in ("timestamp", "activity", "actor", "sequence")
    ]
    mapping = {}
    grid = st.columns(4)
    for i, field in enumerate(fields):
        current = preview.mapping.get(field, NOT_MAPPED)
        chosen = grid[i % 4].selectbox(
            _(FIELD_LABELS[field]),
            columns,
            index=columns.index(current) if current in columns else 0,
            format_func=_in_words(columns, {NOT_MAPPED: CHOICES[NOT_MAPPED]}),
            key=f"map_{key}_{field}",
            help=_("`{field}` on the command line (--map)").format(field=field),
        )
        if chosen != NOT_MAPPED:
            mapping[field] = chosen
    first_response, resolved = [], []
    if preview.preset.kind == "event_log" and preview.preset.name == "event-log":
        first_response = st.text_input(
            _("Activities that mean first response (comma-separated)"), key=f"fr_{key}"
        ).split(",")
        resolved = st.text_input(
            _("Activities that mean resolution (comma-separated)"), key=f"res_{key}"
        ).split(",")
    return {
        "mapping": mapping,
        "first_response_activities": [a.strip() for a in first_response if a.strip()] or None,
        "resolved_activities": [a.strip() for a in resolved if a.strip()] or None,
    }


def _target_choices(upload, preview: ingest.FilePreview, key: str) -> dict:
    col1, col2, col3 = st.columns(3)
    source = col1.text_input(
        _("Source name"), value=ingest.default_source_name(upload.name), key=f"source_{key}"
    )
    zones = ui.time_zones()
    default_zone = preview.preset.tz or ui.settings().default_tz
    tz = col2.selectbox(
        _("Time zone of times without an offset"),
        zones,
        index=zones.index(default_zone) if default_zone in zones else 0,
        key=f"tz_{key}",
    )
    date_order = col3.selectbox(
        _("Numeric date order"),
        DATE_ORDERS,
        format_func=_in_words(DATE_ORDERS),
        key=f"order_{key}",
        help=_("Only needed when every day and month in the file is 12 or less."),
    )
    return {
        "source": source.strip() or None,
        "tz": tz,
        "date_order": None if date_order == DETECT else date_order,
    }


def _unique(names: list[str]) -> list[str]:
    seen: dict[str, int] = {}
    out = []
    for name in names:
        seen[name] = seen.get(name, 0) + 1
        out.append(name if seen[name] == 1 else f"{name} ({seen[name]})")
    return out


def _run_import(path: Path, arguments: dict, *, dry_run: bool, key: str) -> None:
    bar = st.progress(0.0, text=_("Starting"))
    try:
        with ui.cursor() as cur:
            report = ingest.import_file(
                cur,
                path,
                actor=user,
                dry_run=dry_run,
                # The stages name themselves in English, marked for the catalogue.
                progress=lambda fraction, message: bar.progress(fraction, text=_(message)),
                settings=ui.settings(),
                **arguments,
            )
    except (ingest.ImportFailed, access.PermissionDenied) as exc:
        bar.empty()
        st.session_state.pop(f"report_{key}", None)
        reason = ui.md_escape(ui.describe(exc))
        st.error(_("Nothing was imported: {reason}").format(reason=reason))
        return
    bar.empty()
    st.session_state[f"report_{key}"] = report
    if not dry_run:
        st.rerun()  # so the sidebar's source picker lists the new source


def _show_report(report: ingest.ImportReport, key: str) -> None:
    if report.dry_run:
        st.info(_("Dry run: nothing was written. These are the counts an import would give."))
    else:
        _offer_source(report, key)
    cols = st.columns(5)
    cols[0].metric(_("Tickets"), ui.number(report.tickets))
    cols[1].metric(_("New"), ui.number(report.rows_inserted))
    cols[2].metric(_("Updated"), ui.number(report.rows_updated))
    cols[3].metric(_("Rejected rows"), ui.number(report.rows_rejected))
    cols[4].metric(_("Flagged tickets"), ui.number(report.rows_flagged))
    if report.preview:
        st.caption(_("The first rows as they will be stored:"))
        ui.grid(_readable_preview(report.preview), labels=PREVIEW_LABELS, tz=shown_tz, height=230)
    if report.flags:
        flags = pd.DataFrame(
            [(_(FLAG_LABELS.get(flag, flag)), ui.number(n)) for flag, n in report.flags.items()],
            columns=["flag", "tickets"],
        )
        ui.grid(flags, labels={"flag": N_("Flag"), "tickets": N_("Tickets")})
    if report.date_formats:
        read_as = "; ".join(
            f"{column}: {', '.join(_(kind) for kind in kinds.split(', '))}"
            for column, kinds in report.date_formats.items()
        )
        line = _("Times read in {zone}: {formats}").format(zone=report.tz, formats=read_as)
        st.caption(ui.md_escape(line))
    for note in report.notes:
        st.caption(ui.md_escape(_(note)))  # a preset's notes are in the catalogue
    if report.rejects:
        rejects = pd.DataFrame([r.__dict__ for r in report.rejects])
        ui.grid(rejects, labels=REJECT_LABELS, height=200)
        st.download_button(
            _("Download rejected rows (CSV)"),
            exports.csv_text(rejects),
            file_name=f"{report.source}-rejects.csv",
            mime="text/csv",
        )


def _offer_source(report: ingest.ImportReport, key: str) -> None:
    """Say where the import went; when the sidebar shows another source, offer to show this one."""
    source = ui.md_escape(report.source)
    st.success(
        _("Imported into source **{source}** (import #{import_id}).").format(
            source=source, import_id=report.import_id
        )
    )
    if selection is None or selection.source == report.source:
        return
    st.button(
        _("Show {source}").format(source=source),
        key=f"show_{key}",
        type="primary",
        icon=":material/dashboard:",
        on_click=_keep_source,
        args=(report.source,),
    )


def _keep_source(source: str) -> None:
    # The sidebar restores its source from here before the URL's; the page, on
    # the run this click starts, opens the overview on it.
    st.session_state["kept_source"] = source
    st.session_state["show_kept_source"] = True


def _readable_preview(rows: list[dict]) -> pd.DataFrame:
    """Return the import's preview rows with their actions and flags in words."""
    frame = pd.DataFrame(rows)
    if "action" in frame:
        frame["action"] = frame["action"].map(lambda a: _(ACTIONS.get(a, a)))
    if "flags" in frame:
        frame["flags"] = frame["flags"].map(
            lambda flags: ", ".join(_(FLAG_LABELS.get(f, f)) for f in flags or [])
        )
    return frame


# Previews of files no longer in the uploader are dropped with them.
current = {upload.file_id for upload in uploads or []}
for stale in [k for k in st.session_state.get("previews", {}) if k[0] not in current]:
    del st.session_state["previews"][stale]
for upload in uploads or []:
    st.header(ui.md_escape(upload.name), divider=SECTION)
    _import_form(upload)

st.header(_("Sources"), divider=SECTION)
sources = ui.sources_frame(ui.data_version())
if sources.empty:
    st.write(_("No source yet."))
else:
    counted = sources.assign(
        **{c: sources[c].map(ui.number) for c in ("tickets", "open_tickets", "imports")}
    )
    # A table, not a data grid: a handful of rows, and its text is plain DOM.
    listed = ui.labelled(counted, SOURCE_LABELS, shown_tz)
    ui.text_table(listed.set_index(listed.columns[0]))  # the source's name

    @st.dialog(_("Delete a source"))
    def _confirm_delete(name: str) -> None:
        st.text(
            _(
                "Delete every ticket, import and reject of source {source}? This cannot be undone."
            ).format(source=name)
        )
        if st.button(_("Delete"), type="primary", key="confirm_delete"):
            try:
                with ui.cursor() as cur:
                    deleted = store.delete_source(cur, name, actor=user)
            except (store.StoreError, access.PermissionDenied) as exc:
                reason = ui.md_escape(ui.describe(exc))
                st.error(_("Nothing was deleted: {reason}").format(reason=reason))
                return
            st.session_state["deleted_message"] = n_(
                "Deleted source {source} ({n} ticket).",
                "Deleted source {source} ({n} tickets).",
                deleted,
            ).format(source=ui.md_escape(name))
            st.rerun()

    # Only admins get the control; delete_source checks the role again on its own.
    if user.can("delete_source"):
        col1, col2 = st.columns([3, 1])
        names = sources["source"].tolist()
        doomed = col1.selectbox(_("Source to delete"), names, key="delete_choice")
        if col2.button(_("Delete source…"), key="delete_source", icon=":material/delete:"):
            _confirm_delete(doomed)
if message := st.session_state.pop("deleted_message", None):
    st.success(message)

ui.recent_changes(user, divider=SECTION)
