"""Uploads on the Data page: read once, copies deleted, freed when their session is gone."""

import sys
import tempfile
import zipfile

import pytest
import streamlit as st
from conftest import ROOT
from exports import zendesk
from streamlit.runtime.memory_uploaded_file_manager import MemoryUploadedFileManager
from streamlit.runtime.uploaded_file_manager import UploadedFileRec
from streamlit.testing.v1 import AppTest

import ui
import web
import web.uploads
from analytics import store

# Directories made under the temporary folder, watched through Python's audit
# hooks (a hook cannot be removed, so it records only while a test asks it to).
MADE: list[str] | None = None


def _watch(event: str, args: tuple) -> None:
    if MADE is not None and event == "os.mkdir":
        MADE.append(str(args[0]))


sys.addaudithook(_watch)


@pytest.fixture
def data_page(tmp_path, monkeypatch):
    """Return AppTest on the Data page of an empty single-user store."""
    db = tmp_path / "uploads.sqlite"
    store.connect(db).close()
    monkeypatch.setenv("BACKLOG_RADAR_DB", str(db))
    monkeypatch.setenv("BACKLOG_RADAR_USERS", str(tmp_path / "no-users.json"))
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "tmp"))
    (tmp_path / "tmp").mkdir()
    st.cache_resource.clear()
    st.cache_data.clear()
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run()
    yield at.switch_page("pages/data.py").run()
    st.cache_resource.clear()


def test_an_archive_is_read_once_per_upload_and_its_copies_are_deleted(data_page, tmp_path):
    global MADE
    export = zendesk(tmp_path)
    archive = tmp_path / "export.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.write(export, export.name)
    at = data_page
    MADE = []
    try:
        at.file_uploader[0].set_value(("export.zip", archive.read_bytes(), "application/zip"))
        at.run()
        assert any("Recognised as" in s.value for s in at.success)
        first_read = len(MADE)
        assert first_read > 0
        # Clicks on the form rerun the page; none of them reads the archive again.
        mapping = next(s for s in at.selectbox if s.label == "Priority")
        for choice in mapping.options[:3]:
            mapping.select(choice)
            at.run()
        at.text_input(key=next(k for k in _keys(at) if k.startswith("source_"))).input("zipped")
        at.run()
        assert len(MADE) == first_read
        at.button(key=next(k for k in _keys(at) if k.startswith("import_"))).click().run()
        assert any("Imported into source" in s.value for s in at.success)
    finally:
        MADE = None
    assert not at.exception
    # No copy of the upload is left behind (the process's copy of the store is no upload).
    left = [
        p for p in (tmp_path / "tmp").iterdir() if not p.name.startswith("backlog-radar-replica-")
    ]
    assert left == []


def _upload_zendesk(at: AppTest, tmp_path) -> AppTest:
    export = zendesk(tmp_path)
    at.file_uploader[0].set_value((export.name, export.read_bytes(), "text/csv"))
    return at.run()


def test_the_data_page_speaks_french_with_plain_field_names(tmp_path, monkeypatch):
    db = tmp_path / "french.sqlite"
    store.connect(db).close()
    monkeypatch.setenv("BACKLOG_RADAR_DB", str(db))
    monkeypatch.setenv("BACKLOG_RADAR_USERS", str(tmp_path / "no-users.json"))
    st.cache_resource.clear()
    st.cache_data.clear()
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.query_params["lang"] = "fr"
    at.run().switch_page("pages/data.py").run()
    assert [t.value for t in at.title] == ["Données"]
    assert any(m.value == "Aucune source pour l'instant." for m in at.markdown)
    at = _upload_zendesk(at, tmp_path)
    assert any(
        s.value.startswith("Reconnu comme **Export de tickets Zendesk**") for s in at.success
    )
    labels = [s.label for s in at.selectbox]
    # The canonical names stay in the code (the widgets' keys), not on screen.
    assert {"N° de ticket", "Première réponse (minutes)", "Priorité"} <= set(labels)
    assert not any("_" in label for label in labels)
    at.button(key=next(k for k in _keys(at) if k.startswith("dry_"))).click().run()
    assert not at.exception
    assert any(i.value.startswith("Essai à blanc") for i in at.info)
    cards = {m.label: m.value for m in at.metric}
    assert cards["Tickets"] == "3" and cards["Lignes rejetées"] == "0"
    st.cache_resource.clear()


