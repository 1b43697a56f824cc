"""The facilitator's room controls through the test client, as the phones and screen see them."""

import json

import pytest
from bs4 import BeautifulSoup
from click.testing import CliRunner

from workshop import models
from workshop.board import stage_board
from workshop.cli import main

from .conftest import HX, join


def soup(response):
    return BeautifulSoup(response.get_data(as_text=True), "html.parser")


def text_of(response) -> str:
    return soup(response).get_text(" ", strip=True)


@pytest.fixture
def stage(db, workshop):
    return models.current_stage(db, workshop)


def answer(client, workshop, body, nonce=None):
    data = {"body": body}
    if nonce:
        data["nonce"] = nonce
    return client.post(f"/w/{workshop.public_id}/answers", data=data, headers=HX)


def fresh_stage(db, workshop, stage):
    return models.get_stage(db, workshop, stage.id)


ROOM_POSTS = [
    "/w/{w}/stages/{s}/lock-input",
    "/w/{w}/stages/{s}/collect-hidden",
    "/w/{w}/stages/{s}/reveal-results",
    "/w/{w}/stages/{s}/voting",
    "/w/{w}/stages/{s}/timer",
    "/w/{w}/stages/{s}/themes",
    "/w/{w}/stages/add",
    "/w/{w}/stages/{s}/up",
    "/w/{w}/stages/{s}/remove",
    "/w/{w}/people",
    "/w/{w}/joining/lock",
    "/w/{w}/clone",
    "/w/{w}/on-behalf/dot",
]


@pytest.mark.parametrize("template", ROOM_POSTS)
def test_room_controls_are_only_for_the_facilitator(phone, client, workshop, stage, db, template):
    url = template.format(w=workshop.public_id, s=stage.id)
    before = models.latest_event_id(db, workshop)
    assert phone.post(url, data={"voting-budget": "3"}).status_code == 403
    assert client.post(url).status_code == 403
    assert models.latest_event_id(db, workshop) == before


def test_stages_page_is_only_for_the_facilitator(phone, workshop):
    assert phone.get(f"/w/{workshop.public_id}/stages").status_code == 403


def test_voting_budget_out_of_range_is_explained_and_changes_nothing(
    facilitator, workshop, stage, db
):
    url = f"/w/{workshop.public_id}/stages/{stage.id}/voting"
    response = facilitator.post(url, data={"voting-budget": "11"}, headers=HX)
    assert response.status_code == 422
    assert "Wybierz od 1 do 10" in text_of(response) or "between 1 and 10" in text_of(response)
    assert fresh_stage(db, workshop, stage).voting == "off"


def test_opening_voting_sets_budget_and_pauses_answering(facilitator, workshop, stage, db):
    url = f"/w/{workshop.public_id}/stages/{stage.id}/voting"
    response = facilitator.post(
        url, data={"voting-budget": "5", "voting-one_per_answer": "y"}, headers=HX
    )
    assert response.status_code == 200
    opened = fresh_stage(db, workshop, stage)
    assert (opened.voting, opened.vote_budget, opened.one_dot_per_answer) == ("open", 5, 1)
    assert not opened.accepts_answers()


def test_hidden_collection_shows_the_room_only_a_count(
    app, facilitator, phone, client, workshop, stage
):
    facilitator.post(f"/w/{workshop.public_id}/stages/{stage.id}/collect-hidden")
    other = app.test_client()
    join(other, workshop)
    assert answer(phone, workshop, "Tajna odpowiedź numer jeden").status_code == 200
    screen = client.get(f"/s/{workshop.screen_token}")
    assert "Tajna odpowiedź" not in screen.get_data(as_text=True)
    assert "Tajna odpowiedź" not in other.get(f"/w/{workshop.public_id}/p").get_data(as_text=True)
    assert "Tajna odpowiedź" in phone.get(f"/w/{workshop.public_id}/p").get_data(as_text=True)
    control = facilitator.get(f"/w/{workshop.public_id}/control")
    assert "Tajna odpowiedź" in control.get_data(as_text=True)
    facilitator.post(f"/w/{workshop.public_id}/stages/{stage.id}/reveal-answers")
    assert "Tajna odpowiedź" in client.get(f"/s/{workshop.screen_token}").get_data(as_text=True)


