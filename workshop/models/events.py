"""Events: every change a screen shows is recorded here. They drive the live updates and
Last-Event-ID replay; the workshop's revision they bump gives the fragments' ETags."""

from sqlite_utils import Database

from ._base import now
from .workshops import Workshop


def record_event(db: Database, workshop: Workshop, kind: str) -> None:
    """Note that ``kind`` changed and bump the revision, inside the caller's transaction."""
    db.execute(
        "insert into events (workshop_id, kind, created_at) values (?, ?, ?)",
        [workshop.id, kind, now()],
    )
    db.execute("update workshops set revision = revision + 1 where id = ?", [workshop.id])


def latest_event_id(db: Database, workshop: Workshop | None = None) -> int:
    """Return the newest event id, for one workshop or for all."""
    if workshop is None:
        rows = db.query("select coalesce(max(id), 0) as id from events")
    else:
        rows = db.query(
            "select coalesce(max(id), 0) as id from events where workshop_id = ?",
            [workshop.id],
        )
    return list(rows)[0]["id"]


def events_after(db: Database, after: int, limit: int = 5000) -> list[dict]:
    """Return events newer than ``after``, oldest first."""
    return list(
        db.query(
            "select id, workshop_id, kind from events where id > ? order by id limit ?",
            [after, limit],
        )
    )


def workshop_events_after(db: Database, workshop_id: int, after: int) -> list[dict]:
    """Return one workshop's events newer than ``after``, oldest first."""
    return list(
        db.query(
            """select id, workshop_id, kind from events
               where workshop_id = ? and id > ? order by id""",
            [workshop_id, after],
        )
    )
