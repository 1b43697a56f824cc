"""A real server and real phones, for the tests that need them and for the benchmarks.

``Server`` runs ``workshop serve`` (gunicorn) on a free loopback port against a database in
a given folder; ``Browser`` is one device's keep-alive connection and cookies; ``join`` walks
the QR link as a phone does; ``EventSource`` reads a live stream as a browser does.
``RedisServer`` is Debian's redis-server on a free port.
tests/test_burst.py, tests/test_fanout.py and the browser tests use these, and bench/
imports them from here: one copy, and tests never import from bench/.
"""

from __future__ import annotations

import http.client
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from contextlib import closing, suppress
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlsplit

REPO = Path(__file__).resolve().parent.parent
START_TIMEOUT = 20.0
CSRF = re.compile(r'"X-CSRFToken": "([^"]+)"|name="csrf_token"[^>]*value="([^"]+)"')
CONNECTION_ERRORS = (ConnectionError, TimeoutError, OSError, http.client.HTTPException)


class NotStarted(RuntimeError):
    """The server (or Redis) did not come up, or a command it needs is missing."""


def free_port() -> int:
    """Return a loopback port nobody listens on (for now)."""
    with closing(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def workshop_command() -> str:
    """Return the venv's ``workshop`` command."""
    found = shutil.which("workshop", path=str(Path(sys.executable).parent))
    if found is None:
        raise NotStarted("the `workshop` command is not installed in this venv (pip install -e .)")
    return found


class Server:
    """``workshop serve`` in its own process group, so SIGKILL takes its workers too."""

    def __init__(self, root: Path, workers: int | None = 1, threads: int | None = None) -> None:
        self.root = root
        self.workers = workers  # None: the command's default (one per core)
        self.threads = threads  # None: the command's default
        self.port = free_port()
        self.env = {
            **os.environ,
            "WORKSHOP_DATABASE": str(root / "credo.db"),
            "WORKSHOP_EXPORTS_DIR": str(root / "exports"),
            "WORKSHOP_SECRET_KEY": "burst-test-secret",  # cookies outlive a restart
            "WORKSHOP_LIVE_HEARTBEAT_SECONDS": "1.0",
            "HOST": "127.0.0.1",
            "PORT": str(self.port),
            "PYTHONUNBUFFERED": "1",
        }
        self.logs: list[Path] = []
        self.process: subprocess.Popen | None = None

    @property
    def database(self) -> Path:
        return self.root / "credo.db"

    def start(self) -> None:
        log = self.root / f"server-{self.port}-{len(self.logs) + 1}.log"
        self.logs.append(log)
        command = [workshop_command(), "serve", "--host", "127.0.0.1", "--port", str(self.port)]
        if self.workers is not None:
            command += ["--workers", str(self.workers)]
        if self.threads is not None:
            command += ["--threads", str(self.threads)]
        with log.open("wb") as log_file:
            self.process = subprocess.Popen(
                command,
                cwd=REPO,
                env=self.env,
                stdin=subprocess.DEVNULL,
                stdout=log_file,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.monotonic() + START_TIMEOUT
        while not self._answers():
            if self.process.poll() is not None:
                code = self.process.returncode
                raise NotStarted(f"the server exited with {code}:\n{self.tail()}")
            if time.monotonic() > deadline:
                waited = f"{START_TIMEOUT:.0f} s"
                raise NotStarted(f"the server did not answer within {waited}:\n{self.tail()}")
            time.sleep(0.05)

    def _answers(self) -> bool:
        try:
            with closing(http.client.HTTPConnection("127.0.0.1", self.port, timeout=2)) as conn:
                conn.request("GET", "/")
                return conn.getresponse().status == 200
        except CONNECTION_ERRORS:
            return False

    def kill(self) -> None:
        """SIGKILL the master and its workers at once: no shutdown, no cleanup."""
        assert self.process is not None
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)

    def log_text(self) -> str:
        return "".join(log.read_text(errors="replace") for log in self.logs if log.exists())

    def tail(self, lines: int = 40) -> str:
        return "\n".join(self.log_text().splitlines()[-lines:])

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def create_workshop(
        self,
        title: str = "Burst",
        template: str = "trust",
        language: str = "en",
        expected: int | None = None,
    ) -> dict:
        """Create a workshop with the ``workshop create`` CLI; return its JSON. ``expected``:
        the head count, past which joins wait for approval (a crowd of phones needs one)."""
        result = subprocess.run(
            [workshop_command(), "create", "--title", title, "--lang", language]
            + ["--template", template, "--json"]
            + (["--expected", str(expected)] if expected is not None else []),
            cwd=REPO,
            env=self.env,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=30,
        )
        assert result.returncode == 0, result.stderr
        return json.loads(result.stdout)


class RedisServer:
    """Debian's redis-server on a free loopback port, without persistence."""

    def __init__(self, root: Path) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            raise NotStarted("redis-server is not installed (apt-get install redis-server)")
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process = subprocess.Popen(
            [binary, "--bind", "127.0.0.1", "--port", str(self.port), "--save", ""]
            + ["--appendonly", "no", "--dir", str(root)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 10
        while not self._answers():
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise NotStarted("redis-server did not start")
            time.sleep(0.05)

    def _answers(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=1) as sock:
                sock.sendall(b"PING\r\n")
                return sock.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
        self.process.wait(timeout=10)


class EventSource:
    """A live-update stream that reconnects like a browser's, with ``Last-Event-ID``."""

    def __init__(self, port: int, path: str) -> None:
        self.port = port
        self.path = path
        self.last_id: str | None = None
        self.frames: list[tuple[int, int, str]] = []  # (connection number, id, event)
        self.sent_ids: list[str | None] = []  # the Last-Event-ID of each connection
        self.local_port = 0  # this end's port of the current connection
        self.retry = 2.0
        self.stop = threading.Event()
        self.arrived = threading.Condition()  # guards frames and sent_ids
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.conn: http.client.HTTPConnection | None = None

    def start(self) -> EventSource:
        self.thread.start()
        return self

    def _run(self) -> None:
        while not self.stop.is_set():
            try:
                self._listen()
            except CONNECTION_ERRORS:
                pass
            self.stop.wait(self.retry)

    def _listen(self) -> None:
        headers = {"Accept": "text/event-stream"}
        if self.last_id is not None:
            headers["Last-Event-ID"] = self.last_id
        with closing(http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)) as conn:
            conn.request("GET", self.path, headers=headers)
            self.conn = conn
            response = conn.getresponse()
            if response.status != 200:
                return
            with self.arrived:
                self.local_port = conn.sock.getsockname()[1]
                self.sent_ids.append(headers.get("Last-Event-ID"))
                number = len(self.sent_ids)
                self.arrived.notify_all()
            frame: dict[str, str] = {}
            while not self.stop.is_set():
                line = response.fp.readline()
                if not line:
                    return  # the server went away
                line = line.decode().rstrip("\r\n")
                if line:
                    name, _, value = line.partition(":")
                    frame[name] = value.lstrip(" ")
                    continue
                if "retry" in frame:
                    self.retry = int(frame["retry"]) / 1000
                if "id" in frame:
                    self.last_id = frame["id"]
                    with self.arrived:
                        self.frames.append((number, int(frame["id"]), frame.get("event", "")))
                        self.arrived.notify_all()
                frame = {}

    def connections(self) -> int:
        with self.arrived:
            return len(self.sent_ids)

    def wait_open(self, within: float) -> bool:
        """Wait until the stream is connected (its first response has arrived)."""
        with self.arrived:
            return self.arrived.wait_for(lambda: self.sent_ids, within)

    def saw(self, kind: str, at_least: int, within: float) -> bool:
        """Wait until an event of ``kind`` with id ≥ ``at_least`` has arrived."""
        with self.arrived:
            return self.arrived.wait_for(
                lambda: any(i >= at_least and k == kind for _, i, k in self.frames), within
            )

    def close(self) -> None:
        """Stop listening and drop the connection."""
        self.stop.set()
        conn = self.conn
        if conn is not None and conn.sock is not None:
            with suppress(OSError):
                conn.sock.shutdown(socket.SHUT_RDWR)
        self.thread.join(5)


# --- a phone: keep-alive HTTP, a cookie jar, the CSRF token from the page ---------------------


class Browser:
    """One device's connection and cookies; requests are sequential, as on a phone."""

    def __init__(self, port: int, timeout: float = 30.0) -> None:
        self.port = port
        self.timeout = timeout  # s: for connecting, and for each read of an answer
        self.conn: http.client.HTTPConnection | None = None
        self.cookies: dict[str, str] = {}
        self.csrf = ""

    def request(
        self, method: str, path: str, body: str | None = None, headers: dict | None = None
    ) -> tuple[int, http.client.HTTPResponse, bytes]:
        """Send one request on the kept-alive connection (reopened if the server closed it)."""
        sent = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        sent.update(headers or {})
        if body is not None:
            sent["Content-Type"] = "application/x-www-form-urlencoded"
        while True:
            reused = self.conn is not None
            if self.conn is None:
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=self.timeout)
            try:
                self.conn.request(method, path, body=body, headers=sent)
                response = self.conn.getresponse()
                data = response.read()
                break
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError):
                self.close()
                if not reused:
                    raise
                # A kept-alive connection the server had closed while idle: like a browser,
                # send once more on a new one.
            except BaseException:
                self.close()
                raise
        for value in response.headers.get_all("Set-Cookie") or []:
            cookie = SimpleCookie()
            cookie.load(value)
            self.cookies.update({name: morsel.value for name, morsel in cookie.items()})
        if self.conn is not None and response.will_close:
            self.close()
        return response.status, response, data

    def read_csrf(self, page: bytes) -> None:
        match = CSRF.search(page.decode("utf-8", "replace"))
        assert match, "no CSRF token on the page"
        self.csrf = next(group for group in match.groups() if group)

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None


def location(response: http.client.HTTPResponse) -> str:
    """Return a redirect's target as a path (and query)."""
    parts = urlsplit(response.headers["Location"])
    return parts.path + (f"?{parts.query}" if parts.query else "")


def join(browser: Browser, join_path: str) -> None:
    """Scan the QR code: the join link, then the name page it leads to (the CSRF token)."""
    status, response, _ = browser.request("GET", join_path)
    assert status == 303, status
    status, _, page = browser.request("GET", location(response))
    assert status == 200, status
    browser.read_csrf(page)


def claim(facilitator: Browser, facilitator_path: str) -> None:
    """Open the facilitator link: the session cookie, then the control page's CSRF token."""
    while True:
        try:
            status, response, _ = facilitator.request("GET", facilitator_path)
            assert status == 303, status
            status, _, page = facilitator.request("GET", location(response))
            assert status == 200, status
            facilitator.read_csrf(page)
            return
        except CONNECTION_ERRORS:
            time.sleep(0.2)
