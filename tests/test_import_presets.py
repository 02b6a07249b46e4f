"""Each preset recognises a hand-made export by its header and maps it to canonical values."""

from __future__ import annotations

from datetime import UTC, datetime

import exports
import pytest

from analytics import store


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


EVENT_LOG_OPTIONS = {
    "preset": "event-log",
    "mapping": {
        "ticket_id": "Case ID",
        "timestamp": "Event Time",
        "activity": "Activity",
        "actor": "Resource",
    },
    "first_response_activities": ["Agent reply"],
    "resolved_activities": ["Resolved"],
}

# writer, import options, preset expected, ticket id -> expected stored values
CASES = {
    "zendesk": (
        exports.zendesk,
        {},
        "zendesk",
        {
            "101": {
                "created_at": utc(2024, 3, 12, 9, 0),
                "first_response_at": utc(2024, 3, 12, 9, 30),
                "resolved_at": utc(2024, 3, 12, 12, 0),
                "status": "solved",
                "status_raw": "solved",
                "channel": "web",
                "channel_raw": "web_form",
                "priority": "urgent",
                "priority_raw": "Urgent",
                "team": "Tier 1",
                "region": "emea",
                "assignee": "Bob Agent",
                "reopens": 1,
                "replies": 3,
                "first_response_s": 1800,
                "resolution_s": 3 * 3600,
            },
            "102": {
                "created_at": utc(2024, 3, 13, 7, 15),
                "first_response_at": None,
                "resolved_at": None,
                "status": "open",
                "channel": "email",
                "channel_raw": "email",
                "priority": "normal",
                "priority_raw": "Normal",
            },
            "103": {
                "first_response_at": utc(2024, 3, 13, 8, 5),
                "status": "pending",
                "channel": "chat",
                "priority": "low",
            },
        },
    ),
    "freshdesk": (
        exports.freshdesk,
        {},
        "freshdesk",
        {
            "2001": {
                "created_at": utc(2024, 3, 12, 9, 0),
                "first_response_at": utc(2024, 3, 12, 9, 45),
                "resolved_at": utc(2024, 3, 12, 11, 30),
                "closed_at": None,
                "status": "solved",
                "status_raw": "Resolved",
                "channel": "web",
                "channel_raw": "Portal",
                "priority": "high",
                "team": "Billing",
                "category": "Incident",
                "replies": 2,
            },
            "2002": {
                "closed_at": utc(2024, 3, 12, 12, 0),
                "status": "closed",
                "channel": "phone",
                "priority": "urgent",
                "first_response_s": 300,
            },
        },
    ),
    "freshservice": (
        exports.freshservice,
        {},
        "freshdesk",
        {
            "2001": {
                "created_at": utc(2024, 3, 12, 9, 0),
                "first_response_at": utc(2024, 3, 12, 9, 45),
                "resolved_at": utc(2024, 3, 12, 11, 30),
                "status": "solved",
            },
            "2002": {"closed_at": utc(2024, 3, 12, 12, 0), "channel": "phone"},
        },
    ),
    "jira": (
        exports.jira,
        {},
        "jira",
        {
            "SUP-1": {
                "created_at": utc(2024, 3, 12, 15, 45),
                "resolved_at": utc(2024, 3, 13, 9, 5),
                "first_response_at": None,
                "status": "solved",
                "status_raw": "Done",
                "priority": "urgent",
                "priority_raw": "Highest",
                "category": "Get IT help",
                "assignee": "Bob Agent",
            },
            "SUP-2": {
                "created_at": utc(2024, 4, 1, 9, 0),
                "resolved_at": None,
                "status": "open",
                "status_raw": "In Progress",
                "priority": "normal",
                "assignee": None,
            },
        },
    ),
    "servicenow": (
        exports.servicenow,
        {},
        "servicenow",
        {
            "INC0010001": {
                "created_at": utc(2024, 3, 12, 9, 0),
                "resolved_at": utc(2024, 3, 12, 17, 0),
                "status": "solved",
                "channel": "web",
                "channel_raw": "Self service",
                "priority": "high",
                "priority_raw": "2 - High",
                "team": "Service Desk",
                "category": "Network",
                "reopens": 1,
            },
            "INC0010002": {
                "status": "open",
                "status_raw": "In Progress",
                "channel": "phone",
                "priority": "low",
                "priority_raw": "4 - Low",
            },
        },
    ),
    "zammad": (
        exports.zammad,
        {},
        "zammad",
        {
            "31001": {
                "created_at": utc(2024, 3, 12, 9, 0),
                "first_response_at": utc(2024, 3, 12, 9, 20),
                "resolved_at": utc(2024, 3, 12, 15, 0),
                "closed_at": utc(2024, 3, 12, 15, 0),
                "status": "closed",
                "priority": "high",
                "priority_raw": "3 high",
                "channel": "email",
                "team": "Users",
                "assignee": "Bob Agent",
            },
            "31002": {
                "status": "open",
                "priority": "normal",
                "priority_raw": "2 normal",
                "channel": "phone",
                "closed_at": None,
            },
        },
    ),
    "osticket": (
        exports.osticket,
        {},
        "osticket",
        {
            "578912": {
                "created_at": utc(2024, 3, 12, 9, 0),
                "resolved_at": utc(2024, 3, 13, 10, 0),
                "closed_at": utc(2024, 3, 13, 10, 0),
                "first_response_at": None,
                "status": "closed",
                "channel": "email",
                "channel_raw": "Email",
                "priority": "urgent",
                "priority_raw": "Emergency",
                "team": "Support",
                "category": "Hardware",
                "reopens": 2,
            },
            "578913": {"status": "open", "channel": "web", "priority": "normal"},
        },
    ),
    "glpi": (
        exports.glpi,
        {},
        "glpi",
        {
            "412": {
                "created_at": utc(2024, 3, 12, 9, 0),
                "resolved_at": utc(2024, 3, 12, 12, 0),
                "status": "solved",
                "priority": "urgent",
                "priority_raw": "Very high",
                "team": "Helpdesk",
                "category": "Hardware > Printer",
                "region": "Root entity > Paris",
            },
            "413": {
                "status": "open",
                "status_raw": "Processing (assigned)",
                "priority": "normal",
            },
        },
    ),
    "glpi-fr": (
        lambda tmp: exports.glpi_fr(tmp, encoding="utf-8", delimiter=","),
        {},
        "glpi-fr",
        {
            "512": {
                "created_at": utc(2024, 3, 14, 9, 5),
                "resolved_at": utc(2024, 3, 14, 11, 35),
                "closed_at": utc(2024, 3, 15, 8, 0),
                "status": "solved",
                "status_raw": "Résolu",
                "priority": "urgent",
                "priority_raw": "Très haute",
                "team": "Équipe sœur",
                "category": "Réseau > Accès à l’intranet",
                "assignee": "Zoé Lœwy",
            },
            "513": {
                "created_at": utc(2024, 4, 2, 16, 30),
                "status": "open",
                "priority": "normal",
            },
        },
    ),
    "nyc311": (
        exports.nyc311,
        {},
        "nyc311",
        {
            "56900001": {
                "created_at": utc(2023, 3, 1, 4, 45),
                "closed_at": utc(2023, 3, 1, 6, 0),
                "resolved_at": utc(2023, 3, 1, 6, 0),
                "status": "closed",
                "channel": "web",
                "channel_raw": "ONLINE",
                "team": "DOT",
                "region": "MANHATTAN",
                "category": "Street Light Condition",
            },
            "56900002": {
                "created_at": utc(2023, 2, 28, 18, 5),
                "closed_at": None,
                "status": "open",
                "channel": "phone",
            },
            "56900003": {"channel": "mobile", "channel_raw": "MOBILE", "resolution_s": 0},
        },
    ),
    "event-log": (
        exports.event_log,
        EVENT_LOG_OPTIONS,
        "event-log",
        {
            "C-1": {
                "created_at": utc(2024, 3, 12, 9, 0),
                "first_response_at": utc(2024, 3, 12, 10, 0),
                "resolved_at": utc(2024, 3, 13, 9, 0),
                "status": "solved",
                "status_raw": "Resolved",
                "reopens": 1,
                "replies": 2,
                "first_response_s": 3600,
            },
            "C-2": {
                "created_at": utc(2024, 3, 12, 13, 0),
                "first_response_at": None,
                "resolved_at": None,
                "reopens": 0,
            },
        },
    ),
    "generic": (
        exports.generic,
        {"preset": "generic", "mapping": exports.GENERIC_MAPPING},
        "generic",
        {
            "G-1": {
                "created_at": utc(2024, 3, 12, 7, 0),
                "first_response_at": utc(2024, 3, 12, 7, 30),
                "resolved_at": utc(2024, 3, 12, 9, 0),
                "team": "Ops + Infra",
                "status": "solved",
                "status_raw": "Resolved",
                "priority": "high",
                "priority_raw": "High",
            },
            "G-2": {"status": "open", "first_response_at": None, "team": "Ops + Infra"},
        },
    ),
}


