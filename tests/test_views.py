"""What facilitators, phones and the projector see, through Flask's test client."""

import re

import pytest
from bs4 import BeautifulSoup

from workshop import create_app, models

from .conftest import HX, join

PAYLOAD = '<script>alert(1)</script> <div hx-get="/x" hx-trigger="load">{{7*7}}</div>'


def soup(response):
    return BeautifulSoup(response.get_data(as_text=True), "html.parser")


def test_creating_a_workshop_shows_the_private_link_once(client, app):
    response = client.post("/", data={"title": "Przychodnia Pod Lipami", "language": "pl"})
    assert response.status_code == 303
    control_url = response.headers["Location"]
    assert re.fullmatch(r"/w/[\w-]+/control", control_url)
    page = client.get(control_url)
    assert page.status_code == 200
    link = soup(page).select_one("#admin-link-value")["value"]
    assert "/f/" in link
    assert client.get(control_url).get_data(as_text=True).count("/f/") == 0  # only once


def test_creating_without_a_name_keeps_the_choice_and_explains(client):
    response = client.post("/", data={"title": "   ", "language": "en"})
    assert response.status_code == 422
    page = soup(response)
    assert page.select_one(".errors")
    assert page.select_one("#language option[selected]")["value"] == "en"


def test_facilitator_link_sets_a_cookie_and_redirects_to_a_clean_url(app, db, client):
    from .conftest import make_workshop

    with app.app_context():
        workshop, token = make_workshop(db)
    response = client.get(f"/f/{token}")
    assert response.status_code == 303
    assert token not in response.headers["Location"]
    page = client.get(response.headers["Location"])
    assert page.status_code == 200
    assert token not in page.get_data(as_text=True)


def test_wrong_facilitator_link_is_404(client):
    assert client.get("/f/not-a-real-secret").status_code == 404


def test_control_page_is_only_for_the_facilitator(client, phone, workshop):
    assert client.get(f"/w/{workshop.public_id}/control").status_code == 403
    assert phone.get(f"/w/{workshop.public_id}/control").status_code == 403
    assert phone.post(f"/w/{workshop.public_id}/stage/next").status_code == 403


def test_screen_is_read_only(client, workshop):
    screen = client.get(f"/s/{workshop.screen_token}")
    assert screen.status_code == 200
    assert workshop.join_code[:3] in screen.get_data(as_text=True)
    assert client.post(f"/w/{workshop.public_id}/stage/next").status_code == 403
    assert (
        client.post(f"/w/{workshop.public_id}/builder", data={"builder-text": "x"}).status_code
        == 403
    )


def test_screen_shows_code_qr_question_and_count(client, phone, workshop):
    page = soup(client.get(f"/s/{workshop.screen_token}"))
    assert (
        page.select_one(".join-code").get_text()
        == f"{workshop.join_code[:3]}-{workshop.join_code[3:]}"
    )
    assert (
        page.select_one(".screen-question").get_text() == "Po co jesteśmy?"
        or page.select_one(".screen-question").get_text() == "Why do we exist?"
    )
    assert "1" in page.select_one("#screen-people").get_text()
    qr = client.get(f"/s/{workshop.screen_token}/qr.svg")
    assert qr.mimetype == "image/svg+xml" and b"<svg" in qr.data


def test_wrong_join_code_explains_and_keeps_what_was_typed(client):
    response = client.post("/join", data={"code": "abc-234"})
    assert response.status_code == 422
    page = soup(response)
    assert page.select_one("#code")["value"] == "ABC234"
    assert page.select_one(".errors").get_text(strip=True)


def test_join_by_code_then_name_then_question(client, workshop):
    code = workshop.join_code.lower()
    response = client.post("/join", data={"code": f"{code[:3]} {code[3:]}"})
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/w/{workshop.public_id}/name")
    named = client.post(response.headers["Location"], data={"display_name": "Ania"})
    assert named.status_code == 303
    page = client.get(named.headers["Location"])
    assert page.status_code == 200
    assert "Ania" in page.get_data(as_text=True)
    assert soup(page).select_one("textarea[name=body]")


