"""The facilitator's control page: everything it shows (``control_context``), the answer
every control-page form gets (``after_change``: the refreshed controls for htmx, a
redirect otherwise) and the forms the page fills. The facilitator's views share it, so
none of them imports another."""

from collections.abc import Callable
from dataclasses import dataclass

from flask import redirect, render_template, request, url_for
from flask_babel import force_locale, gettext
from sqlite_utils import Database
from wtforms.fields.choices import SelectChoice

from . import messages, models
from .board import answers_by_stage, stage_board
from .db import get_db
from .forms import (
    LEVEL_LABELS,
    BuilderForm,
    ExpectedForm,
    OnBehalfAnswerForm,
    OnBehalfDotForm,
    OverrideForm,
    PersonForm,
    PrinciplesForm,
    RoundForm,
    RoutineForm,
    ThemeForm,
    TimerForm,
    VotingForm,
)
from .method import routine_steps
from .models import Workshop
from .reach import external_url
from .rules import MAX_PRINCIPLES, PRINCIPLE_COUNT, ROUTINE_STEPS, WAITING_SHOWN
from .web import current_stage, is_partial_request, render, revalidate
from .words import card_words


def control_context(workshop: Workshop, **overrides: object) -> dict:
    """Gather everything the control page shows; ``overrides`` carry forms with errors."""
    db = get_db()
    principles = models.list_principles(db, workshop)
    stage = models.current_stage(db, workshop)
    people = models.list_participants(db, workshop)
    present = [p for p in people if p.removed_at is None]
    context = {
        "workshop": workshop,
        "stages": models.list_stages(db, workshop),
        "stage": stage,
        "board": None,
        "voters": (0, 0),
        "words": [],
        "answers": answers_by_stage(db, workshop),
        "people": len(present),
        "people_list": people,
        "phoneless": [p for p in present if p.added_by_facilitator],
        "principles": principles,
        "builder_form": BuilderForm(formdata=None, prefix="builder"),
        "drafts": models.list_drafts(db, workshop, "mission"),
        "routine_drafts": models.list_drafts(db, workshop, "routine"),
        "round_form": RoundForm(formdata=None, prefix="round"),
        "override_form": OverrideForm(formdata=None, prefix="override"),
        "routine_form": None,
        "names": {p.id: p.display_name for p in people},
        "level_labels": LEVEL_LABELS,
        "principles_form": principles_form(principles),
        "voting_form": VotingForm(
            formdata=None, prefix="voting", budget=stage.vote_budget if stage else 3
        ),
        "timer_form": TimerForm(formdata=None, prefix="timer"),
        "theme_form": ThemeForm(formdata=None, prefix="theme"),
        "person_form": PersonForm(formdata=None, prefix="person"),
        "behalf_answer_form": OnBehalfAnswerForm(formdata=None, prefix="behalf"),
        "agree_errors": [],
        "saved": None,
        "exports": models.list_exports(db, workshop),
        "join_url": external_url("participant.join_by_token", token=workshop.join_token),
        "screen_url": external_url("screen.show", token=workshop.screen_token),
        "feedback_url": external_url("feedback.show", token=workshop.feedback_token),
        "open_cases": models.count_open_cases(db, workshop),
        "lead_url": external_url("pulse_page.lead", token=workshop.lead_token),
    }
    if stage is not None and stage.takes_answers:
        board = stage_board(db, workshop, stage, for_room=False)
        context["board"] = board
        context["voters"] = models.count_voters(db, stage)
        context["words"] = card_words(board.cards)
    context.update(round_context(workshop))
    context.update(_waiting_context(workshop, len(present)))
    context.update(overrides)
    _fill_behalf_pickers(context)
    _fill_agreement_pickers(context)
    return context


def _fill_agreement_pickers(context: dict) -> None:
    """Offer the drafts' newest versions (and the principles) to the round form; on the
    principles stage, the principles alone. ``kind`` names what the stage agrees on."""
    stage, workshop = context["stage"], context["workshop"]
    if stage is None or stage.kind not in ("mission", "agreed", "routine", "principles"):
        return
    kind = stage.kind if stage.kind in ("routine", "principles") else "mission"
    context["kind"] = kind  # what the agreement panels work on
    context["round_form"].target.choices = round_targets(workshop, kind)
    if kind == "routine" and context["routine_form"] is None:
        context["routine_form"] = routine_form(workshop)


