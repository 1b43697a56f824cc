"""What every model module shares: the refusal, the clock, token hashes, row helpers."""

import hashlib
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Protocol, TypeVar

from sqlite_utils import Database

T = TypeVar("T")


class Owner(Protocol):
    """Anything that owns rows by its id: a workshop."""

    @property
    def id(self) -> int: ...


class Refused(Exception):
    """A write the rules of the workshop do not allow; ``reason`` names the rule."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def now() -> str:
    """Return the current UTC time as ISO-8601 text."""
    return datetime.now(UTC).isoformat(timespec="seconds")


def days_ago(days: int, at: datetime | None = None) -> str:
    """Return the moment ``days`` before ``at`` (default: now) as ISO-8601 text, as ``now``
    writes it: the cut-off the retention queries compare stored times with."""
    return ((at or datetime.now(UTC)) - timedelta(days=days)).isoformat(timespec="seconds")


def token_hash(token: str) -> str:
    """Return the SHA-256 of a bearer token, the only form in which we store one."""
    return hashlib.sha256(token.encode()).hexdigest()


def _one(db: Database, cls: type[T], sql: str, params: Sequence) -> T | None:
    rows = list(db.query(sql, params))
    return cls(**rows[0]) if rows else None


def _owned(db: Database, cls: type[T], table: str, row_id: int, workshop: Owner) -> T | None:
    """Return the row ``row_id`` of ``table`` if it belongs to this workshop."""
    return _one(
        db, cls, f"select * from {table} where id = ? and workshop_id = ?", [row_id, workshop.id]
    )


def _all(db: Database, cls: type[T], sql: str, params: Sequence) -> list[T]:
    return [cls(**row) for row in db.query(sql, params)]


def _last_id(db: Database) -> int:
    return list(db.query("select last_insert_rowid() as id"))[0]["id"]


def _count(db: Database, sql: str, params: Sequence) -> int:
    return list(db.query(sql, params))[0]["n"]
