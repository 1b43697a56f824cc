"""Stages: the list and the current one, the stage editor's changes, each stage's
settings (input, hidden collection, timers, screen view), and next year's workshop
cloned from this one's stages."""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlite_utils import Database

from ..db import write
from ..rules import (
    DEFAULT_VOTE_BUDGET,
    MAX_STAGES,
    TIMER_SECONDS_RANGE,
)
from ._base import Refused, _all, _count, _last_id, _owned
from .events import record_event
from .principles import list_principles
from .workshops import Workshop, create_workshop, get_workshop_by_id

QUESTION_KINDS = ("question", "principles")


@dataclass(frozen=True, slots=True)
class Stage:
    id: int
    workshop_id: int
    position: int
    kind: str
    title: str
    prompt: str
    input_open: int = 1
    answers_hidden: int = 0
    voting: str = "off"
    vote_budget: int = DEFAULT_VOTE_BUDGET
    one_dot_per_answer: int = 0
    results_revealed: int = 0
    timer_seconds: int | None = None
    timer_ends_at: str | None = None
    close_on_expiry: int = 0
    screen_view: str = "cards"

    @property
    def takes_answers(self) -> bool:
        return self.kind in QUESTION_KINDS

    @property
    def is_voting(self) -> bool:
        return self.voting == "open"

    @property
    def shows_results(self) -> bool:
        return self.voting != "off" and bool(self.results_revealed)

    def seconds_left(self, at: datetime | None = None) -> int | None:
        """Return the whole seconds left on the timer, or None when none runs."""
        if not self.timer_ends_at:
            return None
        at = at or datetime.now(UTC)
        left = (datetime.fromisoformat(self.timer_ends_at) - at).total_seconds()
        return max(0, int(left + 0.999))

    def time_is_up(self, at: datetime | None = None) -> bool:
        """Tell whether a running timer has reached zero."""
        return self.seconds_left(at) == 0

    def accepts_answers(self, at: datetime | None = None) -> bool:
        """Tell whether phones may send answers to this stage now."""
        if not self.takes_answers or not self.input_open or self.is_voting:
            return False
        return not (self.close_on_expiry and self.time_is_up(at))


def list_stages(db: Database, workshop: Workshop) -> list[Stage]:
    """Return the workshop's stages in order."""
    return _all(
        db,
        Stage,
        "select * from stages where workshop_id = ? order by position",
        [workshop.id],
    )


def get_stage(db: Database, workshop: Workshop, stage_id: int) -> Stage | None:
    """Return one of this workshop's stages."""
    return _owned(db, Stage, "stages", stage_id, workshop)


def current_stage(db: Database, workshop: Workshop) -> Stage | None:
    """Return the stage everyone is on now."""
    if workshop.current_stage_id is None:
        return None
    return get_stage(db, workshop, workshop.current_stage_id)


def move_to_stage(db: Database, workshop: Workshop, stage: Stage) -> None:
    """Put every phone and the screen on ``stage``."""
    with write(db):
        db.execute(
            "update workshops set current_stage_id = ? where id = ?",
            [stage.id, workshop.id],
        )
        record_event(db, workshop, "stage-changed")


def neighbour_stage(db: Database, workshop: Workshop, step: int) -> Stage | None:
    """Return the stage ``step`` places from the current one, if there is one."""
    stages = list_stages(db, workshop)
    ids = [stage.id for stage in stages]
    if workshop.current_stage_id not in ids:
        return stages[0] if stages else None
    index = ids.index(workshop.current_stage_id) + step
    return stages[index] if 0 <= index < len(stages) else None


FIXED_STAGE_KINDS = ("mission", "agreed")


def add_stage(db: Database, workshop: Workshop, kind: str, title: str, prompt: str) -> Stage:
    """Add a question after the last question, before principles and drafting."""
    with write(db):
        stages = list_stages(db, workshop)
        if len(stages) >= MAX_STAGES:
            raise Refused("too-many-stages")
        later = [
            s.position
            for s in stages
            if s.kind
            in (
                FIXED_STAGE_KINDS
                if kind == "routine"
                else (*FIXED_STAGE_KINDS, "principles", "routine")
            )
        ]
        position = min(later) if later else len(stages)
        db.execute(
            "update stages set position = position + 1 where workshop_id = ? and position >= ?",
            [workshop.id, position],
        )
        db.execute(
            """insert into stages (workshop_id, position, kind, title, prompt)
               values (?, ?, ?, ?, ?)""",
            [workshop.id, position, kind, title, prompt],
        )
        stage_id = _last_id(db)
        record_event(db, workshop, "stage-changed")
    return get_stage(db, workshop, stage_id)


def update_stage(db: Database, workshop: Workshop, stage: Stage, title: str, prompt: str) -> None:
    """Reword a stage's title and prompt."""
    with write(db):
        db.execute(
            "update stages set title = ?, prompt = ? where id = ?", [title, prompt, stage.id]
        )
        record_event(db, workshop, "stage-changed")


