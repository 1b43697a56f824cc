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


class App:
    """A WSGI app that answers 200, keeping the environ it was called with."""

    def __init__(self) -> None:
        self.environ: dict | None = None

    def __call__(self, environ: dict, start_response) -> list[bytes]:
        self.environ = environ
        start_response("200 OK", [])
        return [b"seen"]


def words(environ: dict) -> bytes:
    return b"too slow"


def call(middleware: BodyDeadline, environ: dict) -> tuple[str, bytes]:
    answered = []
    body = b"".join(middleware(environ, lambda status, headers: answered.append(status)))
    return answered[0], body


def environ_with(body: object = b"x", **headers: str) -> dict:
    stream = io.BytesIO(body) if isinstance(body, bytes) else body
    return {"REQUEST_METHOD": "POST", "wsgi.input": stream, **headers}


def test_outside_gevent_the_body_is_left_as_the_server_gives_it():
    app = App()
    environ = environ_with(CONTENT_LENGTH="1")
    given = environ["wsgi.input"]
    assert call(BodyDeadline(app, 65536, words), environ) == ("200 OK", b"seen")
    assert app.environ["wsgi.input"] is given


@pytest.fixture
def under_gevent(monkeypatch):
    monkeypatch.setattr(deadline.offload, "cooperative", lambda: True)


def test_a_form_is_read_whole_before_the_app_sees_it(under_gevent):
    app = App()
    call(BodyDeadline(app, 65536, words), environ_with(b"a=1&b=2", CONTENT_LENGTH="7"))
    assert app.environ["wsgi.input"].read() == b"a=1&b=2"


def test_a_slow_form_is_answered_408_without_the_app(under_gevent, monkeypatch):
    monkeypatch.setattr(deadline, "body_seconds", lambda size: 0.2)
    app = App()
    environ = environ_with(Trickle(every=0.02), CONTENT_LENGTH="60000")
    status, body = call(BodyDeadline(app, 65536, words), environ)
    assert (status, body) == ("408 Request Timeout", b"too slow")
    assert app.environ is None


def test_a_larger_or_chunked_body_is_read_by_the_app_within_the_deadline_of_its_size(
    under_gevent,
):
    app = App()
    middleware = BodyDeadline(app, 65536, words)
    cases = {
        "an 8 MiB upload": (environ_with(CONTENT_LENGTH=str(8 << 20)), body_seconds(8 << 20)),
        "chunked": (environ_with(HTTP_TRANSFER_ENCODING="chunked"), body_seconds(65536)),
    }
    for name, (environ, seconds) in cases.items():
        began = time.monotonic()
        call(middleware, environ)
        wrapped = app.environ["wsgi.input"]
        assert isinstance(wrapped, DeadlineInput), name
        assert began + seconds <= wrapped.deadline <= time.monotonic() + seconds, name


def test_a_request_without_a_body_is_left_alone(under_gevent):
    app = App()
    for environ in (environ_with(), environ_with(CONTENT_LENGTH="0")):
        given = environ["wsgi.input"]
        call(BodyDeadline(app, 65536, words), environ)
        assert app.environ["wsgi.input"] is given


def test_the_408_is_in_the_visitors_language(app):
    middleware = app.wsgi_app
    while not isinstance(middleware, BodyDeadline):
        middleware = middleware.app
    polish = middleware.words({"HTTP_ACCEPT_LANGUAGE": "pl-PL,pl;q=0.9"}).decode()
    english = middleware.words({"HTTP_COOKIE": "lang=en", "HTTP_ACCEPT_LANGUAGE": "pl"}).decode()
    assert polish.startswith("Przesyłanie trwało zbyt długo")
    assert english == "That took too long to arrive. Please send it again."


def test_a_logo_upload_over_slow_wifi_fits_and_a_form_a_byte_at_a_time_does_not():
    slow_wifi = 256 * 1024 / 8  # bytes a second at 256 kbit/s
    assert body_seconds(UPLOAD_MAX_BYTES) > UPLOAD_MAX_BYTES / slow_wifi
    form = 64 * 1024
    assert body_seconds(form) < 2 * REQUEST_BODY_SECONDS  # a byte every few seconds: cut off
