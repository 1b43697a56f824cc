"""The projector: its pages held or turned by the facilitator, the poster shown on it."""

from dataclasses import dataclass

from sqlite_utils import Database

from ..db import write
from ._base import now
from .events import record_event
from .workshops import Workshop


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


def set_poster_on_screen(db: Database, workshop: Workshop, shown: bool) -> None:
    """Put the framed poster itself on the projector, or take it off again."""
    with write(db):
        db.execute(
            "update workshops set poster_on_screen = ? where id = ?", [int(shown), workshop.id]
        )
        record_event(db, workshop, "mission-changed")
