"""Migrations carry a database made by an older Credo forward without losing a row."""

from contextlib import closing

from workshop import models
from workshop.db import connect, migrate
from workshop.migrations import migrations


def test_answers_made_as_contributions_keep_their_merges_dots_and_nonces(app, tmp_path):
    path = str(tmp_path / "old.db")
    with app.app_context(), closing(connect(path)) as db:
        migrations.apply(db, stop_before="0013_rename_contributions_to_answers")
        # Rows written as that older Credo wrote them: plain SQL, since today's models
        # may write columns later migrations add.
        workshop_id = _insert(db, "workshops", language="pl", status="open")
        stage_id = _insert(db, "stages", workshop_id=workshop_id, kind="question", position=0)
        participant_id = _insert(db, "participants", workshop_id=workshop_id)
        for number, merged_into in ((1, None), (2, 1)):
            _insert(
                db,
                "contributions",
                id=number,
                workshop_id=workshop_id,
                stage_id=stage_id,
                participant_id=participant_id,
                body=f"Answer {number}",
                client_nonce=f"n{number}",
                merged_into=merged_into,
            )
        _insert(
            db,
            "votes",
            workshop_id=workshop_id,
            stage_id=stage_id,
            participant_id=participant_id,
            contribution_id=1,
        )
        db.conn.commit()

    migrate(path)

    with app.app_context(), closing(connect(path)) as db:
        assert "contributions" not in db.table_names()
        assert [r["body"] for r in db.query("select body from answers order by id")] == [
            "Answer 1",
            "Answer 2",
        ]
        assert db.execute("select merged_into from answers where id = 2").fetchone() == (1,)
        assert db.execute("select answer_id from votes").fetchall() == [(1,)]
        indexes = {index.name for index in db["answers"].indexes}
        assert {"answers_stage", "answers_nonce"} <= indexes
        # References follow the table: deleting an answer still takes its dots with it.
        workshop = models.get_workshop_by_id(db, workshop_id)
        models.delete_as_facilitator(db, workshop, models.get_answer(db, workshop, 1))
        assert db.execute("select count(*) from votes").fetchone() == (0,)
        assert db.execute("select merged_into from answers where id = 2").fetchone() == (None,)


def _insert(db, table: str, **values) -> int:
    """Insert a row, filling each other required column with a plain value of its type."""
    for column in db.execute(f"pragma table_info({table})").fetchall():
        _cid, name, kind, notnull, default, primary = column
        if notnull and default is None and not primary and name not in values:
            values[name] = 0 if "INT" in kind.upper() else f"{table}-{name}"
    names = ", ".join(values)
    marks = ", ".join("?" for _ in values)
    return db.execute(
        f"insert into {table} ({names}) values ({marks})", list(values.values())
    ).lastrowid


def test_the_pulse_draws_lead_links_and_counts_the_feedback_already_given(app, tmp_path):
    path = str(tmp_path / "old.db")
    with app.app_context(), closing(connect(path)) as db:
        migrations.apply(db, stop_before="0019_add_pulse")
        ids = [
            _insert(
                db,
                "workshops",
                language="pl",
                status="open",
                **{
                    column: f"{column}-{n}"
                    for column in ("public_id", "join_code", "join_token", "screen_token")
                },
            )
            for n in range(2)
        ]
        for rating, felt in ((5, '["Kindness"]'), (2, '["Kindness", "Time"]')):
            _insert(
                db,
                "feedback",
                workshop_id=ids[0],
                rating=rating,
                principles=felt,
                comment="Kind",
                created_at="2026-11-03T10:15:00+00:00",
            )
        db.conn.commit()

    migrate(path)

    with app.app_context(), closing(connect(path)) as db:
        tokens = [models.get_workshop_by_id(db, id_).lead_token for id_ in ids]
        assert all(tokens) and tokens[0] != tokens[1]
        assert db.execute("select held, hidden_at from feedback").fetchall() == [(0, None)] * 2
        hours = db.execute("select hour, rating, answers from feedback_hours order by rating")
        assert hours.fetchall() == [("2026-11-03T10", 2, 1), ("2026-11-03T10", 5, 1)]
        felt = db.execute("select principle, felt from feedback_felt order by principle")
        assert felt.fetchall() == [("Kindness", 2), ("Time", 1)]
