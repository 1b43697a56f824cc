"""The principles: the facilitator saves the team's list, orders it, or adopts a principle
proposed as an answer."""

import re

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

MOVE = re.compile(r"(\d+)-(up|down)")  # a row's ↑ or ↓: "2-up" moves the third row up


def move_row(
    form: PrinciplesForm, move: str
) -> tuple[list[tuple[str, str]], tuple[int, str] | None]:
    """Return the named rows' (name, line) pairs with the row ``move`` names one place up or
    down among them (blank rows are no place), and where it went: (its place, "up"/"down")."""
    rows = [(e.form.name.data, e.form.line.data) for e in form.principles]
    pairs = [pair for pair in rows if pair[0]]
    match = MOVE.fullmatch(move)
    if match is None or int(match[1]) >= len(rows) or not rows[int(match[1])][0]:
        return pairs, None
    place = sum(1 for name, _line in rows[: int(match[1])] if name)
    to = place - 1 if match[2] == "up" else place + 1
    if 0 <= to < len(pairs):
        pairs[place], pairs[to] = pairs[to], pairs[place]
        place = to
    return pairs, (place, match[2])


@bp.post("/w/<public_id>/principles")
def save_principles(public_id: str):
    """Save the list of principles (blank rows left out); "add a row" saves and always
    offers one row more than the editor showed; a row's ↑ or ↓ saves it moved."""
    workshop = facilitator_workshop(public_id)
    form = PrinciplesForm()
    add_row = "add_row" in request.form
    if not form.validate_on_submit():
        if add_row and len(form.principles) < MAX_PRINCIPLES:
            form.principles.append_entry()
        return after_change(workshop, principles_form=form, agree_errors=form_errors(form))
    pairs, moved = move_row(form, request.form.get("move", ""))
    try:
        models.replace_principles(get_db(), workshop, pairs)
    except Refused:
        return after_change(workshop, agree_errors=[messages.for_facilitator("agreed")])
    principles = models.list_principles(get_db(), workshop)
    # After "add a row" one row more; after a move as many rows as there were.
    rows = len(form.principles) + 1 if add_row else len(form.principles) if moved else 0
    return after_change(
        workshop,
        principles_form=principles_form(principles, rows=rows),
        saved="principles",
        moved=moved,
    )


@bp.post("/w/<public_id>/principles/adopt/<int:answer_id>")
def adopt_principle(public_id: str, answer_id: int):
    """Add a participant's proposed principle to the list (once: a second click adds no copy)."""
    workshop = facilitator_workshop(public_id)
    db = get_db()
    answer = found(models.get_answer(db, workshop, answer_id))
    pairs = [(p.name, p.line) for p in models.list_principles(db, workshop)]
    if answer.body[:PRINCIPLE_NAME_MAX] in [name for name, _line in pairs]:
        return after_change(workshop, saved="principles")
    if len(pairs) >= MAX_PRINCIPLES:
        message = gettext("There can be at most %(max)d principles.", max=MAX_PRINCIPLES)
        return after_change(workshop, agree_errors=[message])
    pairs.append((answer.body[:PRINCIPLE_NAME_MAX], answer.detail[:PRINCIPLE_LINE_MAX]))
    try:
        models.replace_principles(db, workshop, pairs)
    except Refused:
        return after_change(workshop, agree_errors=[messages.for_facilitator("agreed")])
    return after_change(workshop, saved="principles")