def round_context(workshop: Workshop) -> dict:
    """The open round (or the last one) with its tally, and the history of rounds."""
    db = get_db()
    rounds = models.list_rounds(db, workshop)
    shown = rounds[0] if rounds and rounds[0].outcome != "withdrawn" else None
    return {
        "rounds": rounds,
        "round": shown,
        "tally": models.round_tally(db, shown) if shown else None,
        "round_version": models.get_version(db, workshop, shown.version_id)
        if shown and shown.version_id
        else None,
    }


def _waiting_context(workshop: Workshop, people: int) -> dict:
    """The head count expected (or Credo's suggestion: those present) and the phones
    waiting for approval, the first few listed."""
    db = get_db()
    expected = workshop.expected_people
    return {
        "expected": expected,
        "expected_form": ExpectedForm(
            formdata=None, prefix="expected", expected=expected if expected else None
        ),
        "waiting": models.list_waiting(db, workshop, WAITING_SHOWN),
        "waiting_count": models.count_waiting(db, workshop),
    }


def _fill_behalf_pickers(context: dict) -> None:
    """Offer the people without a phone, and the answers that can take dots, in the
    on-behalf forms; the person chosen last (``behalf_person``) stays chosen."""
    people = [SelectChoice(p.id, p.display_name) for p in context["phoneless"]]
    chosen = context.get("behalf_person")
    answer = context["behalf_answer_form"]
    answer.person.choices = [SelectChoice(0, gettext("No one in particular")), *people]
    if chosen and answer.person.data is None:
        answer.person.data = chosen
    dot = OnBehalfDotForm(formdata=None, prefix="dot", person=chosen)
    dot.person.choices = people
    board = context["board"]
    # The room's cards: a hidden or flagged answer takes dots only through a visible one
    # merged into it (which then heads the room's card).
    cards = [
        card
        for card in (board.cards if board else [])
        if card.answer.is_visible or any(m.is_visible for m in card.merged)
    ]
    dot.answer.choices = [SelectChoice(c.id, c.body[:60]) for c in cards]
    context["behalf_dot_form"] = dot


def principles_form(
    principles: list[models.Principle], extra: int = 2, rows: int = 0
) -> PrinciplesForm:
    """The editor: the saved principles, then blank rows (``extra`` more, or ``rows`` in all)."""
    form = PrinciplesForm(formdata=None)
    for principle in principles:
        form.principles.append_entry({"name": principle.name, "line": principle.line})
    rows = min(MAX_PRINCIPLES, max(PRINCIPLE_COUNT[0], len(principles) + extra, rows))
    while len(form.principles) < rows:
        form.principles.append_entry()
    return form


def after_change(workshop: Workshop, **overrides: object):
    """Answer a facilitator's change: for htmx, the panels it changed (``ACTION_PANELS``),
    or the whole controls redrawn; a redirect otherwise."""
    status = 422 if overrides.get("agree_errors") else 200
    if not is_partial_request() and status == 200:
        return redirect(url_for("facilitator.control", public_id=workshop.public_id), 303)
    fresh = models.get_workshop_by_id(get_db(), workshop.id)
    context = control_context(fresh, **overrides)
    panels = changed_panels(workshop, context)
    if panels:
        return render_template("facilitator/control/panels.html", panels=panels, **context), status
    return render(
        "facilitator/control.html",
        "facilitator/control/main.html",
        status=status,
        admin_link=None,
        **context,
    )


def attempt(workshop: Workshop, change: Callable[[Database], object], **overrides: object):
    """Run a facilitator's change and answer with the refreshed controls, or with the
    refusal in words (which keeps the overrides, such as the chosen person, but says nothing
    was saved)."""
    try:
        change(get_db())
    except models.Refused as refusal:
        kept = {key: value for key, value in overrides.items() if key != "saved"}
        reason = messages.for_facilitator(refusal.reason)
        return after_change(workshop, **kept, agree_errors=[reason])
    return after_change(workshop, **overrides)


# What each action redraws ------------------------------------------------------------------


@dataclass(frozen=True)
class Panel:
    """A part of the control page an action can redraw alone: its template
    (facilitator/control/<name>.html), its element's id, and on which stages it is drawn."""

    name: str
    element: str
    drawn: Callable[[models.Stage], bool]
    card: object = None  # the "answer" panel's board.Card


def _drafting(stage: models.Stage) -> bool:
    return stage.kind in ("mission", "agreed", "routine")


