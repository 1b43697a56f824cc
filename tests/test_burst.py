"""300 phones against the real server: nothing acknowledged is lost or stored twice.

Each test starts ``workshop serve`` (gunicorn) on a free loopback port with a database in a
temp dir, creates a workshop with the ``workshop create`` CLI and lets 300 simulated phones
join through the QR link and send 10 answers each within 30 s, like a browser does: a
keep-alive connection, the session cookie, the CSRF token read from the page, htmx's
``HX-Request`` header and a unique ``nonce`` per answer (resent unchanged on a retry).

A question takes at most 500 answers (``models.MAX_ANSWERS_PER_STAGE``), so a
facilitator (a real HTTP client too) moves the room to the next question whenever the
current one nears 420; a phone whose answer arrives just as the question changes gets 409
and resends it, as the phone page lets a person do.

The second test kills the server with SIGKILL in the middle of the burst and starts it
again on the same database: phones retry through the outage with the same nonces, and a
live-update stream reconnects with ``Last-Event-ID`` and catches up. Numbers (throughput,
latency) are printed; run with ``-s`` to see them.
"""

from __future__ import annotations

import http.client
import random
import socket
import sqlite3
import statistics
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import closing, suppress
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import pytest

# One copy of the server and phone code, shared with bench/; tests/test_fanout.py imports
# Browser, Server and join from this module.
from .live_room import CONNECTION_ERRORS, Browser, EventSource, Server, claim, join

PHONES = 300
ANSWERS_EACH = 10
WINDOW = 30.0  # seconds in which every phone sends its answers
FINISH_WITHIN = 300.0  # after the window: a guard against a hang, not a speed target (bench/)
ADVANCE_AT = 420  # answers on the current question before the facilitator moves on
LOCKED = b"database is locked"


# --- the server and the phones: shared with bench/ (tests/live_room.py) --------------------------


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    made = Server(tmp_path)
    made.start()
    try:
        yield made
    finally:
        made.stop()


class Listener(threading.Thread):
    """A phone page's live-update stream: open all through the burst, counting answer events.

    (The page's htmx would also re-fetch parts of itself on some events; here the stream is
    only read, so the test measures storing answers while every phone is connected.)
    """

    def __init__(self, port: int, path: str, cookies: dict[str, str]) -> None:
        super().__init__(daemon=True)
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        self.path = path
        self.cookies = dict(cookies)
        self.opened = threading.Event()
        self.answer_events = 0
        self.error: str | None = None
        self.stopping = False

    def run(self) -> None:
        cookie = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        try:
            self.conn.request("GET", self.path, headers={"Cookie": cookie})
            response = self.conn.getresponse()
            if response.status != 200:
                self.error = f"stream answered {response.status}"
                return
            self.opened.set()
            while line := response.fp.readline():
                self.answer_events += line.startswith(b"event: answers-changed")
        except CONNECTION_ERRORS as error:
            if not self.stopping:
                self.error = repr(error)
        finally:
            self.opened.set()

    def stop(self) -> None:
        self.stopping = True
        if self.conn.sock is not None:
            with suppress(OSError):
                self.conn.sock.shutdown(socket.SHUT_RDWR)
        self.join(5)
        self.conn.close()


# --- the burst ------------------------------------------------------------------------------


