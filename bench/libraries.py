"""What the rate limiter and the response compression cost, in-process.

``python -m bench.libraries`` (or ``python -m bench --only libraries``) prints:

- rate limits: the time one request spends in the limit checks, for a failed join (check
  the device and the address, then count the failure three times) and for an answer (one
  check-and-count), with the in-memory counts and, when Debian's ``redis-server`` is
  installed, with the counts in Redis (started here on a free loopback port);
- compression: for the phone's question page, its stylesheet and its script bundle, the
  bytes sent and the server time per request for each ``Accept-Encoding`` a browser sends.

Everything runs in this process through Flask's test client: no network, no browser.
"""

from __future__ import annotations

import gzip
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from workshop import limits, models
from workshop.db import connect
from workshop.method import default_stages

from .inprocess import bench_app
from .table import Line

ROUNDS = 2000  # rate-limit checks per measurement
FETCHES = 200  # requests per file and encoding
ENCODINGS = {  # what the client sends → how the row is named
    "identity": "none",
    "gzip": "gzip",
    "gzip, deflate, br, zstd": "Chromium (br offered)",
}


def _app(folder: Path, **config: object):
    never_refuse = {
        "JOIN_LIMIT_DEVICE": 10**9,  # never refuse: every round pays the whole check
        "JOIN_LIMIT_IP": 10**9,
        "JOIN_SLOW_MODE_AFTER": 10**9,
        "ANSWER_LIMIT": 10**9,
    }
    return bench_app(folder, **{**never_refuse, **config})


def _per_call(run: Callable[[int], None], rounds: int = ROUNDS) -> float:
    """Median of five batches, in microseconds per call."""
    batches = []
    for _batch in range(5):
        start = time.perf_counter()
        for number in range(rounds // 5):
            run(number)
        batches.append((time.perf_counter() - start) / (rounds // 5))
    return statistics.median(batches) * 1e6


def limit_costs(folder: Path, storage: str, **config: object) -> list[Line]:
    """Time the checks of a failed join and of an answer, inside a request."""
    app = _app(folder, **config)
    lines = []
    with app.test_request_context("/join", method="POST", environ_base={"REMOTE_ADDR": "10.9.8.7"}):

        def failed_join(number: int) -> None:
            limits.join_wait()
            limits.record_join_failure()

        def answer(number: int) -> None:
            limits.answer_wait(1, number % 40)

        limits.device_id()
        for name, run in (("failed join", failed_join), ("answer", answer)):
            micro = _per_call(run)
            lines.append(
                Line("libraries", f"rate-limit checks, {name}", f"{micro:.0f} µs", note=storage)
            )
    with app.test_request_context("/join"):  # a GET: CSRF looks no further
        micro = _per_call(lambda number: app.preprocess_request())
    lines.append(
        Line("libraries", "before-request hooks, every request", f"{micro:.0f} µs", note=storage)
    )
    return lines


def _workshop_and_phone(app):
    """A workshop (Polish default stages) and a joined phone; return the page and its files."""
    db = connect(app.config["DATABASE"])
    with app.app_context():
        workshop, _token = models.create_workshop(db, "Bench", "pl", default_stages("pl"))
    db.close()
    phone = app.test_client()
    phone.get(f"/j/{workshop.join_token}")
    page_url = f"/w/{workshop.public_id}/p"
    page = phone.get(page_url).get_data(as_text=True)
    files = []
    for marker in ('href="/static/css/', 'src="/static/credo.js'):
        start = page.index(marker) + len(marker.split('"')[0]) + 2
        files.append(page[start : page.index('"', start)].replace("&amp;", "&"))
    return phone, [page_url, *files]


def _unpacked(body: bytes, encoding: str) -> int:
    if encoding == "gzip":
        return len(gzip.decompress(body))
    if encoding == "br":
        import brotli

        return len(brotli.decompress(body))
    return len(body)


def compression_costs(folder: Path) -> list[Line]:
    """Bytes sent and server time per request for the phone page, its CSS and its JS."""
    app = _app(folder)
    phone, urls = _workshop_and_phone(app)
    lines = []
    for accept, label in ENCODINGS.items():
        total = 0
        parts = []
        for url in urls:
            headers = {"Accept-Encoding": accept}
            response = phone.get(url, headers=headers)
            encoding = response.headers.get("Content-Encoding", "")
            sent = len(response.data)
            total += sent
            for _warm in range(FETCHES // 10):
                phone.get(url, headers=headers).close()
            start = time.perf_counter()
            for _fetch in range(FETCHES):
                phone.get(url, headers=headers).close()
            each = (time.perf_counter() - start) / FETCHES * 1000
            name = url.split("?", 1)[0].rsplit("/", 1)[-1] or url
            unpacked = _unpacked(response.data, encoding)
            parts.append(
                f"{'page' if url == urls[0] else name} {sent / 1024:.1f} KB "
                f"of {unpacked / 1024:.1f} ({encoding or 'plain'}) {each:.2f} ms"
            )
        lines.append(
            Line(
                "libraries",
                f"phone page + CSS + JS, Accept-Encoding: {label}",
                f"{total / 1024:.1f} KB",
                note="; ".join(parts),
            )
        )
    lines.append(_packed_once(phone, urls[1:]))
    return lines


def _packed_once(phone, urls: list[str]) -> Line:
    """The static files packed once at gzip -9, as Credo's own cache did before Flask-Compress."""
    sizes = []
    for url in urls:
        name = url.split("?", 1)[0].rsplit("/", 1)[-1]
        packed = gzip.compress(phone.get(url).data, 9)
        sizes.append(f"{name} {len(packed) / 1024:.1f} KB")
    return Line("libraries", "static files at gzip -9 (for comparison)", "; ".join(sizes))


def library_lines() -> list[Line]:
    """Run every measurement; Redis only where Debian's redis-server is installed."""
    lines: list[Line] = []
    with tempfile.TemporaryDirectory(prefix="credo-bench-") as name:
        folder = Path(name)
        lines += limit_costs(folder / "memory", "in memory")
        if shutil.which("redis-server"):
            from tests.live_room import RedisServer

            redis = RedisServer(folder)
            try:
                lines += limit_costs(folder / "redis", "Redis on loopback", REDIS_URL=redis.url)
            finally:
                redis.stop()
        lines += compression_costs(folder / "compression")
    return lines


def main() -> int:
    """Print the numbers, one per line."""
    for line in library_lines():
        print(f"{line.what}: {line.result}" + (f" ({line.note})" if line.note else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
