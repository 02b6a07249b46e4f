"""The canonical ticket: its fields and the normalised values of status, channel, priority.

This is the one place where a vendor's vocabulary becomes ours. Presets only
say which column holds which field; the rules below turn ``Via: web_form``,
``Source: Portal`` or ``contact_type: Self service`` into one channel name.
Values nobody has mapped are kept, lower-cased, and the raw value is always
stored beside the normalised one.
"""

from __future__ import annotations

TIMESTAMP_FIELDS = ("created_at", "first_response_at", "resolved_at", "closed_at")
TEXT_FIELDS = ("status", "channel", "team", "region", "category", "priority", "assignee")
INTEGER_FIELDS = ("reopens", "replies")
TICKET_FIELDS = ("ticket_id", *TIMESTAMP_FIELDS, *TEXT_FIELDS, *INTEGER_FIELDS)

# Fields some exports give instead of a timestamp: minutes after creation.
MINUTES_FIELDS = {
    "first_response_minutes": "first_response_at",
    "resolution_minutes": "resolved_at",
}

# Fields of an event log (one row per ticket activity).
EVENT_FIELDS = ("ticket_id", "timestamp", "activity", "actor", "sequence")

MAPPABLE_FIELDS = tuple(dict.fromkeys((*TICKET_FIELDS, *MINUTES_FIELDS, *EVENT_FIELDS)))

NORMALISED_FIELDS = ("status", "channel", "priority")

STATUS = {
    "new": "new",
    "nouveau": "new",
    "unassigned": "new",
    "open": "open",
    "opened": "open",
    "ouvert": "open",
    "active": "open",
    "assigned": "open",
    "in progress": "open",
    "work in progress": "open",
    "started": "open",
    "en cours": "open",
    "en cours (attribué)": "open",
    "en cours (planifié)": "open",
    "processing (assigned)": "open",
    "processing (planned)": "open",
    "pending": "pending",
    "awaiting user info": "pending",
    "awaiting problem": "pending",
    "awaiting vendor": "pending",
    "awaiting evidence": "pending",
    "waiting on customer": "pending",
    "waiting for customer": "pending",
    "waiting for support": "open",
    "en attente": "pending",
    "pending reminder": "pending",
    "pending close": "pending",
    "hold": "on_hold",
    "on hold": "on_hold",
    "on-hold": "on_hold",
    "solved": "solved",
    "resolved": "solved",
    "résolu": "solved",
    "done": "solved",
    "closed": "closed",
    "clos": "closed",
    "fermé": "closed",
    "canceled": "closed",
    "cancelled": "closed",
}

CHANNEL = {
    "web_form": "web",
    "web form": "web",
    "web": "web",
    "form": "web",
    "portal": "web",
    "self service": "web",
    "self-service": "web",
    "online": "web",
    "formulaire": "web",
    "email": "email",
    "e-mail": "email",
    "mail": "email",
    "courriel": "email",
    "chat": "chat",
    "live chat": "chat",
    "livechat": "chat",
    "messaging": "chat",
    "phone": "phone",
    "voice": "phone",
    "phone call": "phone",
    "telephone": "phone",
    "téléphone": "phone",
    "call": "phone",
    "mobile": "mobile",
    "api": "api",
    "social": "social",
    "twitter": "social",
    "facebook": "social",
}

PRIORITY = {
    "1 - critical": "urgent",
    "2 - high": "high",
    "3 - moderate": "normal",
    "4 - low": "low",
    "critical": "urgent",
    "urgent": "urgent",
    "emergency": "urgent",
    "highest": "urgent",
    "very high": "urgent",
    "major": "urgent",
    "très haute": "urgent",
    "majeure": "urgent",
    "high": "high",
    "haute": "high",
    "normal": "normal",
    "medium": "normal",
    "moderate": "normal",
    "moyenne": "normal",
    "low": "low",
    "lowest": "low",
    "very low": "low",
    "basse": "low",
    "très basse": "low",
    # Zammad writes its priorities with their rank.
    "1 low": "low",
    "2 normal": "normal",
    "3 high": "high",
}

VALUE_MAPS = {"status": STATUS, "channel": CHANNEL, "priority": PRIORITY}


def value_map_rows() -> list[tuple[str, str, str]]:
    """Return ``(field, raw_lowercase, normalised)`` rows for every known value."""
    return [
        (field, raw, normalised)
        for field, mapping in VALUE_MAPS.items()
        for raw, normalised in mapping.items()
    ]
