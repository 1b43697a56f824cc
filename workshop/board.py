"""What each audience sees of a stage: cards (an answer with what was merged into it),
themes as columns and dots, for the room (screen and phones) or the facilitator; and
which closed round the room still sees. Built from the models, used by views."""

from collections.abc import Sequence
from dataclasses import dataclass

from sqlite_utils import Database

from . import models
from .models import (
    Answer,
    Dot,
    Participant,
    Round,
    Stage,
    Theme,
    Workshop,
    card_heads,
    list_answers,
    list_dots,
    list_participants,
    list_stages,
    list_themes,
    list_workshop_answers,
    list_workshop_dots,
    list_workshop_themes,
)


@dataclass(frozen=True, slots=True)
class Card:
    """One card on the board: an answer with everything merged into it."""

    answer: Answer
    merged: tuple[Answer, ...]
    votes: int
    my_votes: int
    authors: tuple[str, ...]

    @property
    def id(self) -> int:
        return self.answer.id

    @property
    def body(self) -> str:
        return self.answer.body

    @property
    def detail(self) -> str:
        return self.answer.detail


@dataclass(frozen=True, slots=True)
class Column:
    """A theme and its cards; the ungrouped pile has ``theme`` None."""

    theme: Theme | None
    cards: tuple[Card, ...]


@dataclass(frozen=True, slots=True)
class Board:
    stage: Stage
    cards: tuple[Card, ...]
    columns: tuple[Column, ...]
    themes: tuple[Theme, ...]
    total: int
    max_votes: int

    @property
    def is_grouped(self) -> bool:
        return bool(self.themes)


def stage_board(
    db: Database,
    workshop: Workshop,
    stage: Stage,
    for_room: bool = True,
    viewer: Participant | None = None,
    themes: Sequence[Theme] | None = None,
    answers: Sequence[Answer] | None = None,
) -> Board:
    """Build a stage's cards for one audience.

    For the room (screen and phones) hidden, flagged and removed people's answers are
    left out, and so is every answer while the stage collects them hidden; vote counts
    appear only once results are revealed. The facilitator (``for_room=False``) sees all.
    ``themes`` and ``answers``: the stage's themes and answers, when the caller has read
    them already.
    """
    return _board(
        stage,
        list_answers(db, stage) if answers is None else answers,
        list_participants(db, workshop),
        list_dots(db, stage),
        list_themes(db, stage) if themes is None else themes,
        for_room,
        viewer,
    )


def _board(
    stage: Stage,
    answers: Sequence[Answer],
    people: Sequence[Participant],
    dots: Sequence[Dot],
    themes: Sequence[Theme],
    for_room: bool,
    viewer: Participant | None,
) -> Board:
    """Put a stage's answers, dots and themes (already read) together into its board."""
    by_id = {c.id: c for c in answers}
    heads = card_heads(by_id, for_room)
    removed = {p.id for p in people if p.removed_at is not None}
    names = {p.id: p.display_name for p in people}
    votes: dict[int, int] = {}
    mine: dict[int, int] = {}
    for dot in dots:
        head = heads.get(dot.answer_id)
        if dot.participant_id in removed or head is None:
            continue
        votes[head] = votes.get(head, 0) + 1
        if viewer is not None and dot.participant_id == viewer.id:
            mine[head] = mine.get(head, 0) + 1
    members: dict[int, list[Answer]] = {}
    for answer in answers:
        head = heads[answer.id]
        if head is not None and head != answer.id:
            if not for_room or answer.is_visible:
                members.setdefault(head, []).append(answer)
    show_votes = not for_room or stage.shows_results
    cards = []
    for answer in answers:
        if heads[answer.id] != answer.id:
            continue
        if for_room and stage.answers_hidden:
            continue
        merged = tuple(members.get(answer.id, ()))
        authors = tuple(
            dict.fromkeys(
                names[c.participant_id]
                for c in (answer, *merged)
                if c.participant_id is not None and names.get(c.participant_id)
            )
        )
        cards.append(
            Card(
                answer=answer,
                merged=merged,
                votes=votes.get(answer.id, 0) if show_votes else 0,
                my_votes=mine.get(answer.id, 0),
                authors=authors,
            )
        )
    if stage.shows_results or (not for_room and stage.voting != "off"):
        cards.sort(key=lambda card: (-card.votes, card.id))
    themes = tuple(themes)
    columns = tuple(
        Column(theme, tuple(c for c in cards if c.answer.theme_id == theme.id)) for theme in themes
    )
    theme_ids = {theme.id for theme in themes}
    loose = tuple(c for c in cards if c.answer.theme_id not in theme_ids)
    if themes and loose:
        columns += (Column(None, loose),)
    total = sum(1 for cid, head in heads.items() if head == cid)
    return Board(
        stage=stage,
        cards=tuple(cards),
        columns=columns,
        themes=themes,
        total=total,
        max_votes=max((card.votes for card in cards), default=0),
    )


def answers_by_stage(db: Database, workshop: Workshop) -> list[tuple[Stage, list["Card"]]]:
    """Return each answer-taking stage with its cards, for the drafting page.

    Five queries however many stages there are: the stages, the people, and every stage's
    answers, dots and themes at once."""
    stages = [stage for stage in list_stages(db, workshop) if stage.takes_answers]
    if not stages:
        return []
    people = list_participants(db, workshop)
    answers: dict[int, list[Answer]] = {}
    for answer in list_workshop_answers(db, workshop):
        answers.setdefault(answer.stage_id, []).append(answer)
    dots: dict[int, list[Dot]] = {}
    for dot in list_workshop_dots(db, workshop):
        dots.setdefault(dot.stage_id, []).append(dot)
    themes: dict[int, list[Theme]] = {}
    for theme in list_workshop_themes(db, workshop):
        themes.setdefault(theme.stage_id, []).append(theme)
    return [
        (
            stage,
            _board(
                stage,
                answers.get(stage.id, []),
                people,
                dots.get(stage.id, []),
                themes.get(stage.id, []),
                for_room=False,
                viewer=None,
            ).cards,
        )
        for stage in stages
    ]


# The last closed round: how long the room keeps seeing its result --------------------

DRAFT_KIND_OF_STAGE = {"mission": "mission", "routine": "routine"}
AGREED_AT = {
    "mission": "mission_agreed_at",
    "principles": "principles_agreed_at",
    "routine": "routine_agreed_at",
}
RESULT_STAGES = {  # where the result of a closed round stays in view
    "mission": ("mission",),
    "routine": ("routine",),
    "principles": ("principles", "mission"),
}


def closed_round_to_show(db: Database, workshop: Workshop, stage: Stage | None) -> Round | None:
    """Return the last closed round while its result is still the room's business.

    It stays until another round opens, the room moves to a stage about something else,
    what it agreed is reopened, or (after "not agreed") a newer version is written.
    """
    if stage is None or not any(stage.kind in kinds for kinds in RESULT_STAGES.values()):
        return None
    rounds = models.list_rounds(db, workshop)
    last = rounds[0] if rounds else None
    if last is None or last.is_open or last.outcome == "withdrawn":
        return None
    if stage.kind not in RESULT_STAGES.get(last.subject, ()):
        return None
    if last.outcome != "not-agreed":
        return last if getattr(workshop, AGREED_AT[last.subject]) else None
    if last.subject in DRAFT_KIND_OF_STAGE:
        lines = models.list_drafts(db, workshop, last.subject)
        if any(v.created_at > (last.closed_at or "") for line in lines for v in line.versions):
            return None
    return last
