"""Access: who may sign in with which role, and everything anyone did (admins only)."""

import pandas as pd
import streamlit as st

import ui
from analytics import access, access_words
from ui import N_, _

ALL_ACTIONS = "(all)"
DIVIDER = "gray"
# The form sets another person's password: no browser should offer the admin's own.
NEW_PASSWORD, NO_AUTOFILL = "new-password", "off"
AUDIT_LABELS = {
    "occurred_at": N_("When"),
    "actor": N_("Who"),
    "role_name": N_("Role"),
    "via_name": N_("Signed in with"),
    "action_name": N_("Action"),
    "target": N_("On"),
    "summary": N_("Detail"),
}


def _role(code: str) -> str:
    """Return a role's name in the session's language (a code it does not know as it is)."""
    return _(access_words.ROLE_NAMES[code]) if code in access_words.ROLE_NAMES else code


def _action(code: str) -> str:
    """Return an audit action's name in the session's language."""
    if code == ALL_ACTIONS:
        return _("All actions")
    return _(access_words.ACTION_NAMES[code]) if code in access_words.ACTION_NAMES else code


def _readable_log(log: pd.DataFrame) -> pd.DataFrame:
    """Return the audit rows with plain words beside their codes, and the detail summarised."""
    via = {code: _(name) for code, name in access_words.VIA_NAMES.items()}
    return log.assign(
        role_name=log["role"].map(_role),
        via_name=log["via"].map(lambda code: via.get(code, code)),
        action_name=log["action"].map(_action),
        summary=log["detail"].map(lambda detail: access_words.describe_detail(detail, ui.lang())),
    )


st.title(_("Access"))
selection = ui.selection()
zone = selection.tz if selection is not None else "UTC"
user = ui.current_user()
if not user.can("manage_users"):
    # The page is only in an admin's navigation; a deep link lands here.
    st.error(
        _("You are a {role}: managing access needs the admin role.").format(role=_role(user.role))
    )
    st.stop()

cfg = ui.settings().access
users = ui.local_users()
st.caption(
    _(
        "Viewers read every page; analysts also import data and edit events and staffing plans; "
        "admins also delete sources and manage users."
    )
)
if message := st.session_state.pop("access_message", None):
    st.success(message)

st.subheader(_("Local users"), divider=DIVIDER)
st.caption(
    _("Stored with salted scrypt hashes in {path}.").format(path=ui.md_escape(cfg.users_file))
)
if users:
    ui.grid(
        pd.DataFrame(
            [
                {"user": u.name, "role": _role(u.role), "created": pd.Timestamp(u.created_at)}
                for u in users.values()
            ]
        ),
        labels={"user": N_("User"), "role": N_("Role"), "created": N_("Created")},
        tz=zone,
    )
else:
    # A page served without sign-in could be reached by a page under another
    # site's name (DNS rebinding): the first account is made on this machine.
    st.info(
        _(
            "No local user yet. Create the first admin on the server's command line: "
            "`python -m analytics add-user NAME --role admin`. Once a user exists, everybody "
            "signs in, and admins manage users here."
        )
    )
    st.stop()

# Labels made now, in this run's language: a widget may format its options later.
role_names = {code: _role(code) for code in access.ROLES}
with st.form("set_user", clear_on_submit=True):
    st.markdown("**" + _("Add a user, or change one's role or password") + "**")
    cols = st.columns(3)
    name = cols[0].text_input(_("User name"), max_chars=64, autocomplete=NO_AUTOFILL)
    role = cols[1].selectbox(_("Role"), access.ROLES, index=0, format_func=role_names.get)
    password = cols[2].text_input(
        _("Password"),
        type="password",
        autocomplete=NEW_PASSWORD,
        help=_("Leave empty to keep an existing user's password."),
    )
    if st.form_submit_button(_("Save user"), icon=":material/person_add:"):
        try:
            with ui.cursor() as cur:
                access.set_user(
                    cfg.users_file, name.strip(), role, password or None, cur=cur, actor=user
                )
        except access.AccessError as exc:
            st.error(_("Not saved: {why}").format(why=ui.md_escape(ui.describe(exc))))
        else:
            st.session_state["access_message"] = _("Saved {name} as {role}.").format(
                name=ui.md_escape(name.strip()), role=_role(role)
            )
            st.rerun()

cols = st.columns([3, 1, 1])
chosen = cols[0].selectbox(_("User"), sorted(users), key="remove_choice")
if cols[1].button(_("Remove user"), icon=":material/person_remove:", key="remove_user"):
    try:
        with ui.cursor() as cur:
            access.remove_user(cfg.users_file, chosen, cur=cur, actor=user)
    except access.AccessError as exc:
        st.error(_("Not removed: {why}").format(why=ui.md_escape(ui.describe(exc))))
    else:
        st.session_state["access_message"] = _("Removed {name}.").format(name=ui.md_escape(chosen))
        st.rerun()
if cols[2].button(
    _("Unlock sign-in"),
    icon=":material/lock_reset:",
    key="unlock_user",
    help=_("Forgive this user's failed sign-ins, so they may sign in at once."),
):
    with ui.cursor() as cur:
        access.unlock_account(cur, chosen, actor=user)
    st.session_state["access_message"] = _("{name} may sign in again.").format(
        name=ui.md_escape(chosen)
    )
    st.rerun()

st.subheader(_("Identity provider"), divider=DIVIDER)
if ui.oidc_configured():
    st.write(_("Sign-in through OpenID Connect is configured in `.streamlit/secrets.toml`."))
else:
    st.write(_("No OpenID Connect provider is configured (docs/access.md says how)."))
if cfg.roles:
    st.caption(_("Roles given by the settings file's `[access.roles]` (the highest match wins):"))
    rules = pd.DataFrame(
        [(rule, _role(role)) for rule, role in sorted(cfg.roles.items())], columns=["rule", "role"]
    )
    ui.grid(rules, labels={"rule": N_("E-mail, @domain or group:"), "role": N_("Role")})
st.caption(
    _(
        "Anyone else the provider signs in: {default}. Sessions expire after {hours}; "
        "{failures} failed sign-ins within {minutes} min lock an account or address out."
    ).format(
        default=_role(cfg.default_role) if cfg.default_role else _("refused"),
        hours=ui.hours(cfg.session_hours, 0 if float(cfg.session_hours).is_integer() else 1),
        failures=ui.number(cfg.max_failures),
        minutes=ui.number(cfg.lockout_minutes, 0 if float(cfg.lockout_minutes).is_integer() else 1),
    )
)

st.subheader(_("Audit log"), divider=DIVIDER)
actions = [ALL_ACTIONS, "sign_in", "sign_in_failed", "sign_out", "unlock_account", "import"]
actions += sorted(set(access.PERMISSIONS) - set(actions))
action_names = {code: _action(code) for code in actions}
picked = st.selectbox(_("Action"), actions, key="audit_action", format_func=action_names.get)
with ui.cursor() as cur:
    log = access.audit_log(cur, limit=500, action=None if picked == ALL_ACTIONS else picked)
if log.empty:
    st.write(_("Nothing recorded yet."))
else:
    st.caption(ui.n_("{n} entry, newest first", "{n} entries, newest first", len(log)))
    # The download keeps the machine's codes and the detail's JSON.
    ui.grid(_readable_log(log), labels=AUDIT_LABELS, tz=zone)
    ui.download_csv(log, "audit_log")
