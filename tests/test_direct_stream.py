"""The hub writing live frames straight into caught-up streams' sockets (hub.DirectStream),
as it does under `workshop serve`. gevent's sockets and events work here without patching,
on the test's own hub; the real server's burst is in tests/test_burst.py."""

import gevent
import gevent.socket
import pytest

from workshop import hub
from workshop.hub import DirectStream, Topic, frames


def unchunk(data: bytes) -> list[bytes]:
    """Split an HTTP/1.1 chunked body into its chunks (asserting each is whole)."""
    chunks = []
    while data:
        size, _, rest = data.partition(b"\r\n")
        length = int(size, 16)
        assert rest[length : length + 2] == b"\r\n"
        chunks.append(rest[:length])
        data = rest[length + 2 :]
    return chunks


def read_for(sock, seconds: float) -> bytes:
    """Read what arrives on ``sock`` within ``seconds`` (or until it closes)."""
    seen = b""
    with gevent.Timeout(seconds, False):
        while chunk := sock.recv(65536):
            seen += chunk
    return seen


@pytest.fixture
def pair():
    server, phone = gevent.socket.socketpair()
    yield server, phone
    server.close()
    phone.close()


def test_a_stream_joins_with_what_it_missed_then_gets_each_batch_as_one_chunk(pair):
    server, phone = pair
    topic = Topic(high=0)
    topic.publish([(1, "answers-changed"), (2, "stage-changed")])
    stream = DirectStream(server, chunked=True)
    assert topic.join(stream, after=1)
    topic.publish([(3, "answers-changed"), (4, "votes-changed"), (5, "answers-changed")])
    assert unchunk(read_for(phone, 0.2)) == [
        frames([(2, "stage-changed")]).encode(),
        frames([(4, "votes-changed"), (5, "answers-changed")]).encode(),
    ]


def test_a_stream_too_far_behind_for_the_ring_is_not_joined(pair):
    server, phone = pair
    topic = Topic(high=0)
    topic.publish([(n, "answers-changed") for n in range(1, 600)])
    stream = DirectStream(server, chunked=True)
    assert not topic.join(stream, after=3)
    assert stream not in topic.direct
    assert read_for(phone, 0.1) == b""


def test_what_a_slow_phone_cannot_take_at_once_follows_in_order(pair):
    server, phone = pair
    server.setsockopt(gevent.socket.SOL_SOCKET, gevent.socket.SO_SNDBUF, 4096)
    topic = Topic(high=0)
    stream = DirectStream(server, chunked=False)
    assert topic.join(stream, after=0)
    for n in range(1, 2001):  # ~100 KB, far past the socket's buffer, nobody reading
        topic.publish([(n, "answers-changed")])
    assert stream.pending  # kept for the stream's own greenlet
    serving = gevent.spawn(stream.serve, 30.0)
    seen = read_for(phone, 1.0)
    ids = [int(line[4:]) for line in seen.decode().splitlines() if line.startswith("id: ")]
    assert ids == list(range(1, 2001))
    assert not stream.gone
    serving.kill()


def test_a_phone_that_falls_too_far_behind_is_closed_to_reconnect(pair, monkeypatch):
    server, phone = pair
    server.setsockopt(gevent.socket.SOL_SOCKET, gevent.socket.SO_SNDBUF, 4096)
    monkeypatch.setattr(hub, "LIVE_PENDING_MAX", 20_000)
    topic = Topic(high=0)
    stream = DirectStream(server, chunked=True)
    assert topic.join(stream, after=0)
    for n in range(1, 2001):
        topic.publish([(n, "answers-changed")])
    assert stream.gone
    gevent.spawn(stream.serve, 30.0).join(timeout=1)
    read_for(phone, 1.0)  # whatever was sent, then the end: it was shut down
    assert phone.recv(1) == b""


def test_an_idle_stream_sends_heartbeats_and_notices_the_phone_has_gone(pair):
    server, phone = pair
    stream = DirectStream(server, chunked=True)
    serving = gevent.spawn(stream.serve, 0.05)
    assert b": ping\n\n" in b"".join(unchunk(read_for(phone, 0.2)))
    phone.close()
    serving.join(timeout=2)
    assert serving.dead
    assert stream.gone
