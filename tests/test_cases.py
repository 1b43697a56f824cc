"""Cases: a low rating or a call-back request opens one; the team walks its routine on it,
answers the last step's question and closes it, which deletes the client's contact."""

import re
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from flask_babel import force_locale
from markupsafe import escape

from workshop import create_app, models
from workshop.db import connect
from workshop.method import routine_steps

from .conftest import HX, make_workshop
from .test_retention import OLD, file_bytes, purge, travel_to


def feedback(db, workshop, rating=2, contact="", comment="", nonce=None):
    item = models.add_feedback(db, workshop, rating, [], comment, contact, nonce)
    return item, models.get_case_for_feedback(db, item.id)


# Opening ----------------------------------------------------------------------------------


@pytest.mark.parametrize("rating", [1, 2])
def test_a_low_rating_opens_a_case(db, workshop, rating):
    _, case = feedback(db, workshop, rating)
    assert case is not None and case.is_open and case.rating == rating


def test_a_call_back_request_opens_a_case_whatever_the_rating(db, workshop):
    _, case = feedback(db, workshop, 5, contact="+48 600 100 200")
    assert case is not None and case.contact == "+48 600 100 200" and case.call_back


@pytest.mark.parametrize("rating", [3, 4, 5])
def test_a_fair_rating_without_a_call_back_opens_no_case(db, workshop, rating):
    _, case = feedback(db, workshop, rating, comment="fine")
    assert case is None
    assert models.list_cases(db, workshop) == []


def test_a_resent_form_opens_no_second_case(db, workshop):
    first, _ = feedback(db, workshop, 1, nonce="same-nonce")
    again, _ = feedback(db, workshop, 1, nonce="same-nonce")
    assert again.id == first.id
    assert len(models.list_cases(db, workshop)) == 1


# Walking the routine ----------------------------------------------------------------------


def test_steps_are_done_and_undone_with_a_note_and_who_did_it(db, workshop):
    _, case = feedback(db, workshop)
    step = models.do_step(db, workshop, case, 1, "Listened for ten minutes", "Ola")
    assert step.is_done and (step.note, step.done_by) == ("Listened for ten minutes", "Ola")
    undone = models.undo_step(db, workshop, case, 1)
    assert not undone.is_done and undone.note == "Listened for ten minutes"
    steps = models.list_case_steps(db, case)
    assert [s.position for s in steps] == [1, 2, 3, 4, 5] and not any(s.is_done for s in steps)


def test_the_last_step_needs_the_answer_whether_the_client_keeps_coming(db, workshop):
    _, case = feedback(db, workshop)
    with pytest.raises(models.Refused, match="case-no-outcome"):
        models.do_step(db, workshop, case, 5, "", "Ola")
    with pytest.raises(models.Refused, match="bad-step"):
        models.do_step(db, workshop, case, 6, "", "Ola")
    models.do_step(db, workshop, case, 5, "She booked again", "Ola", outcome="yes")
    assert models.get_case(db, workshop, case.id).outcome == "yes"
    models.undo_step(db, workshop, case, 5)
    assert models.get_case(db, workshop, case.id).outcome is None


def test_closing_needs_the_outcome_then_deletes_the_contact(db, workshop):
    item, case = feedback(db, workshop, 1, contact="anna@example.com", comment="Long wait")
    with pytest.raises(models.Refused, match="case-no-outcome"):
        models.close_case(db, workshop, case)
    models.do_step(db, workshop, case, 5, "", "Ola", outcome="unknown")
    closed = models.close_case(db, workshop, case)
    assert not closed.is_open and closed.contact == "" and closed.outcome == "unknown"
    stored = models.list_feedback(db, workshop)[0]
    assert (stored.contact, stored.call_back, stored.comment) == ("", 1, "Long wait")
    with pytest.raises(models.Refused, match="case-closed"):
        models.do_step(db, workshop, closed, 1, "", "Ola")
    with pytest.raises(models.Refused, match="case-closed"):
        models.close_case(db, workshop, closed)


def test_cases_of_another_workshop_are_not_found(app, db, workshop):
    with app.app_context():
        other, _ = make_workshop(db)
    _, case = feedback(db, other)
    assert models.get_case(db, workshop, case.id) is None


def test_the_list_shows_open_cases_oldest_first_then_closed(db, workshop, monkeypatch):
    with monkeypatch.context() as patch:
        travel_to(patch, OLD)
        _, old = feedback(db, workshop)
    _, new = feedback(db, workshop)
    _, done = feedback(db, workshop, 1)
    models.do_step(db, workshop, done, 5, "", "Ola", outcome="yes")
    models.close_case(db, workshop, done)
    assert [c.id for c in models.list_cases(db, workshop)] == [old.id, new.id, done.id]
    assert models.count_open_cases(db, workshop) == 2