# Once per case for the module: the tests using it only read the store.
@pytest.fixture(scope="module", params=list(CASES), ids=list(CASES))
def imported(request, tmp_path_factory):
    writer, options, preset, expected = CASES[request.param]
    con = store.connect()
    report = exports.import_(
        con, writer(tmp_path_factory.mktemp("export")), source="desk", **options
    )
    yield con, report, preset, expected
    con.close()


def test_export_is_recognised_and_mapped_to_canonical_values(imported):
    con, report, preset, expected = imported
    assert report.preset == preset
    assert report.rows_rejected == 0, report.rejects
    stored = exports.tickets(con, "desk")
    assert sorted(stored) == sorted(expected)
    for ticket_id, values in expected.items():
        got = {k: stored[ticket_id][k] for k in values}
        assert got == values, ticket_id


def test_personal_data_is_not_stored(imported):
    con, _, _, _ = imported
    text = exports.stored_text(con)
    for value in exports.PERSONAL:
        assert value not in text


@pytest.mark.parametrize(
    "writer",
    [exports.zendesk, exports.freshdesk, exports.jira, exports.osticket],
    ids=["zendesk", "freshdesk", "jira", "osticket"],
)
def test_preset_exports_need_no_options(tmp_path, writer):
    con = store.connect()
    report = exports.import_(con, writer(tmp_path))
    assert report.tickets == con.execute("select count(*) from tickets").fetchone()[0] > 0


def test_generic_table_without_mapping_is_refused_with_a_guess(tmp_path):
    con = store.connect()
    path = exports.generic(tmp_path)
    from analytics.ingest import ImportFailed

    with pytest.raises(ImportFailed, match="map the columns"):
        exports.import_(con, path)
    assert con.execute("select count(*) from tickets").fetchone()[0] == 0


def test_rejected_rows_keep_only_mapped_fields_not_personal_data(tmp_path):
    con = store.connect()
    path = exports.zendesk(tmp_path)
    text = path.read_text(encoding="utf-8").replace("2024-03-13 08:15:00 +0100", "not a date")
    exports.write_text(path, text)
    report = exports.import_(con, path)
    assert report.rows_rejected == 1
    assert exports.REQUESTER_EMAIL not in exports.stored_text(con)
