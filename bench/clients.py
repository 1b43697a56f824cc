"""Cheap clients for hundreds of phones in one process: asyncio sockets, no threads.

A ``Stream`` is a page's live-update stream (an EventSource), read over a raw socket with
HTTP/1.0 so there is no chunked encoding to undo; it notes when each frame arrived. A
``Device`` is a browser's keep-alive connection for ordinary requests. ``Refetch`` is an htmx
element that re-fetches itself when an event arrives, as the real pages do.

Arrival times come from the event loop's selector: the moment ``select()`` returned with the
socket readable, before any callback of that round ran, so the time this process spends
handling 300 other sockets in the same round is not counted against the server.
"""

from __future__ import annotations

import asyncio
import gc
import re
import selectors
import time
from collections import Counter
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from typing import Any

HOST = "127.0.0.1"
FRAME = re.compile(rb"^id: (\d+)\nevent: ([\w-]+)", re.M)
REQUEST_TIMEOUT = 30.0
# What a request can fail with when the server drops, resets or stalls the connection.
FAILURES = (OSError, EOFError, asyncio.TimeoutError, ValueError)


class StampingSelector(selectors.DefaultSelector):
    """The loop's selector, remembering when its last ``select()`` returned."""

    def __init__(self) -> None:
        super().__init__()
        self.stamp = time.monotonic()

    def select(self, timeout: float | None = None) -> list:
        ready = super().select(timeout)
        self.stamp = time.monotonic()
        return ready


@dataclass
class Counts:
    """What went wrong (or was retried) across every client of one run."""

    stream_failures: list[str] = field(default_factory=list)  # refused or never opened
    stream_drops: int = 0  # open streams the server closed (they reconnect)
    refetches: int = 0
    refetch_errors: Counter = field(default_factory=Counter)


class Loop:
    """An event loop with a stamping selector, and the tasks started on it."""

    def __init__(self) -> None:
        self.selector = StampingSelector()
        self.loop = asyncio.SelectorEventLoop(self.selector)
        self.tasks: set[asyncio.Task] = set()
        self.counts = Counts()

    def run(self, coroutine: Coroutine[Any, Any, Any]) -> Any:
        gc.collect()
        gc.disable()  # a full collection among 300 sockets' objects stalls the loop for ms
        try:
            return self.loop.run_until_complete(coroutine)
        finally:
            gc.enable()
            for task in self.tasks:
                task.cancel()
            if self.tasks:
                self.loop.run_until_complete(asyncio.gather(*self.tasks, return_exceptions=True))
            self.loop.close()

    def spawn(self, coroutine: Coroutine[Any, Any, Any]) -> asyncio.Task:
        task = self.loop.create_task(coroutine)
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)
        return task