@dataclass
class Tally:
    """What the phones saw, shared by their threads."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    acked: dict[str, float] = field(default_factory=dict)  # nonce → when it was acknowledged
    sent: dict[str, int] = field(default_factory=dict)  # every nonce sent → its phone
    latencies: list[float] = field(default_factory=list)
    statuses: Counter = field(default_factory=Counter)
    server_errors: list[str] = field(default_factory=list)
    locked: int = 0
    connection_errors: int = 0
    unsure: set[str] = field(default_factory=set)  # sent, but the reply was lost
    retried_after_loss: set[str] = field(default_factory=set)
    given_up: list[str] = field(default_factory=list)
    crashes: list[str] = field(default_factory=list)


class Burst:
    """300 phones sending their answers at random moments within the window."""

    def __init__(
        self, server: Server, info: dict, answers_each: int = ANSWERS_EACH, window: float = WINDOW
    ) -> None:
        self.server = server
        self.answers_each = answers_each
        self.window = window
        self.public_id = info["id"]
        self.join_path = urlsplit(info["join_url"]).path
        self.facilitator_path = urlsplit(info["facilitator_url"]).path
        self.tally = Tally()
        self.phones: list[Browser] = []
        self.listeners: list[Listener] = []
        self.done = threading.Event()
        self.advances: list[tuple[float, int]] = []
        self.facilitator: threading.Thread | None = None
        self.start_at = 0.0
        self.deadline = 0.0

    def join_all(self) -> float:
        began = time.monotonic()
        self.phones = [Browser(self.server.port) for _ in range(PHONES)]
        with ThreadPoolExecutor(max_workers=32) as pool:
            list(pool.map(lambda phone: join(phone, self.join_path), self.phones))
        return time.monotonic() - began

    def listen(self) -> None:
        """Open every phone's live-update stream, as its page does, and wait until all are."""
        path = f"/w/{self.public_id}/live"
        self.listeners = [Listener(self.server.port, path, p.cookies) for p in self.phones]
        for listener in self.listeners:
            listener.start()
        for listener in self.listeners:
            assert listener.opened.wait(30), "a phone's stream did not open"
        errors = [listener.error for listener in self.listeners if listener.error]
        assert errors == [], errors[:3]

    def stop_listening(self) -> list[int]:
        """Close the streams; return how many answer events each phone was sent."""
        for listener in self.listeners:
            listener.stop()
        errors = [listener.error for listener in self.listeners if listener.error]
        assert errors == [], errors[:3]
        return [listener.answer_events for listener in self.listeners]

    def run(self) -> list[threading.Thread]:
        """Start every phone and the facilitator; return the phones' threads."""
        self.start_at = time.monotonic() + 0.5
        self.deadline = self.start_at + self.window + FINISH_WITHIN
        threads = [
            threading.Thread(target=self._phone, args=(number, phone), daemon=True)
            for number, phone in enumerate(self.phones)
        ]
        for thread in threads:
            thread.start()
        self.facilitator = threading.Thread(target=self._facilitator, daemon=True)
        self.facilitator.start()
        return threads

    def _phone(self, number: int, phone: Browser) -> None:
        rng = random.Random(number)
        moments = sorted(rng.uniform(0, self.window) for _ in range(self.answers_each))
        try:
            for index, moment in enumerate(moments):
                delay = self.start_at + moment - time.monotonic()
                if delay > 0:
                    time.sleep(delay)
                nonce = uuid.uuid4().hex
                with self.tally.lock:
                    self.tally.sent[nonce] = number
                self.send(phone, nonce, f"Phone {number}, answer {index}: {nonce}")
        except Exception as error:  # recorded, so the test fails with it rather than hangs
            with self.tally.lock:
                self.tally.crashes.append(f"phone {number}: {error!r}")
        finally:
            phone.close()

    def send(self, phone: Browser, nonce: str, text: str) -> int | None:
        """Post one answer until it is acknowledged (or refused for good); return the status."""
        body = urlencode({"body": text, "detail": "", "nonce": nonce, "csrf_token": phone.csrf})
        headers = {"HX-Request": "true", "X-CSRFToken": phone.csrf}
        pause = 0.2
        while time.monotonic() < self.deadline:
            began = time.monotonic()
            try:
                status, response, data = phone.request(
                    "POST", f"/w/{self.public_id}/answers", body, headers
                )
            except CONNECTION_ERRORS:
                with self.tally.lock:  # the answer may or may not have arrived: resend it
                    self.tally.connection_errors += 1
                    self.tally.unsure.add(nonce)
                time.sleep(pause)
                pause = min(pause * 2, 1.0)
                continue
            took = time.monotonic() - began
            with self.tally.lock:
                self.tally.latencies.append(took)
                self.tally.statuses[status] += 1
                self.tally.locked += LOCKED in data
                if status >= 500:
                    self.tally.server_errors.append(f"{status}: {data[:300]!r}")
                if nonce in self.tally.unsure:
                    self.tally.retried_after_loss.add(nonce)
            if status in (200, 303):
                with self.tally.lock:
                    self.tally.acked.setdefault(nonce, time.monotonic())
                return status
            if status == 409:  # the question moved on as it arrived: send it again
                time.sleep(0.1)
                continue
            if status == 429:
                time.sleep(float(response.headers.get("Retry-After", "1")))
                continue
            return status
        with self.tally.lock:
            self.tally.given_up.append(nonce)
        return None

    def _facilitator(self) -> None:
        """Move the room to the next question before the current one is full."""
        facilitator = Browser(self.server.port)
        try:
            claim(facilitator, self.facilitator_path)
            while not self.done.is_set():
                current, count = self.current_count()
                if count >= ADVANCE_AT:
                    self._next(facilitator)
                    self.advances.append((round(time.monotonic() - self.start_at, 1), count))
                self.done.wait(0.25)
        except Exception as error:
            with self.tally.lock:
                self.tally.crashes.append(f"facilitator: {error!r}")
        finally:
            facilitator.close()

    def _next(self, facilitator: Browser) -> None:
        body = urlencode({"csrf_token": facilitator.csrf})
        while not self.done.is_set():
            try:
                status, _, _ = facilitator.request(
                    "POST", f"/w/{self.public_id}/stage/next", body, {}
                )
                assert status == 303, status
                return
            except CONNECTION_ERRORS:  # the server is down: wait for it, as a person would
                time.sleep(0.2)

    def current_count(self) -> tuple[int, int]:
        """Read the current question and its answers straight from the database file."""
        with closing(sqlite3.connect(self.server.database, timeout=10)) as db:
            stage = db.execute(
                "select current_stage_id from workshops where public_id = ?", [self.public_id]
            ).fetchone()[0]
            count = db.execute(
                "select count(*) from answers where stage_id = ?", [stage]
            ).fetchone()[0]
        return stage, count

    def wait(self, threads: list[threading.Thread]) -> float:
        for thread in threads:
            thread.join(max(0.0, self.deadline + 5 - time.monotonic()))
        self.done.set()
        self.facilitator.join(30)  # no stage change after this
        assert not any(thread.is_alive() for thread in threads), "phones still sending"
        return time.monotonic() - self.start_at

    def stored(self) -> Counter:
        """Count the stored answers of this workshop by nonce."""
        with closing(sqlite3.connect(self.server.database, timeout=10)) as db:
            rows = db.execute(
                """select client_nonce, count(*) from answers c
                   join workshops w on w.id = c.workshop_id
                   where w.public_id = ? group by client_nonce""",
                [self.public_id],
            ).fetchall()
        return Counter(dict(rows))

    def bodies(self, nonces: list[str]) -> list[str]:
        """Return the stored text of these answers."""
        marks = ", ".join("?" for _ in nonces)
        with closing(sqlite3.connect(self.server.database, timeout=10)) as db:
            rows = db.execute(
                f"select body from answers where client_nonce in ({marks})", nonces
            ).fetchall()
        return [row[0] for row in rows]

    def summary(self, elapsed: float) -> str:
        tally = self.tally
        latencies = sorted(tally.latencies)
        acked_times = sorted(tally.acked.values())
        span = (acked_times[-1] - self.start_at) if acked_times else elapsed
        quantiles = statistics.quantiles(latencies, n=100) if len(latencies) > 1 else [0] * 99
        return (
            f"{len(tally.acked)} answers acknowledged of {len(tally.sent)} sent by {PHONES} "
            f"phones in {span:.1f} s ({len(tally.acked) / max(span, 0.001):.1f}/s); "
            f"latency p50 {quantiles[49] * 1000:.0f} ms, p95 {quantiles[94] * 1000:.0f} ms, "
            f"p99 {quantiles[98] * 1000:.0f} ms, max {latencies[-1] * 1000 if latencies else 0:.0f}"
            f" ms; statuses {dict(tally.statuses)}; connection errors "
            f"{tally.connection_errors}; question moved on at {self.advances}"
        )

    def check(self, stored: Counter) -> None:
        """Every acknowledged answer stored exactly once; no errors, no lock failures."""
        tally = self.tally
        assert tally.crashes == [], tally.crashes[:5]
        assert tally.server_errors == [], tally.server_errors[:5]
        assert tally.given_up == [], f"{len(tally.given_up)} answers never acknowledged"
        assert tally.locked == 0, "a response said 'database is locked'"
        assert len(tally.acked) == PHONES * self.answers_each
        missing = [nonce for nonce in tally.acked if stored[nonce] == 0]
        doubled = {nonce: n for nonce, n in stored.items() if n > 1}
        assert missing == [], f"{len(missing)} acknowledged answers are not stored"
        assert doubled == {}, f"{len(doubled)} answers are stored more than once"
        assert set(stored) <= set(tally.sent), "answers stored that no phone sent"
        log = self.server.log_text()
        assert "database is locked" not in log
        assert "Traceback" not in log, self.server.tail()


