"""Clients' feedback after a visit: a rating, the principles they felt, an optional comment
and, when they ask to be called back, how to reach them.

Retention (`redact_feedback`) clears the comment and the contact after the retention period
and keeps the rating and the principles, so the counts stay.
"""

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlite_utils import Database

from ..db import write
from ..rules import FEEDBACK_RATINGS
from ._base import Refused, _all, _count, _last_id, _one, now
from .cases import open_case_if_needed
from .workshops import Workshop


@dataclass(frozen=True, slots=True)
class Feedback:
    id: int
    workshop_id: int
    rating: int
    principles: str  # a JSON list of names
    comment: str
    call_back: int
    contact: str
    kiosk: int
    client_nonce: str | None
    created_at: str
    redacted_at: str | None = None

    @property
    def felt(self) -> list[str]:
        """The names of the principles the client felt."""
        return json.loads(self.principles)


@dataclass(frozen=True, slots=True)
class FeedbackCounts:
    """What stays of a workshop's feedback after retention: how many, by rating and principle."""

    total: int
    ratings: dict[int, int]
    principles: dict[str, int]
    call_backs: int
    comments: int


def add_feedback(
    db: Database,
    workshop: Workshop,
    rating: int,
    principles: list[str],
    comment: str = "",
    contact: str = "",
    client_nonce: str | None = None,
    kiosk: bool = False,
) -> Feedback:
    """Store a client's feedback; a repeated nonce returns the first copy.

    A contact means the client asked to be called back; principles not among the
    workshop's own are dropped. A low rating or a call-back request opens a case in the
    same write (models/cases.py).
    """
    if rating not in FEEDBACK_RATINGS:
        raise Refused("bad-rating")
    with write(db):
        if client_nonce:
            earlier = _one(
                db,
                Feedback,
                "select * from feedback where workshop_id = ? and client_nonce = ?",
                [workshop.id, client_nonce],
            )
            if earlier is not None:
                return earlier
        agreed = [
            row["name"]
            for row in db.query(
                "select name from principles where workshop_id = ? order by position",
                [workshop.id],
            )
        ]
        felt = [name for name in agreed if name in set(principles)]
        db.execute(
            """insert into feedback (workshop_id, rating, principles, comment, call_back,
                   contact, kiosk, client_nonce, created_at)
               values (?, ?, ?, ?, ?, ?, ?, ?, ?)""",
            [
                workshop.id,
                rating,
                json.dumps(felt, ensure_ascii=False),
                comment,
                int(bool(contact)),
                contact,
                int(kiosk),
                client_nonce or None,
                now(),
            ],
        )
        row_id = _last_id(db)
        open_case_if_needed(db, workshop, row_id, rating, bool(contact))
    return _one(db, Feedback, "select * from feedback where id = ?", [row_id])


def list_feedback(db: Database, workshop: Workshop) -> list[Feedback]:
    """Return a workshop's feedback, oldest first."""
    return _all(
        db, Feedback, "select * from feedback where workshop_id = ? order by id", [workshop.id]
    )


def feedback_counts(db: Database, workshop: Workshop) -> FeedbackCounts:
    """Count a workshop's feedback by rating and by principle felt."""
    ratings = dict.fromkeys(FEEDBACK_RATINGS, 0)
    principles: dict[str, int] = {}
    total = call_backs = comments = 0
    for item in list_feedback(db, workshop):
        total += 1
        ratings[item.rating] += 1
        call_backs += item.call_back
        comments += bool(item.comment)
        for name in item.felt:
            principles[name] = principles.get(name, 0) + 1
    return FeedbackCounts(total, ratings, principles, call_backs, comments)


def _older_than(days: int, at: datetime | None) -> str:
    return ((at or datetime.now(UTC)) - timedelta(days=days)).isoformat(timespec="seconds")


def feedback_to_redact(db: Database, days: int, at: datetime | None = None) -> list[Workshop]:
    """Return the workshops holding feedback whose comment or contact is past ``days``."""
    return _all(
        db,
        Workshop,
        """select * from workshops where id in
               (select workshop_id from feedback
                where created_at <= ? and (comment != '' or contact != ''))
           order by id""",
        [_older_than(days, at)],
    )


def redact_feedback(
    db: Database, days: int, at: datetime | None = None, workshop: Workshop | None = None
) -> int:
    """Clear the comment and contact of feedback older than ``days`` (of one workshop, or
    of all); return how many were cleared. The rating and the principles stay."""
    only = workshop.id if workshop is not None else None
    with write(db):
        cursor = db.execute(
            """update feedback set comment = '', contact = '', redacted_at = ?
               where created_at <= ? and (comment != '' or contact != '')
               and (? is null or workshop_id = ?)""",
            [now(), _older_than(days, at), only, only],
        )
    return cursor.rowcount


# Revisit next year: the year's feedback as material for the next workshop -----------------


def count_feedback_since(db: Database, workshop: Workshop, since: str) -> int:
    """Count the workshop's feedback given at ``since`` or later."""
    return _count(
        db,
        "select count(*) as n from feedback where workshop_id = ? and created_at >= ?",
        [workshop.id, since],
    )


def comments_since(db: Database, workshop: Workshop, since: str, limit: int) -> list[str]:
    """Return up to ``limit`` of the comments given at ``since`` or later, newest first
    (those retention has cleared are gone)."""
    rows = db.query(
        """select comment from feedback
           where workshop_id = ? and created_at >= ? and comment != ''
           order by created_at desc, id desc limit ?""",
        [workshop.id, since, limit],
    )
    return [row["comment"] for row in rows]


def least_felt_principles(
    db: Database, workshop: Workshop, since: str, limit: int
) -> list[tuple[str, int]]:
    """Return up to ``limit`` of the workshop's principles clients felt least often since
    ``since`` (never felt: 0), with how often, least first; ties in the principles' order."""
    rows = db.query(
        """select p.name, (
               select count(*) from feedback f, json_each(f.principles) j
               where f.workshop_id = p.workshop_id and f.created_at >= ? and j.value = p.name
           ) as felt
           from principles p where p.workshop_id = ?
           order by felt, p.position limit ?""",
        [since, workshop.id, limit],
    )
    return [(row["name"], row["felt"]) for row in rows]
