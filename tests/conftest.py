"""Fixtures: an app on a fresh SQLite file, its clients, and helpers that build rows via models."""

import subprocess
import sys
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from workshop import babel, create_app, models
from workshop.db import connect, migrate
from workshop.method import default_stages

HX = {"HX-Request": "true"}
ROOT = Path(__file__).resolve().parent.parent


def swapped(response) -> BeautifulSoup:
    """Parse a control-page action's answer as the page reads it once htmx has swapped it:
    each panel it carries (a ``<template hx type="partial">``, whose content HTML keeps out
    of the document) stands as itself."""
    page = BeautifulSoup(response.get_data(as_text=True), "html.parser")
    for template in page.select("template[hx]"):
        template.unwrap()
    return BeautifulSoup(str(page), "html.parser")  # its text read as the page's own


@pytest.fixture(scope="session", autouse=True)
def compiled_catalogues():
    """Compile the .mo files from the .po files under test, so no stale build is used."""
    subprocess.run(
        [
            sys.executable,
            "-m",
            "babel.messages.frontend",
            "-q",
            "compile",
            "-d",
            "workshop/translations",
        ],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    # Flask-Babel caches catalogues on the process-wide Babel object: let the fresh ones load.
    vars(babel).pop("domain_instance", None)


@pytest.fixture
def app(tmp_path):
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "test-secret",
            "DATABASE": str(tmp_path / "credo.db"),
            "EXPORTS_DIR": str(tmp_path / "exports"),
            "WTF_CSRF_ENABLED": False,
            "LIVE_POLL_SECONDS": 0.01,
            "LIVE_HEARTBEAT_SECONDS": 0.2,
        }
    )
    yield app


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def db(app):
    database = connect(app.config["DATABASE"])
    yield database
    database.close()


@pytest.fixture
def env(tmp_path, monkeypatch):
    """The command line's database and exports folder (as `workshop purge` opens them), with
    the default retention period; tests reach the same file through ``cli_db``."""
    monkeypatch.setenv("WORKSHOP_DATABASE", str(tmp_path / "credo.db"))
    monkeypatch.setenv("WORKSHOP_EXPORTS_DIR", str(tmp_path / "exports"))
    monkeypatch.delenv("WORKSHOP_RETENTION_DAYS", raising=False)
    return tmp_path


@pytest.fixture
def cli_db(env):
    """A connection to the command line's database, migrated."""
    migrate(str(env / "credo.db"))
    database = connect(str(env / "credo.db"))
    yield database
    database.close()


def make_workshop(db, title="Przychodnia Pod Lipami", language="pl"):
    """Create a workshop with the default stages; return it and its facilitator secret."""
    return models.create_workshop(db, title, language, default_stages(language))


@pytest.fixture
def workshop(app, db):
    with app.app_context():
        made, _token = make_workshop(db)
    return made


@pytest.fixture
def facilitator(app, db, workshop):
    """A test client holding a facilitator session for ``workshop``."""
    client = app.test_client()
    with client.session_transaction() as session:
        session["facilitator"] = {
            workshop.public_id: models.start_facilitator_session(db, workshop)
        }
    return client


def join(client, workshop):
    """Join ``workshop`` from a phone (a test client) through its QR link."""
    response = client.get(f"/j/{workshop.join_token}")
    assert response.status_code == 303
    return response


@pytest.fixture
def phone(app, workshop):
    """A test client that has joined ``workshop``."""
    client = app.test_client()
    join(client, workshop)
    return client
