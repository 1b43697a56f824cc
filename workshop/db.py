"""SQLite connections: one per request or stream, with the pragmas every one needs."""

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import closing, contextmanager
from pathlib import Path

from flask import Flask, current_app, g
from sqlite_utils import Database

from .migrations import migrations

# Writers in one process queue here, so SQLite's busy handler only ever sees other
# processes (shared/research/live.md §4: p99 of 30 threads fell from ~80 ms to 28 ms).
_write_lock = threading.RLock()


def connect(path: str) -> Database:
    """Open the database at ``path`` with WAL, foreign keys and secure delete on."""
    conn = sqlite3.connect(path, timeout=10)
    db = Database(conn, execute_plugins=False)
    conn.execute("PRAGMA foreign_keys = ON")
    conn.execute("PRAGMA secure_delete = ON")
    conn.execute("PRAGMA synchronous = NORMAL")
    return db


def get_db() -> Database:
    """Return this request's connection, opening it on first use."""
    if "db" not in g:
        g.db = connect(current_app.config["DATABASE"])
    return g.db


def close_db(_exc: BaseException | None = None) -> None:
    """Close this request's connection, if one was opened."""
    db = g.pop("db", None)
    if db is not None:
        db.close()


@contextmanager
def write(db: Database) -> Iterator[Database]:
    """Run a read-then-write transaction that holds SQLite's write lock from the start.

    Plain ``BEGIN`` (what ``db.atomic()`` issues) fails at once with "database is
    locked" when another writer commits between our read and our write; ``BEGIN
    IMMEDIATE`` waits its turn instead. Nested calls join the outer transaction.
    """
    with _write_lock:
        if db.conn.in_transaction:
            yield db
            return
        db.execute("BEGIN IMMEDIATE")
        try:
            yield db
        except BaseException:
            db.rollback()
            raise
        db.commit()


def migrate(path: str) -> None:
    """Create the database file if needed and apply pending migrations."""
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    with closing(connect(path)) as db:
        if db.journal_mode != "wal":
            db.enable_wal()
        migrations.apply(db)


def init_app(app: Flask) -> None:
    """Migrate the database and close connections after each request."""
    migrate(app.config["DATABASE"])
    app.teardown_appcontext(close_db)
