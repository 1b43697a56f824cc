"""The floor: the smallest server that could do the fan-out's job, to measure Credo against.

One process, one thread, asyncio: no database, no templates, no sessions, no CSRF, no
framework. It speaks just enough HTTP/1.1 for bench/live.py's burst and its client: a phone's
live stream (``GET /w/<id>/live``, Server-Sent Events), an answer (``POST /w/<id>/answers``:
counted, given the next event id, and that event written at once to every open stream), the
facilitator's "next" (``POST /w/<id>/stage/next``), the screen's re-fetch of its main block
(``GET /s/<token>/main``, a fixed few hundred bytes), and ``GET /floor/state`` for the bench
(the newest event id, the current question's answers, each answer's event by its nonce) in
place of Credo's SQLite file. A question takes ``MAX_ANSWERS`` answers, then answers 409, as
Credo does.

Whatever Credo spends beyond this (Flask, SQLite writes in a transaction, the events
table, rendering, sessions and rate limits, threads) is the price of being an application;
the burst measures both in the same run (``live.run_floor``).

``python -m bench.floor PORT`` serves until killed.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import time
from http.client import HTTPConnection
from pathlib import Path
from urllib.parse import parse_qs

MAX_ANSWERS = 500  # per question, as Credo's rules.MAX_ANSWERS_PER_STAGE
MAIN_BLOCK = (
    b'<main id="screen-main"><h1>Why do we exist?</h1>' + b"<p>an answer</p>" * 20 + b"</main>"
)
START_TIMEOUT = 10.0


class Floor:
    """Every workshop's state, in memory: one counter of events, the open streams."""

    def __init__(self) -> None:
        self.event = 0
        self.stage = 0
        self.on_stage = 0
        self.nonces: dict[str, int] = {}
        self.streams: set[asyncio.StreamWriter] = set()

    def publish(self, kind: str) -> int:
        self.event += 1
        frame = f"id: {self.event}\nevent: {kind}\ndata: {self.event}\n\n".encode()
        for stream in list(self.streams):
            if stream.is_closing():
                self.streams.discard(stream)
            else:
                stream.write(frame)
        return self.event

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        """Serve one connection: keep-alive requests until it closes or turns into a stream."""
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                lines = head.decode("latin-1").split("\r\n")
                method, target, version = lines[0].split(" ", 2)
                fields = {}
                for line in lines[1:]:
                    name, _, value = line.partition(":")
                    fields[name.strip().lower()] = value.strip()
                body = await reader.readexactly(int(fields.get("content-length", "0") or 0))
                path = target.split("?", 1)[0]
                if method == "GET" and path.endswith("/live"):
                    writer.write(
                        b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n"
                        b"Cache-Control: no-cache\r\n\r\nretry: 2000\n\n"
                    )
                    self.streams.add(writer)
                    await reader.read()  # until the page goes away
                    self.streams.discard(writer)
                    return
                status, reply = self.respond(method, path, body)
                keep = version == "HTTP/1.1" and fields.get("connection") != "close"
                writer.write(
                    f"HTTP/1.1 {status}\r\nContent-Type: text/html; charset=utf-8\r\n"
                    f"Content-Length: {len(reply)}\r\n"
                    f"Connection: {'keep-alive' if keep else 'close'}\r\n\r\n".encode()
                    + reply
                )
                if not keep:
                    break
        except (asyncio.IncompleteReadError, ConnectionError, ValueError):
            pass
        finally:
            self.streams.discard(writer)
            writer.close()

    def respond(self, method: str, path: str, body: bytes) -> tuple[str, bytes]:
        if method == "POST" and path.endswith("/answers"):
            if self.on_stage >= MAX_ANSWERS:
                return "409 Conflict", b"<p>This question has closed.</p>"
            nonce = parse_qs(body.decode()).get("nonce", [""])[0]
            if nonce in self.nonces:
                return "200 OK", b"<p>Thank you.</p>"
            self.on_stage += 1
            self.nonces[nonce] = self.publish("answers-changed")
            return "200 OK", b"<p>Thank you.</p>"
        if method == "POST" and path.endswith("/stage/next"):
            self.stage += 1
            self.on_stage = 0
            self.publish("stage-changed")
            return "303 See Other", b""
        if method == "GET" and path.startswith("/s/"):
            return "200 OK", MAIN_BLOCK
        if method == "GET" and path == "/floor/state":
            state = {"latest": self.event, "on_stage": self.on_stage, "nonces": self.nonces}
            return "200 OK", json.dumps(state).encode()
        if method == "GET" and path == "/":
            return "200 OK", b"floor"
        return "404 Not Found", b""


async def serve(port: int) -> None:
    floor = Floor()
    server = await asyncio.start_server(floor.handle, "127.0.0.1", port, backlog=1024)
    async with server:
        await server.serve_forever()


class FloorServer:
    """The floor in its own process, with the parts of tests.live_room.Server the burst
    uses (``port``, ``process``, ``start``, ``stop``, ``log_text``) and its state instead of
    a database."""

    def __init__(self, root: Path, port: int) -> None:
        self.port = port
        self.log = root / f"floor-{port}.log"
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        with self.log.open("wb") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "bench.floor", str(self.port)],
                cwd=Path(__file__).resolve().parent.parent,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            try:
                self.state()
                return
            except OSError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"the floor did not start: {self.log_text()}") from None
                time.sleep(0.05)

    def state(self) -> dict:
        connection = HTTPConnection("127.0.0.1", self.port, timeout=10)
        try:
            connection.request("GET", "/floor/state")
            return json.loads(connection.getresponse().read())
        finally:
            connection.close()

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)

    def log_text(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""


if __name__ == "__main__":
    asyncio.run(serve(int(sys.argv[1])))
