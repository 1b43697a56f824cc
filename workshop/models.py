"""All of Credo's SQL: plain functions taking ``db``, returning frozen dataclasses."""

import hashlib
import hmac
import json
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TypeVar

from sqlite_utils import Database

from .db import write
from .rules import (
    DEFAULT_MIN_ANSWERS,
    DEFAULT_RETENTION_DAYS,
    DEFAULT_THRESHOLD,
    DEFAULT_VOTE_BUDGET,
    FACILITATOR_SESSION_HOURS,
    JOIN_CODE_ALPHABET,
    JOIN_CODE_LENGTH,
    MAX_CONTRIBUTIONS_PER_PERSON,
    MAX_CONTRIBUTIONS_PER_STAGE,
    MAX_DRAFTS,
    MAX_STAGES,
    MAX_THEMES_PER_STAGE,
    MIN_ANSWERS_RANGE,
    MISSION_WORDS,
    PRINCIPLE_COUNT,
    THRESHOLD_RANGE,
    TIMER_SECONDS_RANGE,
    VOTE_BUDGET_RANGE,
    word_count,
)
from .wordfilter import needs_review

QUESTION_KINDS = ("question", "principles")

T = TypeVar("T")


class Refused(Exception):
    """A write the rules of the workshop do not allow; ``reason`` names the rule."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True, slots=True)
class Workshop:
    id: int
    public_id: str
    title: str
    language: str
    join_code: str
    join_token: str
    screen_token: str
    admin_token_hash: str
    current_stage_id: int | None
    status: str
    revision: int
    mission: str
    mission_agreed_at: str | None
    created_at: str
    closed_at: str | None
    joining_locked: int = 0
    cloned_from: str | None = None
    participants_may_propose: int = 0
    principles_agreed_at: str | None = None
    routine: str = ""
    routine_agreed_at: str | None = None
    poster_on_screen: int = 0

    @property
    def is_agreed(self) -> bool:
        return self.mission_agreed_at is not None


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


@dataclass(frozen=True, slots=True)
class Participant:
    id: int
    workshop_id: int
    key_hash: str
    display_name: str
    created_at: str
    removed_at: str | None
    added_by_facilitator: int = 0


@dataclass(frozen=True, slots=True)
class Contribution:
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


@dataclass(frozen=True, slots=True)
class Principle:
    id: int
    workshop_id: int
    position: int
    name: str
    line: str


@dataclass(frozen=True, slots=True)
class Export:
    id: int
    workshop_id: int
    kind: str
    filename: str
    options: str
    created_at: str


def now() -> str:
    """Return the current UTC time as ISO-8601 text."""
    return datetime.now(UTC).isoformat(timespec="seconds")


def token_hash(token: str) -> str:
    """Return the SHA-256 of a bearer token, the only form in which we store one."""
    return hashlib.sha256(token.encode()).hexdigest()


def normalize_join_code(text: str) -> str:
    """Upper-case a typed join code and drop spaces and hyphens."""
    return "".join(ch for ch in text.upper() if ch not in " -\t")


def _new_public_id() -> str:
    """Draw a workshop id for URLs; never one that a command line would take for an option."""
    while True:
        public_id = secrets.token_urlsafe(8)
        if not public_id.startswith("-"):
            return public_id


def _new_join_code(db: Database) -> str:
    """Draw a join code that no open workshop uses."""
    while True:
        code = "".join(secrets.choice(JOIN_CODE_ALPHABET) for _ in range(JOIN_CODE_LENGTH))
        taken = db.query("select 1 from workshops where join_code = ? and status = 'open'", [code])
        if not list(taken):
            return code


def _one(db: Database, cls: type[T], sql: str, params: Sequence) -> T | None:
    rows = list(db.query(sql, params))
    return cls(**rows[0]) if rows else None


def _owned(db: Database, cls: type[T], table: str, row_id: int, workshop: "Workshop") -> T | None:
    """Return the row ``row_id`` of ``table`` if it belongs to this workshop."""
    return _one(
        db, cls, f"select * from {table} where id = ? and workshop_id = ?", [row_id, workshop.id]
    )


def _all(db: Database, cls: type[T], sql: str, params: Sequence) -> list[T]:
    return [cls(**row) for row in db.query(sql, params)]


# Workshops -------------------------------------------------------------------


def create_workshop(
    db: Database,
    title: str,
    language: str,
    stages: Iterable[tuple[str, str, str]],
) -> tuple[Workshop, str]:
    """Create a workshop with its stages; return it and its facilitator secret."""
    admin_token = secrets.token_urlsafe(32)
    with write(db):
        db.execute(
            """insert into workshops (public_id, title, language, join_code,
                   join_token, screen_token, admin_token_hash, created_at)
               values (?, ?, ?, ?, ?, ?, ?, ?)""",
            [
                _new_public_id(),
                title,
                language,
                _new_join_code(db),
                secrets.token_urlsafe(16),
                secrets.token_urlsafe(16),
                token_hash(admin_token),
                now(),
            ],
        )
        workshop_id = _last_id(db)
        for position, (kind, stage_title, prompt) in enumerate(stages):
            db.execute(
                """insert into stages (workshop_id, position, kind, title, prompt)
                   values (?, ?, ?, ?, ?)""",
                [workshop_id, position, kind, stage_title, prompt],
            )
        first = list(
            db.query(
                "select id from stages where workshop_id = ? order by position limit 1",
                [workshop_id],
            )
        )
        if first:
            db.execute(
                "update workshops set current_stage_id = ? where id = ?",
                [first[0]["id"], workshop_id],
            )
    return get_workshop_by_id(db, workshop_id), admin_token


def _last_id(db: Database) -> int:
    return list(db.query("select last_insert_rowid() as id"))[0]["id"]


def get_workshop_by_id(db: Database, workshop_id: int) -> Workshop | None:
    """Return the workshop with this row id."""
    return _one(db, Workshop, "select * from workshops where id = ?", [workshop_id])


def get_workshop(db: Database, public_id: str) -> Workshop | None:
    """Return the workshop with this public id."""
    return _one(db, Workshop, "select * from workshops where public_id = ?", [public_id])


def get_workshop_by_screen_token(db: Database, token: str) -> Workshop | None:
    """Return the workshop whose projector screen this token opens."""
    return _one(db, Workshop, "select * from workshops where screen_token = ?", [token])


def get_open_workshop_by_join_code(db: Database, code: str) -> Workshop | None:
    """Return the open workshop that this typed join code belongs to."""
    return _one(
        db,
        Workshop,
        "select * from workshops where join_code = ? and status = 'open'",
        [normalize_join_code(code)],
    )


def get_open_workshop_by_join_token(db: Database, token: str) -> Workshop | None:
    """Return the open workshop that this QR-code token belongs to."""
    return _one(
        db,
        Workshop,
        "select * from workshops where join_token = ? and status = 'open'",
        [token],
    )


def get_workshop_by_admin_token(db: Database, token: str) -> Workshop | None:
    """Return the workshop this facilitator secret controls."""
    digest = token_hash(token)
    workshop = _one(db, Workshop, "select * from workshops where admin_token_hash = ?", [digest])
    if workshop is None or not hmac.compare_digest(workshop.admin_token_hash, digest):
        return None
    return workshop


# Facilitator sessions ----------------------------------------------------------


def start_facilitator_session(db: Database, workshop: Workshop) -> str:
    """Open a 12-hour facilitator session and return its id."""
    session_id = secrets.token_urlsafe(16)
    expires = datetime.now(UTC) + timedelta(hours=FACILITATOR_SESSION_HOURS)
    with write(db):
        db.execute(
            """insert into facilitator_sessions (id, workshop_id, created_at, expires_at)
               values (?, ?, ?, ?)""",
            [session_id, workshop.id, now(), expires.isoformat(timespec="seconds")],
        )
    return session_id


def facilitator_session_is_valid(db: Database, workshop: Workshop, session_id: str) -> bool:
    """Tell whether this session still controls the workshop."""
    rows = db.query(
        """select 1 from facilitator_sessions where id = ? and workshop_id = ?
           and revoked_at is null and expires_at > ?""",
        [session_id, workshop.id, now()],
    )
    return bool(list(rows))


# Events: every change a screen shows is recorded here -----------------------------


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


# Participants -------------------------------------------------------------------


def add_participant(db: Database, workshop: Workshop) -> tuple[Participant, str]:
    """Let someone into the workshop; return them and the key their phone keeps."""
    key = secrets.token_urlsafe(16)
    with write(db):
        fresh = get_workshop_by_id(db, workshop.id)
        if fresh is None or fresh.joining_locked or fresh.status != "open":
            raise Refused("joining-locked")
        db.execute(
            """insert into participants (workshop_id, key_hash, created_at)
               values (?, ?, ?)""",
            [workshop.id, token_hash(key), now()],
        )
        participant_id = _last_id(db)
        record_event(db, workshop, "participants-changed")
    return get_participant_by_id(db, workshop, participant_id), key


def add_person_without_phone(db: Database, workshop: Workshop, name: str) -> Participant:
    """Add someone the facilitator answers and votes for, marked as entered by them."""
    with write(db):
        db.execute(
            """insert into participants (workshop_id, key_hash, display_name, created_at,
                   added_by_facilitator)
               values (?, ?, ?, ?, 1)""",
            [workshop.id, token_hash(secrets.token_urlsafe(16)), name, now()],
        )
        participant_id = _last_id(db)
        record_event(db, workshop, "participants-changed")
    return get_participant_by_id(db, workshop, participant_id)


def get_participant_by_id(
    db: Database, workshop: Workshop, participant_id: int
) -> Participant | None:
    """Return one of this workshop's participants, removed or not."""
    return _owned(db, Participant, "participants", participant_id, workshop)


