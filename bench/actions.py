"""Every facilitator action, timed server side: each POST of the control page, the control
page and each of its live fragments, the poster page, its preview and the downloads.

The room is bench/control.py's (``tests/browser/volume.fill_answered_room``: 40 people, four
answered stages, one in themes and one voted on and revealed, three drafts, one with a
suggested change), with a second round: the mission round everyone answered is withdrawn
and a routine round opened, which everyone answers too. Each action runs in-process through
Flask's test client, as the facilitator's browser sends it (htmx POSTs with
``HX-Request``, so the answer is the refreshed control page's main block): the time is
the server's alone, from the request entering Flask to the last byte of the response, with
no network and no browser. Actions that change what they act on are paired (hide, then
show) or set up again, untimed, before each timed request, so every request finds the
same room (and the database is restored to it before each action). The poster's actions
run with the mission agreed, their previews drawn afresh each time (the cache emptied), as
after a change. p50 / p95 of ``REPEATS`` requests each, after one untimed warm-up request.

``python -m bench.actions [NAME-PART]`` prints one line per action (those whose name holds
NAME-PART); bench/first_poster.py times the poster's first use after a start, and
bench/click.py one action as the browser sees it.
"""

from __future__ import annotations

import sqlite3
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from tests.browser.volume import answer_round, fresh, stage_of_kind
from workshop import exports, models
from workshop.cli import settle
from workshop.rules import VOTE_BUDGET_RANGE

from .control import _room
from .table import Line, percentile

REPEATS = 15
HX = {"HX-Request": "true"}
ACTION_TARGET = 0.2  # s, p95: any control-page action, and the page's full reload
POSTER_PAGE_TARGET = 1.0  # s: the poster page (its first open after start: first_poster.py)
PREVIEW_TARGET = 0.5  # s: the preview after a size change (A3 → A2)
DOWNLOAD_TARGET = 1.0  # s: a poster PDF, the record PDF


@dataclass
class Room:
    """The bench room: its database, the workshop, the facilitator's client, and the ids
    the actions need."""

    db: object
    made: models.Workshop
    client: object
    ids: dict = field(default_factory=dict)

    @property
    def base(self) -> str:
        return f"/w/{self.made.public_id}"

    def at(self, kind: str, nth: int = 0) -> None:
        """Put the room on the ``nth`` stage of ``kind`` (untimed)."""
        stage = stage_of_kind(self.db, self.made, kind, nth)
        if fresh(self.db, self.made).current_stage_id != stage.id:
            models.move_to_stage(self.db, self.made, stage)


@dataclass
class Action:
    """One facilitator action: where the room is, the request (method, path, form) for the
    ``n``-th repetition, what to set up before each (untimed), and the target."""

    name: str
    stage: tuple[str, int]
    request: Callable[[Room, int], tuple[str, str, dict]]
    before: Callable[[Room, int], None] | None = None
    target: float = ACTION_TARGET
    headers: dict = field(default_factory=lambda: dict(HX))


def _toggle(path: str, first: str, second: str) -> Callable[[Room, int], tuple[str, str, dict]]:
    """POST to ``path`` + first, then + second, alternately (hide, show, hide…)."""

    def request(room: Room, n: int) -> tuple[str, str, dict]:
        return "POST", room.base + path.format(**room.ids) + (second if n % 2 else first), {}

    return request


def _post(path: str, form: dict | None = None) -> Callable[[Room, int], tuple[str, str, dict]]:
    def request(room: Room, n: int) -> tuple[str, str, dict]:
        data = {key: str(value).format(n=n, **room.ids) for key, value in (form or {}).items()}
        return "POST", room.base + path.format(**room.ids), data

    return request


def _get(path: str) -> Callable[[Room, int], tuple[str, str, dict]]:
    def request(room: Room, _n: int) -> tuple[str, str, dict]:
        return "GET", room.base + path.format(**room.ids), {}

    return request


QUESTION = ("question", 0)  # the stage in themes
VOTED = ("question", 1)  # the stage voted on and revealed
PRINCIPLES = ("principles", 0)
MISSION = ("mission", 0)
AGREED = ("agreed", 0)  # the poster's actions: the mission agreed, the room on its last stage