def test_flagged_answer_waits_for_review_out_of_the_rooms_sight(
    facilitator, phone, client, workshop, db, stage
):
    answer(phone, workshop, "Kurwa, znowu te warsztaty")
    item = models.list_answers(db, stage)[0]
    assert item.moderation == "flagged"
    assert "znowu te warsztaty" not in client.get(f"/s/{workshop.screen_token}").get_data(
        as_text=True
    )
    control = soup(facilitator.get(f"/w/{workshop.public_id}/control"))
    flagged = control.select_one(".answer-card.moderation-flagged")
    assert "znowu te warsztaty" in flagged.get_text()
    facilitator.post(f"/w/{workshop.public_id}/board/answers/{item.id}/show")
    assert models.get_answer(db, workshop, item.id).moderation == "visible"
    assert "znowu te warsztaty" in client.get(f"/s/{workshop.screen_token}").get_data(as_text=True)


def test_merge_and_undo_through_the_card_page(app, facilitator, workshop, db, stage):
    phones = []
    for body in ("Bezpieczeństwo pacjentów", "Pacjent ma być bezpieczny"):
        device = app.test_client()
        join(device, workshop)
        answer(device, workshop, body)
        phones.append(device)
    first, second = models.list_answers(db, stage)
    page = soup(facilitator.get(f"/w/{workshop.public_id}/board/answers/{second.id}"))
    options = [o["value"] for o in page.select("select[name=target] option")]
    assert options == [str(first.id)]
    merged = facilitator.post(
        f"/w/{workshop.public_id}/board/answers/{second.id}/merge", data={"target": first.id}
    )
    assert merged.status_code == 303
    board = stage_board(db, workshop, stage, for_room=False)
    assert [card.id for card in board.cards] == [first.id]
    assert [m.id for m in board.cards[0].merged] == [second.id]
    facilitator.post(f"/w/{workshop.public_id}/board/answers/{second.id}/unmerge")
    board = stage_board(db, workshop, stage, for_room=False)
    assert {card.id for card in board.cards} == {first.id, second.id}


def test_merging_into_itself_is_refused_readably(facilitator, phone, workshop, db, stage):
    answer(phone, workshop, "Jedna odpowiedź")
    item = models.list_answers(db, stage)[0]
    response = facilitator.post(
        f"/w/{workshop.public_id}/board/answers/{item.id}/merge", data={"target": item.id}, headers=HX
    )
    assert response.status_code == 422
    assert soup(response).select_one(".alert-error")


def test_themes_group_cards_and_the_screen_shows_columns(
    facilitator, phone, client, workshop, db, stage
):
    answer(phone, workshop, "Uśmiech na powitanie")
    item = models.list_answers(db, stage)[0]
    facilitator.post(
        f"/w/{workshop.public_id}/stages/{stage.id}/themes", data={"theme-name": "Życzliwość"}
    )
    theme = models.list_themes(db, stage)[0]
    facilitator.post(
        f"/w/{workshop.public_id}/board/answers/{item.id}/theme", data={"answer-theme": theme.id}
    )
    assert models.get_answer(db, workshop, item.id).theme_id == theme.id
    screen = client.get(f"/s/{workshop.screen_token}").get_data(as_text=True)
    assert "Życzliwość" in screen and "Uśmiech na powitanie" in screen
    facilitator.post(f"/w/{workshop.public_id}/board/answers/{item.id}/theme", data={"answer-theme": 0})
    assert models.get_answer(db, workshop, item.id).theme_id is None


def test_empty_theme_name_is_refused_and_explained(facilitator, workshop, stage, db):
    response = facilitator.post(
        f"/w/{workshop.public_id}/stages/{stage.id}/themes",
        data={"theme-name": "   "},
        headers=HX,
    )
    assert response.status_code == 422
    assert soup(response).select_one(".alert-error")
    assert models.list_themes(db, stage) == []


