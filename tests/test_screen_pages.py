"""The projector shows every answer (the page holds them all; static/js/app.js pages them),
and the facilitator can hold the pages or turn them from the control page."""

from bs4 import BeautifulSoup

from workshop import models

from .conftest import HX, join


def soup(response):
    return BeautifulSoup(response.get_data(as_text=True), "html.parser")


def pages_url(workshop, action):
    return f"/w/{workshop.public_id}/screen-pages/{action}"


def screen_state(client, workshop):
    held = soup(client.get(f"/s/{workshop.screen_token}")).select_one("#screen-pages-state")
    return held["data-paused"], held["data-step"]


def test_only_the_facilitator_holds_or_turns_the_screens_pages(app, client, workshop, db):
    phone = app.test_client()
    join(phone, workshop)
    for who in (client, phone):
        for action in ("pause", "resume", "next", "previous"):
            assert who.post(pages_url(workshop, action)).status_code == 403
            assert who.post(pages_url(workshop, action), headers=HX).status_code == 403
        assert who.get(f"/w/{workshop.public_id}/screen-pages").status_code == 403
    assert models.get_screen_pages(db, workshop) == models.ScreenPages(paused=False, step=0)
    assert client.post(pages_url(workshop, "sideways")).status_code == 404


def test_pause_and_steps_are_kept_and_the_screen_is_told(facilitator, client, workshop, db):
    assert screen_state(client, workshop) == ("0", "0")
    before = models.latest_event_id(db, workshop)
    response = facilitator.post(pages_url(workshop, "pause"))
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/w/{workshop.public_id}/control")
    for action in ("next", "next", "previous", "next"):
        facilitator.post(pages_url(workshop, action))
    assert models.get_screen_pages(db, workshop) == models.ScreenPages(paused=True, step=2)
    kinds = [e["kind"] for e in models.workshop_events_after(db, workshop.id, before)]
    assert kinds == ["screen-pages-changed"] * 5
    # A reloaded screen keeps the hold; its live fragment is only the state.
    assert screen_state(client, workshop) == ("1", "2")
    fragment = soup(client.get(f"/s/{workshop.screen_token}/pages", headers=HX))
    assert [tag.name for tag in fragment.find_all(recursive=False)] == ["div"]
    assert fragment.select_one("#screen-pages-state")["data-step"] == "2"
    facilitator.post(pages_url(workshop, "resume"))
    assert screen_state(client, workshop) == ("0", "2")


def test_the_page_controls_are_plain_forms_that_swap_themselves(app, facilitator, workshop):
    app.config["WTF_CSRF_ENABLED"] = True  # each form carries the token the protection checks
    page = soup(facilitator.get(f"/w/{workshop.public_id}/control"))
    controls = page.select_one("#screen-pages")
    assert controls is not None, "the control page includes the page controls"
    forms = controls.select("form")
    assert [form["action"].rsplit("/", 1)[1] for form in forms] == ["previous", "pause", "next"]
    for form in forms:
        assert form["method"] == "post" and form["hx-post"] == form["action"]
        assert form.select_one("input[name=csrf_token]")
    token = {"csrf_token": forms[1].select_one("input[name=csrf_token]")["value"]}
    answer = soup(facilitator.post(pages_url(workshop, "pause"), data=token, headers=HX))
    assert answer.select_one("#screen-pages form[action$='/resume'] button")
    assert "#screen-pages" in answer.select_one("#screen-pages form")["hx-target"]
    live = soup(facilitator.get(f"/w/{workshop.public_id}/screen-pages", headers=HX))
    assert live.select_one("#screen-pages form[action$='/resume']")


def test_the_screen_holds_every_answer_in_full(client, workshop, db):
    stage = models.current_stage(db, workshop)
    people = [models.add_participant(db, workshop)[0] for _ in range(14)]
    long = "Słuchamy do końca, " * 14
    bodies = [f"Odpowiedź {n}: " + (long if n % 4 == 0 else "krótko") for n in range(14)]
    for person, body in zip(people, bodies, strict=True):
        models.add_answer(db, workshop, stage, person, body.strip())
    page = soup(client.get(f"/s/{workshop.screen_token}"))
    shown = [card.get_text() for card in page.select("[data-pages=screen-cards] .card-text")]
    assert shown == [body.strip() for body in bodies]

    # Themes: every card of every theme, and the ones not grouped yet.
    theme = models.add_theme(db, workshop, stage, "Czas")
    for item in models.list_answers(db, stage)[:9]:
        models.set_theme(db, workshop, item, theme)
    page = soup(client.get(f"/s/{workshop.screen_token}"))
    themes = page.select_one("[data-pages=screen-themes]")
    assert [h.get_text(" ", strip=True) for h in themes.select(".theme-name")] == [
        "Czas 9",
        "Jeszcze bez tematu 5",
    ]
    assert len(themes.select(".screen-card")) == 14

    # Results: every answer, and both of a tie.
    models.open_voting(db, workshop, stage, budget=3)
    items = models.list_answers(db, stage)
    dots = [items[0], items[1], items[2], items[2], items[1]]  # 2, 2 and 1: a tie on top
    for person, item in zip(people, dots, strict=False):
        models.cast_vote(db, workshop, person, item)
    stage = models.get_stage(db, workshop, stage.id)
    models.close_voting(db, workshop, stage)
    models.reveal_results(db, workshop, models.get_stage(db, workshop, stage.id))
    page = soup(client.get(f"/s/{workshop.screen_token}"))
    places = [r.select_one(".result-place").get_text() for r in page.select(".result")]
    assert places[:3] == ["1", "1", "3"] and len(places) == 14
