"""The settings file the Schedules page's tests serve: one job of each kind."""

WEBHOOK = "https://hooks.example.org/services/T000/B000/secret-token"
SETTINGS = """\
# Jobs of the test desk.
[[schedule.import]]
name = "drop"
folder = "{drop}"
source = "desk"
cron = "0 2 * * *"
tz = "Europe/Paris"

[[schedule.report]]
name = "weekly"
cron = "0 8 * * MON"
to = ["direction@example.org", "ceo@example.org", "cfo@example.org"]

[[schedule.alert]]
name = "surges"
kind = "surge"
cron = "0 7 * * *"
to = ["managers@example.org"]
webhook = "{webhook}"
"""
