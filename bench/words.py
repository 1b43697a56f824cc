"""What the frequent words cost: the dictionaries' load, and a word cloud of 500 answers.

``python -m bench.words`` (or ``python -m bench --only words``) prints:

- the load, in a fresh process: importing simplemma and stopwords-iso and reading the
  Polish and English dictionaries, its time and the memory it adds;
- start-up: the phone page's time in a fresh app while that load runs in the background
  (as it does once the control page or the projector first opens), against before it; and
  the first projector page of a room whose 40 answers are already in, which waits for it;
- ``card_words`` over 500 answers (100 of them near 280 characters, every third typed
  without Polish letters, the labelled words of tests/word_labels.tsv spread through
  them), with the lemmas and with the suffix stripping they replaced (kept in
  tests/test_words.py): the first count of answers not seen before, a refresh after one
  new answer, and a refresh with every answer counted before (each answer's words are
  cached by its text, so this is what every live refresh pays);
- the most one word costs: a made-up one, which no dictionary knows even with Polish
  letters put back.

Each number is a median; everything runs in this process or a child, no server, no browser.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path
from types import SimpleNamespace

from .table import Line

ANSWERS = 500
LONG = 100
ROUNDS = 7
ROOT = Path(__file__).resolve().parent.parent


def room_cards(count: int = ANSWERS, long: int = LONG) -> list[SimpleNamespace]:
    """``count`` answers as the board's cards, every third with its Polish letters dropped.

    The test room's answers repeat their wording, so four of the labelled words are added
    to each (fewer to the long ones, which stay under 280 characters): a real room of 500
    uses a wider vocabulary.
    """
    from tests.browser.volume import answer_texts
    from tests.test_words import read_labels
    from workshop.words import fold_diacritics

    labelled = [row["form"] for row in read_labels()]
    texts = []
    for number, text in enumerate(answer_texts(count, long)):
        for index in range(number * 4, number * 4 + 4):
            more = f"{text} {labelled[index % len(labelled)]}"
            if len(more) <= 280:
                text = more
        texts.append(fold_diacritics(text) if number % 3 == 2 else text)
    return [card(text) for text in texts]


def card(text: str) -> SimpleNamespace:
    answer = SimpleNamespace(body=text, detail="", is_visible=True)
    return SimpleNamespace(answer=answer, merged=())


def _median_ms(run: Callable[[int], object], rounds: int = ROUNDS) -> float:
    times = []
    for number in range(rounds):
        start = time.perf_counter()
        run(number)
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def render_times() -> dict[str, float]:
    """The three counts of 500 answers, in ms, with ``workshop.words`` as it is now."""
    from workshop import words

    cards = room_cards()
    extra = room_cards(ANSWERS + ROUNDS * 3)[ANSWERS:]  # answers not counted yet

    def cold(_number: int) -> None:
        words.counted_words.cache_clear()
        if hasattr(words, "word_key"):
            words.word_key.cache_clear()
        words.card_words(cards)

    times = {"cold": _median_ms(cold)}
    words.card_words(cards)
    times["one new"] = _median_ms(lambda number: words.card_words([*cards[1:], extra[number]]))
    words.card_words(cards)
    times["warm"] = _median_ms(lambda _number: words.card_words(cards), rounds=ROUNDS * 5)
    return times


def render_lines() -> list[Line]:
    """card_words at 500 answers with the lemmas, then with the suffix stripping."""
    from tests.test_words import suffix_counted_words
    from workshop import words

    words.loaded_lexicon()
    now = render_times()
    kept = words.counted_words
    words.counted_words = lru_cache(maxsize=8192)(suffix_counted_words)
    try:
        before = render_times()
    finally:
        words.counted_words = kept
    distinct = {form for c in room_cards() for form in words.typed_words(c.answer.body)}
    what = {
        "cold": f"first count, no answer seen before ({len(distinct)} different words)",
        "one new": "refresh after one new answer",
        "warm": "refresh, every answer seen before",
    }
    return [
        Line(
            "words",
            f"card_words, {ANSWERS} answers: {what[name]}",
            f"{now[name]:.1f} ms",
            target="≤ 50 ms" if name != "cold" else "",
            ok=now[name] <= 50 if name != "cold" else None,
            note=f"suffix stripping {before[name]:.1f} ms",
        )
        for name in what
    ] + [unknown_word_line()]


def unknown_word_line() -> Line:
    """The most a word costs: one no dictionary knows, with no Polish letters to try back."""
    import random

    from workshop import words

    chance = random.Random(14)
    made_up = [
        "".join(chance.choice("acelnoszrtkmpwyi") for _letter in range(chance.randint(6, 14)))
        for _word in range(1000)
    ]
    words.word_key.cache_clear()
    start = time.perf_counter()
    for word in made_up:
        words.word_key(word)
    each = (time.perf_counter() - start) / len(made_up) * 1000
    return Line(
        "words",
        "a made-up word without Polish letters, first time",
        f"{each:.2f} ms",
        note="then cached; a known word 0.02–0.05 ms",
    )


def rss_mb() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def room_app(folder: str):
    """A fresh app whose workshop shows a question with a room's 40 answers on the screen."""
    from tests.browser.volume import add_people, fill_question, move_to, stage_of_kind
    from workshop import create_app, models
    from workshop.db import connect
    from workshop.method import default_stages

    settings = {"SECRET_KEY": "bench", "DATABASE": f"{folder}/bench.db", "EXPORTS_DIR": folder}
    app = create_app({"TESTING": True, **settings})
    db = connect(app.config["DATABASE"])
    with app.app_context():
        workshop, _token = models.create_workshop(db, "Bench", "pl", default_stages("pl"))
        stage = stage_of_kind(db, workshop, "question")
        fill_question(db, workshop, stage, add_people(db, workshop))
        move_to(db, workshop, stage)
    db.close()
    return app, workshop


