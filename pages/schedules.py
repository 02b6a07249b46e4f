"""Schedules: the scheduled jobs, their recent runs and failures; "Run now" for analysts,
adding, changing and removing jobs for admins.

Addresses are shown to admins only; nobody sees more of a webhook or a
download URL than its host, since their paths and queries carry tokens.
"""

from datetime import UTC, datetime

import streamlit as st

import ui
from analytics import access, access_words, i18n
from analytics.ingest import ALL_PRESETS
from analytics.jobs import config as jobs_config
from analytics.jobs import edit, runs, views, worker
from ui import N_, _

RECENT = 50
DIVIDER = "gray"
FAILED = ("failed", "retrying")
NEW = {"@new-import": "import", "@new-report": "report", "@new-alert": "alert"}
NEW_NAMES = {
    "@new-import": N_("New import job"),
    "@new-report": N_("New report job"),
    "@new-alert": N_("New alert job"),
}
SHOWN_AS = {"ok": st.success, "nothing to do": st.info, "retrying": st.warning, "failed": st.error}
JOB_LABELS = {
    "job": N_("Job"),
    "kind": N_("Kind"),
    "what": N_("What"),
    "when": N_("When"),
    "to": N_("To"),
    "webhook": N_("Webhook"),
    "next run": N_("Next run"),
    "last run": N_("Last run"),
    "outcome": N_("Outcome"),
    "message": N_("Message"),
}
RUN_LABELS = {
    "job": N_("Job"),
    "trigger": N_("Started by"),
    "started": N_("Started"),
    "finished": N_("Finished"),
    "outcome": N_("Outcome"),
    "message": N_("Message"),
    "delivered": N_("Delivered"),
}


def _headed(frame, labels: dict[str, str]):
    """Return ``frame`` with its columns and index under their names in the session's language."""
    shown = frame.rename(columns={column: _(label) for column, label in labels.items()})
    if frame.index.name in labels:
        shown.index.name = _(labels[frame.index.name])
    return shown


st.title(_("Schedules"))
selection = ui.selection()
user = ui.current_user()
admin = user.can("edit_jobs")
zone = selection.tz if selection else "UTC"
try:
    config = jobs_config.load_jobs()
except jobs_config.JobsConfigError as exc:
    st.error(
        _("The jobs cannot be read: {why}").format(why=ui.md_escape(ui.describe(exc))),
        icon=":material/error:",
    )
    st.stop()
names = [job.name for job in config.jobs]
# Where the server keeps its settings is the admins' business.
settings_file = ui.md_escape(config.path) if admin else _("the settings file")
st.caption(
    _(
        "Jobs declared in {file}. The worker (`python -m analytics worker`) runs each when due; "
        "times are shown in {zone}."
    ).format(file=settings_file, zone=ui.md_escape(zone))
)
if said := st.session_state.pop("schedules_said", None):
    outcome, text = said
    SHOWN_AS.get(outcome, st.info)(ui.md_escape(text))


def _run_now() -> None:
    """Draw the "Run now" control; a run's outcome is shown after the page reloads."""
    cols = st.columns([3, 1], vertical_alignment="bottom")
    name = cols[0].selectbox(_("Job to run"), names, key="run_choice")
    if not cols[1].button(
        _("Run now"), key="run_now", icon=":material/play_arrow:", type="primary"
    ):
        return
    with st.spinner(_("Running {job}…").format(job=ui.md_escape(name))):
        try:
            with ui.cursor() as cur:
                result = worker.run_now(
                    cur, name, settings=ui.settings(), config=config, actor=user
                )
        except (access.AccessError, jobs_config.JobsConfigError) as exc:
            said = ("failed", _("{job} was not run: {why}").format(job=name, why=ui.describe(exc)))
        else:
            said = (
                result.outcome,
                _("{job}: {outcome}. {message}").format(
                    job=name,
                    outcome=views.named(result.outcome, views.OUTCOME_NAMES, ui.lang()),
                    message=views.visible_message(result.message, admin=admin, lang=ui.lang()),
                ),
            )
    st.session_state["schedules_said"] = said
    st.rerun()


