"""The facilitator's pages: create a workshop, drive its stages, agree the mission."""

from flask import Blueprint, flash, redirect, request, session, url_for
from flask_babel import get_locale, gettext, ngettext
from wtforms.fields.choices import SelectChoice

from . import messages, models
from .access import facilitator_session_id, facilitator_workshop, remember_facilitator
from .db import get_db
from .forms import (
    LEVEL_LABELS,
    ActionForm,
    BuilderForm,
    CreateWorkshopForm,
    JoinForm,
    OnBehalfAnswerForm,
    OnBehalfDotForm,
    OverrideForm,
    PersonForm,
    PrinciplesForm,
    RoundForm,
    ThemeForm,
    TimerForm,
    VotingForm,
    form_errors,
)
from .method import template_stages
from .models import Refused, Workshop
from .rules import MAX_PRINCIPLES, PRINCIPLE_COUNT, PRINCIPLE_LINE_MAX, PRINCIPLE_NAME_MAX
from .web import external_url, found, is_partial_request, render, revalidate
from .words import card_words

bp = Blueprint("facilitator", __name__)


@bp.route("/", methods=["GET", "POST"])
def index():
    """Offer to start a workshop, or to join one with a code."""
    form = CreateWorkshopForm()
    if request.method == "GET":
        form.language.data = _browser_language()
    if form.validate_on_submit():
        workshop, admin_token = models.create_workshop(
            get_db(),
            form.title.data,
            form.language.data,
            template_stages(form.template.data, form.language.data),
        )
        remember_facilitator(workshop, models.start_facilitator_session(get_db(), workshop))
        session["new_admin_link"] = external_url("facilitator.claim", token=admin_token)
        return redirect(url_for("facilitator.control", public_id=workshop.public_id), 303)
    status = 422 if form.errors else 200
    return render("facilitator/index.html", form=form, join_form=JoinForm(), status=status)


def _browser_language() -> str:
    return str(get_locale())


@bp.get("/f/<token>")
def claim(token: str):
    """Exchange the private facilitator link for a cookie, then drop the secret from the URL.

    The answer (303 or 404) carries ``Referrer-Policy: no-referrer`` (web.py), and log lines
    show the path as ``/f/[redacted]``.
    """
    workshop = found(models.get_workshop_by_admin_token(get_db(), token))
    remember_facilitator(workshop, models.start_facilitator_session(get_db(), workshop))
    return redirect(url_for("facilitator.control", public_id=workshop.public_id), 303)


@bp.post("/w/<public_id>/access/<any('new-link', 'end-others'):action>")
def access(public_id: str, action: str):
    """Replace the private link (shown once), or sign out every other facilitator browser."""
    workshop = facilitator_workshop(public_id)
    db = get_db()
    if action == "new-link":
        token = models.rotate_admin_token(db, workshop)
        session["new_admin_link"] = external_url("facilitator.claim", token=token)
    if action == "end-others" or request.form.get("end_others"):
        keep = facilitator_session_id(workshop) or ""
        ended = models.end_other_facilitator_sessions(db, workshop, keep)
        flash(
            ngettext(
                "%(num)d other browser was signed out of this workshop.",
                "%(num)d other browsers were signed out of this workshop.",
                ended,
            ),
            "access",
        )
    return redirect(url_for("facilitator.control", public_id=public_id), 303)


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
        "answers": models.answers_by_stage(db, workshop),
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
        "principles_form": _principles_form(principles),
        "action_form": ActionForm(),
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
    }
    if stage is not None and stage.takes_answers:
        board = models.stage_board(db, workshop, stage, for_room=False)
        context["board"] = board
        context["voters"] = models.count_voters(db, stage)
        context["words"] = card_words(board.cards)
    context.update(round_context(workshop))
    context.update(overrides)
    _fill_behalf_pickers(context)
    _fill_agreement_pickers(context)
    return context


def _fill_agreement_pickers(context: dict) -> None:
    """Offer the drafts' newest versions (and the principles) to the round form."""
    from .agreement import round_targets, routine_form

    stage, workshop = context["stage"], context["workshop"]
    if stage is None or stage.kind not in ("mission", "agreed", "routine"):
        return
    kind = "routine" if stage.kind == "routine" else "mission"
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
        if card.contribution.is_visible or any(m.is_visible for m in card.merged)
    ]
    dot.answer.choices = [SelectChoice(c.id, c.body[:60]) for c in cards]
    context["behalf_dot_form"] = dot


