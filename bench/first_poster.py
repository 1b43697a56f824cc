"""The poster's first use after a start, server side: in a fresh process (nothing of
WeasyPrint loaded), the room of bench/actions.py with its mission agreed; Flask's test client
asks, as the facilitator does, for the poster page, the reading distances it then fetches,
the preview after a size change (A3 → A2) and the first A2 PDF.

Three starts: ``cold`` (no warm-up: what every first poster paid before it), ``warm`` (the
warm-up `workshop serve` starts in each worker, ``exports.warm_up``, has finished: a
facilitator opening the poster page some seconds after the start) and ``during`` (the
poster page asked for the moment the warm-up starts: the worst case). Each runs in its own
process (``python -m bench.first_poster MODE`` prints JSON); ``first_poster_lines`` runs
them ``RUNS`` times and reports medians.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from workshop.exports import warm_up

from .actions import POSTER_FORM, Room, _agreed, _prepare, _room
from .table import Line

MODES = ("cold", "warm", "during")
RUNS = 3
STEPS = {
    "page": ("poster page, first open after start", 1.0),
    "reading": ("reading distances (every size fitted), first after start", None),
    "preview": ("preview after a size change (A3 → A2), first after start", 0.5),
    "pdf": ("first A2 PDF download", 1.0),
}


def _one(mode: str) -> dict:
    """Run in a fresh process: build the room, start as ``mode`` says, time the steps."""
    out: dict = {}
    with tempfile.TemporaryDirectory(prefix="credo-bench-") as name:
        db, made, client = _room(Path(name))
        room = Room(db, made, client)
        _prepare(room)
        _agreed(room)
        assert "weasyprint" not in sys.modules, "the room's setup loaded WeasyPrint"
        app = client.application
        if mode != "cold":
            start = time.perf_counter()
            thread = threading.Thread(target=warm_up, args=(app,), daemon=True)
            thread.start()
            if mode == "warm":
                thread.join()
                out["warm_up"] = time.perf_counter() - start
        requests = {
            "page": lambda: client.get(room.base + "/poster"),
            "reading": lambda: client.get(
                room.base + "/poster/reading", headers={"HX-Request": "true"}
            ),
            "preview": lambda: client.post(
                room.base + "/poster",
                data={**POSTER_FORM, "size": "a2"},
                headers={"HX-Request": "true"},
            ),
            "pdf": lambda: client.get(room.base + "/poster.pdf?size=a2"),
        }
        for step, send in requests.items():
            start = time.perf_counter()
            response = send()
            out[step] = time.perf_counter() - start
            if response.status_code != 200:
                raise RuntimeError(f"{step} answered {response.status_code}")
        db.close()
    return out


def _run(mode: str) -> dict:
    done = subprocess.run(
        [sys.executable, "-m", "bench.first_poster", mode],
        capture_output=True,
        text=True,
        check=True,
        cwd=Path(__file__).resolve().parent.parent,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def first_poster_lines() -> list[Line]:
    """Medians of ``RUNS`` fresh processes per start."""
    runs: dict[str, list[dict]] = {mode: [] for mode in MODES}
    for _ in range(RUNS):
        for mode in MODES:
            runs[mode].append(_run(mode))
    lines = []
    for step, (what, target) in STEPS.items():
        for mode in MODES:
            median = statistics.median(run[step] for run in runs[mode])
            note = f"median of {RUNS} fresh processes; {mode}"
            if mode == "warm":
                warm = statistics.median(run["warm_up"] for run in runs[mode])
                note += f" (the warm-up took {warm:.1f} s, in the background)"
            lines.append(
                Line(
                    "first poster",
                    f"{what}, {mode}",
                    f"{median * 1000:.0f} ms",
                    target=f"≤ {target * 1000:.0f} ms" if target and mode == "warm" else "",
                    ok=median <= target if target and mode == "warm" else None,
                    note=note,
                )
            )
    return lines


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if args and args[0] in MODES:
        print(json.dumps(_one(args[0])))
        return 0
    for line in first_poster_lines():
        print(f"{line.what:80} {line.result:>9}  {line.target}  ({line.note})", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
