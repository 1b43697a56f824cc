"""Slow clients (slowloris) against the real server: gevent workers drop a request whose
headers do not arrive within rules.REQUEST_HEADERS_SECONDS, and a phone still joins and
answers meanwhile. Loopback only, bounded in connections and time; the times are printed
(bench/slowloris.py measures the same at a room's scale), never asserted."""

import socket
import subprocess
import sys
import time
from contextlib import suppress
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import pytest

from tests.live_room import REPO, Browser, NotStarted, Server, join
from workshop.rules import REQUEST_HEADERS_SECONDS

SLOW_CONNECTIONS = 300  # five times the worker's 60 requests at once
THREADS = 60
LINE_EVERY = 1.0  # s between one slow connection's header lines
GIVE_UP = 6 * REQUEST_HEADERS_SECONDS  # s: the slow connections are still open by then: fail


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


def test_slow_requests_are_dropped_while_a_phone_joins_and_answers(server):
    info = server.create_workshop("Slow clients")
    slow = [open_slow(server.port) for _ in range(SLOW_CONNECTIONS)]
    try:
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
from workshop import words
from workshop.cli import prepare_worker
words.load_in_background = lambda: None
prepare_worker(None)
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
