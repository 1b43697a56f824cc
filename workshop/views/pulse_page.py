"""The team's pulse: what clients said after their visits, week by week, as charts the
server draws. The facilitator's page (/w/<id>/pulse) can hide a comment, and show or hide
those the word filter held for review; the team lead's link (/t/<token>) shows the same
pulse read-only, without held or hidden comments. Both download the monthly pulse sheet.
"""

from datetime import date

from flask import Blueprint, Response, abort, flash, redirect, request, url_for
from flask_babel import gettext

from .. import models, pulse
from ..access import facilitator_workshop, lead_workshop
from ..db import get_db
from ..exports import pulse_sheet_pdf, write_pulse_sheet
from ..models import Refused, Workshop
from ..rules import PULSE_COMMENTS_PER_PAGE, PULSE_RANGES
from ..web import render

bp = Blueprint("pulse_page", __name__)


def _page_number() -> int:
    try:
        return max(1, int(request.args.get("page", "1")))
    except ValueError:
        return 1


def _month(text: str | None) -> date:
    """Read a month (YYYY-MM) from the query; 404 for anything else."""
    try:
        return date.fromisoformat(f"{text}-01")
    except (TypeError, ValueError):
        abort(404)


def _page(workshop: Workshop, lead: bool):
    """Render the pulse for the facilitator (``lead`` False) or the team lead."""
    db = get_db()
    range_name = request.args.get("range", PULSE_RANGES[0])
    page = _page_number()
    state = "shown" if lead else "reviewed"
    comments = models.list_comments(
        db,
        workshop,
        state,
        limit=PULSE_COMMENTS_PER_PAGE + 1,
        offset=(page - 1) * PULSE_COMMENTS_PER_PAGE,
    )
    held = [] if lead else models.list_comments(db, workshop, "held", PULSE_COMMENTS_PER_PAGE)
    return render(
        "pulse/page.html",
        workshop=workshop,
        lead=lead,
        pulse=pulse.pulse(db, workshop, range_name),
        helpers=pulse,
        ranges=PULSE_RANGES,
        comments=comments[:PULSE_COMMENTS_PER_PAGE],
        more=len(comments) > PULSE_COMMENTS_PER_PAGE,
        page=page,
        held=held,
        held_count=0 if lead else models.count_held(db, workshop),
        cases=models.case_summary(db, workshop),
        months=pulse.sheet_months(db, workshop),
    )


@bp.get("/w/<public_id>/pulse")
def show(public_id: str):
    """Show the facilitator the team's pulse, with the comments to review."""
    return _page(facilitator_workshop(public_id), lead=False)


@bp.get("/t/<token>")
def lead(token: str):
    """Show the team lead the team's pulse, read-only."""
    return _page(lead_workshop(token), lead=True)


def _comment_changed(workshop: Workshop, item: models.Feedback, undo: str = ""):
    """Answer a change to one comment: the comment alone for htmx, else back to the pulse."""
    if request.headers.get("HX-Request") == "true":
        return render("pulse/_comment.html", workshop=workshop, item=item, lead=False, undo=undo)
    return redirect(
        url_for("pulse_page.show", public_id=workshop.public_id) + f"#comment-{item.id}", 303
    )


@bp.post("/w/<public_id>/pulse/comments/<int:feedback_id>/hidden")
def hide(public_id: str, feedback_id: int):
    """Hide a comment from the lead and the monthly sheet, or show it again."""
    workshop = facilitator_workshop(public_id)
    try:
        item = models.hide_comment(
            get_db(), workshop, feedback_id, request.form.get("hidden") == "1"
        )
    except Refused:
        abort(404)
    return _comment_changed(workshop, item)


@bp.post("/w/<public_id>/pulse/comments/<int:feedback_id>/held")
def review(public_id: str, feedback_id: int):
    """Show a comment the word filter held, or hold it again (undo)."""
    workshop = facilitator_workshop(public_id)
    held = request.form.get("held") == "1"
    try:
        item = models.release_comment(get_db(), workshop, feedback_id, held)
    except Refused:
        abort(404)
    return _comment_changed(workshop, item, undo="" if held else "released")


@bp.post("/w/<public_id>/pulse/lead-link")
def new_lead_link(public_id: str):
    """Draw a new link for the team lead; the old one stops working at once."""
    models.new_lead_token(get_db(), facilitator_workshop(public_id))
    flash(
        gettext("The team lead's pulse link was replaced: the old one no longer opens."),
        "lead-link",
    )
    return redirect(url_for("facilitator.control", public_id=public_id) + "#lead-link", 303)


def _sheet(pdf: bytes, month: date) -> Response:
    name = f"pulse-{month:%Y-%m}.pdf"
    return Response(
        pdf,
        mimetype="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@bp.get("/w/<public_id>/pulse/sheet.pdf")
def sheet(public_id: str) -> Response:
    """Download one month's pulse sheet, kept in the workshop's exports."""
    workshop = facilitator_workshop(public_id)
    month = _month(request.args.get("month"))
    pdf, _path = write_pulse_sheet(get_db(), workshop, month)
    return _sheet(pdf, month)


@bp.get("/t/<token>/sheet.pdf")
def lead_sheet(token: str) -> Response:
    """Download one month's pulse sheet through the lead's link (nothing is kept)."""
    workshop = lead_workshop(token)
    month = _month(request.args.get("month"))
    return _sheet(pulse_sheet_pdf(get_db(), workshop, month), month)
