"""One hostile client against the room (issue 16): floods of phone writes, slow mode held by
one address, workshops created in bulk, heavy records, drafts used up by phones.

Each test replays the attack, bounded in count, through the app; a real room is 40 phones
behind one address, so the limits are per person and per workshop, and what a real person
who hits one reads is checked too.
"""

import time
from pathlib import Path

from bs4 import BeautifulSoup

from workshop import limits, models
from workshop.db import connect
from workshop.rules import (
    MAX_DRAFTS_PER_PERSON,
    MAX_ON_BEHALF_PER_STAGE,
    MAX_PENDING_AMENDMENTS_PER_PERSON,
    MAX_PHONE_DRAFTS,
    PENDING_AMENDMENTS_SHOWN,
)

from .conftest import HX, make_workshop
from .test_security import WRONG_CODE, limited_app, secure_app

MISSION = "Dbamy o zdrowie całych rodzin, słuchając uważnie i działając razem każdego dnia."


def soup(response):
    return BeautifulSoup(response.get_data(as_text=True), "html.parser")


def room(tmp_path, **config):
    """An app with chosen limits, a workshop, its database and a facilitator's client."""
    app = limited_app(tmp_path, **config)
    db = connect(app.config["DATABASE"])
    with app.app_context():
        workshop, _token = make_workshop(db)
    facilitator = app.test_client()
    with facilitator.session_transaction() as session:
        session["facilitator"] = {
            workshop.public_id: models.start_facilitator_session(db, workshop)
        }
    return app, db, workshop, facilitator


def to_mission(db, workshop):
    """Move everyone to the mission stage, where the drafts are."""
    stage = next(s for s in models.list_stages(db, workshop) if s.kind == "mission")
    models.move_to_stage(db, workshop, stage)


def phones(app, workshop, count, address="10.9.9.9"):
    """``count`` phones joined through the QR link, all behind one address (a clinic's NAT).

    The facilitator expects them all, so none of them waits for approval."""
    db = connect(app.config["DATABASE"])
    models.set_expected_people(db, workshop, count)
    db.close()
    joined = []
    for _ in range(count):
        phone = app.test_client()
        phone.environ_base["REMOTE_ADDR"] = address
        assert phone.get(f"/j/{workshop.join_token}").status_code == 303
        joined.append(phone)
    return joined


def amend(phone, workshop, version, text):
    return phone.post(
        f"/w/{workshop.public_id}/versions/{version.id}/amend",
        data={f"amend-{version.draft_id}-text": text},
        headers=HX,
    )


def pending(db, workshop):
    return [a for a in models.list_amendments(db, workshop) if a.status == "pending"]


# ── Item 3: every phone write is limited per person and per workshop ──────────────────────


def test_an_amendment_flood_from_one_phone_gets_429_then_meets_the_cap(tmp_path):
    app, db, workshop, _facilitator = room(tmp_path, STATEMENT_LIMIT=6)
    version = models.propose_draft(db, workshop, MISSION)
    to_mission(db, workshop)
    flooder, neighbour = phones(app, workshop, 2)
    statuses = [amend(flooder, workshop, version, f"{MISSION} {n}").status_code for n in range(60)]
    assert statuses[:MAX_PENDING_AMENDMENTS_PER_PERSON] == [200] * MAX_PENDING_AMENDMENTS_PER_PERSON
    assert set(statuses[MAX_PENDING_AMENDMENTS_PER_PERSON:6]) == {409}  # the cap, in words
    assert set(statuses[6:]) == {429}  # then the rate limit
    assert len(pending(db, workshop)) == MAX_PENDING_AMENDMENTS_PER_PERSON
    refused = amend(flooder, workshop, version, "Mój tekst do zachowania, całkiem inny niż szkic.")
    assert refused.status_code == 429 and 1 <= int(refused.headers["Retry-After"]) <= 60
    block = soup(refused)
    assert "Wysyłasz bardzo szybko" in block.select_one(".alert-error").get_text()
    assert "Mój tekst do zachowania" in block.select_one("textarea").get_text()  # nothing lost
    assert amend(neighbour, workshop, version, f"{MISSION} sąsiad").status_code == 200