def list_participants(db: Database, workshop: Workshop) -> list[Participant]:
    """Return everyone who joined or was added, removed ones included, oldest first."""
    return _all(
        db,
        Participant,
        "select * from participants where workshop_id = ? order by id",
        [workshop.id],
    )


def remove_participant(db: Database, workshop: Workshop, participant: Participant) -> None:
    """End a participant's session and hide their answers from the room."""
    with write(db):
        db.execute(
            "update participants set removed_at = ? where id = ? and removed_at is null",
            [now(), participant.id],
        )
        db.execute(
            "update contributions set moderation = 'hidden' where participant_id = ?",
            [participant.id],
        )
        record_event(db, workshop, "participants-changed")
        record_event(db, workshop, "participants-removed")
        record_event(db, workshop, "contributions-changed")


def set_joining_locked(db: Database, workshop: Workshop, locked: bool) -> None:
    """Close or reopen the door: a locked workshop lets nobody new join."""
    with write(db):
        db.execute(
            "update workshops set joining_locked = ? where id = ?", [int(locked), workshop.id]
        )
        record_event(db, workshop, "participants-changed")


def get_participant(db: Database, workshop: Workshop, key: str) -> Participant | None:
    """Return the participant this phone's key belongs to, unless removed."""
    return _one(
        db,
        Participant,
        """select * from participants where workshop_id = ? and key_hash = ?
           and removed_at is null""",
        [workshop.id, token_hash(key)],
    )


def rename_participant(
    db: Database, workshop: Workshop, participant: Participant, name: str
) -> None:
    """Set the display name a participant chose (empty means anonymous)."""
    with write(db):
        db.execute(
            "update participants set display_name = ? where id = ?",
            [name, participant.id],
        )
        record_event(db, workshop, "participants-changed")


def count_participants(db: Database, workshop: Workshop) -> int:
    """Count the people who have joined and were not removed."""
    rows = db.query(
        """select count(*) as n from participants
           where workshop_id = ? and removed_at is null""",
        [workshop.id],
    )
    return list(rows)[0]["n"]


# Stages -----------------------------------------------------------------------


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
    return _count(db, "select count(*) as n from contributions where stage_id = ?", [stage.id])


def clone_workshop(db: Database, workshop: Workshop, title: str) -> tuple[Workshop, str]:
    """Start next year's workshop from this one: its stages, mission and principles as drafts."""
    stages = [(s.kind, s.title, s.prompt) for s in list_stages(db, workshop)]
    clone, admin_token = create_workshop(db, title, workshop.language, stages)
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


# Contributions ------------------------------------------------------------------


