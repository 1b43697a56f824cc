"""The facilitator's path to agreement: the statement builder, drafts and amendments,
word-by-word comparison, consensus rounds, and the trust-recovery routine."""

from flask import Blueprint, request
from flask_babel import gettext

from .. import messages, models
from ..access import facilitator_workshop
from ..compare import word_diff
from ..control import after_change, attempt, routine_form
from ..db import get_db
from ..forms import BuilderForm, OverrideForm, RoundForm, StatementForm, form_errors
from ..method import compose_statement
from ..models import Workshop
from ..web import found, render

bp = Blueprint("agreement", __name__)


@bp.post("/w/<public_id>/builder")
def builder(public_id: str):
    """Propose the built (or freely written) statement as a new draft."""
    workshop = facilitator_workshop(public_id)
    form = BuilderForm(prefix="builder")
    if not form.validate_on_submit():
        return after_change(workshop, builder_form=form, agree_errors=form_errors(form))
    text = form.text.data or compose_statement(
        workshop.language, form.why.data, form.whom.data, form.how.data
    )
    if problem := messages.mission_too_long(text):
        form.text.errors = [*form.text.errors, problem] if form.text.data else []
        return after_change(workshop, builder_form=form, agree_errors=[problem])
    return attempt(
        workshop,
        lambda db: models.propose_draft(db, workshop, text),
        saved="draft",
    )


def _draft(workshop: Workshop, draft_id: int) -> models.Draft:
    return found(models.get_draft(get_db(), workshop, draft_id))


@bp.post("/w/<public_id>/drafts/<int:draft_id>/revise")
def revise(public_id: str, draft_id: int):
    """Save the facilitator's new wording as the draft's next version."""
    workshop = facilitator_workshop(public_id)
    draft = _draft(workshop, draft_id)
    form = StatementForm(prefix=f"revise-{draft.id}")
    if not form.validate_on_submit():
        return after_change(workshop, agree_errors=form_errors(form))
    if problem := messages.mission_too_long(form.text.data):
        return after_change(workshop, agree_errors=[problem])
    return attempt(workshop, lambda db: models.revise_draft(db, workshop, draft, form.text.data))


@bp.post("/w/<public_id>/drafts/<int:draft_id>/<any(show, hide):switch>")
def show_draft(public_id: str, draft_id: int, switch: str):
    """Put a draft on the screen beside the others, or take it off."""
    workshop = facilitator_workshop(public_id)
    draft = _draft(workshop, draft_id)
    return attempt(
        workshop, lambda db: models.set_draft_shown(db, workshop, draft, switch == "show")
    )


@bp.post("/w/<public_id>/drafts/<int:draft_id>/withdraw")
def withdraw_draft(public_id: str, draft_id: int):
    """Withdraw a draft with its versions and suggested changes."""
    workshop = facilitator_workshop(public_id)
    draft = _draft(workshop, draft_id)
    return attempt(workshop, lambda db: models.withdraw_draft(db, workshop, draft))


@bp.post("/w/<public_id>/proposals/<any(open, close):switch>")
def proposals(public_id: str, switch: str):
    """Let phones propose drafts of their own, or stop them."""
    workshop = facilitator_workshop(public_id)
    return attempt(workshop, lambda db: models.set_proposals_open(db, workshop, switch == "open"))


@bp.post("/w/<public_id>/amendments/<int:amendment_id>/<any(accept, decline):decision>")
def decide(public_id: str, amendment_id: int, decision: str):
    """Accept a suggested wording into a new version, or decline it."""
    workshop = facilitator_workshop(public_id)
    amendment = found(models.get_amendment(get_db(), workshop, amendment_id))
    return attempt(
        workshop,
        lambda db: models.decide_amendment(db, workshop, amendment, decision == "accept"),
    )


@bp.get("/w/<public_id>/compare")
def compare(public_id: str):
    """Compare any two versions word by word."""
    workshop = facilitator_workshop(public_id)
    db = get_db()
    lines = [line for kind in models.DRAFT_KINDS for line in models.list_drafts(db, workshop, kind)]
    versions = {v.id: (line, v) for line in lines for v in line.versions}
    old = versions.get(request.args.get("a", type=int) or 0)
    new = versions.get(request.args.get("b", type=int) or 0)
    if new is None and lines:
        new = (lines[0], lines[0].latest)
    if old is None and new is not None:
        earlier = [v for v in new[0].versions if v.number < new[1].number]
        old = (new[0], earlier[-1]) if earlier else new
    pieces = word_diff(old[1].text, new[1].text) if old and new else []
    return render(
        "facilitator/compare.html",
        workshop=workshop,
        lines=lines,
        old=old[1] if old else None,
        new=new[1] if new else None,
        pieces=pieces,
    )


