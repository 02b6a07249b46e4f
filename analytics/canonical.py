"""The canonical ticket: its fields and the normalised values of status, channel, priority.

This is the one place where a vendor's vocabulary becomes ours. Presets only
say which column holds which field; the rules below turn ``Via: web_form``,
``Source: Portal`` or ``contact_type: Self service`` into one channel name.
Values nobody has mapped are kept, lower-cased, and the raw value is always
stored beside the normalised one.
"""

from __future__ import annotations

from analytics.i18n import N_

TIMESTAMP_FIELDS = ("created_at", "first_response_at", "resolved_at", "closed_at")
# The survey's answer about a ticket; stored in ``ratings``, not ``tickets``.
RATING_FIELDS = ("csat_score", "csat_at")
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

MAPPABLE_FIELDS = tuple(
    dict.fromkeys((*TICKET_FIELDS, *RATING_FIELDS, *MINUTES_FIELDS, *EVENT_FIELDS))
)

# How each field is named on screen, in English (translated where shown); the
# code, the command line (--map) and the CSV files keep the field names.
FIELD_LABELS = {
    "ticket_id": N_("Ticket ID"),
    "created_at": N_("Created at"),
    "first_response_at": N_("First response at"),
    "resolved_at": N_("Resolved at"),
    "closed_at": N_("Closed at"),
    "status": N_("Status"),
    "channel": N_("Channel"),
    "team": N_("Team"),
    "region": N_("Region"),
    "category": N_("Category"),
    "priority": N_("Priority"),
    "assignee": N_("Assignee"),
    "reopens": N_("Reopens"),
    "replies": N_("Replies"),
    "csat_score": N_("Satisfaction rating"),
    "csat_at": N_("Rated at"),
    "first_response_minutes": N_("First response (minutes)"),
    "resolution_minutes": N_("Resolution (minutes)"),
    "timestamp": N_("Activity time"),
    "activity": N_("Activity"),
    "actor": N_("Actor"),
    "sequence": N_("Sequence number"),
}

# The import's flags on a ticket it keeps but doubts, in words.
FLAG_LABELS = {
    "response_before_creation": N_("first response before creation"),
    "resolution_before_creation": N_("resolution before creation"),
    "closed_before_creation": N_("closed before creation"),
    "duration_over_a_year": N_("a duration over a year"),
    "duplicate_in_file": N_("twice in the file"),
}

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


# Satisfaction answers in words, as scores on 0-100. Zendesk writes Good/Bad;
# Freshdesk's classic survey Awesome / Just okay / Not good.
CSAT_WORDS = {
    "good": 100.0,
    "bad": 0.0,
    "good with comment": 100.0,
    "bad with comment": 0.0,
    "satisfied": 100.0,
    "unsatisfied": 0.0,
    "dissatisfied": 0.0,
    "positive": 100.0,
    "negative": 0.0,
    "awesome": 100.0,
    "just okay": 50.0,
    "not good": 0.0,
    "bon": 100.0,
    "mauvais": 0.0,
    "satisfait": 100.0,
    "insatisfait": 0.0,
}

# Freshdesk's survey labels, worst first, on its 3-, 5- and 7-point scales.
# "Happy" is the top of the 3-point scale but not of the others, so the
# scale is decided once per file, from the labels it holds.
CSAT_LABEL_SCALES = {
    3: ("unhappy", "neutral", "happy"),
    5: ("extremely unhappy", "unhappy", "neutral", "happy", "extremely happy"),
    7: (
        "extremely unhappy",
        "very unhappy",
        "unhappy",
        "neutral",
        "happy",
        "very happy",
        "extremely happy",
    ),
}

# Answers that say no rating was given: no rating is stored for them.
CSAT_NO_RATING = ("offered", "not offered", "unoffered", "not_offered", "none")

# Numeric scales a file's ratings can be named in: points -> (lowest, highest).
CSAT_NUMBER_SCALES = {5: (1.0, 5.0), 10: (1.0, 10.0), 100: (0.0, 100.0)}


def csat_label_words() -> list[str]:
    """Return every satisfaction label that tells a file's label scale apart."""
    return sorted({label for labels in CSAT_LABEL_SCALES.values() for label in labels})


def csat_words(labels_seen: set[str]) -> dict[str, float]:
    """Return lower-case answer -> score (0-100) for a file holding the labels ``labels_seen``.

    The 7-point label scale applies when the file says "very happy" or
    "very unhappy", the 5-point one when it says "extremely ...", else the
    3-point one (happy 100, neutral 50, unhappy 0); labels are spaced evenly.

    >>> csat_words({"happy", "extremely happy"})["happy"]
    75.0
    """
    if labels_seen & {"very happy", "very unhappy"}:
        points = 7
    elif labels_seen & {"extremely happy", "extremely unhappy"}:
        points = 5
    else:
        points = 3
    labels = CSAT_LABEL_SCALES[points]
    scores = {label: 100.0 * i / (len(labels) - 1) for i, label in enumerate(labels)}
    return {**CSAT_WORDS, **scores}


def csat_number_scale(
    lowest: float | None, highest: float | None, named: int | None = None
) -> tuple[float, float]:
    """Return the (lowest, highest) answer of a file's numeric ratings, mapped to 0 and 100.

    ``named`` (5, 10 or 100) is the scale the person named; otherwise it is
    decided from the file's smallest and largest numbers, once for the whole
    file: 1-5 when they all lie in it, else 1-10, else a percentage 0-100.
    A 1-10 survey whose answers all happen to lie in 1-5 needs the scale named.

    >>> csat_number_scale(2, 9)
    (1.0, 10.0)
    """
    if named is not None:
        return CSAT_NUMBER_SCALES[named]
    if lowest is not None and lowest >= 1 and highest <= 5:
        return CSAT_NUMBER_SCALES[5]
    if lowest is not None and lowest >= 1 and highest <= 10:
        return CSAT_NUMBER_SCALES[10]
    return CSAT_NUMBER_SCALES[100]
