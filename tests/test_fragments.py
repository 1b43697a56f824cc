"""Live fragments compute only themselves: the SQL each one runs, and the same HTML as the
whole page's block (on the control page: its panel, a template of its own).

A live block (the control page's head count, answers, round and drafts; the screen's
stage area, votes, joining panel, head count and pages; the phone's stage area, board,
round and mission) re-fetches itself on every change in the room, from every open page:
it must read what it shows, not what the whole page shows. The room is a real one in the
middle of its drafting: 20 people, four answered stages (themes on one, a revealed dot vote
on another), two mission drafts on the screen with a suggested change, a routine draft, and
a mission round everyone answered (open, or withdrawn so the drafts show).

Statements are counted on the request's own connection (``sqlite3``'s trace callback on
every connection ``workshop.db.connect`` opens while the test runs). Not counted: PRAGMAs,
and the ``SAVEPOINT``/``RELEASE`` pair sqlite-utils wraps around each ``db.query`` (its guard
against a statement that returns no rows; it reads nothing).

Bounds, at 20 people and every stage of the room:

- ``/control/people`` ≤ 5: who is asking (the workshop, the facilitator's session), the
  stage the ETag looks at, and the head count.
- every control fragment ≤ 15: the answers area is the largest, every question's answers on
  the drafting stages, read in one query per table whatever the number of stages.
- the screen's fragments ≤ 10, asked by the facilitator's own browser (one more read than
  a projector's: its session decides whether it may drive the screen).
- the phone's fragments ≤ 10: the workshop and the participant, the stage (shared with the
  ETag), then the largest block, the phone's whole stage area while a round is open on a
  voting stage: its answers, the board's people, dots and themes, this phone's dots, the
  round and this phone's answer. Forty phones re-fetch on every change, so each read is
  paid forty times.
"""

import re
from types import SimpleNamespace

import pytest
from bs4 import BeautifulSoup
from flask import g, render_template
from jinja2_fragments.flask import render_block

import workshop.db as workshop_db
from tests.browser.volume import fill_answered_room, fresh
from tests.conftest import HX, join, make_workshop
from workshop import create_app, models
from workshop.control import control_context
from workshop.views.participant import _phone_context
from workshop.views.screen import _screen_context

PEOPLE = 20
ROUNDS = ["round open", "round withdrawn"]

CONTROL = ["people", "board", "round", "drafts"]  # facilitator/control/<panel>.html
SCREEN = {
    "main": "screen_main",
    "votes": "screen_votes",
    "join": "screen_join",
    "people": "screen_people",
    "pages": "screen_pages",
}
PHONE = {
    "p": "phone_stage",
    "p/board": "phone_board",
    "p/round": "phone_round",
    "p/mission": "phone_mission",
}

NOT_COUNTED = re.compile(r"\s*(PRAGMA|SAVEPOINT|RELEASE)\b", re.IGNORECASE)
TOKENS = re.compile(r'(name="(?:csrf_token|nonce)"[^>]*value=)"[^"]*"')


@pytest.fixture(scope="module", params=ROUNDS)
def room(request, tmp_path_factory):
    """A room in the middle of its drafting, with a facilitator, a projector and a phone."""
    folder = tmp_path_factory.mktemp("room")
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "test-secret",
            "DATABASE": str(folder / "credo.db"),
            "EXPORTS_DIR": str(folder / "exports"),
            "WTF_CSRF_ENABLED": False,
        }
    )
    db = workshop_db.connect(app.config["DATABASE"])
    with app.app_context():
        made, _token = make_workshop(db)
        models.add_stage(db, made, "routine", "Nasza procedura", "Pięć kroków.")
        filled = fill_answered_room(db, made, PEOPLE)
        if request.param == "round withdrawn":
            models.cancel_round(db, made, filled["round"])
    facilitator = app.test_client()
    with facilitator.session_transaction() as session:
        session["facilitator"] = {made.public_id: models.start_facilitator_session(db, made)}
    phone = app.test_client()
    join(phone, made)
    participant = models.list_participants(db, made)[-1]
    yield SimpleNamespace(
        app=app,
        db=db,
        workshop=made,
        facilitator=facilitator,
        projector=app.test_client(),
        phone=phone,
        participant=participant,
    )
    db.close()


def stages(room) -> list[models.Stage]:
    return models.list_stages(room.db, room.workshop)


@pytest.fixture(params=range(7), ids=lambda n: f"stage{n + 1}")
def on_stage(request, room):
    """Put the room on one of its seven stages; return the workshop as it now is."""
    stage = stages(room)[request.param]
    models.move_to_stage(room.db, room.workshop, stage)
    return fresh(room.db, room.workshop)


