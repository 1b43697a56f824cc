"""Running the room from the control page: one-click stage switches (input, hidden
answers, voting, results, timers, the screen's view), answers as cards (moderation,
merges, themes), answers and dots for people without a phone, and what the projector
shows: its pages held or turned, the framed poster on it."""

from flask import Blueprint, redirect, url_for
from flask_babel import gettext
from wtforms.fields.choices import SelectChoice

from .. import messages, models
from ..access import facilitator_workshop
from ..board import stage_board
from ..control import after_change, attempt
from ..db import get_db
from ..exports import screen_poster_png
from ..forms import (
    AnswerThemeForm,
    FacilitatorAnswerForm,
    MergeForm,
    OnBehalfAnswerForm,
    OnBehalfDotForm,
    ThemeForm,
    TimerForm,
    VotingForm,
    form_errors,
)
from ..models import Answer, Stage, Workshop
from ..poster import PosterError
from ..web import found, is_partial_request, render, revalidate

bp = Blueprint("room", __name__)


EXTRA_MINUTE = 60


def _stage(workshop: Workshop, stage_id: int) -> Stage:
    return found(models.get_stage(get_db(), workshop, stage_id))


def _answer(workshop: Workshop, answer_id: int) -> Answer:
    return found(models.get_answer(get_db(), workshop, answer_id))


def _apply(workshop: Workshop, change, *args, **overrides):
    """Run a model change on this workshop (control.attempt: the refreshed controls, or
    the refusal)."""
    return attempt(workshop, lambda db: change(db, workshop, *args), **overrides)


def _any(names) -> str:
    """Spell a URL converter that matches any of ``names``."""
    return "any(" + ", ".join(f'"{name}"' for name in names) + ")"


# Stage switches: one route for every one-click setting ---------------------------------------


STAGE_SWITCHES = {
    "lock-input": lambda db, w, s: models.set_stage_input(db, w, s, False),
    "unlock-input": lambda db, w, s: models.set_stage_input(db, w, s, True),
    "collect-hidden": lambda db, w, s: models.set_answers_hidden(db, w, s, True),
    "reveal-answers": lambda db, w, s: models.set_answers_hidden(db, w, s, False),
    "close-voting": models.close_voting,
    "reveal-results": lambda db, w, s: models.reveal_results(db, w, s, True),
    "hide-results": lambda db, w, s: models.reveal_results(db, w, s, False),
    "clear-votes": models.clear_votes,
    "add-minute": lambda db, w, s: models.extend_timer(db, w, s, EXTRA_MINUTE),
    "stop-timer": models.stop_timer,
    "show-words": lambda db, w, s: models.set_screen_view(db, w, s, "words"),
    "show-answers": lambda db, w, s: models.set_screen_view(db, w, s, "cards"),
}


@bp.post(f"/w/<public_id>/stages/<int:stage_id>/<{_any(STAGE_SWITCHES)}:switch>")
def stage_switch(public_id: str, stage_id: int, switch: str):
    """Flip one of a stage's settings: input, hidden answers, voting, results, timer."""
    workshop = facilitator_workshop(public_id)
    return _apply(workshop, STAGE_SWITCHES[switch], _stage(workshop, stage_id))


@bp.post("/w/<public_id>/stages/<int:stage_id>/voting")
def open_voting(public_id: str, stage_id: int):
    """Open dot voting with a budget per person."""
    workshop = facilitator_workshop(public_id)
    stage = _stage(workshop, stage_id)
    form = VotingForm(prefix="voting")
    if not form.validate_on_submit():
        return after_change(workshop, voting_form=form, agree_errors=form_errors(form))
    return _apply(workshop, models.open_voting, stage, form.budget.data, form.one_per_answer.data)


@bp.post("/w/<public_id>/stages/<int:stage_id>/timer")
def start_timer(public_id: str, stage_id: int):
    """Start a countdown on the stage."""
    workshop = facilitator_workshop(public_id)
    stage = _stage(workshop, stage_id)
    form = TimerForm(prefix="timer")
    if not form.validate_on_submit():
        return after_change(workshop, timer_form=form, agree_errors=form_errors(form))
    return _apply(
        workshop, models.start_timer, stage, form.minutes.data * 60, form.close_on_expiry.data
    )