def _agreeing(stage: models.Stage) -> bool:
    return _drafting(stage) or stage.kind == "principles"


PANELS = {  # as facilitator/control/main.html draws them
    "tools": Panel("tools", "room-tools", lambda stage: stage.takes_answers),
    "side_words": Panel("side_words", "side-words", lambda stage: stage.takes_answers),
    "side_behalf": Panel("side_behalf", "side-behalf", lambda stage: stage.takes_answers),
    "board": Panel("board", "control-board", lambda stage: True),
    "board_count": Panel("board_count", "board-count", lambda stage: stage.takes_answers),
    "round": Panel("round", "round-panel", _agreeing),
    "round_form": Panel("round_form", "round-opener", _agreeing),
    "drafts": Panel("drafts", "drafts-panel", _drafting),
    "mission": Panel("mission", "mission-panel", lambda s: s.kind in ("mission", "agreed")),
    "routine": Panel("routine", "routine-panel", lambda stage: stage.kind == "routine"),
    "principles": Panel(
        "principles", "principles-panel", lambda s: s.kind in ("mission", "agreed", "principles")
    ),
}

# The panels each action changes ("endpoint" or "endpoint:switch"), first the one holding its
# form; "answer" is the card of the answer acted on (the whole board where it is no card of
# its own). An action not named here (a change of stage, an agreement, a merge) redraws the
# whole controls.
ACTION_PANELS: dict[str, tuple[str, ...]] = {
    "principles.adopt_principle": ("answer", "principles", "round_form"),
    "principles.save_principles": ("principles", "round_form", "board"),
    "room.answer_switch:hide": ("answer", "board_count", "side_words", "side_behalf"),
    "room.answer_switch:show": ("answer", "board_count", "side_words", "side_behalf"),
    "room.stage_switch:lock-input": ("tools",),
    "room.stage_switch:unlock-input": ("tools",),
    "room.stage_switch:collect-hidden": ("tools", "board_count"),
    "room.stage_switch:reveal-answers": ("tools", "board_count"),
    "room.stage_switch:reveal-results": ("tools",),
    "room.stage_switch:hide-results": ("tools",),
    "room.stage_switch:add-minute": ("tools",),
    "room.stage_switch:stop-timer": ("tools",),
    "room.stage_switch:show-words": ("side_words",),
    "room.stage_switch:show-answers": ("side_words",),
    "room.start_timer": ("tools",),
    "agreement.open_round": ("round_form", "round"),
    "agreement.withdraw_round": ("round", "round_form"),
    "agreement.show_draft": ("drafts",),
    "agreement.proposals": ("drafts",),
    "agreement.decide": ("drafts", "round_form"),
    "agreement.revise": ("drafts", "round_form"),
    "agreement.withdraw_draft": ("drafts", "round_form"),
    "agreement.builder": ("mission", "drafts", "round_form"),
}


def changed_panels(workshop: Workshop, context: dict) -> list[Panel]:
    """The panels this request's action changed, as drawn on the stage it left the room on;
    none (the whole controls) for an action not in ``ACTION_PANELS`` or one that moved the
    stage."""
    args = request.view_args or {}
    names = ACTION_PANELS.get(f"{request.endpoint}:{args.get('switch')}") or ACTION_PANELS.get(
        request.endpoint or "", ()
    )
    stage = context["stage"]
    if not names or stage is None or stage.id != workshop.current_stage_id:
        return []
    panels = []
    for name in names:
        if name == "answer":
            panel = _answer_panel(context, args.get("answer_id"))
        else:
            panel = PANELS[name]
        if panel.drawn(stage) and panel not in panels:
            panels.append(panel)
    return panels


def _answer_panel(context: dict, answer_id: object) -> Panel:
    """The card of the answer acted on, or the board where it heads no card."""
    board = context["board"]
    for card in board.cards if board else []:
        if card.answer.id == answer_id:
            return Panel("card", f"answer-card-{card.answer.id}", lambda stage: True, card)
    return PANELS["board"]


# The live fragments: each live panel of the control page computes only what it shows --------


def participant_count_context(workshop: Workshop) -> dict:
    """What the head count shows: how many people are in (of how many expected), how many
    phones wait, and the door's switch."""
    return {
        "workshop": workshop,
        "people": models.count_participants(get_db(), workshop),
        "expected": workshop.expected_people,
        "waiting_count": models.count_waiting(get_db(), workshop),
    }


