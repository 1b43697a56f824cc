"""The request body's deadline (workshop/deadline.py): one deadline for the whole body, however
its reads are spread; put in only under gevent. gevent's timeouts work here without patching,
on the test's own hub; the real server's test is in tests/test_slow_clients.py."""

import io
import time

import gevent
import pytest

from workshop import deadline
from workshop.deadline import BodyDeadline, BodyTooSlow, DeadlineInput
from workshop.rules import REQUEST_BODY_SECONDS, body_seconds
from workshop.views.poster_page import UPLOAD_MAX_BYTES


class Trickle:
    """A body that arrives a byte at a time, ``every`` seconds apart (on gevent's clock)."""

    def __init__(self, every: float) -> None:
        self.every = every

    def read(self, size: int | None = -1) -> bytes:
        gevent.sleep(self.every)
        return b"-"


def test_a_trickle_inside_any_per_read_timeout_is_cut_off_by_the_one_deadline():
    body = DeadlineInput(Trickle(every=0.02), time.monotonic() + 0.2)
    read = b""
    with pytest.raises(BodyTooSlow) as refused:
        while len(read) < 1000:  # each read waits 0.02 s, a tenth of the deadline
            read += body.read(1)
    assert refused.value.code == 408
    assert 0 < len(read) < 1000


def test_a_read_that_waits_past_the_deadline_is_interrupted():
    body = DeadlineInput(Trickle(every=3600), time.monotonic() + 0.05)
    with pytest.raises(BodyTooSlow):
        body.read(60_000)


def test_a_body_that_arrives_in_time_is_read_as_sent():
    body = DeadlineInput(io.BytesIO(b"a=1\nb=2\n"), time.monotonic() + 5)
    assert body.readline() == b"a=1\n"
    assert list(body) == [b"b=2\n"]
    assert body.read() == b""


def record_input(environ: dict, start_response) -> list[bytes]:
    """A WSGI app that answers with nothing, leaving the environ it was given to look at."""
    return []


def environ_with(**headers: str) -> dict:
    return {"REQUEST_METHOD": "POST", "wsgi.input": io.BytesIO(b"x"), **headers}


def test_outside_gevent_the_body_is_left_as_the_server_gives_it():
    environ = environ_with(CONTENT_LENGTH="60000")
    given = environ["wsgi.input"]
    BodyDeadline(record_input, 65536)(environ, None)
    assert environ["wsgi.input"] is given


def test_under_gevent_the_deadline_follows_the_body_size(monkeypatch):
    monkeypatch.setattr(deadline.offload, "cooperative", lambda: True)
    middleware = BodyDeadline(record_input, 65536)
    cases = {
        "60,000 bytes": (environ_with(CONTENT_LENGTH="60000"), body_seconds(60_000)),
        "chunked": (environ_with(HTTP_TRANSFER_ENCODING="chunked"), body_seconds(65536)),
    }
    for name, (environ, seconds) in cases.items():
        began = time.monotonic()
        middleware(environ, None)
        wrapped = environ["wsgi.input"]
        assert isinstance(wrapped, DeadlineInput), name
        assert began + seconds <= wrapped.deadline <= time.monotonic() + seconds, name
    for environ in (environ_with(), environ_with(CONTENT_LENGTH="0")):  # no body: left alone
        given = environ["wsgi.input"]
        middleware(environ, None)
        assert environ["wsgi.input"] is given


def test_a_logo_upload_over_slow_wifi_fits_and_a_form_a_byte_at_a_time_does_not():
    slow_wifi = 256 * 1024 / 8  # bytes a second at 256 kbit/s
    assert body_seconds(UPLOAD_MAX_BYTES) > UPLOAD_MAX_BYTES / slow_wifi
    form = 64 * 1024
    assert body_seconds(form) < 2 * REQUEST_BODY_SECONDS  # a byte every few seconds: cut off