# Answers: moderation, merges, themes -----------------------------------------------------------


ANSWER_SWITCHES = {
    "hide": lambda db, w, c: models.moderate(db, w, c, "hidden"),
    "show": lambda db, w, c: models.moderate(db, w, c, "visible"),
    "unmerge": models.unmerge_answer,
    "delete": models.delete_as_facilitator,
}


@bp.post(f"/w/<public_id>/board/answers/<int:answer_id>/<{_any(ANSWER_SWITCHES)}:switch>")
def answer_switch(public_id: str, answer_id: int, switch: str):
    """Hide, show (approve), unmerge or delete an answer."""
    workshop = facilitator_workshop(public_id)
    return _apply(workshop, ANSWER_SWITCHES[switch], _answer(workshop, answer_id))


@bp.post("/w/<public_id>/board/answers/<int:answer_id>/merge")
def merge(public_id: str, answer_id: int):
    """Merge a duplicate answer into another card."""
    workshop = facilitator_workshop(public_id)
    source = _answer(workshop, answer_id)
    form = MergeForm()
    target = models.get_answer(get_db(), workshop, form.target.data or 0)
    if not form.validate_on_submit() or target is None:
        return after_change(workshop, agree_errors=[messages.for_facilitator("not-found")])
    return _apply(workshop, models.merge_answers, source, target)


@bp.post("/w/<public_id>/board/answers/<int:answer_id>/theme")
def answer_theme(public_id: str, answer_id: int):
    """Put an answer into a theme, or back into the ungrouped pile (theme 0)."""
    workshop = facilitator_workshop(public_id)
    answer = _answer(workshop, answer_id)
    form = AnswerThemeForm(prefix="answer")
    theme = models.get_theme(get_db(), workshop, form.theme.data or 0)
    if not form.validate_on_submit() or (form.theme.data and theme is None):
        return after_change(workshop, agree_errors=[messages.for_facilitator("not-found")])
    return _apply(workshop, models.set_theme, answer, theme)


@bp.route("/w/<public_id>/board/answers/<int:answer_id>", methods=["GET", "POST"])
def edit_answer(public_id: str, answer_id: int):
    """One answer's page: reword it (the first wording is kept), merge it, theme it."""
    workshop = facilitator_workshop(public_id)
    db = get_db()
    answer = _answer(workshop, answer_id)
    form = FacilitatorAnswerForm(obj=answer)
    if form.validate_on_submit():
        models.edit_as_facilitator(db, workshop, answer, form.body.data, form.detail.data)
        return redirect(url_for("facilitator.control", public_id=public_id), 303)
    stage = found(models.get_stage(db, workshop, answer.stage_id))
    board = stage_board(db, workshop, stage, for_room=False)
    merge_form = MergeForm(formdata=None)
    merge_form.target.choices = [
        SelectChoice(c.id, c.body[:80]) for c in board.cards if c.id != answer.id
    ]
    theme_form = AnswerThemeForm(formdata=None, prefix="answer", theme=answer.theme_id or 0)
    theme_form.theme.choices = [
        SelectChoice(0, gettext("No theme")),
        *(SelectChoice(t.id, t.name) for t in board.themes),
    ]
    return render(
        "facilitator/answer.html",
        workshop=workshop,
        answer=answer,
        stage=stage,
        form=form,
        merge_form=merge_form,
        theme_form=theme_form,
        merged=[c for c in models.list_answers(db, stage) if c.merged_into == answer.id],
        status=422 if form.errors else 200,
    )


@bp.post("/w/<public_id>/stages/<int:stage_id>/themes")
def add_theme(public_id: str, stage_id: int):
    """Start a named theme for the stage's answers."""
    workshop = facilitator_workshop(public_id)
    stage = _stage(workshop, stage_id)
    form = ThemeForm(prefix="theme")
    if not form.validate_on_submit():
        return after_change(workshop, theme_form=form, agree_errors=form_errors(form))
    return _apply(workshop, models.add_theme, stage, form.name.data)


@bp.post("/w/<public_id>/themes/<int:theme_id>/rename")
def rename_theme(public_id: str, theme_id: int):
    """Rename a theme."""
    workshop = facilitator_workshop(public_id)
    theme = found(models.get_theme(get_db(), workshop, theme_id))
    form = ThemeForm(prefix="theme")
    if not form.validate_on_submit():
        return after_change(workshop, agree_errors=form_errors(form))
    return _apply(workshop, models.rename_theme, theme, form.name.data)


