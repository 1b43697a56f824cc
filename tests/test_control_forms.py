"""The control page's forms through the test client: refusals tied to the form that caused
them, with and without scripts; dots on someone's behalf; the facilitator's own labels."""

from bs4 import BeautifulSoup

from workshop import models
from workshop.forms import BuilderForm
from workshop.method import compose_statement

from .conftest import HX, swapped


def soup(response) -> BeautifulSoup:
    return swapped(response)


POST_FORM = """{% from "macros/forms.html" import post_form %}
{% call post_form(url, *args, **kwargs) %}<button type="submit">Go</button>{% endcall %}"""


def post_form(app, url: str, *args, **kwargs) -> BeautifulSoup:
    """Render the post_form macro as a template would call it; return its form."""
    with app.test_request_context("/"):
        html = app.jinja_env.from_string(POST_FORM).render(url=url, args=args, kwargs=kwargs)
    return BeautifulSoup(html, "html.parser").form


def test_a_post_form_writes_its_url_once_for_action_and_htmx(app):
    app.config["WTF_CSRF_ENABLED"] = True
    form = post_form(app, "/w/x/stage/next")
    assert form["method"] == "post"
    assert form["action"] == form["hx-post"] == "/w/x/stage/next"
    assert form["hx-target"] == "#control-main"  # the control page's main area unless told
    assert [i["name"] for i in form.select("input[type=hidden]")] == ["csrf_token"]
    assert form.select_one("input")["value"]
    assert form.button.get_text() == "Go"


def test_a_post_form_carries_a_prefixed_forms_own_token_and_extra_attributes(app):
    app.config["WTF_CSRF_ENABLED"] = True
    with app.test_request_context("/"):
        builder = BuilderForm(formdata=None, prefix="builder")
    form = post_form(
        app,
        "/w/x/builder",
        builder,
        target="#phone-stage",
        class_="stack builder",
        id="builder-form",
        hx_disabled_elt="find button",
    )
    assert form["hx-target"] == "#phone-stage"
    assert form["class"] == ["stack", "builder"]
    assert form["id"] == "builder-form"
    assert form["hx-disabled-elt"] == "find button"
    assert [i["name"] for i in form.select("input")] == ["builder-csrf_token"]


def test_a_post_form_without_a_target_is_a_plain_form(app):
    form = post_form(app, "/w/x/access/new-link", target=None)
    assert form["action"] == "/w/x/access/new-link"
    assert not form.has_attr("hx-post") and not form.has_attr("hx-target")
    assert not form.select("input")  # CSRF protection is off in this app: no token, no session


def test_every_form_on_the_control_page_posts_where_it_says_with_a_token(
    app, facilitator, phone, workshop, db
):
    app.config["WTF_CSRF_ENABLED"] = True
    stage = models.current_stage(db, workshop)
    models.add_answer(db, workshop, stage, models.list_participants(db, workshop)[0], "Dobro")
    page = soup(facilitator.get(f"/w/{workshop.public_id}/control"))
    forms = page.select("form[method=post]")
    assert len(forms) > 20
    for form in forms:
        assert form.get("hx-post", form["action"]) == form["action"]
        assert len(form.select("input[name$=csrf_token]")) == 1, form["action"]


def test_a_refusal_names_the_form_that_caused_it(facilitator, workshop, db):
    stage = models.current_stage(db, workshop)
    url = f"/w/{workshop.public_id}/stages/{stage.id}/themes"
    response = facilitator.post(url, data={"theme-name": " "}, headers=HX)
    assert response.status_code == 422
    box = soup(response).select_one("#control-errors")
    assert box["data-error-for"] == url
    assert soup(response).select_one(f"form[action='{url}']")


def test_without_scripts_a_refusal_shows_on_the_page_instead_of_vanishing(
    facilitator, workshop, db
):
    stage = models.current_stage(db, workshop)
    url = f"/w/{workshop.public_id}/stages/{stage.id}/themes"
    response = facilitator.post(url, data={"theme-name": " "})
    assert response.status_code == 422
    page = soup(response)
    assert page.select_one("header.control-header")  # the whole page, not a fragment
    assert page.select_one("#control-errors").get_text(strip=True)
    done = facilitator.post(url, data={"theme-name": "Życzliwość"})
    assert done.status_code == 303


def test_dots_on_behalf_offer_only_answers_that_can_take_dots_and_keep_the_person(
    facilitator, workshop, db
):
    stage = models.current_stage(db, workshop)
    ania = models.add_person_without_phone(db, workshop, "Ania")
    texts = ["Widoczna", "Ukryta", "Do przejrzenia", "Scalona", "Głowa"]
    answers = [models.add_answer(db, workshop, stage, ania, text) for text in texts]
    models.moderate(db, workshop, answers[1], "hidden")
    models.moderate(db, workshop, answers[2], "flagged")
    models.merge_answers(db, workshop, answers[3], answers[4])
    models.open_voting(db, workshop, models.current_stage(db, workshop), budget=1)
    page = soup(facilitator.get(f"/w/{workshop.public_id}/control"))
    offered = {int(o["value"]) for o in page.select("select[name='dot-answer'] option")}
    assert offered == {answers[0].id, answers[4].id}

    url = f"/w/{workshop.public_id}/on-behalf/dot"
    data = {"dot-person": ania.id, "dot-answer": answers[0].id}
    placed = soup(facilitator.post(url, data=data, headers=HX))
    assert placed.select_one("select[name='dot-person'] option[selected]")["value"] == str(ania.id)
    refused = facilitator.post(url, data=data, headers=HX)  # her one dot is spent
    assert refused.status_code == 422
    chosen = soup(refused).select_one("select[name='dot-person'] option[selected]")
    assert chosen["value"] == str(ania.id)


