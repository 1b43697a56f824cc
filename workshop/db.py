"""SQLite connections: one per request or stream, with the pragmas every one needs; a
request's is taken from a few kept open between requests.

Also the file-level operations: checkpoints that leave no deleted text in the WAL, online
backups, and restoring a backup over a stopped server's database.
"""

import os
import sqlite3
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import closing, contextmanager, suppress
from pathlib import Path

from flask import Flask, current_app, g, has_app_context
from sqlite_utils import Database

from . import offload
from .migrations import migrations

# Writers in one process queue here, so SQLite's busy handler only ever sees other
# processes (shared/research/live.md §4: p99 of 30 threads fell from ~80 ms to 28 ms).
_write_lock = threading.RLock()
WRITE_WAIT_SECONDS = 10  # for another process's writer to finish, before "database is locked"
# Under gevent, between tries for another process's write lock: first and longest pause.
WRITE_RETRY_PAUSES = (0.0005, 0.01)


def connect(path: str, any_thread: bool = False) -> Database:
    """Open the database at ``path`` with WAL, foreign keys and secure delete on; with
    ``any_thread``, usable by one thread after another (never two at once)."""
    conn = sqlite3.connect(path, timeout=WRITE_WAIT_SECONDS, check_same_thread=not any_thread)
    db = Database(conn, execute_plugins=False)
    conn.execute("PRAGMA foreign_keys = ON")
    conn.execute("PRAGMA secure_delete = ON")
    conn.execute("PRAGMA synchronous = NORMAL")
    return db


KEPT_CONNECTIONS = 8  # a worker's idle connections kept for the next requests


class Connections:
    """Connections kept open between requests: opening one and reading the schema again
    cost half a millisecond, a tenth of a phone's answer. A connection comes back only
    when no transaction is open on it; every query's cursor is gone by then, so it holds
    no old snapshot and sees every commit."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.idle: list[Database] = []
        self.pid = os.getpid()

    def take(self) -> Database:
        if self.pid != os.getpid():  # never share a connection across a fork
            self.idle, self.pid = [], os.getpid()
        try:
            return self.idle.pop()
        except IndexError:
            return connect(self.path, any_thread=True)

    def give_back(self, db: Database) -> None:
        if db.conn.in_transaction:
            db.conn.rollback()
        if len(self.idle) < KEPT_CONNECTIONS and self.pid == os.getpid():
            self.idle.append(db)
        else:
            db.close()


def get_db() -> Database:
    """Return this request's connection, taking it on first use."""
    if "db" not in g:
        g.db = current_app.extensions["credo_connections"].take()
    return g.db


def close_db(_exc: BaseException | None = None) -> None:
    """Give this request's connection back, if it took one."""
    db = g.pop("db", None)
    if db is not None:
        current_app.extensions["credo_connections"].give_back(db)


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
        _begin_immediate(db.conn)
        try:
            yield db
        except BaseException:
            db.rollback()
            raise
        db.commit()
    _committed()


def on_commit(app: Flask, callback: Callable[[], None]) -> None:
    """Call ``callback`` after every transaction ``write`` commits in ``app``."""
    app.extensions.setdefault("credo_on_commit", []).append(callback)


def _committed() -> None:
    if has_app_context():
        for callback in current_app.extensions.get("credo_on_commit", ()):
            callback()


def _begin_immediate(conn: sqlite3.Connection) -> None:
    """Take SQLite's write lock, waiting for another process's writer if need be.

    SQLite's busy handler waits by sleeping in C, which under gevent stops the whole worker:
    every stream and request of that worker stood still while the other worker wrote (two
    workers answering at once). There the lock is asked for without waiting, and the pauses
    between tries are gevent's, so the worker's other greenlets go on meanwhile.
    """
    if not offload.cooperative():
        conn.execute("BEGIN IMMEDIATE")
        return
    usual = conn.execute("PRAGMA busy_timeout").fetchone()[0]
    conn.execute("PRAGMA busy_timeout = 0")
    try:
        pause, longest = WRITE_RETRY_PAUSES
        deadline = time.monotonic() + usual / 1000
        while True:
            try:
                conn.execute("BEGIN IMMEDIATE")
                return
            except sqlite3.OperationalError as error:
                if error.sqlite_errorcode != sqlite3.SQLITE_BUSY or time.monotonic() > deadline:
                    raise
            time.sleep(pause)  # gevent's sleep: the worker's other greenlets run
            pause = min(2 * pause, longest)
    finally:
        conn.execute(f"PRAGMA busy_timeout = {int(usual)}")


