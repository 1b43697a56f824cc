"""Slow clients (slowloris) against the real server: gevent workers drop a request whose
headers do not arrive within rules.REQUEST_HEADERS_SECONDS, or whose body does not arrive
within rules.body_seconds of its size, and a phone still joins and answers meanwhile.
Loopback only, bounded in connections and time; the times are printed (bench/slowloris.py
measures the same at a room's scale), never asserted."""

import socket
import subprocess
import sys
import threading
import time
from contextlib import closing, suppress
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import pytest

from tests.browser.volume import fill_room, get_workshop, open_db
from tests.live_room import REPO, Browser, NotStarted, Server, claim, join
from workshop.rules import REQUEST_HEADERS_SECONDS, body_seconds

SLOW_CONNECTIONS = 300  # five times the worker's 60 requests at once
THREADS = 60
LINE_EVERY = 1.0  # s between one slow connection's header lines
GIVE_UP = 6 * REQUEST_HEADERS_SECONDS  # s: the slow connections are still open by then: fail
SLOW_BODIES = 200
BODY_LENGTH = 60_000  # bytes each slow body announces: under the 64 KiB anyone may send
BYTE_EVERY = 2.0  # s between one slow body's bytes
BODY_GIVE_UP = body_seconds(BODY_LENGTH) + 20  # s: a slow body still open by then: fail
UPLOAD_LENGTH = 2_000_000  # the facilitator's slow poster upload: a far later deadline
LATE_UPLOAD_LENGTH = 70_000  # just past 64 KiB: read by the app, its deadline as soon


@pytest.fixture
def server(tmp_path):
    made = Server(tmp_path, workers=1, threads=THREADS)
    try:
        made.start()
    except NotStarted as error:
        pytest.fail(str(error))
    yield made
    made.stop()


