"""The principles: the facilitator saves the team's list, or adopts a principle proposed
as an answer."""

from flask import Blueprint, request
from flask_babel import gettext

from .. import messages, models
from ..access import facilitator_workshop
from ..control import after_change, principles_form
from ..db import get_db
from ..forms import PrinciplesForm, form_errors
from ..models import Refused
from ..rules import MAX_PRINCIPLES, PRINCIPLE_LINE_MAX, PRINCIPLE_NAME_MAX
from ..web import found

bp = Blueprint("principles", __name__)


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
        workshop, principles_form=principles_form(principles, rows=rows), saved="principles"
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