def add_contribution(
    db: Database,
    workshop: Workshop,
    stage: Stage,
    participant: Participant | None,
    body: str,
    detail: str = "",
    client_nonce: str | None = None,
    entered_by: str = "participant",
) -> Contribution:
    """Store an answer to the current stage; a repeated nonce returns the first copy.

    Answers the facilitator enters (``entered_by="facilitator"``) may go to any
    answer-taking stage, open or not; the word filter flags rather than refuses.
    """
    with write(db):
        if participant is not None and client_nonce:
            earlier = _one(
                db,
                Contribution,
                "select * from contributions where participant_id = ? and client_nonce = ?",
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
                "select count(*) as n from contributions where stage_id = ? and participant_id = ?",
                [stage.id, participant.id],
            )
            if mine >= MAX_CONTRIBUTIONS_PER_PERSON:
                raise Refused("too-many-mine")
        if (
            _count(
                db,
                "select count(*) as n from contributions where stage_id = ?",
                [stage.id],
            )
            >= MAX_CONTRIBUTIONS_PER_STAGE
        ):
            raise Refused("too-many-stage")
        stamp = now()
        db.execute(
            """insert into contributions (workshop_id, stage_id, participant_id, body,
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
        contribution_id = _last_id(db)
        record_event(db, workshop, "contributions-changed")
    return get_contribution(db, workshop, contribution_id)


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


def _count(db: Database, sql: str, params: Sequence) -> int:
    return list(db.query(sql, params))[0]["n"]


def get_contribution(db: Database, workshop: Workshop, contribution_id: int) -> Contribution | None:
    """Return one of this workshop's contributions."""
    return _owned(db, Contribution, "contributions", contribution_id, workshop)


def _check_editable(db: Database, workshop: Workshop, contribution: Contribution) -> None:
    stage = get_stage(db, workshop, contribution.stage_id)
    if stage is None:
        raise Refused("stage-closed")
    _check_open_for_answers(db, workshop, stage)


def update_contribution(
    db: Database,
    workshop: Workshop,
    contribution: Contribution,
    body: str,
    detail: str = "",
) -> Contribution:
    """Change the wording of your own answer while its stage takes answers."""
    with write(db):
        _check_editable(db, workshop, contribution)
        moderation = contribution.moderation
        if moderation != "hidden":
            moderation = _screening(body, detail)
        db.execute(
            """update contributions set body = ?, detail = ?, moderation = ?, updated_at = ?
               where id = ?""",
            [body, detail, moderation, now(), contribution.id],
        )
        record_event(db, workshop, "contributions-changed")
    return get_contribution(db, workshop, contribution.id)


def delete_contribution(db: Database, workshop: Workshop, contribution: Contribution) -> None:
    """Remove your own answer while its stage takes answers."""
    with write(db):
        _check_editable(db, workshop, contribution)
        _delete(db, workshop, contribution)


def _delete(db: Database, workshop: Workshop, contribution: Contribution) -> None:
    db.execute("delete from contributions where id = ?", [contribution.id])
    record_event(db, workshop, "contributions-changed")


def list_contributions(db: Database, stage: Stage) -> list[Contribution]:
    """Return every answer to a stage, hidden and merged ones included, oldest first."""
    return _all(
        db,
        Contribution,
        "select * from contributions where stage_id = ? order by id",
        [stage.id],
    )


def list_participant_contributions(
    db: Database, stage: Stage, participant: Participant
) -> list[Contribution]:
    """Return one person's answers to a stage, newest first."""
    return _all(
        db,
        Contribution,
        "select * from contributions where stage_id = ? and participant_id = ? order by id desc",
        [stage.id, participant.id],
    )


def answers_by_stage(db: Database, workshop: Workshop) -> list[tuple[Stage, list["Card"]]]:
    """Return each answer-taking stage with its cards, for the drafting page."""
    return [
        (stage, stage_board(db, workshop, stage, for_room=False).cards)
        for stage in list_stages(db, workshop)
        if stage.takes_answers
    ]


# Moderation ----------------------------------------------------------------------------


def moderate(db: Database, workshop: Workshop, contribution: Contribution, mark: str) -> None:
    """Set an answer's moderation mark: ``visible`` (approved), ``hidden`` or ``flagged``."""
    if mark not in ("visible", "hidden", "flagged"):
        raise ValueError(mark)
    with write(db):
        db.execute("update contributions set moderation = ? where id = ?", [mark, contribution.id])
        record_event(db, workshop, "contributions-changed")


def edit_as_facilitator(
    db: Database, workshop: Workshop, contribution: Contribution, body: str, detail: str = ""
) -> Contribution:
    """Reword an answer for the room, keeping the author's first wording."""
    with write(db):
        db.execute(
            """update contributions set
                   original_body = coalesce(original_body, body),
                   original_detail = coalesce(original_detail, detail),
                   body = ?, detail = ?, updated_at = ?
               where id = ?""",
            [body, detail, now(), contribution.id],
        )
        record_event(db, workshop, "contributions-changed")
    return get_contribution(db, workshop, contribution.id)


def delete_as_facilitator(db: Database, workshop: Workshop, contribution: Contribution) -> None:
    """Delete an answer at any time, with its dots; cards merged into it come back."""
    with write(db):
        _delete(db, workshop, contribution)


# Merges and themes ----------------------------------------------------------------------


def _root_of(by_id: dict[int, Contribution], contribution: Contribution) -> Contribution:
    seen = set()
    while contribution.merged_into in by_id and contribution.id not in seen:
        seen.add(contribution.id)
        contribution = by_id[contribution.merged_into]
    return contribution


def _card_heads(by_id: dict[int, Contribution], for_room: bool) -> dict[int, int | None]:
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


def merge_contributions(
    db: Database, workshop: Workshop, source: Contribution, target: Contribution
) -> None:
    """Fold ``source`` (and whatever was merged into it) into ``target``'s card."""
    with write(db):
        stage = get_stage(db, workshop, source.stage_id)
        by_id = {c.id: c for c in list_contributions(db, stage)} if stage else {}
        if source.id not in by_id or target.id not in by_id:
            raise Refused("not-found")
        root = _root_of(by_id, by_id[target.id])
        if root.id == source.id or _root_of(by_id, by_id[source.id]).id == root.id:
            raise Refused("same-card")
        db.execute(
            "update contributions set merged_into = ?, theme_id = null where id = ?",
            [root.id, source.id],
        )
        record_event(db, workshop, "contributions-changed")


def unmerge_contribution(db: Database, workshop: Workshop, contribution: Contribution) -> None:
    """Undo a merge: the answer is its own card again, with its own dots."""
    with write(db):
        db.execute("update contributions set merged_into = null where id = ?", [contribution.id])
        record_event(db, workshop, "contributions-changed")


@dataclass(frozen=True, slots=True)
class Theme:
    id: int
    workshop_id: int
    stage_id: int
    position: int
    name: str


def list_themes(db: Database, stage: Stage) -> list[Theme]:
    """Return a stage's themes in order."""
    return _all(
        db, Theme, "select * from themes where stage_id = ? order by position, id", [stage.id]
    )


def get_theme(db: Database, workshop: Workshop, theme_id: int) -> Theme | None:
    """Return one of this workshop's themes."""
    return _owned(db, Theme, "themes", theme_id, workshop)


def add_theme(db: Database, workshop: Workshop, stage: Stage, name: str) -> Theme:
    """Start a named theme (a column on the screen) for a stage's answers."""
    with write(db):
        count = _count(db, "select count(*) as n from themes where stage_id = ?", [stage.id])
        if count >= MAX_THEMES_PER_STAGE:
            raise Refused("too-many-themes")
        db.execute(
            "insert into themes (workshop_id, stage_id, position, name) values (?, ?, ?, ?)",
            [workshop.id, stage.id, count, name],
        )
        theme_id = _last_id(db)
        record_event(db, workshop, "contributions-changed")
        record_event(db, workshop, "themes-changed")
    return get_theme(db, workshop, theme_id)


def rename_theme(db: Database, workshop: Workshop, theme: Theme, name: str) -> None:
    """Rename a theme."""
    with write(db):
        db.execute("update themes set name = ? where id = ?", [name, theme.id])
        record_event(db, workshop, "contributions-changed")


def delete_theme(db: Database, workshop: Workshop, theme: Theme) -> None:
    """Remove a theme; its answers go back to the ungrouped pile."""
    with write(db):
        db.execute("delete from themes where id = ?", [theme.id])
        record_event(db, workshop, "contributions-changed")


def set_theme(
    db: Database, workshop: Workshop, contribution: Contribution, theme: Theme | None
) -> None:
    """Put an answer's card into a theme, or take it out (``None``)."""
    if theme is not None and theme.stage_id != contribution.stage_id:
        raise Refused("not-found")
    with write(db):
        db.execute(
            "update contributions set theme_id = ? where id = ?",
            [theme.id if theme else None, contribution.id],
        )
        record_event(db, workshop, "contributions-changed")


# Dot voting --------------------------------------------------------------------------------


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
    contribution: Contribution,
    entered_by: str = "participant",
) -> None:
    """Put one of the participant's dots on an answer's card, within their budget.

    The check and the insert share one ``BEGIN IMMEDIATE`` transaction, so two quick
    taps from one phone, even on two server processes, never spend more than the budget.
    """
    with write(db):
        stage = get_stage(db, workshop, contribution.stage_id)
        if stage is None or not stage.is_voting:
            raise Refused("voting-closed")
        current = get_workshop_by_id(db, workshop.id)
        if entered_by == "participant" and current.current_stage_id != stage.id:
            raise Refused("voting-closed")
        fresh = get_participant_by_id(db, workshop, participant.id)
        if fresh is None or fresh.removed_at is not None:
            raise Refused("removed")
        by_id = {c.id: c for c in list_contributions(db, stage)}
        heads = _card_heads(by_id, for_room=True)
        head = heads.get(contribution.id)
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
                    and contribution_id in ({marks})""",
                [participant.id, *group],
            )
            if already:
                raise Refused("one-per-answer")
        db.execute(
            """insert into votes (workshop_id, stage_id, contribution_id, participant_id,
                   entered_by, created_at)
               values (?, ?, ?, ?, ?, ?)""",
            [workshop.id, stage.id, head, participant.id, entered_by, now()],
        )
        record_event(db, workshop, "votes-changed")


def withdraw_vote(
    db: Database, workshop: Workshop, participant: Participant, contribution: Contribution
) -> None:
    """Take back one of the participant's dots from an answer's card."""
    with write(db):
        stage = get_stage(db, workshop, contribution.stage_id)
        if stage is None or not stage.is_voting:
            raise Refused("voting-closed")
        by_id = {c.id: c for c in list_contributions(db, stage)}
        heads = _card_heads(by_id, for_room=True)
        head = heads.get(contribution.id)
        group = [cid for cid, card in heads.items() if card == head and head is not None]
        marks = ",".join("?" * len(group))
        rows = list(
            db.query(
                f"""select id from votes where participant_id = ?
                    and contribution_id in ({marks}) order by id desc limit 1""",
                [participant.id, *group],
            )
        )
        if not rows:
            raise Refused("no-dot-here")
        db.execute("delete from votes where id = ?", [rows[0]["id"]])
        record_event(db, workshop, "votes-changed")


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


# Boards: what each audience sees of a stage -------------------------------------------------


@dataclass(frozen=True, slots=True)
class Card:
    """One card on the board: an answer with everything merged into it."""

    contribution: Contribution
    merged: tuple[Contribution, ...]
    votes: int
    my_votes: int
    authors: tuple[str, ...]

    @property
    def id(self) -> int:
        return self.contribution.id

    @property
    def body(self) -> str:
        return self.contribution.body

    @property
    def detail(self) -> str:
        return self.contribution.detail


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
) -> Board:
    """Build a stage's cards for one audience.

    For the room (screen and phones) hidden, flagged and removed people's answers are
    left out, and so is every answer while the stage collects them hidden; vote counts
    appear only once results are revealed. The facilitator (``for_room=False``) sees all.
    """
    contributions = list_contributions(db, stage)
    by_id = {c.id: c for c in contributions}
    heads = _card_heads(by_id, for_room)
    people = list_participants(db, workshop)
    removed = {p.id for p in people if p.removed_at is not None}
    names = {p.id: p.display_name for p in people}
    votes: dict[int, int] = {}
    mine: dict[int, int] = {}
    for row in db.query(
        "select contribution_id, participant_id from votes where stage_id = ?", [stage.id]
    ):
        head = heads.get(row["contribution_id"])
        if row["participant_id"] in removed or head is None:
            continue
        votes[head] = votes.get(head, 0) + 1
        if viewer is not None and row["participant_id"] == viewer.id:
            mine[head] = mine.get(head, 0) + 1
    members: dict[int, list[Contribution]] = {}
    for contribution in contributions:
        head = heads[contribution.id]
        if head is not None and head != contribution.id:
            if not for_room or contribution.is_visible:
                members.setdefault(head, []).append(contribution)
    show_votes = not for_room or stage.shows_results
    cards = []
    for contribution in contributions:
        if heads[contribution.id] != contribution.id:
            continue
        if for_room and stage.answers_hidden:
            continue
        merged = tuple(members.get(contribution.id, ()))
        authors = tuple(
            dict.fromkeys(
                names[c.participant_id]
                for c in (contribution, *merged)
                if c.participant_id is not None and names.get(c.participant_id)
            )
        )
        cards.append(
            Card(
                contribution=contribution,
                merged=merged,
                votes=votes.get(contribution.id, 0) if show_votes else 0,
                my_votes=mine.get(contribution.id, 0),
                authors=authors,
            )
        )
    if stage.shows_results or (not for_room and stage.voting != "off"):
        cards.sort(key=lambda card: (-card.votes, card.id))
    themes = tuple(list_themes(db, stage))
    columns = tuple(
        Column(theme, tuple(c for c in cards if c.contribution.theme_id == theme.id))
        for theme in themes
    )
    theme_ids = {theme.id for theme in themes}
    loose = tuple(c for c in cards if c.contribution.theme_id not in theme_ids)
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


# Stage settings: input, hidden collection, timers -------------------------------------------


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
        record_event(db, workshop, "contributions-changed")


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


# The projector's pages: the facilitator may hold them or turn them ------------------------


@dataclass(frozen=True, slots=True)
class ScreenPages:
    """Whether the projector's pages are held, and the running sum of page steps asked for."""

    paused: bool = False
    step: int = 0