def open_slow(port: int) -> socket.socket:
    """A request that never finishes its headers (here: has sent its first two lines)."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=5)
    sock.sendall(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n")
    sock.setblocking(False)
    return sock


def closed_by_server(sock: socket.socket) -> bool:
    try:
        return sock.recv(1, socket.MSG_PEEK) == b""
    except BlockingIOError:
        return False
    except OSError:
        return True


def phone_joins_and_answers(server, info: dict) -> tuple[float, float]:
    """A phone joins by the QR link and sends an answer; return the seconds each took."""
    phone = Browser(server.port, timeout=GIVE_UP)
    began = time.monotonic()
    join(phone, urlsplit(info["join_url"]).path)
    joined = time.monotonic() - began
    began = time.monotonic()
    body = urlencode({"body": "We listen", "nonce": "n1", "csrf_token": phone.csrf})
    headers = {"HX-Request": "true", "X-CSRFToken": phone.csrf}
    status, _, _ = phone.request("POST", f"/w/{info['id']}/answers", body, headers)
    answered = time.monotonic() - began
    phone.close()
    assert status == 200, status
    return joined, answered


def test_slow_requests_are_dropped_while_a_phone_joins_and_answers(server):
    info = server.create_workshop("Slow clients")
    slow = [open_slow(server.port) for _ in range(SLOW_CONNECTIONS)]
    try:
        joined, answered = phone_joins_and_answers(server, info)

        # Meanwhile the slow ones keep trickling header lines, until the server drops them.
        deadline = time.monotonic() + GIVE_UP
        line = 0
        while time.monotonic() < deadline and not all(closed_by_server(s) for s in slow):
            line += 1
            for sock in slow:
                with suppress(OSError):
                    sock.sendall(f"X-Slow-{line}: {line}\r\n".encode())
            time.sleep(LINE_EVERY)
        still_open = sum(not closed_by_server(sock) for sock in slow)
        print(
            f"\n{SLOW_CONNECTIONS} slow connections: the phone joined in {joined:.3f} s and "
            f"answered in {answered:.3f} s; {SLOW_CONNECTIONS - still_open} dropped by the "
            f"server after {line} header lines"
        )
        assert still_open == 0
    finally:
        for sock in slow:
            sock.close()
    assert "Using worker: gevent" in server.log_text()


def open_slow_body(port: int, path: str, length: int, headers: dict | None = None) -> socket.socket:
    """A POST whose headers are all sent, and of whose body only the first byte is."""
    lines = [f"POST {path} HTTP/1.1", "Host: 127.0.0.1", f"Content-Length: {length}"]
    lines += [f"{name}: {value}" for name, value in (headers or {}).items()]
    sock = socket.create_connection(("127.0.0.1", port), timeout=5)
    sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode() + b"-")
    sock.setblocking(False)
    return sock


def read_answer(sock: socket.socket, received: bytearray) -> bool:
    """Add what the server sent to ``received``; return whether it has closed the connection."""
    while True:
        try:
            data = sock.recv(4096)
        except BlockingIOError:
            return False
        except OSError:
            return True
        if not data:
            return True
        received += data


def test_slow_bodies_are_answered_408_and_closed_while_a_phone_joins_and_answers(server):
    """200 anonymous POSTs announce 60,000 bytes and send one every 2 s: each is answered 408
    and closed once rules.body_seconds(60,000) have passed (without the deadline they stay
    open). The signed-in facilitator's poster uploads are read by the app under their larger
    limit, each within the deadline of its size: one of 70,000 bytes is answered with the
    app's 408 page about as soon, one of 2 MB is still open then."""
    info = server.create_workshop("Slow bodies")
    facilitator = Browser(server.port)
    claim(facilitator, urlsplit(info["facilitator_url"]).path)
    facilitator.close()
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    slow = [
        open_slow_body(server.port, f"/w/{info['id']}/answers", BODY_LENGTH, form)
        for _ in range(SLOW_BODIES)
    ]
    upload_headers = {
        "Content-Type": "multipart/form-data; boundary=x",
        "Cookie": "; ".join(f"{k}={v}" for k, v in facilitator.cookies.items()),
        "X-CSRFToken": facilitator.csrf,
        "HX-Request": "true",
    }
    poster = f"/w/{info['id']}/poster"
    upload = open_slow_body(server.port, poster, UPLOAD_LENGTH, upload_headers)
    late_upload = open_slow_body(server.port, poster, LATE_UPLOAD_LENGTH, upload_headers)
    waiting = [*slow, late_upload]  # all answered before the give-up, or the test fails
    received = {sock: bytearray() for sock in [*waiting, upload]}
    try:
        joined, answered = phone_joins_and_answers(server, info)

        # Meanwhile every slow body goes on, a byte at a time, until the server closes it.
        give_up = time.monotonic() + BODY_GIVE_UP
        closed: set[socket.socket] = set()
        sent = 1
        while time.monotonic() < give_up and not closed.issuperset(waiting):
            time.sleep(BYTE_EVERY)
            for sock in received:
                if sock not in closed and read_answer(sock, received[sock]):
                    closed.add(sock)
                elif sock not in closed:
                    with suppress(OSError):
                        sock.sendall(b"-")
            sent += 1
        upload_open = not read_answer(upload, received[upload])
        answers = [bytes(received[sock][:12]) for sock in slow]
        print(
            f"\n{SLOW_BODIES} slow bodies of {BODY_LENGTH:,} bytes, a byte every {BYTE_EVERY:g} s "
            f"(deadline {body_seconds(BODY_LENGTH):.1f} s): the phone joined in {joined:.3f} s "
            f"and answered in {answered:.3f} s; {len(closed.intersection(slow))} answered and "
            f"closed after {sent} bytes; the facilitator's 2 MB upload still open: {upload_open}"
        )
        assert answers == [b"HTTP/1.1 408"] * SLOW_BODIES
        late = bytes(received[late_upload])
        assert late.startswith(b"HTTP/1.1 408") and b"text/html" in late, late[:200]
        assert upload not in closed and upload_open
    finally:
        for sock in received:
            sock.close()


