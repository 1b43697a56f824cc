"""A control-page action answers with only the panels it changed (control.ACTION_PANELS), each
as a partial htmx swaps by its element's id; a change of stage redraws the whole controls;
a refusal still says why; without scripts every form still posts and is redirected."""

import pytest
from bs4 import BeautifulSoup

from workshop import control, models
from workshop.rules import MAX_PRINCIPLES

from .conftest import HX, swapped

PROPOSALS = [
    ("Życzliwość", "Witamy każdego z uśmiechem."),
    ("Rzetelność", "Leczymy zgodnie z wiedzą."),
    ("Szacunek", "Chronimy godność pacjenta."),
]


def stage_of(db, workshop, kind: str) -> models.Stage:
    return next(s for s in models.list_stages(db, workshop) if s.kind == kind)


def targets(response) -> list[str]:
    """What the answer's partials replace, in the order htmx swaps them."""
    page = BeautifulSoup(response.get_data(as_text=True), "html.parser")
    return [template["hx-target"] for template in page.select("template[hx][type='partial']")]


@pytest.fixture
def proposals(db, workshop) -> list[models.Answer]:
    """Three principles proposed from phones, the room on the principles stage."""
    stage = stage_of(db, workshop, "principles")
    models.move_to_stage(db, workshop, stage)
    return [models.add_answer(db, workshop, stage, None, n, line) for n, line in PROPOSALS]


@pytest.fixture
def answers(db, workshop) -> list[models.Answer]:
    """Three answers to the first question, the room on it."""
    stage = stage_of(db, workshop, "question")
    models.move_to_stage(db, workshop, stage)
    return [models.add_answer(db, workshop, stage, None, f"Odpowiedź {n}") for n in range(3)]


def test_add_to_principles_answers_with_its_card_and_the_principles_not_the_whole_controls(
    facilitator, workshop, proposals
):
    base = f"/w/{workshop.public_id}"
    response = facilitator.post(f"{base}/principles/adopt/{proposals[1].id}", headers=HX)
    assert response.status_code == 200
    page = swapped(response)
    assert not page.select_one("#control-main, #control-board, .stage-nav")
    # The answer's button turned into "in the principles", on its card alone.
    assert [card["data-card"] for card in page.select(".answer-card")] == [str(proposals[1].id)]
    card = page.select_one(f"#answer-card-{proposals[1].id}")
    assert card.select_one(".adopted") and not card.select_one("form[action*='/adopt/']")
    # The editor holds it, and the round's form counts it.
    assert page.select_one("#principles-panel input[name='principles-0-name']")["value"] == (
        "Rzetelność"
    )
    assert "(1)" in page.select_one("#round-opener .round-subject").get_text()
    # The card, holding the button pressed, is swapped last (htmx looks the others up from it).
    assert targets(response)[-1] == f"#answer-card-{proposals[1].id}"


def test_hiding_an_answer_redraws_its_card_the_count_and_the_frequent_words(
    facilitator, workshop, answers
):
    base = f"/w/{workshop.public_id}"
    response = facilitator.post(f"{base}/board/answers/{answers[0].id}/hide", headers=HX)
    assert response.status_code == 200
    card = f"#answer-card-{answers[0].id}"
    assert targets(response) == ["#board-count", "#side-words", "#side-behalf", card]
    page = swapped(response)
    drawn = page.select_one(card)
    assert "moderation-hidden" in drawn["class"]
    assert drawn.select_one(f"form[action='{base}/board/answers/{answers[0].id}/show']")
    assert not page.select_one("#control-main, #control-board, #room-tools, #room-side")


def test_a_stage_switch_redraws_the_room_tools(facilitator, workshop, answers, db):
    stage = models.current_stage(db, workshop)
    url = f"/w/{workshop.public_id}/stages/{stage.id}/lock-input"
    response = facilitator.post(url, headers=HX)
    assert targets(response) == ["#room-tools"]
    unlock = f"/w/{workshop.public_id}/stages/{stage.id}/unlock-input"
    assert swapped(response).select_one(f"#room-tools form[action='{unlock}']")


def test_moving_to_the_next_stage_still_redraws_everything_the_stage_decides(
    facilitator, workshop, answers, db
):
    response = facilitator.post(f"/w/{workshop.public_id}/stage/next", headers=HX)
    assert response.status_code == 200 and not targets(response)
    page = BeautifulSoup(response.get_data(as_text=True), "html.parser")
    following = models.current_stage(db, models.get_workshop_by_id(db, workshop.id))
    assert page.select_one("#control-main .stage-heading h2").get_text() == following.title
    assert page.select_one("#control-main #control-board")
    assert page.select_one("#control-main #room-tools")


def test_opening_a_round_redraws_the_round_and_its_form(facilitator, workshop, proposals, db):
    models.replace_principles(db, workshop, PROPOSALS)
    data = {"round-target": "principles", "round-threshold": "75", "round-min_answers": "3"}
    response = facilitator.post(f"/w/{workshop.public_id}/rounds", data=data, headers=HX)
    assert response.status_code == 200
    assert targets(response) == ["#round-panel", "#round-opener"]
    page = swapped(response)
    assert page.select_one("#round-panel form[action$='/close']")
    assert not page.select_one("#round-opener form")  # no second round while one is open
    assert not page.select_one("#control-main, #control-board")


def test_a_refusal_shows_its_reason_beside_the_panels_it_redraws(
    facilitator, workshop, proposals, db
):
    models.replace_principles(db, workshop, [(f"Zasada {n}", "") for n in range(MAX_PRINCIPLES)])
    url = f"/w/{workshop.public_id}/principles/adopt/{proposals[0].id}"
    response = facilitator.post(url, headers=HX)
    assert response.status_code == 422
    card = f"#answer-card-{proposals[0].id}"
    assert targets(response) == ["#principles-panel", "#round-opener", card]
    box = swapped(response).select_one(f"{card} + [data-error-for]")  # control.js moves it
    assert box["data-error-for"] == url and str(MAX_PRINCIPLES) in box.get_text()
    assert len(models.list_principles(db, workshop)) == MAX_PRINCIPLES


def test_without_scripts_an_action_still_posts_and_returns_to_the_whole_page(
    facilitator, workshop, proposals
):
    base = f"/w/{workshop.public_id}"
    response = facilitator.post(f"{base}/principles/adopt/{proposals[2].id}")
    assert response.status_code == 303 and response.location.endswith(f"{base}/control")
    page = BeautifulSoup(facilitator.get(f"{base}/control").data, "html.parser")
    assert page.select_one(f"#answer-card-{proposals[2].id} .adopted")
    assert page.select_one("#principles-panel input[value='Szacunek']")


@pytest.mark.parametrize("kind", ["question", "principles", "mission", "routine", "agreed"])
def test_each_panel_is_drawn_on_the_stages_control_says(facilitator, workshop, db, kind):
    if kind == "routine":
        models.add_stage(db, workshop, "routine", "Nasza procedura", "Pięć kroków")
    stage = stage_of(db, workshop, kind)
    models.move_to_stage(db, workshop, stage)
    page = BeautifulSoup(facilitator.get(f"/w/{workshop.public_id}/control").data, "html.parser")
    for name, panel in control.PANELS.items():
        drawn = page.select_one(f"#control-main #{panel.element}") is not None
        assert drawn == panel.drawn(stage), (name, kind)


def test_the_table_names_real_actions_and_panels(app):
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules() if "POST" in rule.methods}
    for action, names in control.ACTION_PANELS.items():
        assert action.split(":")[0] in endpoints, action
        assert names and all(name == "answer" or name in control.PANELS for name in names)
