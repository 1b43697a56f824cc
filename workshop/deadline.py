"""A deadline for each request's body, under `workshop serve`'s gevent workers.

gunicorn drops a request whose headers are slow (rules.REQUEST_HEADERS_SECONDS), but reads
its body only when the app asks for it (werkzeug parses a form lazily), with no deadline: a
client announcing 60,000 bytes and sending one every few seconds would hold its connection
and greenlet for hours. ``BodyDeadline`` gives every body, from the moment its headers are
in, ``rules.body_seconds(its size)`` to arrive whole, however the reads are spread: each read
of ``wsgi.input`` waits under a ``gevent.Timeout`` for what is left of that one deadline, so
a trickle of one byte just inside any per-read timeout is still cut off.

The size is the body's Content-Length. A body is read only when that is within the limit in
force (werkzeug refuses a larger one before reading), so the deadline follows that limit:
anonymous clients' bodies, under 64 KiB, have at most ``body_seconds(64 KiB)``, and only the
signed-in facilitator's poster upload, after its CSRF check (views/poster_page.py), gets the
longer one of a larger body. A chunked body, whose size is known only at its end, gets the
deadline of the app's own limit (MAX_CONTENT_LENGTH, 64 KiB): gunicorn and werkzeug read it
cleanly and never past that limit, and browsers, Credo's only clients, always send a length.

A body past its deadline raises ``BodyTooSlow`` (408) where the app reads it; the error page
is sent, and gunicorn closes the connection, since reading its body failed. Outside gevent
(Flask's development server, the test client) the wrapper is not put in: a blocking read
there cannot be interrupted, and a thread per request is that server's own affair.
"""

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
    """WSGI middleware: under gevent, give each request's body its deadline to arrive in."""

    def __init__(self, app: WSGIApp, chunked_size: int) -> None:
        self.app = app
        self.chunked_size = chunked_size  # the size a chunked body's deadline is reckoned for

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        size = _body_size(environ, self.chunked_size)
        if size and offload.cooperative():
            deadline = time.monotonic() + body_seconds(size)
            environ["wsgi.input"] = DeadlineInput(environ["wsgi.input"], deadline)
        return self.app(environ, start_response)


def _body_size(environ: dict, chunked_size: int) -> int:
    """Return the bytes the request's body is reckoned at (0: it has none)."""
    if "chunked" in environ.get("HTTP_TRANSFER_ENCODING", "").lower():
        return chunked_size
    return get_content_length(environ) or 0