def test_300_phones_10_answers_each_in_30_seconds_lose_nothing(server: Server):
    burst = Burst(server, server.create_workshop())
    joined_in = burst.join_all()
    elapsed = burst.wait(burst.run())
    print(f"\nburst: {PHONES} phones joined in {joined_in:.1f} s; " + burst.summary(elapsed))
    burst.check(burst.stored())
    assert sum(burst.stored().values()) == PHONES * ANSWERS_EACH


def test_300_open_phone_pages_leave_the_server_free_to_take_answers(server: Server):
    """Every open page holds a server thread for its live stream: answers must still get in."""
    burst = Burst(server, server.create_workshop(), answers_each=1, window=5.0)
    burst.join_all()
    burst.listen()
    elapsed = burst.wait(burst.run())
    events = burst.stop_listening()
    print(f"\nopen pages: {PHONES} live streams open; " + burst.summary(elapsed))
    burst.check(burst.stored())
    assert elapsed < 5.0 + 20.0
    assert min(events) > 0, "a phone's stream was sent no answer event"


# --- SIGKILL in the middle ------------------------------------------------------------------


def _events(database: Path, public_id: str) -> list[tuple[int, str]]:
    with closing(sqlite3.connect(database, timeout=10)) as db:
        return db.execute(
            """select e.id, e.kind from events e join workshops w on w.id = e.workshop_id
               where w.public_id = ? order by e.id""",
            [public_id],
        ).fetchall()