class Stream(asyncio.Protocol):
    """One page's live-update stream; reconnects with Last-Event-ID, as EventSource does."""

    def __init__(
        self,
        loop: Loop,
        port: int,
        path: str,
        cookies: dict[str, str] | None = None,
        on_frame: Callable[[set[str]], None] | None = None,
    ) -> None:
        self.owner = loop
        self.port = port
        self.path = path
        self.cookie = "; ".join(f"{k}={v}" for k, v in (cookies or {}).items())
        self.on_frame = on_frame
        self.times: list[float] = []  # when each batch of frames arrived
        self.ids: list[int] = []  # the newest event id in that batch
        self.latest: dict[str, int] = {}  # kind → newest id seen
        self.opened = loop.loop.create_future()
        self.transport: asyncio.Transport | None = None
        self.closing = False
        self.retry = 2.0
        self._buffer = b""
        self._in_header = True

    @property
    def newest(self) -> int:
        return self.ids[-1] if self.ids else 0

    async def connect(self) -> None:
        try:
            await self.owner.loop.create_connection(lambda: self, HOST, self.port)
        except OSError as error:
            if not self.opened.done():
                self._failed(f"could not connect: {error!r}")
            elif not self.closing:  # reconnecting: try again later, as EventSource does
                self.owner.loop.call_later(self.retry, lambda: self.owner.spawn(self.connect()))

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        self._buffer = b""
        self._in_header = True
        lines = [f"GET {self.path} HTTP/1.0", f"Host: {HOST}:{self.port}"]
        lines.append("Accept: text/event-stream")
        if self.cookie:
            lines.append(f"Cookie: {self.cookie}")
        if self.ids:
            lines.append(f"Last-Event-ID: {self.newest}")
        transport.write(("\r\n".join(lines) + "\r\n\r\n").encode())

    def data_received(self, data: bytes) -> None:
        arrived = self.owner.selector.stamp
        buffer = self._buffer + data
        if self._in_header:
            end = buffer.find(b"\r\n\r\n")
            if end < 0:
                self._buffer = buffer
                return
            status = buffer[9:12]
            if status != b"200":
                self._failed(f"the stream answered {status.decode(errors='replace')}")
                self.closing = True
                self.transport.close()
                return
            buffer = buffer[end + 4 :]
            self._in_header = False
        cut = buffer.rfind(b"\n\n")
        if cut < 0:
            self._buffer = buffer
            return
        complete, self._buffer = buffer[: cut + 2], buffer[cut + 2 :]
        if not self.opened.done():
            self.opened.set_result(True)  # the first frame ("retry:") means we are subscribed
        found = FRAME.findall(complete)
        if not found:
            return
        newest = self.newest
        kinds = set()
        for raw_id, raw_kind in found:
            event_id = int(raw_id)
            kind = raw_kind.decode()
            kinds.add(kind)
            if event_id > self.latest.get(kind, 0):
                self.latest[kind] = event_id
            newest = max(newest, event_id)
        self.times.append(arrived)
        self.ids.append(newest)
        if self.on_frame is not None:
            self.on_frame(kinds)

    def connection_lost(self, error: Exception | None) -> None:
        self.transport = None
        if self.closing:
            return
        self.owner.counts.stream_drops += 1
        self.owner.loop.call_later(self.retry, lambda: self.owner.spawn(self.connect()))

    def _failed(self, why: str) -> None:
        self.owner.counts.stream_failures.append(why)
        if not self.opened.done():
            self.opened.set_result(False)

    def close(self) -> None:
        self.closing = True
        if self.transport is not None:
            self.transport.close()


@dataclass(frozen=True)
class Reply:
    status: int
    fields: dict[str, str]
    body: bytes
    sent: float  # time.monotonic() just before the request was written


