"""Retention, closing and deletion.

A closed workshop keeps its raw answers for RETENTION_DAYS (config, default 30), then
`purge_workshop` deletes them: answers, dots, themes, round answers, drafts with their
suggested changes, rounds that agreed nothing (their snapshot may be a phone's wording),
the people and their names, and the record exports that copy them. What the room agreed
(mission, principles, routine) and the rounds that agreed it, the poster settings and the
posters and staff cards stay. Callers checkpoint afterwards (`db.checkpoint`), so the
deleted text leaves the WAL too (secure_delete zeroes it in the database file).
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlite_utils import Database

from ..db import write
from ._base import _all, _count, days_ago, now
from .events import record_event
from .workshops import Workshop, get_workshop_by_id

# Files that copy raw answers or clients' comments (the monthly pulse sheet quotes three).
RECORD_EXPORT_KINDS = ("report", "csv", "xlsx", "markdown", "json", "pulse")


@dataclass(frozen=True, slots=True)
class RawData:
    """How much raw material a workshop still holds: what a purge would delete."""

    workshop: Workshop
    answers: int
    votes: int
    round_answers: int
    amendments: int
    drafts: int
    rounds: int  # rounds that agreed nothing
    participants: int
    files: tuple[str, ...]

    @property
    def is_empty(self) -> bool:
        counts = (self.answers, self.votes, self.round_answers, self.amendments)
        return not any((*counts, self.drafts, self.rounds, self.participants, self.files))


def purge_due_at(workshop: Workshop, days: int) -> datetime | None:
    """Return when a closed workshop's raw answers go; None while it is open."""
    if workshop.status != "closed" or not workshop.closed_at:
        return None
    return datetime.fromisoformat(workshop.closed_at) + timedelta(days=days)


def close_workshop(db: Database, workshop: Workshop) -> Workshop:
    """Close a workshop: the join code and QR link stop working, answering and voting stop,
    an open round is withdrawn, and the retention clock starts. Closing twice changes nothing.
    """
    with write(db):
        fresh = get_workshop_by_id(db, workshop.id)
        if fresh is None or fresh.status == "closed":
            return fresh
        stamp = now()
        db.execute(
            """update workshops set status = 'closed', closed_at = ?, joining_locked = 1
               where id = ?""",
            [stamp, workshop.id],
        )
        db.execute(
            """update stages set input_open = 0, timer_ends_at = null,
                   voting = case when voting = 'open' then 'closed' else voting end
               where workshop_id = ?""",
            [workshop.id],
        )
        db.execute(
            """update rounds set status = 'closed', outcome = 'withdrawn', closed_at = ?
               where workshop_id = ? and status = 'open'""",
            [stamp, workshop.id],
        )
        ended = ("stage-changed", "participants-changed", "participants-removed")
        for kind in (*ended, "round-changed"):
            record_event(db, workshop, kind)
    return get_workshop_by_id(db, workshop.id)


def idle_workshops(db: Database, days: int, at: datetime | None = None) -> list[Workshop]:
    """Return the open workshops people took part in and nothing has happened in for
    ``days``: `workshop purge` closes them, so none keeps raw answers for ever because
    nobody pressed "close". Those nobody joined are `unjoined_workshops`.
    """
    cutoff = days_ago(days, at)
    return _all(
        db,
        Workshop,
        """select * from workshops w where status = 'open'
           and exists (select 1 from participants p where p.workshop_id = w.id)
           and max(created_at, coalesce(
               (select max(created_at) from events e where e.workshop_id = w.id), '')) < ?
           order by id""",
        [cutoff],
    )


def unjoined_workshops(db: Database, days: int, at: datetime | None = None) -> list[Workshop]:
    """Return the open workshops nobody ever joined or was added to, untouched for ``days``:
    `workshop purge` deletes them, so workshops started and left empty do not pile up."""
    cutoff = days_ago(days, at)
    return _all(
        db,
        Workshop,
        """select * from workshops w
           where status = 'open'
           and not exists (select 1 from participants p where p.workshop_id = w.id)
           and max(created_at, coalesce(
               (select max(created_at) from events e where e.workshop_id = w.id), '')) < ?
           order by id""",
        [cutoff],
    )