def test_pending_changes_are_capped_per_person_and_per_workshop(tmp_path):
    app, db, workshop, _facilitator = room(tmp_path, STATEMENT_LIMIT=100)
    version = models.propose_draft(db, workshop, MISSION)
    (phone,) = phones(app, workshop, 1)
    for number in range(MAX_PENDING_AMENDMENTS_PER_PERSON):
        assert amend(phone, workshop, version, f"{MISSION} {number}").status_code == 200
    refused = amend(phone, workshop, version, f"{MISSION} jeszcze jedna")
    assert refused.status_code == 409
    assert "czeka już 5 Twoich propozycji" in soup(refused).select_one(".alert-error").get_text()
    decided = pending(db, workshop)[0]
    models.decide_amendment(db, workshop, decided, False)  # one decided: room for one more
    assert amend(phone, workshop, version, f"{MISSION} jeszcze jedna").status_code == 200


def test_dots_and_round_answers_share_the_per_person_limit(tmp_path):
    app, db, workshop, facilitator = room(tmp_path, PHONE_WRITE_LIMIT=3)
    stage = models.current_stage(db, workshop)
    answer = models.add_answer(db, workshop, stage, None, "Szacunek")
    models.open_voting(db, workshop, stage, 10)
    voter, other = phones(app, workshop, 2)
    url = f"/w/{workshop.public_id}/votes/{answer.id}"
    statuses = [voter.post(url, headers=HX).status_code for _ in range(5)]
    assert statuses == [200, 200, 200, 429, 429]
    refused = voter.post(url, headers=HX)
    assert "Wysyłasz bardzo szybko" in soup(refused).select_one(".alert-error").get_text()
    assert int(refused.headers["Retry-After"]) >= 1
    assert other.post(url, headers=HX).status_code == 200  # the neighbour's own count
    assert models.dots_spent(db, stage, models.list_participants(db, workshop)[0]) == 3


def test_round_answers_edits_and_deletions_count_too(tmp_path):
    app, db, workshop, _facilitator = room(tmp_path, PHONE_WRITE_LIMIT=2, ANSWER_LIMIT=100)
    version = models.propose_draft(db, workshop, MISSION)
    (phone,) = phones(app, workshop, 1)
    sent = phone.post(f"/w/{workshop.public_id}/answers", data={"body": "Szacunek"}, headers=HX)
    assert sent.status_code == 200
    mine = models.list_answers(db, models.current_stage(db, workshop))[0]
    edit = f"/w/{workshop.public_id}/answers/{mine.id}"
    assert phone.post(edit, data={"body": "Szacunek i czas"}).status_code == 303
    assert phone.post(edit, data={"body": "Szacunek i uwaga"}).status_code == 303
    refused = phone.post(edit, data={"body": "Szacunek, czas i uwaga"})
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) >= 1
    assert "Szacunek, czas i uwaga" in soup(refused).select_one("textarea").get_text()
    assert phone.post(f"{edit}/delete", headers=HX).status_code == 429
    round_ = models.open_round(db, workshop, "mission", version)
    url = f"/w/{workshop.public_id}/rounds/{round_.id}/answer"
    answered = phone.post(url, data={"level": "4", "reason": "Dobrze"}, headers=HX)
    assert answered.status_code == 429
    assert "Wysyłasz bardzo szybko" in soup(answered).select_one(".alert-error").get_text()


def test_one_workshop_takes_at_most_its_writes_a_minute_from_all_phones(tmp_path):
    app, db, workshop, _facilitator = room(tmp_path, ROOM_WRITE_LIMIT=12, ANSWER_LIMIT=100)
    many = phones(app, workshop, 40)  # 40 cookie jars, as one person can hold
    url = f"/w/{workshop.public_id}/answers"
    statuses = [
        phone.post(url, data={"body": f"odpowiedź {n}", "nonce": f"n{n}"}, headers=HX).status_code
        for n, phone in enumerate(many)
    ]
    assert statuses.count(200) == 12 and statuses[12:] == [429] * 28
    assert len(models.list_answers(db, models.current_stage(db, workshop))) == 12