def _replay(port: int, path: str, last_id: int, kinds: int) -> list[tuple[int, str]]:
    """Open a stream with ``Last-Event-ID`` and return the first frames it is sent."""
    frames: list[tuple[int, str]] = []
    frame: dict[str, str] = {}
    with closing(http.client.HTTPConnection("127.0.0.1", port, timeout=5)) as conn:
        conn.request("GET", path, headers={"Last-Event-ID": str(last_id)})
        response = conn.getresponse()
        assert response.status == 200
        while len(frames) < kinds:
            line = response.fp.readline().decode().rstrip("\r\n")
            if line:
                name, _, value = line.partition(":")
                frame[name] = value.lstrip(" ")
                continue
            if "id" in frame:
                frames.append((int(frame["id"]), frame["event"]))
            frame = {}
    return frames


def test_sigkill_mid_burst_loses_no_acknowledged_answer_and_streams_catch_up(server: Server):
    info = server.create_workshop()
    burst = Burst(server, info)
    burst.join_all()
    screen_token = urlsplit(info["screen_url"]).path.rsplit("/", 1)[1]
    live_path = f"/w/{info['id']}/live?k={screen_token}"
    stream = EventSource(server.port, live_path).start()

    threads = burst.run()
    time.sleep(0.5 + WINDOW * 0.4)
    before_kill = len(burst.tally.acked)
    seen_before_kill = max((frame[1] for frame in stream.frames), default=0)
    server.kill()
    killed_at = time.monotonic()
    time.sleep(1.0)
    server.start()
    down_for = time.monotonic() - killed_at

    # Some phones lost their replies: they send the same answers again after the restart.
    with burst.tally.lock:
        early = list(burst.tally.acked)[:50]
        owners = [burst.tally.sent[nonce] for nonce in early]
    resent = Counter()
    for nonce, number in zip(early, owners, strict=True):
        phone = Browser(server.port)  # a new connection, the same phone's cookie
        phone.cookies, phone.csrf = dict(burst.phones[number].cookies), burst.phones[number].csrf
        resent[burst.send(phone, nonce, "Resent: this text must not replace the first")] += 1
        phone.close()

    elapsed = burst.wait(threads)
    stored = burst.stored()
    print(
        f"\nSIGKILL after {before_kill} acknowledged answers, down {down_for:.1f} s; "
        + burst.summary(elapsed)
        + f"; answers resent after a connection error {len(burst.tally.retried_after_loss)}"
    )
    burst.check(stored)
    assert 0 < before_kill < PHONES * ANSWERS_EACH, "the kill did not land mid-burst"
    assert resent == Counter({200: len(early)})
    assert all(stored[nonce] == 1 for nonce in early)
    assert not any(body.startswith("Resent") for body in burst.bodies(early))
    assert all(stored[nonce] == 1 for nonce in burst.tally.retried_after_loss)

    # The stream reconnected by itself, told the server where it was, and caught up.
    events = _events(server.database, info["id"])
    deadline = time.monotonic() + 10
    while stream.last_id != str(events[-1][0]) and time.monotonic() < deadline:
        time.sleep(0.1)
    stream.stop.set()
    assert stream.connections() >= 2
    assert any(sent is not None and int(sent) >= seen_before_kill for sent in stream.sent_ids[1:])
    assert stream.last_id == str(events[-1][0])

    # A phone that was away since before the kill is sent what it missed, from the database.
    latest = {kind: event_id for event_id, kind in events if event_id > seen_before_kill}
    replayed = _replay(server.port, live_path, seen_before_kill, len(latest))
    assert dict((kind, event_id) for event_id, kind in replayed) == latest
