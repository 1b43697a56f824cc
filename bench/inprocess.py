"""The app the in-process benches drive through Flask's test client: a fresh database in
a folder of its own, CSRF off (the benches post as htmx would, without a form to read),
and a facilitator's signed-in client."""

from __future__ import annotations

from pathlib import Path

from workshop import create_app, models
from workshop import db as workshop_db
from workshop.method import default_stages


def bench_app(folder: Path, **config: object):
    """Return an app on ``folder/bench.db`` (exports beside it), with ``config`` on top."""
    folder.mkdir(parents=True, exist_ok=True)
    settings = {
        "TESTING": True,
        "SECRET_KEY": "bench-secret",
        "DATABASE": str(folder / "bench.db"),
        "EXPORTS_DIR": str(folder / "exports"),
        "WTF_CSRF_ENABLED": False,
    }
    return create_app({**settings, **config})


def new_workshop(app, fill=None):
    """Create a Polish workshop with the method's stages, let ``fill(db, workshop)`` write
    into it, and return the database, the workshop and its facilitator's client."""
    db = workshop_db.connect(app.config["DATABASE"])
    with app.app_context():
        made, _token = models.create_workshop(db, "Przychodnia", "pl", default_stages("pl"))
        if fill is not None:
            fill(db, made)
    client = app.test_client()
    with client.session_transaction() as session:
        session["facilitator"] = {made.public_id: models.start_facilitator_session(db, made)}
    return db, made, client
