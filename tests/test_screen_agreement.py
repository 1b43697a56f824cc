"""The projector's agreement views: the routine's starting wording, the Agreed reveal with a
slim joining footer, and the framed poster shown on the screen at the facilitator's word."""

from bs4 import BeautifulSoup
from flask_babel import force_locale

from workshop import models
from workshop.method import routine_steps

from .conftest import HX, join

MISSION = "Każdego dnia troszczymy się o zdrowie i spokój naszych pacjentów z okolicy."
PRINCIPLES = [
    ("Życzliwość", "witamy każdego z uśmiechem"),
    ("Rzetelność", "leczymy zgodnie z wiedzą"),
    ("Szacunek", "chronimy godność pacjenta"),
]
ROUTINE = [
    "Słuchamy do końca, nie przerywamy.",
    "Pytamy, żeby zrozumieć.",
    "Patrzymy z ich strony.",
    "Naprawiamy i przepraszamy.",
    "Pytamy, czy do nas wrócą.",
]


def soup(response):
    return BeautifulSoup(response.get_data(as_text=True), "html.parser")


def go_to(db, workshop, kind):
    stage = next(s for s in models.list_stages(db, workshop) if s.kind == kind)
    models.move_to_stage(db, workshop, stage)
    return stage


def agree_mission(db, workshop):
    models.save_mission(db, workshop, MISSION)
    models.replace_principles(db, workshop, PRINCIPLES)
    models.mark_agreed(db, workshop)
    return models.get_workshop(db, workshop.public_id)


def screen(client, workshop):
    return soup(client.get(f"/s/{workshop.screen_token}"))


def test_the_routine_stage_starts_from_the_methods_five_steps(app, client, db, workshop):
    models.add_stage(db, workshop, "routine", "Nasza procedura", "Pięć kroków")
    go_to(db, workshop, "routine")
    page = screen(client, workshop)
    steps = [li.get_text(strip=True) for li in page.select("#screen-main .screen-routine li")]
    assert page.select_one("#screen-main.mode-routine")
    with app.test_request_context(), force_locale(workshop.language):
        assert steps == routine_steps()
    assert len(steps) == 5


def test_the_routine_stage_shows_the_teams_own_wording_once_written(client, db, workshop):
    models.add_stage(db, workshop, "routine", "Nasza procedura", "Pięć kroków")
    go_to(db, workshop, "routine")
    models.propose_draft(db, workshop, "\n".join(ROUTINE), kind="routine")
    page = screen(client, workshop)
    assert [li.get_text(strip=True) for li in page.select("#screen-main .draft-text li")] == ROUTINE
    assert not page.select("#screen-main .screen-routine")


def test_the_agreed_stage_reveals_mission_principles_and_routine_with_a_slim_footer(
    client, db, workshop
):
    models.add_stage(db, workshop, "routine", "Nasza procedura", "Pięć kroków")
    models.propose_draft(db, workshop, "\n".join(ROUTINE), kind="routine")
    line = models.list_drafts(db, workshop, "routine")[0]
    round_ = models.open_round(db, workshop, "routine", line.latest, min_answers=1)
    person, _key = models.add_participant(db, workshop)
    models.answer_round(db, workshop, round_, person, 1)
    models.close_round(db, workshop, round_)
    agreed = agree_mission(db, workshop)
    go_to(db, agreed, "agreed")
    page = screen(client, agreed)
    main = page.select_one("#screen-main")
    assert "mode-mission" in main["class"] and "reveal" in main["class"]
    assert "join-slim" in main["class"]
    assert main.select_one(".screen-mission").get_text(strip=True) == MISSION
    items = main.select(".screen-principles li")
    names = [li.select_one(".principle-name").get_text(strip=True) for li in items]
    assert names == [name for name, _line in PRINCIPLES]
    assert [li.get_text(strip=True) for li in main.select(".screen-routine li")] == ROUTINE


def test_the_question_stages_keep_the_full_joining_panel(client, workshop):
    main = screen(client, workshop).select_one("#screen-main")
    assert "join-slim" not in main["class"]


def test_closed_joining_shrinks_the_panel_to_a_footer(client, db, workshop):
    models.set_joining_locked(db, workshop, True)
    page = screen(client, workshop)
    assert page.select_one("#screen-join.join-locked")
    assert not page.select("#screen-join .join-qr")
    # The code and QR code are gone: the hint no longer points at them.
    assert page.select_one(".screen-hint").get_text(strip=True) == "Odpowiadaj na telefonie."


