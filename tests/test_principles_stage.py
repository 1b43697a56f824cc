"""The principles are made and agreed on their own stage: the phones' proposals adopted with
one click, the editor the mission stage folds, the order changed by each row's ↑ and ↓ (a
real form), the round on them opened there. "Add to principles" never beside the routine."""

import pytest
from bs4 import BeautifulSoup

from workshop import models
from workshop.method import template_stages

from .conftest import HX, swapped

PROPOSALS = [
    ("Życzliwość", "Witamy każdego z uśmiechem."),
    ("Rzetelność", "Leczymy zgodnie z wiedzą."),
    ("Szacunek", "Chronimy godność pacjenta."),
]


def soup(response) -> BeautifulSoup:
    return swapped(response)


def stage_of(db, workshop, kind: str) -> models.Stage:
    return next(s for s in models.list_stages(db, workshop) if s.kind == kind)


@pytest.fixture
def proposals(db, workshop) -> list[models.Answer]:
    """Three principles proposed from phones, the room on the principles stage."""
    stage = stage_of(db, workshop, "principles")
    models.move_to_stage(db, workshop, stage)
    return [
        models.add_answer(db, workshop, stage, None, name, line) for name, line in PROPOSALS
    ]


def editor_names(page: BeautifulSoup) -> list[str]:
    return [
        field.get("value", "")
        for field in page.select(".principles-form input[name$='-name']")
        if field.get("value")
    ]


def test_the_principles_stage_has_the_editor_the_adopt_buttons_and_the_round_form(
    facilitator, workshop, proposals
):
    page = soup(facilitator.get(f"/w/{workshop.public_id}/control"))
    adopt = page.select("#control-board form[action*='/principles/adopt/']")
    assert len(adopt) == len(PROPOSALS)
    assert all(form.get_text(strip=True) == "Dodaj do zasad" for form in adopt)
    assert page.select_one(".principles-editor form.principles-form")
    assert not page.select_one(".principles-editor details.principles-fold")  # open, not folded
    round_form = page.select_one("form.round-form")
    assert round_form["action"] == f"/w/{workshop.public_id}/rounds"
    target = round_form.select_one("input[name='round-target']")
    assert target["type"] == "hidden" and target["value"] == "principles"
    assert not page.select_one("#drafts-panel, #builder-form")  # the mission's own tools


def test_adopting_a_proposal_puts_it_in_the_editor_once(facilitator, workshop, db, proposals):
    url = f"/w/{workshop.public_id}/principles/adopt"
    facilitator.post(f"{url}/{proposals[1].id}", headers=HX)
    page = soup(facilitator.post(f"{url}/{proposals[1].id}", headers=HX))  # a second click
    assert [p.name for p in models.list_principles(db, workshop)] == ["Rzetelność"]
    assert editor_names(page) == ["Rzetelność"]
    assert page.select_one(".principles-form input[name='principles-0-line']")["value"] == (
        "Leczymy zgodnie z wiedzą."
    )
    card = page.select_one(f"[data-card='{proposals[1].id}']")  # the card alone is redrawn
    assert card.select_one(".adopted") and not card.select_one("form[action*='/adopt/']")
    whole = soup(facilitator.get(f"/w/{workshop.public_id}/control"))
    assert len(whole.select("#control-board form[action*='/principles/adopt/']")) == 2
    # The board's live refresh (a new proposal from a phone) draws the same buttons.
    board = soup(facilitator.get(f"/w/{workshop.public_id}/control/board", headers=HX))
    assert len(board.select("form[action*='/principles/adopt/']")) == 2
    assert board.select_one(f"[data-card='{proposals[1].id}'] .adopted")


def test_the_round_on_the_principles_opens_on_their_stage(facilitator, workshop, db, proposals):
    models.replace_principles(db, workshop, PROPOSALS)
    response = facilitator.post(
        f"/w/{workshop.public_id}/rounds", data={"round-target": "principles"}, headers=HX
    )
    assert response.status_code == 200
    opened = models.current_round(db, workshop)
    assert opened is not None and opened.subject == "principles"
    page = soup(response)
    assert page.select_one("#round-panel form[action$='/close']")
    assert not page.select_one("form.round-form")  # one round at a time


