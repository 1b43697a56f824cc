"""`python -m bench` (`make bench`): numbers for the poster, the phone and control pages and
live updates.

Prints the date, the machine and one Markdown table (also written to bench/results.md on a
full run). Targets are printed, not enforced; the exit status is 1 only if a poster target
(issue 5) was missed or a scenario failed to run. `--only NAME` (repeatable) runs some.
Progress goes to stderr. The whole run takes about 14 minutes on a 2-core machine.
"""

from __future__ import annotations

import argparse
import sys
import time
import traceback
from collections.abc import Callable
from pathlib import Path

from . import live, machine
from .actions import REPEATS as ACTION_REPEATS
from .actions import action_lines
from .click import click_lines
from .control import FETCHES as CONTROL_FETCHES
from .control import PEOPLE as CONTROL_PEOPLE
from .control import control_lines
from .feedback import feedback_lines
from .first_poster import RUNS as FIRST_POSTER_RUNS
from .first_poster import first_poster_lines
from .libraries import library_lines
from .page import phone_page_weight
from .posters import ROUNDS, poster_lines
from .pulse import ROWS as PULSE_ROWS
from .pulse import pulse_lines
from .table import Line, markdown
from .words import word_lines

RESULTS = Path(__file__).resolve().parent / "results.md"
BUDGET = 16 * 60  # s: a scenario that would end past this is skipped

# name → (seconds it usually takes here, what runs it); run in this order.
SCENARIOS: dict[str, tuple[float, Callable[[], list[Line]]]] = {
    "poster": (35, poster_lines),
    "page": (5, phone_page_weight),
    "feedback": (30, feedback_lines),
    "control": (20, control_lines),
    "actions": (80, action_lines),
    "first-poster": (45, first_poster_lines),
    "click": (80, click_lines),
    "libraries": (20, library_lines),
    "words": (15, word_lines),
    "pulse": (40, pulse_lines),
    "fanout": (70, live.run_fanout("fan-out: 1 worker")),
    "fanout-streams-only": (
        45,
        live.run_fanout("fan-out: 1 worker, streams only", 1, False, False),
    ),
    "fanout-w2": (70, live.run_fanout("fan-out: 2 workers", workers=2)),
    "floor": (130, live.run_floor),
    "fanout-redis": (70, live.run_fanout("fan-out: 1 worker + Redis", redis=True)),
    "capacity": (90, live.run_capacity),
    "fanout-w2-redis": (70, live.run_fanout("fan-out: 2 workers + Redis", 2, redis=True)),
}


