"""The map stage: which preset reads the file, which column holds which field, in which zone."""

from __future__ import annotations

import zoneinfo
from collections.abc import Sequence
from dataclasses import dataclass

from analytics.i18n import N_
from analytics.ingest import files
from analytics.ingest.model import ImportFailed, ImportOptions
from analytics.ingest.presets import (
    ALL_PRESETS,
    GENERIC,
    MappingError,
    Preset,
    detect_preset,
    guess_mapping,
    resolve_mapping,
)


@dataclass(frozen=True)
class Plan:
    """How the columns of one file become canonical fields.

    ``positions`` maps a canonical field to its column's position. Event logs
    only: ``first_response_mode`` (``"in"``, ``"not_in"``; ``"none"`` for a
    ticket export) with ``first_response`` tells which activities are a first
    response, ``resolved`` which ones resolve; both lower-cased.
    ``csat_scale`` is the numeric scale of the ratings (5, 10, 100) when the
    person named it, else None: the file's numbers decide.
    """

    preset: Preset
    positions: dict[str, int]
    tz: str
    first_response_mode: str = "none"
    first_response: tuple[str, ...] = ()
    resolved: tuple[str, ...] = ()
    csat_scale: int | None = None

    @property
    def event_log(self) -> bool:
        """Return whether the file holds one row per activity rather than per ticket."""
        return self.preset.kind == "event_log"

    @property
    def ratings_only(self) -> bool:
        """Return whether the file holds satisfaction answers about stored tickets, not tickets."""
        return (
            not self.event_log
            and "csat_score" in self.positions
            and "created_at" not in self.positions
        )


def choose_preset(columns: Sequence[str], name: str | None) -> tuple[Preset, bool]:
    """Return the preset named ``name`` (or the one the header matches, else generic) and whether it was detected.

    Raises
    ------
    ImportFailed
        When no preset has that name.
    """
    if name:
        if name not in ALL_PRESETS:
            raise ImportFailed(
                N_("unknown preset {name!r}; presets: {presets}"),
                name=name,
                presets=", ".join(ALL_PRESETS),
            )
        return ALL_PRESETS[name], False
    found = detect_preset(columns)
    return (found, True) if found else (GENERIC, False)


def map_columns(tabular: files.TabularInput, options: ImportOptions, default_tz: str) -> Plan:
    """Return the plan for reading ``tabular``: preset, column positions, zone and activities.

    Raises
    ------
    ImportFailed
        When no preset recognises the header and no mapping is given, when
        the mapping is incomplete, or the zone or activities are unusable.
    """
    file_name = tabular.file_name
    chosen, _ = choose_preset(tabular.columns, options.preset)
    if chosen.name == GENERIC.name and not options.mapping:
        guesses = guess_mapping(tabular.columns)
        if guesses:
            raise ImportFailed(
                N_(
                    "no preset recognises this header; map the columns "
                    "(--preset generic --map ticket_id=COLUMN created_at=COLUMN ...); "
                    "a guess: --map {guess}"
                ),
                where=file_name,
                guess=" ".join(f"{f}={c!r}" for f, c in guesses.items()),
            )
        raise ImportFailed(
            N_(
                "no preset recognises this header; map the columns "
                "(--preset generic --map ticket_id=COLUMN created_at=COLUMN ...)"
            ),
            where=file_name,
        )
    try:
        positions = resolve_mapping(chosen, tabular.columns, options.mapping)
    except MappingError as exc:
        raise ImportFailed.because(exc, where=file_name) from exc
    zone = _check_zone(options.tz or chosen.tz or default_tz)
    mode, first_response, resolved = _activity_rules(
        chosen, options.first_response_activities, options.resolved_activities
    )
    return Plan(chosen, positions, zone, mode, first_response, resolved, options.csat_scale)


def _check_zone(zone: str) -> str:
    try:
        zoneinfo.ZoneInfo(zone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError) as exc:
        raise ImportFailed(
            N_("unknown time zone {zone!r} (use an IANA name such as Europe/Paris)"), zone=zone
        ) from exc
    return zone


def _activity_rules(
    preset: Preset, first_response: Sequence[str] | None, resolved: Sequence[str] | None
) -> tuple[str, tuple[str, ...], tuple[str, ...]]:
    if preset.kind != "event_log":
        return "none", (), ()
    if first_response:
        fr_mode, fr_values = "in", list(first_response)
    elif preset.first_response:
        fr_mode, fr_values = preset.first_response[0], list(preset.first_response[1])
    else:
        raise ImportFailed(
            N_(
                "an event log needs the activities that mean first response "
                "(--first-response-activity) and resolution (--resolved-activity)"
            )
        )
    resolved_values = list(resolved or (preset.resolved[1] if preset.resolved else []))
    if not resolved_values and preset.name == "event-log":
        raise ImportFailed(
            N_("an event log needs the activities that mean resolution (--resolved-activity)")
        )
    return (
        fr_mode,
        tuple(v.strip().lower() for v in fr_values),
        tuple(v.strip().lower() for v in resolved_values),
    )
