"""Schedules: the scheduled jobs, their recent runs and failures; "Run now" for analysts,
adding, changing and removing jobs for admins.

Addresses are shown to admins only; nobody sees more of a webhook or a
download URL than its host, since their paths and queries carry tokens.
"""

from datetime import UTC, datetime

import streamlit as st

import ui
from analytics import access
from analytics.ingest import ALL_PRESETS
from analytics.jobs import config as jobs_config
from analytics.jobs import edit, runs, views, worker

RECENT = 50
FAILED = ("failed", "retrying")
NEW = {"New import job": "import", "New report job": "report", "New alert job": "alert"}
SHOWN_AS = {"ok": st.success, "nothing to do": st.info, "retrying": st.warning, "failed": st.error}

st.title("Schedules")
selection = ui.selection()
user = ui.current_user()
admin = user.can("edit_jobs")
zone = selection.tz if selection else "UTC"
try:
    config = jobs_config.load_jobs()
except jobs_config.JobsConfigError as exc:
    st.error(f"The jobs cannot be read: {ui.md_escape(exc)}", icon=":material/error:")
    st.stop()
names = [job.name for job in config.jobs]
# Where the server keeps its settings is the admins' business.
settings_file = ui.md_escape(config.path) if admin else "the settings file"
st.caption(
    f"Jobs declared in {settings_file}. The worker (`python -m analytics worker`) "
    f"runs each when due; times are shown in {ui.md_escape(zone)}."
)
if said := st.session_state.pop("schedules_said", None):
    outcome, text = said
    SHOWN_AS.get(outcome, st.info)(ui.md_escape(text))


def _run_now() -> None:
    """Draw the "Run now" control; a run's outcome is shown after the page reloads."""
    cols = st.columns([3, 1], vertical_alignment="bottom")
    name = cols[0].selectbox("Job to run", names, key="run_choice")
    if not cols[1].button("Run now", key="run_now", icon=":material/play_arrow:", type="primary"):
        return
    with st.spinner(f"Running {ui.md_escape(name)}…"):
        try:
            with ui.cursor() as cur:
                result = worker.run_now(
                    cur, name, settings=ui.settings(), config=config, actor=user
                )
        except (access.AccessError, jobs_config.JobsConfigError) as exc:
            said = ("failed", f"{name} was not run: {exc}")
        else:
            said = (
                result.outcome,
                f"{name}: {result.outcome}. {views.visible_message(result.message, admin=admin)}",
            )
    st.session_state["schedules_said"] = said
    st.rerun()


def _common_fields(kind: str, job: jobs_config.Job | None, key: str) -> dict:
    tz = job.tz if job else "UTC"
    zones = ui.time_zones()
    zones = zones if tz in zones else [tz, *zones]
    cols = st.columns(4)
    spec = {
        "name": cols[0].text_input("Name", job.name if job else "", max_chars=64, key=f"name{key}"),
        "cron": cols[1].text_input(
            "When (cron)", job.cron if job else "0 7 * * *", key=f"cron{key}",
            help="Minute, hour, day of month, month, day of week: 0 8 * * MON is Mondays at 08:00.",
        ),
        "tz": cols[2].selectbox("Time zone", zones, zones.index(tz), key=f"tz{key}"),
        "source": cols[3].text_input(
            "Source", (job.source or "") if job else "", key=f"source{key}",
            help="The store's source it concerns" + (
                "." if kind == "import" else "; empty: the store's first source."),
        ),
    }  # fmt: skip
    return spec


def _import_fields(job: jobs_config.Job | None, key: str) -> dict:
    cols = st.columns(4)
    folder = cols[0].text_input(
        "Drop folder", str(job.folder) if job and job.folder else "", key=f"folder{key}"
    )
    url = cols[1].text_input(
        "Or download from (URL)", key=f"url{key}",
        help=f"Now {views.host(job.url)}; leave empty to keep it." if job and job.url else None,
    )  # fmt: skip
    presets = list(ALL_PRESETS)
    preset = cols[2].selectbox(
        "Export format", presets, presets.index(job.preset) if job else presets.index("generic"),
        key=f"preset{key}",
    )  # fmt: skip
    max_mb = cols[3].number_input(
        "Size limit (MB)", min_value=1, value=job.max_mb if job else None, step=1,
        key=f"max_mb{key}", placeholder="none (URL: the upload limit)",
    )  # fmt: skip
    # The URL is never put back on the page: an untouched field keeps it.
    kept = job.url if job and not folder.strip() else None
    return {"folder": folder, "url": url.strip() or kept, "preset": preset, "max_mb": max_mb}


def _message_fields(kind: str, job: jobs_config.Job | None, key: str) -> dict:
    cols = st.columns(3)
    spec = {
        "lang": cols[0].selectbox(
            "Language", jobs_config.LANGS,
            jobs_config.LANGS.index(job.lang) if job else 0, key=f"lang{key}",
        ),
        "region": cols[1].text_input("Region", job.region if job else "all", key=f"region{key}"),
    }  # fmt: skip
    if kind == "alert":
        spec["kind"] = cols[2].selectbox(
            "Alert on", jobs_config.ALERTS,
            jobs_config.ALERTS.index(job.alert) if job else 0, key=f"alert{key}",
        )  # fmt: skip
    lines = (
        [r.address if r.lang == spec["lang"] else f"{r.address} {r.lang}" for r in job.to]
        if job
        else []
    )
    spec["to"] = st.text_area(
        "To", "\n".join(lines), key=f"to{key}",
        help="One address a line, optionally followed by its language: direction@example.org fr",
    )  # fmt: skip
    return spec