PRIVATE_FILE = 0o600  # the database, its -wal and -shm, exports, backups: the owner's only
PRIVATE_FOLDER = 0o700


def private_folder(folder: Path) -> Path:
    """Make ``folder`` (and any missing parents) if needed, readable by its owner only."""
    folder.mkdir(parents=True, exist_ok=True, mode=PRIVATE_FOLDER)
    folder.chmod(PRIVATE_FOLDER)
    return folder


def make_private(path: str) -> None:
    """Create the database file 0600 before SQLite does (it would make it 0644); SQLite
    gives its -wal and -shm the database file's mode. An older file is narrowed to 0600."""
    folder = Path(path).parent
    if not folder.exists():
        private_folder(folder)  # a folder someone else made is theirs to set
    os.close(os.open(path, os.O_RDWR | os.O_CREAT, PRIVATE_FILE))
    for name in (path, f"{path}-wal", f"{path}-shm"):
        with suppress(FileNotFoundError):
            os.chmod(name, PRIVATE_FILE)


def migrate(path: str) -> None:
    """Create the database file (0600) if needed and apply pending migrations."""
    make_private(path)
    with closing(connect(path)) as db:
        if db.journal_mode != "wal":
            db.enable_wal()
        migrations.apply(db)


def init_app(app: Flask) -> None:
    """Migrate the database and give each request's connection back after it."""
    migrate(app.config["DATABASE"])
    app.extensions["credo_connections"] = Connections(app.config["DATABASE"])
    app.teardown_appcontext(close_db)


# Checkpoints, backups and restores ---------------------------------------------------------

CHECKPOINT_ATTEMPTS = 5
CHECKPOINT_WAIT_MS = 2000  # per attempt, so a request that deletes never hangs for long


class DatabaseFileError(Exception):
    """A database file that cannot be backed up, restored or used; the message says why."""


def checkpoint(db: Database) -> bool:
    """Copy the WAL into the database file and truncate the WAL to zero bytes.

    With ``secure_delete`` on, deleted rows are zeroed in the pages a transaction writes to
    the WAL, but earlier frames still hold the old text until the WAL is checkpointed and
    truncated. ``TRUNCATE`` waits (busy timeout) for writers and for readers on an older
    snapshot; requests are short, so a few attempts suffice. Return whether it completed.
    """
    conn = db.conn
    usual = conn.execute("PRAGMA busy_timeout").fetchone()[0]
    conn.execute(f"PRAGMA busy_timeout = {CHECKPOINT_WAIT_MS}")
    try:
        for attempt in range(CHECKPOINT_ATTEMPTS):
            with _write_lock:
                busy = conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()[0]
            if not busy:
                return True
            time.sleep(0.05 * (attempt + 1))
        return False
    finally:
        conn.execute(f"PRAGMA busy_timeout = {int(usual)}")


def _read_only(path: str | Path) -> sqlite3.Connection:
    """Open a database file without ever writing to it (nor creating it)."""
    return sqlite3.connect(f"{Path(path).resolve().as_uri()}?mode=ro", uri=True)


def integrity_problems(path: str | Path) -> list[str]:
    """Return what ``PRAGMA integrity_check`` finds wrong with a file (empty: all is well).

    The file is opened read-only, so a bad file is never changed or turned into a database.
    """
    if not Path(path).is_file():
        return [f"{path} is not a file"]
    try:
        with closing(_read_only(path)) as conn:
            rows = [row[0] for row in conn.execute("PRAGMA integrity_check")]
            tables = {row[0] for row in conn.execute("select name from sqlite_master")}
    except sqlite3.DatabaseError as error:
        return [f"{path} is not a readable SQLite database ({error})"]
    if rows != ["ok"]:
        return rows
    if "workshops" not in tables or "_sqlite_migrations" not in tables:
        return [f"{path} is an SQLite database, but not one of Credo's"]
    return []


