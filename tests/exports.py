"""Hand-made helpdesk exports, written into a test's tmp_path.

Nothing binary is committed: every export a test needs is written here from
the header lists of real exports (issue 2, appendix), so the bytes on disk are
exactly what the test says they are.
"""

from __future__ import annotations

import csv
import gzip
import io
import shutil
import subprocess
import sys
import zipfile
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

import duckdb

from analytics import ingest, store
from analytics.settings import load_settings

ROOT = Path(__file__).resolve().parents[1]
REALDATA = ROOT.parent / "shared" / "realdata"

# Personal data planted in every preset export; none of it may reach the store.
REQUESTER_NAME = "Alice Requesterson"
REQUESTER_EMAIL = "alice.requesterson@example.org"
SUBJECT = "Printer on fire in room 12"
PERSONAL = (REQUESTER_NAME, REQUESTER_EMAIL, SUBJECT)

Row = Sequence[object]


def csv_text(header: Row, rows: Sequence[Row], *, delimiter: str = ",", newline: str = "\n") -> str:
    """Return CSV text, quoting only where needed."""
    buf = io.StringIO()
    writer = csv.writer(buf, delimiter=delimiter, lineterminator=newline)
    writer.writerow(header)
    writer.writerows(["" if v is None else v for v in row] for row in rows)
    return buf.getvalue()


def write_csv(
    path: Path,
    header: Row,
    rows: Sequence[Row],
    *,
    delimiter: str = ",",
    encoding: str = "utf-8",
    newline: str = "\n",
) -> Path:
    """Write a delimited export; ``encoding="utf-8-sig"`` writes a BOM."""
    text = csv_text(header, rows, delimiter=delimiter, newline=newline)
    path.write_bytes(text.encode(encoding))
    return path


def write_text(path: Path, text: str, *, encoding: str = "utf-8") -> Path:
    """Write ``text`` verbatim (for files csv.writer would tidy up, e.g. ragged rows)."""
    path.write_bytes(text.encode(encoding))
    return path


def write_xlsx(path: Path, header: Row, rows: Sequence[Row]) -> Path:
    """Write a one-sheet workbook with openpyxl (datetime cells stay datetimes)."""
    import openpyxl

    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(list(header))
    for row in rows:
        sheet.append(list(row))
    workbook.save(path)
    return path


def gzip_of(src: Path, dst: Path) -> Path:
    dst.write_bytes(gzip.compress(src.read_bytes()))
    return dst


