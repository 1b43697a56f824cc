"""The facilitator's controls for running the room: voting, hiding, locks, timers,
grouping, moderation, people without a phone, joining, and the stage list."""

from datetime import UTC, datetime

from flask import Blueprint, Response, current_app, flash, redirect, request, session, url_for
from flask_babel import gettext
from wtforms.fields.choices import SelectChoice

from . import messages, models
from .access import facilitator_workshop, remember_facilitator
from .db import checkpoint, get_db
from .facilitator import after_change
from .forms import (
    CardThemeForm,
    CloneForm,
    FacilitatorAnswerForm,
    MergeForm,
    OnBehalfAnswerForm,
    OnBehalfDotForm,
    PersonForm,
    StageForm,
    ThemeForm,
    TimerForm,
    VotingForm,
    form_errors,
)
from .method import optional_stages
from .models import Contribution, Refused, Stage, Workshop
from .web import external_url, found, is_partial_request, render

bp = Blueprint("room", __name__)

EXTRA_MINUTE = 60


def _stage(workshop: Workshop, stage_id: int) -> Stage:
    return found(models.get_stage(get_db(), workshop, stage_id))


def _answer(workshop: Workshop, contribution_id: int) -> Contribution:
    return found(models.get_contribution(get_db(), workshop, contribution_id))


def _apply(workshop: Workshop, change, *args, **overrides):
    """Run a model change and answer with the refreshed controls, or the refusal (which
    keeps the overrides, such as the chosen person, but says nothing was saved)."""
    try:
        change(get_db(), workshop, *args)
    except Refused as refusal:
        kept = {key: value for key, value in overrides.items() if key != "saved"}
        reason = messages.for_facilitator(refusal.reason)
        return after_change(workshop, **kept, agree_errors=[reason])
    return after_change(workshop, **overrides)


def _any(names) -> str:
    """Spell a URL converter that matches any of ``names``."""
    return "any(" + ", ".join(f'"{name}"' for name in names) + ")"


# Stage switches: one route for every one-click setting ----------------------------------

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


# Cards: moderation, merges, themes --------------------------------------------------------

CARD_SWITCHES = {
    "hide": lambda db, w, c: models.moderate(db, w, c, "hidden"),
    "show": lambda db, w, c: models.moderate(db, w, c, "visible"),
    "unmerge": models.unmerge_contribution,
    "delete": models.delete_as_facilitator,
}


@bp.post(f"/w/<public_id>/cards/<int:contribution_id>/<{_any(CARD_SWITCHES)}:switch>")
def card_switch(public_id: str, contribution_id: int, switch: str):
    """Hide, show (approve), unmerge or delete an answer."""
    workshop = facilitator_workshop(public_id)
    return _apply(workshop, CARD_SWITCHES[switch], _answer(workshop, contribution_id))


@bp.post("/w/<public_id>/cards/<int:contribution_id>/merge")
def merge(public_id: str, contribution_id: int):
    """Merge a duplicate answer into another card."""
    workshop = facilitator_workshop(public_id)
    source = _answer(workshop, contribution_id)
    form = MergeForm()
    target = models.get_contribution(get_db(), workshop, form.target.data or 0)
    if not form.validate_on_submit() or target is None:
        return after_change(workshop, agree_errors=[messages.for_facilitator("not-found")])
    return _apply(workshop, models.merge_contributions, source, target)


@bp.post("/w/<public_id>/cards/<int:contribution_id>/theme")
def card_theme(public_id: str, contribution_id: int):
    """Put an answer into a theme, or back into the ungrouped pile (theme 0)."""
    workshop = facilitator_workshop(public_id)
    answer = _answer(workshop, contribution_id)
    form = CardThemeForm(prefix="card")
    theme = models.get_theme(get_db(), workshop, form.theme.data or 0)
    if not form.validate_on_submit() or (form.theme.data and theme is None):
        return after_change(workshop, agree_errors=[messages.for_facilitator("not-found")])
    return _apply(workshop, models.set_theme, answer, theme)