def _unknown_migrations(path: str | Path) -> list[str]:
    """Return the migrations a database has that this version of Credo does not know."""
    known = {migration.name for migration in migrations.pending(Database(memory=True))}
    with closing(Database(_read_only(path), execute_plugins=False)) as db:
        applied = [migration.name for migration in migrations.applied(db)]
    return [name for name in applied if name not in known]


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def backup(path: str, target: Path) -> None:
    """Copy the live database at ``path`` to ``target``, safely while the server writes.

    SQLite's online backup copies one consistent snapshot (one step, so writers in other
    processes never make it start over; in WAL mode they are not blocked). The copy goes
    to a temporary file beside ``target``, is switched out of WAL mode so it is one
    self-contained file, is checked, and only then renamed over ``target``.
    """
    if not Path(path).is_file():
        raise DatabaseFileError(f"there is no database at {path}")
    target = Path(target)
    if not target.parent.is_dir():
        raise DatabaseFileError(f"the folder {target.parent} does not exist")
    fd, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    os.close(fd)  # mkstemp made it 0600: a backup holds everyone's answers
    temporary = Path(name)
    try:
        with closing(sqlite3.connect(path, timeout=30)) as source:
            with closing(sqlite3.connect(temporary)) as copy:
                source.backup(copy)
                copy.execute("PRAGMA journal_mode = DELETE")
        problems = integrity_problems(temporary)
        if problems:
            raise DatabaseFileError("the copy failed its integrity check: " + "; ".join(problems))
        _fsync(temporary)
        os.replace(temporary, target)
        _fsync(target.parent)
    finally:
        temporary.unlink(missing_ok=True)


def restore(source: Path, path: str) -> Path | None:
    """Replace the database at ``path`` with the backup ``source``; return where the old one went.

    ``source`` must pass ``PRAGMA integrity_check`` and be a Credo database this version
    understands. The server must be stopped: a database that any other process has open
    is refused, because a running server would keep serving what it remembers of the old
    one. The old file is kept beside the new one (``…-before-restore-<time>``).
    """
    source = Path(source)
    problems = integrity_problems(source)
    if problems:
        raise DatabaseFileError("; ".join(problems))
    unknown = _unknown_migrations(source)
    if unknown:
        raise DatabaseFileError(
            f"{source} was made by a newer Credo (it has {', '.join(unknown)}); upgrade first"
        )
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    os.close(fd)
    temporary = Path(name)
    try:
        with closing(_read_only(source)) as backup_file:
            with closing(sqlite3.connect(temporary)) as copy:
                backup_file.backup(copy)
                copy.execute("PRAGMA journal_mode = WAL")
        _fsync(temporary)
        with _exclusive(target) as kept:
            os.replace(temporary, target)
            _fsync(target.parent)
        return kept
    finally:
        temporary.unlink(missing_ok=True)


@contextmanager
def _exclusive(target: Path) -> Iterator[Path | None]:
    """Hold the old database so nobody else can use it, and move it aside; yield where to.

    Leaving WAL mode needs the only connection to the file, so it doubles as the test that
    no server has it open, and it folds the WAL into the file and removes ``-wal`` and
    ``-shm`` (a stale WAL beside the restored file would be replayed into it).
    """
    if not target.exists():
        yield None
        return
    conn = sqlite3.connect(target, timeout=0, isolation_level=None)
    try:
        try:
            mode = conn.execute("PRAGMA journal_mode = DELETE").fetchone()[0]
            conn.execute("BEGIN EXCLUSIVE")
        except sqlite3.OperationalError:
            mode = None
        if mode != "delete":
            with suppress(sqlite3.OperationalError):  # leave a database in use as it was
                conn.execute("PRAGMA journal_mode = WAL")
            raise DatabaseFileError(
                f"{target} is in use (is `workshop serve` running?): stop the server first"
            )
        stamp = time.strftime("%Y%m%d-%H%M%S")
        kept = target.with_name(f"{target.name}-before-restore-{stamp}")
        os.link(target, kept)  # the old file stays whole under a new name
        for suffix in ("-wal", "-shm"):
            Path(f"{target}{suffix}").unlink(missing_ok=True)
        yield kept
        conn.execute("ROLLBACK")
    finally:
        conn.close()