def get_screen_pages(db: Database, workshop: Workshop) -> ScreenPages:
    """Return the facilitator's hold on the projector's pages (turning, no steps, if never set)."""
    rows = list(
        db.query("select paused, step from screen_pages where workshop_id = ?", [workshop.id])
    )
    return ScreenPages(bool(rows[0]["paused"]), rows[0]["step"]) if rows else ScreenPages()


def pause_screen_pages(db: Database, workshop: Workshop, paused: bool = True) -> None:
    """Hold the projector's pages where they are, or let them turn by themselves again."""
    with write(db):
        db.execute(
            """insert into screen_pages (workshop_id, paused, updated_at) values (?, ?, ?)
               on conflict (workshop_id) do update
               set paused = excluded.paused, updated_at = excluded.updated_at""",
            [workshop.id, int(paused), now()],
        )
        record_event(db, workshop, "screen-pages-changed")


def step_screen_pages(db: Database, workshop: Workshop, step: int) -> None:
    """Turn the projector's pages ``step`` pages on (negative: back)."""
    with write(db):
        db.execute(
            """insert into screen_pages (workshop_id, step, updated_at) values (?, ?, ?)
               on conflict (workshop_id) do update
               set step = step + excluded.step, updated_at = excluded.updated_at""",
            [workshop.id, step, now()],
        )
        record_event(db, workshop, "screen-pages-changed")


# Mission and principles -------------------------------------------------------------


def save_mission(db: Database, workshop: Workshop, text: str) -> None:
    """Save the mission draft, unless it has been agreed."""
    with write(db):
        if _is_agreed(db, workshop):
            raise Refused("agreed")
        db.execute("update workshops set mission = ? where id = ?", [text, workshop.id])
        record_event(db, workshop, "mission-changed")


def _is_agreed(db: Database, workshop: Workshop) -> bool:
    fresh = get_workshop_by_id(db, workshop.id)
    return fresh is not None and fresh.is_agreed


def replace_principles(
    db: Database, workshop: Workshop, principles: Iterable[tuple[str, str]]
) -> None:
    """Replace the list of principles with ``(name, line)`` pairs, in order."""
    with write(db):
        if _is_locked(db, workshop, "principles"):
            raise Refused("agreed")
        db.execute("delete from principles where workshop_id = ?", [workshop.id])
        for position, (name, line) in enumerate(principles):
            db.execute(
                """insert into principles (workshop_id, position, name, line)
                   values (?, ?, ?, ?)""",
                [workshop.id, position, name, line],
            )
        record_event(db, workshop, "mission-changed")


def list_principles(db: Database, workshop: Workshop) -> list[Principle]:
    """Return the principles in their order."""
    return _all(
        db,
        Principle,
        "select * from principles where workshop_id = ? order by position",
        [workshop.id],
    )


