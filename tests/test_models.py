"""The data layer, against a real SQLite file, with no Flask views involved."""

import sqlite3
import threading

import pytest

from workshop import db as db_module
from workshop import models, offload, rules
from workshop.models import Refused
from workshop.record import workshop_record
from workshop.rules import JOIN_CODE_ALPHABET

from .conftest import make_workshop


def test_new_workshop_has_codes_tokens_and_default_stages(app, db):
    with app.app_context():
        workshop, admin_token = make_workshop(db)
    assert len(workshop.join_code) == 6
    assert set(workshop.join_code) <= set(JOIN_CODE_ALPHABET)
    assert len(admin_token) >= 22  # ≥ 128 bits of secret
    kinds = [stage.kind for stage in models.list_stages(db, workshop)]
    assert kinds == ["question", "question", "question", "principles", "mission", "agreed"]
    assert workshop.current_stage_id == models.list_stages(db, workshop)[0].id


def test_facilitator_secret_is_stored_only_as_a_hash(app, db, tmp_path):
    with app.app_context():
        workshop, admin_token = make_workshop(db)
    from pathlib import Path

    raw = Path(app.config["DATABASE"]).read_bytes()
    wal = tmp_path / "credo.db-wal"
    raw += wal.read_bytes() if wal.exists() else b""
    assert admin_token.encode() not in raw
    assert models.get_workshop_by_admin_token(db, admin_token).id == workshop.id
    assert models.get_workshop_by_admin_token(db, admin_token + "x") is None


def test_join_code_is_found_whatever_the_typing(workshop, db):
    code = workshop.join_code
    typed = f" {code[:3].lower()}-{code[3:].lower()} "
    assert models.get_open_workshop_by_join_code(db, typed).id == workshop.id
    assert (
        models.get_open_workshop_by_join_code(db, "ZZZZZZ" if code != "ZZZZZZ" else "YYYYYY")
        is None
    )


def test_stages_move_forward_and_back(workshop, db):
    stages = models.list_stages(db, workshop)
    second = models.neighbour_stage(db, workshop, 1)
    models.move_to_stage(db, workshop, second)
    workshop = models.get_workshop(db, workshop.public_id)
    assert models.current_stage(db, workshop) == stages[1]
    assert models.neighbour_stage(db, workshop, -1) == stages[0]
    models.move_to_stage(db, workshop, stages[-1])
    workshop = models.get_workshop(db, workshop.public_id)
    assert models.neighbour_stage(db, workshop, 1) is None


def test_every_change_records_an_event_and_bumps_the_revision(workshop, db):
    before = models.latest_event_id(db, workshop)
    participant, _key = models.add_participant(db, workshop)
    stage = models.current_stage(db, workshop)
    models.add_answer(db, workshop, stage, participant, "Żeby pomagać")
    kinds = [e["kind"] for e in models.workshop_events_after(db, workshop.id, before)]
    assert kinds == ["participants-changed", "answers-changed"]
    assert models.get_workshop(db, workshop.public_id).revision == workshop.revision + 2


def test_answer_to_a_closed_stage_is_refused(workshop, db):
    participant, _key = models.add_participant(db, workshop)
    first = models.current_stage(db, workshop)
    models.move_to_stage(db, workshop, models.neighbour_stage(db, workshop, 1))
    with pytest.raises(Refused) as refusal:
        models.add_answer(db, workshop, first, participant, "late")
    assert refusal.value.reason == "stage-closed"


def test_repeated_nonce_stores_the_answer_once(workshop, db):
    participant, _key = models.add_participant(db, workshop)
    stage = models.current_stage(db, workshop)
    first = models.add_answer(db, workshop, stage, participant, "raz", client_nonce="n1")
    again = models.add_answer(db, workshop, stage, participant, "raz", client_nonce="n1")
    assert first.id == again.id
    assert len(models.list_answers(db, stage)) == 1


def test_a_person_may_post_at_most_ten_answers_per_stage(workshop, db):
    participant, _key = models.add_participant(db, workshop)
    stage = models.current_stage(db, workshop)
    for number in range(rules.MAX_ANSWERS_PER_PERSON):
        models.add_answer(db, workshop, stage, participant, f"answer {number}")
    with pytest.raises(Refused) as refusal:
        models.add_answer(db, workshop, stage, participant, "one too many")
    assert refusal.value.reason == "too-many-mine"


