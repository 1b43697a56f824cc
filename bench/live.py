"""Live updates under load: a burst of answers fanned out to every open page, and 1,000 phones.

**Fan-out.** One ``workshop serve`` on a free loopback port and a temp database, one workshop;
300 phones join through the QR link (cookie, CSRF token from the page) and each holds its
live stream open, as does the projector screen. Then the phones send 3,000 answers within
30 s (10 each, at random moments); a facilitator moves the room to the next question near
420 answers (a question takes 500), and phones that get 409 send again 1–2 s later. Each
answer's insert records exactly one ``answers-changed`` event in its transaction, so
after the run the k-th answer stored (by id) is the k-th such event (by id); the count of
both is checked.
An answer has reached a stream when a frame with ``id:`` ≥ its event arrives (streams
coalesce events, one frame per kind carrying the newest id). Latency runs from the moment
the accepted POST was written to that arrival, for every (answer, stream) pair.

The screen re-fetches its main block on each change, as its htmx does (one run leaves even
that out, to tell the fan-out's own cost from the page's). Phones would also
re-fetch their question block when the question changes; the burst leaves that out, because
it moves on every ~4 s only to stay under the 500-answer cap (a real question lasts minutes),
and 300 re-fetches that often would measure the herd rather than the fan-out. The capacity
run includes it and times it.

**Capacity.** 10 workshops × 100 phones (plus each workshop's screen) hold their streams
open; a few answers and a question change per workshop must reach every stream. Memory and
CPU are read from /proc for gunicorn's master and workers.
"""

from __future__ import annotations

import asyncio
import bisect
import math
import random
import socket
import sqlite3
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import urlencode, urlsplit

from tests.live_room import Browser, RedisServer, Server, claim, free_port, join

from . import machine
from .clients import (
    FAILURES,
    Device,
    Loop,
    Refetch,
    Stream,
    open_streams,
    sleep_until,
    until,
    watch_lag,
)
from .floor import FloorServer
from .table import Line, count, ms, percentile, spread

PHONES = 300
ANSWERS_EACH = 10
WINDOW = 30.0  # s in which every phone sends its answers
FINISH_WITHIN = 45.0  # s after the window for the last retries
ADVANCE_AT = 420  # answers on the current question before the facilitator moves on
RESEND_AFTER = (1.0, 2.0)  # s: reading "this question has closed" and tapping Send again
SEEN_WITHIN = 10.0  # s after the last answer: a delivery not seen by then is lost
HEARTBEAT = "15"  # s, the app's default, so heartbeats cost what they do in a real room
JOINERS = 32  # threads joining phones before a run

BUSY_MACHINE = 0.15  # of a core used by other processes: the numbers are not to be trusted
DELIVERY_P95 = 0.100
DELIVERY_P99 = 0.250
FLOOR_P95_RATIO = 3.0  # Credo's p95 delivery within this many times the floor's

ROOMS = 10
ROOM_PHONES = 100
ROOM_ANSWERS = 5
ROOM_STAGGER = 0.6  # s between one workshop's changes and the next one's
CAPACITY_ANSWER_P95 = 0.250  # s: an answer → every page of its workshop
CAPACITY_QUESTION_P95 = 0.500  # s: a question change → every phone has re-fetched it
CAPACITY_STREAMS_PER_ADDRESS = 2 * ROOMS * ROOM_PHONES  # all from one address, in one worker
IDLE_SECONDS = 5.0
MEMORY_LIMIT = 600 * 1024 * 1024

SCREEN_KINDS = {
    "stage-changed",
    "answers-changed",
    "mission-changed",
    "round-changed",
    "round-answered",
}


