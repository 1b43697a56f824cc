"""Hostile input in every form and on the poster: nothing runs, nothing 500s, nothing fetched.

The corpus test finds the forms on each page the way a browser would (BeautifulSoup), fills
every text field with each payload and posts it, with and without htmx; then it reads every
page and fragment back and looks for anything the payloads could have injected. Hypothesis
then throws random Unicode at the same kinds of fields and at the poster renderer.
"""

import datetime
import re
from contextlib import contextmanager
from urllib.parse import urlsplit

import pytest
from bs4 import BeautifulSoup
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from workshop import create_app, models
from workshop.db import connect
from workshop.poster import PosterError, PosterText, _renderer, render_poster

from .conftest import HX, make_workshop

MARK = "xq7z"  # in every payload, so anything it turns into can be found
CORPUS = [
    f"<script>{MARK}()</script>",
    f'"><img src=x onerror={MARK}()>',
    f"'><svg onload={MARK}()>",
    f'<div hx-get="/{MARK}" hx-trigger="load">{MARK}</div>',
    f'<a hx-post="/w/1/stage/next" data-hx-get="/{MARK}" hx-on:click="{MARK}()">{MARK}</a>',
    f"javascript:{MARK}()",
    f'<a href="javascript:{MARK}()">{MARK}</a> <form action="/{MARK}"><button>x</button></form>',
    f"{MARK}{{{{7*7}}}}z {{{{config}}}} {{% if 1 %}}{MARK}-if{{% endif %}}"
    f' {{{{ "{MARK}" ~ "eval" }}}}',
    f"{MARK}'); DROP TABLE answers; --",
    f"' OR '1'='1' -- {MARK}",
    "A" * 10_000 + MARK,
    f"Zażółć gęślą jaźń 🙂👩🏽‍⚕️ {MARK}",
    f"שלום עולם مرحبا بالعالم \u202e{MARK}\u202c \u2066isolate\u2069",
    f"{MARK}\x00nul\x1b[31m\x07\u200b",
]
TEMPLATE_RESULTS = (f"{MARK}49z", f"{MARK}eval", "SECRET_KEY")
INERT = {"value", "title", "alt", "aria-label", "placeholder", "content", "download"}
URL_ATTRS = {"href", "src", "action", "formaction", "hx-get", "hx-post", "sse-connect"}
TEXT_INPUTS = {"text", "search", "email", "url", "tel", "password", None}
LAST = ("override", "withdraw", "close", "clone")  # forms that end a state: post them last
DATE = datetime.date(2026, 11, 23)


def injected(html: str) -> list[str]:
    """List what in this HTML could only have come from a payload being interpreted."""
    page = BeautifulSoup(html, "html.parser")
    found = []
    for tag in page.find_all(True):
        if tag.name == "script" and not tag.get("src"):
            found.append(f"inline script: {str(tag)[:80]}")
        for name, value in tag.attrs.items():
            text = " ".join(value) if isinstance(value, list) else str(value)
            plain_data = name.startswith("data-") and not name.startswith(("data-hx", "data-sse"))
            if name.startswith("on"):
                found.append(f"event handler {name} on <{tag.name}>")
            elif name in URL_ATTRS and text.strip().lower().startswith("javascript:"):
                found.append(f"javascript: URL in {name}= of <{tag.name}>")
            elif MARK in text and name not in INERT and not plain_data:
                found.append(f"payload in {name}= of <{tag.name}>: {text[:80]}")
    text = page.get_text()
    found.extend(f"template evaluated: {result}" for result in TEMPLATE_RESULTS if result in text)
    return found


def forms_on(client, url: str, seen: set | None = None) -> list[tuple[str, list]]:
    """Return each POST form with a text field as (action, [(kind, name, value)]), once per kind.

    Forms that differ only by the id in their action (the same form for each stage, card or
    draft) count once, and so do forms whose kind is already in ``seen``.
    """
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    page = BeautifulSoup(response.get_data(as_text=True), "html.parser")
    seen, forms = set() if seen is None else seen, []
    for form in page.find_all("form"):
        if (form.get("method") or "get").lower() != "post":
            continue
        action = form.get("action") or url
        fields = []
        for element in form.find_all(["input", "textarea", "select"]):
            name = element.get("name")
            if not name or element.has_attr("disabled"):
                continue
            kind = element.name if element.name != "input" else element.get("type")
            if kind == "select":
                chosen = element.find("option", selected=True) or element.find("option")
                fields.append(
                    ("select", name, chosen.get("value", chosen.get_text()) if chosen else "")
                )
            elif kind in ("checkbox", "radio"):
                fields.append((kind, name, element.get("value", "on"), element.has_attr("checked")))
            elif kind in ("submit", "button", "file", "image", "reset"):
                continue
            else:
                fields.append((kind, name, element.get("value") or element.get_text()))
        fields = [field[:3] for field in _one_radio_each(fields)]
        if not any(_is_text(kind, name) for kind, name, _value in fields):
            continue
        signature = (re.sub(r"\d+", "N", action), tuple(sorted(f[1] for f in fields)))
        if signature not in seen:
            seen.add(signature)
            forms.append((action, fields))
    return forms