def test_the_summary_counts_open_cases_their_ages_and_who_came_back(db, workshop, monkeypatch):
    with monkeypatch.context() as patch:
        travel_to(patch, OLD)
        feedback(db, workshop)
    feedback(db, workshop)
    for outcome in ("yes", "yes", "no", "unknown"):
        _, case = feedback(db, workshop, 1)
        models.do_step(db, workshop, case, 5, "", "Ola", outcome=outcome)
        models.close_case(db, workshop, case)
    at = datetime.fromisoformat(OLD) + timedelta(days=40)
    summary = models.case_summary(db, workshop, at=at)
    assert summary.open == 2 and summary.ages[0] == 40 and summary.oldest_days == 40
    assert (summary.closed, summary.came_back, summary.stayed_away, summary.unknown) == (
        4,
        2,
        1,
        1,
    )
    empty = models.case_summary(db, make_workshop(db)[0])
    assert (empty.open, empty.oldest_days, empty.closed) == (0, None, 0)


# Retention --------------------------------------------------------------------------------


def test_purge_deletes_the_contact_of_an_old_open_case_from_the_file(env, cli_db, monkeypatch):
    marker = f"marker-{uuid.uuid4().hex}"
    workshop, _token = make_workshop(cli_db)
    with monkeypatch.context() as patch:
        travel_to(patch, OLD)
        _, case = feedback(cli_db, workshop, 1, contact=f"{marker}@example.com")
    models.do_step(cli_db, workshop, case, 1, "Called back", "Ola")
    database = env / "credo.db"
    assert marker.encode() in file_bytes(database)

    purge()

    assert marker.encode() not in file_bytes(database)
    kept = models.get_case(cli_db, workshop, case.id)
    assert kept.is_open and kept.contact == "" and kept.call_back == 1
    assert models.list_case_steps(cli_db, kept)[0].note == "Called back"
    assert models.case_summary(cli_db, workshop, at=datetime.now(UTC)).open == 1


def test_purge_clears_the_notes_of_cases_closed_long_ago_and_keeps_the_outcome(
    env, cli_db, monkeypatch
):
    marker = f"marker-{uuid.uuid4().hex}"
    workshop, _token = make_workshop(cli_db)
    with monkeypatch.context() as patch:
        travel_to(patch, OLD)
        _, case = feedback(cli_db, workshop, 1)
        models.do_step(cli_db, workshop, case, 1, f"Note {marker}", "Ola")
        models.do_step(cli_db, workshop, case, 5, "", "Ola", outcome="yes")
        models.close_case(cli_db, workshop, case)
    _, recent = feedback(cli_db, workshop, 2)
    models.do_step(cli_db, workshop, recent, 1, "Recent and kept", "Ola")
    database = env / "credo.db"
    assert marker.encode() in file_bytes(database)

    assert "Would clear" in purge("--dry-run") and marker.encode() in file_bytes(database)
    assert "notes of cases closed" in purge()

    assert marker.encode() not in file_bytes(database)
    step = models.list_case_steps(cli_db, case)[0]
    assert (step.note, step.done_by, step.is_done) == ("", "Ola", True)
    assert models.get_case(cli_db, workshop, case.id).outcome == "yes"
    assert models.list_case_steps(cli_db, recent)[0].note == "Recent and kept"
    assert "notes of cases" not in purge()  # nothing left to clear


# The pages ---------------------------------------------------------------------------------


def case_url(workshop, case, tail=""):
    return f"/w/{workshop.public_id}/cases/{case.id}{tail}"


def test_only_the_facilitator_sees_cases(app, db, workshop, phone, client):
    _, case = feedback(db, workshop, 1, contact="anna@example.com")
    for browser in (phone, client):
        for url in (f"/w/{workshop.public_id}/cases", case_url(workshop, case)):
            response = browser.get(url)
            assert response.status_code == 403
            assert "anna@example.com" not in response.get_data(as_text=True)
        assert browser.post(case_url(workshop, case, "/close")).status_code == 403
        step = {"step1-done_by": "Intruder"}
        assert browser.post(case_url(workshop, case, "/steps/1"), data=step).status_code == 403
    assert not models.list_case_steps(db, case)[0].is_done


def test_a_case_of_another_workshop_is_404(app, db, workshop, facilitator):
    with app.app_context():
        other, _ = make_workshop(db)
    _, case = feedback(db, other)
    assert facilitator.get(case_url(workshop, case)).status_code == 404


def test_the_control_page_links_to_the_cases_with_the_open_count(db, workshop, facilitator):
    feedback(db, workshop, 1)
    feedback(db, workshop, 2)
    page = facilitator.get(f"/w/{workshop.public_id}/control").get_data(as_text=True)
    assert f'href="/w/{workshop.public_id}/cases"' in page
    assert re.search(r"(Cases|Sprawy) \(2", page)


