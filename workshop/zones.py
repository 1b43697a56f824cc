"""Time zones: every date and time a person reads is in the workshop's zone.

Timestamps are stored in UTC. Each workshop has an IANA zone (``Workshop.time_zone``),
chosen when it is created and changed on its settings page; an empty one means the
default: ``WORKSHOP_TIMEZONE`` when the operator set it, else Europe/Warsaw for a Polish
workshop and the server's own zone for any other.
"""

import os
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Protocol
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask import current_app, has_app_context

POLISH_ZONE = "Europe/Warsaw"
FALLBACK_ZONE = "UTC"
UTC_ALIASES = ("Etc/UTC", "Etc/UCT", "Etc/Universal", "Etc/Zulu", "UCT", "Universal", "Zulu")
# Offered in the time zone select; any other IANA name is accepted as well (the CLI, the
# operator's default), and a workshop's own zone is always offered beside these.
COMMON_ZONES = (
    "Europe/Warsaw",
    "Europe/London",
    "Europe/Dublin",
    "Europe/Lisbon",
    "Europe/Madrid",
    "Europe/Paris",
    "Europe/Brussels",
    "Europe/Amsterdam",
    "Europe/Berlin",
    "Europe/Copenhagen",
    "Europe/Oslo",
    "Europe/Stockholm",
    "Europe/Prague",
    "Europe/Vienna",
    "Europe/Rome",
    "Europe/Budapest",
    "Europe/Vilnius",
    "Europe/Riga",
    "Europe/Tallinn",
    "Europe/Helsinki",
    "Europe/Kyiv",
    "Europe/Bucharest",
    "Europe/Athens",
    "Europe/Istanbul",
    "America/New_York",
    "America/Chicago",
    "America/Denver",
    "America/Los_Angeles",
    "America/Toronto",
    "Asia/Dubai",
    "Asia/Kolkata",
    "Asia/Singapore",
    "Asia/Tokyo",
    "Australia/Sydney",
    "UTC",
)
LOCALTIME = Path("/etc/localtime")


class Zoned(Protocol):
    """Anything that carries a language and a time zone: a workshop."""

    @property
    def language(self) -> str: ...

    @property
    def time_zone(self) -> str: ...


def is_zone(name: object) -> bool:
    """Tell whether ``name`` is an IANA time zone name this machine knows."""
    if not isinstance(name, str) or not name or name != name.strip() or ".." in name:
        return False
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        return False
    return True


def server_zone() -> str:
    """Name the server's own zone: $TZ, else what /etc/localtime points at, else UTC."""
    named = os.environ.get("TZ", "").removeprefix(":")
    if is_zone(named):
        return named
    try:
        target = str(LOCALTIME.resolve())
    except OSError:
        return FALLBACK_ZONE
    named = target.split("/zoneinfo/", 1)[1] if "/zoneinfo/" in target else ""
    if named in UTC_ALIASES:
        return "UTC"
    return named if is_zone(named) else FALLBACK_ZONE


def configured_zone() -> str | None:
    """Return the operator's default (``WORKSHOP_TIMEZONE``), if any."""
    if not has_app_context():
        return None
    return current_app.config.get("TIMEZONE") or None


def default_zone(language: str) -> str:
    """Name the zone a new workshop in ``language`` gets unless one is chosen."""
    return configured_zone() or (POLISH_ZONE if language == "pl" else server_zone())


def zone_name(workshop: Zoned) -> str:
    """Name the workshop's zone: its own, or the default for its language."""
    own = workshop.time_zone
    return own if is_zone(own) else default_zone(workshop.language)


def workshop_zone(workshop: Zoned) -> ZoneInfo:
    """Return the workshop's zone."""
    return ZoneInfo(zone_name(workshop))


def check_configured(name: object) -> None:
    """Refuse a ``WORKSHOP_TIMEZONE`` that names no zone, at start-up rather than later."""
    if name and not is_zone(name):
        raise ValueError(
            f"WORKSHOP_TIMEZONE={name!r} is not a time zone name such as Europe/Warsaw or UTC"
        )


def local(stamp: str, zone: ZoneInfo) -> datetime:
    """Turn a stored timestamp (ISO 8601, UTC) into that moment in ``zone``."""
    moment = datetime.fromisoformat(stamp)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(zone)


def local_date(stamp: str | None, zone: ZoneInfo) -> date:
    """Return the day a stored timestamp falls on in ``zone``; today there without one."""
    return local(stamp, zone).date() if stamp else datetime.now(zone).date()


def zone_choices(*also: str) -> list[str]:
    """List the zones a select offers: the common ones, with ``also`` added where missing."""
    extra = [name for name in dict.fromkeys(also) if is_zone(name) and name not in COMMON_ZONES]
    return [*extra, *COMMON_ZONES]
