"""Data: upload helpdesk exports, check how they map, import them; list and delete sources;
the store's recent changes, and undoing an import."""

import contextlib
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import streamlit as st

import ui
from analytics import access, exports, ingest, snapshots, store
from analytics.canonical import MAPPABLE_FIELDS
from analytics.ingest import ALL_PRESETS

NOT_MAPPED = "(not mapped)"
ENCODINGS = ["(detect)", "utf-8", "cp1252", "latin-1", "utf-16"]
DELIMITERS = {"(detect)": None, "comma": ",", "semicolon": ";", "tab": "\t", "pipe": "|"}

st.title("Data")
ui.selection()  # the shared sidebar, so the source picker reflects imports
user = ui.current_user()
st.caption(
    "Import ticket exports from Zendesk, Freshdesk, Jira Service Management, ServiceNow, "
    "Zammad, osTicket, GLPI, NYC 311-style open data, or any CSV with a column mapping."
)

if user.can("import"):
    uploads = st.file_uploader(
        "Helpdesk export files",
        type=["csv", "tsv", "txt", "gz", "zip", "xlsx"],
        accept_multiple_files=True,
        help="CSV or TSV (also .gz, or a .zip holding one CSV) and XLSX.",
    )
else:
    uploads = []
    st.info(f"You are a {user.role}: importing data needs the analyst role.")


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
    preset_names = ["(detect)", *ALL_PRESETS]
    preset_choice = st.selectbox(
        "Export format",
        preset_names,
        format_func=lambda n: n if n == "(detect)" else ALL_PRESETS[n].label,
        key=f"preset_{key}",
    )
    try:
        preview = _preview(upload, None if preset_choice == "(detect)" else preset_choice, options)
    except ingest.ImportFailed as exc:
        st.error(f"This file cannot be read: {ui.md_escape(exc)}")
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
    if validate.button("Validate (dry run)", key=f"dry_{key}", icon=":material/fact_check:"):
        with _staged(upload) as path:
            _run_import(path, arguments, dry_run=True, key=key)
    if run.button("Import", key=f"import_{key}", type="primary", icon=":material/download:"):
        with _staged(upload) as path:
            _run_import(path, arguments, dry_run=False, key=key)
    report = st.session_state.get(f"report_{key}")
    if report is not None:
        _show_report(report)


def _reading_options(key: str) -> dict:
    with st.expander("Reading options", expanded=False):
        col1, col2, col3 = st.columns(3)
        encoding = col1.selectbox("Encoding", ENCODINGS, key=f"enc_{key}")
        delimiter = col2.selectbox("Delimiter", list(DELIMITERS), key=f"delim_{key}")
        header = col3.checkbox("First row is a header", value=True, key=f"header_{key}")
    return {
        "encoding": None if encoding == "(detect)" else encoding,
        "delimiter": DELIMITERS[delimiter],
        "header": None if header else False,
    }


def _show_preview(preview: ingest.FilePreview) -> None:
    if preview.detected:
        st.success(f"Recognised as **{ui.md_escape(preview.preset.label)}**.")
    elif preview.preset.name in ("generic", "event-log"):
        st.warning("No preset recognises this header: map the columns below.")
    st.caption(
        ui.md_escape(
            f"{len(preview.columns)} columns"
            + (f", encoding {preview.encoding}" if preview.encoding else "")
            + (f", delimiter {preview.delimiter!r}" if preview.delimiter else "")
        )
    )
    ui.grid(pd.DataFrame(preview.rows, columns=_unique(preview.columns)), height=220)


def _mapping_choices(preview: ingest.FilePreview, key: str) -> dict:
    st.subheader("Column mapping", divider="gray")
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
            field,
            columns,
            index=columns.index(current) if current in columns else 0,
            key=f"map_{key}_{field}",
        )
        if chosen != NOT_MAPPED:
            mapping[field] = chosen
    first_response, resolved = [], []
    if preview.preset.kind == "event_log" and preview.preset.name == "event-log":
        first_response = st.text_input(
            "Activities that mean first response (comma-separated)", key=f"fr_{key}"
        ).split(",")
        resolved = st.text_input(
            "Activities that mean resolution (comma-separated)", key=f"res_{key}"
        ).split(",")
    return {
        "mapping": mapping,
        "first_response_activities": [a.strip() for a in first_response if a.strip()] or None,
        "resolved_activities": [a.strip() for a in resolved if a.strip()] or None,
    }