def _one_radio_each(fields: list[tuple]) -> list[tuple]:
    """Keep the checked boxes, and one radio per group (the checked one, else the first)."""
    kept, radios = [], {}
    for field in fields:
        if field[0] == "radio":
            if field[1] not in radios or field[3]:
                radios[field[1]] = field
        elif field[0] != "checkbox" or field[3]:
            kept.append(field)
    return kept + list(radios.values())


def _is_text(kind: str | None, name: str) -> bool:
    return (kind in TEXT_INPUTS or kind == "textarea") and name not in ("csrf_token", "next")


def filled(fields, payload: str) -> dict[str, str]:
    data = {}
    for kind, name, value in fields:
        data[name] = payload if _is_text(kind, name) else value
    return data


def check_page(client, url: str, headers: dict | None = None) -> None:
    response = client.get(url, headers=headers or {})
    assert response.status_code < 500, (url, response.status_code)
    if response.mimetype == "text/html":
        assert injected(response.get_data(as_text=True)) == [], url


class Room:
    """A workshop with its facilitator and one phone, and the pages each of them sees."""

    def __init__(self, app, db) -> None:
        self.app, self.db = app, db
        with app.app_context():
            self.workshop, token = make_workshop(db, title=f"Zespół {MARK}", language="en")
        self.public = self.workshop.public_id
        self.facilitator = app.test_client()
        assert self.facilitator.get(f"/f/{token}").status_code == 303
        self.phone = app.test_client()
        assert self.phone.get(f"/j/{self.workshop.join_token}").status_code == 303

    def go_to(self, kind: str) -> None:
        stage = next(s for s in models.list_stages(self.db, self.workshop) if s.kind == kind)
        self.post(self.facilitator, f"/w/{self.public}/stage/{stage.id}")

    def post(self, client, url: str, data: dict | None = None, **kwargs):
        response = client.post(url, data=data or {}, **kwargs)
        assert response.status_code < 400, (url, response.status_code)
        return response

    def my_answer(self) -> int:
        rows = self.db.query(
            "select id from answers where workshop_id = ? order by id limit 1",
            [self.workshop.id],
        )
        return next(iter(rows))["id"]

    def views(self) -> list[tuple[object, str, dict]]:
        """Every page and live fragment, as (client, URL, headers)."""
        public, screen = self.public, self.workshop.screen_token
        facilitator = [
            f"/w/{public}/control",
            f"/w/{public}/stages",
            f"/w/{public}/compare",
            f"/w/{public}/poster",
        ]
        fragments = [
            f"/w/{public}/control/{part}" for part in ("board", "round", "drafts", "people")
        ]
        phone = [f"/w/{public}/p", f"/w/{public}/name"]
        phone_parts = [f"/w/{public}/p/{part}" for part in ("board", "mission", "round")]
        screens = [f"/s/{screen}"] + [
            f"/s/{screen}/{p}" for p in ("main", "votes", "people", "join")
        ]
        return (
            [(self.facilitator, url, {}) for url in facilitator]
            + [(self.facilitator, url, HX) for url in fragments]
            + [(self.phone, url, {}) for url in phone]
            + [(self.phone, url, HX) for url in phone_parts]
            + [(self.phone, url, {}) for url in screens]
            + [(self.phone, url, HX) for url in screens[1:]]
        )


