"""One person, many phones (issue 16, item 4): the expected head count, joins held for the
facilitator's approval (past the count, in a burst, from a removed person's device), the
waiting phone's page, joined against expected on the screen and the control page, and a
round's answers against the people present.

A real room is 40 phones behind one address: with the count set to 40, all get in at once.
The attack against the real server is ``test_a_crowd_of_joins_past_the_count_waits_...``.
"""

from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlsplit

import pytest

from workshop import models, rules

from .conftest import HX, join
from .live_room import Browser, Server, claim, location

ROOM = 40


def scan(app, workshop):
    """A new phone (its own cookies) scans the QR code; return it and the answer."""
    phone = app.test_client()
    return phone, phone.get(f"/j/{workshop.join_token}")


def fresh(db, workshop):
    return models.get_workshop_by_id(db, workshop.id)


def set_expected(facilitator, workshop, value):
    return facilitator.post(f"/w/{workshop.public_id}/expected", data={"expected-expected": value})


def test_with_the_count_set_a_room_of_forty_gets_in_and_the_forty_first_waits(
    app, db, workshop, facilitator
):
    assert set_expected(facilitator, workshop, str(ROOM)).status_code == 303
    for _ in range(ROOM):
        _phone, response = scan(app, workshop)
        assert response.headers["Location"].endswith("/name")
    phone, response = scan(app, workshop)
    assert response.headers["Location"].endswith(f"/w/{workshop.public_id}/waiting")
    assert models.count_participants(db, workshop) == ROOM
    assert models.count_waiting(db, workshop) == 1
    page = phone.get(f"/w/{workshop.public_id}/waiting").get_data(True)
    assert "Czekasz na prowadzącego" in page
    # The waiting phone is not in: its posts and pages send it back to the waiting page.
    response = phone.post(f"/w/{workshop.public_id}/answers", data={"body": "x"})
    assert response.headers["Location"].endswith("/waiting")


def test_without_a_count_a_burst_of_joins_waits(app, db, workshop):
    for _ in range(rules.JOIN_BURST):
        _phone, response = scan(app, workshop)
        assert response.headers["Location"].endswith("/name")
    _phone, response = scan(app, workshop)
    assert response.headers["Location"].endswith("/waiting")
    [held] = models.list_waiting(db, workshop, 10)
    assert held.reason == "burst"


def test_a_waiting_phone_moves_on_once_let_in(app, db, workshop, facilitator):
    models.set_expected_people(db, workshop, 1)
    join(app.test_client(), workshop)
    phone, _response = scan(app, workshop)
    waiting = f"/w/{workshop.public_id}/waiting"
    poll = phone.get(waiting, headers=HX)
    assert poll.status_code == 204 and "HX-Redirect" not in poll.headers
    control = facilitator.get(f"/w/{workshop.public_id}/control").get_data(True)
    [held] = models.list_waiting(db, workshop, 10)
    approve = f"/w/{workshop.public_id}/joins/{held.id}/approve"
    assert f'action="{approve}"' in control
    assert "1 z 1" in control  # joined of expected, in the header
    assert facilitator.post(approve).status_code == 303
    poll = phone.get(waiting, headers=HX)
    assert poll.headers["HX-Redirect"].endswith("/name")
    assert phone.get(f"/w/{workshop.public_id}/p").status_code == 200
    assert models.count_participants(db, workshop) == 2


def test_a_refused_phone_is_told_and_may_ask_again(app, db, workshop, facilitator):
    models.set_expected_people(db, workshop, 1)
    join(app.test_client(), workshop)
    phone, _response = scan(app, workshop)
    [held] = models.list_waiting(db, workshop, 10)
    facilitator.post(f"/w/{workshop.public_id}/joins/{held.id}/refuse")
    poll = phone.get(f"/w/{workshop.public_id}/waiting", headers=HX)
    assert poll.status_code == 200 and "Nie wpuszczono" in poll.get_data(True)
    assert phone.get(f"/w/{workshop.public_id}/p").headers["Location"].endswith("/join")
    again = phone.get(f"/j/{workshop.join_token}")
    assert again.headers["Location"].endswith("/waiting")
    assert models.count_waiting(db, workshop) == 1
    # Deciding twice is refused in words, not with an error page.
    response = facilitator.post(f"/w/{workshop.public_id}/joins/{held.id}/approve", headers=HX)
    assert response.status_code == 422
    assert "już wpuszczony albo mu odmówiono" in response.get_data(True)


def test_refusing_all_empties_the_queue(app, db, workshop, facilitator):
    models.set_expected_people(db, workshop, 1)
    for _ in range(4):
        scan(app, workshop)
    assert models.count_waiting(db, workshop) == 3
    facilitator.post(f"/w/{workshop.public_id}/joins/refuse-all")
    assert models.count_waiting(db, workshop) == 0
    assert models.count_participants(db, workshop) == 1


def test_a_removed_persons_phone_cannot_rejoin_without_approval(app, db, workshop, facilitator):
    phone = app.test_client()
    join(phone, workshop)
    [person] = models.list_participants(db, workshop)
    facilitator.post(f"/w/{workshop.public_id}/people/{person.id}/remove")
    again = phone.get(f"/j/{workshop.join_token}")
    assert again.headers["Location"].endswith("/waiting")
    [held] = models.list_waiting(db, workshop, 10)
    assert held.reason == "removed"
    assert models.count_participants(db, workshop) == 0
    facilitator.post(f"/w/{workshop.public_id}/joins/{held.id}/approve")
    assert phone.get(f"/w/{workshop.public_id}/p").status_code == 200


