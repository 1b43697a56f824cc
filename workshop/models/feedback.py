"""Clients' feedback after a visit: a rating, the principles they felt, an optional comment
and, when they ask to be called back, how to reach them.

Retention (`redact_feedback`) clears the comment and the contact after the retention period
and keeps the rating and the principles, so the counts stay.
"""

import json
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from sqlite_utils import Database

from ..db import write
from ..rules import FEEDBACK_RATINGS
from ..wordfilter import needs_review
from ._base import Refused, _all, _count, _last_id, _one, _owned, days_ago, now
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
    held: int = 0  # the word filter holds the comment for the facilitator's review
    hidden_at: str | None = None  # the facilitator hid the comment

    @property
    def shown(self) -> bool:
        """Tell whether the comment may be shown beyond the facilitator (the lead, the sheet)."""
        return not self.held and self.hidden_at is None

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
                   contact, kiosk, client_nonce, created_at, held)
               values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
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
                int(needs_review(comment)),
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
    return tally_feedback(list_feedback(db, workshop))


def tally_feedback(items: list[Feedback]) -> FeedbackCounts:
    """Count feedback already read by rating and by principle felt."""
    ratings = dict.fromkeys(FEEDBACK_RATINGS, 0)
    principles: dict[str, int] = {}
    total = call_backs = comments = 0
    for item in items:
        total += 1
        ratings[item.rating] += 1
        call_backs += item.call_back
        comments += bool(item.comment)
        for name in item.felt:
            principles[name] = principles.get(name, 0) + 1
    return FeedbackCounts(total, ratings, principles, call_backs, comments)