def move_stage(db: Database, workshop: Workshop, stage: Stage, step: int) -> None:
    """Swap a stage with its neighbour ``step`` (−1 or +1) places away."""
    with write(db):
        stages = list_stages(db, workshop)
        index = [s.id for s in stages].index(stage.id)
        other = index + step
        if not 0 <= other < len(stages):
            raise Refused("no-neighbour")
        for moved, position in ((stages[index], other), (stages[other], index)):
            db.execute("update stages set position = ? where id = ?", [position, moved.id])
        record_event(db, workshop, "stage-changed")


def remove_stage(db: Database, workshop: Workshop, stage: Stage) -> None:
    """Delete a question stage and its answers; never the current or a drafting stage."""
    with write(db):
        fresh = get_workshop_by_id(db, workshop.id)
        if stage.kind in FIXED_STAGE_KINDS:
            raise Refused("fixed-stage")
        if fresh is not None and fresh.current_stage_id == stage.id:
            raise Refused("current-stage")
        db.execute("delete from stages where id = ?", [stage.id])
        for position, kept in enumerate(list_stages(db, workshop)):
            db.execute("update stages set position = ? where id = ?", [position, kept.id])
        record_event(db, workshop, "stage-changed")


def count_answers(db: Database, stage: Stage) -> int:
    """Count every answer a stage holds."""
    return _count(db, "select count(*) as n from answers where stage_id = ?", [stage.id])


def clone_workshop(db: Database, workshop: Workshop, title: str) -> tuple[Workshop, str]:
    """Start next year's workshop from this one: its stages, mission and principles as drafts."""
    stages = [(s.kind, s.title, s.prompt) for s in list_stages(db, workshop)]
    clone, admin_token = create_workshop(
        db, title, workshop.language, stages, time_zone=workshop.time_zone
    )
    with write(db):
        db.execute(
            "update workshops set mission = ?, cloned_from = ? where id = ?",
            [workshop.mission, workshop.public_id, clone.id],
        )
        for principle in list_principles(db, workshop):
            db.execute(
                """insert into principles (workshop_id, position, name, line)
                   values (?, ?, ?, ?)""",
                [clone.id, principle.position, principle.name, principle.line],
            )
    return get_workshop_by_id(db, clone.id), admin_token


def set_stage_input(db: Database, workshop: Workshop, stage: Stage, open_: bool) -> None:
    """Lock or unlock answering on a stage."""
    with write(db):
        db.execute("update stages set input_open = ? where id = ?", [int(open_), stage.id])
        record_event(db, workshop, "stage-changed")


def set_answers_hidden(db: Database, workshop: Workshop, stage: Stage, hidden: bool) -> None:
    """Collect a stage's answers hidden (the room sees a count) or reveal them all at once."""
    with write(db):
        db.execute("update stages set answers_hidden = ? where id = ?", [int(hidden), stage.id])
        record_event(db, workshop, "stage-changed")
        record_event(db, workshop, "answers-changed")


def start_timer(
    db: Database, workshop: Workshop, stage: Stage, seconds: int, close_on_expiry: bool
) -> None:
    """Start a countdown on a stage, optionally closing input when it ends."""
    low, high = TIMER_SECONDS_RANGE
    if not low <= seconds <= high:
        raise Refused("bad-timer")
    ends = datetime.now(UTC) + timedelta(seconds=seconds)
    with write(db):
        db.execute(
            """update stages set timer_seconds = ?, timer_ends_at = ?, close_on_expiry = ?
               where id = ?""",
            [seconds, ends.isoformat(timespec="milliseconds"), int(close_on_expiry), stage.id],
        )
        record_event(db, workshop, "stage-changed")


def extend_timer(db: Database, workshop: Workshop, stage: Stage, seconds: int) -> None:
    """Add time to a running (or just ended) countdown."""
    with write(db):
        fresh = get_stage(db, workshop, stage.id)
        if fresh is None or not fresh.timer_ends_at:
            raise Refused("no-timer")
        base = max(datetime.fromisoformat(fresh.timer_ends_at), datetime.now(UTC))
        ends = base + timedelta(seconds=seconds)
        db.execute(
            "update stages set timer_ends_at = ? where id = ?",
            [ends.isoformat(timespec="milliseconds"), stage.id],
        )
        record_event(db, workshop, "stage-changed")


def set_screen_view(db: Database, workshop: Workshop, stage: Stage, view: str) -> None:
    """Show the stage's answers (``cards``) or its frequent words (``words``) on the screen."""
    if view not in ("cards", "words"):
        raise ValueError(view)
    with write(db):
        db.execute("update stages set screen_view = ? where id = ?", [view, stage.id])
        record_event(db, workshop, "stage-changed")


def stop_timer(db: Database, workshop: Workshop, stage: Stage) -> None:
    """Clear a stage's countdown."""
    with write(db):
        db.execute("update stages set timer_ends_at = null where id = ?", [stage.id])
        record_event(db, workshop, "stage-changed")
