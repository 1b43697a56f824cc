"""Cases, for the team behind the facilitator's access: the list (open ones oldest first,
closed ones with their outcome) and one case, which walks the team's own agreed routine
step by step and closes once the last step's question is answered, deleting the client's
contact. Every form works without scripts (a redirect after POST) and swaps its part with
htmx; the name typed as "who did it" is remembered in this browser's session.
"""

from flask import Blueprint, redirect, session, url_for
from flask_babel import force_locale

from .. import messages, models
from ..access import facilitator_workshop
from ..db import checkpoint, get_db
from ..forms import CASE_OUTCOME_LABELS, FEEDBACK_RATING_LABELS, CaseStepForm
from ..method import routine_steps
from ..models import Case, Refused, Workshop
from ..rules import ROUTINE_STEPS
from ..web import found, is_partial_request, render

bp = Blueprint("cases", __name__)


def _case(workshop: Workshop, case_id: int) -> Case:
    return found(models.get_case(get_db(), workshop, case_id))


def routine_wording(workshop: Workshop) -> list[str]:
    """The team's agreed routine, step by step; until one is agreed, the method's five."""
    with force_locale(workshop.language):
        steps = routine_steps()
    if workshop.routine_agreed_at:
        agreed = [line.strip() for line in workshop.routine.splitlines() if line.strip()]
        steps = (agreed + steps[len(agreed) :])[:ROUTINE_STEPS]
    return steps


def contact_href(contact: str) -> str:
    """A link that calls or writes to the client: mailto: for an e-mail, else tel:."""
    if "@" in contact:
        return f"mailto:{contact}"
    return "tel:" + "".join(c for c in contact if c.isdigit() or c == "+")


def _step_form(position: int, formdata: object = None) -> CaseStepForm:
    kwargs = {} if formdata else {"formdata": None, "done_by": session.get("case_name", "")}
    form = CaseStepForm(prefix=f"step{position}", **kwargs)
    form.last = position == ROUTINE_STEPS
    return form


def _case_page(workshop: Workshop, case: Case, status: int = 200, **overrides: object):
    steps = models.list_case_steps(get_db(), case)
    forms = {step.position: _step_form(step.position) for step in steps}
    forms.update(overrides.pop("forms", {}))
    return render(
        "cases/case.html",
        "case_body",
        status=status,
        workshop=workshop,
        case=case,
        steps=steps,
        wording=routine_wording(workshop),
        forms=forms,
        error=overrides.pop("error", ""),
        rating_labels=FEEDBACK_RATING_LABELS,
        outcome_labels=CASE_OUTCOME_LABELS,
        contact_href=contact_href,
    )


def _changed(workshop: Workshop, case: Case, anchor: str):
    """Answer a change: the case's part for htmx, else a redirect to the case page at
    ``anchor`` (after a step: the next one)."""
    if is_partial_request():
        return _case_page(workshop, models.get_case(get_db(), workshop, case.id))
    target = url_for("cases.case", public_id=workshop.public_id, case_id=case.id)
    return redirect(f"{target}#{anchor}", 303)


@bp.get("/w/<public_id>/cases")
def cases(public_id: str):
    """List the team's cases: open ones oldest first, then the closed ones."""
    workshop = facilitator_workshop(public_id)
    return render(
        "cases/list.html",
        workshop=workshop,
        cases=models.list_cases(get_db(), workshop),
        rating_labels=FEEDBACK_RATING_LABELS,
        outcome_labels=CASE_OUTCOME_LABELS,
    )


@bp.get("/w/<public_id>/cases/<int:case_id>")
def case(public_id: str, case_id: int):
    """Show one case: what the client said, how to reach them, the routine's steps."""
    workshop = facilitator_workshop(public_id)
    return _case_page(workshop, _case(workshop, case_id))


@bp.post("/w/<public_id>/cases/<int:case_id>/steps/<int:position>")
def do_step(public_id: str, case_id: int, position: int):
    """Mark a step done with its note and who did it (the last: with the outcome)."""
    workshop = facilitator_workshop(public_id)
    case = _case(workshop, case_id)
    form = _step_form(position, formdata=True)
    if not form.validate_on_submit():
        return _case_page(workshop, case, 422, forms={position: form})
    session["case_name"] = form.done_by.data
    try:
        models.do_step(
            get_db(), workshop, case, position, form.note.data, form.done_by.data, form.outcome.data
        )
    except Refused as refusal:
        error = messages.for_facilitator(refusal.reason)
        return _case_page(workshop, case, 422, forms={position: form}, error=error)
    following = f"step-{position + 1}" if position < ROUTINE_STEPS else "case-close"
    return _changed(workshop, case, following)


@bp.post("/w/<public_id>/cases/<int:case_id>/steps/<int:position>/undo")
def undo_step(public_id: str, case_id: int, position: int):
    """Mark a step not done again; its note stays."""
    workshop = facilitator_workshop(public_id)
    case = _case(workshop, case_id)
    try:
        models.undo_step(get_db(), workshop, case, position)
    except Refused as refusal:
        return _case_page(workshop, case, 422, error=messages.for_facilitator(refusal.reason))
    return _changed(workshop, case, f"step-{position}")


@bp.post("/w/<public_id>/cases/<int:case_id>/close")
def close(public_id: str, case_id: int):
    """Close the case and delete the client's contact details."""
    workshop = facilitator_workshop(public_id)
    case = _case(workshop, case_id)
    db = get_db()
    try:
        models.close_case(db, workshop, case)
    except Refused as refusal:
        return _case_page(workshop, case, 422, error=messages.for_facilitator(refusal.reason))
    checkpoint(db)  # the contact leaves the WAL as well as the database file
    return _changed(workshop, case, "case-close")