def _principles_of(room: Room) -> dict:
    """The principles editor's form for the room's starting list."""
    form = {}
    for i, (name, line) in enumerate(room.ids["principles"]):
        form[f"principles-{i}-name"] = name
        form[f"principles-{i}-line"] = line
    return form


def _reset_principles(room: Room, _n: int) -> None:
    models.replace_principles(room.db, room.made, room.ids["principles"])


def _new_mission_round(room: Room, _n: int) -> None:
    """An open mission round everyone answered (the routine round withdrawn first)."""
    for round_ in models.list_rounds(room.db, room.made):
        if round_.closed_at is None:
            models.cancel_round(room.db, room.made, round_)
    version = models.list_drafts(room.db, room.made, "mission")[0].latest
    round_ = models.open_round(room.db, room.made, "mission", version)
    answer_round(room.db, room.made, round_, room.ids["people"])
    room.ids["round"] = round_.id


def _reopen_mission(room: Room, n: int) -> None:
    """Undo what closing a round did: the mission open again, the room on its stage."""
    current = fresh(room.db, room.made)
    if current.mission_agreed_at:
        models.reopen_agreement(room.db, current, "mission")
    room.at(*MISSION)
    _new_mission_round(room, n)


def _no_open_round(room: Room, _n: int) -> None:
    for round_ in models.list_rounds(room.db, room.made):
        if round_.closed_at is None:
            models.cancel_round(room.db, room.made, round_)


def _new_draft(room: Room, _n: int) -> None:
    version = models.propose_draft(room.db, room.made, "Jesteśmy dla pacjentów. Wersja robocza.")
    room.ids["spare_draft"] = version.draft_id


def _new_amendment(room: Room, _n: int) -> None:
    draft = models.list_drafts(room.db, room.made, "mission")[0]
    person = room.ids["people"][2]
    amendment = models.suggest_amendment(
        room.db, room.made, draft.latest, person, draft.latest.text + " Razem."
    )
    room.ids["amendment"] = amendment.id


def _unmerged(room: Room, _n: int) -> None:
    answer = models.get_answer(room.db, room.made, room.ids["merge_from"])
    if answer is not None and answer.merged_into:
        models.unmerge_answer(room.db, room.made, answer)


def _merged(room: Room, n: int) -> None:
    answer = models.get_answer(room.db, room.made, room.ids["merge_from"])
    target = models.get_answer(room.db, room.made, room.ids["merge_into"])
    if answer is not None and target is not None and not answer.merged_into:
        models.merge_answers(room.db, room.made, answer, target)


def _no_new_theme(room: Room, _n: int) -> None:
    """The stage's themes as the room has them (a stage takes at most 12)."""
    for theme in models.list_themes(room.db, stage_of_kind(room.db, room.made, *QUESTION)):
        if theme.name.startswith("Nowy"):
            models.delete_theme(room.db, room.made, theme)


def _no_preview(_room: Room, _n: int) -> None:
    """Forget the drawn previews: the page draws its preview as after a change."""
    exports._previews.clear()


def _spare_theme(room: Room, _n: int) -> None:
    stage = stage_of_kind(room.db, room.made, *QUESTION)
    room.ids["spare_theme"] = models.add_theme(room.db, room.made, stage, "Do usunięcia").id


def _timer_running(room: Room, _n: int) -> None:
    stage = stage_of_kind(room.db, room.made, *QUESTION)
    models.start_timer(room.db, room.made, stage, 300, False)


def _spare_person(room: Room, n: int) -> None:
    person = models.add_participant(room.db, room.made)[0]
    room.ids["spare_person"] = person.id


def _reopen_voting(room: Room, n: int) -> None:
    """Voting open on the voted stage (a dot on behalf needs it), the person's dots free."""
    if n % VOTE_BUDGET_RANGE[1] == 0:
        models.clear_votes(room.db, room.made, stage_of_kind(room.db, room.made, *VOTED))
        stage = stage_of_kind(room.db, room.made, *VOTED)
        models.open_voting(room.db, room.made, stage, budget=VOTE_BUDGET_RANGE[1])


