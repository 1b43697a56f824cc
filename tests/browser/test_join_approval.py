"""A join past the expected head count waits for the facilitator (issue 16, item 4): the
phone (390 px) shows a waiting page that moves on by itself once the facilitator, on the
control page, lets it in; the control page lists it live. No console errors anywhere."""

from __future__ import annotations

from playwright.sync_api import expect

from .conftest import Workshop
from .test_room import shoot

LET_IN = "#join-requests form[action$='/approve'] button[type=submit]"
WAITING = "#waiting-status"


def test_a_phone_past_the_head_count_waits_and_moves_on_once_let_in(room, server, artifacts):
    made = Workshop(
        **server.create_workshop("Przychodnia", template="mission", language="pl", expected=1)
    )
    control = room.open(made.facilitator_url, "laptop", "facilitator")
    expect(control.locator("#participant-count")).to_contain_text("0 z 1")
    first = room.open(made.join_url, "phone", "first phone")
    expect(first).to_have_url(f"{server.base_url}/w/{made.id}/name")
    expect(control.locator("#participant-count")).to_contain_text("1 z 1")

    late = room.open(made.join_url, "phone", "late phone")
    expect(late).to_have_url(f"{server.base_url}/w/{made.id}/waiting")
    expect(late.locator(WAITING)).to_be_visible()
    shoot(late, artifacts / "join-waiting-phone.png")
    # The control page hears of it live, without a reload.
    expect(control.locator(LET_IN)).to_have_count(1, timeout=5_000)
    expect(control.locator("#participant-count")).to_contain_text("1")
    shoot(control, artifacts / "join-waiting-control.png")

    control.locator(LET_IN).click()
    expect(control.locator(LET_IN)).to_have_count(0)
    expect(control.locator("#join-requests")).to_be_hidden()
    expect(control.locator("#participant-count")).to_contain_text("2 z 1")
    # The waiting page asks again every few seconds and goes on to the name by itself.
    expect(late).to_have_url(f"{server.base_url}/w/{made.id}/name", timeout=10_000)
    expect(late.locator("input[name=display_name]")).to_be_visible()
    # The head count sits with the join links; "everyone here now" sets it to the two in.
    control.locator("details.share > summary").click()
    shoot(control, artifacts / "join-expected-form.png")
    control.locator("#expected-people form:has(input[name=expected-now]) button").click()
    expect(control.locator("#participant-count")).to_contain_text("2 z 2")
    room.assert_clean_console("after the late phone was let in")
