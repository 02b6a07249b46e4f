"""Presets: which column of a vendor's export holds which canonical field.

A preset recognises a file by its header and maps it without any question.
It only maps (and, for a few exports, says a column counts minutes after
creation); the meaning of values lives in :mod:`analytics.canonical`.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from analytics import i18n
from analytics.canonical import MAPPABLE_FIELDS
from analytics.i18n import N_


class MappingError(i18n.TranslatableError):
    """The column mapping is incomplete or names a column the file lacks."""


@dataclass(frozen=True)
class Preset:
    """How one vendor's export maps to the canonical ticket.

    Attributes
    ----------
    name
        Identifier used on the command line (``--preset``).
    label
        Human name shown in the app, in English (translated where shown).
    signature
        Header names (normalised) that must all be present for the preset to
        recognise a file; the most specific matching preset wins.
    columns
        Canonical field -> candidate header names; the first one present is used.
    kind
        ``"tickets"`` (one row per ticket) or ``"event_log"`` (one row per activity).
    tz
        Time zone of naive timestamps, when the export is known to use one.
    first_response
        Event logs only: ``("in", activities)`` or ``("not_in", activities)``
        telling which activity counts as the first response.
    resolved
        Event logs only, like ``first_response``, for resolution.
    """

    name: str
    label: str
    signature: tuple[str, ...]
    columns: Mapping[str, tuple[str, ...]]
    kind: str = "tickets"
    tz: str | None = None
    first_response: tuple[str, tuple[str, ...]] | None = None
    resolved: tuple[str, tuple[str, ...]] | None = None
    notes: tuple[str, ...] = field(default=())


def normalise_header(name: str) -> str:
    """Return a header name lower-cased with blanks collapsed, for matching."""
    return re.sub(r"\s+", " ", name.replace("\ufeff", "")).strip().strip('"').strip().lower()


def _cols(**fields: str | tuple[str, ...]) -> dict[str, tuple[str, ...]]:
    return {k: (v,) if isinstance(v, str) else v for k, v in fields.items()}


PRESETS: tuple[Preset, ...] = (
    Preset(
        name="zendesk",
        label=N_("Zendesk ticket export"),
        signature=("id", "created at", "via", "solved at", "first reply time in minutes"),
        columns=_cols(
            ticket_id="Id",
            created_at="Created at",
            first_response_minutes="First reply time in minutes",
            resolved_at="Solved at",
            status="Status",
            channel="Via",
            team="Group",
            region=("Region [list]", "Region"),
            category=("Category [list]", "Ticket type"),
            priority="Priority",
            assignee="Assignee",
            reopens="Reopens",
            replies="Replies",
            # "Satisfaction Comment" is the requester's text, not a score.
            csat_score="Satisfaction Score",
        ),
        notes=(
            N_("Zendesk writes dates in the account's time zone; set it if they carry no offset."),
        ),
    ),
    Preset(
        name="freshdesk",
        label=N_("Freshdesk / Freshservice ticket export"),
        signature=("ticket id", "created time", "resolved time", "status", "priority"),
        columns=_cols(
            ticket_id="Ticket ID",
            created_at="Created time",
            first_response_at="Initial response time",
            resolved_at="Resolved time",
            closed_at="Closed time",
            status="Status",
            channel="Source",
            team="Group",
            category=("Type", "Category"),
            priority="Priority",
            assignee="Agent",
            replies="Agent interactions",
            csat_score=("Survey Results", "Survey Result", "Customer satisfaction"),
        ),
    ),
    Preset(
        name="jira",
        label=N_("Jira / Jira Service Management issue export"),
        signature=("issue key", "created", "status", "issue type"),
        columns=_cols(
            ticket_id="Issue key",
            created_at="Created",
            resolved_at="Resolved",
            status="Status",
            category=("Custom field (Request Type)", "Issue Type"),
            priority="Priority",
            assignee="Assignee",
            team=("Custom field (Team)", "Team"),
            # Jira Service Management's 1-5 stars, and when they were given.
            csat_score=("Satisfaction", "Custom field (Satisfaction)"),
            csat_at=("Satisfaction date", "Custom field (Satisfaction date)"),
        ),
        notes=(
            N_(
                "Jira exports its SLA fields as remaining-time text, not as a first reply time: "
                "first response stays empty."
            ),
        ),
    ),
    Preset(
        name="servicenow-audit",
        label=N_("ServiceNow incident audit log (one row per update)"),
        kind="event_log",
        signature=("number", "incident_state", "sys_updated_at", "sys_mod_count", "opened_at"),
        columns=_cols(
            ticket_id="number",
            timestamp="sys_updated_at",
            activity="incident_state",
            actor="sys_updated_by",
            sequence="sys_mod_count",
            created_at="opened_at",
            resolved_at="resolved_at",
            closed_at="closed_at",
            channel="contact_type",
            team="assignment_group",
            region="location",
            category="category",
            priority="priority",
            assignee="assigned_to",
            reopens="reopen_count",
        ),
        first_response=("not_in", ("New",)),
        notes=(N_("First response is the first update whose state leaves New."),),
    ),
    Preset(
        name="servicenow",
        label=N_("ServiceNow incident export"),
        signature=("number", "opened_at", "state", "priority"),
        columns=_cols(
            ticket_id="number",
            created_at="opened_at",
            resolved_at="resolved_at",
            closed_at="closed_at",
            status="state",
            channel="contact_type",
            team="assignment_group",
            region="location",
            category="category",
            priority="priority",
            assignee="assigned_to",
            reopens="reopen_count",
        ),
    ),
    Preset(
        name="zammad",
        label=N_("Zammad ticket export"),
        signature=("#", "title", "state", "created at", "first response at"),
        columns=_cols(
            ticket_id="#",
            created_at="Created At",
            first_response_at="First Response At",
            resolved_at="Closed At",
            closed_at="Closed At",
            status="State",
            channel="Create Channel",
            team="Group",
            priority="Priority",
            assignee="Owner",
        ),
    ),
    Preset(
        name="osticket",
        label=N_("osTicket ticket export"),
        signature=("ticket number", "date created", "help topic", "current status"),
        columns=_cols(
            ticket_id="Ticket Number",
            created_at="Date Created",
            resolved_at="Closed Date",
            closed_at="Closed Date",
            status="Current Status",
            channel="Source",
            team=("Department", "Team Assigned"),
            category="Help Topic",
            priority="Priority",
            assignee="Agent Assigned",
            reopens="Reopen Count",
        ),
        notes=(N_("osTicket exports no first-response time."),),
    ),
    Preset(
        name="glpi",
        label=N_("GLPI ticket export"),
        signature=("id", "opening date", "status", "priority"),
        columns=_cols(
            ticket_id="ID",
            created_at="Opening date",
            resolved_at="Resolution date",
            closed_at="Closing date",
            status="Status",
            team="Assigned to - Technician group",
            category="Category",
            priority="Priority",
            assignee="Assigned to - Technician",
            region="Entity",
        ),
    ),
    Preset(
        name="glpi-fr",
        label=N_("GLPI ticket export (French headers)"),
        signature=("id", "date d'ouverture", "statut", "priorité"),
        columns=_cols(
            ticket_id="ID",
            created_at="Date d'ouverture",
            resolved_at="Date de résolution",
            closed_at="Date de clôture",
            status="Statut",
            team="Attribué à - Groupe de techniciens",
            category="Catégorie",
            priority="Priorité",
            assignee="Attribué à - Technicien",
            region="Entité",
        ),
    ),
    Preset(
        name="nyc311",
        label=N_("NYC 311-style open-data service requests"),
        signature=("unique key", "created date", "closed date", "agency", "complaint type"),
        tz="America/New_York",
        columns=_cols(
            ticket_id="Unique Key",
            created_at="Created Date",
            resolved_at="Closed Date",
            closed_at="Closed Date",
            status="Status",
            channel="Open Data Channel Type",
            team="Agency",
            region="Borough",
            category="Complaint Type",
        ),
        notes=(N_("311 requests are closed when resolved: Closed Date is both."),),
    ),
)

GENERIC = Preset(
    name="generic",
    label=N_("Any ticket table (map the columns)"),
    signature=(),
    columns={},
)

EVENT_LOG = Preset(
    name="event-log",
    label=N_("Any event log: one row per ticket activity (map the columns)"),
    signature=(),
    columns={},
    kind="event_log",
)

ALL_PRESETS = {p.name: p for p in (*PRESETS, GENERIC, EVENT_LOG)}

# Header names seen for each field in exports no preset knows; they only
# pre-fill the mapping a user confirms, they never import anything silently.
GUESSES: dict[str, tuple[str, ...]] = {
    "ticket_id": (
        "ticket_id",
        "ticket id",
        "id",
        "ticket number",
        "number",
        "key",
        "case number",
        "numéro",
    ),
    "created_at": (
        "created_at",
        "created at",
        "created",
        "opened_at",
        "date created",
        "creation date",
        "date de création",
        "date d'ouverture",
    ),
    "first_response_at": (
        "first_response_at",
        "first response at",
        "first reply at",
        "first responded at",
        "première réponse",
    ),
    "resolved_at": (
        "resolved_at",
        "resolved at",
        "solved at",
        "resolved",
        "resolution date",
        "date de résolution",
    ),
    "closed_at": ("closed_at", "closed at", "closed", "closed date", "date de clôture"),
    "status": ("status", "state", "statut", "état"),
    "channel": ("channel", "via", "source", "contact_type", "canal"),
    "team": ("team", "group", "assignment_group", "department", "équipe", "groupe"),
    "region": ("region", "région", "country", "pays", "location"),
    "category": ("category", "type", "catégorie", "topic"),
    "priority": ("priority", "priorité", "urgency"),
    "assignee": ("assignee", "agent", "assigned to", "owner", "technicien"),
    "reopens": ("reopens", "reopen count", "reopen_count"),
    "replies": ("replies", "reply count", "agent replies"),
    "csat_score": (
        "csat_score",
        "csat",
        "satisfaction score",
        "satisfaction",
        "satisfaction rating",
        "customer satisfaction",
        "survey results",
        "survey result",
        "rating",
        "satisfaction client",
    ),
    "csat_at": ("csat_at", "satisfaction date", "rated at", "rating date", "survey date"),
    "timestamp": ("timestamp", "time", "date", "event time", "updated at", "sys_updated_at"),
    "activity": ("activity", "event", "action", "state", "status"),
    "actor": ("actor", "user", "agent", "updated by"),
}


def detect_preset(columns: Sequence[str]) -> Preset | None:
    """Return the most specific preset whose signature the header contains, or None."""
    present = {normalise_header(c) for c in columns}
    matches = [p for p in PRESETS if set(p.signature) <= present]
    if not matches:
        return None
    return max(matches, key=lambda p: len(p.signature))


def guess_mapping(columns: Sequence[str], kind: str = "tickets") -> dict[str, str]:
    """Return field -> column guesses for an export no preset knows (for the user to confirm)."""
    index = {normalise_header(c): c for c in columns}
    fields = ("ticket_id", "timestamp", "activity", "actor") if kind == "event_log" else None
    guesses: dict[str, str] = {}
    used: set[str] = set()
    for fld, names in GUESSES.items():
        if fields is not None and fld not in fields and fld != "created_at":
            continue
        if fields is None and fld in ("timestamp", "activity", "actor"):
            continue
        for name in names:
            if name in index and index[name] not in used:
                guesses[fld] = index[name]
                used.add(index[name])
                break
    return guesses


def resolve_mapping(
    preset: Preset, columns: Sequence[str], overrides: Mapping[str, str] | None = None
) -> dict[str, int]:
    """Return canonical field -> column position for ``columns``.

    The preset's candidates come first; ``overrides`` (field -> header name)
    win over them. Positions, not names, reach SQL, so a header with quotes,
    spaces or SQL in it is harmless and repeated headers stay distinct.

    Raises
    ------
    MappingError
        For an unknown field, a column the file lacks, or a missing required field.
    """
    by_name: dict[str, int] = {}
    for i, col in enumerate(columns):
        by_name.setdefault(normalise_header(col), i)
    mapping: dict[str, int] = {}
    for fld, candidates in preset.columns.items():
        for cand in candidates:
            pos = by_name.get(normalise_header(cand))
            if pos is not None:
                mapping[fld] = pos
                break
    for fld, col in (overrides or {}).items():
        if fld not in MAPPABLE_FIELDS:
            raise MappingError(
                N_("unknown field {field!r}; fields are: {fields}"),
                field=fld,
                fields=", ".join(MAPPABLE_FIELDS),
            )
        if col in ("", None):
            mapping.pop(fld, None)
            continue
        pos = by_name.get(normalise_header(col))
        if pos is None:
            raise _absent(col, fld, columns)
        mapping[fld] = pos
    if preset.kind == "event_log":
        required: tuple[str, ...] = ("ticket_id", "timestamp")
    elif "csat_score" in mapping and "created_at" not in mapping:
        # Survey answers about tickets already stored: a ratings import.
        required = ("ticket_id",)
    else:
        required = ("ticket_id", "created_at")
    missing = [f for f in required if f not in mapping]
    if preset.kind == "event_log" and "activity" not in mapping:
        missing.append("activity")
    if missing:
        raise MappingError(
            N_("map the column(s) for {fields} (e.g. --map ticket_id=COLUMN)"),
            fields=", ".join(missing),
        )
    return mapping


def _absent(column: str, fld: str, columns: Sequence[str]) -> MappingError:
    """Return the refusal of a mapping to ``column``, which the file lacks, with close names."""
    close = difflib.get_close_matches(column, list(columns), n=3)
    if close:
        return MappingError(
            N_("column {column!r} for {field} is not in the file (did you mean {close}?)"),
            column=column,
            field=fld,
            close=", ".join(repr(c) for c in close),
        )
    return MappingError(
        N_("column {column!r} for {field} is not in the file"), column=column, field=fld
    )
