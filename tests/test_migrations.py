"""Migrations carry a database made by an older Credo forward without losing a row."""

from contextlib import closing

from workshop import models
from workshop.db import connect, migrate
from workshop.migrations import migrations

from .conftest import make_workshop


def test_answers_made_as_contributions_keep_their_merges_dots_and_nonces(app, tmp_path):
    path = str(tmp_path / "old.db")
    with app.app_context(), closing(connect(path)) as db:
        migrations.apply(db, stop_before="0013_rename_contributions_to_answers")
        workshop, _secret = make_workshop(db)
        stage = models.list_stages(db, workshop)[0]
        participant, _key = models.add_participant(db, workshop)
        for number, merged_into in ((1, None), (2, 1)):
            db.execute(
                "insert into contributions (id, workshop_id, stage_id, participant_id, body, "
                "client_nonce, created_at, updated_at, merged_into) "
                "values (?, ?, ?, ?, ?, ?, 't', 't', ?)",
                [
                    number,
                    workshop.id,
                    stage.id,
                    participant.id,
                    f"Answer {number}",
                    f"n{number}",
                    merged_into,
                ],
            )
        db.execute(
            "insert into votes (workshop_id, stage_id, participant_id, contribution_id, "
            "created_at) values (?, ?, ?, 1, 't')",
            [workshop.id, stage.id, participant.id],
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
        workshop = models.get_workshop_by_id(db, workshop.id)
        models.delete_as_facilitator(db, workshop, models.get_answer(db, workshop, 1))
        assert db.execute("select count(*) from votes").fetchone() == (0,)
        assert db.execute("select merged_into from answers where id = 2").fetchone() == (None,)
