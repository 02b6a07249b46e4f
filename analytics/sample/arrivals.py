"""When the sample's tickets arrive: a non-homogeneous Poisson process per region,
category and hour, shaped by the desk's daily, weekly and annual profiles,
its trend and the story's events."""

from __future__ import annotations

import numpy as np
import pandas as pd

from analytics.sample.desk import (
    BASE_DAILY_TICKETS,
    CATEGORIES,
    CATEGORY_SHARE,
    CHANNEL_MIX,
    CHANNELS,
    CHAT,
    CHAT_DIVERTED_TO_FORM,
    HOUR_PROFILE,
    NEW_INTERFACE,
    PRIORITY_MIX,
    REGION_SHARE,
    REGIONS,
    RENTREE_CATEGORIES,
    TIMEZONES,
    TREND_PER_YEAR,
    WEEKDAY_PROFILE,
    annual_profiles,
    pick,
)
from analytics.sample.story import SimConfig


def draw_arrivals(config: SimConfig, rng: np.random.Generator, t0: pd.Timestamp, days: int) -> dict:
    """Return every ticket's ``created`` (minutes since ``t0``), ``region``,
    ``category``, ``channel`` and ``priority`` (codes), in creation order."""
    hours = pd.date_range(t0, periods=days * 24, freq="h")
    hour_start_min = np.arange(days * 24, dtype=np.float64) * 60.0
    parts = []
    for r in range(len(REGIONS)):
        rates = _hourly_rates(config, r, hours, hour_start_min)
        counts = rng.poisson(rates)
        per_hour = counts.sum(axis=1)
        n = int(per_hour.sum())
        created = np.repeat(hour_start_min, per_hour) + rng.random(n) * 60.0
        category = np.repeat(np.tile(np.arange(len(CATEGORIES)), len(per_hour)), counts.ravel())
        channel = pick(rng, CHANNEL_MIX[category])
        parts.append((created, np.full(n, r), category, channel))

    created = np.concatenate([p[0] for p in parts])
    region = np.concatenate([p[1] for p in parts]).astype(np.int8)
    category = np.concatenate([p[2] for p in parts]).astype(np.int8)
    channel = np.concatenate([p[3] for p in parts]).astype(np.int8)
    keep = _close_chat(config, rng, created, region, channel)

    order = np.argsort(created[keep], kind="stable")
    out = {
        "created": created[keep][order],
        "region": region[keep][order],
        "category": category[keep][order],
        "channel": channel[keep][order],
    }
    out["priority"] = _draw_priority(rng, out["category"])
    return out


def _hourly_rates(
    config: SimConfig, r: int, hours: pd.DatetimeIndex, hour_start_min: np.ndarray
) -> np.ndarray:
    """Return region ``r``'s expected tickets per hour and category (hours x categories)."""
    region = REGIONS[r]
    local = hours.tz_convert(TIMEZONES[region])
    level, rentree = annual_profiles(
        local.day_of_year.to_numpy(), local.month.to_numpy(), local.day.to_numpy()
    )
    years_in = hour_start_min / (365.25 * 1440)
    everyday = (
        BASE_DAILY_TICKETS
        * config.scale
        * REGION_SHARE[r]
        * HOUR_PROFILE[local.hour.to_numpy()]
        * WEEKDAY_PROFILE[local.day_of_week.to_numpy()]
        * level
        * (1 + TREND_PER_YEAR * years_in)
    )
    rates = everyday[:, None] * CATEGORY_SHARE[None, :]
    rates *= 1 + (rentree[:, None] - 1) * RENTREE_CATEGORIES[None, :]
    local_days = (local.tz_localize(None).normalize() - pd.Timestamp(config.start)).days
    for ev in config.events:
        if ev.kind == "interface rollout" and ev.region == region:
            since = (
                local_days.to_numpy() + local.hour.to_numpy() / 24 - (ev.start - config.start).days
            )
            wave = _rollout_curve(since, ev.decay_weeks)
            rates[:, NEW_INTERFACE] += everyday * (ev.peak_multiplier - 1) * wave
    return rates


def _rollout_curve(days_since: np.ndarray, decay_weeks: float) -> np.ndarray:
    """Return the wave of new-interface tickets, 1 at its peak, for days since rollout."""
    ramp = np.clip(days_since / 7.0, 0.0, 1.0)
    decay = np.exp(-np.clip(days_since - 7.0, 0.0, None) / (7.0 * max(decay_weeks, 0.1)))
    # Once the wave has passed, some customers keep asking how the new interface works.
    residue = 0.05
    return np.where(days_since < 0, 0.0, ramp * (residue + (1 - residue) * decay))


def _close_chat(config, rng, created, region, channel) -> np.ndarray:
    """Return which tickets still arrive once the chat closures apply; ``channel`` turns to
    web form, in place, for the chats that come by form instead."""
    keep = np.ones(len(created), dtype=bool)
    for ev in config.events:
        if ev.kind != "channel closed":
            continue
        lo = (ev.start - config.start).days * 1440.0
        hi = ((ev.end - config.start).days + 1) * 1440.0
        hit = (channel == CHAT) & (created >= lo) & (created < hi)
        if ev.region != "all":
            hit &= region == REGIONS.index(ev.region)
        diverted = rng.random(len(created)) < CHAT_DIVERTED_TO_FORM
        channel[hit & diverted] = CHANNELS.index("web_form")
        keep &= ~(hit & ~diverted)
    return keep


def _draw_priority(rng: np.random.Generator, category: np.ndarray) -> np.ndarray:
    """Return each ticket's priority code; lost account access is urgent three times as often."""
    urgent_boost = np.where(category == CATEGORIES.index("Account access"), 3.0, 1.0)
    mix = np.tile(PRIORITY_MIX, (len(category), 1))
    mix[:, 3] *= urgent_boost
    return pick(rng, mix / mix.sum(axis=1, keepdims=True)).astype(np.int8)
