"""One hostile client against the real `workshop serve` (issue 16, items 3 and 6), with its
default settings and two worker processes, on loopback: an amendment flood from one phone,
and workshops started in bulk from one address. Bounded in count; no timing assertions."""

from __future__ import annotations

import re
import sqlite3
from contextlib import closing
from urllib.parse import urlencode, urlsplit

import pytest

from workshop.rules import MAX_PENDING_AMENDMENTS_PER_PERSON, PENDING_AMENDMENTS_SHOWN

from .live_room import Browser, Server, claim, join

FLOOD = 200  # suggested changes one phone sends as fast as the server answers
STARTS = 30  # workshops one address tries to start
MISSION = "We care for every patient with kindness and skill, every single day of the week."
HX = {"HX-Request": "true"}


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    running = Server(tmp_path_factory.mktemp("hostile"), workers=2)
    running.start()
    yield running
    running.stop()


def _draft(server: Server) -> tuple[int, int]:
    with closing(sqlite3.connect(server.database)) as db:
        return db.execute("select draft_id, id from versions order by id desc limit 1").fetchone()


def _pending(server: Server) -> int:
    with closing(sqlite3.connect(server.database)) as db:
        query = "select count(*) from amendments where status = 'pending'"
        return db.execute(query).fetchone()[0]


def test_an_amendment_flood_is_refused_and_the_control_page_shows_one_page(server):
    info = server.create_workshop(title="Flood")
    facilitator, phone = Browser(server.port), Browser(server.port)
    try:
        claim(facilitator, urlsplit(info["facilitator_url"]).path)
        body = urlencode({"csrf_token": facilitator.csrf, "builder-text": MISSION})
        status, _, _ = facilitator.request("POST", f"/w/{info['id']}/builder", body)
        assert status == 303
        draft_id, version_id = _draft(server)
        join(phone, urlsplit(info["join_url"]).path)
        statuses = []
        for number in range(FLOOD):
            text = f"{MISSION} {number} ".ljust(1200, "x")
            body = urlencode({"csrf_token": phone.csrf, f"amend-{draft_id}-text": text})
            path = f"/w/{info['id']}/versions/{version_id}/amend"
            statuses.append(phone.request("POST", path, body, HX)[0])
        stored = _pending(server)  # before the limits: all 200
        assert 1 <= stored <= MAX_PENDING_AMENDMENTS_PER_PERSON
        assert statuses.count(200) == stored and set(statuses) <= {200, 409, 429}
        assert statuses.count(429) >= FLOOD - 2 * MAX_PENDING_AMENDMENTS_PER_PERSON, statuses
        # The control page's drafts, as its live refresh asks for them on every change
        status, _, page = facilitator.request("GET", f"/w/{info['id']}/control/drafts", None, HX)
        assert status == 200
        assert len(re.findall(rb'<li class="amendment">', page)) == min(
            stored, PENDING_AMENDMENTS_SHOWN
        )
    finally:
        facilitator.close()
        phone.close()


def test_one_address_starts_only_its_share_of_workshops_an_hour(server):
    stranger = Browser(server.port)
    statuses = []
    try:
        for number in range(STARTS):
            _, _, page = stranger.request("GET", "/")
            stranger.read_csrf(page)
            body = urlencode(
                {"csrf_token": stranger.csrf, "title": f"Klinika {number}", "language": "pl"}
            )
            status, response, answer = stranger.request("POST", "/", body)
            statuses.append(status)
            if status == 429:
                assert int(response.headers["Retry-After"]) >= 1
                assert "Klinika" in answer.decode()  # the form keeps what was typed
    finally:
        stranger.close()
    assert statuses.count(303) <= 10 and statuses.count(429) >= STARTS - 10, statuses