def test_joining_twice_from_one_phone_counts_one_person(client, workshop, db):
    join(client, workshop)
    join(client, workshop)
    assert models.count_participants(db, workshop) == 1


def test_phone_without_joining_is_sent_to_the_join_page(client, workshop):
    response = client.get(f"/w/{workshop.public_id}/p")
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/join")


def test_posting_an_answer_returns_the_refreshed_stage_for_htmx(phone, workshop, db):
    response = phone.post(
        f"/w/{workshop.public_id}/answers",
        data={"body": "Żeby pacjent czuł się bezpiecznie"},
        headers=HX,
    )
    assert response.status_code == 200
    fragment = response.get_data(as_text=True)
    assert fragment.lstrip().startswith('<section id="phone-stage"')
    assert "Żeby pacjent czuł się bezpiecznie" in fragment
    stage = models.current_stage(db, workshop)
    assert [c.body for c in models.list_answers(db, stage)] == [
        "Żeby pacjent czuł się bezpiecznie"
    ]


def test_posting_without_javascript_redirects_back(phone, workshop):
    response = phone.post(f"/w/{workshop.public_id}/answers", data={"body": "Bez JS"})
    assert response.status_code == 303
    assert "Bez JS" in phone.get(response.headers["Location"]).get_data(as_text=True)


@pytest.mark.parametrize("body", ["", "   ", "x" * 281])
def test_bad_answer_is_refused_and_the_text_kept(phone, workshop, db, body):
    response = phone.post(f"/w/{workshop.public_id}/answers", data={"body": body}, headers=HX)
    assert response.status_code == 422
    page = soup(response)
    assert page.select_one(".errors").get_text(strip=True)
    # browsers drop the newline WTForms puts after <textarea>
    assert page.select_one("textarea[name=body]").get_text().lstrip("\r\n") == body.strip()
    assert models.list_answers(db, models.current_stage(db, workshop)) == []


def test_280_characters_are_accepted(phone, workshop):
    response = phone.post(f"/w/{workshop.public_id}/answers", data={"body": "ż" * 280}, headers=HX)
    assert response.status_code == 200


def test_html_and_htmx_in_answers_is_shown_literally(phone, client, workshop, facilitator):
    phone.post(f"/w/{workshop.public_id}/answers", data={"body": PAYLOAD}, headers=HX)
    for page in (
        client.get(f"/s/{workshop.screen_token}"),
        facilitator.get(f"/w/{workshop.public_id}/control"),
        phone.get(f"/w/{workshop.public_id}/p"),
    ):
        html = page.get_data(as_text=True)
        assert "<script>alert(1)</script>" not in html
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
        assert "{{7*7}}" in html
        for card in soup(page).select(".answer-text, .card-text"):
            assert card.find(attrs={"hx-get": True}) is None
            assert card.get_text() == PAYLOAD


def test_bidi_overrides_and_controls_are_stripped(phone, workshop, db):
    phone.post(f"/w/{workshop.public_id}/answers", data={"body": "a\u202eb\x00c\u200bd"})
    stage = models.current_stage(db, workshop)
    assert models.list_answers(db, stage)[0].body == "abcd"


def test_participant_edits_and_deletes_only_their_own_answers(app, phone, workshop, db):
    phone.post(f"/w/{workshop.public_id}/answers", data={"body": "moja"})
    item = models.list_answers(db, models.current_stage(db, workshop))[0]
    other = app.test_client()
    join(other, workshop)
    assert other.get(f"/w/{workshop.public_id}/answers/{item.id}").status_code == 404
    assert other.post(f"/w/{workshop.public_id}/answers/{item.id}/delete").status_code == 404
    edited = phone.post(f"/w/{workshop.public_id}/answers/{item.id}", data={"body": "poprawiona"})
    assert edited.status_code == 303
    assert models.get_answer(db, workshop, item.id).body == "poprawiona"
    deleted = phone.post(f"/w/{workshop.public_id}/answers/{item.id}/delete", headers=HX)
    assert deleted.status_code == 200
    assert models.get_answer(db, workshop, item.id) is None


