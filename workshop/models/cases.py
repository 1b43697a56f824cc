"""Cases: a way back when a client's trust is lost.

A rating of CASE_RATING_MAX or lower, or a call-back request, opens a case on its feedback
row, in the same write (`open_case_if_needed`, called by `add_feedback`). The team walks its
own routine on the case, one step after another: each step has a note, who did it and when;
the fifth step's question ends it: does the client keep coming (yes, no, unknown)? Closing
the case clears the client's contact, which lives in ``feedback.contact`` only: a case
copies nothing of the client's, it reads the feedback row.
"""

import json
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlite_utils import Database

from ..db import write
from ..rules import CASE_OUTCOMES, CASE_RATING_MAX, ROUTINE_STEPS
from ._base import Refused, _all, _count, _one, days_ago, now
from .workshops import Workshop


@dataclass(frozen=True, slots=True)
class Case:
    """A case with what the client said (read from its feedback row)."""

    id: int
    workshop_id: int
    feedback_id: int
    outcome: str | None
    opened_at: str
    closed_at: str | None
    rating: int
    principles: str  # a JSON list of names
    comment: str
    call_back: int
    contact: str

    @property
    def is_open(self) -> bool:
        return self.closed_at is None

    @property
    def felt(self) -> list[str]:
        """The names of the principles the client felt."""
        return json.loads(self.principles)

    def age_days(self, at: datetime | None = None) -> int:
        """Whole days since the case opened (until it closed, when closed)."""
        end = datetime.fromisoformat(self.closed_at) if self.closed_at else None
        end = end or at or datetime.now(UTC)
        return max(0, (end - datetime.fromisoformat(self.opened_at)).days)


@dataclass(frozen=True, slots=True)
class CaseStep:
    """One step of the routine on one case: a note, who did it, and when it was done."""

    case_id: int
    position: int  # 1 … ROUTINE_STEPS
    note: str
    done_by: str
    done_at: str | None

    @property
    def is_done(self) -> bool:
        return self.done_at is not None


@dataclass(frozen=True, slots=True)
class CaseSummary:
    """What the team's pulse shows of the cases: the open ones' ages and who came back."""

    open: int
    ages: tuple[int, ...]  # days each open case has been open, oldest first
    closed: int
    came_back: int  # closed with "yes, the client keeps coming"
    stayed_away: int  # closed with "no"
    unknown: int  # closed with "we don't know yet"

    @property
    def oldest_days(self) -> int | None:
        return self.ages[0] if self.ages else None


_CASE = """select c.id, c.workshop_id, c.feedback_id, c.outcome, c.opened_at, c.closed_at,
                  f.rating, f.principles, f.comment, f.call_back, f.contact
           from cases c join feedback f on f.id = c.feedback_id"""


def open_case_if_needed(
    db: Database, workshop: Workshop, feedback_id: int, rating: int, call_back: bool
) -> None:
    """Open a case on a new feedback row when its rating is low or the client asked to be
    called back (call inside the feedback's own write; one case per feedback)."""
    if rating > CASE_RATING_MAX and not call_back:
        return
    db.execute(
        """insert into cases (workshop_id, feedback_id, opened_at) values (?, ?, ?)
           on conflict (feedback_id) do nothing""",
        [workshop.id, feedback_id, now()],
    )


def get_case(db: Database, workshop: Workshop, case_id: int) -> Case | None:
    """Return one of the workshop's cases."""
    return _one(db, Case, f"{_CASE} where c.id = ? and c.workshop_id = ?", [case_id, workshop.id])


def get_case_for_feedback(db: Database, feedback_id: int) -> Case | None:
    """Return the case a feedback row opened, if it opened one."""
    return _one(db, Case, f"{_CASE} where c.feedback_id = ?", [feedback_id])


def list_cases(db: Database, workshop: Workshop) -> list[Case]:
    """Return the workshop's cases: the open ones oldest first, then the closed, newest first."""
    return _all(
        db,
        Case,
        f"""{_CASE} where c.workshop_id = ?
            order by c.closed_at is not null, case when c.closed_at is null then c.id end,
                     c.closed_at desc, c.id desc""",
        [workshop.id],
    )


def count_open_cases(db: Database, workshop: Workshop) -> int:
    """Count the workshop's open cases (for the control page's link)."""
    return _count(
        db,
        "select count(*) as n from cases where workshop_id = ? and closed_at is null",
        [workshop.id],
    )