def _alert_fields(job: jobs_config.Job | None, key: str) -> dict:
    cols = st.columns([2, 1])
    webhook = cols[0].text_input(
        "Webhook (Slack or Teams compatible)", key=f"webhook{key}",
        help=f"Now posts to {views.host(job.webhook)}; leave empty to keep it." if job and job.webhook else None,
    )  # fmt: skip
    drop = bool(job and job.webhook) and cols[1].checkbox("No webhook", key=f"no_webhook{key}")
    kept = None if drop or not job else job.webhook
    cols = st.columns(4)
    return {
        "webhook": webhook.strip() or kept,
        "ticket_url": cols[0].text_input(
            "Ticket link", (job.ticket_url or "") if job else "", key=f"ticket_url{key}",
            help="With {ticket_id}, e.g. https://example.zendesk.com/agent/tickets/{ticket_id}",
        ),
        "within_hours": cols[1].number_input(
            "SLA risk within (h)", min_value=0.1, value=job.within_hours if job else 4.0,
            key=f"within{key}",
        ),
        "growth_pct": cols[2].number_input(
            "Backlog growth (%)", min_value=0.1, value=job.growth_pct if job else 20.0,
            key=f"growth{key}",
        ),
        "over_days": cols[3].number_input(
            "Growth over (days)", min_value=1, value=job.over_days if job else 7, step=1,
            key=f"over{key}",
        ),
    }  # fmt: skip


def _done(message: str, key: str, next_choice: str | None) -> None:
    """Say ``message`` on the next run, with the form drawn afresh from the file.

    What was typed is dropped, so a webhook or URL just saved is not left in
    its field; ``next_choice`` is the job the form then shows.
    """
    for name in [k for k in st.session_state if str(k).endswith(key)]:
        del st.session_state[name]
    st.session_state["schedules_said"] = ("ok", message)
    st.session_state["edit_next"] = next_choice
    st.rerun()


def _edit_form(new_kind: str | None, job: jobs_config.Job | None) -> None:
    """Draw the form adding a job of ``new_kind``, or changing ``job``, and its Remove button."""
    kind = new_kind or job.kind
    # Job names hold no "@": a form's widgets are told apart by this suffix.
    key = f"@{job.name if job else 'new-' + new_kind}"
    with st.form(f"job_form{key}"):
        if job:
            st.markdown(f"**{ui.md_escape(job.name)}**, a {kind} job")
        spec = _common_fields(kind, job, key)
        if kind == "import":
            spec |= _import_fields(job, key)
        else:
            spec |= _message_fields(kind, job, key)
        if kind == "alert":
            spec |= _alert_fields(job, key)
        saved = st.form_submit_button("Save job", icon=":material/save:", type="primary")
    if saved:
        try:
            spec["to"] = edit.recipients_from_text(spec.get("to", ""))
            with ui.cursor() as cur:
                edit.save_job(cur, config.path, kind, spec, actor=user,
                              replace=job.name if job else None)  # fmt: skip
        except (access.AccessError, jobs_config.JobsConfigError) as exc:
            st.error(f"Not saved: {ui.md_escape(exc)}")
        else:
            _done(f"Saved {spec['name'].strip()}.", key, spec["name"].strip())
    if job and st.button("Remove job", key="remove_job", icon=":material/delete:"):
        try:
            with ui.cursor() as cur:
                edit.remove_job(cur, config.path, job.name, actor=user)
        except (access.AccessError, jobs_config.JobsConfigError) as exc:
            st.error(f"Not removed: {ui.md_escape(exc)}")
        else:
            _done(f"Removed {job.name}.", key, None)


st.subheader("Jobs", divider="gray")
if not config.jobs:
    st.info(
        f"No job is declared in {settings_file}. Add `[[schedule.import]]`, "
        "`[[schedule.report]]` or `[[schedule.alert]]` tables to it (docs/deploy.md shows each)"
        + (", or add one below." if admin else ", or ask an admin to add one on this page.")
    )
else:
    with ui.cursor() as cur:
        table = worker.schedule_table(cur, config, datetime.now(UTC))
    shown = views.jobs_view(table, config, admin=admin, tz=zone)
    # No "to" or "webhook" column when no job has one.
    shown = shown.drop(columns=[c for c in ("to", "webhook") if not shown[c].any()])
    ui.text_table(shown.set_index("job"))
    if user.can("run_job"):
        _run_now()
    else:
        st.caption(f"You are a {user.role}: running a job now needs the analyst role.")

with ui.cursor() as cur:
    recent = runs.recent_runs(cur, RECENT)
st.subheader("Failures", divider="gray")
failures = recent[recent["outcome"].isin(FAILED)]
if recent.empty:
    st.write("No job has run yet.")
elif failures.empty:
    st.write(f"None among the latest {len(recent)} runs.")
else:
    st.error(
        f"{len(failures)} of the latest {len(recent)} runs failed or are retrying."
        if len(recent) > 1
        else "The only run so far failed or is retrying."
    )
    ui.text_table(views.runs_view(failures, admin=admin, tz=zone))
st.subheader("Recent runs", divider="gray")
if recent.empty:
    st.write("No job has run yet: the worker runs each job at its next time, or use Run now.")
else:
    ui.text_table(views.runs_view(recent, admin=admin, tz=zone))

if admin:
    st.subheader("Edit the jobs", divider="gray")
    if "edit_next" in st.session_state:  # set before the select box is drawn
        st.session_state["edit_choice"] = st.session_state.pop("edit_next")
    choice = st.selectbox("Job to edit", [*names, *NEW], key="edit_choice")
    _edit_form(NEW.get(choice), None if choice in NEW else config.job(choice))