def post_the_corpus(room: Room, pages: list[tuple[object, str]]) -> int:
    """Post every payload to every form on ``pages``; return how many posts were made.

    A second pass posts to the forms the first one brought up (a theme to rename, say).
    """
    seen: set = set()
    posts = 0
    for _second in (False, True):
        forms = [(client, form) for client, url in pages for form in forms_on(client, url, seen)]
        forms.sort(key=lambda item: any(word in item[1][0] for word in LAST))
        for client, (action, fields) in forms:
            for number, payload in enumerate(CORPUS):
                headers = HX if number % 2 else {}
                path = urlsplit(action).path
                response = client.post(path, data=filled(fields, payload), headers=headers)
                assert response.status_code < 500, (action, payload[:40], response.status_code)
                if response.mimetype == "text/html":
                    html = response.get_data(as_text=True)
                    assert injected(html) == [], (action, payload[:40])
                posts += 1
    for client, url, headers in room.views():
        check_page(client, url, headers)
    return posts


@pytest.fixture
def room(tmp_path):
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "fuzz",
            "DATABASE": str(tmp_path / "fuzz.db"),
            "EXPORTS_DIR": str(tmp_path / "exports"),
            "WTF_CSRF_ENABLED": False,
            "JOIN_LIMIT_DEVICE": 10_000,
            "JOIN_LIMIT_IP": 10_000,
            "ANSWER_LIMIT": 10_000,
        }
    )
    db = connect(app.config["DATABASE"])
    yield Room(app, db)
    db.close()


def test_corpus_in_the_join_name_answer_and_question_forms(room):
    public = room.public
    room.post(room.phone, f"/w/{public}/answers", {"body": f"Seed {MARK}", "nonce": "seed"})
    answer = room.my_answer()
    pages = [
        (room.phone, "/join"),
        (room.phone, f"/w/{public}/name"),
        (room.phone, f"/w/{public}/p"),
        (room.phone, f"/w/{public}/answers/{answer}"),
        (room.facilitator, "/"),
        (room.facilitator, f"/w/{public}/control"),
        (room.facilitator, f"/w/{public}/stages"),
        (room.facilitator, f"/w/{public}/board/answers/{answer}"),
        (room.facilitator, f"/w/{public}/poster"),
    ]
    assert post_the_corpus(room, pages) >= 12 * len(CORPUS)
    page = BeautifulSoup(room.facilitator.get(f"/w/{public}/control").data, "html.parser")
    assert CORPUS[0] in page.get_text()  # shown literally, as text
    for body in room.db.query("select body from answers"):
        assert len(body["body"]) <= 280 and "\x00" not in body["body"]
        assert "\u202e" not in body["body"]
    assert "answers" in room.db.table_names()


def test_corpus_in_the_principles_stage(room):
    room.go_to("principles")
    pages = [(room.phone, f"/w/{room.public}/p"), (room.facilitator, f"/w/{room.public}/control")]
    assert post_the_corpus(room, pages) > 0


def test_corpus_in_the_mission_drafts_amendments_and_rounds(room):
    public = room.public
    room.go_to("mission")
    statement = "We care for every patient with kindness and skill, every single day."
    room.post(room.facilitator, f"/w/{public}/builder", {"builder-text": statement})
    draft = models.list_drafts(room.db, room.workshop, "mission")[0]
    room.post(room.facilitator, f"/w/{public}/drafts/{draft.draft.id}/show")
    room.post(room.facilitator, f"/w/{public}/proposals/open")
    room.post(
        room.phone,
        f"/w/{public}/versions/{draft.latest.id}/amend",
        {f"amend-{draft.draft.id}-text": f"We care {MARK} for every patient, every day."},
    )
    room.post(
        room.facilitator,
        f"/w/{public}/rounds",
        {"round-target": f"v{draft.latest.id}", "round-threshold": "80", "round-min_answers": "1"},
    )
    pages = [(room.phone, f"/w/{public}/p"), (room.facilitator, f"/w/{public}/control")]
    forms = {action for client, url in pages for action, _fields in forms_on(client, url)}
    for expected in ("/amend", "/drafts/mission", "/answer", "/builder", "/revise", "/override"):
        assert any(expected in action for action in forms), expected
    assert post_the_corpus(room, pages) > 0


def test_corpus_in_the_routine_stage(room):
    public = room.public
    room.post(room.facilitator, f"/w/{public}/stages/add", {"library": "routine"})
    room.go_to("routine")
    pages = [(room.phone, f"/w/{public}/p"), (room.facilitator, f"/w/{public}/control")]
    forms = {action for client, url in pages for action, _fields in forms_on(client, url)}
    assert any(action.endswith("/routine") for action in forms)
    assert post_the_corpus(room, pages) > 0


