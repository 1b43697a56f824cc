"""Clients' feedback: the page's first load, and how fast a feedback is stored while the
room's live streams are open.

The page: a client opens ``/c/<token>`` with an empty cache, as ``bench/page.py`` loads the
phone page (gzip, every same-origin file it links). The POSTs: a workshop with 40 joined
phones, each phone's live stream and the screen's open (the screen re-fetching its main
block on each change, as its htmx does); then 200 clients, ten devices taking turns, each
opening a fresh form and sending it: a rating, a principle-free comment, no call-back. The
time is from the POST being written to its answer (303) arriving. The minimum fill time is
0 s and the hourly limits are raised for the run (``WORKSHOP_FEEDBACK_MIN_FILL_SECONDS``,
``WORKSHOP_FEEDBACK_LIMIT_DEVICE``, ``WORKSHOP_FEEDBACK_LIMIT_ADDRESS``): every client here
comes from 127.0.0.1 and sends at once.
"""

from __future__ import annotations

import html
import re
import sqlite3
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import closing
from pathlib import Path
from urllib.parse import urlencode

from tests.live_room import Browser, Server

from .clients import Device, Loop, open_streams
from .live import HEARTBEAT, LiveRoom, open_room
from .page import first_load
from .table import Line, ms, percentile, spread

PHONES = 40
POSTS = 200
DEVICES = 10
PAGE_TARGET_KB = 30
POST_TARGET_S = 0.050
FIELD = re.compile(r'<input\b[^>]*\bname="(csrf_token|nonce|started)"[^>]*>')
VALUE = re.compile(r'\bvalue="([^"]*)"')


def say(message: str) -> None:
    print(f"  [{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def feedback_token(database: Path, public_id: str) -> str:
    with closing(sqlite3.connect(database, timeout=10)) as db:
        row = db.execute(
            "select feedback_token from workshops where public_id = ?", [public_id]
        ).fetchone()
    return row[0]


def form_fields(page: bytes) -> dict[str, str]:
    """Return the hidden fields a fresh form carries: its CSRF token, nonce and start stamp."""
    found = {}
    for tag in FIELD.finditer(page.decode("utf-8", "replace")):
        value = VALUE.search(tag.group(0))
        found[tag.group(1)] = html.unescape(value.group(1)) if value else ""
    if set(found) != {"csrf_token", "nonce", "started"}:
        raise RuntimeError(f"the feedback form lacks a hidden field: {sorted(found)}")
    return found


def page_weight(server: Server, token: str) -> Line:
    client = Browser(server.port)
    weights, streams = first_load(client, f"/c/{token}")
    client.close()
    sent = sum(weight[1] for weight in weights) / 1024
    parts = ", ".join(
        f"{'page HTML' if path.startswith('/c/') else path.split('?')[0].rsplit('/')[-1]} "
        f"{size / 1024:.1f} KB"
        for path, size, _, _ in weights
    )
    return Line(
        "client's feedback page, first load (empty cache)",
        "requests; bytes sent (gzip)",
        f"{len(weights) + len(streams)} requests; {sent:.1f} KB",
        f"≤ {PAGE_TARGET_KB} KB",
        sent <= PAGE_TARGET_KB,
        note=f"{parts}; no live stream",
    )


async def send_all(port: int, token: str) -> tuple[list[float], dict[int, int]]:
    devices = [Device(port) for _ in range(DEVICES)]
    times: list[float] = []
    statuses: dict[int, int] = {}
    for number in range(POSTS):
        device = devices[number % DEVICES]
        reply = await device.request("GET", f"/c/{token}")
        fields = form_fields(reply.body)
        body = {
            **fields,
            "rating": str(number % 5 + 1),
            "comment": f"Client {number}: the waiting room was warm and the doctor listened.",
            "contact": "",
            "website": "",
        }
        reply = await device.request("POST", f"/c/{token}", urlencode(body).encode())
        times.append(time.monotonic() - reply.sent)
        statuses[reply.status] = statuses.get(reply.status, 0) + 1
    for device in devices:
        device.close()
    return sorted(times), statuses


def feedback_lines() -> list[Line]:
    """Measure the client's page and the feedback POST against a fresh server."""
    with tempfile.TemporaryDirectory(prefix="credo-bench-") as folder:
        server = Server(Path(folder))
        server.env |= {
            "WORKSHOP_LIVE_HEARTBEAT_SECONDS": HEARTBEAT,
            "WORKSHOP_FEEDBACK_MIN_FILL_SECONDS": "0",
            "WORKSHOP_FEEDBACK_LIMIT_DEVICE": "100000",
            "WORKSHOP_FEEDBACK_LIMIT_ADDRESS": "100000",
        }
        server.start()
        try:
            with ThreadPoolExecutor(8) as pool:
                room = open_room(server, "Feedback", PHONES, pool)
            token = feedback_token(server.database, room.public_id)
            weight = page_weight(server, token)
            loop = Loop()
            live = LiveRoom(loop, server.port, room, screen_refetch=True, phones_refetch=False)

            async def run() -> tuple[int, list[float], dict[int, int]]:
                opened = await open_streams(live.streams)
                say(f"{opened} of {len(live.streams)} streams open; {POSTS} clients send")
                times, statuses = await send_all(server.port, token)
                live.close()
                return opened, times, statuses

            opened, times, statuses = loop.run(run())
        finally:
            server.stop()
    stored = statuses.get(303, 0)
    p95 = percentile(times, 0.95)
    return [
        weight,
        Line(
            f"feedback POST, {opened} live streams open",
            "p50 / p95 / p99 ms",
            spread(times),
            f"p95 ≤ {ms(POST_TARGET_S)} ms",
            p95 <= POST_TARGET_S and stored == POSTS,
            note=f"{stored} of {POSTS} stored (303); {DEVICES} devices, one POST at a time",
        ),
    ]