def test_answer_to_a_stage_that_just_closed_keeps_the_text(phone, facilitator, workshop):
    facilitator.post(f"/w/{workshop.public_id}/stage/next")
    facilitator.post(f"/w/{workshop.public_id}/stage/next")
    facilitator.post(f"/w/{workshop.public_id}/stage/next")
    facilitator.post(f"/w/{workshop.public_id}/stage/next")  # the mission stage takes no answers
    response = phone.post(
        f"/w/{workshop.public_id}/answers", data={"body": "spóźniona"}, headers=HX
    )
    assert response.status_code in (409, 422)


def test_facilitator_moves_stages_with_htmx(facilitator, workshop, db):
    response = facilitator.post(f"/w/{workshop.public_id}/stage/next", headers=HX)
    assert response.status_code == 200
    assert response.get_data(as_text=True).lstrip().startswith('<div id="control-main"')
    stages = models.list_stages(db, workshop)
    assert models.get_workshop(db, workshop.public_id).current_stage_id == stages[1].id
    facilitator.post(f"/w/{workshop.public_id}/stage/previous")
    assert models.get_workshop(db, workshop.public_id).current_stage_id == stages[0].id
    facilitator.post(f"/w/{workshop.public_id}/stage/{stages[4].id}")
    assert models.get_workshop(db, workshop.public_id).current_stage_id == stages[4].id


def test_drafting_page_shows_each_questions_answers_beside_the_editor(
    facilitator, phone, workshop, db
):
    phone.post(f"/w/{workshop.public_id}/answers", data={"body": "Bo ludzie chorują"})
    mission_stage = models.list_stages(db, workshop)[4]
    facilitator.post(f"/w/{workshop.public_id}/stage/{mission_stage.id}")
    page = soup(facilitator.get(f"/w/{workshop.public_id}/control"))
    assert "Bo ludzie chorują" in page.select_one("#control-board").get_text()
    assert page.select_one("#builder-form textarea[name=builder-text]")
    assert page.select("input[name$=-name]")


def test_a_round_agrees_a_real_mission_and_the_principles(facilitator, phone, app, workshop, db):
    url = f"/w/{workshop.public_id}"
    voters = [phone]
    for _ in range(2):
        device = app.test_client()
        join(device, workshop)
        voters.append(device)
    facilitator.post(f"{url}/builder", data={"builder-text": "Za krótko"})
    short = models.list_drafts(db, workshop)[0].latest
    refused = facilitator.post(f"{url}/rounds", data={"round-target": f"v{short.id}"}, headers=HX)
    assert refused.status_code == 422
    assert "5" in soup(refused).select_one(".alert-error").get_text()
    assert models.current_round(db, workshop) is None
    mission = "Każdego dnia troszczymy się o zdrowie i spokój naszych pacjentów."
    facilitator.post(f"{url}/builder", data={"builder-text": mission})
    version = models.list_drafts(db, workshop)[0].latest
    facilitator.post(f"{url}/rounds", data={"round-target": f"v{version.id}"})
    round_ = models.current_round(db, workshop)
    assert round_.snapshot == mission
    for voter, level in zip(voters, (1, 2, 3), strict=True):
        assert voter.post(
            f"{url}/rounds/{round_.id}/answer", data={"level": level}
        ).status_code in (200, 303)
    facilitator.post(f"{url}/rounds/{round_.id}/close")
    fresh = models.get_workshop(db, workshop.public_id)
    assert (fresh.mission, models.current_stage(db, fresh).kind) == (mission, "agreed")
    principles = {}
    for index, (name, line) in enumerate(
        [
            ("Życzliwość", "witamy z uśmiechem"),
            ("Rzetelność", "leczymy zgodnie z wiedzą"),
            ("Szacunek", "chronimy godność"),
        ]
    ):
        principles[f"principles-{index}-name"] = name
        principles[f"principles-{index}-line"] = line
    facilitator.post(f"{url}/principles", data=principles)
    facilitator.post(f"{url}/rounds", data={"round-target": "principles"})
    round_ = models.current_round(db, workshop)
    for voter in voters:
        voter.post(f"{url}/rounds/{round_.id}/answer", data={"level": 1})
    facilitator.post(f"{url}/rounds/{round_.id}/close")
    fresh = models.get_workshop(db, workshop.public_id)
    assert fresh.principles_agreed_at is not None
    assert [p.name for p in models.list_principles(db, fresh)] == [
        "Życzliwość",
        "Rzetelność",
        "Szacunek",
    ]
    locked = facilitator.post(f"{url}/principles", data=principles, headers=HX)
    assert locked.status_code == 422


