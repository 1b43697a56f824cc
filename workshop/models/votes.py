"""Dot voting: opening, closing and revealing it, and each person's dots within a budget."""

from dataclasses import dataclass

from sqlite_utils import Database

from ..db import write
from ..rules import DEFAULT_VOTE_BUDGET, VOTE_BUDGET_RANGE
from ._base import Refused, _all, _count, now
from .answers import Answer, card_heads, list_answers
from .events import record_event
from .people import Participant, get_participant_by_id
from .stages import Stage, get_stage
from .workshops import Workshop, get_workshop_by_id


def open_voting(
    db: Database,
    workshop: Workshop,
    stage: Stage,
    budget: int = DEFAULT_VOTE_BUDGET,
    one_dot_per_answer: bool = False,
) -> None:
    """Open dot voting on a stage: answers show, input pauses, results stay hidden."""
    low, high = VOTE_BUDGET_RANGE
    if not low <= budget <= high or not stage.takes_answers:
        raise Refused("bad-budget")
    with write(db):
        db.execute(
            """update stages set voting = 'open', vote_budget = ?, one_dot_per_answer = ?,
                   results_revealed = 0, answers_hidden = 0, input_open = 0
               where id = ?""",
            [budget, int(one_dot_per_answer), stage.id],
        )
        record_event(db, workshop, "stage-changed")


def close_voting(db: Database, workshop: Workshop, stage: Stage) -> None:
    """Stop taking dots; the count so far stays, hidden until revealed."""
    with write(db):
        db.execute(
            "update stages set voting = 'closed' where id = ? and voting = 'open'", [stage.id]
        )
        record_event(db, workshop, "stage-changed")


def reveal_results(db: Database, workshop: Workshop, stage: Stage, revealed: bool = True) -> None:
    """Show (or hide again) the ranked result of the dot vote."""
    with write(db):
        db.execute("update stages set results_revealed = ? where id = ?", [int(revealed), stage.id])
        record_event(db, workshop, "stage-changed")


def clear_votes(db: Database, workshop: Workshop, stage: Stage) -> None:
    """Forget every dot on a stage and switch voting off."""
    with write(db):
        db.execute("delete from votes where stage_id = ?", [stage.id])
        db.execute(
            "update stages set voting = 'off', results_revealed = 0 where id = ?", [stage.id]
        )
        record_event(db, workshop, "stage-changed")


def cast_vote(
    db: Database,
    workshop: Workshop,
    participant: Participant,
    answer: Answer,
    entered_by: str = "participant",
) -> None:
    """Put one of the participant's dots on an answer's card, within their budget.

    The check and the insert share one ``BEGIN IMMEDIATE`` transaction, so two quick
    taps from one phone, even on two server processes, never spend more than the budget.
    """
    with write(db):
        stage = get_stage(db, workshop, answer.stage_id)
        if stage is None or not stage.is_voting:
            raise Refused("voting-closed")
        current = get_workshop_by_id(db, workshop.id)
        if entered_by == "participant" and current.current_stage_id != stage.id:
            raise Refused("voting-closed")
        fresh = get_participant_by_id(db, workshop, participant.id)
        if fresh is None or fresh.removed_at is not None:
            raise Refused("removed")
        by_id = {c.id: c for c in list_answers(db, stage)}
        heads = card_heads(by_id, for_room=True)
        head = heads.get(answer.id)
        if head is None:
            raise Refused("not-found")
        spent = _count(
            db,
            "select count(*) as n from votes where stage_id = ? and participant_id = ?",
            [stage.id, participant.id],
        )
        if spent >= stage.vote_budget:
            raise Refused("no-dots-left")
        if stage.one_dot_per_answer:
            group = [cid for cid, card in heads.items() if card == head]
            marks = ",".join("?" * len(group))
            already = _count(
                db,
                f"""select count(*) as n from votes where participant_id = ?
                    and answer_id in ({marks})""",
                [participant.id, *group],
            )
            if already:
                raise Refused("one-per-answer")
        db.execute(
            """insert into votes (workshop_id, stage_id, answer_id, participant_id,
                   entered_by, created_at)
               values (?, ?, ?, ?, ?, ?)""",
            [workshop.id, stage.id, head, participant.id, entered_by, now()],
        )
        record_event(db, workshop, "votes-changed")


def withdraw_vote(
    db: Database, workshop: Workshop, participant: Participant, answer: Answer
) -> None:
    """Take back one of the participant's dots from an answer's card."""
    with write(db):
        stage = get_stage(db, workshop, answer.stage_id)
        if stage is None or not stage.is_voting:
            raise Refused("voting-closed")
        by_id = {c.id: c for c in list_answers(db, stage)}
        heads = card_heads(by_id, for_room=True)
        head = heads.get(answer.id)
        group = [cid for cid, card in heads.items() if card == head and head is not None]
        marks = ",".join("?" * len(group))
        rows = list(
            db.query(
                f"""select id from votes where participant_id = ?
                    and answer_id in ({marks}) order by id desc limit 1""",
                [participant.id, *group],
            )
        )
        if not rows:
            raise Refused("no-dot-here")
        db.execute("delete from votes where id = ?", [rows[0]["id"]])
        record_event(db, workshop, "votes-changed")


@dataclass(frozen=True, slots=True)
class Dot:
    """One dot on an answer: where, on what, by whom."""

    stage_id: int
    answer_id: int
    participant_id: int


def list_dots(db: Database, stage: Stage) -> list[Dot]:
    """Return every dot placed on a stage's answers."""
    return _all(
        db,
        Dot,
        "select stage_id, answer_id, participant_id from votes where stage_id = ?",
        [stage.id],
    )


def list_workshop_dots(db: Database, workshop: Workshop) -> list[Dot]:
    """Return every dot placed on every stage of a workshop, in one query."""
    return _all(
        db,
        Dot,
        """select stage_id, answer_id, participant_id from votes where stage_id in
           (select id from stages where workshop_id = ?)""",
        [workshop.id],
    )


def dots_spent(db: Database, stage: Stage, participant: Participant) -> int:
    """Count the dots a participant has placed on a stage."""
    return _count(
        db,
        "select count(*) as n from votes where stage_id = ? and participant_id = ?",
        [stage.id, participant.id],
    )


def count_voters(db: Database, stage: Stage) -> tuple[int, int]:
    """Return how many people have voted on a stage, and how many dots are placed."""
    row = list(
        db.query(
            """select count(distinct v.participant_id) as people, count(*) as dots
               from votes v join participants p on p.id = v.participant_id
               where v.stage_id = ? and p.removed_at is null""",
            [stage.id],
        )
    )[0]
    return row["people"], row["dots"]
