"""The control page's render time: the whole page and each live fragment, in a full room.

The room is the one a clinic has filled by its drafting stages, written through the models
(``tests/browser/volume.fill_answered_room``): 40 people, four answered stages (40 answers
each, one stage in themes, one voted on and revealed), two mission drafts on the screen with
a suggested change, a routine draft, and an open mission round everyone answered. On a
question stage (its vote revealed) and on the mission stage, Flask's test client GETs the
control page and each of its live fragments as the facilitator's browser does (fragments
with ``HX-Request``, never holding an ETag): p50 / p95 of ``FETCHES`` requests each, after a
warm-up, and the SQL statements one request runs (PRAGMAs and sqlite-utils' SAVEPOINT and
RELEASE around each query left out). ``python -m bench.control`` prints the numbers.
"""

from __future__ import annotations

import re
import sys
import tempfile
import time
from pathlib import Path
from unittest import mock

import workshop.db as workshop_db
from tests.browser.volume import fill_answered_room, fresh, stage_of_kind
from workshop import models
from workshop.rules import STATEMENT_MAX

from .inprocess import bench_app, new_workshop
from .table import Line, percentile

PEOPLE = 40
FLOOD = 2000  # pending suggested changes of 1,200 characters (issue 16: one phone, 8 s)
FLOOD_TARGET = 0.3  # s: the control page's render, whatever phones send
FETCHES = 40  # requests per page or fragment and stage
WARM_UP = 3
HX = {"HX-Request": "true"}
PAGES = {
    "control page (whole)": "",
    "fragment: head count": "/people",
    "fragment: answers": "/board",
    "fragment: round": "/round",
    "fragment: drafts": "/drafts",
}
NOT_COUNTED = re.compile(r"\s*(PRAGMA|SAVEPOINT|RELEASE)\b", re.IGNORECASE)


def _room(folder: Path):
    """An app on a fresh database holding the full room; its facilitator's client."""
    return new_workshop(bench_app(folder), lambda db, made: fill_answered_room(db, made, PEOPLE))


def _statements(client, url: str, headers: dict) -> int:
    """Count the SQL statements one request runs on its connection."""
    seen: list[str] = []
    real = workshop_db.connect

    def counting(path: str):
        db = real(path)
        db.conn.set_trace_callback(seen.append)
        return db

    with mock.patch.object(workshop_db, "connect", counting):
        client.get(url, headers=headers)
    return sum(1 for statement in seen if not NOT_COUNTED.match(statement))


def _times(client, url: str, headers: dict) -> list[float]:
    for _ in range(WARM_UP):
        client.get(url, headers=headers)
    times = []
    for _ in range(FETCHES):
        start = time.perf_counter()
        response = client.get(url, headers=headers)
        times.append(time.perf_counter() - start)
        if response.status_code != 200:
            raise RuntimeError(f"GET {url} answered {response.status_code}")
    return sorted(times)


def control_lines() -> list[Line]:
    """Time the control page and its fragments on a question stage and the mission stage."""
    lines = []
    with tempfile.TemporaryDirectory(prefix="credo-bench-") as name:
        db, made, client = _room(Path(name))
        try:
            stages = {
                "on a question (vote revealed)": stage_of_kind(db, made, "question", 1),
                "on the mission stage": stage_of_kind(db, made, "mission"),
            }
            for where, stage in stages.items():
                models.move_to_stage(db, made, stage)
                base = f"/w/{fresh(db, made).public_id}/control"
                for what, path in PAGES.items():
                    headers = HX if path else {}
                    times = _times(client, base + path, headers)
                    size = len(client.get(base + path, headers=headers).data)
                    lines.append(
                        Line(
                            "control",
                            f"{what}, {where}",
                            f"{_ms(percentile(times, 0.5))} / {_ms(percentile(times, 0.95))} ms",
                            note=f"p50 / p95 of {FETCHES}; "
                            f"{_statements(client, base + path, headers)} SQL statements; "
                            f"{size / 1024:.1f} KB",
                        )
                    )
            lines.extend(_flooded_lines(db, made, client))
        finally:
            db.close()
    return lines


def _flooded_lines(db, made, client) -> list[Line]:
    """On the mission stage, after one phone stored FLOOD suggested changes (as it could
    before the limits), each as long as a draft may be: the page shows a page of them."""
    draft = models.list_drafts(db, made)[0]
    for number in range(FLOOD):
        text = f"{draft.latest.text} {number} ".ljust(STATEMENT_MAX, "x")
        models.suggest_amendment(db, made, draft.latest, None, text)
    base = f"/w/{fresh(db, made).public_id}/control"
    lines = []
    for what, path in (("control page (whole)", ""), ("fragment: drafts", "/drafts")):
        headers = HX if path else {}
        times = _times(client, base + path, headers)
        size = len(client.get(base + path, headers=headers).data)
        lines.append(
            Line(
                "control",
                f"{what}, {FLOOD:,} suggested changes pending",
                f"{_ms(percentile(times, 0.5))} / {_ms(percentile(times, 0.95))} ms",
                target=f"p95 ≤ {FLOOD_TARGET * 1000:.0f} ms",
                ok=percentile(times, 0.95) <= FLOOD_TARGET,
                note=f"p50 / p95 of {FETCHES}; {size / 1024:.1f} KB",
            )
        )
    return lines


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f}"


def main() -> int:
    """Print the numbers, one per line."""
    for line in control_lines():
        print(f"{line.what}: {line.result} ({line.note})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