def test_screen_fragment_for_htmx_is_only_the_stage_block(client, workshop):
    response = client.get(f"/s/{workshop.screen_token}/main", headers=HX)
    html = response.get_data(as_text=True)
    assert html.lstrip().startswith('<main id="screen-main"')
    assert "<html" not in html
    assert "HX-Request" in response.headers["Vary"]


def test_missing_csrf_token_is_a_readable_400(tmp_path):
    app = create_app({"TESTING": True, "SECRET_KEY": "x", "DATABASE": str(tmp_path / "c.db")})
    response = app.test_client().post("/", data={"title": "Klinika", "language": "pl"})
    assert response.status_code == 400
    assert "<html" in response.get_data(as_text=True)
    assert soup(response).select_one("#error-message").get_text(strip=True)


def test_every_page_sends_the_security_headers(client, workshop):
    response = client.get(f"/s/{workshop.screen_token}")
    csp = response.headers["Content-Security-Policy"]
    assert "'unsafe-inline'" not in csp and "'unsafe-eval'" not in csp
    assert "frame-ancestors 'none'" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["Content-Language"] == "pl"


def test_unknown_workshop_is_a_readable_404(client):
    response = client.get("/s/nope")
    assert response.status_code == 404
    assert soup(response).select_one("#error-message")


def test_an_answer_typed_for_the_previous_question_is_not_filed_under_the_next(
    phone, facilitator, workshop, db
):
    first = models.current_stage(db, models.get_workshop(db, workshop.public_id))
    page = phone.get(f"/w/{workshop.public_id}/p").get_data(as_text=True)
    shown = BeautifulSoup(page, "html.parser").select_one("form.answer-form input[name=stage]")
    assert shown["value"] == str(first.id)
    facilitator.post(f"/w/{workshop.public_id}/stage/next")
    response = phone.post(
        f"/w/{workshop.public_id}/answers",
        data={"body": "Dla pacjentów", "stage": str(first.id)},
        headers=HX,
    )
    assert response.status_code == 409
    soup = BeautifulSoup(response.get_data(as_text=True), "html.parser")
    assert "Dla pacjentów" in soup.select_one("form.answer-form textarea[name=body]").text
    assert "zmieniło się pytanie" in soup.select_one(".status").text
    second = models.current_stage(db, models.get_workshop(db, workshop.public_id))
    assert soup.select_one("form.answer-form input[name=stage]")["value"] == str(second.id)
    assert models.list_answers(db, first) == []
    assert models.list_answers(db, second) == []
    resent = phone.post(
        f"/w/{workshop.public_id}/answers",
        data={"body": "Dla pacjentów", "stage": str(second.id)},
        headers=HX,
    )
    assert resent.status_code == 200
    assert [item.body for item in models.list_answers(db, second)] == ["Dla pacjentów"]
