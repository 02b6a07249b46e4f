"""What the Schedules page's tables let each role read of addresses and webhook URLs."""

from __future__ import annotations

import json

from analytics.jobs import views

HOOK = "https://hooks.example.org/services/T000/B000/s3cr3t"


def test_a_message_shows_addresses_to_admins_only_and_urls_as_their_host():
    text = f"sent to ana@example.org; posted to {HOOK}"
    assert views.visible_message(text, admin=True) == (
        "sent to ana@example.org; posted to https://hooks.example.org/…"
    )
    assert views.visible_message(text, admin=False) == (
        "sent to (an address); posted to https://hooks.example.org/…"
    )


def test_what_a_run_delivered_is_counted_for_others_and_listed_for_admins():
    cell = json.dumps([
        {"channel": "email", "to": "ana@example.org", "status": "sent"},
        {"channel": "email", "to": "bob@example.org", "status": "failed"},
        {"channel": "webhook", "to": "hooks.example.org", "status": "sent"},
    ])  # fmt: skip
    assert views.delivered_summary(cell, admin=False) == (
        "email to 2 (1 failed), webhook to hooks.example.org"
    )
    assert views.delivered_summary(cell, admin=True) == (
        "email to ana@example.org (sent), bob@example.org (failed), webhook to hooks.example.org"
    )
    assert "s3cr3t" not in views.delivered_summary(
        json.dumps([{"channel": "webhook", "to": HOOK}]), admin=True
    )


def test_in_french_deliveries_outcomes_and_times_read_in_french():
    cell = json.dumps([
        {"channel": "email", "to": "ana@example.org", "status": "sent"},
        {"channel": "email", "to": "bob@example.org", "status": "failed"},
    ])  # fmt: skip
    assert views.delivered_summary(cell, admin=False, lang="fr") == "email à 2 (1 en échec)"
    assert views.visible_message("to ana@example.org", admin=False, lang="fr") == (
        "to (une adresse)"
    )
    assert views.named("never ran", views.OUTCOME_NAMES, "fr") == "jamais lancée"
    moment = "2026-01-02T13:05:00Z"
    assert views.local_time(moment, "Europe/Paris", "fr") == "2 janv. 2026, 14:05"
    assert views.local_time(moment, "Europe/Paris") == "2 Jan 2026, 14:05"