def _common_fields(kind: str, job: jobs_config.Job | None, key: str) -> dict:
    tz = job.tz if job else "UTC"
    zones = ui.time_zones()
    zones = zones if tz in zones else [tz, *zones]
    cols = st.columns(4)
    spec = {
        "name": cols[0].text_input(_("Name"), job.name if job else "", max_chars=64,
                                   key=f"name{key}"),
        "cron": cols[1].text_input(
            _("When (cron)"), job.cron if job else "0 7 * * *", key=f"cron{key}",
            help=_("Minute, hour, day of month, month, day of week: "
                   "0 8 * * MON is Mondays at 08:00."),
        ),
        "tz": cols[2].selectbox(_("Time zone"), zones, zones.index(tz), key=f"tz{key}"),
        "source": cols[3].text_input(
            _("Source"), (job.source or "") if job else "", key=f"source{key}",
            help=_("The store's source it concerns.") if kind == "import"
            else _("The store's source it concerns; empty: the store's first source."),
        ),
    }  # fmt: skip
    return spec


def _import_fields(job: jobs_config.Job | None, key: str) -> dict:
    cols = st.columns(4)
    folder = cols[0].text_input(
        _("Drop folder"), str(job.folder) if job and job.folder else "", key=f"folder{key}"
    )
    url = cols[1].text_input(
        _("Or download from (URL)"), key=f"url{key}",
        help=_("Now {host}; leave empty to keep it.").format(host=views.host(job.url))
        if job and job.url else None,
    )  # fmt: skip
    presets = list(ALL_PRESETS)
    preset = cols[2].selectbox(
        _("Export format"), presets, presets.index(job.preset) if job else presets.index("generic"),
        key=f"preset{key}",
    )  # fmt: skip
    max_mb = cols[3].number_input(
        _("Size limit (MB)"), min_value=1, value=job.max_mb if job else None, step=1,
        key=f"max_mb{key}", placeholder=_("none (URL: the upload limit)"),
    )  # fmt: skip
    # The URL is never put back on the page: an untouched field keeps it.
    kept = job.url if job and not folder.strip() else None
    return {"folder": folder, "url": url.strip() or kept, "preset": preset, "max_mb": max_mb}


def _message_fields(kind: str, job: jobs_config.Job | None, key: str) -> dict:
    cols = st.columns(3)
    spec = {
        "lang": cols[0].selectbox(
            _("Language"), jobs_config.LANGS,
            jobs_config.LANGS.index(job.lang) if job else 0, key=f"lang{key}",
            format_func=lambda code: i18n.NAMES.get(code, code),
        ),
        "region": cols[1].text_input(_("Region"), job.region if job else "all",
                                     key=f"region{key}"),
    }  # fmt: skip
    if kind == "alert":
        spec["kind"] = cols[2].selectbox(
            _("Alert on"), jobs_config.ALERTS,
            jobs_config.ALERTS.index(job.alert) if job else 0, key=f"alert{key}",
        )  # fmt: skip
    lines = (
        [r.address if r.lang == spec["lang"] else f"{r.address} {r.lang}" for r in job.to]
        if job
        else []
    )
    spec["to"] = st.text_area(
        _("To"), "\n".join(lines), key=f"to{key}",
        help=_("One address a line, optionally followed by its language: "
               "direction@example.org fr"),
    )  # fmt: skip
    return spec