def test_facilitator_rewording_keeps_the_first_wording(facilitator, phone, workshop, db, stage):
    answer(phone, workshop, "pacjenci sa najwazniejsi")
    item = models.list_answers(db, stage)[0]
    response = facilitator.post(
        f"/w/{workshop.public_id}/board/answers/{item.id}", data={"body": "Pacjenci są najważniejsi"}
    )
    assert response.status_code == 303
    edited = models.get_answer(db, workshop, item.id)
    assert (edited.body, edited.original_body) == (
        "Pacjenci są najważniejsi",
        "pacjenci sa najwazniejsi",
    )
    page = facilitator.get(f"/w/{workshop.public_id}/board/answers/{item.id}")
    assert "pacjenci sa najwazniejsi" in page.get_data(as_text=True)


def test_delete_needs_the_facilitator_and_removes_the_answer(
    facilitator, phone, workshop, db, stage
):
    answer(phone, workshop, "Do usunięcia")
    item = models.list_answers(db, stage)[0]
    facilitator.post(f"/w/{workshop.public_id}/board/answers/{item.id}/delete")
    assert models.get_answer(db, workshop, item.id) is None


def test_removed_person_loses_their_session_and_answers(
    facilitator, phone, client, workshop, db, stage
):
    answer(phone, workshop, "Napisane przez kogoś, kto wyjdzie")
    person = models.list_participants(db, workshop)[0]
    response = facilitator.post(f"/w/{workshop.public_id}/people/{person.id}/remove")
    assert response.status_code == 303
    assert phone.get(f"/w/{workshop.public_id}/p").status_code in (302, 303)
    assert "kogoś, kto wyjdzie" not in client.get(f"/s/{workshop.screen_token}").get_data(
        as_text=True
    )
    assert models.count_participants(db, workshop) == 0


def test_people_without_a_phone_get_answers_and_dots_from_the_facilitator(
    facilitator, workshop, db, stage
):
    base = f"/w/{workshop.public_id}"
    assert facilitator.post(f"{base}/people", data={"person-name": "Pani Ewa"}).status_code == 303
    ewa = models.list_participants(db, workshop)[0]
    assert ewa.added_by_facilitator
    facilitator.post(
        f"{base}/stages/{stage.id}/on-behalf/answer",
        data={"behalf-person": ewa.id, "behalf-body": "Cierpliwość"},
    )
    item = models.list_answers(db, stage)[0]
    assert (item.participant_id, item.entered_by) == (ewa.id, "facilitator")
    facilitator.post(f"{base}/stages/{stage.id}/voting", data={"voting-budget": "1"})
    facilitator.post(f"{base}/on-behalf/dot", data={"dot-person": ewa.id, "dot-answer": item.id})
    refused = facilitator.post(
        f"{base}/on-behalf/dot", data={"dot-person": ewa.id, "dot-answer": item.id}, headers=HX
    )
    assert refused.status_code == 422
    votes = list(db.query("select participant_id, entered_by from votes"))
    assert votes == [{"participant_id": ewa.id, "entered_by": "facilitator"}]
    control = facilitator.get(f"{base}/control").get_data(as_text=True)
    assert "Pani Ewa" in control


def test_locked_joining_turns_newcomers_away_but_keeps_who_is_in(
    app, facilitator, phone, workshop, db
):
    facilitator.post(f"/w/{workshop.public_id}/joining/lock")
    newcomer = app.test_client()
    by_qr = newcomer.get(f"/j/{workshop.join_token}")
    by_code = newcomer.post("/join", data={"code": workshop.join_code})
    for response in (by_qr, by_code):
        assert response.status_code in (403, 409)
        assert soup(response).select_one(".alert, .errors, main")
    assert models.count_participants(db, workshop) == 1
    assert phone.get(f"/w/{workshop.public_id}/p").status_code == 200
    control = facilitator.get(f"/w/{workshop.public_id}/control")
    assert soup(control).select_one("#participant-count .people-number").get_text() == "1"
    facilitator.post(f"/w/{workshop.public_id}/joining/unlock")
    assert newcomer.get(f"/j/{workshop.join_token}").status_code == 303


