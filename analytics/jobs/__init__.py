"""Scheduled jobs: nightly imports, the weekly report by e-mail, surge and SLA-risk alerts.

The jobs are declared in the settings file (:mod:`analytics.jobs.config`);
``python -m analytics worker`` runs them when due (:mod:`analytics.jobs.worker`),
``run-job NAME`` runs one now. Every run leaves a row in the store
(:mod:`analytics.jobs.runs`).
"""