def test_the_list_shows_open_cases_with_their_age(db, workshop, facilitator):
    _, case = feedback(db, workshop, 1, comment="Waited an hour")
    page = facilitator.get(f"/w/{workshop.public_id}/cases").get_data(as_text=True)
    assert case_url(workshop, case) in page and "Waited an hour" in page


def test_walking_a_case_without_javascript(db, workshop, facilitator):
    """Every step posts a plain form and is redirected back; the name is remembered."""
    _, case = feedback(db, workshop, 2, contact="+48 600 100 200", comment="Rude at the desk")
    page = facilitator.get(case_url(workshop, case)).get_data(as_text=True)
    assert 'href="tel:+48600100200"' in page and "Rude at the desk" in page
    with_name = {"step1-note": "Listened", "step1-done_by": "Ola"}
    response = facilitator.post(case_url(workshop, case, "/steps/1"), data=with_name)
    assert response.status_code == 303
    assert response.headers["Location"].endswith(case_url(workshop, case) + "#step-2")  # the next
    page = facilitator.get(case_url(workshop, case)).get_data(as_text=True)
    assert 'value="Ola"' in page  # the next step offers the name typed last
    nameless = facilitator.post(case_url(workshop, case, "/steps/2"), data={"step2-note": "x"})
    assert nameless.status_code == 422
    assert 'id="step2-done_by-errors"' in nameless.get_data(as_text=True)
    answerless = {"step5-done_by": "Ola"}
    no_answer = facilitator.post(case_url(workshop, case, "/steps/5"), data=answerless)
    assert no_answer.status_code == 422
    assert 'id="step5-outcome-errors"' in no_answer.get_data(as_text=True)
    early = facilitator.post(case_url(workshop, case, "/close"))
    assert early.status_code == 422
    last = {"step5-done_by": "Ola", "step5-outcome": "yes", "step5-note": "Booked again"}
    assert facilitator.post(case_url(workshop, case, "/steps/5"), data=last).status_code == 303
    database = Path(facilitator.application.config["DATABASE"])
    assert b"600 100 200" in file_bytes(database)
    assert facilitator.post(case_url(workshop, case, "/close")).status_code == 303
    page = facilitator.get(case_url(workshop, case)).get_data(as_text=True)
    assert "+48" not in page and "tel:" not in page
    assert models.list_feedback(db, workshop)[0].contact == ""
    assert b"600 100 200" not in file_bytes(database)  # gone from the file and its WAL


def test_with_htmx_a_step_swaps_the_case_body(db, workshop, facilitator):
    _, case = feedback(db, workshop, 1)
    data = {"step1-done_by": "Ola"}
    response = facilitator.post(case_url(workshop, case, "/steps/1"), data=data, headers=HX)
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and html.lstrip().startswith('<div id="case-body"')
    undo = facilitator.post(case_url(workshop, case, "/steps/1/undo"), headers=HX)
    assert undo.status_code == 200 and not models.list_case_steps(db, case)[0].is_done


def test_the_case_walks_the_teams_agreed_routine(app, db, workshop, facilitator):
    _, case = feedback(db, workshop, 1)
    with app.test_request_context(), force_locale(workshop.language):
        method = routine_steps()
    page = facilitator.get(case_url(workshop, case)).get_data(as_text=True)
    assert all(str(escape(step)) in page for step in method)  # none agreed: the method's
    agreed = "\n".join(f"Our own step {n}" for n in range(1, 6))
    db.execute(
        "update workshops set routine = ?, routine_agreed_at = ? where id = ?",
        [agreed, models.now(), workshop.id],
    )
    page = facilitator.get(case_url(workshop, case)).get_data(as_text=True)
    assert all(f"Our own step {n}" in page for n in range(1, 6))


def test_case_forms_need_the_csrf_token(tmp_path):
    app = create_app({"TESTING": True, "SECRET_KEY": "x", "DATABASE": str(tmp_path / "c.db")})
    database = connect(app.config["DATABASE"])
    with app.app_context():
        workshop, _ = make_workshop(database)
    _, case = feedback(database, workshop, 1)
    browser = app.test_client()
    with browser.session_transaction() as session:
        session["facilitator"] = {
            workshop.public_id: models.start_facilitator_session(database, workshop)
        }
    assert browser.get(case_url(workshop, case)).status_code == 200
    data = {"step1-done_by": "Ola"}
    assert browser.post(case_url(workshop, case, "/steps/1"), data=data).status_code == 400
    assert browser.post(case_url(workshop, case, "/close")).status_code == 400
    assert not models.list_case_steps(database, case)[0].is_done
    database.close()