def test_timer_shows_everywhere_and_closes_answering_at_zero(
    facilitator, phone, client, workshop, db, stage
):
    base = f"/w/{workshop.public_id}"
    facilitator.post(
        f"{base}/stages/{stage.id}/timer",
        data={"timer-minutes": "2", "timer-close_on_expiry": "y"},
    )
    for page in (
        facilitator.get(f"{base}/control"),
        phone.get(f"{base}/p"),
        client.get(f"/s/{workshop.screen_token}"),
    ):
        timer = soup(page).select_one(".timer[data-seconds-left]")
        assert timer is not None
        assert 100 <= int(timer["data-seconds-left"]) <= 120
    db.execute(
        "update stages set timer_ends_at = ? where id = ?",
        ["2000-01-01T00:00:00.000+00:00", stage.id],
    )
    late = answer(phone, workshop, "Za późno, ale zachowane")
    assert late.status_code == 409
    assert "Za późno, ale zachowane" in late.get_data(as_text=True)
    assert models.list_answers(db, stage) == []


def test_creating_with_the_trust_template_adds_the_five_seed_questions(client, db):
    response = client.post("/", data={"title": "Gabinet", "language": "pl", "template": "trust"})
    public_id = response.headers["Location"].split("/")[2]
    workshop = models.get_workshop(db, public_id)
    kinds = [stage.kind for stage in models.list_stages(db, workshop)]
    assert kinds == ["question"] * 8 + ["principles", "routine", "mission", "agreed"]


def test_stage_editor_adds_rewords_moves_and_removes(facilitator, phone, workshop, db):
    base = f"/w/{workshop.public_id}/stages"
    page = soup(facilitator.get(base))
    assert len(page.select(".library-item")) == 6
    facilitator.post(f"{base}/add", data={"library": "feedback"})
    stages = models.list_stages(db, workshop)
    added = stages[3]
    assert (added.kind, stages[4].kind) == ("question", "principles")
    assert len(soup(facilitator.get(base)).select(".library-item")) == 5
    facilitator.post(
        f"{base}/{added.id}/edit", data={"title": "Jak pytamy o opinię?", "prompt": ""}
    )
    assert models.get_stage(db, workshop, added.id).title == "Jak pytamy o opinię?"
    facilitator.post(f"{base}/{added.id}/up")
    assert models.list_stages(db, workshop)[2].id == added.id
    assert facilitator.post(f"{base}/{added.id}/remove").status_code == 303
    assert models.get_stage(db, workshop, added.id) is None
    mission = next(s for s in models.list_stages(db, workshop) if s.kind == "mission")
    refused = facilitator.post(f"{base}/{mission.id}/remove", headers=HX)
    assert refused.status_code == 422
    assert models.get_stage(db, workshop, mission.id) is not None


def test_custom_question_without_a_title_keeps_the_prompt_typed(facilitator, workshop, db):
    before = len(models.list_stages(db, workshop))
    response = facilitator.post(
        f"/w/{workshop.public_id}/stages/add",
        data={"new-title": "", "new-prompt": "Pomocniczy tekst"},
        headers=HX,
    )
    assert response.status_code == 422
    assert soup(response).select_one("#new-prompt").get_text().strip() == "Pomocniczy tekst"
    assert len(models.list_stages(db, workshop)) == before


def test_removing_a_stage_with_answers_asks_first(facilitator, phone, workshop, db):
    first = models.current_stage(db, workshop)
    answer(phone, workshop, "Odpowiedź w etapie do usunięcia")
    facilitator.post(f"/w/{workshop.public_id}/stage/next")
    base = f"/w/{workshop.public_id}/stages/{first.id}/remove"
    asked = facilitator.post(base, headers=HX)
    assert asked.status_code == 200
    assert soup(asked).select_one(".confirm-remove input[name=confirm][value=yes]")
    assert models.get_stage(db, workshop, first.id) is not None
    facilitator.post(base, data={"confirm": "yes"})
    assert models.get_stage(db, workshop, first.id) is None