ACTIONS: list[Action] = [
    # The control page and its live fragments (GETs).
    Action("control page, full reload", QUESTION, _get("/control"), headers={}),
    Action("control page, full reload, mission stage", MISSION, _get("/control"), headers={}),
    Action("fragment: head count", QUESTION, _get("/control/people")),
    Action("fragment: phones waiting", QUESTION, _get("/control/waiting")),
    Action("fragment: answers", QUESTION, _get("/control/board")),
    Action("fragment: answers, principles stage", PRINCIPLES, _get("/control/board")),
    Action("fragment: round", MISSION, _get("/control/round")),
    Action("fragment: drafts", MISSION, _get("/control/drafts")),
    Action("fragment: screen pages", MISSION, _get("/screen-pages")),
    # Moving through the stages, the door, people.
    Action("next / previous stage", QUESTION, _toggle("/stage/", "next", "previous")),
    Action("go to a stage", QUESTION, _post("/stage/{question_stage}")),
    Action("expected head count", QUESTION, _post("/expected", {"expected-expected": "4{n}"})),
    Action("lock / unlock joining", QUESTION, _toggle("/joining/", "lock", "unlock")),
    Action("add a person", QUESTION, _post("/people", {"person-name": "Gość {n}"})),
    Action(
        "remove a person",
        QUESTION,
        _post("/people/{spare_person}/remove"),
        before=_spare_person,
    ),
    # A question's switches, timer and vote.
    Action(
        "lock / unlock answers",
        QUESTION,
        _toggle("/stages/{question_stage}/", "lock-input", "unlock-input"),
    ),
    Action(
        "collect hidden / reveal answers",
        QUESTION,
        _toggle("/stages/{question_stage}/", "collect-hidden", "reveal-answers"),
    ),
    Action(
        "frequent words / answers on screen",
        QUESTION,
        _toggle("/stages/{question_stage}/", "show-words", "show-answers"),
    ),
    Action(
        "hide / reveal the vote's results",
        VOTED,
        _toggle("/stages/{voted_stage}/", "hide-results", "reveal-results"),
    ),
    Action(
        "start a timer", QUESTION, _post("/stages/{question_stage}/timer", {"timer-minutes": 5})
    ),
    Action(
        "add a minute",
        QUESTION,
        _post("/stages/{question_stage}/add-minute"),
        before=_timer_running,
    ),
    Action(
        "stop the timer",
        QUESTION,
        _post("/stages/{question_stage}/stop-timer"),
        before=_timer_running,
    ),
    # Answers: switches, edit, merge, theme, on behalf.
    Action(
        "hide / show an answer",
        QUESTION,
        _toggle("/board/answers/{answer}/", "hide", "show"),
    ),
    Action(
        "edit an answer",
        QUESTION,
        _post("/board/answers/{answer}", {"body": "Poprawiona odpowiedź {n}", "detail": ""}),
    ),
    Action(
        "merge two answers",
        QUESTION,
        _post("/board/answers/{merge_from}/merge", {"target": "{merge_into}"}),
        before=_unmerged,
    ),
    Action(
        "unmerge an answer",
        QUESTION,
        _post("/board/answers/{merge_from}/unmerge"),
        before=_merged,
    ),
    Action(
        "put an answer in a theme",
        QUESTION,
        _post("/board/answers/{answer}/theme", {"answer-theme": "{theme}"}),
    ),
    Action(
        "add a theme",
        QUESTION,
        _post("/stages/{question_stage}/themes", {"theme-name": "Nowy {n}"}),
        before=_no_new_theme,
    ),
    Action("rename a theme", QUESTION, _post("/themes/{theme}/rename", {"theme-name": "Czas {n}"})),
    Action("delete a theme", QUESTION, _post("/themes/{spare_theme}/delete"), before=_spare_theme),
    Action(
        "answer on behalf",
        QUESTION,
        lambda room, n: (
            "POST",
            room.base + f"/stages/{room.ids['question_stage']}/on-behalf/answer",
            {"behalf-person": room.ids["people"][n % 20].id, "behalf-body": f"Z kartki {n}"},
        ),
    ),
    Action(
        "dot on behalf",
        VOTED,
        _post("/on-behalf/dot", {"dot-person": "{dot_person}", "dot-answer": "{voted_answer}"}),
        before=_reopen_voting,
    ),
    # Principles.
    Action(
        "add to principles",
        PRINCIPLES,
        _post("/principles/adopt/{principle_answer}"),
        before=_reset_principles,
    ),
    Action(
        "save the principles",
        PRINCIPLES,
        lambda room, n: ("POST", room.base + "/principles", _principles_of(room)),
    ),
    Action(
        "move a principle up",
        PRINCIPLES,
        lambda room, n: (
            "POST",
            room.base + "/principles",
            {**_principles_of(room), "move": "1-up"},
        ),
        before=_reset_principles,
    ),
    # Drafts, amendments, rounds, routine.
    Action(
        "draft from the builder",
        MISSION,
        _post("/builder", {"builder-text": "Leczymy z uważnością, wersja {n}."}),
    ),
    Action(
        "revise a draft",
        MISSION,
        lambda room, n: (
            "POST",
            room.base + f"/drafts/{room.ids['draft']}/revise",
            {f"revise-{room.ids['draft']}-text": f"Słuchamy do końca i mówimy prosto. {n}"},
        ),
    ),
    Action(
        "hide / show a draft on screen",
        MISSION,
        _toggle("/drafts/{draft}/", "hide", "show"),
    ),
    Action(
        "withdraw a draft",
        MISSION,
        _post("/drafts/{spare_draft}/withdraw"),
        before=_new_draft,
    ),
    Action(
        "accept a suggested change",
        MISSION,
        _post("/amendments/{amendment}/accept"),
        before=_new_amendment,
    ),
    Action(
        "decline a suggested change",
        MISSION,
        _post("/amendments/{amendment}/decline"),
        before=_new_amendment,
    ),
    Action(
        "close / open suggestions",
        MISSION,
        _toggle("/proposals/", "close", "open"),
    ),
    Action(
        "open a round",
        MISSION,
        lambda room, n: (
            "POST",
            room.base + "/rounds",
            {"round-target": f"v{models.list_drafts(room.db, room.made, 'mission')[0].latest.id}"},
        ),
        before=_no_open_round,
    ),
    Action(
        "withdraw a round",
        MISSION,
        _post("/rounds/{round}/withdraw"),
        before=_new_mission_round,
    ),
    Action(
        "close a round (agreed: to the final stage)",
        MISSION,
        _post("/rounds/{round}/close"),
        before=_reopen_mission,
    ),
    Action(
        "agree a round with a note",
        MISSION,
        _post("/rounds/{round}/override", {"override-note": "Uzgodnione po rozmowie {n}."}),
        before=_reopen_mission,
    ),
    Action(
        "save the routine",
        MISSION,
        _post("/routine", {f"routine-step_{i}": f"Krok {i}, wersja {{n}}" for i in range(1, 6)}),
    ),
    # The projector's pages and the poster on it.
    Action("pause / resume screen pages", MISSION, _toggle("/screen-pages/", "pause", "resume")),
    Action("next / previous screen page", MISSION, _toggle("/screen-pages/", "next", "previous")),
    Action("poster on / off screen", AGREED, _toggle("/poster/screen/", "show", "hide")),
    # The poster page, its preview, the downloads.
    Action(
        "poster page (its preview drawn)",
        AGREED,
        _get("/poster"),
        before=_no_preview,
        headers={},
        target=POSTER_PAGE_TARGET,
    ),
    Action(
        "preview after a size change (A3 → A2)",
        AGREED,
        lambda room, n: (
            "POST",
            room.base + "/poster",
            {**POSTER_FORM, "size": "a2" if n % 2 == 0 else "a3"},
        ),
        before=_no_preview,
        target=PREVIEW_TARGET,
    ),
    Action(
        "preview image (A2)",
        AGREED,
        _get("/poster/preview.png?size=a2"),
        before=_no_preview,
        headers={},
        target=PREVIEW_TARGET,
    ),
    Action(
        "poster PDF (A2)",
        AGREED,
        _get("/poster.pdf?size=a2"),
        headers={},
        target=DOWNLOAD_TARGET,
    ),
    Action("staff card PDF", AGREED, _get("/card.pdf"), headers={}, target=DOWNLOAD_TARGET),
    Action("record PDF", AGREED, _get("/record.pdf"), headers={}, target=DOWNLOAD_TARGET),
    Action("record Excel", AGREED, _get("/record.xlsx"), headers={}, target=DOWNLOAD_TARGET),
]