def notes(names: list[str]) -> list[str]:
    """What the reader needs to know to read the table."""
    out = []
    if "poster" in names:
        out.append(
            f"Poster: {ROUNDS} rounds (7 for frames, logo and preview); warm renders search "
            "the type size each time; the cold process is timed from the outside."
        )
    if any(name.startswith("fanout") for name in names):
        out.append(
            f"Fan-out: `workshop serve` with its default threads, a temp database, heartbeat "
            f"{live.HEARTBEAT} s, rate limits on. {live.PHONES} phones joined by the QR link, each "
            f"with its live stream open, plus the screen's; then {live.PHONES} × "
            f"{live.ANSWERS_EACH} answers at random moments within {live.WINDOW:.0f} s, the "
            f"question moving on near {live.ADVANCE_AT} answers; a phone refused with 409 (the "
            f"question closed as its answer arrived) resends {live.RESEND_AFTER[0]:.0f}–"
            f"{live.RESEND_AFTER[1]:.0f} s later, as a person would. "
            "Latency: from the accepted POST being written to the arrival (selector time in "
            "the client) of the first frame with `id:` ≥ the answer's event, per open page. "
            "The screen re-fetches its main block on each frame of its stream, as its htmx "
            "does, except in the streams-only run; its stream, like the control page's, rests "
            "0.3 s after each frame (rules.LIVE_PACE_SECONDS), phones' streams do not (phones' "
            "re-fetch on a question change is left out here: the burst moves on every ~4 s "
            "only to stay under 500 answers a question; capacity times it). Lost = not seen "
            f"within {live.SEEN_WITHIN:.0f} s of the last answer."
        )
    if "floor" in names:
        out.append(
            "Floor: bench/floor.py, one asyncio process with no database, no templates, no "
            "sessions, that counts each answer and writes its event to every open stream at "
            "once, under the same burst and client as the fan-out (no joining: it has no "
            "people); then Credo's default `workshop serve` (2 workers) under the same burst, "
            "in the same run; Credo's p50 / p95 / p99 as multiples of the floor's."
        )
    if "capacity" in names:
        out.append(
            "Capacity: the default `workshop serve` (gevent, one worker per core), each "
            "workshop created expecting its 100 phones, rate limits OFF "
            "(WORKSHOP_RATE_LIMITS=false: 1,000 joins come from one address) and "
            f"WORKSHOP_LIVE_STREAMS_PER_ADDRESS={live.CAPACITY_STREAMS_PER_ADDRESS}, heartbeat "
            f"{live.HEARTBEAT} s. Each workshop in turn ({live.ROOM_STAGGER} s apart) gets "
            f"{live.ROOM_ANSWERS} answers a second apart, then a question change, which every "
            "phone's question block re-fetches. Memory and CPU are read from /proc for "
            "gunicorn's master and workers; RSS counts shared pages in each process, PSS "
            "splits them."
        )
    if "control" in names:
        out.append(
            f"Control: in-process through Flask's test client (bench/control.py), a room of "
            f"{CONTROL_PEOPLE} people with four answered stages, drafts and an answered round; "
            f"the facilitator's page and each live fragment, {CONTROL_FETCHES} GETs each, on a "
            "question stage and on the mission stage; with the SQL statements one GET runs."
        )
    if "actions" in names:
        out.append(
            "Actions: every facilitator action timed SERVER SIDE, in-process through Flask's "
            "test client (bench/actions.py): no network, no browser. The room of the control "
            f"line plus a second round (routine, everyone answered), {CONTROL_PEOPLE} people; "
            "each POST as htmx sends it (the answer is the refreshed control page), each "
            "action starting from the same room (the database restored before it), the "
            "process settled first as each server worker is (cli.settle: the warm-up, the "
            "dictionaries, then gc.freeze); p50 / "
            f"p95 of {ACTION_REPEATS} requests after one untimed. Previews are drawn afresh "
            "each time (the cache emptied), as after a change; the poster's actions run with "
            "the mission agreed."
        )
    if "click" in names:
        out.append(
            'Click: "Add to principles", "Hide", "Next" and "Open the round" in headless '
            "Chromium against `workshop serve` (its default workers), the actions' room: from "
            "the click to htmx's end of handling the answer (every panel it carries swapped "
            "and settled), and to the next frame (bench/click.py)."
        )
    if "first-poster" in names:
        out.append(
            "First poster: server side, Flask's test client in a fresh process (nothing of "
            "WeasyPrint loaded) on the actions' room with the mission agreed: the poster page, "
            "the reading distances it then fetches, the preview after a size change (A3 → A2) "
            "and the first A2 PDF, in turn; cold = no warm-up, warm = the warm-up `workshop "
            "serve` starts in each worker (exports.warm_up) has finished, during = the page "
            f"asked for as the warm-up starts; medians of {FIRST_POSTER_RUNS} processes each "
            "(bench/first_poster.py)."
        )
    if "libraries" in names:
        out.append(
            "Libraries: in-process through Flask's test client (bench/libraries.py): the "
            "rate-limit checks a failed join and an answer pay (Flask-Limiter's storage, in "
            "memory and in Redis on loopback), and the bytes and server time of the phone "
            "page, its CSS and its script for each encoding (Flask-Compress)."
        )
    if "words" in names:
        out.append(
            "Words: the frequent words' dictionaries loading in a fresh process, and "
            "`card_words` over 500 answers with lemmas and with the suffix stripping they "
            "replaced (bench/words.py)."
        )
    if "pulse" in names:
        out.append(
            f"Pulse: server side, in-process through Flask's test client (bench/pulse.py), "
            f"{PULSE_ROWS:,} clients' answers over the last 365 days (a year of a busy "
            "clinic: ratings mostly 4–5, 0–3 of 8 principles, a comment on one in three): "
            "the facilitator's pulse page for each range and the lead's read-only page, "
            "then the last whole month's pulse sheet (laid out afresh each time)."
        )
    if names:
        out.append(
            "Server and client share this machine's cores; the client is one asyncio process "
            "(its CPU and event-loop lag are in the notes)."
        )
    return out


def main(argv: list[str] | None = None) -> int:
    """Run the scenarios, print the table, write bench/results.md; see the module doc."""
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument(
        "--only", action="append", choices=list(SCENARIOS), help="run only this scenario"
    )
    chosen = parser.parse_args(argv).only or list(SCENARIOS)
    machine.raise_file_limit()
    header = machine.describe()
    began = time.monotonic()
    lines: list[Line] = []
    ran: list[str] = []
    failed = False
    for name in [name for name in SCENARIOS if name in chosen]:
        usual, run = SCENARIOS[name]
        elapsed = time.monotonic() - began
        if elapsed + usual > BUDGET:
            print(f"- {name}: skipped, the run would pass {BUDGET / 60:.1f} min", file=sys.stderr)
            lines.append(Line(name, "skipped", f"not run: {elapsed:.0f} s gone of {BUDGET:.0f}"))
            continue
        print(f"- {name} ({elapsed:.0f} s so far)", file=sys.stderr, flush=True)
        start = time.monotonic()
        try:
            lines += run()
            ran.append(name)
        except Exception as error:  # noqa: BLE001 - report it in the table, run the rest
            traceback.print_exc()
            lines.append(Line(name, "failed to run", f"{type(error).__name__}: {error}"[:300]))
            failed = True
        print(f"  {name}: {time.monotonic() - start:.0f} s", file=sys.stderr, flush=True)
    took = time.monotonic() - began
    text = "\n".join(
        [
            *header,
            f"Run: {took // 60:.0f} min {took % 60:.0f} s for {', '.join(ran) or 'nothing'}",
            "",
            *[f"- {note}" for note in notes(ran)],
            "",
            markdown(lines),
            "",
        ]
    )
    print()
    print(text)
    if chosen == list(SCENARIOS):
        RESULTS.write_text(f"# `make bench` results\n\n{text}")
        print(f"(written to {RESULTS})", file=sys.stderr)
    poster_missed = [line for line in lines if line.scenario == "poster" and line.ok is False]
    return 1 if failed or poster_missed else 0


if __name__ == "__main__":
    sys.exit(main())
