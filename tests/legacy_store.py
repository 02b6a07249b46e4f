"""Write a small store of the format before DuckLake, as the previous release left it.

Run as a script to write it with DuckDB 2.0.1 (the version that wrote every
old store), which the tests' own DuckDB cannot read::

    python -I tests/legacy_store.py LEGACY_FOLDER OUT.duckdb [SCHEMA_VERSION]

The legacy folder goes first on the path. :func:`fill` also runs in the
tests' process, on a file of the installed DuckDB (a store DuckDB 1.5 wrote).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

SCHEMA = Path(__file__).resolve().parent / "data" / "legacy_schema_v5.sql"

ROWS = """
insert into schema_version select v, timestamptz '2025-01-06 08:00:00+00' + to_days(v::int)
    from range(1, $version + 1) t(v);

insert into imports (source, file_name, sha256, preset, mapping, options, rows_read,
    rows_inserted, rows_updated, rows_unchanged, rows_rejected, rows_flagged, started_at,
    finished_at, outcome)
select 'desk', 'export ' || n || '.csv', repeat('ab', 32), 'generic', '{"ticket_id": "Id"}',
    '{"tz": "Europe/Paris"}', 3, 3, 0, 0, n - 1, 1,
    timestamptz '2025-02-03 09:00:00+01' + to_minutes(n::int),
    timestamptz '2025-02-03 09:00:30+01' + to_minutes(n::int), 'ok'
from range(1, 4) t(n);
-- The second import was deleted with its source's rows: ids have a gap.
delete from imports where import_id = 2;

insert into rejects values (3, 4, 'created_at is missing', 'T-9,,Open');

insert into tickets (source, ticket_id, created_at, first_response_at, resolved_at,
    closed_at, status, status_raw, channel, channel_raw, team, region, category, priority,
    priority_raw, assignee, reopens, replies, first_response_s, resolution_s, flags, import_id)
values
    ('desk', 'T-1', '2025-02-01 08:00:00+00', '2025-02-01 08:30:00+00',
     '2025-02-01 12:00:00+00', '2025-02-02 12:00:00+00', 'closed', 'Closed', 'email',
     'Mail', 'Tier 1', 'emea', 'billing', 'high', 'P2', 'Bob', 0, 2, 1800, 14400, [], 1),
    ('desk', 'T-2', '2025-02-01 09:15:00+00', null, null, null, 'open', 'New', 'chat',
     'Chat', 'Tier 2', 'amer', null, null, null, null, null, null, null, null,
     ['first_response_missing', 'odd "quote"'], 3),
    ('web', 'Zoë/7', '2025-02-02 23:59:59.123456+00', '2025-02-03 00:00:00+00', null,
     null, 'pending', 'Pending', 'web', 'Web form', null, 'apac', 'access', 'low', 'P4',
     null, 1, 0, 1, null, null, 3);

insert into events (source, name, kind, region, starts_on, ends_on, notes) values
    (null, 'Spring sale', 'promotion', 'all', '2025-03-01', '2025-03-07', 'every source'),
    ('desk', 'New interface', 'rollout', 'emea', '2025-02-10', null, null);

insert into event_effects (source, event_id, event_name, kind, region, starts_on, ends_on,
    metric, method, model, shape, decay_days, effect_pct, low_pct, high_pct, effect_abs,
    low_abs, high_abs, baseline, duration_days, estimated_at)
values ('desk', 2, 'New interface', 'rollout', 'emea', '2025-02-10', '2025-02-24',
    'arrivals', 'intervention', 'step, AR(1) errors', 'step', null, 12.5, 3.25, 21.75,
    4.0, 1.0, 7.0, 32.0, 14, '2025-03-01 10:00:00+00');

insert into event_effect_profile values (1, 0, 0.125, 0.03, 0.22), (1, 1, 0.1, null, null);

insert into audit_log (occurred_at, actor, role, via, action, target, detail) values
    ('2025-02-03 08:00:30+00', 'cli:alice', 'admin', 'cli', 'import', 'desk',
     '{"import_id": 1}'),
    ('2025-02-04 10:00:00+00', 'bob@example.org', 'analyst', 'oidc', 'edit_events',
     'desk', null);

insert into staffing_plans values
    ('desk', 'Tier 1', 'mon', 8, 18, 4, 2, 'bob@example.org', '2025-02-05 10:00:00+00');
"""


def fill(con, version: int = 5) -> None:
    """Create the old schema in the empty database ``con`` and write a few rows of every table.

    ``version`` is the schema version the store records (the tables are version 5's).
    """
    con.execute(SCHEMA.read_text(encoding="utf-8"))
    con.execute("set TimeZone = 'UTC'")
    for statement in ROWS.split(";\n"):
        if statement.strip():
            con.execute(statement, {"version": version} if "$version" in statement else None)


def rows_by_table(con, tables: list[str]) -> dict[str, list[str]]:
    """Return every row of each table as JSON text, sorted: alike from DuckDB 2.0.1 and 1.5.5."""
    con.execute("set TimeZone = 'UTC'")
    found = {}
    for table in tables:
        rows = con.execute(f"select * from {table}").fetchall()
        found[table] = sorted(json.dumps(list(row), default=str) for row in rows)
    return found


def main(argv: list[str]) -> None:
    legacy, out, *version = argv
    sys.path.insert(0, legacy)
    import duckdb

    assert Path(duckdb.__file__).resolve().is_relative_to(Path(legacy).resolve()), duckdb.__file__
    con = duckdb.connect(out)
    fill(con, int(version[0]) if version else 5)
    con.close()


if __name__ == "__main__":
    main(sys.argv[1:])