def _target_choices(upload, preview: ingest.FilePreview, key: str) -> dict:
    col1, col2, col3 = st.columns(3)
    source = col1.text_input(
        "Source name", value=ingest.default_source_name(upload.name), key=f"source_{key}"
    )
    zones = ui.time_zones()
    default_zone = preview.preset.tz or ui.settings().default_tz
    tz = col2.selectbox(
        "Time zone of times without an offset",
        zones,
        index=zones.index(default_zone) if default_zone in zones else 0,
        key=f"tz_{key}",
    )
    date_order = col3.selectbox(
        "Numeric date order",
        ["(detect)", "dmy", "mdy"],
        key=f"order_{key}",
        help="Only needed when every day and month in the file is 12 or less.",
    )
    return {
        "source": source.strip() or None,
        "tz": tz,
        "date_order": None if date_order == "(detect)" else date_order,
    }


def _unique(names: list[str]) -> list[str]:
    seen: dict[str, int] = {}
    out = []
    for name in names:
        seen[name] = seen.get(name, 0) + 1
        out.append(name if seen[name] == 1 else f"{name} ({seen[name]})")
    return out


def _run_import(path: Path, arguments: dict, *, dry_run: bool, key: str) -> None:
    bar = st.progress(0.0, text="Starting")
    try:
        with ui.cursor() as cur:
            report = ingest.import_file(
                cur,
                path,
                actor=user,
                dry_run=dry_run,
                progress=lambda fraction, message: bar.progress(fraction, text=message),
                settings=ui.settings(),
                **arguments,
            )
    except (ingest.ImportFailed, access.PermissionDenied) as exc:
        bar.empty()
        st.session_state.pop(f"report_{key}", None)
        st.error(f"Nothing was imported: {ui.md_escape(exc)}")
        return
    bar.empty()
    st.session_state[f"report_{key}"] = report
    if not dry_run:
        st.rerun()  # so the sidebar's source picker lists the new source


def _show_report(report: ingest.ImportReport) -> None:
    if report.dry_run:
        st.info("Dry run: nothing was written. These are the counts an import would give.")
    else:
        st.success(
            f"Imported into source **{ui.md_escape(report.source)}** (import #{report.import_id})."
        )
    cols = st.columns(5)
    cols[0].metric("Tickets", f"{report.tickets:,}")
    cols[1].metric("New", f"{report.rows_inserted:,}")
    cols[2].metric("Updated", f"{report.rows_updated:,}")
    cols[3].metric("Rejected rows", f"{report.rows_rejected:,}")
    cols[4].metric("Flagged tickets", f"{report.rows_flagged:,}")
    if report.preview:
        st.caption("The first rows as they will be stored:")
        ui.grid(pd.DataFrame(report.preview), height=230)
    if report.flags:
        ui.grid(pd.DataFrame(sorted(report.flags.items()), columns=["flag", "tickets"]))
    if report.date_formats:
        st.caption(
            ui.md_escape(
                f"Times read in {report.tz}: "
                + "; ".join(f"{c}: {f}" for c, f in report.date_formats.items())
            )
        )
    for note in report.notes:
        st.caption(ui.md_escape(note))
    if report.rejects:
        rejects = pd.DataFrame([r.__dict__ for r in report.rejects])
        ui.grid(rejects, height=200)
        st.download_button(
            "Download rejected rows (CSV)",
            exports.csv_text(rejects),
            file_name=f"{report.source}-rejects.csv",
            mime="text/csv",
        )


# Previews of files no longer in the uploader are dropped with them.
current = {upload.file_id for upload in uploads or []}
for stale in [k for k in st.session_state.get("previews", {}) if k[0] not in current]:
    del st.session_state["previews"][stale]
for upload in uploads or []:
    st.header(ui.md_escape(upload.name), divider="blue")
    _import_form(upload)

st.header("Sources", divider="blue")
sources = ui.sources_frame(ui.data_version())
if sources.empty:
    st.write("No source yet.")
