"""Clients' feedback after a visit: the team's short link and QR code open a form that takes
20 seconds and no account (/c/<token>); with ?kiosk=1 the same form on a tablet at the
desk, which thanks each client and starts afresh.

Nothing lost, nobody in: a resent form is stored once (its nonce); a honeypot field, a
minimum time between drawing the form and sending it, and hourly limits per device and
per address (limits.py) keep floods out without any third-party service.
"""

import secrets
import time

from flask import Blueprint, Response, current_app, make_response, redirect, request, url_for
from itsdangerous import BadSignature, TimestampSigner

from .. import limits, messages, models
from ..db import get_db
from ..forms import FEEDBACK_RATING_LABELS, FeedbackForm
from ..models import Refused, Workshop
from ..reach import external_url
from ..rules import FEEDBACK_FORM_MAX_HOURS, KIOSK_RESET_SECONDS
from ..web import found, qr_svg, render

bp = Blueprint("feedback", __name__)


def _workshop(token: str) -> Workshop:
    """Load the workshop whose feedback link this is (its language stays the client's own)."""
    return found(models.get_workshop_by_feedback_token(get_db(), token))


def _is_kiosk() -> bool:
    return request.args.get("kiosk") == "1"


def _signer() -> TimestampSigner:
    return TimestampSigner(current_app.config["SECRET_KEY"], salt="feedback-started")


def _seconds_open(started: str) -> float | None:
    """Seconds since the form was drawn, from its signed stamp; None: no valid stamp."""
    try:
        _, stamp = _signer().unsign(
            started, max_age=FEEDBACK_FORM_MAX_HOURS * 3600, return_timestamp=True
        )
    except BadSignature:
        return None
    return time.time() - stamp.timestamp()


def _fresh(form: FeedbackForm) -> None:
    """Give the form a new nonce (when it has none) and a new signed start time."""
    form.nonce.data = form.nonce.data or secrets.token_urlsafe(12)
    form.started.data = _signer().sign(form.nonce.data).decode()


def _page(workshop: Workshop, form: FeedbackForm, status: int = 200, error: str = ""):
    db = get_db()
    agreed = models.list_principles(db, workshop) if workshop.principles_agreed_at else []
    if form.principles.choices is None:
        form.principles.choices = [(p.name, p.name) for p in agreed]
    _fresh(form)
    return render(
        "feedback/form.html",
        status=status,
        workshop=workshop,
        form=form,
        principles=agreed,
        kiosk=_is_kiosk(),
        error=error,
        rating_labels=FEEDBACK_RATING_LABELS,
    )


@bp.get("/c/<token>")
def show(token: str):
    """Show a client the feedback form, in their phone's language."""
    workshop = _workshop(token)
    return _page(workshop, FeedbackForm(formdata=None))


@bp.post("/c/<token>")
def send(token: str):
    """Store a client's feedback once, then thank them; refusals keep what they typed."""
    workshop = _workshop(token)
    db = get_db()
    agreed = models.list_principles(db, workshop) if workshop.principles_agreed_at else []
    form = FeedbackForm()
    form.principles.choices = [(p.name, p.name) for p in agreed]
    if not form.validate_on_submit():
        return _page(workshop, form, 422)
    if form.website.data:  # the honeypot: hidden from people, filled in by robots
        return _page(workshop, form, 422, messages.for_phone("feedback-refused"))
    opened = _seconds_open(form.started.data or "")
    if opened is None:
        form.nonce.data = ""
        return _page(workshop, form, 422, messages.for_phone("feedback-refused"))
    if opened < float(current_app.config["FEEDBACK_MIN_FILL_SECONDS"]):
        return _page(workshop, form, 422, messages.for_phone("feedback-too-quick"))
    if wait := limits.feedback_wait(workshop.id, kiosk=_is_kiosk()):
        reply = make_response(_page(workshop, form, 429, messages.for_phone("feedback-too-many")))
        reply.headers["Retry-After"] = str(wait)
        return reply
    contact = form.contact.data if form.call_back.data else ""
    try:
        models.add_feedback(
            db,
            workshop,
            int(form.rating.data),
            form.principles.data or [],
            form.comment.data or "",
            contact,
            form.nonce.data or None,
            kiosk=_is_kiosk(),
        )
    except Refused as refusal:
        return _page(workshop, form, 422, messages.for_phone(refusal.reason))
    thanks = url_for("feedback.thanks", token=token, **({"kiosk": "1"} if _is_kiosk() else {}))
    return redirect(thanks, 303)


@bp.get("/c/<token>/thanks")
def thanks(token: str):
    """Thank the client; a kiosk draws a fresh form after a few seconds."""
    workshop = _workshop(token)
    return render(
        "feedback/thanks.html",
        workshop=workshop,
        kiosk=_is_kiosk(),
        reset_seconds=KIOSK_RESET_SECONDS,
    )


@bp.get("/c/<token>/qr.svg")
def qr(token: str) -> Response:
    """Draw the QR code that opens this team's feedback page, as SVG."""
    workshop = _workshop(token)
    url = external_url("feedback.show", token=workshop.feedback_token)
    response = Response(qr_svg(url), mimetype="image/svg+xml")
    response.headers["Cache-Control"] = "private, max-age=3600"
    return response