def mark_agreed(db: Database, workshop: Workshop, agreed: bool = True) -> None:
    """Mark the mission agreed (locking it), or reopen it for drafting."""
    with write(db):
        db.execute(
            "update workshops set mission_agreed_at = ? where id = ?",
            [now() if agreed else None, workshop.id],
        )
        record_event(db, workshop, "mission-changed")


def set_poster_on_screen(db: Database, workshop: Workshop, shown: bool) -> None:
    """Put the framed poster itself on the projector, or take it off again."""
    with write(db):
        db.execute(
            "update workshops set poster_on_screen = ? where id = ?", [int(shown), workshop.id]
        )
        record_event(db, workshop, "mission-changed")


# Agreement: drafts, versions, amendments, consensus rounds ----------------------------------

LEVELS = (1, 2, 3, 4, 5)  # fully agree · agree · can live with it · reservations · block
ACCEPTING_LEVELS = (1, 2, 3)
BLOCK = 5
RESERVATIONS = 4
DRAFT_KINDS = ("mission", "routine")
ROUND_SUBJECTS = ("mission", "routine", "principles")


@dataclass(frozen=True, slots=True)
class Draft:
    id: int
    workshop_id: int
    kind: str
    shown: int
    created_at: str


@dataclass(frozen=True, slots=True)
class Version:
    id: int
    workshop_id: int
    draft_id: int
    number: int
    text: str
    participant_id: int | None
    origin: str
    amendment_id: int | None
    created_at: str


@dataclass(frozen=True, slots=True)
class Amendment:
    id: int
    workshop_id: int
    draft_id: int
    version_id: int
    text: str
    participant_id: int | None
    status: str
    created_at: str
    decided_at: str | None
    result_version_id: int | None


@dataclass(frozen=True, slots=True)
class Round:
    id: int
    workshop_id: int
    subject: str
    version_id: int | None
    snapshot: str
    threshold: int
    min_answers: int
    status: str
    outcome: str | None
    note: str
    opened_at: str
    closed_at: str | None

    @property
    def is_open(self) -> bool:
        return self.status == "open"

    @property
    def principles(self) -> list[tuple[str, str]]:
        """The principles this round decides on, as (name, line) pairs."""
        return (
            [tuple(pair) for pair in json.loads(self.snapshot)]
            if self.subject == "principles"
            else []
        )


@dataclass(frozen=True, slots=True)
class RoundAnswer:
    id: int
    round_id: int
    participant_id: int
    level: int
    reason: str
    created_at: str
    updated_at: str


@dataclass(frozen=True, slots=True)
class Tally:
    """What a round's answers add up to; ``visible`` once enough people answered."""

    counts: dict[int, int]
    answered: int
    accepting: int
    blocks: int
    reasons: tuple[tuple[int, str], ...]
    visible: bool
    share: float
    passes: bool


@dataclass(frozen=True, slots=True)
class DraftLine:
    """A draft with its newest version, its history and its pending amendments."""

    draft: Draft
    latest: Version
    versions: tuple[Version, ...]
    pending: tuple[Amendment, ...]
    number: int  # 1 for the oldest draft of its kind


def _is_locked(db: Database, workshop: Workshop, kind: str) -> bool:
    fresh = get_workshop_by_id(db, workshop.id)
    if fresh is None:
        return True
    if kind == "routine":
        return fresh.routine_agreed_at is not None
    if kind == "principles":
        return fresh.principles_agreed_at is not None
    return fresh.mission_agreed_at is not None


def propose_draft(
    db: Database,
    workshop: Workshop,
    text: str,
    participant: Participant | None = None,
    kind: str = "mission",
) -> Version:
    """Start a new draft with its first version; phones may only when the facilitator allows."""
    if kind not in DRAFT_KINDS:
        raise ValueError(kind)
    with write(db):
        fresh = get_workshop_by_id(db, workshop.id)
        if _is_locked(db, workshop, kind):
            raise Refused("agreed")
        if participant is not None and not fresh.participants_may_propose:
            raise Refused("proposals-closed")
        count = _count(db, "select count(*) as n from drafts where workshop_id = ?", [workshop.id])
        if count >= MAX_DRAFTS:
            raise Refused("too-many-drafts")
        db.execute(
            "insert into drafts (workshop_id, kind, created_at) values (?, ?, ?)",
            [workshop.id, kind, now()],
        )
        draft_id = _last_id(db)
        version = _add_version(
            db,
            workshop,
            draft_id,
            text,
            participant,
            "participant" if participant else "facilitator",
        )
        record_event(db, workshop, "mission-changed")
    return version


def _add_version(
    db: Database,
    workshop: Workshop,
    draft_id: int,
    text: str,
    participant: Participant | None,
    origin: str,
    amendment_id: int | None = None,
) -> Version:
    number = _count(
        db, "select coalesce(max(number), 0) as n from versions where draft_id = ?", [draft_id]
    )
    db.execute(
        """insert into versions (workshop_id, draft_id, number, text, participant_id, origin,
               amendment_id, created_at)
           values (?, ?, ?, ?, ?, ?, ?, ?)""",
        [
            workshop.id,
            draft_id,
            number + 1,
            text,
            participant.id if participant else None,
            origin,
            amendment_id,
            now(),
        ],
    )
    return _one(db, Version, "select * from versions where id = ?", [_last_id(db)])


def revise_draft(db: Database, workshop: Workshop, draft: Draft, text: str) -> Version:
    """Save the facilitator's new wording of a draft as its next version."""
    with write(db):
        if _is_locked(db, workshop, draft.kind):
            raise Refused("agreed")
        if text == latest_version(db, draft).text:
            raise Refused("unchanged")
        version = _add_version(db, workshop, draft.id, text, None, "facilitator")
        record_event(db, workshop, "mission-changed")
    return version


def get_draft(db: Database, workshop: Workshop, draft_id: int) -> Draft | None:
    """Return one of this workshop's drafts."""
    return _owned(db, Draft, "drafts", draft_id, workshop)


def get_version(db: Database, workshop: Workshop, version_id: int) -> Version | None:
    """Return one of this workshop's versions."""
    return _owned(db, Version, "versions", version_id, workshop)


def list_versions(db: Database, draft: Draft) -> list[Version]:
    """Return every version of a draft, oldest first."""
    return _all(
        db, Version, "select * from versions where draft_id = ? order by number", [draft.id]
    )


def latest_version(db: Database, draft: Draft) -> Version:
    """Return a draft's newest version."""
    return _one(
        db,
        Version,
        "select * from versions where draft_id = ? order by number desc limit 1",
        [draft.id],
    )


def list_drafts(
    db: Database, workshop: Workshop, kind: str = "mission", shown_only: bool = False
) -> list[DraftLine]:
    """Return the workshop's drafts of one kind, newest first, each with its history."""
    drafts = _all(
        db,
        Draft,
        "select * from drafts where workshop_id = ? and kind = ? order by id desc",
        [workshop.id, kind],
    )
    lines = []
    for index, draft in enumerate(drafts):
        if shown_only and not draft.shown:
            continue
        versions = tuple(list_versions(db, draft))
        pending = tuple(
            _all(
                db,
                Amendment,
                "select * from amendments where draft_id = ? and status = 'pending' order by id",
                [draft.id],
            )
        )
        lines.append(DraftLine(draft, versions[-1], versions, pending, len(drafts) - index))
    return lines