def test_a_principle_without_its_line_is_flagged_and_kept_off_screen_and_phones(
    facilitator, phone, client, workshop, db
):
    mission = [s for s in models.list_stages(db, workshop) if s.kind == "mission"][0]
    models.move_to_stage(db, workshop, mission)
    url = f"/w/{workshop.public_id}/principles"
    data = {"principles-0-name": "Słuchamy", "principles-1-name": "Mówimy prosto"}
    data["principles-1-line"] = "Bez żargonu."
    data["principles-2-name"] = ""
    saved = soup(facilitator.post(url, data=data, headers=HX))
    assert [p.name for p in models.list_principles(db, workshop)] == ["Słuchamy", "Mówimy prosto"]
    assert saved.select_one("#principles-0-line")["aria-describedby"] == "principles-0-line-missing"
    assert len(saved.select(".principles-form .row-flag")) == 1
    screen = client.get(f"/s/{workshop.screen_token}").get_data(as_text=True)
    assert "Mówimy prosto" in screen and "Słuchamy" not in screen
    page = phone.get(f"/w/{workshop.public_id}/p").get_data(as_text=True)
    assert "Mówimy prosto" in page and "Słuchamy" not in page


def test_add_a_row_adds_one_more_than_the_editor_showed(facilitator, workshop, db):
    mission = [s for s in models.list_stages(db, workshop) if s.kind == "mission"][0]
    models.move_to_stage(db, workshop, mission)
    url = f"/w/{workshop.public_id}/principles"
    blank = {f"principles-{i}-name": "" for i in range(5)}
    response = facilitator.post(url, data={**blank, "add_row": "1"}, headers=HX)
    assert len(soup(response).select(".principles-form input[name$='-name']")) == 6


# Wording ------------------------------------------------------------------------------------


def test_a_join_code_with_a_letter_no_code_has_names_that_letter(client, workshop):
    page = soup(client.post("/join", data={"code": "TX5-WKO"}))
    error = page.select_one(".errors").get_text(strip=True)
    assert "„O”" in error and "6" not in error
    short = soup(client.post("/join", data={"code": "TX5-WK"})).select_one(".errors")
    assert "6" in short.get_text()


def test_the_facilitators_answer_forms_are_not_labelled_as_their_own(facilitator, workshop, db):
    stage = models.current_stage(db, workshop)
    models.add_person_without_phone(db, workshop, "Ania")
    item = models.add_answer(db, workshop, stage, None, "Uśmiech", entered_by="facilitator")
    control = soup(facilitator.get(f"/w/{workshop.public_id}/control"))
    card = soup(facilitator.get(f"/w/{workshop.public_id}/board/answers/{item.id}"))
    for label in (
        control.select_one("label[for='behalf-body']"),
        card.select_one("label[for='body']"),
    ):
        assert label.get_text(strip=True) == "Treść odpowiedzi"


def test_the_statement_builder_punctuates_the_sentence_in_both_languages(app):
    with app.test_request_context():
        polish = compose_statement(
            "pl", "Skracać czas w kolejce.", "dla rodzin z dziećmi", "dobrą organizację"
        )
        english = compose_statement(
            "en", "to shorten the wait", "families with children", "By planning well!"
        )
    assert polish == (
        "Istniejemy, aby skracać czas w kolejce, dla rodzin z dziećmi, poprzez dobrą organizację."
    )
    assert english == "We exist to shorten the wait, for families with children, by planning well."


def test_the_merged_badge_counts_the_answers_not_a_vote(client, phone, workshop, db):
    stage = models.current_stage(db, workshop)
    first = models.add_answer(db, workshop, stage, None, "Uśmiech", entered_by="facilitator")
    second = models.add_answer(
        db, workshop, stage, None, "Uśmiech!", entered_by="facilitator"
    )
    models.merge_answers(db, workshop, second, first)
    badge = soup(client.get(f"/s/{workshop.screen_token}")).select_one(".merged-badge")
    assert badge.select_one("[aria-hidden]").get_text(strip=True) == "2 połączone"


# Word limits at save ------------------------------------------------------------------------


def test_a_draft_over_the_word_limit_is_refused_when_saved(facilitator, phone, workshop, db):
    url = f"/w/{workshop.public_id}"
    long = " ".join(["słowo"] * 122)
    refused = facilitator.post(f"{url}/builder", data={"builder-text": long}, headers=HX)
    assert refused.status_code == 422
    assert "122" in soup(refused).select_one("#control-errors").get_text()
    assert models.list_drafts(db, workshop) == []
    facilitator.post(f"{url}/builder", data={"builder-text": " ".join(["słowo"] * 120)})
    line = models.list_drafts(db, workshop)[0]
    revised = facilitator.post(
        f"{url}/drafts/{line.draft.id}/revise",
        data={f"revise-{line.draft.id}-text": long},
        headers=HX,
    )
    assert revised.status_code == 422
    assert len(models.list_drafts(db, workshop)[0].versions) == 1
    models.set_proposals_open(db, workshop, True)
    mission = [s for s in models.list_stages(db, workshop) if s.kind == "mission"][0]
    models.move_to_stage(db, workshop, mission)
    proposed = phone.post(f"{url}/drafts/mission", data={"propose-mission-text": long}, headers=HX)
    assert proposed.status_code == 422
    assert "122" in soup(proposed).select_one(".errors").get_text()
    page = soup(facilitator.get(f"{url}/control"))
    assert page.select_one("#builder-text")["data-max-words"] == "120"
    assert page.select_one(f"#revise-{line.draft.id}-text")["data-max-words"] == "120"