def test_the_waiting_queue_is_bounded(app, db, workshop, monkeypatch):
    monkeypatch.setattr("workshop.models.people.MAX_WAITING", 2)
    models.set_expected_people(db, workshop, 1)
    statuses = [scan(app, workshop)[1].status_code for _ in range(4)]
    assert statuses == [303, 303, 303, 429]
    assert models.count_waiting(db, workshop) == 2


@pytest.mark.parametrize("typed", ["0", "501", "dużo"])
def test_a_bad_head_count_is_refused_next_to_the_field(db, workshop, facilitator, typed):
    response = facilitator.post(
        f"/w/{workshop.public_id}/expected", data={"expected-expected": typed}, headers=HX
    )
    assert response.status_code == 422
    page = response.get_data(True)
    assert "Wybierz od 1 do 500" in page or "liczb" in page.lower()
    assert fresh(db, workshop).expected_people is None


def test_the_count_can_be_cleared_and_credo_suggests_those_present(app, db, workshop, facilitator):
    for _ in range(3):
        join(app.test_client(), workshop)
    page = facilitator.get(f"/w/{workshop.public_id}/control").get_data(True)
    assert 'name="expected-now"' in page  # the suggestion: everyone here now
    response = facilitator.post(f"/w/{workshop.public_id}/expected", data={"expected-now": "y"})
    assert response.status_code == 303
    assert fresh(db, workshop).expected_people == 3
    set_expected(facilitator, workshop, "5")
    assert fresh(db, workshop).expected_people == 5
    set_expected(facilitator, workshop, "")
    assert fresh(db, workshop).expected_people is None


def test_expecting_everyone_here_with_no_one_here_is_refused_in_words(workshop, facilitator):
    response = facilitator.post(f"/w/{workshop.public_id}/expected", data={"expected-now": "y"})
    assert response.status_code == 422
    assert "Wybierz od 1 do 500 osób" in response.get_data(True)


def test_a_bad_head_count_opens_the_links_fold_with_the_error_and_the_typed_value(
    workshop, facilitator
):
    response = facilitator.post(
        f"/w/{workshop.public_id}/expected", data={"expected-expected": "0"}
    )
    page = response.get_data(True)
    assert response.status_code == 422
    assert '<details class="card share" open>' in page
    assert 'id="expected-expected-errors"' in page and 'value="0"' in page


def test_the_screen_and_the_control_page_show_joined_of_expected(
    app, client, db, workshop, facilitator
):
    models.set_expected_people(db, workshop, 12)
    for _ in range(3):
        join(app.test_client(), workshop)
    screen = client.get(f"/s/{workshop.screen_token}").get_data(True)
    assert "Dołączyły 3 z 12 osób" in screen
    people = facilitator.get(f"/w/{workshop.public_id}/control/people", headers=HX)
    assert "3 z 12" in people.get_data(True)


def test_a_round_shows_its_answers_against_the_people_present(db, workshop, facilitator):
    version = models.propose_draft(
        db, workshop, "Każdego dnia z życzliwością troszczymy się o zdrowie pacjentów"
    )
    round_ = models.open_round(db, workshop, "mission", version)
    people = [models.add_participant(db, workshop)[0] for _ in range(5)]
    models.answer_round(db, workshop, round_, people[0], 2)
    panel = facilitator.get(f"/w/{workshop.public_id}/control/round", headers=HX)
    assert "1 z 5 obecnych osób" in panel.get_data(True)


# Against the real server: a crowd of phones from one address, the count set to 40 --------


def test_a_crowd_of_joins_past_the_count_waits_and_a_real_room_gets_in(tmp_path):
    """40 phones behind one address join at once and all get in; 60 more from the same
    address (fresh cookies each) wait for approval; the facilitator lets one in."""
    server = Server(tmp_path)
    server.start()
    try:
        info = server.create_workshop("Crowd", expected=ROOM)
        join_path = urlsplit(info["join_url"]).path
        phones = [Browser(server.port) for _ in range(ROOM + 60)]

        def scan_real(phone: Browser) -> str:
            status, response, _ = phone.request("GET", join_path)
            assert status == 303
            return location(response)

        with ThreadPoolExecutor(8) as pool:
            room = list(pool.map(scan_real, phones[:ROOM]))
            crowd = list(pool.map(scan_real, phones[ROOM:]))
        assert all(target.endswith("/name") for target in room)
        assert all(target.endswith("/waiting") for target in crowd)
        facilitator = Browser(server.port)
        claim(facilitator, urlsplit(info["facilitator_url"]).path)
        status, _, page = facilitator.request("GET", f"/w/{info['id']}/control/waiting")
        assert status == 200
        text = page.decode()
        assert "40 people joined of 40 expected" in text
        assert "60 phones wait to join" in text
        first = text.split("/joins/", 1)[1].split("/", 1)[0]
        status, _, _ = facilitator.request(
            "POST",
            f"/w/{info['id']}/joins/{first}/approve",
            body=f"csrf_token={facilitator.csrf}",
        )
        assert status == 303
        let_in = [
            phone
            for phone in phones[ROOM:]
            if phone.request("GET", f"/w/{info['id']}/waiting")[0] == 303
        ]
        assert len(let_in) == 1
        status, _, _ = let_in[0].request("GET", f"/w/{info['id']}/p")
        assert status == 200
        for phone in [*phones, facilitator]:
            phone.close()
    finally:
        server.stop()
