"""Live events cross process boundaries: several workers, several servers, Redis.

Every test here runs the real ``workshop serve`` (gunicorn) on loopback ports against one
SQLite file; the Redis tests start Debian's ``redis-server`` on a free port and stop it
afterwards. Live streams are read by ``tests.live_room.EventSource``, as a browser's would be.
"""

from __future__ import annotations

import os
import shutil
import socket
import sqlite3
import time
from collections.abc import Iterator
from contextlib import closing, suppress
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from .live_room import Browser, EventSource, RedisServer, Server, free_port, join

ARRIVAL = 10.0  # s: a correctness bound, not a speed target (bench/ measures speed)
SLOW_POLL = "30"  # s: so slow that only a poke or Redis can explain a quick arrival


@pytest.fixture
def redis_server(tmp_path: Path) -> Iterator[RedisServer]:
    if shutil.which("redis-server") is None:
        pytest.skip("redis-server is not installed (make test installs Debian's package)")
    made = RedisServer(tmp_path)
    try:
        yield made
    finally:
        made.stop()


def _listen(port: int, path: str) -> EventSource:
    """Open a live stream and wait until the server has answered it."""
    stream = EventSource(port, path).start()
    assert stream.wait_open(ARRIVAL), "the live stream did not open"
    return stream


def _wait_for_a_subscriber(redis: RedisServer, within: float = 10.0) -> None:
    """Wait until a server has subscribed to Credo's channel (asked of Redis itself)."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        with socket.create_connection(("127.0.0.1", redis.port), timeout=2) as sock:
            sock.sendall(b"PUBSUB NUMSUB credo:events\r\n")
            reply = sock.recv(256)
        if not reply.rstrip().endswith(b":0"):
            return
        time.sleep(0.05)
    pytest.fail("no server subscribed to Redis")


@pytest.fixture
def servers(tmp_path: Path) -> Iterator[list[Server]]:
    """Servers on one database; the test configures and starts each."""
    made: list[Server] = []
    yield made
    for server in made:
        server.stop()


def _server(made: list[Server], root: Path, workers: int = 1, **env: str) -> Server:
    server = Server(root, workers=workers)
    server.env.update({f"WORKSHOP_{name}": value for name, value in env.items()})
    made.append(server)
    server.start()
    return server


def _answer_from_a_phone(server: Server, info: dict, text: str) -> int:
    """Join on ``server`` and send one answer there; return the event id it recorded."""
    phone = Browser(server.port)
    join(phone, urlsplit(info["join_url"]).path)
    status, _, _ = phone.request(
        "POST",
        f"/w/{info['id']}/answers",
        body=f"body={text}&csrf_token={phone.csrf}",
        headers={"HX-Request": "true"},
    )
    phone.close()
    assert status == 200, status
    return _latest_event(server.database, "answers-changed")


def _latest_event(database: Path, kind: str) -> int:
    with closing(sqlite3.connect(database)) as db:
        return db.execute("select max(id) from events where kind = ?", [kind]).fetchone()[0]


def _screen_path(info: dict) -> str:
    return f"/w/{info['id']}/live?k={urlsplit(info['screen_url']).path.rsplit('/', 1)[-1]}"


def _workers_holding(master: int, port: int) -> dict[int, int]:
    """Map each client port connected to ``port`` to the gunicorn worker that holds it."""
    children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
    inodes: dict[str, int] = {}
    for pid in map(int, children):
        with suppress(FileNotFoundError):
            for fd in os.listdir(f"/proc/{pid}/fd"):
                with suppress(FileNotFoundError):
                    target = os.readlink(f"/proc/{pid}/fd/{fd}")
                    if target.startswith("socket:["):
                        inodes[target[8:-1]] = pid
    held: dict[int, int] = {}
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            local, remote, inode = fields[1], fields[2], fields[9]
            if int(local.rsplit(":", 1)[1], 16) == port and inode in inodes:
                held[int(remote.rsplit(":", 1)[1], 16)] = inodes[inode]
    return held


def test_an_answer_posted_to_one_worker_reaches_streams_held_by_the_other(servers, tmp_path):
    server = _server(servers, tmp_path, workers=2, LIVE_POLL_SECONDS="0.05")
    info = server.create_workshop()
    streams: list[EventSource] = []
    holders: dict[int, int] = {}
    while len(set(holders.values())) < 2 and len(streams) < 40:
        streams.append(_listen(server.port, _screen_path(info)))
        time.sleep(0.05)
        holders = _workers_holding(server.process.pid, server.port)
    assert len(set(holders.values())) == 2, "the kernel gave every stream to one worker"

    event = _answer_from_a_phone(server, info, "Pacjentom z okolicy")

    late = [s.local_port for s in streams if not s.saw("answers-changed", event, ARRIVAL)]
    assert late == [], f"streams held by workers {[holders.get(p) for p in late]} missed it"
    for stream in streams:
        stream.close()


def test_two_servers_on_one_database_share_the_room(servers, tmp_path):
    first = _server(servers, tmp_path, LIVE_POLL_SECONDS="0.05")
    second = _server(servers, tmp_path, LIVE_POLL_SECONDS="0.05")
    info = first.create_workshop()
    on_first = _listen(first.port, _screen_path(info))
    on_second = _listen(second.port, _screen_path(info))

    event = _answer_from_a_phone(first, info, "Seniorom")

    assert on_second.saw("answers-changed", event, ARRIVAL)
    assert on_first.saw("answers-changed", event, ARRIVAL)
    for stream in (on_first, on_second):
        stream.close()


def test_redis_wakes_the_other_server_at_once(servers, tmp_path, redis_server):
    """Both servers read the database only every 30 s: Redis is what carries the answer."""
    env = {
        "LIVE_POLL_SECONDS": SLOW_POLL,
        "LIVE_REDIS_POLL_SECONDS": SLOW_POLL,
        "REDIS_URL": redis_server.url,
    }
    first = _server(servers, tmp_path, **env)
    second = _server(servers, tmp_path, **env)
    info = first.create_workshop()
    listener = _listen(second.port, _screen_path(info))
    _wait_for_a_subscriber(redis_server)  # it starts with the server's first stream

    event = _answer_from_a_phone(first, info, "Rodzinom")

    assert listener.saw("answers-changed", event, ARRIVAL)
    listener.close()


def test_without_redis_the_other_server_waits_for_its_next_poll(servers, tmp_path):
    """The control for the test above: the same setup minus Redis does not arrive soon."""
    first = _server(servers, tmp_path, LIVE_POLL_SECONDS=SLOW_POLL)
    second = _server(servers, tmp_path, LIVE_POLL_SECONDS=SLOW_POLL)
    info = first.create_workshop()
    listener = _listen(second.port, _screen_path(info))
    time.sleep(0.5)

    event = _answer_from_a_phone(first, info, "Dzieciom")

    assert not listener.saw("answers-changed", event, 3.0)
    listener.close()


def test_answers_still_go_through_and_arrive_while_redis_is_down(servers, tmp_path):
    """Redis unreachable: posting still works, and each server falls back to polling."""
    nowhere = f"redis://127.0.0.1:{free_port()}/0"
    env = {"LIVE_POLL_SECONDS": "0.05", "REDIS_URL": nowhere}
    first = _server(servers, tmp_path, **env)
    second = _server(servers, tmp_path, **env)
    info = first.create_workshop()
    listener = _listen(second.port, _screen_path(info))

    event = _answer_from_a_phone(first, info, "Sobie nawzajem")

    assert listener.saw("answers-changed", event, ARRIVAL)
    assert "Traceback" not in first.log_text()
    listener.close()
