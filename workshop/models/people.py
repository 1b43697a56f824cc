"""People: joining, display names, people without a phone, removal, and the door
(joining locked)."""

import secrets
from dataclasses import dataclass

from sqlite_utils import Database

from ..db import write
from ._base import Refused, _all, _last_id, _one, _owned, now, token_hash
from .events import record_event
from .workshops import Workshop, get_workshop_by_id


@dataclass(frozen=True, slots=True)
class Participant:
    id: int
    workshop_id: int
    key_hash: str
    display_name: str
    created_at: str
    removed_at: str | None
    added_by_facilitator: int = 0


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
            "update answers set moderation = 'hidden' where participant_id = ?",
            [participant.id],
        )
        record_event(db, workshop, "participants-changed")
        record_event(db, workshop, "participants-removed")
        record_event(db, workshop, "answers-changed")


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