def test_the_checker_sees_an_injection():
    """The checks above would notice if escaping were ever switched off."""
    for payload in CORPUS[:5] + CORPUS[6:7]:
        assert injected(f"<main>{payload}</main>"), payload
    assert injected(f'<a href="{CORPUS[5]}">x</a>') == ["javascript: URL in href= of <a>"]
    assert injected(f"<p>{MARK}49z</p>") == [f"template evaluated: {MARK}49z"]
    assert injected('<input value="&lt;script&gt;xq7z()&lt;/script&gt;">') == []


# ── Hypothesis: random Unicode in the forms ──────────────────────────────────────────────

FUZZ = settings(
    max_examples=40,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)
texts = st.one_of(st.text(max_size=300), st.text(min_size=250, max_size=1200))


@pytest.fixture(scope="module")
def fuzz_rooms(tmp_path_factory):
    """Two workshops in one app: one at its first question, one drafting its mission."""
    base = tmp_path_factory.mktemp("hypothesis")
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "fuzz",
            "DATABASE": str(base / "fuzz.db"),
            "EXPORTS_DIR": str(base / "exports"),
            "WTF_CSRF_ENABLED": False,
            "RATE_LIMITS": False,
        }
    )
    db = connect(app.config["DATABASE"])
    question, mission = Room(app, db), Room(app, db)
    mission.go_to("mission")
    statement = "We care for every patient with kindness and skill, every single day."
    mission.post(mission.facilitator, f"/w/{mission.public}/builder", {"builder-text": statement})
    draft = models.list_drafts(db, mission.workshop, "mission")[0]
    mission.post(mission.facilitator, f"/w/{mission.public}/drafts/{draft.draft.id}/show")
    mission.post(
        mission.facilitator,
        f"/w/{mission.public}/rounds",
        {"round-target": f"v{draft.latest.id}", "round-threshold": "80", "round-min_answers": "1"},
    )
    yield question, mission, draft
    db.close()


def new_phone(room: Room):
    phone = room.app.test_client()
    assert phone.get(f"/j/{room.workshop.join_token}").status_code == 303
    return phone


def assert_fine(response) -> None:
    assert response.status_code < 500, response.status_code
    if response.mimetype == "text/html":
        assert injected(response.get_data(as_text=True)) == []


@FUZZ
@given(text=texts, detail=st.text(max_size=300), hx=st.booleans())
def test_random_text_from_phones(fuzz_rooms, text, detail, hx):
    question, _mission, _draft = fuzz_rooms
    phone = new_phone(question)
    headers = HX if hx else {}
    public = question.public
    assert_fine(phone.post("/join", data={"code": text}, headers=headers))
    assert_fine(phone.post(f"/w/{public}/name", data={"display_name": text}, headers=headers))
    sent = phone.post(f"/w/{public}/answers", data={"body": text, "detail": detail, "nonce": text})
    assert_fine(sent)
    for row in question.db.query("select body, detail from answers"):
        for value in row.values():
            assert len(value) <= 280
            assert not re.search("[\x00-\x08\x0b-\x1f\u202a-\u202e\u2066-\u2069]", value)


@settings(FUZZ, max_examples=25)
@given(text=texts, other=st.text(max_size=200))
def test_random_text_from_the_facilitator(fuzz_rooms, text, other):
    question, _mission, _draft = fuzz_rooms
    stage = models.current_stage(question.db, question.workshop)
    public, facilitator = question.public, question.facilitator
    posts = [
        (f"/w/{public}/stages/{stage.id}/themes", {"theme-name": text}),
        (f"/w/{public}/themes/1/rename", {"theme-name": other}),
        (f"/w/{public}/people", {"person-name": text}),
        (f"/w/{public}/stages/{stage.id}/edit", {"title": text or "x", "prompt": other}),
        (f"/w/{public}/stages/add", {"new-title": text, "new-prompt": other}),
        (f"/w/{public}/principles", {"principles-0-name": text, "principles-0-line": other}),
        (f"/w/{public}/builder", {"builder-why": text, "builder-text": other}),
    ]
    for url, data in posts:
        assert_fine(facilitator.post(url, data=data, headers=HX))
    stage = models.current_stage(question.db, question.workshop)
    facilitator.post(f"/w/{public}/stages/{stage.id}/edit", data={"title": "Why?", "prompt": ""})
    assert_fine(facilitator.get(f"/w/{public}/control"))


