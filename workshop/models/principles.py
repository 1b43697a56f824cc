"""The principles: the team's list of (name, line) pairs, in order."""

from collections.abc import Iterable
from dataclasses import dataclass

from sqlite_utils import Database

from ..db import write
from ._base import Refused, _all
from .events import record_event
from .workshops import Workshop, _is_locked


@dataclass(frozen=True, slots=True)
class Principle:
    id: int
    workshop_id: int
    position: int
    name: str
    line: str


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