def test_the_control_page_shows_pending_changes_a_page_at_a_time(tmp_path):
    app, db, workshop, facilitator = room(tmp_path)
    version = models.propose_draft(db, workshop, MISSION)
    with db.conn:  # 2,000 changes waiting, as one phone stored before the limits
        for number in range(2000):
            db.execute(
                """insert into amendments (workshop_id, draft_id, version_id, text, created_at)
                   values (?, ?, ?, ?, '2026-01-01T00:00:00+00:00')""",
                [workshop.id, version.draft_id, version.id, f"{MISSION} {'x' * 1100} {number}"],
            )
    to_mission(db, workshop)
    started = time.perf_counter()
    page = facilitator.get(f"/w/{workshop.public_id}/control")
    elapsed = time.perf_counter() - started
    assert page.status_code == 200, elapsed
    card = soup(page).select_one(f"#draft-{version.draft_id}")
    assert len(card.select("li.amendment")) == PENDING_AMENDMENTS_SHOWN
    assert "2000" in card.select_one("h4").get_text()
    assert "Czeka" in card.select_one(".more-waiting").get_text()
    assert len(page.data) < 400_000  # was 12 MB with every change on the page
    first = pending(db, workshop)[0]
    decided = facilitator.post(
        f"/w/{workshop.public_id}/amendments/{first.id}/decline", follow_redirects=True
    )
    shown = soup(decided).select_one(f"#draft-{version.draft_id}").select("li.amendment")
    assert len(shown) == PENDING_AMENDMENTS_SHOWN  # the next one came up
    assert "1999" in soup(decided).select_one(f"#draft-{version.draft_id} h4").get_text()


# ── Item 5: no single address starts or holds slow mode ─────────────────────────────────


def test_one_address_alone_can_never_start_slow_mode(tmp_path):
    app = limited_app(
        tmp_path,
        JOIN_SLOW_MODE_AFTER=20,
        JOIN_SLOW_MODE_ALLOWANCE=2,
        JOIN_LIMIT_IP=1000,
        JOIN_LIMIT_DEVICE=1000,
    )
    db = connect(app.config["DATABASE"])
    with app.app_context():
        workshop, _token = make_workshop(db)
    attacker = {"REMOTE_ADDR": "10.6.6.6"}
    for _ in range(100):  # fresh cookies each time, well under the address's own limit
        app.test_client().post("/join", data={"code": WRONG_CODE}, environ_base=attacker)
    with app.test_request_context(environ_base={"REMOTE_ADDR": "10.1.1.1"}):
        assert not limits.in_slow_mode()
    for number in range(5):
        phone = app.test_client()
        joined = phone.post(
            "/join",
            data={"code": workshop.join_code},
            environ_base={"REMOTE_ADDR": f"192.168.1.{number}"},
        )
        assert joined.status_code == 303
    db.close()


def test_one_address_cannot_hold_the_shared_places_and_its_429s_count_against_it(tmp_path):
    app = limited_app(
        tmp_path, JOIN_SLOW_MODE_AFTER=10, JOIN_SLOW_MODE_ALLOWANCE=20, JOIN_LIMIT_IP=30
    )
    db = connect(app.config["DATABASE"])
    with app.app_context():
        workshop, _token = make_workshop(db)
    for number in range(10):  # ten addresses start slow mode together
        app.test_client().post(
            "/join", data={"code": WRONG_CODE}, environ_base={"REMOTE_ADDR": f"10.0.0.{number}"}
        )
    attacker = {"REMOTE_ADDR": "10.6.6.6"}
    statuses = [
        app.test_client()
        .post("/join", data={"code": WRONG_CODE}, environ_base=attacker)
        .status_code
        for _ in range(40)
    ]
    assert statuses[:2] == [422, 422] and set(statuses[2:]) == {429}  # 2 of 20 places
    with app.test_request_context():
        assert limits.current().address.count("10.6.6.6") == 30  # its 429s counted: blocked
    for number in range(18):  # the room, from other addresses, with the right code
        joined = app.test_client().post(
            "/join",
            data={"code": workshop.join_code},
            environ_base={"REMOTE_ADDR": f"192.168.2.{number}"},
        )
        assert joined.status_code == 303, number
    db.close()


# ── Item 6: creating workshops, on-behalf answers, records, kept exports ────────────────