def test_clone_opens_next_years_workshop_with_a_new_private_link(facilitator, workshop, db):
    response = facilitator.post(
        f"/w/{workshop.public_id}/clone", data={"clone-title": "Przychodnia 2027"}
    )
    assert response.status_code == 303
    control = facilitator.get(response.headers["Location"])
    assert control.status_code == 200
    assert "/f/" in soup(control).select_one("#admin-link-value")["value"]
    copy = models.get_workshop(db, response.headers["Location"].split("/")[2])
    assert copy.cloned_from == workshop.public_id and copy.title == "Przychodnia 2027"


def test_json_export_carries_votes_themes_merges_moderation_and_timers(
    app, facilitator, phone, workshop, db, stage, monkeypatch
):
    base = f"/w/{workshop.public_id}"
    answer(phone, workshop, "Pierwsza")
    answer(phone, workshop, "Druga")
    first, second = models.list_answers(db, stage)
    facilitator.post(f"{base}/board/answers/{second.id}/merge", data={"target": first.id})
    facilitator.post(f"{base}/stages/{stage.id}/themes", data={"theme-name": "Temat"})
    facilitator.post(f"{base}/stages/{stage.id}/timer", data={"timer-minutes": "3"})
    facilitator.post(f"{base}/stages/{stage.id}/voting", data={"voting-budget": "2"})
    phone.post(f"{base}/votes/{first.id}")
    facilitator.post(f"{base}/board/answers/{first.id}/hide")
    monkeypatch.setenv("WORKSHOP_DATABASE", app.config["DATABASE"])
    monkeypatch.setenv("WORKSHOP_EXPORTS_DIR", app.config["EXPORTS_DIR"])
    result = CliRunner().invoke(main, ["export", workshop.public_id, "--format", "json", "-o", "-"])
    assert result.exit_code == 0, result.output
    record = json.loads(result.output)
    exported = record["stages"][0]
    assert exported["voting"] == {
        "state": "open",
        "budget": 2,
        "one_dot_per_answer": False,
        "results_revealed": False,
    }
    assert exported["timer"]["seconds"] == 180
    assert [t["name"] for t in exported["themes"]] == ["Temat"]
    by_id = {c["id"]: c for c in exported["answers"]}
    assert by_id[second.id]["merged_into"] == first.id
    assert by_id[first.id]["moderation"] == "hidden"
    assert [v["answer"] for v in exported["votes"]] == [first.id]
    assert [s["kind"] for s in record["stages"]][-1] == "agreed"


def test_the_facilitator_puts_the_frequent_words_on_the_screen(
    app, facilitator, client, workshop, db, stage
):
    for body in ("Pacjenci czują się bezpiecznie", "Bezpieczny pacjent", "pacjentów słuchamy"):
        device = app.test_client()
        join(device, workshop)
        answer(device, workshop, body)
    screen_url = f"/s/{workshop.screen_token}"
    assert soup(client.get(screen_url)).select_one("#screen-main.mode-words") is None
    facilitator.post(f"/w/{workshop.public_id}/stages/{stage.id}/show-words")
    assert fresh_stage(db, workshop, stage).screen_view == "words"
    shown = soup(client.get(f"{screen_url}/main", headers=HX))
    assert shown.select_one("#screen-main.mode-words")
    assert "pacjent" in shown.get_text(" ").lower()
    facilitator.post(f"/w/{workshop.public_id}/stages/{stage.id}/show-answers")
    assert soup(client.get(screen_url)).select_one("#screen-main.mode-words") is None


def test_a_phone_cannot_vote_on_a_stage_the_room_has_left(facilitator, phone, workshop, db, stage):
    answer(phone, workshop, "Pierwsze pytanie")
    item = models.list_answers(db, stage)[0]
    facilitator.post(
        f"/w/{workshop.public_id}/stages/{stage.id}/voting", data={"voting-budget": "3"}
    )
    facilitator.post(f"/w/{workshop.public_id}/stage/next")
    refused = phone.post(f"/w/{workshop.public_id}/votes/{item.id}", headers=HX)
    assert refused.status_code == 409
    assert list(db.query("select count(*) as n from votes"))[0]["n"] == 0