@bp.route("/w/<public_id>/cards/<int:contribution_id>", methods=["GET", "POST"])
def card(public_id: str, contribution_id: int):
    """One answer's page: reword it (the first wording is kept), merge it, theme it."""
    workshop = facilitator_workshop(public_id)
    db = get_db()
    answer = _answer(workshop, contribution_id)
    form = FacilitatorAnswerForm(obj=answer)
    if form.validate_on_submit():
        models.edit_as_facilitator(db, workshop, answer, form.body.data, form.detail.data)
        return redirect(url_for("facilitator.control", public_id=public_id), 303)
    stage = found(models.get_stage(db, workshop, answer.stage_id))
    board = models.stage_board(db, workshop, stage, for_room=False)
    merge_form = MergeForm(formdata=None)
    merge_form.target.choices = [
        SelectChoice(c.id, c.body[:80]) for c in board.cards if c.id != answer.id
    ]
    theme_form = CardThemeForm(formdata=None, prefix="card", theme=answer.theme_id or 0)
    theme_form.theme.choices = [
        SelectChoice(0, gettext("No theme")),
        *(SelectChoice(t.id, t.name) for t in board.themes),
    ]
    return render(
        "facilitator/card.html",
        workshop=workshop,
        answer=answer,
        stage=stage,
        form=form,
        merge_form=merge_form,
        theme_form=theme_form,
        merged=[c for c in models.list_contributions(db, stage) if c.merged_into == answer.id],
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


# People: without a phone, removed, joining ------------------------------------------------


@bp.post("/w/<public_id>/people")
def add_person(public_id: str):
    """Add someone without a phone, to answer and vote on their behalf."""
    workshop = facilitator_workshop(public_id)
    form = PersonForm(prefix="person")
    if not form.validate_on_submit():
        return after_change(workshop, person_form=form, agree_errors=form_errors(form))
    models.add_person_without_phone(get_db(), workshop, form.name.data)
    return after_change(workshop, saved="person")


@bp.post("/w/<public_id>/people/<int:participant_id>/remove")
def remove_person(public_id: str, participant_id: int):
    """Remove a participant: their session ends and their answers leave the room."""
    workshop = facilitator_workshop(public_id)
    person = found(models.get_participant_by_id(get_db(), workshop, participant_id))
    models.remove_participant(get_db(), workshop, person)
    return after_change(workshop)


@bp.post("/w/<public_id>/joining/<any(lock, unlock):switch>")
def joining(public_id: str, switch: str):
    """Close the door once everyone is in, or open it again."""
    workshop = facilitator_workshop(public_id)
    models.set_joining_locked(get_db(), workshop, switch == "lock")
    return after_change(workshop)


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
        lambda db, w: models.add_contribution(
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
    answer = models.get_contribution(get_db(), workshop, form.answer.data or 0)
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


# The stage list: add, edit, reorder, remove; clone the workshop ----------------------------


def _stages_page(workshop: Workshop, status: int = 200, **overrides: object):
    db = get_db()
    stages = models.list_stages(db, workshop)
    present = {(stage.title, stage.prompt) for stage in stages}
    context = {
        "workshop": workshop,
        "stages": stages,
        "answer_counts": {stage.id: models.count_answers(db, stage) for stage in stages},
        "library": {
            key: stage
            for key, stage in optional_stages().items()
            if (stage[1], stage[2]) not in present
        },
        "new_stage_form": StageForm(formdata=None, prefix="new"),
        "clone_form": CloneForm(formdata=None, prefix="clone", title=workshop.title),
        "edit_forms": {},
        "confirm_remove": None,
        "errors": [],
        "fixed_kinds": models.FIXED_STAGE_KINDS,
    }
    context.update(overrides)
    return render("facilitator/stages.html", "stage_editor", status=status, **context)


def _stages_changed(workshop: Workshop, **overrides: object):
    if overrides.get("errors"):
        return _stages_page(workshop, 422, **overrides)
    if is_partial_request():
        return _stages_page(workshop, **overrides)
    return redirect(url_for("room.stages", public_id=workshop.public_id), 303)


@bp.get("/w/<public_id>/stages")
def stages(public_id: str):
    """Show the stage list for editing, with the optional questions of the method."""
    return _stages_page(facilitator_workshop(public_id))


@bp.post("/w/<public_id>/stages/add")
def add_stage(public_id: str):
    """Add a question: one from the method's library, or the facilitator's own."""
    workshop = facilitator_workshop(public_id)
    library = optional_stages()
    key = request.form.get("library", "")
    if key:
        kind, title, prompt = found(library.get(key))
    else:
        form = StageForm(prefix="new")
        if not form.validate_on_submit():
            return _stages_changed(workshop, new_stage_form=form, errors=form_errors(form))
        kind, title, prompt = "question", form.title.data, form.prompt.data
    try:
        models.add_stage(get_db(), workshop, kind, title, prompt)
    except Refused as refusal:
        return _stages_changed(workshop, errors=[messages.for_facilitator(refusal.reason)])
    return _stages_changed(workshop)


@bp.post("/w/<public_id>/stages/<int:stage_id>/edit")
def edit_stage(public_id: str, stage_id: int):
    """Reword a stage's question and help text."""
    workshop = facilitator_workshop(public_id)
    stage = _stage(workshop, stage_id)
    form = StageForm()
    if not form.validate_on_submit():
        return _stages_changed(workshop, edit_forms={stage.id: form}, errors=form_errors(form))
    models.update_stage(get_db(), workshop, stage, form.title.data, form.prompt.data)
    return _stages_changed(workshop)


@bp.post("/w/<public_id>/stages/<int:stage_id>/<any(up, down):direction>")
def move_stage(public_id: str, stage_id: int, direction: str):
    """Move a stage one place earlier or later."""
    workshop = facilitator_workshop(public_id)
    stage = _stage(workshop, stage_id)
    try:
        models.move_stage(get_db(), workshop, stage, -1 if direction == "up" else 1)
    except Refused as refusal:
        return _stages_changed(workshop, errors=[messages.for_facilitator(refusal.reason)])
    return _stages_changed(workshop)


@bp.post("/w/<public_id>/stages/<int:stage_id>/remove")
def remove_stage(public_id: str, stage_id: int):
    """Remove a stage; one holding answers asks for confirmation first."""
    workshop = facilitator_workshop(public_id)
    stage = _stage(workshop, stage_id)
    if models.count_answers(get_db(), stage) and request.form.get("confirm") != "yes":
        return _stages_changed(workshop, confirm_remove=stage.id)
    try:
        models.remove_stage(get_db(), workshop, stage)
    except Refused as refusal:
        return _stages_changed(workshop, errors=[messages.for_facilitator(refusal.reason)])
    return _stages_changed(workshop)


@bp.post("/w/<public_id>/clone")
def clone(public_id: str):
    """Start a new workshop from this one (next year's), and open its control page."""
    workshop = facilitator_workshop(public_id)
    form = CloneForm(prefix="clone")
    if not form.validate_on_submit():
        return _stages_changed(workshop, clone_form=form, errors=form_errors(form))
    db = get_db()
    copy, admin_token = models.clone_workshop(db, workshop, form.title.data)
    remember_facilitator(copy, models.start_facilitator_session(db, copy))
    session["new_admin_link"] = external_url("facilitator.claim", token=admin_token)
    destination = url_for("facilitator.control", public_id=copy.public_id)
    if is_partial_request():
        return Response("", 200, {"HX-Redirect": destination})
    return redirect(destination, 303)


# Closing and deleting the workshop ------------------------------------------------------


@bp.app_template_global()
def retention(workshop: Workshop) -> dict:
    """Say how long raw answers are kept and when this workshop's go (for the stages page)."""
    days = models.retention_days(current_app.config)
    due = models.purge_due_at(workshop, days)
    return {
        "days": days,
        "due": due.isoformat(timespec="seconds") if due else None,
        "past": due is not None and due <= datetime.now(UTC),
    }


@bp.post("/w/<public_id>/close")
def close_workshop(public_id: str):
    """Close the workshop: joining and answering stop, and the retention clock starts."""
    workshop = facilitator_workshop(public_id)
    return _stages_changed(models.close_workshop(get_db(), workshop) or workshop)


@bp.post("/w/<public_id>/delete")
def delete_workshop(public_id: str):
    """Delete the workshop and everything in it now, once the facilitator has confirmed."""
    workshop = facilitator_workshop(public_id)
    if request.form.get("confirm") != "yes":
        return _stages_page(workshop, confirm_delete=True)
    db = get_db()
    files = models.delete_workshop(db, workshop)
    models.remove_export_files(current_app.config["EXPORTS_DIR"], files)
    checkpoint(db)  # the deleted text leaves the WAL as well as the database file
    held = dict(session.get("facilitator", {}))
    held.pop(public_id, None)
    session["facilitator"] = held
    flash(gettext("The workshop and everything in it have been deleted."))
    destination = url_for("facilitator.index")
    if is_partial_request():
        return Response("", 200, {"HX-Redirect": destination})
    return redirect(destination, 303)