def zip_of(dst: Path, members: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return dst


def copy_store(src: Path, dst: Path) -> Path:
    """Copy the embedded store whose catalog is ``src`` (catalog and data files) to ``dst``; return ``dst``.

    The catalog is copied with SQLite's backup, which includes what its
    write-ahead log holds, in a child process: Python's SQLite closing a file
    that DuckDB's SQLite has open in this process would drop DuckDB's locks.
    The copy reads its files from ``<dst>.files``.
    """
    subprocess.run(
        [
            sys.executable,
            "-c",
            "import sqlite3, sys; s = sqlite3.connect(sys.argv[1]); d = sqlite3.connect(sys.argv[2]);"
            " s.backup(d); d.execute('pragma journal_mode = wal'); d.close(); s.close()",
            str(src),
            str(dst),
        ],
        check=True,
    )
    files = src.with_name(src.name + ".files")
    if files.exists():
        shutil.copytree(files, dst.with_name(dst.name + ".files"))
    return dst


def table_dump(con: duckdb.DuckDBPyConnection) -> dict[str, list[tuple]]:
    """Return the full contents of every store table, in a stable order."""
    return {
        name: con.execute(f"select * from {name} order by all").fetchall()
        for name in ("tickets", "ratings", "imports", "rejects", "store_meta", "schema_version")
    }


def stored_text(con: duckdb.DuckDBPyConnection) -> str:
    """Return every value of every store table as one string, to search for leaks."""
    return repr(table_dump(con))


def tickets(
    con: duckdb.DuckDBPyConnection, source: str, ids: Sequence[str] | None = None
) -> dict[str, dict]:
    """Return ticket_id -> row (as a dict) for one source, optionally only ``ids``."""
    cur = con.execute(
        "select * from tickets where source = $source "
        "and ($ids is null or list_contains($ids, ticket_id)) order by ticket_id",
        {"source": source, "ids": None if ids is None else list(ids)},
    )
    names = [d[0] for d in cur.description]
    return {row[1]: dict(zip(names, row, strict=True)) for row in cur.fetchall()}


def import_(con, path: Path, **kwargs) -> ingest.ImportReport:
    """Import with the test defaults (no progress, the default settings)."""
    kwargs.setdefault("settings", load_settings())
    return ingest.import_file(con, path, **kwargs)


def memory_store() -> duckdb.DuckDBPyConnection:
    return store.connect()


# --- one hand-made export per preset -------------------------------------------------

ZENDESK_HEADER = [
    "Id",
    "Requester",
    "Requester id",
    "Requester email",
    "Submitter",
    "Assignee",
    "Group",
    "Subject",
    "Tags",
    "Status",
    "Priority",
    "Via",
    "Ticket type",
    "Created at",
    "Updated at",
    "Assigned at",
    "Organization",
    "Due date",
    "Initially assigned at",
    "Solved at",
    "Resolution time",
    "Satisfaction Score",
    "Group stations",
    "Assignee stations",
    "Reopens",
    "Replies",
    "First reply time in minutes",
    "First reply time in minutes within business hours",
    "First resolution time in minutes",
    "First resolution time in minutes within business hours",
    "Full resolution time in minutes",
    "Full resolution time in minutes within business hours",
    "Agent wait time in minutes",
    "Agent wait time in minutes within business hours",
    "Requester wait time in minutes",
    "Requester wait time in minutes within business hours",
    "On hold time in minutes",
    "On hold time in minutes within business hours",
    "Region [list]",
]


def zendesk(tmp: Path) -> Path:
    def row(tid, status, priority, via, created, solved, first_reply, reopens, replies):
        values = dict.fromkeys(ZENDESK_HEADER, "")
        values.update(
            {
                "Id": tid,
                "Requester": REQUESTER_NAME,
                "Requester id": "9001",
                "Requester email": REQUESTER_EMAIL,
                "Submitter": REQUESTER_NAME,
                "Assignee": "Bob Agent",
                "Group": "Tier 1",
                "Subject": SUBJECT,
                "Status": status,
                "Priority": priority,
                "Via": via,
                "Ticket type": "incident",
                "Created at": created,
                "Solved at": solved,
                "Reopens": reopens,
                "Replies": replies,
                "First reply time in minutes": first_reply,
                "First reply time in minutes within business hours": "1",
                "Region [list]": "emea",
            }
        )
        return [values[h] for h in ZENDESK_HEADER]

    return write_csv(
        tmp / "zendesk_tickets.csv",
        ZENDESK_HEADER,
        [
            row(
                "101",
                "solved",
                "Urgent",
                "web_form",
                "2024-03-12 10:00:00 +0100",
                "2024-03-12 13:00:00 +0100",
                "30",
                "1",
                "3",
            ),  # fmt: skip
            row("102", "open", "Normal", "email", "2024-03-13 08:15:00 +0100", "", "", "0", "0"),
            row("103", "pending", "Low", "chat", "2024-03-13 09:00:00 +0100", "", "5", "0", "1"),
        ],
    )


FRESHDESK_HEADER = [
    "Ticket ID",
    "Subject",
    "Status",
    "Priority",
    "Source",
    "Type",
    "Agent",
    "Group",
    "Created time",
    "Due by Time",
    "Resolved time",
    "Closed time",
    "Last update time",
    "Initial response time",
    "Time tracked",
    "First response time (in hrs)",
    "Resolution time (in hrs)",
    "Agent interactions",
    "Customer interactions",
    "Resolution status",
    "First response status",
    "Tags",
    "Product",
]


def _freshdesk_rows():
    return [
        ["2001", SUBJECT, "Resolved", "High", "Portal", "Incident", "Bob Agent", "Billing",
         "2024-03-12 09:00:00", "2024-03-13 09:00:00", "2024-03-12 11:30:00", "",
         "2024-03-12 11:30:00", "2024-03-12 09:45:00", "00:10:00", "00:45:00", "02:30:00",
         "2", "1", "Within SLA", "Within SLA", "", "Main"],
        ["2002", SUBJECT, "Closed", "Urgent", "Phone", "Question", "Bob Agent", "Billing",
         "2024-03-12 10:00:00", "", "2024-03-12 10:20:00", "2024-03-12 12:00:00",
         "2024-03-12 12:00:00", "2024-03-12 10:05:00", "", "00:05:00", "00:20:00",
         "1", "1", "Within SLA", "Within SLA", "", "Main"],
    ]  # fmt: skip


def freshdesk(tmp: Path) -> Path:
    return write_csv(tmp / "freshdesk.csv", FRESHDESK_HEADER, _freshdesk_rows())


def freshservice(tmp: Path) -> Path:
    # Freshservice writes the same export with its own capitalisation.
    header = [
        {"Ticket ID": "Ticket Id", "Created time": "Created Time", "Resolved time": "Resolved Time",
         "Closed time": "Closed Time", "Initial response time": "Initial Response Time"}.get(h, h)
        for h in FRESHDESK_HEADER
    ]  # fmt: skip
    return write_csv(tmp / "freshservice.csv", header, _freshdesk_rows())


JIRA_HEADER = [
    "Summary",
    "Issue key",
    "Issue id",
    "Issue Type",
    "Status",
    "Priority",
    "Resolution",
    "Assignee",
    "Reporter",
    "Created",
    "Updated",
    "Resolved",
    "Status Category",
    "Labels",
    "Labels",
    "Comment",
    "Comment",
    "Custom field (Time to first response)",
    "Custom field (Time to resolution)",
    "Custom field (Request Type)",
]


def jira(tmp: Path) -> Path:
    rows = [
        [SUBJECT, "SUP-1", "10001", "Bug", "Done", "Highest", "Fixed", "Bob Agent",
         REQUESTER_NAME, "12/Mar/24 3:45 PM", "13/Mar/24 9:05 AM", "13/Mar/24 9:05 AM", "Done",
         "printer", "urgent", f"12/Mar/24 4:00 PM;{REQUESTER_NAME};It is, \"really\", on fire",
         "13/Mar/24 9:00 AM;Bob Agent;fixed", "-2h", "1h", "Get IT help"],
        [SUBJECT, "SUP-2", "10002", "Task", "In Progress", "Medium", "", "", REQUESTER_NAME,
         "1/Apr/24 9:00 AM", "1/Apr/24 9:30 AM", "", "In Progress", "", "", "", "", "", "",
         "Get IT help"],
    ]  # fmt: skip
    return write_csv(tmp / "jira.csv", JIRA_HEADER, rows)


SERVICENOW_HEADER = [
    "number",
    "opened_at",
    "caller_id",
    "category",
    "contact_type",
    "assignment_group",
    "assigned_to",
    "priority",
    "state",
    "resolved_at",
    "closed_at",
    "reopen_count",
    "reassignment_count",
    "made_sla",
]


def servicenow(tmp: Path) -> Path:
    rows = [
        ["INC0010001", "2024-03-12 09:00:00", REQUESTER_NAME, "Network", "Self service",
         "Service Desk", "Bob Agent", "2 - High", "Resolved", "2024-03-12 17:00:00", "", "1",
         "0", "true"],
        ["INC0010002", "2024-03-12 10:00:00", REQUESTER_NAME, "Hardware", "Phone",
         "Service Desk", "", "4 - Low", "In Progress", "", "", "0", "2", "false"],
    ]  # fmt: skip
    return write_csv(tmp / "incident.csv", SERVICENOW_HEADER, rows)


ZAMMAD_HEADER = [
    "#",
    "Title",
    "State",
    "Priority",
    "Group",
    "Owner",
    "Customer",
    "Organization",
    "Create Channel",
    "Created At",
    "Closed At",
    "First Response At",
    "First Response In Min",
    "Close In Min",
]


def zammad(tmp: Path) -> Path:
    rows = [
        [31001, SUBJECT, "closed", "3 high", "Users", "Bob Agent", REQUESTER_NAME, "ACME",
         "email", datetime(2024, 3, 12, 9, 0), datetime(2024, 3, 12, 15, 0),
         datetime(2024, 3, 12, 9, 20), 20, 360],
        [31002, SUBJECT, "open", "2 normal", "Users", None, REQUESTER_NAME, "ACME", "phone",
         datetime(2024, 3, 12, 10, 0), None, None, None, None],
    ]  # fmt: skip
    return write_xlsx(tmp / "zammad.xlsx", ZAMMAD_HEADER, rows)


OSTICKET_HEADER = [
    "Ticket Number",
    "Date Created",
    "Subject",
    "From",
    "From Email",
    "Priority",
    "Department",
    "Help Topic",
    "Source",
    "Current Status",
    "Last Updated",
    "SLA Due Date",
    "Due Date",
    "Closed Date",
    "Overdue",
    "Answered",
    "Agent Assigned",
    "Team Assigned",
    "Thread Count",
    "Reopen Count",
]


def osticket(tmp: Path) -> Path:
    rows = [
        ["578912", "2024-03-12 09:00:00", SUBJECT, REQUESTER_NAME, REQUESTER_EMAIL, "Emergency",
         "Support", "Hardware", "Email", "Closed", "2024-03-13 10:00:00", "", "",
         "2024-03-13 10:00:00", "0", "1", "Bob Agent", "", "4", "2"],
        ["578913", "2024-03-12 11:00:00", SUBJECT, REQUESTER_NAME, REQUESTER_EMAIL, "Normal",
         "Support", "Feedback", "Web", "Open", "2024-03-12 11:00:00", "", "", "", "0", "0",
         "", "", "1", "0"],
    ]  # fmt: skip
    return write_csv(tmp / "osticket.csv", OSTICKET_HEADER, rows)


GLPI_HEADER = [
    "ID",
    "Title",
    "Entity",
    "Opening date",
    "Priority",
    "Status",
    "Type",
    "Requester - Requester",
    "Category",
    "Assigned to - Technician",
    "Assigned to - Technician group",
    "Resolution date",
    "Closing date",
    "Time to own",
    "Time to resolve",
]


def glpi(tmp: Path) -> Path:
    rows = [
        ["412", SUBJECT, "Root entity > Paris", "2024-03-12 09:00", "Very high", "Solved",
         "Incident", REQUESTER_NAME, "Hardware > Printer", "Bob Agent", "Helpdesk",
         "2024-03-12 12:00", "", "", ""],
        ["413", SUBJECT, "Root entity > Lyon", "2024-03-12 10:00", "Medium",
         "Processing (assigned)", "Request", REQUESTER_NAME, "Software", "Bob Agent",
         "Helpdesk", "", "", "", ""],
    ]  # fmt: skip
    return write_csv(tmp / "glpi.csv", GLPI_HEADER, rows)


GLPI_FR_HEADER = [
    "ID",
    "Titre",
    "Entité",
    "Date d'ouverture",
    "Priorité",
    "Statut",
    "Type",
    "Demandeur - Demandeur",
    "Catégorie",
    "Attribué à - Technicien",
    "Attribué à - Groupe de techniciens",
    "Date de résolution",
    "Date de clôture",
    "Temps de prise en compte",
    "Temps de résolution",
]


def glpi_fr_rows() -> list[list[str]]:
    return [
        ["512", SUBJECT, "Entité racine > Côte d’Or", "14-03-2024 09:05", "Très haute", "Résolu",
         "Incident", REQUESTER_NAME, "Réseau > Accès à l’intranet", "Zoé Lœwy",
         "Équipe sœur", "14-03-2024 11:35", "15-03-2024 08:00", "", ""],
        ["513", SUBJECT, "Entité racine", "02-04-2024 16:30", "Moyenne", "En cours (Attribué)",
         "Demande", REQUESTER_NAME, "Matériel", "", "Équipe sœur", "", "", "", ""],
    ]  # fmt: skip


def glpi_fr(tmp: Path, *, encoding: str = "cp1252", delimiter: str = ";") -> Path:
    return write_csv(
        tmp / "glpi_fr.csv", GLPI_FR_HEADER, glpi_fr_rows(), delimiter=delimiter, encoding=encoding
    )


NYC311_HEADER = [
    "Unique Key",
    "Created Date",
    "Closed Date",
    "Agency",
    "Agency Name",
    "Complaint Type",
    "Descriptor",
    "Incident Address",
    "Status",
    "Resolution Description",
    "Borough",
    "Open Data Channel Type",
    "Location",
]


def nyc311(tmp: Path) -> Path:
    rows = [
        ["56900001", "02/28/2023 11:45:00 PM", "03/01/2023 01:00:00 AM", "DOT",
         "Department of Transportation", "Street Light Condition", "Lamp Out",
         "1 MAIN STREET", "Closed", 'Fixed, see "Learn More"', "MANHATTAN", "ONLINE",
         "(40.7, -74.0)"],
        ["56900002", "02/28/2023 01:05:00 PM", "", "NYPD", "New York City Police Department",
         "Noise - Residential", "Loud Music/Party", "", "In Progress", "", "BROOKLYN", "PHONE",
         ""],
        ["56900003", "02/28/2023 02:00:00 PM", "02/28/2023 02:00:00 PM", "HPD", "Housing",
         "HEAT/HOT WATER", "", "", "Closed", "", "BRONX", "MOBILE", ""],
    ]  # fmt: skip
    return write_csv(tmp / "nyc311_slice.csv", NYC311_HEADER, rows)


EVENT_LOG_HEADER = ["Case ID", "Event Time", "Activity", "Resource", "Customer Email"]


def event_log(tmp: Path) -> Path:
    rows = [
        ["C-1", "2024-03-12T09:00:00Z", "Ticket created", "system", REQUESTER_EMAIL],
        ["C-1", "2024-03-12T09:40:00Z", "Internal note", "Bob", REQUESTER_EMAIL],
        ["C-1", "2024-03-12T10:00:00Z", "Agent reply", "Bob", REQUESTER_EMAIL],
        ["C-1", "2024-03-12T11:00:00Z", "Agent reply", "Bob", REQUESTER_EMAIL],
        ["C-1", "2024-03-12T12:00:00Z", "Resolved", "Bob", REQUESTER_EMAIL],
        ["C-1", "2024-03-13T08:00:00Z", "Reopened", "system", REQUESTER_EMAIL],
        ["C-1", "2024-03-13T09:00:00Z", "Resolved", "Bob", REQUESTER_EMAIL],
        ["C-2", "2024-03-12T13:00:00Z", "Ticket created", "system", REQUESTER_EMAIL],
        ["C-2", "2024-03-12T13:30:00Z", "Internal note", "Eve", REQUESTER_EMAIL],
    ]
    return write_csv(tmp / "events.csv", EVENT_LOG_HEADER, rows)


GENERIC_HEADER = [
    "Ticket No.",
    "Opened: Date+Time",
    "Answered: Date+Time",
    "Done: Date+Time",
    "Queue + Team",
    "State (now)",
    "Prio: level",
    "Contact: Name",
]


def generic(tmp: Path) -> Path:
    rows = [
        ["G-1", "2024-03-12T09:00:00+02:00", "2024-03-12T09:30:00+02:00",
         "2024-03-12T11:00:00+02:00", "Ops + Infra", "Resolved", "High", REQUESTER_NAME],
        ["G-2", "2024-03-12T10:00:00+02:00", "", "", "Ops + Infra", "Open", "Low",
         REQUESTER_NAME],
    ]  # fmt: skip
    return write_csv(tmp / "generic.csv", GENERIC_HEADER, rows)


GENERIC_MAPPING = {
    "ticket_id": "Ticket No.",
    "created_at": "Opened: Date+Time",
    "first_response_at": "Answered: Date+Time",
    "resolved_at": "Done: Date+Time",
    "team": "Queue + Team",
    "status": "State (now)",
    "priority": "Prio: level",
}