def test_edit_and_delete_only_while_the_stage_is_open(workshop, db):
    participant, _key = models.add_participant(db, workshop)
    stage = models.current_stage(db, workshop)
    item = models.add_answer(db, workshop, stage, participant, "pierwsza wersja")
    edited = models.update_answer(db, workshop, item, "druga wersja")
    assert edited.body == "druga wersja"
    models.move_to_stage(db, workshop, models.neighbour_stage(db, workshop, 1))
    with pytest.raises(Refused):
        models.update_answer(db, workshop, item, "trzecia")
    with pytest.raises(Refused):
        models.delete_answer(db, workshop, item)


def test_agreed_mission_is_locked_until_reopened(workshop, db):
    models.save_mission(db, workshop, "Troszczymy się o zdrowie naszych pacjentów każdego dnia.")
    models.replace_principles(db, workshop, [("Życzliwość", "witamy z uśmiechem")])
    models.mark_agreed(db, workshop)
    with pytest.raises(Refused):
        models.save_mission(db, workshop, "inna")
    models.replace_principles(db, workshop, [("Życzliwość", "witamy z uśmiechem")])  # own round
    models.mark_agreed(db, workshop, agreed=False)
    models.save_mission(db, workshop, "inna")
    assert models.get_workshop(db, workshop.public_id).mission == "inna"


def test_concurrent_answers_from_many_threads_are_all_stored(app, workshop):
    """Threads with their own connections to one file: no 'database is locked', nothing lost."""
    from workshop.db import connect

    errors: list[Exception] = []

    def post(number: int) -> None:
        db = connect(app.config["DATABASE"])
        try:
            participant, _key = models.add_participant(db, workshop)
            stage = models.current_stage(db, workshop)
            for index in range(5):
                models.add_answer(db, workshop, stage, participant, f"{number}-{index}")
        except (sqlite3.Error, Refused) as error:
            errors.append(error)
        finally:
            db.close()

    threads = [threading.Thread(target=post, args=(n,)) for n in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert errors == []
    from workshop.db import connect as reconnect

    db = reconnect(app.config["DATABASE"])
    stage = models.current_stage(db, workshop)
    assert len(models.list_answers(db, stage)) == 60
    db.close()


def test_a_writer_under_gevent_waits_for_another_process_in_gevents_own_sleep(app, monkeypatch):
    """SQLite's busy handler sleeps in C, which would stop a gevent worker's every stream:
    there the write lock is asked for without waiting, with gevent's sleep between tries."""
    path = app.config["DATABASE"]
    other = sqlite3.connect(path, isolation_level=None)  # the other worker, writing
    other.execute("BEGIN IMMEDIATE")
    pauses: list[float] = []

    def pause(seconds: float) -> None:
        pauses.append(seconds)
        if len(pauses) == 3:
            other.execute("COMMIT")

    monkeypatch.setattr(offload, "cooperative", lambda: True)
    monkeypatch.setattr(db_module.time, "sleep", pause)
    db = db_module.connect(path)
    db.execute("PRAGMA busy_timeout = 300")  # SQLite's own wait would give up in 0.3 s
    with db_module.write(db):
        db.execute("CREATE TABLE written (n INTEGER)")
    assert pauses == [0.0005, 0.001, 0.002]
    assert db.execute("PRAGMA busy_timeout").fetchone()[0] == 300
    assert "written" in db.table_names()
    db.close()
    other.close()


def test_workshop_record_has_stages_answers_mission_and_principles(workshop, db):
    participant, _key = models.add_participant(db, workshop)
    stage = models.current_stage(db, workshop)
    models.add_answer(db, workshop, stage, participant, "Dla pacjentów")
    models.save_mission(db, workshop, "Misja")
    models.replace_principles(db, workshop, [("Szacunek", "słuchamy")])
    record = workshop_record(db, workshop)
    assert record["id"] == workshop.public_id
    assert record["stages"][0]["answers"][0]["body"] == "Dla pacjentów"
    assert record["mission"]["text"] == "Misja"
    assert record["principles"] == [{"name": "Szacunek", "line": "słuchamy"}]


def test_workshop_ids_never_look_like_command_line_options(monkeypatch, app, db):
    drawn = iter(["-7abcDEF123", "Q7abcDEF123"])
    secrets = models.workshops.secrets
    monkeypatch.setattr(secrets, "token_urlsafe", lambda n=None: next(drawn, "tok"))
    assert models.workshops._new_public_id() == "Q7abcDEF123"
