"""Live updates: a per-process hub reads new events and hands them to the open SSE streams.

Events say only *what changed* (``stage-changed``, ``answers-changed`` …); each
page then fetches its own fresh fragment. Every event has an ``id:``, so a stream that
reconnects with ``Last-Event-ID`` is sent what it missed. The stream's view is
views/live.py; every commit wakes the hub and, through Redis, the other servers'
(db.on_commit).
"""

import logging
import os
import socket
import threading
import time
from collections import Counter, deque
from collections.abc import Iterator
from contextlib import closing, suppress

import gevent.event
from flask import Flask, current_app

from . import models, offload
from .db import connect, on_commit
from .rules import LIVE_PENDING_MAX

log = logging.getLogger(__name__)
RING_SIZE = 512
BUSY_SECONDS = 2.0  # after the hub last found an event, it polls at its busy pace this long
REDIS_CHANNEL = "credo:events"
REDIS_RETRY_SECONDS = 1.0


class Topic:
    """One workshop's recent events in this process, and the streams waiting for them."""

    def __init__(self, high: int) -> None:
        self.condition = threading.Condition()
        self.events: deque[tuple[int, str]] = deque(maxlen=RING_SIZE)
        self.floor = high  # events at or below this id may not be in the ring
        self.direct: set[DirectStream] = set()

    def publish(self, events: list[tuple[int, str]]) -> None:
        """Add events, write them to every direct stream and wake every other stream."""
        with self.condition:
            for event in events:
                if len(self.events) == self.events.maxlen:
                    self.floor = self.events[0][0]
                self.events.append(event)
            self.condition.notify_all()
            if self.direct:
                frame = frames(events).encode()
                for stream in self.direct:
                    stream.send(frame)

    def join(self, stream: "DirectStream", after: int) -> bool:
        """Send ``stream`` what came after ``after`` and from now on write it every event
        as it is published; False (nothing sent) if some of that fell out of the ring."""
        with self.condition:
            newer = self.wait_after(after, 0)
            if newer is None:
                return False
            if newer:
                stream.send(frames(newer).encode())
            self.direct.add(stream)
            return True

    def leave(self, stream: "DirectStream") -> None:
        with self.condition:
            self.direct.discard(stream)

    def wait_after(self, after: int, timeout: float) -> list[tuple[int, str]] | None:
        """Return events after ``after``, waiting up to ``timeout``; None if some fell out."""
        with self.condition:
            if not self.events or self.events[-1][0] <= after:
                self.condition.wait(timeout)
            if after < self.floor:
                return None
            newer = []
            for event in reversed(self.events):  # a stream is usually only a few behind
                if event[0] <= after:
                    break
                newer.append(event)
            newer.reverse()
            return newer


