"""The Data page's list of recent changes to the store, and the undo of an import."""

from __future__ import annotations

from datetime import UTC, datetime

import pandas as pd
import streamlit as st

from analytics import access, i18n, snapshots, store
from ui.cache import cached, cursor
from ui.i18n import _, describe, lang, n_, number
from ui.text import md_escape
from ui.widgets import text_table


def _when(moment: datetime) -> str:
    """Return a snapshot's time for the list: ``2 Jan 2026, 14:05 UTC``."""
    moment = moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)
    return i18n.short_date_time(moment, lang()) + " UTC"


def recent_changes(user: access.User, divider: str) -> None:
    """Draw the store's last changes (who, what, when) and, for a role that may, an undo."""
    st.header(_("Recent changes"), divider=divider)
    st.caption(
        _(
            "Every import, deletion and edit is one snapshot of the store: who, what, when "
            "(sign-ins left out; admins see the whole audit log on the Access page)."
        )
    )
    recent = cached(snapshots.list_snapshots, 20)
    if not recent:
        st.write(_("No change recorded yet."))
    else:
        # Plain DOM text, like the sources: a short list that people read, not browse.
        text_table(
            pd.DataFrame(
                {
                    _("When"): [_when(s.at) for s in recent],
                    _("Who"): [s.author or "" for s in recent],
                    _("What"): [snapshots.describe_action(s, lang()) for s in recent],
                    _("On"): [s.target or "" for s in recent],
                    _("Changes"): [snapshots.describe_changes(s.changes, lang()) for s in recent],
                }
            ).set_index(_("When"))
        )
    # Only the roles that may undo get the control; undo_import checks the role again on its own.
    undoable = {s.import_id: s for s in recent if s.undoable}
    if user.can("undo_import") and undoable:
        _undo_control(user, undoable)
    if message := st.session_state.pop("undo_message", None):
        st.success(message)


def _undo_control(user: access.User, undoable: dict[int, snapshots.Snapshot]) -> None:
    col1, col2 = st.columns([3, 1])
    chosen = col1.selectbox(
        _("Import to undo"),
        list(undoable),
        format_func={
            i: _("#{import_id} into {source}, {when}").format(
                import_id=i, source=s.target, when=_when(s.at)
            )
            for i, s in undoable.items()
        }.__getitem__,
        key="undo_choice",
    )
    if col2.button(_("Undo import…"), key="undo_import", icon=":material/undo:"):
        st.session_state["undo_pending"] = chosen
    if (pending := st.session_state.get("undo_pending")) in undoable:
        # Built on each run, so that its title is in the session's language; the
        # dialog stays open across reruns while an undo is pending.
        st.dialog(_("Undo an import"), on_dismiss=_forget_undo)(_confirm_undo)(
            user, undoable[pending]
        )


def _forget_undo() -> None:
    st.session_state.pop("undo_pending", None)


def _confirm_undo(user: access.User, shot: snapshots.Snapshot) -> None:
    st.text(
        _(
            "Put the tickets of source {source} back as they were before import "
            "#{import_id}, and forget that import?"
        ).format(source=shot.target, import_id=shot.import_id)
    )
    if not st.button(_("Undo"), type="primary", key="confirm_undo"):
        return
    try:
        with cursor() as cur:
            done = snapshots.undo_import(cur, shot.import_id, actor=user)
    except (store.StoreError, access.PermissionDenied) as exc:
        reason = md_escape(describe(exc))
        st.error(_("Nothing was undone: {reason}").format(reason=reason))
        return
    _forget_undo()
    removed = n_("{n} ticket removed", "{n} tickets removed", done.tickets_removed)
    st.session_state["undo_message"] = md_escape(
        _(
            "Undid import #{import_id} ({file}) of source {source}: {removed}, {restored} restored."
        ).format(
            import_id=done.import_id,
            file=done.file_name,
            source=done.source,
            removed=removed,
            restored=number(done.tickets_restored),
        )
    )
    st.rerun()
