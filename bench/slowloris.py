"""Slow requests against the real server: does a phone still get in while one client holds
many connections open, sending a header line now and then and never finishing?

``python -m bench.slowloris [--threads N] [--connections N] [--seconds S]`` starts
``workshop serve`` (one worker) on a loopback port, opens the attacking connections (each
sends a request line, then one more header line every ``--every`` seconds), and meanwhile,
once a second, a new phone scans the QR link, joins and sends an answer. It prints, for the
phone's join and answer, how many succeeded and how long they took (5 s is a failure).
Loopback only; the attack ends after ``--seconds``.

``--bodies`` sends slow request bodies instead: each connection sends a POST's headers whole,
announcing a form of 60,000 bytes, then one byte of it every ``--every`` seconds, so that no
per-read timeout ever fires; the server answers each 408 and closes it once the body's
deadline (rules.body_seconds) has passed.

``--renders`` measures the other way one client could hold a gevent worker: instead of the
slow connections, the facilitator downloads the record of a full room (a PDF report of 120
answers, laid out by WeasyPrint) over and over, and the phones join and answer meanwhile.
"""

from __future__ import annotations

import argparse
import resource
import socket
import statistics
import tempfile
import threading
import time
from contextlib import closing, suppress
from pathlib import Path
from urllib.parse import urlencode, urlsplit

from tests.browser.volume import fill_room, get_workshop, open_db
from tests.live_room import CONNECTION_ERRORS, Browser, Server, claim, join
from workshop.rules import body_seconds

PHONE_TIMEOUT = 5.0  # s: past this a phone's request counts as failed
BODY_LENGTH = 60_000  # bytes a slow body announces (--bodies): under anyone's 64 KiB limit


def attack(
    port: int,
    connections: int,
    every: float,
    stop: threading.Event,
    reopen: bool = False,
    path: str | None = None,
) -> list[int]:
    """Hold ``connections`` slow requests open until ``stop``; return [opened, dropped].

    ``reopen``: open a new slow connection for each one the server drops, as a persistent
    attacker would, so that ``connections`` are always pending. ``path``: POST a slow body
    there (its headers whole, then a byte at a time) instead of slow headers.
    """
    if path is None:
        first, more = b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n", "X-Slow-{line}: {line}\r\n"
    else:
        first = (
            f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: {BODY_LENGTH}\r\n"
            "Content-Type: application/x-www-form-urlencoded\r\n\r\n-"
        ).encode()
        more = "-"
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, min(hard, connections + 500)), hard))
    sockets: list[socket.socket] = []
    counts = [0, 0]

    def open_some(wanted: int) -> None:
        for _ in range(wanted):
            with suppress(OSError):
                sock = socket.create_connection(("127.0.0.1", port), timeout=2)
                sock.sendall(first)
                sock.setblocking(False)  # to look for the server's close without waiting
                sockets.append(sock)
                counts[0] += 1

    open_some(connections)
    line = 0
    while not stop.wait(min(every, 1.0)):
        line += 1
        for sock in list(sockets):
            try:
                if sock.recv(1, socket.MSG_PEEK) == b"":
                    raise ConnectionResetError  # the server closed it
            except BlockingIOError:
                if line % max(1, round(every)) == 0:
                    with suppress(OSError):
                        sock.sendall(more.format(line=line).encode())
                continue
            except OSError:
                pass
            sockets.remove(sock)
            sock.close()
            counts[1] += 1
        if reopen and not stop.is_set():
            open_some(connections - len(sockets))
    for sock in sockets:
        sock.close()
    return counts


