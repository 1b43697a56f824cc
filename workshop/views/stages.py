"""The stages page: add, edit, reorder and remove stages, set the workshop's time zone,
clone the workshop for next year, and close or delete it (with how long its raw answers
are kept)."""

from datetime import UTC, datetime, timedelta

from flask import (
    Blueprint,
    Response,
    current_app,
    flash,
    g,
    redirect,
    request,
    session,
    url_for,
)
from flask_babel import force_locale, gettext, refresh

from .. import messages, models
from ..access import facilitator_workshop, remember_facilitator, show_new_link_once
from ..db import checkpoint, get_db
from ..exports import remove_export_files
from ..forms import CloneForm, StageForm, TimeZoneForm, form_errors
from ..method import give_question, optional_stages
from ..models import Refused, Stage, Workshop
from ..reach import external_url
from ..rules import (
    REVISIT_FEEDBACK_DAYS,
    REVISIT_LEAST_FELT,
    REVISIT_MAX_COMMENTS,
    retention_days,
)
from ..web import found, is_partial_request, render
from ..zones import zone_name

bp = Blueprint("stages", __name__)


def _stage(workshop: Workshop, stage_id: int) -> Stage:
    return found(models.get_stage(get_db(), workshop, stage_id))


# The stage list: add, edit, reorder, remove; clone the workshop ------------------------------


def _year_ago() -> str:
    moment = datetime.now(UTC) - timedelta(days=REVISIT_FEEDBACK_DAYS)
    return moment.isoformat(timespec="seconds")


def _revisit_material(workshop: Workshop) -> models.RevisitMaterial:
    """The last 12 months' feedback as next year's material, in the workshop's language:
    the comments for "What do we give others?", the least-felt principles as a prompt."""
    db, since = get_db(), _year_ago()
    least = models.least_felt_principles(db, workshop, since, REVISIT_LEAST_FELT)
    comments = models.comments_since(db, workshop, since, REVISIT_MAX_COMMENTS)
    with force_locale(workshop.language):
        names = ", ".join(f"{name} ({felt}×)" for name, felt in least)
        note = ""
        if least:
            note = gettext(
                "Felt least often by clients in the last 12 months: %(names)s. "
                "What would make them felt at every visit?",
                names=names,
            )
        marker = gettext("From a client's feedback")
        return models.RevisitMaterial(give_question(), tuple(comments), marker, note)


def _stages_page(workshop: Workshop, status: int = 200, **overrides: object):
    db = get_db()
    stages = models.list_stages(db, workshop)
    year_feedback = models.count_feedback_since(db, workshop, _year_ago())
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
        "clone_form": CloneForm(
            formdata=None, prefix="clone", title=workshop.title, from_feedback=year_feedback > 0
        ),
        "year_feedback": year_feedback,
        "zone_form": TimeZoneForm(formdata=None, prefix="zone", current=zone_name(workshop)),
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
    return redirect(url_for("stages.stages", public_id=workshop.public_id), 303)


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


@bp.post("/w/<public_id>/time-zone")
def set_time_zone(public_id: str):
    """Show the workshop's dates and times in another zone, everywhere, from now on."""
    workshop = facilitator_workshop(public_id)
    form = TimeZoneForm(prefix="zone", current=zone_name(workshop))
    if form.validate_on_submit():
        try:
            workshop = models.set_time_zone(get_db(), workshop, form.time_zone.data)
        except Refused as refusal:
            form.time_zone.errors = [messages.for_facilitator(refusal.reason)]
        else:
            g.workshop = workshop
            refresh()  # this answer's own dates are shown in the new zone already
            flash(
                gettext("Dates and times are now shown in %(zone)s.", zone=workshop.time_zone),
                "zone",
            )
            return _stages_changed(workshop)
    return _stages_page(workshop, 422, zone_form=form)  # the error shows beside the select


@bp.post("/w/<public_id>/clone")
def clone(public_id: str):
    """Start a new workshop from this one (next year's), and open its control page."""
    workshop = facilitator_workshop(public_id)
    form = CloneForm(prefix="clone")
    if not form.validate_on_submit():
        return _stages_changed(workshop, clone_form=form, errors=form_errors(form))
    db = get_db()
    copy, admin_token = models.clone_workshop(db, workshop, form.title.data)
    if form.from_feedback.data:
        models.add_revisit_material(db, copy, _revisit_material(workshop))
    remember_facilitator(copy, models.start_facilitator_session(db, copy))
    show_new_link_once(copy, external_url("facilitator.claim", token=admin_token))
    destination = url_for("facilitator.control", public_id=copy.public_id)
    if is_partial_request():
        return Response("", 200, {"HX-Redirect": destination})
    return redirect(destination, 303)


# Closing and deleting the workshop -----------------------------------------------------------


@bp.app_template_global()
def retention(workshop: Workshop) -> dict:
    """Say how long raw answers are kept and when this workshop's go (for the stages page)."""
    days = retention_days(current_app.config)
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
    remove_export_files(current_app.config["EXPORTS_DIR"], files)
    checkpoint(db)  # the deleted text leaves the WAL as well as the database file
    held = dict(session.get("facilitator", {}))
    held.pop(public_id, None)
    session["facilitator"] = held
    flash(gettext("The workshop and everything in it have been deleted."))
    destination = url_for("facilitator.index")
    if is_partial_request():
        return Response("", 200, {"HX-Redirect": destination})
    return redirect(destination, 303)
