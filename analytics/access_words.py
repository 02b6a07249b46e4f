"""How roles, the audit log's actions and details, and ways of signing in read on screen.

The audit log stores codes (``sign_in_failed``, ``via = "oidc"``) and a JSON
detail; people read words in their language. The tables mark the words for
the catalogue (:func:`analytics.i18n.N_`); pages translate them where shown.
"""

from __future__ import annotations

import json
from collections.abc import Mapping

from analytics import i18n
from analytics.i18n import N_

# How a role, an action of the audit log and a way of signing in read on screen.
ROLE_NAMES = {"viewer": N_("viewer"), "analyst": N_("analyst"), "admin": N_("admin")}
ACTION_NAMES = {
    "sign_in": N_("signed in"),
    "sign_in_failed": N_("failed sign-in"),
    "sign_out": N_("signed out"),
    "unlock_account": N_("unlocked an account"),
    "import": N_("import"),
    "edit_events": N_("edit events"),
    "save_effects": N_("save effects"),
    "save_staffing": N_("save staffing"),
    "delete_source": N_("delete source"),
    "undo_import": N_("undo import"),
    "maintain": N_("maintain"),
    "convert_store": N_("convert store"),
    "manage_users": N_("manage users"),
    "run_job": N_("run job"),
    "edit_jobs": N_("edit jobs"),
}
VIA_NAMES = {
    "local": N_("user name and password"),
    "oidc": N_("identity provider"),
    "single-user": N_("single-user mode"),
    "library": N_("library"),
    "cli": N_("command line"),
    "worker": N_("scheduled job"),
}
# What the audit log's details say, by key; other keys show as written.
DETAIL_NAMES = {
    "rows": N_("rows"),
    "tickets": N_("tickets"),
    "events": N_("events"),
    "source": N_("source"),
    "role": N_("role"),
    "new": N_("new user"),
    "password_changed": N_("password changed"),
    "removed": N_("removed"),
    "imported": N_("imported"),
    "region": N_("region"),
    "file": N_("file"),
    "inserted": N_("inserted"),
    "updated": N_("updated"),
    "rejected": N_("rejected"),
    "ratings": N_("ratings"),
    "restored": N_("restored"),
    "added": N_("added"),
    "changed": N_("changed"),
    "deleted": N_("deleted"),
    "effects": N_("effects"),
    "kind": N_("kind"),
    "change": N_("change"),
    "cron": N_("when (cron)"),
    "tz": N_("time zone"),
    "renamed_from": N_("renamed from"),
    "import_id": N_("import"),
}


class Term(str):
    """A word of the catalogue given to an error's message: ``{role}`` writes its English,
    ``{role:fr}`` (in the French message) its French.

    >>> "{role:fr}".format(role=Term("viewer")) == i18n.gettext("fr", "viewer")
    True
    """

    def __format__(self, spec: str) -> str:
        if spec in i18n.LANGS:
            return i18n.gettext(spec, str(self))
        return format(str(self), spec)


def describe_detail(detail: object, lang: str = "en") -> str:
    """Return an audit row's detail (its JSON) as one readable line in ``lang``.

    >>> describe_detail('{"rows": 1200, "removed": true}')
    'rows: 1,200 · removed: yes'
    """
    try:
        values = json.loads(detail) if isinstance(detail, str) else detail
    except ValueError:
        return str(detail)
    if not isinstance(values, Mapping):
        return "" if values is None else str(values)
    _ = i18n.translator(lang)
    parts = []
    for key, value in values.items():
        if value is None or value == "":
            continue
        if isinstance(value, bool):
            shown = _("yes") if value else _("no")
        elif isinstance(value, (int, float)):
            shown = i18n.number(value, lang, 0 if float(value).is_integer() else 1)
        elif isinstance(value, str):
            shown = _(DETAIL_NAMES[value]) if key == "change" and value in DETAIL_NAMES else value
        else:
            shown = json.dumps(value, default=str)
        name = _(DETAIL_NAMES[key]) if key in DETAIL_NAMES else key.replace("_", " ")
        parts.append(i18n.punctuate(f"{name}: {shown}", lang))
    return " · ".join(parts)


# --- passwords ------------------------------------------------------------------------
