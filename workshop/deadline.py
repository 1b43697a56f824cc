"""A deadline for each request's body, under `workshop serve`'s gevent workers.

gunicorn drops a request whose headers are slow (rules.REQUEST_HEADERS_SECONDS), but reads
its body only when the app asks for it (werkzeug parses a form lazily), with no deadline: a
client announcing 60,000 bytes and sending one every few seconds would hold its connection
and greenlet for hours. ``BodyDeadline`` gives every body, from the moment its headers are
in, ``rules.body_seconds(its size)`` to arrive whole, however the reads are spread: each read
of ``wsgi.input`` waits under a ``gevent.Timeout`` for what is left of that one deadline, so
a trickle of one byte just inside any per-read timeout is still cut off.

A body within the limit everyone gets (MAX_CONTENT_LENGTH, 64 KiB) is read whole before the
app is called, as a proxy that buffers requests would: thousands of slow ones cost a greenlet
each, never the app's work of starting a request and of drawing an error page, and each is
answered 408 in a line of plain text once its deadline passes. A larger body is refused by
werkzeug before it is read, except the signed-in facilitator's poster upload, which raises
its limit after its login and CSRF checks (views/poster_page.py): it is read as the app asks,
within the longer deadline of its size, and answered with the app's own 408 page. A chunked
body, whose size is known only at its end, is read the same way, within the deadline of the
64 KiB limit: gunicorn and werkzeug read it cleanly and never past the limit in force, and
browsers, Credo's only clients, always send a length, so its short deadline costs no one.

A deadline that passes while a read waits fails that read inside gunicorn, which then closes
the connection after the answer; a read begun after the deadline is refused at once, and
gunicorn gives up the rest of the body within its header deadline. Outside gevent (Flask's
development server, the test client) the middleware leaves the body alone: a blocking read
there cannot be interrupted.
"""

import io
import time
from collections.abc import Callable, Iterable, Iterator
from typing import Any, BinaryIO

import gevent
from werkzeug.exceptions import RequestTimeout
from werkzeug.wsgi import get_content_length

from . import offload
from .rules import body_seconds

WSGIApp = Callable[[dict, Callable], Iterable[bytes]]


class BodyTooSlow(RequestTimeout):
    """The request's body did not arrive within its deadline."""


class DeadlineInput:
    """``wsgi.input`` whose reads all end by one deadline (``time.monotonic()``), together."""

    def __init__(self, stream: BinaryIO, deadline: float) -> None:
        self.stream = stream
        self.deadline = deadline

    def read(self, size: int | None = -1) -> bytes:
        """Read as the stream does, raising BodyTooSlow past the deadline."""
        return self._within(self.stream.read, size)

    def readline(self, size: int | None = -1) -> bytes:
        """Read a line as the stream does, raising BodyTooSlow past the deadline."""
        return self._within(self.stream.readline, size)

    def readlines(self, hint: int | None = -1) -> list[bytes]:
        """Read the lines as the stream does, raising BodyTooSlow past the deadline."""
        return self._within(self.stream.readlines, hint)

    def __iter__(self) -> Iterator[bytes]:
        return self

    def __next__(self) -> bytes:
        line = self.readline()
        if not line:
            raise StopIteration
        return line

    def _within(self, read: Callable[[Any], Any], size: int | None) -> Any:
        remaining = self.deadline - time.monotonic()
        if remaining <= 0:
            raise BodyTooSlow
        # The exception is thrown into the greenlet where it waits, inside gunicorn's read,
        # which marks the body failed: the connection is closed after the answer.
        with gevent.Timeout(remaining, BodyTooSlow()):
            return read(size)


class BodyDeadline:
    """WSGI middleware: under gevent, give each request's body its deadline to arrive in.

    A body no larger than ``buffered_size`` (the limit everyone gets, 64 KiB) is read whole
    here, as a proxy that buffers requests would, before the app sees the request: a slow one
    then costs a greenlet and no more, and is answered 408 here, in the words
    ``words(environ)`` returns, without entering the app. A larger body (read only by the
    facilitator's poster upload, after its checks) or a chunked one is read by the app as it
    asks, each read within the same deadline; past it the app answers 408.
    """

    def __init__(self, app: WSGIApp, buffered_size: int, words: Callable[[dict], bytes]) -> None:
        self.app = app
        self.buffered_size = buffered_size  # also the size a chunked body is reckoned at
        self.words = words

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        length = get_content_length(environ)
        chunked = "chunked" in environ.get("HTTP_TRANSFER_ENCODING", "").lower()
        if not (length or chunked) or not offload.cooperative():
            return self.app(environ, start_response)
        size = self.buffered_size if chunked else length
        body = DeadlineInput(environ["wsgi.input"], time.monotonic() + body_seconds(size))
        if chunked or size > self.buffered_size:
            environ["wsgi.input"] = body
            return self.app(environ, start_response)
        try:
            environ["wsgi.input"] = io.BytesIO(_read_whole(body, size))
        except BodyTooSlow:
            return self._too_slow(environ, start_response)
        return self.app(environ, start_response)

    def _too_slow(self, environ: dict, start_response: Callable) -> list[bytes]:
        """Answer 408; gunicorn then closes the connection, whose body it could not read."""
        text = self.words(environ)
        start_response(
            "408 Request Timeout",
            [
                ("Content-Type", "text/plain; charset=utf-8"),
                ("Content-Length", str(len(text))),
                ("Content-Security-Policy", "default-src 'none'"),
                ("X-Content-Type-Options", "nosniff"),
                ("Cache-Control", "no-store"),
            ],
        )
        return [text]


def _read_whole(body: DeadlineInput, size: int) -> bytes:
    """Return the body's ``size`` bytes, or fewer if the client ends it sooner."""
    data = bytearray()
    while len(data) < size:
        chunk = body.read(size - len(data))
        if not chunk:
            break
        data += chunk
    return bytes(data)
