"""Cheap for phones: versioned static files cached for good, brotli or gzip, 304 for fragments."""

import gzip
import hashlib
import itertools
import re
from pathlib import Path

import brotli
import pytest
from bs4 import BeautifulSoup
from flask import Response

from workshop import assets, models
from workshop.db import connect
from workshop.views import participant

from .conftest import HX

GZIP = {"Accept-Encoding": "gzip"}
BROWSER = {"Accept-Encoding": "gzip, deflate, br, zstd"}  # what Chromium offers
UNPACK = {"gzip": gzip.decompress, "br": brotli.decompress}
VENDOR = ("vendor/htmx.min.js", "vendor/sse.min.js", "js/app.js")


def linked_files(response) -> list[str]:
    """Return the stylesheet and script URLs a page links, in order."""
    page = BeautifulSoup(response.get_data(as_text=True), "html.parser")
    links = [tag["href"] for tag in page.select("link[rel=stylesheet]")]
    return links + [tag["src"] for tag in page.select("script[src]")]


def test_the_phone_page_links_one_stylesheet_and_one_script_by_content_version(phone, workshop):
    links = linked_files(phone.get(f"/w/{workshop.public_id}/p"))
    assert len(links) == 2, links
    for url in links:
        assert re.fullmatch(r"/static/[\w/.-]+\?v=[0-9a-f]{16}", url), url
        served = phone.get(url)
        version = url.rsplit("=", 1)[1]
        assert hashlib.sha256(served.data).hexdigest()[:16] == version
    assert links[0].startswith("/static/css/app.css?v=")


def test_the_bundle_is_htmx_then_its_sse_extension_then_app_js(app, client):
    with app.test_request_context():
        url = assets.asset_url("credo.js")
    bundle = client.get(url).data
    static = Path(app.static_folder)
    starts = [bundle.find((static / name).read_bytes().rstrip()) for name in VENDOR]
    assert -1 not in starts and starts == sorted(starts)


def test_versioned_static_files_are_cached_for_a_year_and_others_revalidate(app, client):
    with app.test_request_context():
        url = assets.asset_url("css/app.css")
    fixed = client.get(url)
    assert fixed.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    for other in ("/static/css/app.css", "/static/css/app.css?v=0123456789abcdef"):
        response = client.get(other)
        assert response.status_code == 200
        assert response.headers["Cache-Control"] == "public, no-cache", other
    again = client.get("/static/css/app.css", headers={"If-None-Match": fixed.headers["ETag"]})
    assert again.status_code == 304 and again.data == b""


def test_static_files_carry_no_cookie(phone, workshop):
    for url in linked_files(phone.get(f"/w/{workshop.public_id}/p")):
        response = phone.get(url)
        assert "Set-Cookie" not in response.headers, url
        assert "Cookie" not in response.headers.get("Vary", ""), url


@pytest.mark.parametrize(("offered", "encoding"), [(GZIP, "gzip"), (BROWSER, "br")])
def test_html_css_and_js_are_packed_for_a_client_that_takes_it(phone, workshop, offered, encoding):
    """gzip for a client that takes only gzip; brotli, the smaller, for a browser offering both."""
    page_url = f"/w/{workshop.public_id}/p"
    plain_page = phone.get(page_url)
    for url in [page_url, *linked_files(plain_page)]:
        plain = phone.get(url)
        packed = phone.get(url, headers=offered)
        assert "Content-Encoding" not in plain.headers, url
        assert packed.headers["Content-Encoding"] == encoding, url
        assert "Accept-Encoding" in packed.headers["Vary"], url
        assert int(packed.headers["Content-Length"]) == len(packed.data) < len(plain.data)
        unpacked = UNPACK[encoding](packed.data)
        if url == page_url:  # each page has a fresh answer nonce: compare the shape
            assert unpacked.startswith(b"<!doctype html>") and len(unpacked) > 1000
        else:
            assert unpacked == plain.data, url


def test_small_answers_pdfs_and_images_are_not_packed(app):
    body = b"\x89PNG" + b"x" * 2000
    answers = {
        "png": Response(body, mimetype="image/png"),
        "pdf": Response(body, mimetype="application/pdf"),
        "small": Response("<p>ok</p>", mimetype="text/html"),
    }
    app.add_url_rule("/test-kind/<kind>", "test_kind", lambda kind: answers[kind])
    client = app.test_client()
    for kind in ("png", "pdf"):
        response = client.get(f"/test-kind/{kind}", headers=BROWSER)
        assert "Content-Encoding" not in response.headers and response.data == body
    small = client.get("/test-kind/small", headers=BROWSER)
    assert "Content-Encoding" not in small.headers
    assert "Accept-Encoding" in small.headers["Vary"]


def test_a_static_file_is_packed_once_per_version_and_answers_304_to_its_packed_tag(
    app, client, monkeypatch
):
    with app.test_request_context():
        url = assets.asset_url("credo.js")
    first = client.get(url, headers=BROWSER)
    packings = []
    real = brotli.compress
    monkeypatch.setattr(brotli, "compress", lambda *a, **k: packings.append(1) or real(*a, **k))
    again = client.get(url, headers=BROWSER)
    assert again.data == first.data and packings == []  # kept from the first time
    assert first.headers["ETag"].endswith(':br"')
    tagged = client.get(url, headers={**BROWSER, "If-None-Match": first.headers["ETag"]})
    assert tagged.status_code == 304 and tagged.data == b""