def _principles_form(
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


@bp.get("/w/<public_id>/control")
def control(public_id: str):
    """Show the facilitator's control page."""
    workshop = facilitator_workshop(public_id)
    admin_link = session.pop("new_admin_link", None)
    return render("facilitator/control.html", admin_link=admin_link, **control_context(workshop))


@bp.get("/w/<public_id>/control/board")
def board(public_id: str):
    """Render the current stage's answers, for a live refresh."""
    workshop = facilitator_workshop(public_id)
    revalidate(workshop, "facilitator")
    return render("facilitator/control.html", "control_board", **control_context(workshop))


@bp.get("/w/<public_id>/control/<any(round, drafts):panel>")
def agreement_panel(public_id: str, panel: str):
    """Render the open round's tally, or the drafts with their suggestions, for a live refresh."""
    workshop = facilitator_workshop(public_id)
    revalidate(workshop, "facilitator")
    block = {"round": "round_panel", "drafts": "drafts_panel"}[panel]
    return render("facilitator/control.html", block, **control_context(workshop))


@bp.get("/w/<public_id>/control/people")
def people(public_id: str):
    """Render how many people have joined, for a live refresh."""
    workshop = facilitator_workshop(public_id)
    revalidate(workshop, "facilitator")
    return render("facilitator/control.html", "participant_count", **control_context(workshop))


def after_change(workshop: Workshop, **overrides: object):
    """Answer a facilitator's change: the refreshed controls for htmx, a redirect otherwise."""
    status = 422 if overrides.get("agree_errors") else 200
    if not is_partial_request() and status == 200:
        return redirect(url_for("facilitator.control", public_id=workshop.public_id), 303)
    fresh = models.get_workshop_by_id(get_db(), workshop.id)
    return render(
        "facilitator/control.html",
        "control_main",
        status=status,
        admin_link=None,
        **control_context(fresh, **overrides),
    )


@bp.post("/w/<public_id>/stage/<int:stage_id>")
def go_to_stage(public_id: str, stage_id: int):
    """Move everyone to the chosen stage."""
    workshop = facilitator_workshop(public_id)
    stage = found(models.get_stage(get_db(), workshop, stage_id))
    models.move_to_stage(get_db(), workshop, stage)
    return after_change(workshop)


@bp.post("/w/<public_id>/stage/<any(next, previous):direction>")
def step_stage(public_id: str, direction: str):
    """Move everyone one stage forward or back."""
    workshop = facilitator_workshop(public_id)
    stage = models.neighbour_stage(get_db(), workshop, 1 if direction == "next" else -1)
    if stage is not None:
        models.move_to_stage(get_db(), workshop, stage)
    return after_change(workshop)


@bp.post("/w/<public_id>/principles")
def save_principles(public_id: str):
    """Save the list of principles (blank rows left out); "add a row" saves and always
    offers one row more than the editor showed."""
    workshop = facilitator_workshop(public_id)
    form = PrinciplesForm()
    add_row = "add_row" in request.form
    if not form.validate_on_submit():
        if add_row and len(form.principles) < MAX_PRINCIPLES:
            form.principles.append_entry()
        return after_change(workshop, principles_form=form, agree_errors=form_errors(form))
    try:
        models.replace_principles(get_db(), workshop, form.pairs())
    except Refused:
        return after_change(workshop, agree_errors=[messages.for_facilitator("agreed")])
    principles = models.list_principles(get_db(), workshop)
    rows = len(form.principles) + 1 if add_row else 0
    return after_change(
        workshop, principles_form=_principles_form(principles, rows=rows), saved="principles"
    )


@bp.post("/w/<public_id>/principles/adopt/<int:contribution_id>")
def adopt_principle(public_id: str, contribution_id: int):
    """Add a participant's proposed principle to the list."""
    workshop = facilitator_workshop(public_id)
    db = get_db()
    contribution = found(models.get_contribution(db, workshop, contribution_id))
    pairs = [(p.name, p.line) for p in models.list_principles(db, workshop)]
    if len(pairs) >= MAX_PRINCIPLES:
        message = gettext("There can be at most %(max)d principles.", max=MAX_PRINCIPLES)
        return after_change(workshop, agree_errors=[message])
    pairs.append((contribution.body[:PRINCIPLE_NAME_MAX], contribution.detail[:PRINCIPLE_LINE_MAX]))
    try:
        models.replace_principles(db, workshop, pairs)
    except Refused:
        return after_change(workshop, agree_errors=[messages.for_facilitator("agreed")])
    return after_change(workshop, saved="principles")