def test_a_refusal_is_said_in_the_reader_language(data_page, tmp_path):
    binary = tmp_path / "tickets.csv"
    binary.write_bytes(bytes(range(256)) * 64)
    at = data_page
    at.session_state["kept_lang"] = "fr"
    at.file_uploader[0].set_value(("tickets.csv", binary.read_bytes(), "text/csv"))
    at.run()
    reason = ui.md_escape("tickets.csv est un fichier binaire, pas un export texte CSV")
    assert [e.value for e in at.error] == [f"Ce fichier est illisible\u202f: {reason}"]


def _keys(at: AppTest) -> list[str]:
    return [w.key for w in (*at.text_input, *at.button) if w.key]


class Sessions:
    """Streamlit's runtime as the sweeper sees it: its upload manager and live sessions."""

    def __init__(self) -> None:
        self.uploaded_file_mgr = MemoryUploadedFileManager("/_stcore/upload_file")
        self.active: set[str] = set()

    def is_active_session(self, session_id: str) -> bool:
        return session_id in self.active


def test_uploads_of_a_session_gone_for_good_are_freed():
    runtime = Sessions()
    for session in ("open-tab", "closed-tab"):
        runtime.uploaded_file_mgr.add_file(
            session, UploadedFileRec("f1", "export.csv", "text/csv", b"x" * 1024)
        )
    runtime.active = {"open-tab"}
    web.UPLOADS.grant("closed-tab", None)
    sweeper = web.uploads.UploadSweeper(grace_s=150)
    assert sweeper.sweep(runtime, now=1000.0) == []  # it may still reconnect
    assert sweeper.sweep(runtime, now=1100.0) == []
    assert sweeper.sweep(runtime, now=1151.0) == ["closed-tab"]
    assert runtime.uploaded_file_mgr.get_files("closed-tab", ["f1"]) == []
    assert len(runtime.uploaded_file_mgr.get_files("open-tab", ["f1"])) == 1
    assert not web.UPLOADS.allows("closed-tab", None)


def test_a_session_that_reconnects_keeps_its_uploads():
    runtime = Sessions()
    runtime.uploaded_file_mgr.add_file(
        "tab", UploadedFileRec("f1", "export.csv", "text/csv", b"x" * 1024)
    )
    sweeper = web.uploads.UploadSweeper(grace_s=150)
    sweeper.sweep(runtime, now=1000.0)
    runtime.active = {"tab"}  # back within Streamlit's window
    sweeper.sweep(runtime, now=1100.0)
    runtime.active = set()
    assert sweeper.sweep(runtime, now=1200.0) == []  # a new absence starts a new grace
    assert len(runtime.uploaded_file_mgr.get_files("tab", ["f1"])) == 1


def test_an_upload_permit_counts_files_and_follows_its_sign_in():
    permits = web.uploads.UploadPermits(max_files=2)
    assert not permits.allows("s1", None)
    permits.grant("s1", "sid-a")
    assert permits.allows("s1", "sid-a")
    assert not permits.allows("s1", "sid-b") and not permits.allows("s1", None)
    assert permits.take("s1", "f1") and permits.take("s1", "f2") and permits.take("s1", "f1")
    assert not permits.take("s1", "f3")
    permits.release("s1", "f1")
    assert permits.take("s1", "f3")
    permits.withdraw("s1")
    assert not permits.allows("s1", "sid-a")