def set_draft_shown(db: Database, workshop: Workshop, draft: Draft, shown: bool) -> None:
    """Put a draft on the screen (side by side with up to two others) or take it off."""
    with write(db):
        db.execute("update drafts set shown = ? where id = ?", [int(shown), draft.id])
        record_event(db, workshop, "mission-changed")


def set_proposals_open(db: Database, workshop: Workshop, open_: bool) -> None:
    """Let phones propose their own drafts, or not."""
    with write(db):
        db.execute(
            "update workshops set participants_may_propose = ? where id = ?",
            [int(open_), workshop.id],
        )
        record_event(db, workshop, "mission-changed")


def suggest_amendment(
    db: Database, workshop: Workshop, version: Version, participant: Participant | None, text: str
) -> Amendment:
    """Suggest a changed wording of a draft's newest version."""
    with write(db):
        draft = get_draft(db, workshop, version.draft_id)
        if draft is None or _is_locked(db, workshop, draft.kind):
            raise Refused("agreed")
        if latest_version(db, draft).id != version.id:
            raise Refused("outdated")
        if text == version.text:
            raise Refused("unchanged")
        db.execute(
            """insert into amendments (workshop_id, draft_id, version_id, text, participant_id,
                   created_at)
               values (?, ?, ?, ?, ?, ?)""",
            [
                workshop.id,
                draft.id,
                version.id,
                text,
                participant.id if participant else None,
                now(),
            ],
        )
        amendment_id = _last_id(db)
        record_event(db, workshop, "mission-changed")
    return get_amendment(db, workshop, amendment_id)


def get_amendment(db: Database, workshop: Workshop, amendment_id: int) -> Amendment | None:
    """Return one of this workshop's amendments."""
    return _owned(db, Amendment, "amendments", amendment_id, workshop)


def list_amendments(db: Database, workshop: Workshop) -> list[Amendment]:
    """Return every amendment, oldest first."""
    return _all(
        db, Amendment, "select * from amendments where workshop_id = ? order by id", [workshop.id]
    )


def decide_amendment(
    db: Database, workshop: Workshop, amendment: Amendment, accept: bool
) -> Version | None:
    """Accept an amendment into the draft's next version, or decline it."""
    with write(db):
        fresh = get_amendment(db, workshop, amendment.id)
        if fresh is None or fresh.status != "pending":
            raise Refused("decided")
        draft = get_draft(db, workshop, fresh.draft_id)
        if _is_locked(db, workshop, draft.kind):
            raise Refused("agreed")
        if accept and latest_version(db, draft).id != fresh.version_id:
            raise Refused("outdated")
        version = None
        if accept:
            author = (
                get_participant_by_id(db, workshop, fresh.participant_id)
                if fresh.participant_id
                else None
            )
            version = _add_version(
                db, workshop, draft.id, fresh.text, author, "amendment", fresh.id
            )
        db.execute(
            """update amendments set status = ?, decided_at = ?, result_version_id = ?
               where id = ?""",
            [
                "accepted" if accept else "declined",
                now(),
                version.id if version else None,
                fresh.id,
            ],
        )
        record_event(db, workshop, "mission-changed")
    return version


def open_round(
    db: Database,
    workshop: Workshop,
    subject: str,
    version: Version | None = None,
    threshold: int = DEFAULT_THRESHOLD,
    min_answers: int = DEFAULT_MIN_ANSWERS,
) -> Round:
    """Ask the room to answer on one version (or on the principles); one round at a time."""
    if subject not in ROUND_SUBJECTS:
        raise ValueError(subject)
    if not THRESHOLD_RANGE[0] <= threshold <= THRESHOLD_RANGE[1]:
        raise Refused("bad-threshold")
    if not MIN_ANSWERS_RANGE[0] <= min_answers <= MIN_ANSWERS_RANGE[1]:
        raise Refused("bad-min-answers")
    with write(db):
        if current_round(db, workshop) is not None:
            raise Refused("round-open")
        fresh = get_workshop_by_id(db, workshop.id)
        if subject == "principles":
            if fresh.principles_agreed_at:
                raise Refused("agreed")
            pairs = [[p.name, p.line] for p in list_principles(db, workshop)]
            low, high = PRINCIPLE_COUNT
            if not low <= len(pairs) <= high:
                raise Refused("principle-count")
            snapshot, version_id = json.dumps(pairs, ensure_ascii=False), None
        else:
            if version is None:
                raise Refused("not-found")
            draft = get_draft(db, workshop, version.draft_id)
            if draft is None or draft.kind != subject:
                raise Refused("not-found")
            if _is_locked(db, workshop, subject):
                raise Refused("agreed")
            low, high = MISSION_WORDS
            if subject == "mission" and not low <= word_count(version.text) <= high:
                raise Refused("mission-length")
            snapshot, version_id = version.text, version.id
        db.execute(
            """insert into rounds (workshop_id, subject, version_id, snapshot, threshold,
                   min_answers, opened_at)
               values (?, ?, ?, ?, ?, ?, ?)""",
            [workshop.id, subject, version_id, snapshot, threshold, min_answers, now()],
        )
        round_id = _last_id(db)
        record_event(db, workshop, "round-changed")
    return get_round(db, workshop, round_id)


def get_round(db: Database, workshop: Workshop, round_id: int) -> Round | None:
    """Return one of this workshop's rounds."""
    return _owned(db, Round, "rounds", round_id, workshop)


def current_round(db: Database, workshop: Workshop) -> Round | None:
    """Return the round the room is answering now, if any."""
    return _one(
        db,
        Round,
        "select * from rounds where workshop_id = ? and status = 'open'",
        [workshop.id],
    )


def list_rounds(db: Database, workshop: Workshop) -> list[Round]:
    """Return every round, newest first."""
    return _all(
        db, Round, "select * from rounds where workshop_id = ? order by id desc", [workshop.id]
    )


def answer_round(
    db: Database,
    workshop: Workshop,
    round_: Round,
    participant: Participant,
    level: int,
    reason: str = "",
) -> RoundAnswer:
    """Record (or change) a person's answer while the round is open; a block needs a reason."""
    reason = reason.strip()
    if level not in LEVELS:
        raise Refused("bad-level")
    if level == BLOCK and not reason.strip():
        raise Refused("reason-needed")
    if level < RESERVATIONS:
        reason = ""
    with write(db):
        fresh = get_round(db, workshop, round_.id)
        if fresh is None or not fresh.is_open:
            raise Refused("round-closed")
        person = get_participant_by_id(db, workshop, participant.id)
        if person is None or person.removed_at is not None:
            raise Refused("removed")
        stamp = now()
        db.execute(
            """insert into round_answers (round_id, participant_id, level, reason, created_at,
                   updated_at)
               values (?, ?, ?, ?, ?, ?)
               on conflict (round_id, participant_id)
               do update set level = excluded.level, reason = excluded.reason,
                   updated_at = excluded.updated_at""",
            [fresh.id, participant.id, level, reason, stamp, stamp],
        )
        record_event(db, workshop, "round-answered")
    return my_round_answer(db, round_, participant)


def my_round_answer(db: Database, round_: Round, participant: Participant) -> RoundAnswer | None:
    """Return this person's answer to a round, if they gave one."""
    return _one(
        db,
        RoundAnswer,
        "select * from round_answers where round_id = ? and participant_id = ?",
        [round_.id, participant.id],
    )


