"""Answers (the ``answers`` table): posting and editing them, moderation, and
merging them into cards."""

from dataclasses import dataclass

from sqlite_utils import Database

from ..db import write
from ..rules import (
    ANSWER_MAX,
    MAX_ANSWERS_PER_PERSON,
    MAX_ANSWERS_PER_STAGE,
    MAX_ON_BEHALF_PER_STAGE,
    STAGE_PROMPT_MAX,
)
from ..wordfilter import needs_review
from ._base import Refused, _all, _count, _last_id, _one, _owned, now
from .events import record_event
from .people import Participant
from .stages import Stage, get_stage, list_stages
from .workshops import Workshop, get_workshop_by_id


@dataclass(frozen=True, slots=True)
class Answer:
    id: int
    workshop_id: int
    stage_id: int
    participant_id: int | None
    body: str
    detail: str
    client_nonce: str | None
    created_at: str
    updated_at: str
    merged_into: int | None = None
    theme_id: int | None = None
    moderation: str = "visible"
    original_body: str | None = None
    original_detail: str | None = None
    entered_by: str = "participant"

    @property
    def is_visible(self) -> bool:
        return self.moderation == "visible"


def add_answer(
    db: Database,
    workshop: Workshop,
    stage: Stage,
    participant: Participant | None,
    body: str,
    detail: str = "",
    client_nonce: str | None = None,
    entered_by: str = "participant",
) -> Answer:
    """Store an answer to the current stage; a repeated nonce returns the first copy.

    Answers the facilitator enters (``entered_by="facilitator"``) may go to any
    answer-taking stage, open or not; the word filter flags rather than refuses.
    """
    with write(db):
        if participant is not None and client_nonce:
            earlier = _one(
                db,
                Answer,
                "select * from answers where participant_id = ? and client_nonce = ?",
                [participant.id, client_nonce],
            )
            if earlier is not None:
                return earlier
        fresh_stage = get_stage(db, workshop, stage.id)
        if fresh_stage is None or not fresh_stage.takes_answers:
            raise Refused("stage-closed")
        if entered_by == "participant":
            _check_open_for_answers(db, workshop, fresh_stage)
        if participant is not None:
            mine = _count(
                db,
                "select count(*) as n from answers where stage_id = ? and participant_id = ?",
                [stage.id, participant.id],
            )
            if mine >= MAX_ANSWERS_PER_PERSON:
                raise Refused("too-many-mine")
        if (
            _count(
                db,
                "select count(*) as n from answers where stage_id = ?",
                [stage.id],
            )
            >= MAX_ANSWERS_PER_STAGE
        ):
            raise Refused("too-many-stage")
        if entered_by == "facilitator" and (
            _count(
                db,
                """select count(*) as n from answers where stage_id = ?
                   and entered_by = 'facilitator'""",
                [stage.id],
            )
            >= MAX_ON_BEHALF_PER_STAGE
        ):
            raise Refused("too-many-on-behalf")
        stamp = now()
        db.execute(
            """insert into answers (workshop_id, stage_id, participant_id, body,
                   detail, client_nonce, created_at, updated_at, moderation, entered_by)
               values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
            [
                workshop.id,
                stage.id,
                participant.id if participant else None,
                body,
                detail,
                client_nonce or None,
                stamp,
                stamp,
                _screening(body, detail),
                entered_by,
            ],
        )
        answer_id = _last_id(db)
        record_event(db, workshop, "answers-changed")
    return get_answer(db, workshop, answer_id)


def _screening(body: str, detail: str) -> str:
    """Return the moderation mark a new or edited answer starts with."""
    return "flagged" if needs_review(f"{body}\n{detail}") else "visible"


def _check_open_for_answers(db: Database, workshop: Workshop, stage: Stage) -> None:
    fresh = get_workshop_by_id(db, workshop.id)
    if fresh is None or fresh.current_stage_id != stage.id:
        raise Refused("stage-closed")
    if stage.close_on_expiry and stage.time_is_up():
        raise Refused("time-up")
    if not stage.accepts_answers():
        raise Refused("stage-closed")


def get_answer(db: Database, workshop: Workshop, answer_id: int) -> Answer | None:
    """Return one of this workshop's answers."""
    return _owned(db, Answer, "answers", answer_id, workshop)


def _check_editable(db: Database, workshop: Workshop, answer: Answer) -> None:
    stage = get_stage(db, workshop, answer.stage_id)
    if stage is None:
        raise Refused("stage-closed")
    _check_open_for_answers(db, workshop, stage)


def update_answer(
    db: Database,
    workshop: Workshop,
    answer: Answer,
    body: str,
    detail: str = "",
) -> Answer:
    """Change the wording of your own answer while its stage takes answers."""
    with write(db):
        _check_editable(db, workshop, answer)
        moderation = answer.moderation
        if moderation != "hidden":
            moderation = _screening(body, detail)
        db.execute(
            """update answers set body = ?, detail = ?, moderation = ?, updated_at = ?
               where id = ?""",
            [body, detail, moderation, now(), answer.id],
        )
        record_event(db, workshop, "answers-changed")
    return get_answer(db, workshop, answer.id)


def delete_answer(db: Database, workshop: Workshop, answer: Answer) -> None:
    """Remove your own answer while its stage takes answers."""
    with write(db):
        _check_editable(db, workshop, answer)
        _delete(db, workshop, answer)


def _delete(db: Database, workshop: Workshop, answer: Answer) -> None:
    db.execute("delete from answers where id = ?", [answer.id])
    record_event(db, workshop, "answers-changed")


def list_answers(db: Database, stage: Stage) -> list[Answer]:
    """Return every answer to a stage, hidden and merged ones included, oldest first."""
    return _all(
        db,
        Answer,
        "select * from answers where stage_id = ? order by id",
        [stage.id],
    )


def list_workshop_answers(db: Database, workshop: Workshop) -> list[Answer]:
    """Return every answer to every stage of a workshop, oldest first, in one query."""
    return _all(
        db,
        Answer,
        """select * from answers where stage_id in
           (select id from stages where workshop_id = ?) order by id""",
        [workshop.id],
    )


def list_participant_answers(db: Database, stage: Stage, participant: Participant) -> list[Answer]:
    """Return one person's answers to a stage, newest first."""
    return _all(
        db,
        Answer,
        "select * from answers where stage_id = ? and participant_id = ? order by id desc",
        [stage.id, participant.id],
    )


def moderate(db: Database, workshop: Workshop, answer: Answer, mark: str) -> None:
    """Set an answer's moderation mark: ``visible`` (approved), ``hidden`` or ``flagged``."""
    if mark not in ("visible", "hidden", "flagged"):
        raise ValueError(mark)
    with write(db):
        db.execute("update answers set moderation = ? where id = ?", [mark, answer.id])
        record_event(db, workshop, "answers-changed")


def edit_as_facilitator(
    db: Database, workshop: Workshop, answer: Answer, body: str, detail: str = ""
) -> Answer:
    """Reword an answer for the room, keeping the author's first wording."""
    with write(db):
        db.execute(
            """update answers set
                   original_body = coalesce(original_body, body),
                   original_detail = coalesce(original_detail, detail),
                   body = ?, detail = ?, updated_at = ?
               where id = ?""",
            [body, detail, now(), answer.id],
        )
        record_event(db, workshop, "answers-changed")
    return get_answer(db, workshop, answer.id)


def delete_as_facilitator(db: Database, workshop: Workshop, answer: Answer) -> None:
    """Delete an answer at any time, with its dots; cards merged into it come back."""
    with write(db):
        _delete(db, workshop, answer)


def _root_of(by_id: dict[int, Answer], answer: Answer) -> Answer:
    seen = set()
    while answer.merged_into in by_id and answer.id not in seen:
        seen.add(answer.id)
        answer = by_id[answer.merged_into]
    return answer


def card_heads(by_id: dict[int, Answer], for_room: bool) -> dict[int, int | None]:
    """Map each answer to the answer heading its card (None: not on the room's board).

    A card is headed by the answer everything was merged into. When the room may not
    see that answer (hidden, flagged, its author removed), the oldest visible answer
    merged into it heads the card instead, so nobody else's words vanish with it.
    """
    roots = {cid: _root_of(by_id, c).id for cid, c in by_id.items()}
    if not for_room:
        return dict(roots)
    first_visible: dict[int, int] = {}
    for cid in sorted(by_id):
        if by_id[cid].is_visible:
            first_visible.setdefault(roots[cid], cid)
    return {
        cid: root if by_id[root].is_visible else first_visible.get(root)
        for cid, root in roots.items()
    }


def merge_answers(db: Database, workshop: Workshop, source: Answer, target: Answer) -> None:
    """Fold ``source`` (and whatever was merged into it) into ``target``'s card."""
    with write(db):
        stage = get_stage(db, workshop, source.stage_id)
        by_id = {c.id: c for c in list_answers(db, stage)} if stage else {}
        if source.id not in by_id or target.id not in by_id:
            raise Refused("not-found")
        root = _root_of(by_id, by_id[target.id])
        if root.id == source.id or _root_of(by_id, by_id[source.id]).id == root.id:
            raise Refused("same-card")
        db.execute(
            "update answers set merged_into = ?, theme_id = null where id = ?",
            [root.id, source.id],
        )
        record_event(db, workshop, "answers-changed")


def unmerge_answer(db: Database, workshop: Workshop, answer: Answer) -> None:
    """Undo a merge: the answer is its own card again, with its own dots."""
    with write(db):
        db.execute("update answers set merged_into = null where id = ?", [answer.id])
        record_event(db, workshop, "answers-changed")


# Revisit next year: the clients' feedback as the new workshop's first answers ------------


@dataclass(frozen=True, slots=True)
class RevisitMaterial:
    """What next year's workshop starts from when the clients' feedback comes along: their
    comments, as answers on the question titled ``give_title`` ("What do we give others?"),
    each marked with ``marker`` as its line; and a note on the principles felt least
    often, added to the principles stage's prompt."""

    give_title: str
    comments: tuple[str, ...]
    marker: str
    principles_note: str


def _as_answer(comment: str) -> str:
    """A comment as an answer's text: cut at a word to fit ANSWER_MAX, marked with …"""
    text = " ".join(comment.split())
    if len(text) <= ANSWER_MAX:
        return text
    return text[: ANSWER_MAX - 1].rsplit(" ", 1)[0] + "…"


def add_revisit_material(db: Database, workshop: Workshop, material: RevisitMaterial) -> int:
    """Put the clients' feedback into a (new) workshop: the comments as answers entered by
    ``client`` on its give stage (screened by the word filter as any answer is), the note
    on the principles stage's prompt; return how many answers were added."""
    stages = list_stages(db, workshop)
    give = next(
        (s for s in stages if s.kind == "question" and s.title == material.give_title), None
    )
    principles = next((s for s in stages if s.kind == "principles"), None)
    added = 0
    with write(db):
        for comment in material.comments if give is not None else ():
            body, stamp = _as_answer(comment), now()
            db.execute(
                """insert into answers (workshop_id, stage_id, participant_id, body, detail,
                       created_at, updated_at, moderation, entered_by)
                   values (?, ?, null, ?, ?, ?, ?, ?, 'client')""",
                [
                    workshop.id,
                    give.id,
                    body,
                    material.marker,
                    stamp,
                    stamp,
                    _screening(body, material.marker),
                ],
            )
            added += 1
        if principles is not None and material.principles_note:
            prompt = f"{principles.prompt} {material.principles_note}".strip()
            if len(prompt) > STAGE_PROMPT_MAX:
                prompt = material.principles_note[:STAGE_PROMPT_MAX]
            db.execute("update stages set prompt = ? where id = ?", [prompt, principles.id])
        record_event(db, workshop, "answers-changed")
        record_event(db, workshop, "stage-changed")
    return added
