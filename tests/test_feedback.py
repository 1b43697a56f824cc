"""Clients' feedback after a visit (/c/<token>): the form, its refusals, kiosk mode,
storage once per nonce, the limits, the record and retention."""

import re
import time
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from itsdangerous import TimestampSigner

from workshop import limits, models

from .conftest import make_workshop


@pytest.fixture
def app(app):
    app.config["FEEDBACK_MIN_FILL_SECONDS"] = 0  # one test below checks the minimum itself
    return app


def token_of(client, workshop, kiosk=False):
    """Open the form and return its hidden nonce and signed start time."""
    page = client.get(f"/c/{workshop.feedback_token}" + ("?kiosk=1" if kiosk else ""))
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    nonce = re.search(r'name="nonce"[^>]*value="([^"]+)"', html) or re.search(
        r'value="([^"]+)"[^>]*name="nonce"', html
    )
    started = re.search(r'name="started"[^>]*value="([^"]+)"', html) or re.search(
        r'value="([^"]+)"[^>]*name="started"', html
    )
    return {"nonce": nonce.group(1), "started": started.group(1)}


def send(client, workshop, kiosk=False, **fields):
    data = {**token_of(client, workshop, kiosk), "rating": "4", **fields}
    url = f"/c/{workshop.feedback_token}" + ("?kiosk=1" if kiosk else "")
    return client.post(url, data=data)


def agree_principles(db, workshop, names=("Kindness", "Punctuality", "Clarity")):
    models.replace_principles(db, workshop, [(name, "") for name in names])
    db.execute(
        "update workshops set principles_agreed_at = ? where id = ?",
        [models.now(), workshop.id],
    )
    return models.get_workshop_by_id(db, workshop.id)


def test_every_workshop_has_its_own_feedback_token(app, db):
    with app.app_context():
        one, _ = make_workshop(db)
        two, _ = make_workshop(db)
    assert one.feedback_token and two.feedback_token
    assert one.feedback_token != two.feedback_token


def test_unknown_feedback_token_is_404(client):
    assert client.get("/c/not-a-token").status_code == 404


def test_page_follows_the_phones_language_not_the_workshops(client, workshop):
    assert workshop.language == "pl"
    english = client.get(f"/c/{workshop.feedback_token}", headers={"Accept-Language": "en"})
    assert "How did we do today?" in english.get_data(as_text=True)
    polish = client.get(f"/c/{workshop.feedback_token}", headers={"Accept-Language": "pl"})
    assert "How did we do today?" not in polish.get_data(as_text=True)


def test_page_says_it_asks_for_no_health_details(client, workshop):
    page = client.get(f"/c/{workshop.feedback_token}", headers={"Accept-Language": "en"})
    assert "no health details" in page.get_data(as_text=True)


def test_principles_show_as_chips_only_once_agreed(app, client, db, workshop):
    models.replace_principles(db, workshop, [("Kindness", ""), ("Punctuality", ""), ("X", "")])
    page = client.get(f"/c/{workshop.feedback_token}").get_data(as_text=True)
    assert 'name="principles"' not in page
    agree_principles(db, workshop)
    page = client.get(f"/c/{workshop.feedback_token}").get_data(as_text=True)
    assert page.count('name="principles"') == 3 and "Punctuality" in page


def test_feedback_is_stored_and_thanked(client, db, workshop):
    workshop = agree_principles(db, workshop)
    response = send(
        client, workshop, rating="5", principles=["Kindness", "Unknown"], comment="Lovely"
    )
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/c/{workshop.feedback_token}/thanks")
    [stored] = models.list_feedback(db, workshop)
    assert (stored.rating, stored.felt, stored.comment) == (5, ["Kindness"], "Lovely")
    assert (stored.call_back, stored.contact, stored.kiosk) == (0, "", 0)
    thanks = client.get(response.headers["Location"], headers={"Accept-Language": "en"})
    assert "Thank you" in thanks.get_data(as_text=True)
    assert "http-equiv" not in thanks.get_data(as_text=True)  # only a kiosk resets


def test_a_rating_is_required_and_the_text_is_kept(client, db, workshop):
    response = send(client, workshop, rating="", comment="Kept words")
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "Kept words" in html and 'id="rating-errors"' in html
    assert models.list_feedback(db, workshop) == []


def test_a_rating_outside_the_five_steps_is_refused(client, db, workshop):
    assert send(client, workshop, rating="6").status_code == 422
    assert models.list_feedback(db, workshop) == []


def test_a_comment_over_the_limit_is_refused(client, db, workshop):
    response = send(client, workshop, comment="x" * 501)
    assert response.status_code == 422 and 'id="comment-errors"' in response.get_data(
        as_text=True
    )
    assert models.list_feedback(db, workshop) == []


