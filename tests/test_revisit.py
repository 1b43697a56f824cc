"""Revisit next year from the clients' feedback: the last 12 months' comments become answers
on "What do we give others?", marked as from clients, and the principles felt least often
become a prompt on the principles stage."""

import re
from datetime import UTC, datetime, timedelta

from flask_babel import force_locale

from workshop import models
from workshop.method import give_question

from .test_feedback import agree_principles
from .test_retention import travel_to

LONG_AGO = (datetime.now(UTC) - timedelta(days=400)).isoformat(timespec="seconds")
PRINCIPLES = ("Kindness", "Punctuality", "Clarity", "Patience")


def a_year_of_feedback(db, workshop, monkeypatch):
    workshop = agree_principles(db, workshop, PRINCIPLES)
    with monkeypatch.context() as patch:
        travel_to(patch, LONG_AGO)  # too old to count: Punctuality felt only then
        models.add_feedback(db, workshop, 5, ["Punctuality"], "Comment from long ago")
    felt = [["Kindness"], ["Kindness", "Patience"], ["Kindness", "Clarity", "Patience"], []]
    comments = ["You listened to me", "", "The waiting room was cold", "x " * 200]
    for names, comment in zip(felt, comments, strict=True):
        models.add_feedback(db, workshop, 4, names, comment)
    return workshop


def test_the_year_is_read_with_simple_queries(db, workshop, monkeypatch):
    workshop = a_year_of_feedback(db, workshop, monkeypatch)
    since = (datetime.now(UTC) - timedelta(days=365)).isoformat(timespec="seconds")
    assert models.count_feedback_since(db, workshop, since) == 4
    comments = models.comments_since(db, workshop, since, 10)
    assert comments[1:] == ["The waiting room was cold", "You listened to me"]
    assert models.comments_since(db, workshop, since, 1) == comments[:1]
    least = models.least_felt_principles(db, workshop, since, 3)
    assert least == [("Punctuality", 0), ("Clarity", 1), ("Patience", 2)]


def clone(facilitator, workshop, **extra):
    data = {"clone-title": "Przychodnia 2027", **extra}
    response = facilitator.post(f"/w/{workshop.public_id}/clone", data=data)
    assert response.status_code == 303
    public_id = re.search(r"/w/([^/]+)/control", response.headers["Location"]).group(1)
    return public_id


def test_cloning_with_the_feedback_brings_the_comments_and_least_felt_principles(
    app, db, workshop, facilitator, monkeypatch
):
    workshop = a_year_of_feedback(db, workshop, monkeypatch)
    page = facilitator.get(f"/w/{workshop.public_id}/stages").get_data(as_text=True)
    assert re.search(r'<input[^>]*checked[^>]*name="clone-from_feedback"', page) or re.search(
        r'<input[^>]*name="clone-from_feedback"[^>]*checked', page
    )
    copy = models.get_workshop(db, clone(facilitator, workshop, **{"clone-from_feedback": "y"}))
    stages = models.list_stages(db, copy)
    with app.test_request_context(), force_locale(copy.language):
        give_title = give_question()
    give = next(s for s in stages if s.title == give_title)
    answers = models.list_answers(db, give)
    assert [a.body for a in answers][1:] == ["The waiting room was cold", "You listened to me"]
    assert len(answers[0].body) <= 280 and answers[0].body.endswith("…")
    assert {a.entered_by for a in answers} == {"client"} and all(a.detail for a in answers)
    assert "Comment from long ago" not in {a.body for a in answers}
    principles = next(s for s in stages if s.kind == "principles")
    assert "Punctuality (0×), Clarity (1×), Patience (2×)" in principles.prompt
    assert "Kindness" not in principles.prompt
    original = models.list_stages(db, workshop)
    assert all(models.count_answers(db, s) == 0 for s in original)  # nothing added there


def test_cloning_without_the_checkbox_brings_no_feedback(db, workshop, facilitator, monkeypatch):
    workshop = a_year_of_feedback(db, workshop, monkeypatch)
    copy = models.get_workshop(db, clone(facilitator, workshop))
    assert all(models.count_answers(db, s) == 0 for s in models.list_stages(db, copy))
    principles = next(s for s in models.list_stages(db, copy) if s.kind == "principles")
    assert "Punctuality" not in principles.prompt


def test_without_feedback_the_checkbox_starts_unticked(workshop, facilitator):
    page = facilitator.get(f"/w/{workshop.public_id}/stages").get_data(as_text=True)
    field = re.search(r'<input[^>]*name="clone-from_feedback"[^>]*>', page).group(0)
    assert "checked" not in field


def test_a_comment_the_word_filter_flags_is_held_as_any_answer_is(app, db, workshop):
    marker = "From a client's feedback"
    # The stage is found by its title in the workshop's language.
    with app.test_request_context(), force_locale(workshop.language):
        comments = ("You are all idiots", "Kind nurses")
        material = models.RevisitMaterial(give_question(), comments, marker, "")
    assert models.add_revisit_material(db, workshop, material) == 2
    answers = {a.body: a for a in models.list_workshop_answers(db, workshop)}
    assert answers["You are all idiots"].moderation == "flagged"
    assert answers["Kind nurses"].moderation == "visible"
    assert answers["Kind nurses"].entered_by == "client" and answers["Kind nurses"].detail == marker