def create(client, title="Klinika", address="10.3.3.3", **extra):
    return client.post(
        "/",
        data={"title": title, "language": "pl", **extra},
        environ_base={"REMOTE_ADDR": address},
    )


def test_workshops_created_per_address_and_in_all_an_hour(tmp_path):
    app = limited_app(tmp_path, CREATE_LIMIT_IP=3, CREATE_LIMIT_TOTAL=5)
    client = app.test_client()
    assert [create(client).status_code for _ in range(3)] == [303, 303, 303]
    refused = create(client, title="Zespół Pod Lipami")
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) >= 1
    page = soup(refused)
    assert "rozpoczęto zbyt wiele warsztatów" in page.select_one("#create-error").get_text()
    assert page.select_one("input#title")["value"] == "Zespół Pod Lipami"  # nothing lost
    assert create(client, address="10.4.4.4").status_code == 303
    assert create(client, address="10.5.5.5").status_code == 303
    assert create(client, address="10.7.7.7").status_code == 429  # 5 an hour in all
    db = connect(app.config["DATABASE"])
    assert db["workshops"].count == 5
    db.close()


def test_an_operator_can_require_a_creation_password(tmp_path):
    app = limited_app(tmp_path, CREATE_PASSWORD="lipa-2026", CREATE_LIMIT_IP=3)
    client = app.test_client()
    form = soup(client.get("/")).select_one("form[action='/']")
    assert form.select_one("input#password[type=password]")
    wrong = create(client, title="Zespół", password="zgaduję")
    assert wrong.status_code == 422
    field = soup(wrong).select_one("input#password").find_parent(class_="field")
    assert "To nie jest hasło" in field.get_text()
    assert soup(wrong).select_one("input#title")["value"] == "Zespół"
    assert create(client, password="lipa-2026").status_code == 303
    create(client, password="zgaduję")  # the third attempt of this address this hour
    assert create(client, password="lipa-2026").status_code == 429  # guesses count
    open_server = limited_app(tmp_path / "open").test_client()
    assert soup(open_server.get("/")).select_one("input#password") is None


def test_on_behalf_answers_are_capped_per_question(tmp_path):
    app, db, workshop, facilitator = room(tmp_path)
    stage = models.current_stage(db, workshop)
    for number in range(MAX_ON_BEHALF_PER_STAGE):
        models.add_answer(
            db, workshop, stage, None, f"z kartki {number}", entered_by="facilitator"
        )
    refused = facilitator.post(
        f"/w/{workshop.public_id}/stages/{stage.id}/on-behalf/answer",
        data={"behalf-body": "jeszcze jedna"},
        headers=HX,
    )
    assert "najwięcej odpowiedzi w imieniu innych" in refused.get_data(as_text=True)
    assert len(models.list_answers(db, stage)) == MAX_ON_BEHALF_PER_STAGE
    (phone,) = phones(app, workshop, 1)  # the phones still answer
    sent = phone.post(f"/w/{workshop.public_id}/answers", data={"body": "z telefonu"}, headers=HX)
    assert sent.status_code == 200


def test_a_pdf_record_past_its_size_is_refused_with_a_message(tmp_path, monkeypatch):
    monkeypatch.setattr("workshop.exports.RECORD_PDF_MAX_ANSWERS", 3)
    app, db, workshop, facilitator = room(tmp_path)
    stage = models.current_stage(db, workshop)
    for number in range(4):
        models.add_answer(db, workshop, stage, None, f"odpowiedź {number}")
    refused = facilitator.get(f"/w/{workshop.public_id}/record.pdf")
    assert refused.status_code == 409
    assert "za dużo na jeden raport PDF" in refused.get_data(as_text=True)
    assert facilitator.get(f"/w/{workshop.public_id}/record.json").status_code == 200


def test_an_unchanged_record_asked_for_again_is_kept_once(tmp_path):
    app, db, workshop, facilitator = room(tmp_path)
    folder = Path(app.config["EXPORTS_DIR"])
    url = f"/w/{workshop.public_id}/record.json"
    bodies = {facilitator.get(url).data for _ in range(20)}
    assert len(bodies) == 1
    assert len(list(folder.iterdir())) == 1 and len(models.list_exports(db, workshop)) == 1
    models.add_answer(db, workshop, models.current_stage(db, workshop), None, "nowa")
    facilitator.get(url)
    facilitator.get(f"/w/{workshop.public_id}/record.md")
    assert len(list(folder.iterdir())) == 3 and len(models.list_exports(db, workshop)) == 3