POSTER_FORM = {
    "size": "a3",
    "orientation": "portrait",
    "frame": "gold",
    "theme": "navy",
    "reading_distance": "2",
}


def _prepare(room: Room) -> None:
    """The second round, and the ids the actions name."""
    db, made = room.db, room.made
    people = models.list_participants(db, made)
    _no_open_round(room, 0)
    round_ = models.open_round(
        db, made, "routine", models.list_drafts(db, made, "routine")[0].latest
    )
    answer_round(db, made, round_, people)
    question = stage_of_kind(db, made, *QUESTION)
    voted = stage_of_kind(db, made, *VOTED)
    principles_stage = stage_of_kind(db, made, *PRINCIPLES)
    answers = models.list_answers(db, question)
    themes = models.list_themes(db, question)
    room.ids.update(
        people=people,
        question_stage=question.id,
        voted_stage=voted.id,
        answer=answers[-1].id,
        merge_from=answers[-2].id,
        merge_into=answers[-3].id,
        theme=themes[0].id,
        dot_person=people[6].id,
        voted_answer=models.list_answers(db, voted)[20].id,
        principle_answer=models.list_answers(db, principles_stage)[0].id,
        principles=[(f"Zasada {i}", f"Jak to widać w pracy, {i}.") for i in range(1, 7)],
        draft=models.list_drafts(db, made, "mission")[0].draft.id,
        round=round_.id,
    )
    models.replace_principles(db, made, room.ids["principles"])


