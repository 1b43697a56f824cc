"""Workshops: creating one, finding it by id, code or token; the facilitator's
sessions and secret; whether what it agreed is locked; its time zone."""

import hmac
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlite_utils import Database

from ..db import write
from ..rules import FACILITATOR_SESSION_HOURS, JOIN_CODE_ALPHABET, JOIN_CODE_LENGTH
from ..zones import is_zone
from ._base import Refused, _last_id, _one, now, token_hash


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
    time_zone: str = ""  # an IANA name; empty: the default for its language (zones.py)
    expected_people: int | None = None  # the head count the facilitator expects, if set
    feedback_token: str | None = None  # opens the clients' feedback page (/f/<token>)
    lead_token: str | None = None  # opens the team lead's read-only pulse (/t/<token>)

    @property
    def is_agreed(self) -> bool:
        return self.mission_agreed_at is not None


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


def create_workshop(
    db: Database,
    title: str,
    language: str,
    stages: Iterable[tuple[str, str, str]],
    time_zone: str = "",
) -> tuple[Workshop, str]:
    """Create a workshop with its stages; return it and its facilitator secret.

    ``time_zone`` is an IANA name; empty, the workshop follows the default for its language.
    """
    if time_zone and not is_zone(time_zone):
        raise Refused("bad-time-zone")
    admin_token = secrets.token_urlsafe(32)
    with write(db):
        db.execute(
            """insert into workshops (public_id, title, language, join_code,
                   join_token, screen_token, admin_token_hash, created_at, time_zone,
                   feedback_token, lead_token)
               values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
            [
                _new_public_id(),
                title,
                language,
                _new_join_code(db),
                secrets.token_urlsafe(16),
                secrets.token_urlsafe(16),
                token_hash(admin_token),
                now(),
                time_zone,
                secrets.token_urlsafe(16),
                secrets.token_urlsafe(16),
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


def set_time_zone(db: Database, workshop: Workshop, time_zone: str) -> Workshop:
    """Show the workshop's dates in ``time_zone`` (an IANA name) from now on."""
    if not is_zone(time_zone):
        raise Refused("bad-time-zone")
    with write(db):
        db.execute("update workshops set time_zone = ? where id = ?", [time_zone, workshop.id])
    return get_workshop_by_id(db, workshop.id) or workshop


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


def get_workshop_by_feedback_token(db: Database, token: str) -> Workshop | None:
    """Return the workshop whose clients' feedback page this token opens."""
    return _one(db, Workshop, "select * from workshops where feedback_token = ?", [token])


def get_workshop_by_lead_token(db: Database, token: str) -> Workshop | None:
    """Return the workshop whose team lead's pulse link this is."""
    return _one(db, Workshop, "select * from workshops where lead_token = ?", [token])


def new_lead_token(db: Database, workshop: Workshop) -> Workshop:
    """Draw a new link for the team lead's pulse; the old one stops working at once."""
    with write(db):
        db.execute(
            "update workshops set lead_token = ? where id = ?",
            [secrets.token_urlsafe(16), workshop.id],
        )
    return get_workshop_by_id(db, workshop.id)


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


def seal_new_link(db: Database, workshop: Workshop, session_id: str, link: str) -> str:
    """Split a new private link in two for showing it once: keep a random pad of its length
    with the facilitator session and return the link XOR the pad (hex), for the cookie.

    Neither half alone tells anything of the link (a one-time pad); a later seal replaces
    the pad, so only the newest link can be shown.
    """
    data = link.encode()
    pad = secrets.token_bytes(len(data))
    with write(db):
        db.execute(
            "update facilitator_sessions set link_pad = ? where id = ? and workshop_id = ?",
            [pad.hex(), session_id, workshop.id],
        )
    return bytes(a ^ b for a, b in zip(data, pad, strict=True)).hex()


def open_new_link(db: Database, workshop: Workshop, session_id: str, sealed: str) -> str | None:
    """Join a sealed link with its pad, which is dropped: the link is shown once. None when
    the pad is gone or does not fit (another browser, an older link)."""
    with write(db):
        rows = list(
            db.query(
                "select link_pad from facilitator_sessions where id = ? and workshop_id = ?",
                [session_id, workshop.id],
            )
        )
        db.execute(
            "update facilitator_sessions set link_pad = null where id = ? and workshop_id = ?",
            [session_id, workshop.id],
        )
    try:
        pad = bytes.fromhex(rows[0]["link_pad"] or "") if rows else b""
        data = bytes.fromhex(sealed)
    except (TypeError, ValueError):
        return None
    if not pad or len(pad) != len(data):
        return None
    try:
        return bytes(a ^ b for a, b in zip(data, pad, strict=True)).decode()
    except UnicodeDecodeError:
        return None


def facilitator_session_is_valid(db: Database, workshop: Workshop, session_id: str) -> bool:
    """Tell whether this session still controls the workshop."""
    rows = db.query(
        """select 1 from facilitator_sessions where id = ? and workshop_id = ?
           and revoked_at is null and expires_at > ?""",
        [session_id, workshop.id, now()],
    )
    return bool(list(rows))


def _is_locked(db: Database, workshop: Workshop, kind: str) -> bool:
    fresh = get_workshop_by_id(db, workshop.id)
    if fresh is None:
        return True
    if kind == "routine":
        return fresh.routine_agreed_at is not None
    if kind == "principles":
        return fresh.principles_agreed_at is not None
    return fresh.mission_agreed_at is not None


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
