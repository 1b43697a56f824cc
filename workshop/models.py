"""All of Credo's SQL: plain functions taking ``db``, returning frozen dataclasses."""

import hashlib
import hmac
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TypeVar

from sqlite_utils import Database

from .db import write

JOIN_CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTVWXYZ"  # no 0/O, 1/I/L, U
JOIN_CODE_LENGTH = 6
MAX_CONTRIBUTIONS_PER_PERSON = 10
MAX_CONTRIBUTIONS_PER_STAGE = 500
FACILITATOR_SESSION_HOURS = 12
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

    @property
    def takes_answers(self) -> bool:
        return self.kind in QUESTION_KINDS


@dataclass(frozen=True, slots=True)
class Participant:
    id: int
    workshop_id: int
    key_hash: str
    display_name: str
    created_at: str
    removed_at: str | None


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
                secrets.token_urlsafe(8),
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
        db.execute(
            """insert into participants (workshop_id, key_hash, created_at)
               values (?, ?, ?)""",
            [workshop.id, token_hash(key), now()],
        )
        participant_id = _last_id(db)
        record_event(db, workshop, "participants-changed")
    participant = _one(db, Participant, "select * from participants where id = ?", [participant_id])
    return participant, key


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
    return _one(
        db,
        Stage,
        "select * from stages where id = ? and workshop_id = ?",
        [stage_id, workshop.id],
    )


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


# Contributions ------------------------------------------------------------------


def add_contribution(
    db: Database,
    workshop: Workshop,
    stage: Stage,
    participant: Participant | None,
    body: str,
    detail: str = "",
    client_nonce: str | None = None,
) -> Contribution:
    """Store an answer to the current stage; a repeated nonce returns the first copy."""
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
        fresh = get_workshop_by_id(db, workshop.id)
        if fresh is None or fresh.current_stage_id != stage.id or not stage.takes_answers:
            raise Refused("stage-closed")
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
                   detail, client_nonce, created_at, updated_at)
               values (?, ?, ?, ?, ?, ?, ?, ?)""",
            [
                workshop.id,
                stage.id,
                participant.id if participant else None,
                body,
                detail,
                client_nonce or None,
                stamp,
                stamp,
            ],
        )
        contribution_id = _last_id(db)
        record_event(db, workshop, "contributions-changed")
    return get_contribution(db, workshop, contribution_id)


def _count(db: Database, sql: str, params: Sequence) -> int:
    return list(db.query(sql, params))[0]["n"]


def get_contribution(db: Database, workshop: Workshop, contribution_id: int) -> Contribution | None:
    """Return one of this workshop's contributions."""
    return _one(
        db,
        Contribution,
        "select * from contributions where id = ? and workshop_id = ?",
        [contribution_id, workshop.id],
    )


def _check_editable(db: Database, workshop: Workshop, contribution: Contribution) -> None:
    fresh = get_workshop_by_id(db, workshop.id)
    if fresh is None or fresh.current_stage_id != contribution.stage_id:
        raise Refused("stage-closed")


def update_contribution(
    db: Database,
    workshop: Workshop,
    contribution: Contribution,
    body: str,
    detail: str = "",
) -> Contribution:
    """Change the wording of an answer while its stage is open."""
    with write(db):
        _check_editable(db, workshop, contribution)
        db.execute(
            "update contributions set body = ?, detail = ?, updated_at = ? where id = ?",
            [body, detail, now(), contribution.id],
        )
        record_event(db, workshop, "contributions-changed")
    return get_contribution(db, workshop, contribution.id)


def delete_contribution(db: Database, workshop: Workshop, contribution: Contribution) -> None:
    """Remove an answer while its stage is open."""
    with write(db):
        _check_editable(db, workshop, contribution)
        db.execute("delete from contributions where id = ?", [contribution.id])
        record_event(db, workshop, "contributions-changed")


def list_contributions(db: Database, stage: Stage) -> list[Contribution]:
    """Return every answer to a stage, oldest first."""
    return _all(
        db,
        Contribution,
        "select * from contributions where stage_id = ? order by id",
        [stage.id],
    )


def list_participant_contributions(
    db: Database, stage: Stage, participant: Participant
) -> list[Contribution]:
    """Return one person's answers to a stage, oldest first."""
    return _all(
        db,
        Contribution,
        "select * from contributions where stage_id = ? and participant_id = ? order by id",
        [stage.id, participant.id],
    )


def answers_by_stage(db: Database, workshop: Workshop) -> list[tuple[Stage, list[Contribution]]]:
    """Return each answer-taking stage with its answers, for the drafting page."""
    return [
        (stage, list_contributions(db, stage))
        for stage in list_stages(db, workshop)
        if stage.takes_answers
    ]


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
        if _is_agreed(db, workshop):
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
    return {
        "id": fresh.public_id,
        "title": fresh.title,
        "language": fresh.language,
        "status": fresh.status,
        "created_at": fresh.created_at,
        "current_stage": next((s.position for s in stages if s.id == fresh.current_stage_id), None),
        "participants": count_participants(db, fresh),
        "stages": [
            {
                "position": stage.position,
                "kind": stage.kind,
                "title": stage.title,
                "prompt": stage.prompt,
                "contributions": [
                    {
                        "id": c.id,
                        "body": c.body,
                        "detail": c.detail,
                        "created_at": c.created_at,
                        "updated_at": c.updated_at,
                        "entered_by": "participant" if c.participant_id else "facilitator",
                    }
                    for c in list_contributions(db, stage)
                ],
            }
            for stage in stages
        ],
        "mission": {"text": fresh.mission, "agreed_at": fresh.mission_agreed_at},
        "principles": [{"name": p.name, "line": p.line} for p in list_principles(db, fresh)],
    }