def test_call_back_needs_a_contact_and_consent(client, db, workshop):
    headers = {"Accept-Language": "en"}
    no_contact = send(client, workshop, call_back="y", consent="y")
    assert no_contact.status_code == 422 and 'id="contact-errors"' in no_contact.get_data(
        as_text=True
    )
    bad = send(client, workshop, call_back="y", consent="y", contact="call me maybe")
    assert bad.status_code == 422
    assert 'value="call me maybe"' in bad.get_data(as_text=True)  # kept as typed
    no_consent = send(client, workshop, call_back="y", contact="+48 600 100 200")
    assert no_consent.status_code == 422 and 'id="consent-errors"' in no_consent.get_data(
        as_text=True
    )
    assert models.list_feedback(db, workshop) == []
    words = client.post(
        f"/c/{workshop.feedback_token}",
        data={**token_of(client, workshop), "rating": "2", "call_back": "y", "consent": "y"},
        headers=headers,
    ).get_data(as_text=True)
    assert "Write a phone number or an e-mail address" in words


@pytest.mark.parametrize("contact", ["+48 600 100 200", "600-100-200", "anna@example.com"])
def test_call_back_with_a_phone_or_email_is_stored(client, db, workshop, contact):
    response = send(client, workshop, rating="2", call_back="y", consent="y", contact=contact)
    assert response.status_code == 303
    [stored] = models.list_feedback(db, workshop)
    assert (stored.call_back, stored.contact) == (1, contact)


def test_a_contact_without_call_back_is_not_kept(client, db, workshop):
    assert send(client, workshop, contact="anna@example.com").status_code == 303
    [stored] = models.list_feedback(db, workshop)
    assert (stored.call_back, stored.contact) == (0, "")


def test_a_resent_form_is_stored_once(client, db, workshop):
    data = {**token_of(client, workshop), "rating": "3", "comment": "Once"}
    for _ in range(3):
        assert client.post(f"/c/{workshop.feedback_token}", data=data).status_code == 303
    assert len(models.list_feedback(db, workshop)) == 1


def test_the_honeypot_refuses_a_robot(client, db, workshop):
    response = send(client, workshop, website="http://spam.example")
    assert response.status_code == 422
    assert models.list_feedback(db, workshop) == []


def test_a_form_sent_too_quickly_is_refused_then_taken(app, client, db, workshop):
    app.config["FEEDBACK_MIN_FILL_SECONDS"] = 3
    fields = token_of(client, workshop)
    response = client.post(
        f"/c/{workshop.feedback_token}",
        data={**fields, "rating": "4", "comment": "Quick"},
        headers={"Accept-Language": "en"},
    )
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "That was very quick" in html and "Quick" in html
    assert models.list_feedback(db, workshop) == []
    # The same form, drawn 4 seconds ago (its signed stamp), goes through.
    signer = TimestampSigner(app.config["SECRET_KEY"], salt="feedback-started")
    signer.get_timestamp = lambda: int(time.time()) - 4
    fields["started"] = signer.sign(fields["nonce"]).decode()
    response = client.post(f"/c/{workshop.feedback_token}", data={**fields, "rating": "4"})
    assert response.status_code == 303


def test_a_forged_start_time_is_refused(client, db, workshop):
    fields = token_of(client, workshop)
    fields["started"] = fields["nonce"] + ".AAAAAA.forged"
    response = client.post(f"/c/{workshop.feedback_token}", data={**fields, "rating": "4"})
    assert response.status_code == 422
    assert models.list_feedback(db, workshop) == []


def test_one_device_is_limited_per_hour(app, client, db, workshop):
    limit = app.config["FEEDBACK_LIMIT_DEVICE"]
    for _ in range(limit):
        assert send(client, workshop).status_code == 303
    refused = send(client, workshop, comment="Still here", headers=None)
    assert refused.status_code == 429 and "Retry-After" in refused.headers
    assert "Still here" in refused.get_data(as_text=True)
    assert len(models.list_feedback(db, workshop)) == limit
    other_phone = app.test_client()
    assert send(other_phone, workshop).status_code == 303


def test_one_address_is_limited_per_hour(app, db, workshop):
    app.config["FEEDBACK_LIMIT_ADDRESS"] = 3
    limits.init_app(app)  # the windows are built from the config
    for _ in range(3):
        assert send(app.test_client(), workshop).status_code == 303
    assert send(app.test_client(), workshop).status_code == 429


def test_kiosk_counts_by_address_only_and_resets(app, client, db, workshop):
    limit = app.config["FEEDBACK_LIMIT_DEVICE"]
    for _ in range(limit + 1):
        response = send(client, workshop, kiosk=True)
        assert response.status_code == 303
    assert response.headers["Location"].endswith("/thanks?kiosk=1")
    thanks = client.get(response.headers["Location"]).get_data(as_text=True)
    assert re.search(r'http-equiv="refresh" content="\d+;url=/c/[^"]+\?kiosk=1"', thanks)
    form = client.get(f"/c/{workshop.feedback_token}?kiosk=1").get_data(as_text=True)
    assert 'autocomplete="off"' in form
    assert all(item.kiosk for item in models.list_feedback(db, workshop))