# ── Item 9: phones' drafts have their own caps; the facilitator withdraws a draft ─────────


def propose(phone, workshop, text):
    return phone.post(
        f"/w/{workshop.public_id}/drafts/mission", data={"propose-mission-text": text}, headers=HX
    )


def test_each_phone_proposes_a_few_drafts_and_phones_leave_room_for_the_facilitator(tmp_path):
    app, db, workshop, facilitator = room(tmp_path, STATEMENT_LIMIT=100)
    models.set_proposals_open(db, workshop, True)
    many = phones(app, workshop, 8)
    statuses = [
        propose(phone, workshop, f"{MISSION} {p}-{n}").status_code
        for p, phone in enumerate(many)
        for n in range(MAX_DRAFTS_PER_PERSON + 1)
    ]
    per_phone = [statuses[i : i + 4] for i in range(0, len(statuses), 4)]
    assert per_phone[0] == [200, 200, 200, 409]  # its own cap
    assert statuses.count(200) == MAX_PHONE_DRAFTS  # the phones' share of the 30
    refused = propose(many[0], workshop, "Mój własny szkic misji, który chcę zachować na później.")
    block = soup(refused)
    assert "najwięcej zaproponowanych projektów" in block.select_one(".alert-error").get_text()
    assert "Mój własny szkic" in block.get_text()
    built = facilitator.post(
        f"/w/{workshop.public_id}/builder", data={"builder-text": f"{MISSION} prowadzący"}
    )
    assert built.status_code in (200, 303)
    assert len(models.list_drafts(db, workshop)) == MAX_PHONE_DRAFTS + 1


def test_the_facilitator_withdraws_a_draft_with_a_real_form_and_csrf(tmp_path):
    app = secure_app(tmp_path)
    db = connect(app.config["DATABASE"])
    with app.app_context():
        workshop, _token = make_workshop(db)
    facilitator = app.test_client()
    with facilitator.session_transaction() as session:
        session["facilitator"] = {
            workshop.public_id: models.start_facilitator_session(db, workshop)
        }
    models.set_proposals_open(db, workshop, True)
    (phone,) = phones(app, workshop, 1)
    participant = models.list_participants(db, workshop)[0]
    for number in range(MAX_DRAFTS_PER_PERSON):
        models.propose_draft(db, workshop, f"{MISSION} {number}", participant)
    drafts = models.list_drafts(db, workshop)
    to_mission(db, workshop)
    page = soup(facilitator.get(f"/w/{workshop.public_id}/control"))
    form = page.select_one(f"#draft-{drafts[0].draft.id} details.withdraw form[method=post]")
    assert form["action"].endswith(f"/drafts/{drafts[0].draft.id}/withdraw")
    assert form["hx-post"] == form["action"]
    token = form.select_one("input[name=csrf_token]")["value"]
    assert facilitator.post(form["action"]).status_code == 400  # no token
    assert phone.post(form["action"], data={"csrf_token": token}).status_code in (400, 403, 404)
    withdrawn = facilitator.post(form["action"], data={"csrf_token": token})
    assert withdrawn.status_code == 303
    assert [line.draft.id for line in models.list_drafts(db, workshop)] == [
        line.draft.id for line in drafts[1:]
    ]
    models.propose_draft(db, workshop, f"{MISSION} nowy", participant)  # room again
    own = soup(phone.get(f"/w/{workshop.public_id}/p")).select_one("input[name=csrf_token]")
    late = phone.post(
        f"/w/{workshop.public_id}/versions/{drafts[0].latest.id}/amend",
        data={"csrf_token": own["value"], f"amend-{drafts[0].draft.id}-text": "Moja zmiana"},
        headers=HX,
    )
    assert late.status_code == 409  # typed while it was withdrawn: the text stays to copy
    assert "wycofał" in soup(late).select_one(".alert-error").get_text()
    assert "Moja zmiana" in soup(late).select_one(".kept-text").get_text()
    db.close()
