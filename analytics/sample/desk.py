"""The sample desk as data: its regions and teams, what customers ask and how,
and how long it takes agents.

The tables are the calibration behind ``docs/simulator.md``; :func:`draw_work`
turns them into each ticket's own work, for the sample and for the what-if.
"""

from __future__ import annotations

import numpy as np

REGIONS = ("France", "Europe", "North America", "Asia")
TIMEZONES = {
    "France": "Europe/Paris",
    "Europe": "Europe/Berlin",
    "North America": "America/New_York",
    "Asia": "Asia/Singapore",
}
TEAMS = {r: f"Support {r}" for r in REGIONS}
AGENT_CODES = {"France": "FR", "Europe": "EU", "North America": "NA", "Asia": "AS"}
CATEGORIES = (
    "Domain renewal",
    "Domain transfer",
    "DNS",
    "Hosting",
    "Email service",
    "Billing",
    "Account access",
    "New interface",
)
NEW_INTERFACE = CATEGORIES.index("New interface")
CHANNELS = ("web_form", "email", "chat", "voice")
CHAT = CHANNELS.index("chat")
PRIORITIES = ("low", "normal", "high", "urgent")

# Share of the desk's daily volume by region (at trend 1, annual profile 1).
REGION_SHARE = np.array([0.28, 0.34, 0.23, 0.15])
BASE_DAILY_TICKETS = 300.0
TREND_PER_YEAR = 0.05

# Everyday category mix; "New interface" only exists once a region has it.
CATEGORY_SHARE = np.array([0.16, 0.08, 0.15, 0.15, 0.14, 0.14, 0.18, 0.0])
# The rentrée (September) peak is carried by renewals, transfers and new hosting projects.
RENTREE_CATEGORIES = np.array([1.0, 1.0, 0.0, 1.0, 0.0, 0.0, 0.0, 0.0])
# Agent minutes for the first reply; follow-ups take FOLLOW_UP_EFFORT of that.
HANDLING_MEDIAN_MIN = np.array([17.0, 28.0, 33.0, 41.0, 32.0, 20.0, 18.0, 28.0])
HANDLING_SIGMA = 0.55
FOLLOW_UP_EFFORT = 0.6
# Probability of 0, 1, 2, 3 further exchanges with the customer, by category.
EXCHANGES = np.array(
    [
        [0.55, 0.30, 0.10, 0.05],
        [0.25, 0.35, 0.25, 0.15],
        [0.30, 0.35, 0.22, 0.13],
        [0.25, 0.35, 0.25, 0.15],
        [0.30, 0.35, 0.22, 0.13],
        [0.45, 0.35, 0.15, 0.05],
        [0.40, 0.35, 0.17, 0.08],
        [0.40, 0.35, 0.17, 0.08],
    ]
)
# Channel mix by category (web form, email, chat, phone).
CHANNEL_MIX = np.array(
    [
        [0.42, 0.30, 0.18, 0.10],
        [0.45, 0.32, 0.15, 0.08],
        [0.40, 0.30, 0.20, 0.10],
        [0.42, 0.30, 0.18, 0.10],
        [0.40, 0.33, 0.17, 0.10],
        [0.38, 0.35, 0.15, 0.12],
        [0.35, 0.25, 0.25, 0.15],
        [0.38, 0.22, 0.28, 0.12],
    ]
)
PRIORITY_MIX = np.array([0.15, 0.70, 0.12, 0.03])
TICKET_TYPE = (
    "task",
    "task",
    "incident",
    "incident",
    "incident",
    "question",
    "problem",
    "question",
)
SUBJECTS = {
    "Domain renewal": ("Renewal of my domain", "Domain expired?", "Auto-renew did not work"),
    "Domain transfer": ("Transfer in stuck", "Auth code not accepted", "Transfer out request"),
    "DNS": ("DNS records not updating", "Site unreachable after DNS change", "Add a CNAME"),
    "Hosting": ("New hosting instance", "Website is down", "Upgrade my hosting plan"),
    "Email service": ("Cannot receive emails", "Mailbox quota", "SMTP authentication fails"),
    "Billing": ("Invoice request", "Double charge", "Change payment method"),
    "Account access": ("Cannot log in", "Two-factor lost", "Reset my password"),
    "New interface": ("Where is X in the new interface?", "How do I renew now?", "New UI help"),
}
# Agent minutes of a live session, by channel (form and email never take one).
LIVE_MINUTES = np.array([0.0, 0.0, 22.0, 12.0])
# Most live contacts end in the session; the rest continue by email.
LIVE_SOLVED_IN_SESSION = 0.7
# Customers take hours to answer an agent, sometimes days.
CUSTOMER_DELAY_MEDIAN_MIN = 240.0
CUSTOMER_DELAY_SIGMA = 1.1
REOPEN_SHARE = 0.05
REOPEN_DELAY_MEDIAN_MIN = 1.5 * 24 * 60
# Chat customers who find the chat closed: some fill in the form, most find the answer
# in the help pages or wait for the chat to reopen.
CHAT_DIVERTED_TO_FORM = 0.3