@bp.post("/w/<public_id>/themes/<int:theme_id>/delete")
def delete_theme(public_id: str, theme_id: int):
    """Remove a theme; its answers return to the ungrouped pile."""
    workshop = facilitator_workshop(public_id)
    theme = found(models.get_theme(get_db(), workshop, theme_id))
    return _apply(workshop, models.delete_theme, theme)


# Answers and dots for people without a phone -------------------------------------------------


def _person(workshop: Workshop, participant_id: int | None) -> models.Participant | None:
    person = models.get_participant_by_id(get_db(), workshop, participant_id or 0)
    return person if person is not None and person.removed_at is None else None


@bp.post("/w/<public_id>/stages/<int:stage_id>/on-behalf/answer")
def answer_on_behalf(public_id: str, stage_id: int):
    """Enter an answer for someone without a phone (or for no one in particular)."""
    workshop = facilitator_workshop(public_id)
    stage = _stage(workshop, stage_id)
    form = OnBehalfAnswerForm(prefix="behalf")
    if not form.validate_on_submit():
        return after_change(workshop, behalf_answer_form=form, agree_errors=form_errors(form))
    person = _person(workshop, form.person.data)
    return _apply(
        workshop,
        lambda db, w: models.add_answer(
            db, w, stage, person, form.body.data, form.detail.data, entered_by="facilitator"
        ),
        saved="behalf-answer",
        behalf_person=person.id if person else None,
    )


@bp.post("/w/<public_id>/on-behalf/dot")
def dot_on_behalf(public_id: str):
    """Place a dot for someone without a phone, within their budget."""
    workshop = facilitator_workshop(public_id)
    form = OnBehalfDotForm(prefix="dot")
    person = _person(workshop, form.person.data)
    answer = models.get_answer(get_db(), workshop, form.answer.data or 0)
    chosen = person.id if person else None
    if not form.validate_on_submit() or person is None or answer is None:
        return after_change(
            workshop,
            agree_errors=[messages.for_facilitator("not-found")],
            behalf_person=chosen,
        )
    return _apply(
        workshop,
        lambda db, w: models.cast_vote(db, w, person, answer, entered_by="facilitator"),
        saved="behalf-dot",
        behalf_person=chosen,
    )


# The projector: its pages, and the poster on it ----------------------------------------------


@bp.app_template_global("screen_pages")
def screen_pages(workshop: Workshop) -> models.ScreenPages:
    """Return the hold on the projector's pages, for the facilitator's page controls."""
    return models.get_screen_pages(get_db(), workshop)


@bp.get("/w/<public_id>/screen-pages")
def page_controls(public_id: str):
    """Render the facilitator's controls for the projector's pages, for a live refresh."""
    workshop = facilitator_workshop(public_id)
    revalidate(workshop, "facilitator")
    return render("facilitator/control/screen_pages.html", workshop=workshop)


@bp.post("/w/<public_id>/screen-pages/<any(pause, resume, next, previous):action>")
def drive_pages(public_id: str, action: str):
    """Hold the projector's pages, let them turn again, or turn them one page."""
    workshop = facilitator_workshop(public_id)
    if action in ("pause", "resume"):
        models.pause_screen_pages(get_db(), workshop, action == "pause")
    else:
        models.step_screen_pages(get_db(), workshop, 1 if action == "next" else -1)
    if not is_partial_request():
        return redirect(url_for("facilitator.control", public_id=workshop.public_id), 303)
    return render("facilitator/control/screen_pages.html", workshop=workshop)


@bp.post("/w/<public_id>/poster/screen/<any(show, hide):switch>")
def poster_on_screen(public_id: str, switch: str):
    """Show the framed poster itself on the projector, as it will print, or take it off."""
    workshop = facilitator_workshop(public_id)
    db = get_db()
    if switch == "show":
        try:
            screen_poster_png(db, workshop)  # drawn now, so the projector has it at once
        except PosterError as error:
            return after_change(workshop, agree_errors=[str(error)])
    models.set_poster_on_screen(db, workshop, switch == "show")
    return after_change(workshop)
