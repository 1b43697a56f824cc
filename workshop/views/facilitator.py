"""The facilitator's own pages: start a workshop, claim it with the private link, the
control page and its live parts, moving everyone through the stages, the private
link's replacement, and the people in the room (added without a phone, removed,
the door, the expected head count and the phones waiting to be let in)."""

import hmac

from flask import (
    Blueprint,
    current_app,
    flash,
    make_response,
    redirect,
    request,
    url_for,
)
from flask_babel import get_locale, gettext, ngettext

from .. import limits, messages, models
from ..access import (
    facilitator_session_id,
    facilitator_workshop,
    remember_facilitator,
    show_new_link_once,
    take_new_link,
)
from ..control import after_change, control_context, render_fragment
from ..db import get_db
from ..forms import CreateWorkshopForm, ExpectedForm, JoinForm, PersonForm, form_errors
from ..method import template_stages
from ..reach import external_url
from ..web import found, render
from ..zones import default_zone

bp = Blueprint("facilitator", __name__)


@bp.route("/", methods=["GET", "POST"])
def index():
    """Offer to start a workshop, or to join one with a code."""
    form = CreateWorkshopForm()
    if request.method == "GET":
        form.language.data = _browser_language()
    if form.is_submitted() and (wait := limits.create_wait()):
        return _too_many_workshops(form, wait)
    if form.validate_on_submit() and _password_given(form):
        limits.record_creation()
        workshop, admin_token = models.create_workshop(
            get_db(),
            form.title.data,
            form.language.data,
            template_stages(form.template.data, form.language.data),
            time_zone=form.time_zone.data or default_zone(form.language.data),
        )
        remember_facilitator(workshop, models.start_facilitator_session(get_db(), workshop))
        show_new_link_once(workshop, external_url("facilitator.claim", token=admin_token))
        return redirect(url_for("facilitator.control", public_id=workshop.public_id), 303)
    status = 422 if form.errors else 200
    return _start_page(form, status)


def _start_page(form: CreateWorkshopForm, status: int, **context: object):
    ask = bool(current_app.config.get("CREATE_PASSWORD"))
    return render(
        "facilitator/index.html",
        form=form,
        join_form=JoinForm(),
        ask_password=ask,
        status=status,
        **context,
    )


def _password_given(form: CreateWorkshopForm) -> bool:
    """Check the creation password when the server asks for one; a wrong one counts."""
    expected = current_app.config.get("CREATE_PASSWORD") or ""
    given = form.password.data or ""
    if not expected or hmac.compare_digest(given.encode(), str(expected).encode()):
        return True
    limits.record_creation(succeeded=False)
    form.password.errors = [gettext("This is not the password to start a workshop.")]
    return False


def _too_many_workshops(form: CreateWorkshopForm, wait: int):
    """Answer 429 with Retry-After on the start page, with everything typed still there."""
    message = gettext(
        "Too many workshops were started from this network or on this server in the last "
        "hour. Please try again later, or continue a workshop you have already started."
    )
    response = make_response(_start_page(form, 429, create_error=message))
    response.headers["Retry-After"] = str(wait)
    return response


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
        show_new_link_once(workshop, external_url("facilitator.claim", token=token))
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


@bp.get("/w/<public_id>/control")
def control(public_id: str):
    """Show the facilitator's control page."""
    workshop = facilitator_workshop(public_id)
    admin_link = take_new_link(workshop)
    return render("facilitator/control.html", admin_link=admin_link, **control_context(workshop))


@bp.get("/w/<public_id>/control/board")
def board(public_id: str):
    """Render the current stage's answers, for a live refresh."""
    workshop = facilitator_workshop(public_id)
    return render_fragment(workshop, "board")


@bp.get("/w/<public_id>/control/<any(round, drafts):panel>")
def agreement_panel(public_id: str, panel: str):
    """Render the open round's tally, or the drafts with their suggestions, for a live refresh."""
    workshop = facilitator_workshop(public_id)
    return render_fragment(workshop, panel)


@bp.get("/w/<public_id>/control/people")
def people(public_id: str):
    """Render how many people have joined, for a live refresh."""
    workshop = facilitator_workshop(public_id)
    return render_fragment(workshop, "people")


@bp.get("/w/<public_id>/control/waiting")
def waiting(public_id: str):
    """Render joined against expected and the phones waiting to join, for a live refresh."""
    workshop = facilitator_workshop(public_id)
    return render_fragment(workshop, "join_requests")


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


# People: without a phone, removed, joining ---------------------------------------------------


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


@bp.post("/w/<public_id>/expected")
def expected(public_id: str):
    """Set how many people are expected: joins past it wait for approval (empty: unset)."""
    workshop = facilitator_workshop(public_id)
    form = ExpectedForm(prefix="expected")
    if not form.validate_on_submit():
        return after_change(workshop, expected_form=form, agree_errors=form_errors(form))
    expected = form.expected.data
    if form.now.data:  # Credo's suggestion: everyone who is in at this moment
        expected = models.count_participants(get_db(), workshop)
    try:
        models.set_expected_people(get_db(), workshop, expected)
    except models.Refused as refusal:
        form.expected.errors = [messages.for_facilitator(refusal.reason)]
        return after_change(workshop, expected_form=form, agree_errors=form.expected.errors)
    return after_change(workshop)


@bp.post("/w/<public_id>/joins/<int:request_id>/<any(approve, refuse):decision>")
def decide_join(public_id: str, request_id: int, decision: str):
    """Let a waiting phone in, or turn it away."""
    workshop = facilitator_workshop(public_id)
    held = found(models.get_join_request_by_id(get_db(), workshop, request_id))
    try:
        models.decide_join(get_db(), workshop, held, decision == "approve")
    except models.Refused as refusal:
        return after_change(workshop, agree_errors=[messages.for_facilitator(refusal.reason)])
    return after_change(workshop)


@bp.post("/w/<public_id>/joins/refuse-all")
def refuse_all_joins(public_id: str):
    """Turn away every phone still waiting to join."""
    workshop = facilitator_workshop(public_id)
    models.refuse_all_waiting(get_db(), workshop)
    return after_change(workshop)