def join_requests_context(workshop: Workshop) -> dict:
    """What the door's panel shows: joined of expected, and the phones waiting to join."""
    people = models.count_participants(get_db(), workshop)
    return {
        "workshop": workshop,
        "people": people,
        **_waiting_context(workshop, people),
    }


def board_context(workshop: Workshop) -> dict:
    """What the answers' area shows: the current stage's cards, or (on a stage without
    answers of its own) every question's answers, beside the principles."""
    db = get_db()
    stage = current_stage(workshop)
    context = {
        "workshop": workshop,
        "stage": stage,
        "board": None,
        "answers": [],
        "principles": models.list_principles(db, workshop),
    }
    if stage is not None and stage.takes_answers:
        context["board"] = stage_board(db, workshop, stage, for_room=False)
    elif stage is not None:
        context["answers"] = answers_by_stage(db, workshop)
    return context


def round_panel_context(workshop: Workshop) -> dict:
    """What the round panel shows: the open (or last) round, its tally, the earlier ones."""
    return {
        "workshop": workshop,
        "stage": current_stage(workshop),
        "override_form": OverrideForm(formdata=None, prefix="override"),
        "level_labels": LEVEL_LABELS,
        **round_context(workshop),
    }


def drafts_panel_context(workshop: Workshop) -> dict:
    """What the drafts panel shows: the stage's drafts (mission or routine) with the
    changes people suggest, by name."""
    db = get_db()
    stage = current_stage(workshop)
    kind = "routine" if stage is not None and stage.kind == "routine" else "mission"
    lines = models.list_drafts(db, workshop, kind)
    return {
        "workshop": workshop,
        "stage": stage,
        "drafts": lines if kind == "mission" else [],
        "routine_drafts": lines if kind == "routine" else [],
        "names": {p.id: p.display_name for p in models.list_participants(db, workshop)},
    }


FRAGMENTS = {  # panel (facilitator/control/<panel>.html, /control/<panel>) -> its context
    "people": participant_count_context,
    "join_requests": join_requests_context,
    "board": board_context,
    "round": round_panel_context,
    "drafts": drafts_panel_context,
}


def render_fragment(workshop: Workshop, panel: str):
    """Render one live panel of the control page from its own context, or the whole page
    (from everything) when the browser asked for a page rather than a fragment; 304 first
    when the browser already holds this panel (as the screen's and phones' fragments)."""
    revalidate(workshop, "facilitator")
    if not is_partial_request():
        return render("facilitator/control.html", admin_link=None, **control_context(workshop))
    template = f"facilitator/control/{panel}.html"
    return render("facilitator/control.html", template, **FRAGMENTS[panel](workshop))


# What a round can decide on, and the routine's form ------------------------------------------


def round_targets(workshop: Workshop, kind: str) -> list[SelectChoice]:
    """List what a round can decide on: each draft's newest version of ``kind`` ("mission"
    or "routine"), and with the mission the principles; ``kind`` "principles": those alone."""
    db = get_db()
    lines = [] if kind == "principles" else models.list_drafts(db, workshop, kind)
    choices = [
        SelectChoice(
            f"v{line.latest.id}",
            gettext(
                "Draft %(draft)d, version %(version)d: %(start)s",
                draft=line.number,
                version=line.latest.number,
                start=_start(line.latest.text),
            ),
        )
        for index, line in enumerate(lines)
    ]
    if kind in ("mission", "principles"):
        count = len(models.list_principles(db, workshop))
        choices.append(SelectChoice("principles", gettext("The principles (%(num)d)", num=count)))
    return choices


def _start(text: str, words: int = 8) -> str:
    parts = text.split()
    return " ".join(parts[:words]) + (" …" if len(parts) > words else "")


def routine_form(workshop: Workshop, formdata=None) -> RoutineForm:
    """Offer the routine's newest wording, or the method's five steps to start from."""
    if formdata is not None:
        return RoutineForm(prefix="routine")
    lines = models.list_drafts(get_db(), workshop, "routine")
    if lines:
        steps = lines[0].latest.text.split("\n")
    else:
        with force_locale(workshop.language):
            steps = routine_steps()
    steps = (steps + [""] * ROUTINE_STEPS)[:ROUTINE_STEPS]
    return RoutineForm(
        formdata=None, prefix="routine", **{f"step_{i + 1}": s for i, s in enumerate(steps)}
    )