def list_case_steps(db: Database, case: Case) -> list[CaseStep]:
    """Return the case's ROUTINE_STEPS steps in order, untouched ones blank."""
    stored = {
        step.position: step
        for step in _all(
            db, CaseStep, "select * from case_steps where case_id = ? order by position", [case.id]
        )
    }
    return [
        stored.get(position, CaseStep(case.id, position, "", "", None))
        for position in range(1, ROUTINE_STEPS + 1)
    ]


def _fresh_open(db: Database, workshop: Workshop, case: Case, position: int) -> None:
    if not 1 <= position <= ROUTINE_STEPS:
        raise Refused("bad-step")
    fresh = get_case(db, workshop, case.id)
    if fresh is None or not fresh.is_open:
        raise Refused("case-closed")


def do_step(
    db: Database,
    workshop: Workshop,
    case: Case,
    position: int,
    note: str,
    done_by: str,
    outcome: str | None = None,
) -> CaseStep:
    """Mark a step done with its note and who did it; the last step takes the outcome."""
    last = position == ROUTINE_STEPS
    if last and outcome not in CASE_OUTCOMES:
        raise Refused("case-no-outcome")
    with write(db):
        _fresh_open(db, workshop, case, position)
        db.execute(
            """insert into case_steps (case_id, position, note, done_by, done_at)
               values (?, ?, ?, ?, ?)
               on conflict (case_id, position) do update set
                   note = excluded.note, done_by = excluded.done_by, done_at = excluded.done_at""",
            [case.id, position, note, done_by, now()],
        )
        if last:
            db.execute("update cases set outcome = ? where id = ?", [outcome, case.id])
    return list_case_steps(db, case)[position - 1]


def undo_step(db: Database, workshop: Workshop, case: Case, position: int) -> CaseStep:
    """Mark a step not done again (its note stays); undoing the last forgets the outcome."""
    with write(db):
        _fresh_open(db, workshop, case, position)
        db.execute(
            "update case_steps set done_at = null where case_id = ? and position = ?",
            [case.id, position],
        )
        if position == ROUTINE_STEPS:
            db.execute("update cases set outcome = null where id = ?", [case.id])
    return list_case_steps(db, case)[position - 1]


def close_case(db: Database, workshop: Workshop, case: Case) -> Case:
    """Close a case whose last step has its answer, and delete the client's contact."""
    with write(db):
        fresh = get_case(db, workshop, case.id)
        if fresh is None or not fresh.is_open:
            raise Refused("case-closed")
        if fresh.outcome is None:
            raise Refused("case-no-outcome")
        db.execute("update cases set closed_at = ? where id = ?", [now(), case.id])
        db.execute("update feedback set contact = '' where id = ?", [case.feedback_id])
    return get_case(db, workshop, case.id)


def case_summary(db: Database, workshop: Workshop, at: datetime | None = None) -> CaseSummary:
    """Summarise the workshop's cases for the pulse: open ones and their ages, and how
    many of the closed ones' clients keep coming."""
    rows = db.execute(
        """select opened_at, closed_at, outcome from cases where workshop_id = ?
           order by opened_at, id""",
        [workshop.id],
    ).fetchall()
    moment = at or datetime.now(UTC)
    ages = tuple(
        max(0, (moment - datetime.fromisoformat(opened)).days)
        for opened, closed, _ in rows
        if closed is None
    )
    outcomes = [outcome for _, closed, outcome in rows if closed is not None]
    return CaseSummary(
        open=len(ages),
        ages=ages,
        closed=len(outcomes),
        came_back=outcomes.count("yes"),
        stayed_away=outcomes.count("no"),
        unknown=outcomes.count("unknown"),
    )


def cases_to_redact(db: Database, days: int, at: datetime | None = None) -> list[Workshop]:
    """Return the workshops with cases closed ``days`` or more ago whose notes remain."""
    return _all(
        db,
        Workshop,
        """select * from workshops where id in
               (select c.workshop_id from cases c join case_steps s on s.case_id = c.id
                where c.closed_at <= ? and s.note != '')
           order by id""",
        [days_ago(days, at)],
    )


def redact_cases(
    db: Database, days: int, at: datetime | None = None, workshop: Workshop | None = None
) -> int:
    """Clear the step notes of cases closed ``days`` or more ago (of one workshop, or of
    all); return how many notes were cleared. Who did each step, when, and the outcome stay,
    so the pulse still counts who came back."""
    only = workshop.id if workshop is not None else None
    with write(db):
        cursor = db.execute(
            """update case_steps set note = '' where note != '' and case_id in
                   (select id from cases where closed_at <= ?
                    and (? is null or workshop_id = ?))""",
            [days_ago(days, at), only, only],
        )
    return cursor.rowcount