def _alert_fields(job: jobs_config.Job | None, key: str) -> dict:
    cols = st.columns([2, 1])
    webhook = cols[0].text_input(
        _("Webhook (Slack or Teams compatible)"), key=f"webhook{key}",
        help=_("Now posts to {host}; leave empty to keep it.").format(host=views.host(job.webhook))
        if job and job.webhook else None,
    )  # fmt: skip
    drop = bool(job and job.webhook) and cols[1].checkbox(_("No webhook"), key=f"no_webhook{key}")
    kept = None if drop or not job else job.webhook
    cols = st.columns(4)
    return {
        "webhook": webhook.strip() or kept,
        "ticket_url": cols[0].text_input(
            _("Ticket link"), (job.ticket_url or "") if job else "", key=f"ticket_url{key}",
            help=_("With {ticket_id}, e.g. https://example.zendesk.com/agent/tickets/{ticket_id}"),
        ),
        "within_hours": cols[1].number_input(
            _("SLA risk within (h)"), min_value=0.1, value=job.within_hours if job else 4.0,
            key=f"within{key}",
        ),
        "growth_pct": cols[2].number_input(
            _("Backlog growth (%)"), min_value=0.1, value=job.growth_pct if job else 20.0,
            key=f"growth{key}",
        ),
        "over_days": cols[3].number_input(
            _("Growth over (days)"), min_value=1, value=job.over_days if job else 7, step=1,
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
            st.markdown(
                _("**{job}**, a {kind} job").format(
                    job=ui.md_escape(job.name), kind=views.named(kind, views.KIND_NAMES, ui.lang())
                )
            )
        spec = _common_fields(kind, job, key)
        if kind == "import":
            spec |= _import_fields(job, key)
        else:
            spec |= _message_fields(kind, job, key)
        if kind == "alert":
            spec |= _alert_fields(job, key)
        saved = st.form_submit_button(_("Save job"), icon=":material/save:", type="primary")
    if saved:
        try:
            spec["to"] = edit.recipients_from_text(spec.get("to", ""))
            with ui.cursor() as cur:
                edit.save_job(cur, config.path, kind, spec, actor=user,
                              replace=job.name if job else None)  # fmt: skip
        except (access.AccessError, jobs_config.JobsConfigError) as exc:
            st.error(_("Not saved: {why}").format(why=ui.md_escape(ui.describe(exc))))
        else:
            _done(_("Saved {job}.").format(job=spec["name"].strip()), key, spec["name"].strip())
    if job and st.button(_("Remove job"), key="remove_job", icon=":material/delete:"):
        try:
            with ui.cursor() as cur:
                edit.remove_job(cur, config.path, job.name, actor=user)
        except (access.AccessError, jobs_config.JobsConfigError) as exc:
            st.error(_("Not removed: {why}").format(why=ui.md_escape(ui.describe(exc))))
        else:
            _done(_("Removed {job}.").format(job=job.name), key, None)


st.subheader(_("Jobs"), divider=DIVIDER)
if not config.jobs:
    st.info(
        (
            _(
                "No job is declared in {file}. Add `[[schedule.import]]`, `[[schedule.report]]` "
                "or `[[schedule.alert]]` tables to it (docs/deploy.md shows each), or add one "
                "below."
            )
            if admin
            else _(
                "No job is declared in {file}. Add `[[schedule.import]]`, `[[schedule.report]]` "
                "or `[[schedule.alert]]` tables to it (docs/deploy.md shows each), or ask an "
                "admin to add one on this page."
            )
        ).format(file=settings_file)
    )
else:
    with ui.cursor() as cur:
        table = worker.schedule_table(cur, config, datetime.now(UTC))
    shown = views.jobs_view(table, config, admin=admin, tz=zone, lang=ui.lang())
    # No "to" or "webhook" column when no job has one.
    shown = shown.drop(columns=[c for c in ("to", "webhook") if not shown[c].any()])
    ui.text_table(_headed(shown.set_index("job"), JOB_LABELS))
    if user.can("run_job"):
        _run_now()
    else:
        role = _(access_words.ROLE_NAMES.get(user.role, user.role))
        st.caption(
            _("You are a {role}: running a job now needs the analyst role.").format(role=role)
        )

with ui.cursor() as cur:
    recent = runs.recent_runs(cur, RECENT)
st.subheader(_("Failures"), divider=DIVIDER)
failures = recent[recent["outcome"].isin(FAILED)]
if recent.empty:
    st.write(_("No job has run yet."))
elif failures.empty:
    st.write(
        ui.n_("None among the latest {n} run.", "None among the latest {n} runs.", len(recent))
    )
else:
    st.error(
        ui.n_(
            "{n} of the latest {total} runs failed or are retrying.",
            "{n} of the latest {total} runs failed or are retrying.",
            len(failures),
        ).format(total=ui.number(len(recent)))
        if len(recent) > 1
        else _("The only run so far failed or is retrying.")
    )
    runs_shown = views.runs_view(failures, admin=admin, tz=zone, lang=ui.lang())
    ui.text_table(_headed(runs_shown, RUN_LABELS))
st.subheader(_("Recent runs"), divider=DIVIDER)
if recent.empty:
    st.write(_("No job has run yet: the worker runs each job at its next time, or use Run now."))
else:
    runs_shown = views.runs_view(recent, admin=admin, tz=zone, lang=ui.lang())
    ui.text_table(_headed(runs_shown, RUN_LABELS))

if admin:
    st.subheader(_("Edit the jobs"), divider=DIVIDER)
    if "edit_next" in st.session_state:  # set before the select box is drawn
        st.session_state["edit_choice"] = st.session_state.pop("edit_next")
    choice = st.selectbox(
        _("Job to edit"),
        [*names, *NEW],
        key="edit_choice",
        format_func={
            **{name: name for name in names},
            **{v: _(k) for v, k in NEW_NAMES.items()},
        }.get,
    )
    _edit_form(NEW.get(choice), None if choice in NEW else config.job(choice))
