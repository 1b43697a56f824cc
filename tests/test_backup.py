"""``workshop backup`` while answers arrive, and ``workshop restore`` with its refusals."""

import sqlite3
import stat
import threading
from contextlib import closing
from pathlib import Path

import pytest
from click.testing import CliRunner

from workshop import models
from workshop.cli import main
from workshop.db import connect, migrate

from .conftest import make_workshop


@pytest.fixture
def live(tmp_path, monkeypatch) -> Path:
    """The database the CLI uses, migrated, with one workshop and its people."""
    path = tmp_path / "live" / "credo.db"
    monkeypatch.setenv("WORKSHOP_DATABASE", str(path))
    monkeypatch.setenv("WORKSHOP_EXPORTS_DIR", str(tmp_path / "exports"))
    migrate(str(path))
    with closing(connect(str(path))) as db:
        workshop, _token = make_workshop(db)
        for _ in range(3):
            models.add_participant(db, workshop)
    return path


def run(*args: str, input: str | None = None):
    return CliRunner().invoke(main, list(args), input=input)


def contents(path: Path) -> dict[str, list[tuple]]:
    """Every row of every table, read-only, in rowid order."""
    with closing(sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)) as db:
        tables = [
            row[0]
            for row in db.execute(
                "select name from sqlite_master where type = 'table' order by name"
            )
        ]
        return {
            table: db.execute(f'select * from "{table}" order by rowid').fetchall()
            for table in tables
        }


def answers(path: Path) -> list[tuple]:
    return contents(path)["answers"]


class Writer(threading.Thread):
    """Answers arriving all the time, on their own connection, as the server writes them."""

    def __init__(self, path: Path) -> None:
        super().__init__(daemon=True)
        self.path = path
        self.stop = threading.Event()
        self.written = 0
        self.started_writing = threading.Event()
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            with closing(connect(str(self.path))) as db:
                workshop = models.get_workshop_by_id(db, 1)
                stages = [s for s in models.list_stages(db, workshop) if s.takes_answers]
                while not self.stop.is_set():
                    stage = stages[self.written // 400 % len(stages)]
                    models.add_answer(
                        db,
                        workshop,
                        stage,
                        None,
                        f"Answer {self.written}",
                        entered_by="facilitator",
                    )
                    self.written += 1
                    if self.written == 200:
                        self.started_writing.set()
        except BaseException as error:  # reported by the test
            self.error = error
            self.started_writing.set()


def test_backup_while_answers_arrive_restores_into_a_fresh_path_identically(
    live, tmp_path, monkeypatch
):
    writer = Writer(live)
    writer.start()
    assert writer.started_writing.wait(20)
    before = len(answers(live))
    target = tmp_path / "backups" / "credo-backup.db"
    target.parent.mkdir()
    result = run("backup", str(target))
    after = len(answers(live))
    writer.stop.set()
    writer.join(10)
    assert writer.error is None
    assert result.exit_code == 0, result.output
    assert f"to {target}" in result.output

    backed_up = answers(target)
    print(f"\nbackup: {before} answers before, {len(backed_up)} in it, {after} after")
    assert before <= len(backed_up) <= after < writer.written + 1
    assert backed_up == answers(live)[: len(backed_up)]  # one consistent moment
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert list(target.parent.iterdir()) == [target]  # no -wal, no temporary file
    with closing(sqlite3.connect(target)) as db:
        assert db.execute("pragma journal_mode").fetchone()[0] == "delete"
        assert db.execute("pragma integrity_check").fetchone()[0] == "ok"

    fresh = tmp_path / "fresh" / "credo.db"
    monkeypatch.setenv("WORKSHOP_DATABASE", str(fresh))
    result = run("restore", str(target), "--yes")
    assert result.exit_code == 0, result.output
    assert contents(fresh) == contents(target)
    with closing(connect(str(fresh))) as db:
        assert db.journal_mode == "wal"
        restored = models.get_workshop_by_id(db, 1)
        assert len(models.list_participants(db, restored)) == 3


def test_restore_keeps_the_replaced_database_beside_it(live, tmp_path):
    target = tmp_path / "backup.db"
    assert run("backup", str(target)).exit_code == 0
    with closing(connect(str(live))) as db:
        make_workshop(db, title="Made after the backup")
    replaced = contents(live)
    result = run("restore", str(target), "--yes")
    assert result.exit_code == 0, result.output
    kept = next(live.parent.glob("credo.db-before-restore-*"))
    assert str(kept) in result.output
    assert contents(kept) == replaced
    assert contents(live) == contents(target)
    assert not Path(f"{live}-wal").exists() or Path(f"{live}-wal").stat().st_size == 0


def test_restore_asks_before_replacing(live, tmp_path):
    target = tmp_path / "backup.db"
    run("backup", str(target))
    with closing(connect(str(live))) as db:
        make_workshop(db, title="Made after the backup")
    before = contents(live)
    result = run("restore", str(target), input="n\n")
    assert result.exit_code != 0 and "Aborted" in result.output
    assert contents(live) == before


def test_restore_refuses_a_file_that_is_not_a_database(live, tmp_path):
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"this is not a database at all" * 200)
    before = contents(live)
    result = run("restore", str(junk), "--yes")
    assert result.exit_code != 0
    assert "cannot be restored" in result.output
    assert "not a readable SQLite database" in result.output
    assert contents(live) == before


def test_restore_refuses_a_damaged_backup(live, tmp_path):
    target = tmp_path / "backup.db"
    run("backup", str(target))
    data = bytearray(target.read_bytes())
    page = 4096
    for start in range(2 * page, len(data) - page, page):  # every page past the schema
        data[start + 8 : start + 200] = b"\xff" * 192
    target.write_bytes(bytes(data))
    before = contents(live)
    result = run("restore", str(target), "--yes")
    assert result.exit_code != 0
    assert "cannot be restored" in result.output
    assert contents(live) == before


def test_restore_refuses_an_sqlite_file_that_is_not_credos(live, tmp_path):
    other = tmp_path / "other.db"
    with closing(sqlite3.connect(other)) as db:
        db.execute("create table notes (text)")
        db.commit()
    result = run("restore", str(other), "--yes")
    assert result.exit_code != 0
    assert "not one of Credo's" in result.output


def test_restore_refuses_a_backup_from_a_newer_credo(live, tmp_path):
    target = tmp_path / "backup.db"
    run("backup", str(target))
    with closing(sqlite3.connect(target)) as db:
        db.execute(
            """insert into _sqlite_migrations (migration_set, name, applied_at)
               values ('workshop', '0999_from_the_future', '2030-01-01')"""
        )
        db.commit()
    result = run("restore", str(target), "--yes")
    assert result.exit_code != 0
    assert "newer Credo" in result.output and "0999_from_the_future" in result.output


def test_restore_refuses_while_the_server_has_the_database_open(live, tmp_path):
    target = tmp_path / "backup.db"
    run("backup", str(target))
    with closing(connect(str(live))) as server_connection:
        models.add_participant(server_connection, models.get_workshop_by_id(server_connection, 1))
        before = contents(live)
        result = run("restore", str(target), "--yes")
        assert result.exit_code != 0
        assert "in use" in result.output and "stop the server first" in result.output
        assert contents(live) == before
        assert server_connection.journal_mode == "wal"
    assert not list(live.parent.glob("credo.db-before-restore-*"))


def test_backup_into_a_missing_folder_fails_clearly(live, tmp_path):
    result = run("backup", str(tmp_path / "nowhere" / "backup.db"))
    assert result.exit_code != 0
    assert "does not exist" in result.output
