"""Access: who may sign in with which role, and everything anyone did (admins only)."""

import pandas as pd
import streamlit as st

import ui
from analytics import access

st.title("Access")
ui.selection()
user = ui.current_user()
if not user.can("manage_users"):
    # The page is only in an admin's navigation; a deep link lands here.
    st.error(f"You are a {user.role}: managing access needs the admin role.")
    st.stop()

cfg = ui.settings().access
users = ui.local_users()
st.caption(
    "Viewers read every page; analysts also import data and edit events and staffing plans; "
    "admins also delete sources and manage users."
)
if message := st.session_state.pop("access_message", None):
    st.success(message)

st.subheader("Local users", divider="gray")
st.caption(f"Stored with salted scrypt hashes in {ui.md_escape(cfg.users_file)}.")
if users:
    ui.grid(
        pd.DataFrame(
            [{"user": u.name, "role": u.role, "created": u.created_at} for u in users.values()]
        )
    )
else:
    # A page served without sign-in could be reached by a page under another
    # site's name (DNS rebinding): the first account is made on this machine.
    st.info(
        "No local user yet. Create the first admin on the server's command line: "
        "`python -m analytics add-user NAME --role admin`. Once a user exists, everybody "
        "signs in, and admins manage users here."
    )
    st.stop()

with st.form("set_user", clear_on_submit=True):
    st.markdown("**Add a user, or change one's role or password**")
    cols = st.columns(3)
    name = cols[0].text_input("User name", max_chars=64)
    role = cols[1].selectbox("Role", access.ROLES, index=0)
    password = cols[2].text_input(
        "Password", type="password", help="Leave empty to keep an existing user's password."
    )
    if st.form_submit_button("Save user", icon=":material/person_add:"):
        try:
            with ui.cursor() as cur:
                access.set_user(
                    cfg.users_file, name.strip(), role, password or None, cur=cur, actor=user
                )
        except access.AccessError as exc:
            st.error(f"Not saved: {ui.md_escape(exc)}")
        else:
            st.session_state["access_message"] = f"Saved {ui.md_escape(name.strip())} as {role}."
            st.rerun()

cols = st.columns([3, 1, 1])
chosen = cols[0].selectbox("User", sorted(users), key="remove_choice")
if cols[1].button("Remove user", icon=":material/person_remove:", key="remove_user"):
    try:
        with ui.cursor() as cur:
            access.remove_user(cfg.users_file, chosen, cur=cur, actor=user)
    except access.AccessError as exc:
        st.error(f"Not removed: {ui.md_escape(exc)}")
    else:
        st.session_state["access_message"] = f"Removed {ui.md_escape(chosen)}."
        st.rerun()
if cols[2].button(
    "Unlock sign-in",
    icon=":material/lock_reset:",
    key="unlock_user",
    help="Forgive this user's failed sign-ins, so they may sign in at once.",
):
    with ui.cursor() as cur:
        access.unlock_account(cur, chosen, actor=user)
    st.session_state["access_message"] = f"{ui.md_escape(chosen)} may sign in again."
    st.rerun()

st.subheader("Identity provider", divider="gray")
if ui.oidc_configured():
    st.write("Sign-in through OpenID Connect is configured in `.streamlit/secrets.toml`.")
else:
    st.write("No OpenID Connect provider is configured (docs/access.md says how).")
if cfg.roles:
    st.caption("Roles given by the settings file's `[access.roles]` (the highest match wins):")
    ui.grid(pd.DataFrame(sorted(cfg.roles.items()), columns=["e-mail, @domain or group:", "role"]))
st.caption(
    f"Anyone else the provider signs in: {cfg.default_role or 'refused'}. Sessions expire "
    f"after {cfg.session_hours:g} h; {cfg.max_failures} failed sign-ins within "
    f"{cfg.lockout_minutes:g} min lock an account or address out."
)

st.subheader("Audit log", divider="gray")
actions = [
    "(all)",
    "sign_in",
    "sign_in_failed",
    "import",
    *sorted(set(access.PERMISSIONS) - {"import"}),
]
picked = st.selectbox("Action", actions, key="audit_action")
with ui.cursor() as cur:
    log = access.audit_log(cur, limit=500, action=None if picked == "(all)" else picked)
if log.empty:
    st.write("Nothing recorded yet.")
else:
    ui.grid(
        log.assign(detail=log["detail"].astype(str)),
        "audit_log",
        column_config={
            "occurred_at": st.column_config.DatetimeColumn("When", format="YYYY-MM-DD HH:mm:ss")
        },
    )