@FUZZ
@given(text=texts, level=st.sampled_from(["1", "2", "3", "4", "5", "0", "x", ""]))
def test_random_text_in_amendments_proposals_and_round_answers(fuzz_rooms, text, level):
    _question, mission, draft = fuzz_rooms
    phone = new_phone(mission)
    public = mission.public
    round_ = models.current_round(mission.db, mission.workshop)
    posts = [
        (f"/w/{public}/versions/{draft.latest.id}/amend", {f"amend-{draft.draft.id}-text": text}),
        (f"/w/{public}/drafts/mission", {"propose-mission-text": text}),
        (f"/w/{public}/rounds/{round_.id}/answer", {"level": level, "reason": text}),
    ]
    for url, data in posts:
        assert_fine(phone.post(url, data=data, headers=HX))
        assert_fine(phone.post(url, data=data))


# ── The poster: renders or refuses, and fetches nothing from outside ─────────────────────


@pytest.fixture(scope="module")
def poster_app(tmp_path_factory):
    base = tmp_path_factory.mktemp("poster-fuzz")
    return create_app({"TESTING": True, "SECRET_KEY": "x", "DATABASE": str(base / "p.db")})


@contextmanager
def fetches(app):
    """Record every URL the poster renderer asks its fetcher for."""
    with app.app_context():
        fetcher = _renderer().fetcher
        asked: list[str] = []
        original = fetcher.fetch

        def spy(url, headers=None):
            asked.append(url)
            return original(url, headers)

        fetcher.fetch = spy
        try:
            yield asked
        finally:
            del fetcher.fetch


def test_the_poster_fetcher_refuses_the_outside_world(poster_app):
    with poster_app.app_context():
        fetcher = _renderer().fetcher
    for url in (
        "http://127.0.0.1:9/x.png",
        "https://example.org/font.woff2",
        "file:///etc/passwd",
        "ftp://example.org/x.css",
        "//example.org/x.png",
    ):
        with pytest.raises(ValueError):
            fetcher.fetch(url)


def test_markup_in_the_poster_text_fetches_nothing(poster_app):
    hostile = (
        '<img src="http://127.0.0.1:9/x.png"> <link rel=stylesheet href="http://127.0.0.1:9/s.css">'
    )
    text = PosterText(
        team=f"Zespół {hostile}",
        mission=f"We care for every patient {hostile} with kindness, every single day.",
        principles=(("Kindness", hostile), ("Honesty", "<style>@import url(http://x/)</style>")),
        language="pl",
        date=DATE,
        city='<svg><image href="http://127.0.0.1:9/i.png"/></svg>',
    )
    with fetches(poster_app) as asked, poster_app.app_context():
        pdf = render_poster(text)
    assert pdf.startswith(b"%PDF")
    assert asked and all(url.startswith(("file:", "data:")) for url in asked), asked


# Mostly text the poster's fonts can print (so most examples really render), now and then
# anything at all (which the poster must refuse by name, never crash on).
PRINTABLE = st.characters(min_codepoint=0x20, max_codepoint=0x7E) | st.sampled_from(
    list("ąćęłńóśźżĄĆĘŁŃÓŚŹŻàéüßñ–—„”…€\u202e\u2066\x00\t\n")
)


def poster_texts(max_size: int, min_size: int = 0):
    printable = st.text(PRINTABLE, min_size=min_size, max_size=max_size)
    return st.one_of(printable, printable, printable, st.text(max_size=max_size))


principle = st.tuples(poster_texts(40, min_size=1), poster_texts(160))


@settings(max_examples=30, deadline=None, derandomize=True)
@given(
    team=poster_texts(80),
    mission=poster_texts(400, min_size=1),
    principles=st.lists(principle, min_size=1, max_size=8) | st.lists(principle, max_size=14),
    city=poster_texts(40),
)
def test_the_poster_renders_or_refuses_any_text(poster_app, team, mission, principles, city):
    text = PosterText(team, mission, tuple(principles), "pl", DATE, city)
    with fetches(poster_app) as asked, poster_app.app_context():
        try:
            pdf = render_poster(text)
        except PosterError as refusal:
            assert str(refusal)
        else:
            assert pdf.startswith(b"%PDF")
    assert all(url.startswith(("file:", "data:")) for url in asked), asked