def round_tally(db: Database, round_: Round) -> Tally:
    """Add up a round's answers; reasons come without names, in a stable order."""
    rows = list(
        db.query(
            """select a.level, a.reason from round_answers a
               join participants p on p.id = a.participant_id
               where a.round_id = ? and p.removed_at is null
               order by a.level, a.reason""",
            [round_.id],
        )
    )
    counts = {level: 0 for level in LEVELS}
    for row in rows:
        counts[row["level"]] += 1
    answered = len(rows)
    accepting = sum(counts[level] for level in ACCEPTING_LEVELS)
    share = accepting / answered if answered else 0.0
    return Tally(
        counts=counts,
        answered=answered,
        accepting=accepting,
        blocks=counts[BLOCK],
        reasons=tuple((row["level"], row["reason"]) for row in rows if row["reason"]),
        visible=answered >= round_.min_answers,
        share=share,
        passes=answered >= max(1, round_.min_answers)
        and counts[BLOCK] == 0
        and accepting * 100 >= round_.threshold * answered,
    )


def close_round(db: Database, workshop: Workshop, round_: Round, override_note: str = "") -> Round:
    """Close a round: it agrees the text when no one blocks and enough can live with it.

    With ``override_note`` the facilitator agrees it whatever the result, and the note
    is kept with the round.
    """
    with write(db):
        fresh = get_round(db, workshop, round_.id)
        if fresh is None:
            raise Refused("not-found")
        if fresh.is_open:
            passes = round_tally(db, fresh).passes
        elif fresh.outcome == "not-agreed" and override_note:
            if current_round(db, workshop) is not None:
                raise Refused("round-open")
            passes = False
        else:
            raise Refused("round-closed")
        if passes:
            outcome = "agreed"
        elif override_note:
            outcome = "overridden"
        else:
            outcome = "not-agreed"
        db.execute(
            """update rounds set status = 'closed', outcome = ?, note = ?,
                   closed_at = coalesce(closed_at, ?)
               where id = ?""",
            [outcome, override_note, now(), fresh.id],
        )
        if outcome != "not-agreed":
            if _is_locked(db, workshop, fresh.subject):
                raise Refused("agreed")
            _adopt(db, workshop, fresh)
        record_event(db, workshop, "round-changed")
        record_event(db, workshop, "mission-changed")
    return get_round(db, workshop, round_.id)


def _adopt(db: Database, workshop: Workshop, round_: Round) -> None:
    """Make what a round agreed the workshop's own, locked for the poster."""
    stamp = now()
    if round_.subject == "mission":
        db.execute(
            "update workshops set mission = ?, mission_agreed_at = ? where id = ?",
            [round_.snapshot, stamp, workshop.id],
        )
    elif round_.subject == "routine":
        db.execute(
            "update workshops set routine = ?, routine_agreed_at = ? where id = ?",
            [round_.snapshot, stamp, workshop.id],
        )
    else:
        db.execute("delete from principles where workshop_id = ?", [workshop.id])
        for position, (name, line) in enumerate(round_.principles):
            db.execute(
                """insert into principles (workshop_id, position, name, line)
                   values (?, ?, ?, ?)""",
                [workshop.id, position, name, line],
            )
        db.execute(
            "update workshops set principles_agreed_at = ? where id = ?", [stamp, workshop.id]
        )


def cancel_round(db: Database, workshop: Workshop, round_: Round) -> None:
    """Withdraw an open round without a result (a new version is coming)."""
    with write(db):
        db.execute(
            """update rounds set status = 'closed', outcome = 'withdrawn', closed_at = ?
               where id = ? and status = 'open'""",
            [now(), round_.id],
        )
        record_event(db, workshop, "round-changed")


def reopen_agreement(db: Database, workshop: Workshop, subject: str) -> None:
    """Unlock an agreed mission, principles or routine for more drafting."""
    column = {
        "mission": "mission_agreed_at",
        "principles": "principles_agreed_at",
        "routine": "routine_agreed_at",
    }[subject]
    with write(db):
        db.execute(f"update workshops set {column} = null where id = ?", [workshop.id])
        record_event(db, workshop, "mission-changed")


def round_record(db: Database, round_: Round) -> dict:
    """Return a round with its anonymous answers, for the JSON export."""
    tally = round_tally(db, round_)
    return {
        "id": round_.id,
        "subject": round_.subject,
        "version": round_.version_id,
        "text": round_.snapshot if round_.subject != "principles" else None,
        "principles": [list(p) for p in round_.principles] or None,
        "threshold": round_.threshold,
        "min_answers": round_.min_answers,
        "status": round_.status,
        "outcome": round_.outcome,
        "note": round_.note,
        "opened_at": round_.opened_at,
        "closed_at": round_.closed_at,
        "answers": [{"level": level, "count": count} for level, count in tally.counts.items()],
        "reasons": [{"level": level, "reason": reason} for level, reason in tally.reasons],
    }


# Exports ------------------------------------------------------------------------------


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


def workshop_record(db: Database, workshop: Workshop) -> dict:
    """Return the whole workshop as plain data, for the JSON export."""
    fresh = get_workshop_by_id(db, workshop.id) or workshop
    stages = list_stages(db, fresh)
    people = list_participants(db, fresh)
    number = {p.id: index + 1 for index, p in enumerate(people)}
    return {
        "id": fresh.public_id,
        "title": fresh.title,
        "language": fresh.language,
        "status": fresh.status,
        "created_at": fresh.created_at,
        "cloned_from": fresh.cloned_from,
        "joining_locked": bool(fresh.joining_locked),
        "current_stage": next((s.position for s in stages if s.id == fresh.current_stage_id), None),
        "participants": count_participants(db, fresh),
        "people": [
            {
                "number": number[p.id],
                "name": p.display_name,
                "added_by_facilitator": bool(p.added_by_facilitator),
                "removed": p.removed_at is not None,
            }
            for p in people
        ],
        "stages": [_stage_record(db, stage, number) for stage in stages],
        "mission": {"text": fresh.mission, "agreed_at": fresh.mission_agreed_at},
        "principles": [{"name": p.name, "line": p.line} for p in list_principles(db, fresh)],
        "principles_agreed_at": fresh.principles_agreed_at,
        "routine": {"text": fresh.routine, "agreed_at": fresh.routine_agreed_at},
        "proposals_from_phones": bool(fresh.participants_may_propose),
        "drafts": [
            {
                "id": line.draft.id,
                "kind": line.draft.kind,
                "shown": bool(line.draft.shown),
                "created_at": line.draft.created_at,
                "versions": [
                    {
                        "id": v.id,
                        "number": v.number,
                        "text": v.text,
                        "origin": v.origin,
                        "proposed_by": number.get(v.participant_id)
                        if v.participant_id
                        else "facilitator",
                        "amendment": v.amendment_id,
                        "created_at": v.created_at,
                    }
                    for v in line.versions
                ],
            }
            for kind in DRAFT_KINDS
            for line in list_drafts(db, fresh, kind)
        ],
        "amendments": [
            {
                "id": a.id,
                "draft": a.draft_id,
                "version": a.version_id,
                "text": a.text,
                "suggested_by": number.get(a.participant_id) if a.participant_id else "facilitator",
                "status": a.status,
                "created_at": a.created_at,
                "decided_at": a.decided_at,
                "result_version": a.result_version_id,
            }
            for a in list_amendments(db, fresh)
        ],
        "rounds": [round_record(db, r) for r in reversed(list_rounds(db, fresh))],
    }


