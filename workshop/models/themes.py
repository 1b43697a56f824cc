"""Themes: named groups of a stage's answers (columns on the screen)."""

from dataclasses import dataclass

from sqlite_utils import Database

from ..db import write
from ..rules import MAX_THEMES_PER_STAGE
from ._base import Refused, _all, _count, _last_id, _owned
from .answers import Answer
from .events import record_event
from .stages import Stage
from .workshops import Workshop


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


def list_workshop_themes(db: Database, workshop: Workshop) -> list[Theme]:
    """Return every stage's themes, each stage's in order, in one query."""
    return _all(
        db,
        Theme,
        """select * from themes where stage_id in
           (select id from stages where workshop_id = ?) order by position, id""",
        [workshop.id],
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
        record_event(db, workshop, "answers-changed")
        record_event(db, workshop, "themes-changed")
    return get_theme(db, workshop, theme_id)


def rename_theme(db: Database, workshop: Workshop, theme: Theme, name: str) -> None:
    """Rename a theme."""
    with write(db):
        db.execute("update themes set name = ? where id = ?", [name, theme.id])
        record_event(db, workshop, "answers-changed")


def delete_theme(db: Database, workshop: Workshop, theme: Theme) -> None:
    """Remove a theme; its answers go back to the ungrouped pile."""
    with write(db):
        db.execute("delete from themes where id = ?", [theme.id])
        record_event(db, workshop, "answers-changed")


def set_theme(db: Database, workshop: Workshop, answer: Answer, theme: Theme | None) -> None:
    """Put an answer's card into a theme, or take it out (``None``)."""
    if theme is not None and theme.stage_id != answer.stage_id:
        raise Refused("not-found")
    with write(db):
        db.execute(
            "update answers set theme_id = ? where id = ?",
            [theme.id if theme else None, answer.id],
        )
        record_event(db, workshop, "answers-changed")