def child() -> dict[str, float]:
    """In a fresh process: a phone's page while the load runs in the background, then the load."""
    from workshop import words

    out: dict[str, float] = {}
    with tempfile.TemporaryDirectory(prefix="credo-bench-") as folder:
        app, workshop = room_app(folder)
        phone = app.test_client()
        phone.get(f"/j/{workshop.join_token}")
        page = f"/w/{workshop.public_id}/p"
        phone.get(page)
        idle = [_timed(lambda: phone.get(page).close()) for _fetch in range(20)]
        rss = rss_mb()
        start = time.perf_counter()
        words.load_in_background()  # as the control page or the projector does on opening
        loading = []
        while words._loader is not None and words._loader.is_alive():
            loading.append(_timed(lambda: phone.get(page).close()))
        out["load"] = time.perf_counter() - start
        out["memory"] = rss_mb() - rss
        out["phone idle"] = statistics.median(idle)
        out["phone while loading"] = statistics.median(loading) if loading else float("nan")
        out["phone while loading max"] = max(loading, default=float("nan"))
        out["phone fetches while loading"] = len(loading)
        screen = app.test_client()
        out["screen after load"] = _timed(lambda: screen.get(f"/s/{workshop.screen_token}"))
    return out


def first_screen() -> float:
    """In a fresh process: the projector's first page with 40 answers in, nothing loaded."""
    with tempfile.TemporaryDirectory(prefix="credo-bench-") as folder:
        app, workshop = room_app(folder)
        screen = app.test_client()
        return _timed(lambda: screen.get(f"/s/{workshop.screen_token}"))


def _timed(run: Callable[[], object]) -> float:
    start = time.perf_counter()
    run()
    return time.perf_counter() - start


def _in_child(function: str) -> dict:
    code = f"import json, bench.words as b; print(json.dumps(b.{function}()))"
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, check=True, capture_output=True, text=True
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def start_lines() -> list[Line]:
    """The load and the start-up, each in a fresh process."""
    found = _in_child("child")
    first = _in_child("first_screen")
    return [
        Line(
            "words",
            "dictionaries' load (pl + en, stop words), in the background",
            f"{found['load']:.2f} s",
            note=f"+{found['memory']:.0f} MB resident",
        ),
        Line(
            "words",
            "phone page while the load runs, median / max",
            f"{found['phone while loading'] * 1000:.1f} / "
            f"{found['phone while loading max'] * 1000:.1f} ms",
            note=f"{found['phone fetches while loading']:.0f} fetches; before the load "
            f"{found['phone idle'] * 1000:.1f} ms",
        ),
        Line(
            "words",
            "projector's first page, 40 answers in, right after start",
            f"{first * 1000:.0f} ms",
            note="waits for the load; once loaded "
            f"{found['screen after load'] * 1000:.0f} ms for its first count",
        ),
    ]


def word_lines() -> list[Line]:
    """Every measurement of this module."""
    return start_lines() + render_lines()


def main() -> int:
    """Print the numbers, one per line."""
    for line in word_lines():
        print(f"{line.what}: {line.result}" + (f" ({line.note})" if line.note else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