def test_a_row_moves_up_and_down_and_keeps_what_was_typed(facilitator, workshop, db, proposals):
    models.replace_principles(db, workshop, PROPOSALS)
    url = f"/w/{workshop.public_id}/principles"
    rows = {f"principles-{i}-{part}": "" for i in range(5) for part in ("name", "line")}
    for index, (name, line) in enumerate(PROPOSALS):
        rows[f"principles-{index}-name"] = name
        rows[f"principles-{index}-line"] = line
    rows["principles-3-name"], rows["principles-3-line"] = "Odwaga", "Mówimy, co widzimy."

    # ↑ on the fourth row, typed but not yet saved: saved, one place up.
    page = soup(facilitator.post(url, data={**rows, "move": "3-up"}, headers=HX))
    order = ["Życzliwość", "Rzetelność", "Odwaga", "Szacunek"]
    assert [p.name for p in models.list_principles(db, workshop)] == order
    assert editor_names(page) == order
    assert len(page.select(".principles-form input[name$='-name']")) >= 5  # no row lost
    # The moved principle keeps the focus: its own ↑, on the third row now.
    assert page.select_one("button[autofocus]")["value"] == "2-up"

    # ↓ past a blank row: blank rows are no place, the next principle is.
    rows = {f"principles-{i}-{part}": "" for i in range(6) for part in ("name", "line")}
    rows["principles-0-name"], rows["principles-0-line"] = "Życzliwość", "Witamy."
    rows["principles-2-name"], rows["principles-2-line"] = "Szacunek", "Chronimy godność."
    page = soup(facilitator.post(url, data={**rows, "move": "0-down"}, headers=HX))
    assert [p.name for p in models.list_principles(db, workshop)] == ["Szacunek", "Życzliwość"]
    # At the bottom now: its ↓ is off, the focus on its ↑.
    assert page.select_one("button[value='1-down']").has_attr("disabled")
    assert page.select_one("button[autofocus]")["value"] == "1-up"
    assert page.select_one("button[value='0-up']").has_attr("disabled")


def test_moving_works_without_scripts(facilitator, workshop, db, proposals):
    models.replace_principles(db, workshop, PROPOSALS)
    data = {}
    for index, (name, line) in enumerate(PROPOSALS):
        data[f"principles-{index}-name"] = name
        data[f"principles-{index}-line"] = line
    response = facilitator.post(
        f"/w/{workshop.public_id}/principles", data={**data, "move": "0-down"}
    )
    assert response.status_code == 303
    assert [p.name for p in models.list_principles(db, workshop)] == [
        "Rzetelność",
        "Życzliwość",
        "Szacunek",
    ]
    page = soup(facilitator.get(response.headers["Location"]))
    assert editor_names(page) == ["Rzetelność", "Życzliwość", "Szacunek"]
    # Every named row has its ↑ and ↓, in the keyboard's order after the row's fields.
    row = page.select(".principles-form .principle-row:not(.principle-columns)")[1]
    order = [field.get("name") for field in row.select("input, button")]
    assert order == ["principles-1-name", "principles-1-line", "move", "move"]
    # Enter in a field saves: the form's first submit button is "Save", not a row's ↑.
    first = page.select_one(".principles-form button[type=submit]")
    assert first["name"] == "save" and first.has_attr("hidden")


def test_a_bad_move_only_saves(facilitator, workshop, db, proposals):
    data = {"principles-0-name": "Życzliwość", "principles-0-line": "Witamy."}
    for move in ("9-up", "x", "0-sideways"):
        response = facilitator.post(
            f"/w/{workshop.public_id}/principles", data={**data, "move": move}, headers=HX
        )
        assert response.status_code == 200
        assert [p.name for p in models.list_principles(db, workshop)] == ["Życzliwość"]


def test_the_mission_stage_keeps_the_editor_and_its_add_buttons(
    facilitator, workshop, db, proposals
):
    models.move_to_stage(db, workshop, stage_of(db, workshop, "mission"))
    page = soup(facilitator.get(f"/w/{workshop.public_id}/control"))
    assert page.select_one("details.principles-fold form.principles-form")  # folded there
    assert len(page.select("#control-board form[action*='/principles/adopt/']")) == 3
    targets = [o["value"] for o in page.select("select[name='round-target'] option")]
    assert targets == ["principles"]


def test_the_routine_stage_offers_no_add_to_principles(facilitator, app, db):
    with app.app_context():
        made, _secret = models.create_workshop(
            db, "Przychodnia", "pl", template_stages("trust", "pl")
        )
    client = app.test_client()
    with client.session_transaction() as session:
        session["facilitator"] = {made.public_id: models.start_facilitator_session(db, made)}
    stage = stage_of(db, made, "principles")
    models.move_to_stage(db, made, stage)
    for name, line in PROPOSALS:
        models.add_answer(db, made, stage, None, name, line)
    models.move_to_stage(db, made, stage_of(db, made, "routine"))
    page = soup(client.get(f"/w/{made.public_id}/control"))
    assert "Życzliwość" in page.select_one("#control-board").get_text()  # what the team said
    assert not page.select("form[action*='/principles/adopt/']")
    assert "Dodaj do zasad" not in page.get_text()
    assert not page.select_one(".principles-form")
