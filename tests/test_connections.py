"""The connections kept open between requests (db.Connections): reused, never handed over
mid-transaction, never showing an old snapshot, and never shared across a fork; and what
runs after a write commits (db.on_commit: the hub's read)."""

import os

import pytest

from workshop import models
from workshop.db import KEPT_CONNECTIONS, Connections, get_db, on_commit, write
from workshop.hub import get_hub

from .conftest import HX


def kept(app) -> Connections:
    return app.extensions["credo_connections"]


def test_requests_one_after_another_reuse_one_connection(app, client, workshop):
    seen = set()
    for _ in range(5):
        with app.test_request_context():
            seen.add(id(get_db()))
    assert len(seen) == 1
    assert client.get(f"/s/{workshop.screen_token}").status_code == 200
    assert len(kept(app).idle) == 1


def test_a_connection_left_in_a_transaction_comes_back_rolled_back(app, workshop):
    with app.test_request_context():
        db = get_db()
        db.conn.execute("BEGIN IMMEDIATE")
        db.conn.execute("update workshops set title = 'Zmieniona' where id = ?", [workshop.id])
    assert not db.conn.in_transaction
    with app.test_request_context():
        again = get_db()
        assert again is db
        assert models.get_workshop_by_id(again, workshop.id).title != "Zmieniona"
        with write(again):  # the write lock is free: nothing was left holding it
            again.execute("update workshops set title = 'Nowa' where id = ?", [workshop.id])


def test_a_kept_connection_sees_what_another_connection_committed(app, db, workshop, phone):
    with app.test_request_context():
        before = models.latest_event_id(get_db(), workshop)
    phone.post(f"/w/{workshop.public_id}/answers", data={"body": "Dla sąsiadów"}, headers=HX)
    with app.test_request_context():
        assert models.latest_event_id(get_db(), workshop) > before


def test_at_most_a_few_are_kept(app):
    contexts = [app.app_context() for _ in range(KEPT_CONNECTIONS + 3)]  # each its own g
    for context in contexts:
        context.push()
        get_db()
    for context in reversed(contexts):
        context.pop()
    assert len(kept(app).idle) == KEPT_CONNECTIONS


def test_a_forked_process_opens_its_own(app, monkeypatch):
    with app.test_request_context():
        parent = get_db()
    monkeypatch.setattr(os, "getpid", lambda: -1)
    with app.test_request_context():
        assert get_db() is not parent


def test_each_committed_write_calls_the_commit_callbacks_once(app, workshop):
    calls = []
    on_commit(app, lambda: calls.append("committed"))
    rename = "update workshops set title = ? where id = ?"
    with app.app_context():
        db = get_db()
        with write(db):
            with write(db):  # nested: joins the outer transaction
                db.execute(rename, ["Jeden", workshop.id])
        assert calls == ["committed"]
        with pytest.raises(RuntimeError), write(db):
            db.execute(rename, ["Dwa", workshop.id])
            raise RuntimeError("rolled back")
        assert calls == ["committed"]


def test_the_hub_is_woken_by_a_commit_outside_any_request(app, workshop):
    hub = get_hub(app)
    with app.app_context():
        hub.wake.clear()
        db = get_db()
        with write(db):
            db.execute("update workshops set title = 'Trzy' where id = ?", [workshop.id])
        assert hub.wake.is_set()