def test_the_control_page_shows_the_feedback_link_and_qr(facilitator, workshop):
    page = facilitator.get(f"/w/{workshop.public_id}/control").get_data(as_text=True)
    assert f"/c/{workshop.feedback_token}" in page
    assert f"/c/{workshop.feedback_token}/qr.svg" in page
    assert f"/c/{workshop.feedback_token}?kiosk=1" in page
    qr = facilitator.get(f"/c/{workshop.feedback_token}/qr.svg")
    assert qr.status_code == 200 and qr.mimetype == "image/svg+xml"


def test_redaction_clears_comment_and_contact_and_keeps_the_counts(app, db, workshop):
    workshop = agree_principles(db, workshop)
    marker = f"marker-{uuid.uuid4().hex}"
    models.add_feedback(db, workshop, 2, ["Kindness"], marker, f"{marker}@example.com")
    models.add_feedback(db, workshop, 5, ["Kindness", "Clarity"], "recent")
    assert models.redact_feedback(db, 30) == 0  # nothing is old enough yet
    later = datetime.now(UTC) + timedelta(days=31)
    assert [w.id for w in models.feedback_to_redact(db, 30, at=later)] == [workshop.id]
    assert models.redact_feedback(db, 30, at=later) == 2
    items = models.list_feedback(db, workshop)
    assert [(i.comment, i.contact) for i in items] == [("", ""), ("", "")]
    counts = models.feedback_counts(db, workshop)
    assert counts.total == 2 and counts.ratings[2] == 1 and counts.ratings[5] == 1
    assert counts.principles == {"Kindness": 2, "Clarity": 1} and counts.call_backs == 1


def test_the_record_holds_feedback_and_only_the_json_its_contact(facilitator, db, workshop):
    workshop = agree_principles(db, workshop)
    models.add_feedback(db, workshop, 2, ["Clarity"], "Waited long", "anna@example.com")
    models.add_feedback(db, workshop, 5, ["Kindness", "Clarity"], "", "", kiosk=True)
    data = facilitator.get(f"/w/{workshop.public_id}/record.json").get_json()
    counts = data["feedback"]["counts"]
    assert counts["total"] == 2 and counts["ratings"] == {"1": 0, "2": 1, "3": 0, "4": 0, "5": 1}
    assert counts["principles_felt"] == {"Clarity": 2, "Kindness": 1}
    first = data["feedback"]["items"][0]
    assert (first["comment"], first["contact"], first["call_back"]) == (
        "Waited long",
        "anna@example.com",
        True,
    )
    table = facilitator.get(f"/w/{workshop.public_id}/record.csv").get_data(as_text=True)
    assert "Waited long" in table and "Clarity" in table
    assert "anna@example.com" not in table


def test_the_record_is_the_facilitators_only(client, workshop):
    assert client.get(f"/w/{workshop.public_id}/record.json").status_code == 403


def test_the_record_holds_each_case_walked_and_its_outcome(facilitator, db, workshop):
    workshop = agree_principles(db, workshop)
    low = models.add_feedback(db, workshop, 1, [], "Nobody called back", "anna@example.com")
    models.add_feedback(db, workshop, 5, ["Kindness"], "Lovely")  # opens no case
    case = models.get_case_for_feedback(db, low.id)
    models.do_step(db, workshop, case, 1, "Listened for ten minutes", "Ewa")
    data = facilitator.get(f"/w/{workshop.public_id}/record.json").get_json()
    first, second = data["feedback"]["items"]
    assert second["case"] is None
    assert first["case"]["closed_at"] is None and first["case"]["client_keeps_coming"] is None
    assert first["case"]["steps"][0] | {"done_at": None} == {
        "position": 1,
        "done": True,
        "done_by": "Ewa",
        "done_at": None,
        "note": "Listened for ten minutes",
    }
    assert [step["done"] for step in first["case"]["steps"]] == [True, False, False, False, False]
    table = facilitator.get(f"/w/{workshop.public_id}/record.csv").get_data(as_text=True)
    assert "Sprawa otwarta" in table  # the workshop is held in Polish

    for position in range(2, 6):
        models.do_step(db, workshop, case, position, "", "Ewa", "yes" if position == 5 else None)
    models.close_case(db, workshop, models.get_case_for_feedback(db, low.id))
    data = facilitator.get(f"/w/{workshop.public_id}/record.json").get_json()
    closed = data["feedback"]["items"][0]
    assert closed["case"]["client_keeps_coming"] == "yes" and closed["contact"] == ""
    table = facilitator.get(f"/w/{workshop.public_id}/record.csv").get_data(as_text=True)
    assert "Sprawa zamknięta: klient nadal przychodzi" in table
