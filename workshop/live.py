"""Live updates: a per-process hub reads new events and wakes the open SSE streams.

Events say only *what changed* (``stage-changed``, ``contributions-changed`` …); each
page then fetches its own fresh fragment. Every event has an ``id:``, so a stream that
reconnects with ``Last-Event-ID`` is sent what it missed.
"""

import os
import threading
from collections import deque
from collections.abc import Iterator
from contextlib import closing

from flask import Blueprint, Flask, Response, current_app, request

from . import models
from .access import current_participant, is_facilitator, load_workshop
from .db import connect, get_db
from .web import found

bp = Blueprint("live", __name__)

RING_SIZE = 512


class Topic:
    """One workshop's recent events in this process, and the streams waiting for them."""

    def __init__(self, high: int) -> None:
        self.condition = threading.Condition()
        self.events: deque[tuple[int, str]] = deque(maxlen=RING_SIZE)
        self.floor = high  # events at or below this id may not be in the ring

    def publish(self, events: list[tuple[int, str]]) -> None:
        """Add events and wake every stream of this workshop."""
        with self.condition:
            for event in events:
                if len(self.events) == self.events.maxlen:
                    self.floor = self.events[0][0]
                self.events.append(event)
            self.condition.notify_all()

    def wait_after(self, after: int, timeout: float) -> list[tuple[int, str]] | None:
        """Return events after ``after``, waiting up to ``timeout``; None if some fell out."""
        with self.condition:
            if not self.events or self.events[-1][0] <= after:
                self.condition.wait(timeout)
            if after < self.floor:
                return None
            return [event for event in self.events if event[0] > after]


class Hub:
    """Polls the events table for one database and hands new rows to topics."""

    def __init__(self, database: str, poll_seconds: float) -> None:
        self.database = database
        self.poll_seconds = poll_seconds
        self.topics: dict[int, Topic] = {}
        self.lock = threading.Lock()
        self.wake = threading.Event()
        self.high = 0
        self.pid: int | None = None

    def poke(self) -> None:
        """Look for new events now rather than at the next poll."""
        self.wake.set()

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
        threading.Thread(target=self._run, name="credo-hub", daemon=True).start()

    def _run(self) -> None:
        with closing(connect(self.database)) as db:
            while True:
                self.wake.wait(self.poll_seconds)
                self.wake.clear()
                rows = models.events_after(db, self.high)
                if not rows:
                    continue
                self.high = rows[-1]["id"]
                by_workshop: dict[int, list[tuple[int, str]]] = {}
                for row in rows:
                    by_workshop.setdefault(row["workshop_id"], []).append((row["id"], row["kind"]))
                with self.lock:
                    topics = {wid: self.topics.get(wid) for wid in by_workshop}
                for workshop_id, events in by_workshop.items():
                    topic = topics[workshop_id]
                    if topic is not None:
                        topic.publish(events)


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


def event_stream(
    database: str, hub: Hub, workshop_id: int, after: int, heartbeat: float
) -> Iterator[str]:
    """Yield SSE frames for a workshop from event ``after`` on, with heartbeats."""
    topic = hub.topic(workshop_id)
    yield "retry: 2000\n\n"
    while True:
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
        else:
            yield ": ping\n\n"


@bp.get("/w/<public_id>/live")
def stream(public_id: str) -> Response:
    """Stream what changes in a workshop to its screen, phones and facilitator."""
    workshop = load_workshop(public_id)
    screen_token = request.args.get("k", "")
    allowed = (
        (screen_token and screen_token == workshop.screen_token)
        or is_facilitator(workshop)
        or current_participant(workshop) is not None
    )
    found(workshop if allowed else None)
    after = _resume_point(request.headers.get("Last-Event-ID") or request.args.get("after"))
    if after is None:
        after = models.latest_event_id(get_db(), workshop)
    generator = event_stream(
        current_app.config["DATABASE"],
        get_hub(),
        workshop.id,
        after,
        current_app.config["LIVE_HEARTBEAT_SECONDS"],
    )
    return Response(
        generator,
        mimetype="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )


def _resume_point(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() else None


def init_app(app: Flask) -> None:
    """Give the app its hub (its poller starts on the first stream)."""
    app.extensions["credo_hub"] = Hub(app.config["DATABASE"], app.config["LIVE_POLL_SECONDS"])