def say(message: str) -> None:
    """Progress, on stderr."""
    print(f"  [{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# --- a workshop with joined phones ----------------------------------------------------------


@dataclass
class Room:
    """One workshop, its joined phones and its facilitator (joined synchronously)."""

    info: dict
    phones: list[Browser]
    facilitator: Browser
    start_event: int  # the newest event before the measured part

    @property
    def public_id(self) -> str:
        return self.info["id"]

    @property
    def screen_token(self) -> str:
        return urlsplit(self.info["screen_url"]).path.rsplit("/", 1)[1]


def open_room(server: Server, title: str, phones: int, pool: ThreadPoolExecutor) -> Room:
    """Create a workshop with the CLI, let ``phones`` phones join it, claim the facilitator."""
    info = server.create_workshop(title, expected=phones)
    join_path = urlsplit(info["join_url"]).path
    browsers = [Browser(server.port) for _ in range(phones)]
    list(pool.map(lambda phone: join(phone, join_path), browsers))
    facilitator = Browser(server.port)
    claim(facilitator, urlsplit(info["facilitator_url"]).path)
    for browser in [*browsers, facilitator]:
        browser.close()  # the asyncio clients take over with the same cookies
    return Room(info, browsers, facilitator, latest_event(server.database, info["id"]))


class LiveRoom:
    """A room's pages, open: the screen and every phone, streams and re-fetching blocks."""

    def __init__(
        self, loop: Loop, port: int, room: Room, screen_refetch: bool, phones_refetch: bool
    ) -> None:
        self.room = room
        self.phones_refetch = phones_refetch
        self.question_refetches: list[Refetch] = []
        public_id, token = room.public_id, room.screen_token
        live = f"/w/{public_id}/live"
        self.screen = Stream(loop, port, f"{live}?k={token}")
        if screen_refetch:
            main = Refetch(loop, Device(port), f"/s/{token}/main", "screen-main")
            self.screen.on_frame = lambda kinds: main.trigger() if kinds & SCREEN_KINDS else None
        self.posters = [Device(port, phone.cookies, phone.csrf) for phone in room.phones]
        self.phones = [self._phone(loop, port, live, phone) for phone in room.phones]
        self.streams = [self.screen, *self.phones]
        self.facilitator = Device(port, room.facilitator.cookies, room.facilitator.csrf)

    def _phone(self, loop: Loop, port: int, live: str, phone: Browser) -> Stream:
        if not self.phones_refetch:
            return Stream(loop, port, live, phone.cookies)
        page = f"/w/{self.room.public_id}/p"
        question = Refetch(loop, Device(port, phone.cookies), page, "phone-stage")
        self.question_refetches.append(question)
        return Stream(
            loop,
            port,
            live,
            phone.cookies,
            on_frame=lambda kinds: question.trigger() if "stage-changed" in kinds else None,
        )

    def close(self) -> None:
        for stream in self.streams:
            stream.close()
        for device in [*self.posters, self.facilitator]:
            device.close()


# --- answers and the facilitator ------------------------------------------------------------


@dataclass
class Tally:
    """What the phones and the facilitator saw."""

    acked: dict[str, float] = field(default_factory=dict)  # nonce → when its POST was sent
    post_times: list[float] = field(default_factory=list)
    statuses: Counter = field(default_factory=Counter)
    unexpected: list[str] = field(default_factory=list)
    connection_errors: int = 0
    given_up: int = 0
    advances: list[int] = field(default_factory=list)
    advance_errors: int = 0


async def send_answer(
    device: Device, public_id: str, text: str, tally: Tally, deadline: float
) -> None:
    """Post one answer until it is acknowledged, resending the same nonce on 409 or failure."""
    nonce = uuid.uuid4().hex
    form = {"body": text, "detail": "", "nonce": nonce, "csrf_token": device.csrf}
    body = urlencode(form).encode()
    headers = {"HX-Request": "true", "HX-Target": "phone-stage", "X-CSRFToken": device.csrf}
    pause = 0.2
    while time.monotonic() < deadline:
        try:
            reply = await device.request("POST", f"/w/{public_id}/answers", body, headers)
        except FAILURES:
            tally.connection_errors += 1
            await asyncio.sleep(pause)
            pause = min(pause * 2, 1.0)
            continue
        tally.statuses[reply.status] += 1
        tally.post_times.append(time.monotonic() - reply.sent)
        if reply.status in (200, 303):
            tally.acked[nonce] = reply.sent
            return
        if reply.status == 409:  # the question moved on as it arrived: the person resends
            await asyncio.sleep(random.uniform(*RESEND_AFTER))
        elif reply.status == 429:
            await asyncio.sleep(float(reply.fields.get("retry-after", "1")))
        else:
            tally.unexpected.append(f"{reply.status}: {reply.body[:200]!r}")
            return
    tally.given_up += 1


async def next_question(device: Device, public_id: str, tally: Tally) -> float:
    """Press the facilitator's "next" button; return when the accepted POST was sent."""
    body = urlencode({"csrf_token": device.csrf}).encode()
    for _ in range(20):
        try:
            reply = await device.request("POST", f"/w/{public_id}/stage/next", body)
        except FAILURES:
            tally.advance_errors += 1
            await asyncio.sleep(0.2)
            continue
        if reply.status != 303:
            tally.unexpected.append(f"stage/next {reply.status}")
        return reply.sent
    return math.inf


async def facilitate(
    live: LiveRoom, server: Server | FloorServer, tally: Tally, done: asyncio.Event
) -> None:
    """Move the room to the next question before the current one is full."""
    public_id = live.room.public_id
    with closing(sqlite3.connect(getattr(server, "database", ":memory:"), timeout=10)) as db:
        while not done.is_set():
            if isinstance(server, FloorServer):
                answers = server.state()["on_stage"]
            else:
                stage = db.execute(
                    "select current_stage_id from workshops where public_id = ?", [public_id]
                ).fetchone()[0]
                answers = db.execute(
                    "select count(*) from answers where stage_id = ?", [stage]
                ).fetchone()[0]
            if answers >= ADVANCE_AT:
                await next_question(live.facilitator, public_id, tally)
                tally.advances.append(answers)
            try:
                await asyncio.wait_for(done.wait(), 0.25)
            except TimeoutError:
                pass


# --- from the database: which event each answer made -----------------------------------------


def latest_event(database: Path, public_id: str) -> int:
    with closing(sqlite3.connect(database, timeout=10)) as db:
        return db.execute(
            """select coalesce(max(e.id), 0) from events e
               join workshops w on w.id = e.workshop_id where w.public_id = ?""",
            [public_id],
        ).fetchone()[0]


def answer_events(database: Path, room: Room) -> dict[str, int]:
    """Map each stored answer's nonce to the event its insert recorded."""
    with closing(sqlite3.connect(database, timeout=10)) as db:
        nonces = db.execute(
            """select c.client_nonce from answers c
               join workshops w on w.id = c.workshop_id where w.public_id = ? order by c.id""",
            [room.public_id],
        ).fetchall()
        events = db.execute(
            """select e.id from events e join workshops w on w.id = e.workshop_id
               where w.public_id = ? and e.kind = 'answers-changed' and e.id > ?
               order by e.id""",
            [room.public_id, room.start_event],
        ).fetchall()
    if len(nonces) != len(events):
        raise RuntimeError(
            f"{len(nonces)} answers stored but {len(events)} answers-changed events: "
            "something else recorded that kind, so answers cannot be matched to events"
        )
    return {nonce: event_id for (nonce,), (event_id,) in zip(nonces, events, strict=True)}


def change_events(database: Path, room: Room, kinds: tuple[str, ...]) -> list[tuple[int, str]]:
    with closing(sqlite3.connect(database, timeout=10)) as db:
        return db.execute(
            f"""select e.id, e.kind from events e join workshops w on w.id = e.workshop_id
                where w.public_id = ? and e.id > ? and e.kind in ({", ".join("?" * len(kinds))})
                order by e.id""",
            [room.public_id, room.start_event, *kinds],
        ).fetchall()


@dataclass
class Deliveries:
    latencies: list[float]  # every (answer, stream) pair that arrived, sorted
    slowest: list[float]  # per answer, its slowest stream (answers that reached all), sorted
    lost: int


def deliveries(streams: list[Stream], answers: list[tuple[float, int]]) -> Deliveries:
    """For each answer (sent at, event id) and stream: when the first frame ≥ its id arrived."""
    latencies: list[float] = []
    slowest = [0.0] * len(answers)
    lost = 0
    for stream in streams:
        ids, highest = [], 0
        for event_id in stream.ids:  # ids only grow, unless a reconnect replays older ones
            highest = max(highest, event_id)
            ids.append(highest)
        times = stream.times
        for index, (sent, event_id) in enumerate(answers):
            position = bisect.bisect_left(ids, event_id)
            if position == len(ids):
                lost += 1
                slowest[index] = float("inf")
                continue
            took = times[position] - sent
            latencies.append(took)
            if took > slowest[index]:
                slowest[index] = took
    latencies.sort()
    return Deliveries(latencies, sorted(t for t in slowest if t != float("inf")), lost)


# --- scenario 1 and 3: the burst --------------------------------------------------------------


@dataclass
class Burst:
    label: str
    screen_refetch: bool = True
    joined_in: float = 0.0
    span: float = 0.0  # from the start to the last accepted answer
    streams: int = 0
    opened: int = 0
    server_cpu: float = 0.0
    client_cpu: float = 0.0
    other_cpu: float = 0.0  # CPU seconds other processes on this machine used meanwhile
    measured_for: float = 0.0
    lags: list[float] = field(default_factory=list)
    tally: Tally = field(default_factory=Tally)
    delivered: Deliveries | None = None
    loop: Loop | None = None
    redis: str = ""
    tracebacks: int = 0


async def run_burst(
    loop: Loop, server: Server | FloorServer, room: Room, burst: Burst
) -> list[Stream]:
    live = LiveRoom(loop, server.port, room, burst.screen_refetch, phones_refetch=False)
    burst.streams = len(live.streams)
    burst.opened = await open_streams(live.streams)
    say(f"{burst.opened} of {burst.streams} streams open; the burst starts")
    await asyncio.sleep(1.0)
    stop = asyncio.Event()
    loop.spawn(watch_lag(burst.lags, stop))
    tally = burst.tally
    server_cpu, client_cpu = machine.cpu_seconds(server.process.pid), machine.own_cpu()
    busy = machine.busy_seconds()
    began = time.monotonic()
    start_at = began + 0.5
    deadline = start_at + WINDOW + FINISH_WITHIN

    async def phone(number: int, device: Device) -> None:
        rng = random.Random(number)
        moments = sorted(rng.uniform(0, WINDOW) for _ in range(ANSWERS_EACH))
        for index, moment in enumerate(moments):
            await sleep_until(start_at + moment)
            text = f"Phone {number}, answer {index}: we keep our promises"
            await send_answer(device, room.public_id, text, tally, deadline)

    done = asyncio.Event()
    facilitator = loop.spawn(facilitate(live, server, tally, done))
    await asyncio.gather(*(phone(n, device) for n, device in enumerate(live.posters)))
    done.set()
    await facilitator
    burst.span = max(tally.acked.values(), default=start_at) - start_at
    if isinstance(server, FloorServer):
        final = server.state()["latest"]
    else:
        final = latest_event(server.database, room.public_id)
    say(f"{len(tally.acked)} answers acknowledged; waiting for the streams to catch up")
    await until(lambda: all(stream.newest >= final for stream in live.streams), SEEN_WITHIN)
    burst.measured_for = time.monotonic() - began
    burst.server_cpu = machine.cpu_seconds(server.process.pid) - server_cpu
    burst.client_cpu = machine.own_cpu() - client_cpu
    burst.other_cpu = machine.busy_seconds() - busy - burst.server_cpu - burst.client_cpu
    stop.set()
    live.close()
    await asyncio.sleep(0.2)
    return live.streams


def fanout(label: str, workers: int = 1, redis: bool = False, screen_refetch: bool = True) -> Burst:
    """One burst against a fresh server; return what was measured."""
    burst = Burst(label, screen_refetch)
    with tempfile.TemporaryDirectory(prefix="credo-bench-") as folder:
        root = Path(folder)
        redis_server = RedisServer(root) if redis else None
        server = Server(root, workers=workers)
        server.env["WORKSHOP_LIVE_HEARTBEAT_SECONDS"] = HEARTBEAT
        if redis_server is not None:
            server.env["WORKSHOP_REDIS_URL"] = redis_server.url
        try:
            server.start()
            say(f"{label}: server on port {server.port}; {PHONES} phones join")
            began = time.monotonic()
            with ThreadPoolExecutor(max_workers=JOINERS) as pool:
                room = open_room(server, "Burst", PHONES, pool)
            burst.joined_in = time.monotonic() - began
            loop = Loop()
            burst.loop = loop
            streams = loop.run(run_burst(loop, server, room, burst))
            events = answer_events(server.database, room)
            answers = [(sent, events[nonce]) for nonce, sent in burst.tally.acked.items()]
            burst.delivered = deliveries(streams, answers)
            if redis_server is not None:
                burst.redis = redis_stats(redis_server.port)
            burst.tracebacks = server.log_text().count("Traceback")
        finally:
            server.stop()
            if redis_server is not None:
                redis_server.stop()
    return burst


def floor_burst(label: str = "floor: asyncio SSE, no database") -> Burst:
    """The same burst against the floor (bench/floor.py): the same client, phones, answers
    and screen re-fetches; no joining (the floor has no people), so no cookies."""
    burst = Burst(label)
    with tempfile.TemporaryDirectory(prefix="credo-bench-") as folder:
        server = FloorServer(Path(folder), free_port())
        try:
            server.start()
            say(f"{label}: on port {server.port}")
            anyone = SimpleNamespace(cookies={}, csrf="")
            info = {"id": "floor", "screen_url": "http://127.0.0.1/s/floor-screen"}
            room = Room(info, [anyone] * PHONES, anyone, 0)
            loop = Loop()
            burst.loop = loop
            streams = loop.run(run_burst(loop, server, room, burst))
            events = server.state()["nonces"]
            answers = [(sent, events[nonce]) for nonce, sent in burst.tally.acked.items()]
            burst.delivered = deliveries(streams, answers)
            burst.tracebacks = server.log_text().count("Traceback")
        finally:
            server.stop()
    return burst


def floor_lines(floor: Burst, credo: Burst) -> list[Line]:
    """Both bursts' lines, then Credo's delivery latency as a multiple of the floor's."""
    assert floor.delivered is not None and credo.delivered is not None
    ratios = []
    for q in (0.50, 0.95, 0.99):
        ours = percentile(credo.delivered.latencies, q)
        least = percentile(floor.delivered.latencies, q)
        ratios.append(ours / least if least > 0 else math.inf)
    return [
        *burst_lines(floor),
        *burst_lines(credo),
        Line(
            "floor",
            f"{credo.label} ÷ floor, answer → every page",
            " / ".join(f"{ratio:.1f}×" for ratio in ratios) + " (p50 / p95 / p99)",
            target=f"p95 ≤ {FLOOR_P95_RATIO:.0f}× the floor's",
            ok=ratios[1] <= FLOOR_P95_RATIO,
            note="the same run, one after the other, the same client",
        ),
    ]


def run_floor() -> list[Line]:
    """The floor, then Credo's default `workshop serve`, under the same burst."""
    floor = floor_burst()
    credo = fanout("fan-out: 2 workers (beside the floor)", workers=2)
    return floor_lines(floor, credo)


def redis_stats(port: int) -> str:
    """How many PUBLISH and SUBSCRIBE commands Redis served: proof the fan-out went through it."""
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        sock.sendall(b"INFO commandstats\r\n")
        reply = sock.makefile("rb")
        size = int(reply.readline()[1:])  # a bulk string: $<size>\r\n<text>
        text = reply.read(size).decode(errors="replace")
    calls = {}
    for line in text.splitlines():
        if line.startswith("cmdstat_"):
            name, _, values = line.partition(":")
            calls[name.removeprefix("cmdstat_")] = values.split(",")[0].removeprefix("calls=")
    publish, subscribe = calls.get("publish", "0"), calls.get("subscribe", "0")
    return f"Redis served {publish} PUBLISH, {subscribe} SUBSCRIBE"


def burst_lines(burst: Burst) -> list[Line]:
    tally, delivered = burst.tally, burst.delivered
    assert delivered is not None and burst.loop is not None
    counts = burst.loop.counts
    wanted = PHONES * ANSWERS_EACH
    latencies = delivered.latencies
    p95, p99 = percentile(latencies, 0.95), percentile(latencies, 0.99)
    errors = {
        "answers never acknowledged": tally.given_up,
        "unexpected responses": len(tally.unexpected),
        "POST connection errors": tally.connection_errors,
        "streams that did not open": len(counts.stream_failures),
        "stream drops": counts.stream_drops,
        "re-fetch errors": sum(counts.refetch_errors.values()),
        "server tracebacks": burst.tracebacks,
    }
    total_errors = sum(errors.values())
    detail = ", ".join(f"{name} {n}" for name, n in errors.items() if n) or "none"
    pairs = len(tally.acked) * burst.streams
    lags = sorted(burst.lags)
    cpu_share = burst.server_cpu / max(burst.measured_for, 0.001)
    notes = [
        f"{tally.statuses.get(409, 0)} resent after 409, question moved on "
        f"{len(tally.advances)}×, {count(counts.refetches)} screen re-fetches",
        f"server CPU {burst.server_cpu:.1f} s ({cpu_share:.0%} of a core)",
        f"client CPU {burst.client_cpu:.1f} s, loop lag p99 {ms(percentile(lags, 0.99))} ms",
        other_load(burst.other_cpu, burst.measured_for),
        f"{PHONES} joins {burst.joined_in:.1f} s",
    ]
    if burst.redis:
        notes.append(burst.redis)
    return [
        Line(
            burst.label,
            "answer → each open page, p50 / p95 / p99",
            spread(latencies),
            f"p95 ≤ {DELIVERY_P95 * 1000:.0f} ms, p99 ≤ {DELIVERY_P99 * 1000:.0f} ms",
            p95 <= DELIVERY_P95 and p99 <= DELIVERY_P99,
            f"{count(len(latencies))} deliveries to {burst.streams - 1} phones + the screen; "
            f"the slowest page per answer {spread(delivered.slowest)}",
        ),
        Line(
            burst.label,
            "errors / lost deliveries",
            f"{total_errors} / {delivered.lost}",
            "0 / 0",
            total_errors == 0 and delivered.lost == 0,
            f"errors: {detail}; lost = not seen within {SEEN_WITHIN:.0f} s, of {count(pairs)}",
        ),
        Line(
            burst.label,
            "answers; POST p50 / p95 / p99",
            f"{count(len(tally.acked))} of {count(wanted)} in {burst.span:.1f} s; "
            f"{spread(sorted(tally.post_times))}",
            note="; ".join(notes),
        ),
    ]


def other_load(cpu: float, seconds: float) -> str:
    """Say how much CPU other processes took meanwhile; loudly if enough to skew the numbers."""
    share = max(cpu, 0.0) / max(seconds, 0.001)
    text = f"other processes {share:.0%} of a core"
    return f"**{text}: numbers skewed**" if share > BUSY_MACHINE else text


# --- scenario 2: capacity -------------------------------------------------------------------


class MemoryWatch(threading.Thread):
    """Samples the server tree's memory twice a second, keeping the peak."""

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid = pid
        self.peak = (0, 0)
        self.stopping = threading.Event()

    def run(self) -> None:
        while not self.stopping.wait(0.5):
            rss, pss = machine.memory(self.pid)
            if rss > self.peak[0]:
                self.peak = (rss, pss)

    def stop(self) -> tuple[int, int]:
        self.stopping.set()
        self.join(5)
        rss, pss = machine.memory(self.pid)
        return max(self.peak, (rss, pss))


@dataclass
class Capacity:
    streams: int = 0
    opened: int = 0
    joined_in: float = 0.0
    join_cpu: float = 0.0
    idle_share: float = 0.0
    change_cpu: float = 0.0
    total_cpu: float = 0.0
    client_cpu: float = 0.0
    other_cpu: float = 0.0
    took: float = 0.0
    changes: int = 0
    expected: int = 0
    missing: int = 0
    peak: tuple[int, int] = (0, 0)
    tally: Tally = field(default_factory=Tally)
    latencies: list[float] = field(default_factory=list)
    question_times: list[float] = field(default_factory=list)  # per workshop
    lags: list[float] = field(default_factory=list)  # the client's loop, while measured
    loop: Loop | None = None
    tracebacks: int = 0


async def hold(loop: Loop, server: Server, rooms: list[Room], result: Capacity) -> list[LiveRoom]:
    lives = [LiveRoom(loop, server.port, room, True, True) for room in rooms]
    streams = [stream for live in lives for stream in live.streams]
    result.streams = len(streams)
    result.opened = await open_streams(streams)
    say(f"{result.opened} of {result.streams} streams open; {IDLE_SECONDS:.0f} s idle")
    await asyncio.sleep(1.0)
    pid = server.process.pid
    before = machine.cpu_seconds(pid)
    await asyncio.sleep(IDLE_SECONDS)
    result.idle_share = (machine.cpu_seconds(pid) - before) / IDLE_SECONDS
    say(f"{ROOM_ANSWERS} answers and a question change in each workshop")
    before = machine.cpu_seconds(pid)
    tally = result.tally
    stop = asyncio.Event()
    loop.spawn(watch_lag(result.lags, stop))
    start_at = time.monotonic() + 0.2
    deadline = start_at + 60

    async def answer_at(moment: float, device: Device, public_id: str) -> None:
        await sleep_until(moment)
        await send_answer(device, public_id, "We say what we think", tally, deadline)

    async def next_at(moment: float, live: LiveRoom) -> None:
        await sleep_until(moment)
        sent = await next_question(live.facilitator, live.room.public_id, tally)
        question_changed[id(live)] = sent

    question_changed: dict[int, float] = {}

    jobs = []
    for number, live in enumerate(lives):
        offset = start_at + number * ROOM_STAGGER
        for index in range(ROOM_ANSWERS):
            jobs.append(answer_at(offset + index, live.posters[index], live.room.public_id))
        jobs.append(next_at(offset + ROOM_ANSWERS + 0.5, live))
    await asyncio.gather(*jobs)
    finals = {id(live): latest_event(server.database, live.room.public_id) for live in lives}
    await until(
        lambda: all(s.newest >= finals[id(live)] for live in lives for s in live.streams),
        SEEN_WITHIN,
    )
    await until(lambda: not any(r.busy for live in lives for r in live.question_refetches), 10)
    for live in lives:  # from "next" to the last phone showing the new question
        sent = question_changed[id(live)]
        done = [
            min((t for t in r.finished if t > sent), default=math.inf)
            for r in live.question_refetches
        ]
        result.question_times.append(max(done) - sent)
    stop.set()
    result.change_cpu = machine.cpu_seconds(pid) - before
    for live in lives:
        live.close()
    await asyncio.sleep(0.2)
    return lives


def capacity() -> Capacity:
    """1,000 phones in 10 workshops, every stream open; every change must reach every one."""
    result = Capacity()
    with tempfile.TemporaryDirectory(prefix="credo-bench-") as folder:
        # The default `workshop serve` (gevent, one worker per core); each workshop expects
        # its 100 phones (issue 16's head count), and every phone and stream comes from this
        # one address: the rate limits are off, and the streams an address may hold raised.
        server = Server(Path(folder), workers=None)
        server.env["WORKSHOP_RATE_LIMITS"] = "false"
        server.env["WORKSHOP_LIVE_STREAMS_PER_ADDRESS"] = str(CAPACITY_STREAMS_PER_ADDRESS)
        server.env["WORKSHOP_LIVE_HEARTBEAT_SECONDS"] = HEARTBEAT
        try:
            server.start()
            pid = server.process.pid
            watch = MemoryWatch(pid)
            watch.start()
            began_cpu, began = machine.cpu_seconds(pid), time.monotonic()
            busy, client_cpu = machine.busy_seconds(), machine.own_cpu()
            say(f"capacity: server on port {server.port}; {ROOMS} × {ROOM_PHONES} phones join")
            with ThreadPoolExecutor(max_workers=JOINERS) as pool:
                rooms = [
                    open_room(server, f"Room {n + 1}", ROOM_PHONES, pool) for n in range(ROOMS)
                ]
            result.joined_in = time.monotonic() - began
            result.join_cpu = machine.cpu_seconds(pid) - began_cpu
            loop = Loop()
            result.loop = loop
            lives = loop.run(hold(loop, server, rooms, result))
            result.total_cpu = machine.cpu_seconds(pid) - began_cpu
            result.client_cpu = machine.own_cpu() - client_cpu
            result.took = time.monotonic() - began
            result.other_cpu = machine.busy_seconds() - busy - result.total_cpu - result.client_cpu
            result.peak = watch.stop()
            check_changes(server.database, lives, result)
            result.tracebacks = server.log_text().count("Traceback")
        finally:
            server.stop()
    return result


def check_changes(database: Path, lives: list[LiveRoom], result: Capacity) -> None:
    """Every stream must have seen every change of its workshop (coalesced is fine)."""
    for live in lives:
        changes = change_events(database, live.room, ("answers-changed", "stage-changed"))
        result.changes += len(changes)
        for stream in live.streams:
            for event_id, kind in changes:
                result.expected += 1
                result.missing += stream.latest.get(kind, 0) < event_id
        events = answer_events(database, live.room)
        answers = [(sent, events[n]) for n, sent in result.tally.acked.items() if n in events]
        result.latencies += deliveries(live.streams, answers).latencies
    result.latencies.sort()


def capacity_lines(result: Capacity) -> list[Line]:
    assert result.loop is not None
    counts, tally = result.loop.counts, result.tally
    label = f"capacity: {ROOMS} workshops × {ROOM_PHONES} phones"
    errors = {
        "streams that did not open": result.streams - result.opened,
        "stream drops": counts.stream_drops,
        "changes not seen": result.missing,
        "answers never acknowledged": tally.given_up,
        "unexpected responses": len(tally.unexpected),
        "connection errors": tally.connection_errors + tally.advance_errors,
        "re-fetch errors": sum(counts.refetch_errors.values()),
        "server tracebacks": result.tracebacks,
    }
    total = sum(errors.values())
    detail = ", ".join(f"{name} {n}" for name, n in errors.items() if n) or "none"
    rss, pss = result.peak
    mb = 1024 * 1024
    lags = sorted(result.lags)
    answer_p95 = percentile(result.latencies, 0.95)
    questions = sorted(result.question_times)
    question_p95 = percentile(questions, 0.95)
    return [
        Line(
            label,
            "errors (every stream sees every change)",
            str(total),
            "0",
            total == 0,
            f"{result.opened:,} of {result.streams:,} streams open (phones + screens); "
            f"{result.changes} changes ({ROOM_ANSWERS} answers + 1 question change a workshop), "
            f"{count(result.expected - result.missing)} of {count(result.expected)} seen; "
            f"errors: {detail}",
        ),
        Line(
            label,
            "answer → every page of its workshop, p50 / p95 / p99",
            spread(result.latencies),
            f"p95 ≤ {CAPACITY_ANSWER_P95 * 1000:.0f} ms",
            answer_p95 <= CAPACITY_ANSWER_P95,
            f"{count(len(result.latencies))} deliveries",
        ),
        Line(
            label,
            "server memory, peak (master + worker RSS)",
            f"{rss / mb:.0f} MB",
            f"≤ {MEMORY_LIMIT // mb} MB",
            rss <= MEMORY_LIMIT,
            f"PSS {pss / mb:.0f} MB; the default `workshop serve`",
        ),
        Line(
            label,
            "question change → all 100 phones re-fetched it, p50 / p95 of 10",
            f"{ms(percentile(questions, 0.5))} / {ms(question_p95)} ms",
            f"p95 ≤ {CAPACITY_QUESTION_P95 * 1000:.0f} ms",
            question_p95 <= CAPACITY_QUESTION_P95,
            "each phone's question block re-fetches on `stage-changed`, as its htmx does",
        ),
        Line(
            label,
            "server CPU",
            f"{result.total_cpu:.1f} s in {result.took:.0f} s",
            note=f"{ROOMS * ROOM_PHONES:,} joins {result.join_cpu:.1f} s CPU in "
            f"{result.joined_in:.1f} s; {result.opened:,} idle streams "
            f"{result.idle_share:.1%} of a core; changes + {count(counts.refetches)} page "
            f"re-fetches {result.change_cpu:.1f} s; client CPU (with {ROOMS} `workshop create`) "
            f"{result.client_cpu:.1f} s, its loop late by p99 {ms(percentile(lags, 0.99))} / max "
            f"{ms(percentile(lags, 1))} ms while measured; "
            + other_load(result.other_cpu, result.took),
        ),
    ]


def run_fanout(
    label: str, workers: int = 1, redis: bool = False, screen_refetch: bool = True
) -> Callable[[], list[Line]]:
    return lambda: burst_lines(fanout(label, workers, redis, screen_refetch))


def run_capacity() -> list[Line]:
    return capacity_lines(capacity())