def phone_visits(server: Server, join_path: str, public_id: str, seconds: float) -> dict:
    """Once a second, a new phone joins and answers; return each step's times (None: failed)."""
    times: dict[str, list[float | None]] = {"join": [], "answer": []}
    deadline = time.monotonic() + seconds
    number = 0
    while time.monotonic() < deadline:
        number += 1
        phone = Browser(server.port, timeout=PHONE_TIMEOUT)
        began = time.monotonic()
        try:
            join(phone, join_path)
            times["join"].append(time.monotonic() - began)
            began = time.monotonic()
            body = urlencode(
                {"body": f"Answer {number}", "nonce": f"n{number}", "csrf_token": phone.csrf}
            )
            headers = {"HX-Request": "true", "X-CSRFToken": phone.csrf}
            status, _, _ = phone.request("POST", f"/w/{public_id}/answers", body, headers)
            times["answer"].append(time.monotonic() - began if status < 400 else None)
        except (AssertionError, *CONNECTION_ERRORS):
            for step in times:
                if len(times[step]) < number:
                    times[step].append(None)
        finally:
            phone.close()
        time.sleep(max(0.0, 1.0 - (time.monotonic() - began)))
    return times


def render_records(server: Server, info: dict, stop: threading.Event) -> list[float]:
    """Download the workshop's record PDF until ``stop``; return how long each took."""
    facilitator = Browser(server.port, timeout=120)
    claim(facilitator, urlsplit(info["facilitator_url"]).path)
    took = []
    while not stop.is_set():
        began = time.monotonic()
        status, _, _ = facilitator.request("GET", f"/w/{info['id']}/record.pdf")
        assert status == 200, status
        took.append(time.monotonic() - began)
    facilitator.close()
    return took


def summary(name: str, values: list[float | None]) -> str:
    done = [value for value in values if value is not None]
    if not done:
        return f"{name}: 0 of {len(values)} succeeded"
    return (
        f"{name}: {len(done)} of {len(values)} succeeded, median {statistics.median(done):.3f} s,"
        f" slowest {max(done):.3f} s"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--threads", type=int, default=1500)
    parser.add_argument("--connections", type=int, default=2000)
    parser.add_argument("--every", type=float, default=2.0)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument(
        "--reopen", action="store_true", help="open a new slow connection for each one dropped"
    )
    parser.add_argument(
        "--bodies", action="store_true", help="slow request bodies instead of slow headers"
    )
    parser.add_argument(
        "--renders", action="store_true", help="record PDFs rendered instead of slow connections"
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        server = Server(Path(folder), workers=1, threads=args.threads)
        server.start()
        try:
            info = server.create_workshop("Slowloris", expected=200)
            stop = threading.Event()
            result: list = []
            if args.renders:
                with closing(open_db(server)) as db:
                    fill_room(db, get_workshop(db, info["id"]))
                work = lambda: result.append(render_records(server, info, stop))  # noqa: E731
            else:
                path = f"/w/{info['id']}/answers" if args.bodies else None
                work = lambda: result.append(  # noqa: E731
                    attack(server.port, args.connections, args.every, stop, args.reopen, path)
                )
            attacker = threading.Thread(target=work)
            attacker.start()
            time.sleep(min(5.0, args.seconds / 4))  # let the connections open
            times = phone_visits(server, urlsplit(info["join_url"]).path, info["id"], args.seconds)
            stop.set()
            attacker.join()
            if args.renders:
                took = result[0]
                print(
                    f"record PDFs of 120 answers rendered back to back on 1 gevent worker: "
                    f"{len(took)} in {args.seconds:g} s, median {statistics.median(took):.2f} s"
                )
            else:
                opened, dropped = result[0]
                kept = f"{args.connections} kept open" if args.reopen else f"{opened} opened"
                if args.bodies:
                    what = (
                        f"slow bodies of {BODY_LENGTH:,} bytes (deadline "
                        f"{body_seconds(BODY_LENGTH):.1f} s), a byte every {args.every:g} s"
                    )
                else:
                    what = f"slow headers, a header line every {args.every:g} s"
                print(
                    f"slowloris: slow connections ({kept}, {opened} in all) against 1 gevent "
                    f"worker (--threads {args.threads}), {what}; the server dropped "
                    f"{dropped} of them within {args.seconds:g} s"
                )
            print(summary("  a phone's join", times["join"]))
            print(summary("  its answer", times["answer"]))
        finally:
            server.stop()


if __name__ == "__main__":
    main()