class Device:
    """One browser's keep-alive connection and cookies; one request at a time."""

    def __init__(self, port: int, cookies: dict[str, str] | None = None, csrf: str = "") -> None:
        self.port = port
        self.cookies = dict(cookies or {})
        self.csrf = csrf
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def request(
        self, method: str, path: str, body: bytes = b"", headers: dict[str, str] | None = None
    ) -> Reply:
        """Send one request, on a new connection if the server closed the idle one."""
        return await asyncio.wait_for(self._request(method, path, body, headers), REQUEST_TIMEOUT)

    async def _request(
        self, method: str, path: str, body: bytes, headers: dict[str, str] | None
    ) -> Reply:
        while True:
            if self.reader is not None and self.reader.at_eof():
                self.close()  # the server closed it while idle (keep-alive timeout)
            reused = self.writer is not None
            if self.writer is None:
                self.reader, self.writer = await asyncio.open_connection(HOST, self.port)
            sent = time.monotonic()
            self.writer.write(self._head(method, path, body, headers) + body)
            try:
                status, fields, data = await self._response()
            except (OSError, EOFError):
                self.close()
                if reused:
                    continue  # closed just as we sent: once more on a new one, as browsers do
                raise
            except BaseException:
                self.close()
                raise
            return Reply(status, fields, data, sent)

    def _head(self, method: str, path: str, body: bytes, headers: dict[str, str] | None) -> bytes:
        lines = [f"{method} {path} HTTP/1.1", f"Host: {HOST}:{self.port}"]
        if self.cookies:
            lines.append("Cookie: " + "; ".join(f"{k}={v}" for k, v in self.cookies.items()))
        if method == "POST":
            lines.append("Content-Type: application/x-www-form-urlencoded")
            lines.append(f"Content-Length: {len(body)}")
        lines += [f"{name}: {value}" for name, value in (headers or {}).items()]
        return ("\r\n".join(lines) + "\r\n\r\n").encode()

    async def _response(self) -> tuple[int, dict[str, str], bytes]:
        assert self.reader is not None
        head = (await self.reader.readuntil(b"\r\n\r\n")).decode("latin-1").split("\r\n")
        status = int(head[0].split(" ", 2)[1])
        fields: dict[str, str] = {}
        for line in head[1:]:
            name, _, value = line.partition(":")
            name = name.strip().lower()
            if name == "set-cookie":
                cookie = SimpleCookie()
                cookie.load(value.strip())
                self.cookies.update({key: morsel.value for key, morsel in cookie.items()})
            elif name:
                fields[name] = value.strip()
        if status in (204, 304) or status < 200:
            data = b""
        elif fields.get("transfer-encoding", "").lower() == "chunked":
            parts = []
            while size := int((await self.reader.readuntil(b"\r\n")).split(b";")[0], 16):
                parts.append(await self.reader.readexactly(size))
                await self.reader.readexactly(2)
            while await self.reader.readuntil(b"\r\n") != b"\r\n":
                pass  # trailers
            data = b"".join(parts)
        elif "content-length" in fields:
            data = await self.reader.readexactly(int(fields["content-length"]))
        else:
            data = await self.reader.read()
            self.close()
        if fields.get("connection", "").lower() == "close":
            self.close()
        return status, fields, data

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None


class Refetch:
    """An htmx element that re-fetches itself on an event: one request at a time, and an
    event that arrives meanwhile queues one more (htmx's default ``queue:last``)."""

    def __init__(self, loop: Loop, device: Device, path: str, target: str) -> None:
        self.owner = loop
        self.device = device
        self.path = path
        self.headers = {"HX-Request": "true", "HX-Target": target}
        self.busy = False
        self.again = False
        self.finished: list[float] = []  # when each re-fetch's response had arrived

    def trigger(self) -> None:
        if self.busy:
            self.again = True
            return
        self.busy = True
        self.owner.spawn(self._run())

    async def _run(self) -> None:
        counts = self.owner.counts
        try:
            while True:
                self.again = False
                try:
                    reply = await self.device.request("GET", self.path, headers=self.headers)
                    self.finished.append(time.monotonic())
                    counts.refetches += 1
                    if reply.status != 200:
                        counts.refetch_errors[reply.status] += 1
                except FAILURES as error:
                    counts.refetch_errors[type(error).__name__] += 1
                if not self.again:
                    return
        finally:
            self.busy = False


async def open_streams(streams: list[Stream], batch: int = 100, pause: float = 0.1) -> int:
    """Connect the streams a batch at a time; return how many opened within 60 s."""
    for start in range(0, len(streams), batch):
        for stream in streams[start : start + batch]:
            stream.owner.spawn(stream.connect())
        await asyncio.sleep(pause)
    done, _ = await asyncio.wait([stream.opened for stream in streams], timeout=60)
    return sum(1 for future in done if future.result())


async def until(check: Callable[[], bool], within: float, step: float = 0.05) -> bool:
    """Wait until ``check()`` holds, at most ``within`` seconds; return whether it does."""
    deadline = time.monotonic() + within
    while not check():
        if time.monotonic() > deadline:
            return False
        await asyncio.sleep(step)
    return True


async def sleep_until(moment: float) -> None:
    delay = moment - time.monotonic()
    if delay > 0:
        await asyncio.sleep(delay)


async def watch_lag(lags: list[float], stop: asyncio.Event, step: float = 0.05) -> None:
    """Note how late the loop wakes up: when this process is the bottleneck, it shows here."""
    while not stop.is_set():
        before = time.monotonic()
        await asyncio.sleep(step)
        lags.append(time.monotonic() - before - step)