def _rows_of(db: Database, table: str, workshop: Workshop) -> int:
    return _count(db, f"select count(*) as n from {table} where workshop_id = ?", [workshop.id])


_OF_ITS_ROUNDS = "round_id in (select id from rounds where workshop_id = ?)"


# Rounds whose snapshot did not become the workshop's own (withdrawn, not agreed, open).
_AGREED_NOTHING = "workshop_id = ? and coalesce(outcome, '') not in ('agreed', 'overridden')"


def _record_files(db: Database, workshop: Workshop) -> list[str]:
    kinds = ", ".join("?" for _ in RECORD_EXPORT_KINDS)
    rows = db.query(
        f"select filename from exports where workshop_id = ? and kind in ({kinds}) order by id",
        [workshop.id, *RECORD_EXPORT_KINDS],
    )
    return [row["filename"] for row in rows]


def raw_data(db: Database, workshop: Workshop) -> RawData:
    """Count what a purge of this workshop would delete."""
    return RawData(
        workshop=workshop,
        answers=_rows_of(db, "answers", workshop),
        votes=_rows_of(db, "votes", workshop),
        round_answers=_count(
            db, f"select count(*) as n from round_answers where {_OF_ITS_ROUNDS}", [workshop.id]
        ),
        amendments=_rows_of(db, "amendments", workshop),
        drafts=_rows_of(db, "drafts", workshop),
        rounds=_count(
            db, f"select count(*) as n from rounds where {_AGREED_NOTHING}", [workshop.id]
        ),
        participants=_rows_of(db, "participants", workshop),
        files=tuple(_record_files(db, workshop)),
    )


def due_for_purge(db: Database, days: int, at: datetime | None = None) -> list[RawData]:
    """Return the workshops closed ``days`` or more ago that still hold raw answers."""
    cutoff = days_ago(days, at)
    closed = _all(
        db,
        Workshop,
        """select * from workshops where status = 'closed' and closed_at is not null
           and closed_at <= ? order by closed_at, id""",
        [cutoff],
    )
    return [found for found in (raw_data(db, w) for w in closed) if not found.is_empty]


def drop_record_exports(db: Database, workshop: Workshop) -> list[str]:
    """Forget the workshop's record exports (they copy raw answers and clients' comments);
    return their files for the caller to remove from exports/."""
    kinds = ", ".join("?" for _ in RECORD_EXPORT_KINDS)
    with write(db):
        files = _record_files(db, workshop)
        db.execute(
            f"delete from exports where workshop_id = ? and kind in ({kinds})",
            [workshop.id, *RECORD_EXPORT_KINDS],
        )
    return files


def purge_workshop(db: Database, workshop: Workshop) -> list[str]:
    """Delete a workshop's raw answers and keep what it agreed; return the export files
    (records that copy the answers) for the caller to remove from exports/."""
    with write(db):
        files = drop_record_exports(db, workshop)
        db.execute(f"delete from round_answers where {_OF_ITS_ROUNDS}", [workshop.id])
        db.execute(f"delete from rounds where {_AGREED_NOTHING}", [workshop.id])
        for table in (
            "votes",
            "answers",
            "themes",
            "amendments",
            "drafts",
            "participants",
            "join_requests",
        ):
            db.execute(f"delete from {table} where workshop_id = ?", [workshop.id])
        emptied = ("answers-changed", "participants-changed", "participants-removed")
        for kind in (*emptied, "mission-changed"):
            record_event(db, workshop, kind)
    return files


def delete_workshop(db: Database, workshop: Workshop) -> list[str]:
    """Delete a workshop and everything in it; return all its export files to remove."""
    with write(db):
        files = [
            row["filename"]
            for row in db.query("select filename from exports where workshop_id = ?", [workshop.id])
        ]
        db.execute("delete from workshops where id = ?", [workshop.id])  # the rest cascades
    return files