def feedback_to_redact(db: Database, days: int, at: datetime | None = None) -> list[Workshop]:
    """Return the workshops holding feedback whose comment or contact is past ``days``."""
    return _all(
        db,
        Workshop,
        """select * from workshops where id in
               (select workshop_id from feedback
                where created_at <= ? and (comment != '' or contact != ''))
           order by id""",
        [days_ago(days, at)],
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
            [now(), days_ago(days, at), only, only],
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
    """Return up to ``limit`` of the shown comments given at ``since`` or later, newest
    first (never held or hidden ones; those retention has cleared are gone)."""
    rows = db.query(
        """select comment from feedback
           where workshop_id = ? and created_at >= ? and comment != ''
               and held = 0 and hidden_at is null
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
# The team's pulse: counts by week or month, by rating and by principle, and the comments ----


@dataclass(frozen=True, slots=True)
class PulsePeriod:
    """A week (from its Monday) or a month (from its 1st), in the workshop's local time."""

    start: date
    answers: int
    average: float | None  # the mean rating; None: no answers that period


@dataclass(frozen=True, slots=True)
class PulseSpan:
    """Local days [first, end) of a pulse, with the workshop's offset from UTC in minutes.

    SQLite knows no time zones: the offset in force today stands for the whole span, so an
    answer within an hour of midnight across a change of summer time may count a day off.
    """

    first: date
    end: date
    offset_minutes: int = 0

    @property
    def shift(self) -> str:
        """The SQLite date modifier that turns a stored UTC time into local time."""
        return f"{self.offset_minutes:+d} minutes"

    def _utc(self, day: date) -> str:
        local = datetime(day.year, day.month, day.day, tzinfo=UTC)
        return (local - timedelta(minutes=self.offset_minutes)).isoformat(timespec="seconds")

    @property
    def bounds(self) -> tuple[str, str]:
        """The span as stored UTC times: from (inclusive), until (exclusive)."""
        return self._utc(self.first), self._utc(self.end)


def week_start(day: date) -> date:
    """Return the Monday of ``day``'s week."""
    return day - timedelta(days=day.weekday())


def next_month(day: date) -> date:
    """Return the 1st of the month after ``day``'s."""
    return date(day.year + day.month // 12, day.month % 12 + 1, 1)


# A stored UTC hour's week (its Monday) or month (its 1st) in local time: SQLite's date
# modifiers, given as parameters.
_PERIOD_MODIFIERS = {"week": ("-6 days", "weekday 1"), "month": ("+0 days", "start of month")}


def _span_params(workshop: Workshop, span: PulseSpan, by: str = "week") -> dict:
    """The counts per UTC hour that triggers keep (migration 0019_add_pulse) in ``span``."""
    since, until = span.bounds
    back, snap = _PERIOD_MODIFIERS[by]
    return {
        "workshop": workshop.id,
        "since": since[:13],
        "until": until[:13],
        "shift": span.shift,
        "back": back,
        "snap": snap,
    }


def pulse_periods(db: Database, workshop: Workshop, span: PulseSpan, by: str) -> list[PulsePeriod]:
    """Return the answers and the mean rating of every week or month of ``span``, oldest
    first, empty ones included (by: "week" or "month"; ``span.first`` starts one)."""
    rows = {
        row["period"]: row
        for row in db.query(
            """select date(hour || ':00:00', :shift, :back, :snap) as period,
                      sum(answers) as answers,
                      1.0 * sum(answers * rating) / sum(answers) as average
               from feedback_hours
               where workshop_id = :workshop and hour >= :since and hour < :until
               group by period having sum(answers) > 0""",
            _span_params(workshop, span, by),
        )
    }
    periods, start = [], span.first
    while start < span.end:
        row = rows.get(start.isoformat()) or {"answers": 0, "average": None}
        periods.append(PulsePeriod(start, row["answers"], row["average"]))
        start = start + timedelta(days=7) if by == "week" else next_month(start)
    return periods


def pulse_ratings(db: Database, workshop: Workshop, span: PulseSpan) -> dict[int, int]:
    """Count the answers of ``span`` by rating, every rating included."""
    counts = dict.fromkeys(FEEDBACK_RATINGS, 0)
    for row in db.query(
        """select rating, sum(answers) as n from feedback_hours
           where workshop_id = :workshop and hour >= :since and hour < :until
           group by rating""",
        _span_params(workshop, span),
    ):
        counts[row["rating"]] = row["n"]
    return counts


def pulse_principles(db: Database, workshop: Workshop, span: PulseSpan) -> list[tuple[str, int]]:
    """Return how often each agreed principle was felt in ``span``, most felt first (the
    agreed order among equals), principles felt 0 times included."""
    felt = {
        row["principle"]: row["n"]
        for row in db.query(
            """select principle, sum(felt) as n from feedback_felt
               where workshop_id = :workshop and hour >= :since and hour < :until
               group by principle""",
            _span_params(workshop, span),
        )
    }
    agreed = [
        row["name"]
        for row in db.query(
            "select name from principles where workshop_id = ? order by position", [workshop.id]
        )
    ]
    return sorted(((name, felt.get(name, 0)) for name in agreed), key=lambda pair: -pair[1])


def first_feedback_day(db: Database, workshop: Workshop, offset_minutes: int = 0) -> date | None:
    """Return the local day of the workshop's first feedback, or None without any."""
    rows = db.query(
        """select min(hour) as hour from feedback_hours
           where workshop_id = ? and answers > 0""",
        [workshop.id],
    )
    hour = next(iter(rows))["hour"]
    if hour is None:
        return None
    moment = datetime.fromisoformat(f"{hour}:00:00") + timedelta(minutes=offset_minutes)
    return moment.date()


def list_comments(
    db: Database, workshop: Workshop, state: str = "shown", limit: int = 10, offset: int = 0
) -> list[Feedback]:
    """Return a page of feedback with a comment, newest first: "shown" (what the lead and
    the monthly sheet see), "reviewed" (the facilitator's list: shown and hidden ones) or
    "held" (waiting for the facilitator's review, hidden ones too)."""
    if state == "held":
        sql = """select * from feedback where workshop_id = ? and comment != '' and held = 1
                 order by id desc limit ? offset ?"""
        return _all(db, Feedback, sql, [workshop.id, limit, offset])
    sql = """select * from feedback where workshop_id = ? and comment != '' and held = 0
             and (? or hidden_at is null) order by id desc limit ? offset ?"""
    return _all(db, Feedback, sql, [workshop.id, state == "reviewed", limit, offset])


def shown_comments_in(
    db: Database, workshop: Workshop, span: PulseSpan, limit: int
) -> list[Feedback]:
    """Return the newest shown comments of ``span`` (never held or hidden ones)."""
    return _all(
        db,
        Feedback,
        """select * from feedback where workshop_id = ? and created_at >= ? and created_at < ?
           and comment != '' and held = 0 and hidden_at is null
           order by id desc limit ?""",
        [workshop.id, *span.bounds, limit],
    )


def count_held(db: Database, workshop: Workshop) -> int:
    """Count the comments waiting for the facilitator's review."""
    rows = db.query(
        """select count(*) as n from feedback where workshop_id = ? and comment != ''
           and held = 1 and hidden_at is null""",
        [workshop.id],
    )
    return next(iter(rows))["n"]


def hide_comment(db: Database, workshop: Workshop, feedback_id: int, hidden: bool) -> Feedback:
    """Hide a comment from the lead and the monthly sheet, or show it again (undo)."""
    if _owned(db, Feedback, "feedback", feedback_id, workshop) is None:
        raise Refused("no-such-feedback")
    with write(db):
        db.execute(
            "update feedback set hidden_at = ? where id = ? and workshop_id = ?",
            [now() if hidden else None, feedback_id, workshop.id],
        )
    return _owned(db, Feedback, "feedback", feedback_id, workshop)


def release_comment(db: Database, workshop: Workshop, feedback_id: int, held: bool) -> Feedback:
    """Show a comment the word filter held (the facilitator read it), or hold it again."""
    if _owned(db, Feedback, "feedback", feedback_id, workshop) is None:
        raise Refused("no-such-feedback")
    with write(db):
        db.execute(
            "update feedback set held = ? where id = ? and workshop_id = ?",
            [int(held), feedback_id, workshop.id],
        )
    return _owned(db, Feedback, "feedback", feedback_id, workshop)
