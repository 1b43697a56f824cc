"""People: joining, display names, people without a phone, removal, the door (joining
locked), the expected head count and the joins held for the facilitator's approval."""

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlite_utils import Database

from ..db import write
from ..rules import (
    EXPECTED_PEOPLE_RANGE,
    JOIN_BURST,
    JOIN_BURST_SECONDS,
    MAX_WAITING,
    UNSET_HEAD_COUNT,
)
from ._base import Refused, _all, _count, _last_id, _one, _owned, now, token_hash
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
    device_hash: str = ""


@dataclass(frozen=True, slots=True)
class JoinRequest:
    """A phone's join held for the facilitator: past the head count, in a burst of joins,
    or from the device of someone removed. ``status``: waiting, approved or refused."""

    id: int
    workshop_id: int
    key_hash: str
    device_hash: str
    reason: str
    status: str
    created_at: str
    decided_at: str | None


def add_participant(db: Database, workshop: Workshop, device: str = "") -> tuple[Participant, str]:
    """Let someone into the workshop; return them and the key their phone keeps."""
    key = secrets.token_urlsafe(16)
    with write(db):
        _check_door(db, workshop)
        participant_id = _admit(db, workshop, token_hash(key), _device_hash(device))
    return get_participant_by_id(db, workshop, participant_id), key


def _check_door(db: Database, workshop: Workshop) -> None:
    fresh = get_workshop_by_id(db, workshop.id)
    if fresh is None or fresh.joining_locked or fresh.status != "open":
        raise Refused("joining-locked")


def _device_hash(device: str) -> str:
    return token_hash(device) if device else ""


def _admit(db: Database, workshop: Workshop, key_hash: str, device_hash: str) -> int:
    db.execute(
        """insert into participants (workshop_id, key_hash, device_hash, created_at)
           values (?, ?, ?, ?)""",
        [workshop.id, key_hash, device_hash, now()],
    )
    participant_id = _last_id(db)
    record_event(db, workshop, "participants-changed")
    return participant_id


def join_workshop(
    db: Database, workshop: Workshop, device: str
) -> tuple[Participant | None, JoinRequest | None, str]:
    """Let a phone in, or hold its join for the facilitator; return the participant (or the
    waiting request) and the key the phone keeps either way.

    Held: a device someone was removed from; any join once the people present reach the
    expected head count (``UNSET_HEAD_COUNT`` while none is set); with none set, also joins
    past ``JOIN_BURST`` in the last ``JOIN_BURST_SECONDS``. Up to a head count that is
    set, everyone gets in at once.
    """
    key = secrets.token_urlsafe(16)
    device_hash = _device_hash(device)
    with write(db):
        _check_door(db, workshop)
        fresh = get_workshop_by_id(db, workshop.id)
        reason = _reason_to_hold(db, fresh, device_hash)
        if reason is None:
            participant_id = _admit(db, workshop, token_hash(key), device_hash)
            return get_participant_by_id(db, workshop, participant_id), None, key
        if count_waiting(db, workshop) >= MAX_WAITING:
            raise Refused("waiting-full")
        db.execute(
            """insert into join_requests (workshop_id, key_hash, device_hash, reason, created_at)
               values (?, ?, ?, ?, ?)""",
            [workshop.id, token_hash(key), device_hash, reason, now()],
        )
        request_id = _last_id(db)
        record_event(db, workshop, "joins-changed")  # the control page's alone: no one new
    return None, _owned(db, JoinRequest, "join_requests", request_id, workshop), key


def _reason_to_hold(db: Database, workshop: Workshop, device_hash: str) -> str | None:
    """Say why a new phone must wait for approval, or None to let it in."""
    if device_hash and _count(
        db,
        """select count(*) as n from participants
           where workshop_id = ? and device_hash = ? and removed_at is not null""",
        [workshop.id, device_hash],
    ):
        return "removed"
    present = count_participants(db, workshop)
    if workshop.expected_people is not None:
        return "over-expected" if present >= workshop.expected_people else None
    if present >= UNSET_HEAD_COUNT:
        return "over-expected"
    since = (datetime.now(UTC) - timedelta(seconds=JOIN_BURST_SECONDS)).isoformat(
        timespec="seconds"
    )
    recent = _count(
        db,
        """select count(*) as n from participants
           where workshop_id = ? and added_by_facilitator = 0 and created_at >= ?""",
        [workshop.id, since],
    )
    return "burst" if recent >= JOIN_BURST else None


def get_join_request(db: Database, workshop: Workshop, key: str) -> JoinRequest | None:
    """Return the held join this phone's key belongs to, whatever became of it."""
    return _one(
        db,
        JoinRequest,
        "select * from join_requests where workshop_id = ? and key_hash = ?",
        [workshop.id, token_hash(key)],
    )


def get_join_request_by_id(db: Database, workshop: Workshop, request_id: int) -> JoinRequest | None:
    """Return one of this workshop's held joins."""
    return _owned(db, JoinRequest, "join_requests", request_id, workshop)


def list_waiting(db: Database, workshop: Workshop, limit: int) -> list[JoinRequest]:
    """Return the first ``limit`` joins still waiting for approval, oldest first."""
    return _all(
        db,
        JoinRequest,
        """select * from join_requests where workshop_id = ? and status = 'waiting'
           order by id limit ?""",
        [workshop.id, limit],
    )


def count_waiting(db: Database, workshop: Workshop) -> int:
    """Count the joins waiting for the facilitator's approval."""
    return _count(
        db,
        "select count(*) as n from join_requests where workshop_id = ? and status = 'waiting'",
        [workshop.id],
    )


def decide_join(db: Database, workshop: Workshop, request: JoinRequest, approve: bool) -> None:
    """Let a waiting phone in (its key becomes a participant's) or turn it away."""
    with write(db):
        fresh = get_join_request_by_id(db, workshop, request.id)
        if fresh is None or fresh.status != "waiting":
            raise Refused("join-decided")
        if approve:
            _check_door(db, workshop)
            _admit(db, workshop, fresh.key_hash, fresh.device_hash)
        db.execute(
            "update join_requests set status = ?, decided_at = ? where id = ?",
            ["approved" if approve else "refused", now(), fresh.id],
        )
        record_event(db, workshop, "joins-changed")


def refuse_all_waiting(db: Database, workshop: Workshop) -> int:
    """Turn away every phone still waiting; return how many."""
    with write(db):
        waiting = count_waiting(db, workshop)
        db.execute(
            """update join_requests set status = 'refused', decided_at = ?
               where workshop_id = ? and status = 'waiting'""",
            [now(), workshop.id],
        )
        record_event(db, workshop, "joins-changed")
    return waiting


def set_expected_people(db: Database, workshop: Workshop, expected: int | None) -> None:
    """Set (or clear, with None) how many people the facilitator expects in the room."""
    low, high = EXPECTED_PEOPLE_RANGE
    if expected is not None and not low <= expected <= high:
        raise Refused("bad-expected")
    with write(db):
        db.execute("update workshops set expected_people = ? where id = ?", [expected, workshop.id])
        record_event(db, workshop, "participants-changed")


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