# Consensus rounds ----------------------------------------------------------------------------


@bp.post("/w/<public_id>/rounds")
def open_round(public_id: str):
    """Open a consensus round on a version (of the mission or routine) or on the principles."""
    workshop = facilitator_workshop(public_id)
    form = RoundForm(prefix="round")
    if not form.validate_on_submit():
        return after_change(workshop, round_form=form, agree_errors=form_errors(form))
    target = form.target.data or ""
    version = None
    if target != "principles":
        version = found(
            models.get_version(get_db(), workshop, int(target.removeprefix("v") or 0))
            if target.removeprefix("v").isdigit()
            else None
        )
    subject = "principles" if version is None else _draft(workshop, version.draft_id).kind
    unfinished = [p.name for p in models.list_principles(get_db(), workshop) if not p.line]
    if subject == "principles" and unfinished:
        message = gettext(
            "“%(name)s” has no line yet: write how it shows in daily work, or clear it.",
            name=unfinished[0],
        )
        return after_change(workshop, round_form=form, agree_errors=[message])
    return attempt(
        workshop,
        lambda db: models.open_round(
            db, workshop, subject, version, form.threshold.data, form.min_answers.data
        ),
    )


def _round(workshop: Workshop, round_id: int) -> models.Round:
    return found(models.get_round(get_db(), workshop, round_id))


def _settle(db, workshop: Workshop, round_: models.Round, note: str = "") -> None:
    """Close a round; an agreed mission takes everyone to the final stage."""
    closed = models.close_round(db, workshop, round_, note)
    if closed.subject == "mission" and closed.outcome in ("agreed", "overridden"):
        final = [stage for stage in models.list_stages(db, workshop) if stage.kind == "agreed"]
        if final:
            models.move_to_stage(db, workshop, final[-1])


@bp.post("/w/<public_id>/rounds/<int:round_id>/close")
def close_round(public_id: str, round_id: int):
    """Close the round: agreed when no one blocks and enough can live with it."""
    workshop = facilitator_workshop(public_id)
    round_ = _round(workshop, round_id)
    return attempt(workshop, lambda db: _settle(db, workshop, round_))


@bp.post("/w/<public_id>/rounds/<int:round_id>/override")
def override_round(public_id: str, round_id: int):
    """Agree the round's text whatever the result, with a note for the record."""
    workshop = facilitator_workshop(public_id)
    round_ = _round(workshop, round_id)
    form = OverrideForm(prefix="override")
    if not form.validate_on_submit():
        return after_change(workshop, override_form=form, agree_errors=form_errors(form))
    return attempt(workshop, lambda db: _settle(db, workshop, round_, form.note.data))


@bp.post("/w/<public_id>/rounds/<int:round_id>/withdraw")
def withdraw_round(public_id: str, round_id: int):
    """Withdraw an open round without a result."""
    workshop = facilitator_workshop(public_id)
    round_ = _round(workshop, round_id)
    return attempt(workshop, lambda db: models.cancel_round(db, workshop, round_))


@bp.post("/w/<public_id>/reopen/<any(mission, principles, routine):subject>")
def reopen(public_id: str, subject: str):
    """Unlock what was agreed, for more drafting."""
    workshop = facilitator_workshop(public_id)
    return attempt(workshop, lambda db: models.reopen_agreement(db, workshop, subject))


# The trust-recovery routine ------------------------------------------------------------------


@bp.post("/w/<public_id>/routine")
def save_routine(public_id: str):
    """Save the team's wording of the five steps as the routine's next version."""
    workshop = facilitator_workshop(public_id)
    form = routine_form(workshop, request.form)
    if not form.validate_on_submit():
        return after_change(workshop, routine_form=form, agree_errors=form_errors(form))
    lines = models.list_drafts(get_db(), workshop, "routine")

    def save(db):
        if lines:
            return models.revise_draft(db, workshop, lines[0].draft, form.text())
        return models.propose_draft(db, workshop, form.text(), kind="routine")

    return attempt(workshop, save, saved="routine")