class Hub:
    """Reads new rows of the events table for one database and hands them to topics.

    It reads when a request in this process has changed something (``poke``), when another
    process says so through Redis (if configured), and otherwise every ``poll_seconds``, or
    every ``busy_poll_seconds`` for BUSY_SECONDS after it last found something: in a room's
    burst the other worker's answers then wait milliseconds for their read, while an idle
    server reads 20 times a second. SQLite hands out event ids under its write lock, so
    reading ``id > high`` never skips a committed row.
    """

    def __init__(
        self,
        database: str,
        poll_seconds: float,
        busy_poll_seconds: float | None = None,
        redis_url: str | None = None,
        redis_poll_seconds: float = 1.0,
    ) -> None:
        self.database = database
        self.poll_seconds = poll_seconds
        self.busy_poll_seconds = min(busy_poll_seconds or poll_seconds, poll_seconds)
        self.found_at = -BUSY_SECONDS
        self.redis_url = redis_url
        self.redis_poll_seconds = redis_poll_seconds
        self.redis_connected = threading.Event()
        self.topics: dict[int, Topic] = {}
        self.lock = threading.Lock()
        self.wake = threading.Event()
        self.high = 0
        self.pid: int | None = None
        self._redis = None

    def poke(self) -> None:
        """Look for new events now rather than at the next poll."""
        self.wake.set()

    def committed(self) -> None:
        """A write was just committed here: tell the other servers, and hand out its events
        before the request goes on.

        Under gevent the request's greenlet steps aside once, so the hub reads and writes
        the news to every stream now rather than after the request has drawn its answer.
        """
        self.poke()
        if self.redis_url:
            try:
                self._redis_client().publish(REDIS_CHANNEL, str(os.getpid()))
            except Exception as error:  # noqa: BLE001 - Redis down: other servers still poll
                log.warning("could not publish to Redis (%s); other servers will poll", error)
        if offload.cooperative():
            time.sleep(0)

    def topic(self, workshop_id: int) -> Topic:
        """Return the workshop's topic, starting the poller in this process if needed."""
        with self.lock:
            if self.pid != os.getpid():  # first use, or first use after a fork
                self._start()
            if workshop_id not in self.topics:
                self.topics[workshop_id] = Topic(self.high)
            return self.topics[workshop_id]

    def _start(self) -> None:
        with closing(connect(self.database)) as db:
            self.high = models.latest_event_id(db)
        self.topics = {}
        self.pid = os.getpid()
        self._redis = None
        self.redis_connected.clear()
        threading.Thread(target=self._run, name="credo-hub", daemon=True).start()
        if self.redis_url:
            threading.Thread(target=self._listen, name="credo-redis", daemon=True).start()

    def _redis_client(self):
        if self._redis is None or self._redis[0] != os.getpid():  # never share across a fork
            import redis  # noqa: PLC0415 - lazy: loaded only when WORKSHOP_REDIS_URL is set

            self._redis = (os.getpid(), redis.Redis.from_url(self.redis_url, socket_timeout=5))
        return self._redis[1]

    def _listen(self) -> None:
        """Wake the hub on every Redis message; reconnect (and poll meanwhile) if it drops."""
        import redis  # noqa: PLC0415 - lazy: loaded only when WORKSHOP_REDIS_URL is set

        while True:
            try:
                pubsub = redis.Redis.from_url(self.redis_url).pubsub(ignore_subscribe_messages=True)
                pubsub.subscribe(REDIS_CHANNEL)
                self.redis_connected.set()
                self.poke()  # catch up on anything published while we were away
                for message in pubsub.listen():
                    if message["type"] == "message":
                        self.poke()
            except Exception as error:  # noqa: BLE001 - any failure: poll, retry later
                log.warning("Redis subscription lost (%s); polling the database", error)
            self.redis_connected.clear()
            time.sleep(REDIS_RETRY_SECONDS)

    def _interval(self) -> float:
        if self.redis_connected.is_set():
            return self.redis_poll_seconds
        if time.monotonic() - self.found_at < BUSY_SECONDS:
            return self.busy_poll_seconds
        return self.poll_seconds

    def _run(self) -> None:
        with closing(connect(self.database)) as db:
            while True:
                self.wake.wait(self._interval())
                self.wake.clear()
                rows = models.events_after(db, self.high)
                if not rows:
                    continue
                self.high = rows[-1]["id"]
                self.found_at = time.monotonic()
                self._hand_out(rows)

    def _hand_out(self, rows: list[dict]) -> None:
        by_workshop: dict[int, list[tuple[int, str]]] = {}
        for row in rows:
            by_workshop.setdefault(row["workshop_id"], []).append((row["id"], row["kind"]))
        with self.lock:
            topics = {wid: self.topics.get(wid) for wid in by_workshop}
        for workshop_id, events in by_workshop.items():
            topic = topics[workshop_id]
            if topic is not None:
                topic.publish(events)


class StreamGate:
    """Counts this process's open streams under several keys; refuses one past any limit.

    Every open stream holds a server thread until the client goes away (noticed at the next
    heartbeat at the latest), so one client must not be able to hold them all: a stream is
    admitted only while each of its keys (its holder, its workshop, its address, the whole
    process) is under that key's limit, and released when the stream closes.
    """

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.open: Counter[tuple] = Counter()

    def admit(self, limits: dict[tuple, int]) -> tuple | None:
        """Count a new stream under every key of ``limits``; on refusal return the full key."""
        with self.lock:
            for key, limit in limits.items():
                if self.open[key] >= limit:
                    return key
            self.open.update(limits.keys())
            return None

    def release(self, keys) -> None:
        """Forget a stream that has closed."""
        with self.lock:
            self.open.subtract(keys)
            for key in keys:
                if self.open[key] <= 0:
                    del self.open[key]

    def held(self, key: tuple) -> int:
        with self.lock:
            return self.open[key]


def get_gate(app: Flask | None = None) -> StreamGate:
    """Return this app's count of open streams (one per process)."""
    return (app or current_app).extensions["credo_stream_gate"]


def get_hub(app: Flask | None = None) -> Hub:
    """Return this app's hub."""
    return (app or current_app).extensions["credo_hub"]