def _agreed(room: Room) -> None:
    """The mission round closed with the text agreed, and the principles with it."""
    _new_mission_round(room, 0)
    round_ = models.get_round(room.db, room.made, room.ids["round"])
    models.close_round(room.db, room.made, round_, "Uzgodnione po rozmowie.")


def _run(room: Room, action: Action) -> list[float]:
    if action.stage == AGREED:
        _agreed(room)
    room.at(*action.stage)
    times = []
    for n in range(REPEATS + 1):
        if action.before is not None:
            action.before(room, n)
        method, path, form = action.request(room, n)
        start = time.perf_counter()
        if method == "GET":
            response = room.client.get(path, headers=action.headers)
        else:
            response = room.client.post(path, data=form, headers=action.headers)
        took = time.perf_counter() - start
        if response.status_code not in (200, 303):
            raise RuntimeError(f"{method} {path} answered {response.status_code}")
        if n:  # the first is the warm-up
            times.append(took)
    return sorted(times)


def action_lines(only: str | None = None) -> list[Line]:
    """Time every facilitator action; one line each."""
    lines = []
    with tempfile.TemporaryDirectory(prefix="credo-bench-") as name:
        db, made, client = _room(Path(name))
        room = Room(db, made, client)
        try:
            _prepare(room)
            settle(client.application)  # as each worker of `workshop serve` does once started
            snapshot = sqlite3.connect(":memory:")
            db.conn.backup(snapshot)
            for action in ACTIONS:
                if only and only not in action.name:
                    continue
                snapshot.backup(db.conn)  # every action finds the same room
                try:
                    times = _run(room, action)
                except Exception as error:  # noqa: BLE001 - report it in the table, run the rest
                    lines.append(Line("actions", action.name, "failed to run", note=str(error)))
                    continue
                p95 = percentile(times, 0.95)
                lines.append(
                    Line(
                        "actions",
                        action.name,
                        f"{_ms(percentile(times, 0.5))} / {_ms(p95)} ms",
                        target=f"p95 ≤ {action.target * 1000:.0f} ms",
                        ok=p95 <= action.target,
                        note=f"p50 / p95 of {REPEATS}",
                    )
                )
        finally:
            db.close()
    return lines


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.0f}"


def main(argv: list[str] | None = None) -> int:
    """Print the numbers, one line per action (``python -m bench.actions [NAME-PART]``)."""
    args = sys.argv[1:] if argv is None else argv
    for line in action_lines(args[0] if args else None):
        mark = {True: "", False: "  MISSED", None: f"  {line.note}"}[line.ok]
        print(f"{line.what:48} {line.result:>16}  {line.target}{mark}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