def _stage_record(db: Database, stage: Stage, number: dict[int, int]) -> dict:
    themes = list_themes(db, stage)
    theme_names = {theme.id: theme.name for theme in themes}
    votes = list(
        db.query(
            """select contribution_id, participant_id, entered_by, created_at from votes
               where stage_id = ? order by id""",
            [stage.id],
        )
    )
    return {
        "position": stage.position,
        "kind": stage.kind,
        "title": stage.title,
        "prompt": stage.prompt,
        "input_open": bool(stage.input_open),
        "answers_hidden": bool(stage.answers_hidden),
        "screen_view": stage.screen_view,
        "voting": {
            "state": stage.voting,
            "budget": stage.vote_budget,
            "one_dot_per_answer": bool(stage.one_dot_per_answer),
            "results_revealed": bool(stage.results_revealed),
        },
        "timer": {
            "seconds": stage.timer_seconds,
            "ends_at": stage.timer_ends_at,
            "close_on_expiry": bool(stage.close_on_expiry),
        },
        "themes": [{"id": t.id, "name": t.name, "position": t.position} for t in themes],
        "contributions": [
            {
                "id": c.id,
                "body": c.body,
                "detail": c.detail,
                "created_at": c.created_at,
                "updated_at": c.updated_at,
                "entered_by": c.entered_by,
                "author": number.get(c.participant_id),
                "moderation": c.moderation,
                "original_body": c.original_body,
                "original_detail": c.original_detail,
                "merged_into": c.merged_into,
                "theme": theme_names.get(c.theme_id),
            }
            for c in list_contributions(db, stage)
        ],
        "votes": [
            {
                "contribution": v["contribution_id"],
                "voter": number.get(v["participant_id"]),
                "entered_by": v["entered_by"],
                "created_at": v["created_at"],
            }
            for v in votes
        ],
    }


# Poster settings and exports -------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PosterSettings:
    """The poster page's last choices: options as JSON text, the footer's city, the logo."""

    options: str = "{}"
    city: str = ""
    logo: bytes | None = None
    updated_at: str | None = None


def get_poster_settings(db: Database, workshop: Workshop) -> PosterSettings:
    """Return the workshop's poster settings, or the defaults when none were chosen yet."""
    rows = list(
        db.query(
            "select options, city, logo, updated_at from poster_settings where workshop_id = ?",
            [workshop.id],
        )
    )
    return PosterSettings(**rows[0]) if rows else PosterSettings()


def save_poster_settings(db: Database, workshop: Workshop, options: str, city: str) -> None:
    """Remember the poster options (JSON text) and city, keeping the logo."""
    with write(db):
        db.execute(
            """insert into poster_settings (workshop_id, options, city, updated_at)
               values (?, ?, ?, ?)
               on conflict (workshop_id) do update set options = excluded.options,
                   city = excluded.city, updated_at = excluded.updated_at""",
            [workshop.id, options, city, now()],
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


# Security: facilitator secrets and rate limits -------------------------------------------
# (The rate-limit counters live in memory, in workshop/limits.py: nothing to store here.)


def rotate_admin_token(db: Database, workshop: Workshop) -> str:
    """Replace the facilitator secret: the old link stops working. Return the new secret.

    Sessions already opened with the old link stay (end them with
    ``end_other_facilitator_sessions``); only the new secret's hash is stored.
    """
    admin_token = secrets.token_urlsafe(32)
    with write(db):
        db.execute(
            "update workshops set admin_token_hash = ? where id = ?",
            [token_hash(admin_token), workshop.id],
        )
    return admin_token


def end_other_facilitator_sessions(db: Database, workshop: Workshop, keep: str) -> int:
    """Revoke every live facilitator session of the workshop but ``keep``; return how many."""
    with write(db):
        cursor = db.execute(
            """update facilitator_sessions set revoked_at = ?
               where workshop_id = ? and id != ? and revoked_at is null and expires_at > ?""",
            [now(), workshop.id, keep, now()],
        )
        return cursor.rowcount


# Retention, backups and deletion ----------------------------------------------------------
# A closed workshop keeps its raw answers for RETENTION_DAYS (config, default 30), then
# `purge_workshop` deletes them: answers, dots, themes, round answers, drafts with their
# suggested changes, rounds that agreed nothing (their snapshot may be a phone's wording),
# the people and their names, and the record exports that copy them. What the room agreed
# (mission, principles, routine) and the rounds that agreed it, the poster settings and the
# posters and staff cards stay. Callers checkpoint afterwards
# (`db.checkpoint`), so the deleted text leaves the WAL too (secure_delete zeroes it in
# the database file).

RECORD_EXPORT_KINDS = ("report", "csv", "markdown", "json")  # files that copy raw answers


@dataclass(frozen=True, slots=True)
class RawData:
    """How much raw material a workshop still holds: what a purge would delete."""

    workshop: Workshop
    contributions: int
    votes: int
    round_answers: int
    amendments: int
    drafts: int
    rounds: int  # rounds that agreed nothing
    participants: int
    files: tuple[str, ...]

    @property
    def is_empty(self) -> bool:
        counts = (self.contributions, self.votes, self.round_answers, self.amendments)
        return not any((*counts, self.drafts, self.rounds, self.participants, self.files))


def retention_days(config: dict) -> int:
    """Return the configured days a closed workshop keeps its raw answers (at least 1)."""
    try:
        days = int(config.get("RETENTION_DAYS", DEFAULT_RETENTION_DAYS))
    except (TypeError, ValueError):
        days = DEFAULT_RETENTION_DAYS
    return max(1, days)


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
    nobody pressed "close". A workshop prepared in advance, that nobody joined, stays open.
    """
    cutoff = ((at or datetime.now(UTC)) - timedelta(days=days)).isoformat(timespec="seconds")
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
        contributions=_rows_of(db, "contributions", workshop),
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
    cutoff = ((at or datetime.now(UTC)) - timedelta(days=days)).isoformat(timespec="seconds")
    closed = _all(
        db,
        Workshop,
        """select * from workshops where status = 'closed' and closed_at is not null
           and closed_at <= ? order by closed_at, id""",
        [cutoff],
    )
    return [found for found in (raw_data(db, w) for w in closed) if not found.is_empty]


def purge_workshop(db: Database, workshop: Workshop) -> list[str]:
    """Delete a workshop's raw answers and keep what it agreed; return the export files
    (records that copy the answers) for the caller to remove from exports/."""
    kinds = ", ".join("?" for _ in RECORD_EXPORT_KINDS)
    with write(db):
        files = _record_files(db, workshop)
        db.execute(
            f"delete from exports where workshop_id = ? and kind in ({kinds})",
            [workshop.id, *RECORD_EXPORT_KINDS],
        )
        db.execute(f"delete from round_answers where {_OF_ITS_ROUNDS}", [workshop.id])
        db.execute(f"delete from rounds where {_AGREED_NOTHING}", [workshop.id])
        for table in ("votes", "contributions", "themes", "amendments", "drafts", "participants"):
            db.execute(f"delete from {table} where workshop_id = ?", [workshop.id])
        emptied = ("contributions-changed", "participants-changed", "participants-removed")
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


def remove_export_files(folder: str, names: Iterable[str]) -> int:
    """Remove kept exports by name from ``folder`` (never outside it); return how many went."""
    from pathlib import Path

    removed = 0
    for name in names:
        if not name or Path(name).name != name:
            continue
        path = Path(folder) / name
        if path.is_file():
            path.unlink()
            removed += 1
    return removed