else:
    # A table, not a data grid: a handful of rows, and its text is plain DOM.
    ui.text_table(
        sources.rename(
            columns={
                "source": "Source",
                "tickets": "Tickets",
                "open_tickets": "Open",
                "first_created_at": "First created",
                "last_created_at": "Last created",
                "imports": "Imports",
                "last_import_at": "Last import",
            }
        ).set_index("Source")
    )

    @st.dialog("Delete a source")
    def _confirm_delete(name: str) -> None:
        st.text(f"Delete every ticket, import and reject of source {name}? This cannot be undone.")
        if st.button("Delete", type="primary", key="confirm_delete"):
            try:
                with ui.cursor() as cur:
                    deleted = store.delete_source(cur, name, actor=user)
            except (store.StoreError, access.PermissionDenied) as exc:
                st.error(f"Nothing was deleted: {ui.md_escape(exc)}")
                return
            st.session_state["deleted_message"] = (
                f"Deleted source {ui.md_escape(name)} ({deleted:,} tickets)."
            )
            st.rerun()

    # Only admins get the control; delete_source checks the role again on its own.
    if user.can("delete_source"):
        col1, col2 = st.columns([3, 1])
        names = sources["source"].tolist()
        doomed = col1.selectbox("Source to delete", names, key="delete_choice")
        if col2.button("Delete source…", key="delete_source", icon=":material/delete:"):
            _confirm_delete(doomed)
if message := st.session_state.pop("deleted_message", None):
    st.success(message)

st.header("Recent changes", divider="blue")
st.caption(
    "Every import, deletion and edit is one snapshot of the store: who, what, when "
    "(sign-ins left out; admins see the whole audit log on the Access page)."
)
recent = ui.cached(snapshots.list_snapshots, 20)
if not recent:
    st.write("No change recorded yet.")
else:
    # Plain DOM text, like the sources: a short list that people read, not browse.
    ui.text_table(
        pd.DataFrame(
            {
                "When": [f"{s.at:%Y-%m-%d %H:%M} UTC" for s in recent],
                "Who": [s.author or "" for s in recent],
                "What": [s.what for s in recent],
                "On": [s.target or "" for s in recent],
                "Changes": [s.changes for s in recent],
            }
        ).set_index("When")
    )


def _forget_undo() -> None:
    st.session_state.pop("undo_pending", None)


# The dialog stays open across reruns while an undo is pending, until done or dismissed.
@st.dialog("Undo an import", on_dismiss=_forget_undo)
def _confirm_undo(shot: snapshots.Snapshot) -> None:
    st.text(
        f"Put the tickets of source {shot.target} back as they were before import "
        f"#{shot.import_id}, and forget that import?"
    )
    if st.button("Undo", type="primary", key="confirm_undo"):
        try:
            with ui.cursor() as cur:
                done = snapshots.undo_import(cur, shot.import_id, actor=user)
        except (store.StoreError, access.PermissionDenied) as exc:
            st.error(f"Nothing was undone: {ui.md_escape(exc)}")
            return
        _forget_undo()
        st.session_state["undo_message"] = ui.md_escape(
            f"Undid import #{done.import_id} ({done.file_name}) of source {done.source}: "
            f"{done.tickets_removed:,} tickets removed, {done.tickets_restored:,} restored."
        )
        st.rerun()


# Only the roles that may undo get the control; undo_import checks the role again on its own.
undoable = {s.import_id: s for s in recent if s.undoable}
if user.can("undo_import") and undoable:
    col1, col2 = st.columns([3, 1])
    chosen = col1.selectbox(
        "Import to undo",
        list(undoable),
        format_func=lambda i: (
            f"#{i} into {undoable[i].target}, {undoable[i].at:%Y-%m-%d %H:%M} UTC"
        ),
        key="undo_choice",
    )
    if col2.button("Undo import…", key="undo_import", icon=":material/undo:"):
        st.session_state["undo_pending"] = chosen
    if (pending := st.session_state.get("undo_pending")) in undoable:
        _confirm_undo(undoable[pending])
if message := st.session_state.pop("undo_message", None):
    st.success(message)
