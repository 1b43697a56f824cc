"""The files kept in exports/ (their history) and the poster page's saved settings."""

from dataclasses import dataclass

from sqlite_utils import Database

from ..db import write
from ._base import _all, _last_id, _one, _owned, now
from .workshops import Workshop


@dataclass(frozen=True, slots=True)
class Export:
    id: int
    workshop_id: int
    kind: str
    filename: str
    options: str
    created_at: str


def record_export(
    db: Database, workshop: Workshop, kind: str, filename: str, options: str = "{}"
) -> Export:
    """Remember a file written to exports/."""
    with write(db):
        db.execute(
            """insert into exports (workshop_id, kind, filename, options, created_at)
               values (?, ?, ?, ?, ?)""",
            [workshop.id, kind, filename, options, now()],
        )
        export_id = _last_id(db)
    return _one(db, Export, "select * from exports where id = ?", [export_id])


def list_exports(db: Database, workshop: Workshop) -> list[Export]:
    """Return the workshop's exports, newest first."""
    return _all(
        db,
        Export,
        "select * from exports where workshop_id = ? order by id desc",
        [workshop.id],
    )


@dataclass(frozen=True, slots=True)
class PosterSettings:
    """The poster page's last choices: options as JSON text, the footer's city and
    signature, the logo."""

    options: str = "{}"
    city: str = ""
    logo: bytes | None = None
    updated_at: str | None = None
    signature: str = ""


def get_poster_settings(db: Database, workshop: Workshop) -> PosterSettings:
    """Return the workshop's poster settings, or the defaults when none were chosen yet."""
    rows = list(
        db.query(
            """select options, city, logo, updated_at, signature from poster_settings
               where workshop_id = ?""",
            [workshop.id],
        )
    )
    return PosterSettings(**rows[0]) if rows else PosterSettings()


def save_poster_settings(
    db: Database, workshop: Workshop, options: str, city: str, signature: str = ""
) -> None:
    """Remember the poster options (JSON text), city and signature, keeping the logo."""
    with write(db):
        db.execute(
            """insert into poster_settings (workshop_id, options, city, signature, updated_at)
               values (?, ?, ?, ?, ?)
               on conflict (workshop_id) do update set options = excluded.options,
                   city = excluded.city, signature = excluded.signature,
                   updated_at = excluded.updated_at""",
            [workshop.id, options, city, signature, now()],
        )


def set_poster_logo(db: Database, workshop: Workshop, logo: bytes | None) -> None:
    """Store the poster's (already checked and downscaled) logo, or remove it with None."""
    with write(db):
        db.execute(
            """insert into poster_settings (workshop_id, logo, updated_at) values (?, ?, ?)
               on conflict (workshop_id) do update set logo = excluded.logo,
                   updated_at = excluded.updated_at""",
            [workshop.id, logo, now()],
        )


def get_export(db: Database, workshop: Workshop, export_id: int) -> Export | None:
    """Return one of the workshop's exports."""
    return _owned(db, Export, "exports", export_id, workshop)