# Weekday shifts in local hours; agent a works shift a % 3.
WEEKDAY_SHIFTS = ((7.0, 15.5), (9.0, 17.5), (11.5, 20.0))
WEEKEND_SHIFT = (10.0, 17.0)
BUSINESS_START_MIN, BUSINESS_END_MIN = 9 * 60, 18 * 60

_HOUR_WEIGHTS = np.array(
    [0.6, 0.4, 0.3, 0.3, 0.4, 0.8, 1.6, 3.2, 5.6, 7.8, 8.2, 7.8,
     6.4, 6.6, 7.2, 7.0, 6.4, 5.6, 4.4, 3.6, 3.2, 2.8, 2.0, 1.2]
)  # fmt: skip
HOUR_PROFILE = _HOUR_WEIGHTS / _HOUR_WEIGHTS.sum()
_WEEKDAY_WEIGHTS = np.array([1.38, 1.15, 1.08, 1.03, 0.94, 0.52, 0.46])
WEEKDAY_PROFILE = _WEEKDAY_WEIGHTS / _WEEKDAY_WEIGHTS.mean()
# Whole-desk seasonality at mid-month (day of year), interpolated between months.
_MONTH_ANCHOR_DOY = np.array([15, 46, 74, 105, 135, 166, 196, 227, 258, 288, 319, 349])
_MONTH_LEVEL = np.array([1.0, 1.02, 1.03, 1.0, 0.97, 0.95, 0.85, 0.72, 1.05, 1.05, 1.0, 0.97])
# Extra factor on the rentrée categories: ramps up late August, fades in October.
_RENTREE_DOY = np.array([1, 235, 251, 270, 292, 366])
_RENTREE_LEVEL = np.array([1.0, 1.0, 1.85, 1.75, 1.0, 1.0])
CHRISTMAS_LEVEL = 0.55


def annual_profiles(doy: np.ndarray, month: np.ndarray, day: np.ndarray) -> tuple:
    """Return (whole-desk level, rentrée factor) for days of year."""
    anchors = np.concatenate([[_MONTH_ANCHOR_DOY[-1] - 365], _MONTH_ANCHOR_DOY, [380]])
    levels = np.concatenate([[_MONTH_LEVEL[-1]], _MONTH_LEVEL, [_MONTH_LEVEL[0]]])
    level = np.interp(doy, anchors, levels)
    christmas = ((month == 12) & (day >= 22)) | ((month == 1) & (day <= 2))
    level = np.where(christmas, CHRISTMAS_LEVEL, level)
    return level, np.interp(doy, _RENTREE_DOY, _RENTREE_LEVEL)


def pick(rng: np.random.Generator, probs: np.ndarray) -> np.ndarray:
    """Draw one index per row of a probability matrix."""
    cum = np.cumsum(probs, axis=1)
    u = rng.random(len(probs)) * cum[:, -1]
    return (u[:, None] >= cum).sum(axis=1).clip(0, probs.shape[1] - 1)


def draw_work(rng, category, channel, priority) -> dict:
    """Draw each ticket's own work: exchanges, handling times, customer delays, reopening."""
    n = len(category)
    extra = pick(rng, EXCHANGES[category])
    live = (channel >= CHAT) | (priority == PRIORITIES.index("urgent"))
    # A live session that ends the matter has no further exchange by email.
    in_session = live & (rng.random(n) < LIVE_SOLVED_IN_SESSION)
    extra = np.where(in_session, 0, np.maximum(extra, live.astype(np.int64)))
    handling = HANDLING_MEDIAN_MIN[category][:, None] * np.exp(
        rng.normal(0.0, HANDLING_SIGMA, (n, 5))
    )
    handling[:, 1:] *= FOLLOW_UP_EFFORT
    live_minutes = np.where(channel >= CHAT, LIVE_MINUTES[channel], HANDLING_MEDIAN_MIN[category])
    handling[:, 0] = np.where(live, live_minutes * np.exp(rng.normal(0, 0.4, n)), handling[:, 0])
    delays = np.minimum(
        CUSTOMER_DELAY_MEDIAN_MIN * np.exp(rng.normal(0.0, CUSTOMER_DELAY_SIGMA, (n, 4))),
        10 * 1440.0,
    )
    reopen_delay = REOPEN_DELAY_MEDIAN_MIN * np.exp(rng.normal(0.0, 0.8, n))
    return {
        "extra": extra.astype(np.int8),
        "live": live,
        "handling": handling,
        "delays": delays,
        "reopens": rng.random(n) < REOPEN_SHARE,
        "reopen_delay": reopen_delay,
    }