def test_the_poster_goes_on_the_screen_only_once_agreed(app, db, workshop, facilitator, client):
    url = f"/w/{workshop.public_id}/poster/screen"
    refused = facilitator.post(f"{url}/show", headers=HX)
    assert refused.status_code == 422
    assert soup(refused).select_one(".alert-error")
    assert not models.get_workshop(db, workshop.public_id).poster_on_screen
    assert client.get(f"/s/{workshop.screen_token}/poster.png").status_code == 404


def test_the_facilitator_shows_the_poster_on_the_screen_and_takes_it_off(
    app, db, workshop, facilitator, client
):
    agreed = agree_mission(db, workshop)
    go_to(db, agreed, "agreed")
    control = soup(facilitator.get(f"/w/{workshop.public_id}/control"))
    button = control.select_one("form.screen-poster-switch button")
    assert button["aria-pressed"] == "false"
    assert control.select_one("form.screen-poster-switch")["action"].endswith("/show")
    before = models.latest_event_id(db, agreed)

    shown = facilitator.post(f"/w/{workshop.public_id}/poster/screen/show", headers=HX)
    assert shown.status_code == 200
    assert soup(shown).select_one("form.screen-poster-switch button")["aria-pressed"] == "true"
    assert models.get_workshop(db, workshop.public_id).poster_on_screen
    kinds = [e["kind"] for e in models.workshop_events_after(db, agreed.id, before)]
    assert "mission-changed" in kinds

    main = soup(client.get(f"/s/{workshop.screen_token}/main", headers=HX))
    image = main.select_one(".screen-poster img")
    assert image and image["alt"]
    assert not main.select(".screen-mission")
    png = client.get(image["src"])
    assert png.status_code == 200
    assert png.mimetype == "image/png"
    assert png.data[:8] == b"\x89PNG\r\n\x1a\n"
    assert "max-age" in png.headers["Cache-Control"]
    again = client.get(image["src"], headers={"If-None-Match": png.headers["ETag"]})
    assert again.status_code == 304

    without_js = facilitator.post(f"/w/{workshop.public_id}/poster/screen/hide")
    assert without_js.status_code == 303
    assert not models.get_workshop(db, workshop.public_id).poster_on_screen
    main = soup(client.get(f"/s/{workshop.screen_token}/main", headers=HX))
    assert not main.select(".screen-poster")
    assert main.select_one(".screen-mission").get_text(strip=True) == MISSION


def test_the_poster_stays_off_the_screen_on_other_stages(db, workshop, facilitator, client):
    agreed = agree_mission(db, workshop)
    go_to(db, agreed, "agreed")
    facilitator.post(f"/w/{workshop.public_id}/poster/screen/show")
    go_to(db, agreed, "question")
    assert not screen(client, agreed).select(".screen-poster")


def test_only_the_facilitator_can_put_the_poster_on_the_screen(app, db, workshop, client):
    agree_mission(db, workshop)
    phone = app.test_client()
    join(phone, workshop)
    for device in (client, phone):
        response = device.post(f"/w/{workshop.public_id}/poster/screen/show")
        assert response.status_code in (403, 404)
    assert not models.get_workshop(db, workshop.public_id).poster_on_screen


def test_a_poster_that_cannot_be_drawn_leaves_the_text_on_the_screen(
    monkeypatch, db, workshop, facilitator, client
):
    from collections import OrderedDict

    from workshop import exports, poster

    agreed = agree_mission(db, workshop)
    go_to(db, agreed, "agreed")
    facilitator.post(f"/w/{workshop.public_id}/poster/screen/show")
    assert models.get_workshop(db, workshop.public_id).poster_on_screen

    def too_long(*args, **kwargs):
        raise poster.PosterError("too long")

    monkeypatch.setattr(exports, "_previews", OrderedDict())
    monkeypatch.setattr(poster, "render_preview", too_long)
    main = soup(client.get(f"/s/{workshop.screen_token}/main", headers=HX))
    assert not main.select(".screen-poster")
    assert main.select_one(".screen-mission").get_text(strip=True) == MISSION
    assert client.get(f"/s/{workshop.screen_token}/poster.png").status_code == 404
