"""Cheap for phones, in Chromium: what the phone page's first load costs, and live fragments
that the browser revalidates (304) still swap in, and still change when the room does.

The numbers are printed (run with ``-s``) and kept in tests/artifacts/page-weight.txt.
"""

from __future__ import annotations

import re
from pathlib import Path

from playwright.sync_api import Browser, Page, Request, Response, expect

from .conftest import CSP_REPORTER, KINDS, Server
from .test_room import (
    LIVE,
    MY_ANSWERS,
    NEXT,
    PHONE_BODY,
    PHONE_QUESTION,
    assert_not_reloaded,
    join,
    mark_loaded,
    send,
)

MAX_REQUESTS = 4  # the page, one stylesheet, one script, the live stream
MAX_BYTES = 50 * 1024  # compressed, headers included


class Recorder:
    """Keep every request a page makes from now on."""

    def __init__(self, page: Page) -> None:
        self.requests: list[Request] = []
        page.on("request", lambda request: self.requests.append(request))

    def wait_until_live(self, page: Page) -> None:
        """Wait for the page to settle: its question shown, its live stream open."""
        expect(page.locator(PHONE_BODY)).to_be_visible()
        page.wait_for_load_state("load")
        for _ in range(50):
            if any("/live" in r.url for r in self.requests):
                break
            page.wait_for_timeout(100)
        page.wait_for_timeout(1_000)  # anything late (a favicon, a fragment) shows up too


def is_stream(response: Response | None) -> bool:
    return response is not None and "text/event-stream" in response.headers["content-type"]


def transferred(request: Request) -> int:
    """Bytes over the wire for one response: headers plus the (compressed) body.

    The live stream never ends, so only its headers count: what the first load waits for.
    """
    response = request.response()
    if response is None:
        return 0
    if is_stream(response):
        return sum(len(h["name"]) + len(h["value"]) + 4 for h in response.headers_array())
    sizes = request.sizes()
    return sizes["responseHeadersSize"] + sizes["responseBodySize"]


def report(label: str, requests: list[Request], artifacts: Path) -> tuple[int, int]:
    """Print (and keep) how many requests a load made and how many bytes they cost."""
    rows = [(r, transferred(r)) for r in requests]
    total = sum(size for _, size in rows)
    lines = [f"{label}: {len(rows)} requests, {total / 1024:.1f} KB compressed"]
    for request, size in rows:
        response = request.response()
        encoding = (response.headers.get("content-encoding") if response else None) or "-"
        status = response.status if response else "-"
        path = re.sub(r"^https?://[^/]+", "", request.url)
        lines.append(f"  {status} {size:>6} B  {encoding:<5} {request.resource_type:<10} {path}")
    text = "\n".join(lines)
    print(text)
    with (artifacts / "page-weight.txt").open("a", encoding="utf-8") as kept:
        kept.write(text + "\n")
    return len(rows), total


def test_the_phone_page_first_load_is_four_requests_and_under_50_kb(
    room, new_workshop, browser: Browser, server: Server, artifacts: Path
):
    """The landing from the name page, and the same page in a browser with an empty cache."""
    (artifacts / "page-weight.txt").write_text("", encoding="utf-8")
    made = new_workshop()
    phone = room.open(made.join_url, "phone", "joining phone")
    expect(phone).to_have_url(re.compile(r"/w/[^/]+/name$"))
    landing = Recorder(phone)
    phone.locator("main form button[type=submit]").click()
    expect(phone).to_have_url(re.compile(r"/w/[^/]+/p$"))
    landing.wait_until_live(phone)
    after_name = [r for r in landing.requests if r.method == "GET"]  # not the name form's POST
    count, size = report("phone page after the name page", after_name, artifacts)
    assert count <= MAX_REQUESTS and size <= MAX_BYTES

    context = browser.new_context(
        base_url=server.base_url, storage_state=phone.context.storage_state(), **KINDS["phone"]
    )
    room.contexts.append(context)
    context.add_init_script(CSP_REPORTER)
    cold = context.new_page()
    room.watch(cold, "cold phone")
    first_load = Recorder(cold)
    cold.goto(f"/w/{made.id}/p")
    first_load.wait_until_live(cold)
    count, size = report("phone page, empty cache", first_load.requests, artifacts)
    assert count <= MAX_REQUESTS, [r.url for r in first_load.requests]
    assert size <= MAX_BYTES
    kinds = sorted(r.resource_type for r in first_load.requests)
    assert kinds == ["document", "eventsource", "script", "stylesheet"], kinds
    for request in first_load.requests:
        response = request.response()
        assert response is not None and response.status == 200, request.url
        if not is_stream(response):
            # Chromium offers br here (loopback counts as secure); the server prefers it
            assert response.headers.get("content-encoding") == "br", request.url
    room.assert_clean_console()


SWAPPED_AFTER_REFRESH = """() => new Promise((settled) => {
  const done = (event) => {
    if (event.target.id !== "phone-stage") { return; }
    document.body.removeEventListener("htmx:afterSettle", done);
    settled();
  };
  document.body.addEventListener("htmx:afterSettle", done);
  document.body.dispatchEvent(new CustomEvent("live-refresh"));
})"""
BUSY = ".htmx-request, .htmx-swapping, .htmx-settling, .htmx-added"


def refresh_stage(phone: Page, public_id: str) -> Response:
    """Make the phone re-fetch its stage as after a reconnect; return what the browser got."""
    stage_url = re.compile(rf"/w/{public_id}/p$")
    expect(phone.locator(BUSY)).to_have_count(0)  # the last swap has settled
    with phone.expect_response(
        lambda r: bool(stage_url.search(r.url)) and r.request.headers.get("hx-request") == "true"
    ) as answer:
        phone.evaluate(SWAPPED_AFTER_REFRESH)
    return answer.value


def test_a_revalidated_stage_still_swaps_in_and_still_follows_the_room(room, new_workshop):
    """A refresh that changes nothing costs a 304; after a change the phone sees it."""
    made = new_workshop()
    facilitator = room.open(made.facilitator_url, "laptop", "facilitator")
    phone = join(room, made.join_url)
    mark_loaded(phone)
    question = phone.locator(PHONE_QUESTION).inner_text()

    first = refresh_stage(phone, made.id)
    assert first.status == 200 and first.headers["etag"].startswith('W/"')
    again = refresh_stage(phone, made.id)
    assert again.request.all_headers().get("if-none-match") == first.headers["etag"]
    # The server said 304 (no body came); the browser hands htmx its copy as a 200.
    assert (
        again.request.sizes()["responseBodySize"] == 0 < first.request.sizes()["responseBodySize"]
    )
    assert again.status == 200 and again.headers["etag"] == first.headers["etag"]
    expect(phone.locator(PHONE_QUESTION)).to_have_text(question)
    expect(phone.locator(PHONE_BODY)).to_be_visible()

    send(phone, "Słuchamy z uwagą")  # the phone's own change: a newer revision
    fresh = refresh_stage(phone, made.id)
    assert fresh.status == 200 and fresh.headers["etag"] != first.headers["etag"]
    expect(phone.locator(MY_ANSWERS)).to_have_count(1)

    facilitator.locator(NEXT).click()  # the room's change arrives live, as always
    expect(phone.locator(PHONE_QUESTION)).not_to_have_text(question, timeout=LIVE)
    expect(phone.locator(PHONE_BODY)).to_be_visible()
    assert_not_reloaded(phone)
    room.assert_clean_console()