def frames(events: list[tuple[int, str]]) -> str:
    """Turn events into SSE frames, one per kind, newest id last."""
    latest: dict[str, int] = {}
    for event_id, kind in events:
        latest[kind] = event_id
    ordered = sorted(latest.items(), key=lambda item: item[1])
    return "".join(
        f"id: {event_id}\nevent: {kind}\ndata: {event_id}\n\n" for kind, event_id in ordered
    )


class DirectStream:
    """A stream the hub writes to itself, straight into its socket, under gevent.

    With one greenlet per stream, each event woke 150 greenlets a worker, each of which
    made its own frame and handed it to the server: in a room's burst most of a worker's
    time. The hub now makes each frame once and writes it to every caught-up stream's
    socket without waiting (the socket is non-blocking). What a slow phone cannot take at
    once waits in ``pending`` and the stream's own greenlet sends it; past
    LIVE_PENDING_MAX bytes the stream is closed, and the phone reconnects and catches up
    with ``Last-Event-ID``. Only for a server that lends its socket (gunicorn), after the
    response's headers and first chunk were sent through it.
    """

    def __init__(self, sock, chunked: bool) -> None:
        self.sock = sock
        self.fd = sock.fileno()
        self.chunked = chunked
        self.pending = b""
        self.flushing = False
        self.gone = False
        self.wake = gevent.event.Event()  # the stream's greenlet: data pending, or gone

    def _framed(self, data: bytes) -> bytes:
        return b"%x\r\n%s\r\n" % (len(data), data) if self.chunked else data

    def send(self, data: bytes) -> None:
        """Write ``data`` now if the socket takes it; keep the rest for the greenlet."""
        if self.gone:
            return
        data = self._framed(data)
        if self.pending or self.flushing:
            self._keep(data)
            return
        try:
            written = os.write(self.fd, data)
        except BlockingIOError:
            written = 0
        except OSError:
            self._give_up()
            return
        if written < len(data):
            self._keep(data[written:])

    def _keep(self, rest: bytes) -> None:
        if len(self.pending) + len(rest) > LIVE_PENDING_MAX:
            self._give_up()
            return
        self.pending += rest
        self.wake.set()

    def _give_up(self) -> None:
        self.gone = True
        self.pending = b""
        self.wake.set()

    def serve(self, heartbeat: float) -> None:
        """Send what could not be written at once, and heartbeats; return once gone."""
        while not self.gone:
            woken = self.wake.wait(heartbeat)
            self.wake.clear()
            if self.gone:
                break
            if not woken and not self.pending:
                self.send(b": ping\n\n")
                continue
            self.flushing = True
            try:
                while self.pending and not self.gone:
                    rest, self.pending = self.pending, b""
                    self.sock.sendall(rest)  # gevent's: other greenlets run meanwhile
            except OSError:
                self._give_up()
            finally:
                self.flushing = False
        # A half-sent chunk must not be followed by the server's last chunk: close it.
        with suppress(OSError):
            self.sock.shutdown(socket.SHUT_RDWR)


def event_stream(
    database: str,
    hub: Hub,
    workshop_id: int,
    after: int,
    heartbeat: float,
    pace: float = 0.0,
    direct: DirectStream | None = None,
) -> Iterator[str]:
    """Yield SSE frames for a workshop from event ``after`` on, with heartbeats; after each
    frame rest ``pace`` seconds, so what changes meanwhile comes as one frame. Given a
    ``direct`` stream, the hub writes the frames into its socket instead, once caught up."""
    topic = hub.topic(workshop_id)
    yield "retry: 2000\n\n"
    while True:
        if direct is not None and topic.join(direct, after):
            try:
                direct.serve(heartbeat)
            finally:
                topic.leave(direct)
            return
        events = topic.wait_after(after, heartbeat)
        if events is None:
            with closing(connect(database)) as db:
                events = [
                    (row["id"], row["kind"])
                    for row in models.workshop_events_after(db, workshop_id, after)
                ]
        if events:
            after = events[-1][0]
            yield frames(events)
            if pace:
                time.sleep(pace)
        else:
            yield ": ping\n\n"


def init_app(app: Flask) -> None:
    """Give the app its hub (its poller starts on the first stream, and reads after every
    commit) and its stream gate."""
    app.extensions["credo_stream_gate"] = StreamGate()
    hub = app.extensions["credo_hub"] = Hub(
        app.config["DATABASE"],
        app.config["LIVE_POLL_SECONDS"],
        busy_poll_seconds=app.config["LIVE_BUSY_POLL_SECONDS"],
        redis_url=app.config.get("REDIS_URL") or None,
        redis_poll_seconds=app.config["LIVE_REDIS_POLL_SECONDS"],
    )
    on_commit(app, hub.committed)