@pytest.fixture
def reads(monkeypatch):
    """Fetch a fragment as htmx does; return the SQL statements the request ran."""
    statements: list[str] = []
    real = workshop_db.connect

    def counting(path: str):
        db = real(path)
        db.conn.set_trace_callback(statements.append)
        return db

    monkeypatch.setattr(workshop_db, "connect", counting)

    def fetch(client, url: str) -> list[str]:
        statements.clear()
        response = client.get(url, headers=HX)
        assert response.status_code == 200, url
        return [s for s in statements if not NOT_COUNTED.match(s)]

    return fetch


def test_the_room_is_the_one_measured(room):
    answered = [s for s in stages(room) if models.count_answers(room.db, s)]
    assert len(answered) == 4
    assert len(models.list_participants(room.db, room.workshop)) == PEOPLE + 1  # + the phone
    assert len(models.list_drafts(room.db, room.workshop, "mission")) == 2


def test_the_control_head_count_reads_at_most_5_statements(room, on_stage, reads):
    statements = reads(room.facilitator, f"/w/{on_stage.public_id}/control/people")
    assert len(statements) <= 5, statements


@pytest.mark.parametrize("path", CONTROL)
def test_each_control_fragment_reads_at_most_15_statements(room, on_stage, reads, path):
    statements = reads(room.facilitator, f"/w/{on_stage.public_id}/control/{path}")
    assert len(statements) <= 15, statements


@pytest.mark.parametrize("path", SCREEN)
def test_each_screen_fragment_reads_at_most_10_statements(room, on_stage, reads, path):
    statements = reads(room.facilitator, f"/s/{on_stage.screen_token}/{path}")
    assert len(statements) <= 10, statements


@pytest.mark.parametrize("path", PHONE)
def test_each_phone_fragment_reads_at_most_10_statements(room, on_stage, reads, path):
    statements = reads(room.phone, f"/w/{on_stage.public_id}/{path}")
    assert len(statements) <= 10, statements


def whole_page_block(room, workshop, template: str, block: str, context) -> str:
    """Render ``block`` from everything the whole page gathers (the reference)."""
    with room.app.test_request_context("/", headers=HX):
        g.workshop = workshop
        return render_block(template, block, **context())


def whole_page_panel(room, workshop, panel: str) -> str:
    """Render a control panel's own template from everything the whole page gathers."""
    with room.app.test_request_context("/", headers=HX):
        g.workshop = workshop
        return render_template(f"facilitator/control/{panel}.html", **control_context(workshop))


def same(html: str) -> str:
    """Blank what differs on every render: form tokens and answer nonces."""
    return TOKENS.sub(r'\1""', html)


@pytest.mark.parametrize("path", CONTROL)
def test_a_control_fragment_is_the_whole_pages_panel(room, on_stage, path):
    fragment = room.facilitator.get(f"/w/{on_stage.public_id}/control/{path}", headers=HX)
    expected = whole_page_panel(room, on_stage, path)
    assert same(fragment.get_data(as_text=True)) == same(expected)
    # and the page shows that panel where the stage has it (the outline includes it)
    panel = BeautifulSoup(fragment.get_data(as_text=True), "html.parser").find(True)
    page = room.facilitator.get(f"/w/{on_stage.public_id}/control").get_data(as_text=True)
    shown = BeautifulSoup(page, "html.parser").find(id=panel["id"])
    assert shown is None or same(str(shown)) == same(str(panel))


@pytest.mark.parametrize("path", SCREEN)
def test_a_screen_fragment_is_the_whole_pages_block(room, on_stage, path):
    fragment = room.projector.get(f"/s/{on_stage.screen_token}/{path}", headers=HX)
    expected = whole_page_block(
        room, on_stage, "screen/show.html", SCREEN[path], lambda: _screen_context(on_stage)
    )
    assert same(fragment.get_data(as_text=True)) == same(expected)


@pytest.mark.parametrize("path", PHONE)
def test_a_phone_fragment_is_the_whole_pages_block(room, on_stage, path):
    fragment = room.phone.get(f"/w/{on_stage.public_id}/{path}", headers=HX)
    expected = whole_page_block(
        room,
        on_stage,
        "participant/phone.html",
        PHONE[path],
        lambda: _phone_context(on_stage, room.participant),
    )
    assert same(fragment.get_data(as_text=True)) == same(expected)


@pytest.mark.parametrize(
    ("client", "path"),
    [("facilitator", "/w/{id}/control/board"), ("projector", "/s/{screen}/main")]
    + [("phone", "/w/{id}/p/round")],
)
def test_a_fragment_asked_for_as_a_page_is_the_whole_page(room, on_stage, client, path):
    url = path.format(id=on_stage.public_id, screen=on_stage.screen_token)
    page = getattr(room, client).get(url).get_data(as_text=True)
    assert page.lstrip().lower().startswith("<!doctype html>")