def test_a_record_renders_off_the_event_loop_while_a_phone_answers(server):
    """WeasyPrint lays the record out on gevent's thread pool (offload.py): the worker's
    other requests go on meanwhile, and the PDF comes out whole."""
    info = server.create_workshop("Renders", expected=200)  # the phone gets in at once
    with closing(open_db(server)) as db:
        fill_room(db, get_workshop(db, info["id"]))  # 120 answers: the PDF takes a while
    facilitator = Browser(server.port, timeout=120)
    claim(facilitator, urlsplit(info["facilitator_url"]).path)
    rendered: list = []

    def render() -> None:
        began = time.monotonic()
        status, response, pdf = facilitator.request("GET", f"/w/{info['id']}/record.pdf")
        rendered.append((status, pdf[:5], time.monotonic() - began))

    rendering = threading.Thread(target=render)
    phone = Browser(server.port, timeout=GIVE_UP)
    join(phone, urlsplit(info["join_url"]).path)
    rendering.start()
    answered: list[float] = []  # the phone's answers, then its presence checks
    while rendering.is_alive() and len(answered) < 2000:
        began = time.monotonic()
        if len(answered) < 3:
            number = len(answered)
            body = urlencode(
                {"body": f"Answer {number}", "nonce": f"n{number}", "csrf_token": phone.csrf}
            )
            headers = {"HX-Request": "true", "X-CSRFToken": phone.csrf}
            status, _, _ = phone.request("POST", f"/w/{info['id']}/answers", body, headers)
            assert status == 200, status
        else:
            status, _, _ = phone.request("GET", f"/w/{info['id']}/p/presence")
            assert status == 204, status
        answered.append(time.monotonic() - began)
    rendering.join()
    phone.close()
    facilitator.close()
    assert rendered and rendered[0][:2] == (200, b"%PDF-"), rendered
    print(
        f"\nrecord PDF of 120 answers in {rendered[0][2]:.2f} s; meanwhile the phone answered "
        f"3 times and checked its place {len(answered) - 3} times, slowest {max(answered):.3f} s"
    )
    assert len(answered) > 3  # it went on checking while the record was laid out


OFFLOADED = """
from gevent import monkey; monkey.patch_all()
import gevent
from workshop import offload
done = []
def busy():  # CPU-bound, never yields: only another thread can end it early
    for _ in range(300_000_000):
        if done:
            return "shared the worker"
    return "held the worker"
ticker = gevent.spawn(lambda: (gevent.sleep(0.01), done.append(True)))
print(offload.run(busy))
"""


def test_cpu_bound_work_under_gevent_leaves_the_event_loop_to_other_greenlets():
    """offload.run computes on gevent's thread pool: a greenlet that needs the loop gets it
    while the work runs (on the loop itself, the work would run to its end first)."""
    result = run_python(OFFLOADED)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "shared the worker"


CONTENDED = """
from gevent import monkey; monkey.patch_all()
import threading, gevent
from workshop import offload
lock = threading.Lock()  # gevent's, as the renderer's lock is in a worker
def render(number):
    with lock:
        return sum(range(number, 2_000_000))
jobs = [gevent.spawn(offload.run, render, number) for number in range(4)]
gevent.joinall(jobs, timeout=30)
print(sum(job.value is not None for job in jobs), "of", len(jobs))
"""


def test_offloaded_renders_that_take_the_same_lock_all_finish():
    """Two native threads waiting on one patched lock can miss the wake-up: the pool has one."""
    result = run_python(CONTENDED)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "4 of 4"


def run_python(code: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


WORKER = """
from types import SimpleNamespace
from workshop import cli, words
words.load_in_background = lambda: None
cli.warm_up = lambda app: None
prepare_worker = cli.prepare_worker
prepare_worker(SimpleNamespace(wsgi=None))
print("ready")
"""


def test_a_gevent_worker_starts_only_with_the_app_loaded_after_patching():
    """What each worker checks (cli.prepare_worker): Credo's locks are gevent's."""
    patched_first = run_python("from gevent import monkey; monkey.patch_all()\n" + WORKER)
    assert patched_first.returncode == 0 and "ready" in patched_first.stdout, patched_first.stderr
    loaded_first = run_python(
        "import workshop.db\nfrom gevent import monkey; monkey.patch_all()\n" + WORKER
    )
    assert loaded_first.returncode != 0
    assert "imported before gevent patched" in loaded_first.stderr
    assert "ready" not in loaded_first.stdout


def test_the_server_loads_the_app_only_in_its_workers(tmp_path):
    """serving.py is read by path: gunicorn's master process never imports Credo."""
    config = Path(REPO / "workshop" / "serving.py")
    code = (
        "import runpy, sys\n"
        f"runpy.run_path({str(config)!r})\n"
        "print(sorted(name for name in sys.modules if name.split('.')[0] == 'workshop'))\n"
    )
    result = run_python(code)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"