def test_the_event_stream_is_never_packed(phone, workshop):
    response = phone.get(f"/w/{workshop.public_id}/live", headers=BROWSER)
    chunks = response.iter_encoded()
    first = b"".join(itertools.islice(chunks, 1))
    response.close()
    assert response.mimetype == "text/event-stream"
    assert "Content-Encoding" not in response.headers
    assert first.startswith(b"retry:")


def fragment(client, url: str, tag: str | None = None):
    """GET a fragment as htmx does, sending ``tag`` back as the browser would."""
    headers = {**HX, **({"If-None-Match": tag} if tag else {})}
    return client.get(url, headers=headers)


def test_a_repeated_fragment_is_answered_304_without_rendering(phone, workshop, monkeypatch):
    url = f"/w/{workshop.public_id}/p"
    first = fragment(phone, url)
    tag = first.headers["ETag"]
    assert first.status_code == 200 and tag.startswith('W/"')
    assert first.headers["Cache-Control"] == "private, no-cache"
    renders = []
    monkeypatch.setattr(participant, "_phone_context", lambda *a, **k: renders.append(a))
    again = fragment(phone, url, tag)
    assert again.status_code == 304 and again.data == b"" and not renders
    assert again.headers["ETag"] == tag
    assert again.headers["Cache-Control"] == "private, no-cache"
    assert "HX-Request" in again.headers["Vary"]


def test_a_new_answer_makes_the_fragment_fresh_again(phone, workshop):
    url = f"/w/{workshop.public_id}/p/board"
    tag = fragment(phone, url).headers["ETag"]
    assert fragment(phone, url, tag).status_code == 304
    phone.post(f"/w/{workshop.public_id}/answers", data={"body": "Dla pacjentów", "nonce": "a"})
    fresh = fragment(phone, url, tag)
    assert fresh.status_code == 200 and fresh.headers["ETag"] != tag


def test_the_tag_is_each_phones_own_and_follows_its_language(app, phone, workshop):
    url = f"/w/{workshop.public_id}/p"
    tag = fragment(phone, url).headers["ETag"]
    other = app.test_client()
    other.get(f"/j/{workshop.join_token}")
    assert fragment(other, url, tag).status_code == 200  # the other phone's own answers
    phone.post("/language", data={"language": "en", "next": url})
    switched = fragment(phone, url, tag)
    assert switched.status_code == 200 and "Send" in switched.get_data(as_text=True)


def test_a_running_timer_is_never_answered_from_the_cache(app, phone, workshop):
    url = f"/w/{workshop.public_id}/p"
    db = connect(app.config["DATABASE"])
    fresh = models.get_workshop_by_id(db, workshop.id)
    models.start_timer(db, fresh, models.current_stage(db, fresh), 60, True)
    response = fragment(phone, url)
    assert response.status_code == 200 and "ETag" not in response.headers
    assert response.headers["Cache-Control"] == "no-store"
    assert 'data-seconds-left="' in response.get_data(as_text=True)
    db.close()


def test_whole_pages_are_not_tagged(phone, workshop):
    response = phone.get(f"/w/{workshop.public_id}/p")
    assert "ETag" not in response.headers and response.headers["Cache-Control"] == "no-store"


def test_screen_and_facilitator_fragments_are_answered_304_too(client, facilitator, workshop):
    for who, url in (
        (client, f"/s/{workshop.screen_token}/main"),
        (client, f"/s/{workshop.screen_token}/people"),
        (facilitator, f"/w/{workshop.public_id}/control/board"),
        (facilitator, f"/w/{workshop.public_id}/control/people"),
    ):
        tag = fragment(who, url).headers["ETag"]
        assert fragment(who, url, tag).status_code == 304, url


def test_a_fragment_is_refused_before_any_304_to_someone_who_may_not_see_it(
    client, facilitator, workshop
):
    url = f"/w/{workshop.public_id}/control/board"
    tag = fragment(facilitator, url).headers["ETag"]
    assert fragment(client, url, tag).status_code == 403


def test_a_new_csrf_secret_or_a_waiting_message_means_a_fresh_fragment(phone, workshop):
    url = f"/w/{workshop.public_id}/p"
    tag = fragment(phone, url).headers["ETag"]
    with phone.session_transaction() as session:
        session["csrf_token"] = "a-new-secret"  # the forms in the copy carry the old one
    assert fragment(phone, url, tag).status_code == 200
    with phone.session_transaction() as session:
        session["_flashes"] = [("phone-drafts", "Sent to the facilitator. Thank you!")]
    waiting = fragment(phone, url)
    assert waiting.status_code == 200 and "ETag" not in waiting.headers


def test_the_clients_feedback_page_loads_no_script(client, workshop):
    """A client's phone on bad mobile data downloads the page and its stylesheet only:
    the form works without JavaScript, so none is sent (bench: ≤ 30 KB on first load)."""
    for path in (f"/c/{workshop.feedback_token}", f"/c/{workshop.feedback_token}?kiosk=1"):
        links = linked_files(client.get(path))
        assert len(links) == 1 and links[0].startswith("/static/css/app.css?v="), links
    thanks = client.get(f"/c/{workshop.feedback_token}/thanks?kiosk=1")
    assert not BeautifulSoup(thanks.get_data(as_text=True), "html.parser").select("script")
