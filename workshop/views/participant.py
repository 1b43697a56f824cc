"""The phone's pages: join with a code or QR, pick a name, answer, vote."""

import hashlib
import json
import secrets
from collections.abc import Callable

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    make_response,
    redirect,
    request,
    session,
    url_for,
)
from flask_babel import gettext

from .. import limits, messages, models
from ..access import (
    current_participant,
    load_workshop,
    remember_participant,
)
from ..board import DRAFT_KIND_OF_STAGE, closed_round_to_show, stage_board
from ..db import get_db
from ..forms import (
    LEVEL_LABELS,
    ActionForm,
    AnswerForm,
    JoinForm,
    NameForm,
    RoundAnswerForm,
    StatementForm,
)
from ..i18n import LANGUAGES
from ..models import Answer, Refused, Workshop
from ..rules import (
    MAX_ANSWERS_PER_PERSON,
    REASON_MAX,
    ROUTINE_STEP_MAX,
    ROUTINE_STEPS,
    STATEMENT_MAX,
)
from ..web import (
    current_stage,
    found,
    is_partial_request,
    render,
    revalidate,
    too_many_requests,
)

bp = Blueprint("participant", __name__)


def _joining_closed(form: JoinForm, status: int = 403):
    """Tell a new phone that the facilitator has closed the door."""
    message = messages.for_phone("joining-locked")
    return render("participant/join.html", form=form, closed=message, status=status)


@bp.route("/join", methods=["GET", "POST"])
def join():
    """Join a workshop by typing the code from the screen."""
    form = JoinForm()
    limits.device_id()
    if form.is_submitted() and (wait := limits.join_wait()):
        return _too_many_joins(wait, form.code.data or "")
    if form.validate_on_submit():
        workshop = models.get_open_workshop_by_join_code(get_db(), form.code.data)
        if workshop is not None:
            return _enter(workshop, form)
        form.code.errors.append(
            gettext("No open workshop has this code. Check it against the screen.")
        )
    if form.errors:
        limits.record_join_failure()
    status = 422 if form.errors else 200
    return render("participant/join.html", form=form, status=status)


@bp.get("/j/<token>")
def join_by_token(token: str):
    """Join a workshop from its QR code; unknown tokens count as failed joins."""
    workshop = models.get_open_workshop_by_join_token(get_db(), token)
    if workshop is None:  # a real token always opens, even in slow mode: it can't be guessed
        if wait := limits.join_wait():
            return _too_many_joins(wait, "")
        limits.record_join_failure()
        abort(404)
    return _enter(workshop, JoinForm(formdata=None))


def _too_many_joins(wait: int, typed: str):
    """Answer 429 with Retry-After, keeping the typed code in a form to send again."""
    message = gettext("Too many attempts. Please wait a minute and try again.")
    slow = limits.in_slow_mode()
    form = JoinForm(formdata=None, code=typed[:20])
    return too_many_requests(wait, message, join_form=form, slow_mode=slow)


def _enter(workshop: Workshop, form: JoinForm):
    """Let this phone in (once), or hold it for the facilitator; then ask for a name."""
    waiting = url_for("participant.waiting", public_id=workshop.public_id)
    if current_participant(workshop) is None:
        held = _held_join(workshop)
        if held is not None and held.status == "waiting":  # asked already: no second request
            return redirect(waiting, 303)
        try:
            participant, _held, key = models.join_workshop(get_db(), workshop, limits.device_id())
        except Refused as refusal:
            if refusal.reason == "waiting-full":
                message = messages.for_phone(refusal.reason)
                return render("participant/join.html", form=form, closed=message, status=429)
            return _joining_closed(form)
        remember_participant(workshop, key)
        if participant is None:
            return redirect(waiting, 303)
    return redirect(url_for("participant.name", public_id=workshop.public_id), 303)


def _held_join(workshop: Workshop) -> models.JoinRequest | None:
    """Return the join this phone's key is held in, if it is held rather than let in."""
    key = session.get("participant", {}).get(workshop.public_id)
    return models.get_join_request(get_db(), workshop, key) if isinstance(key, str) else None


@bp.get("/w/<public_id>/waiting")
def waiting(public_id: str):
    """Tell a held phone it waits for the facilitator; go on to the name once let in.

    The page asks again every few seconds (204 while nothing changed); without scripts,
    a link asks again.
    """
    workshop = load_workshop(public_id)
    if current_participant(workshop) is not None:
        target = url_for("participant.name", public_id=public_id)
        if is_partial_request():
            return Response(status=204, headers={"HX-Redirect": target})
        return redirect(target, 303)
    held = _held_join(workshop)
    if held is None:
        return redirect(url_for("participant.join"), 303)
    if held.status == "waiting" and is_partial_request():
        return Response(status=204)
    join_url = url_for("participant.join_by_token", token=workshop.join_token)
    return render(
        "participant/waiting.html",
        "waiting_status" if is_partial_request() else None,
        workshop=workshop,
        held=held,
        join_url=join_url,
    )


def _participant(public_id: str) -> tuple[Workshop, models.Participant]:
    """Load the workshop and this phone's participant; send strangers to the join page."""
    workshop = load_workshop(public_id)
    participant = current_participant(workshop)
    if participant is None:
        waiting = _held_join(workshop)
        if waiting is not None and waiting.status == "waiting":
            target = url_for("participant.waiting", public_id=public_id)
            if is_partial_request():
                abort(Response(status=204, headers={"HX-Redirect": target}))
            abort(redirect(target, 303))
        held = dict(session.get("participant", {}))
        if held.pop(public_id, None) is not None:  # a key that no longer opens: removed
            session["participant"] = held
            flash(
                gettext(
                    "Your session in this workshop has ended. "
                    "To take part again, join with the code on the screen."
                )
            )
        target = url_for("participant.join")
        if is_partial_request():
            abort(Response(status=204, headers={"HX-Redirect": target}))
        abort(redirect(target, 303))
    return workshop, participant


@bp.route("/w/<public_id>/name", methods=["GET", "POST"])
def name(public_id: str):
    """Ask for an optional display name; anonymous is the default."""
    workshop, participant = _participant(public_id)
    form = NameForm(display_name=participant.display_name)
    if form.validate_on_submit():
        models.rename_participant(get_db(), workshop, participant, form.display_name.data)
        return redirect(url_for("participant.phone", public_id=public_id), 303)
    status = 422 if form.errors else 200
    return render("participant/name.html", workshop=workshop, form=form, status=status)


def _phone_context(workshop: Workshop, participant: models.Participant, **overrides: object):
    """Everything the phone's page shows; ``overrides`` carry forms with errors and notices."""
    context = {
        **_stage_context(workshop, participant, principles=True),
        "last_event": models.latest_event_id(get_db(), workshop),
    }
    context.update(overrides)
    context["mission_seen"] = _mission_seen(context)
    return context


def _stage_context(
    workshop: Workshop, participant: models.Participant, principles: bool = False
) -> dict:
    """What the stage area shows: the question and your answers, the board, the round and
    the drafts; the principles where the mission area shows them (or when asked)."""
    db = get_db()
    stage = current_stage(workshop)
    principles = principles or (stage is not None and stage.kind in DRAFTING_KINDS)
    context = {
        "workshop": workshop,
        "participant": participant,
        "stage": stage,
        "form": AnswerForm(formdata=None, nonce=secrets.token_urlsafe(12)),
        "max_mine": MAX_ANSWERS_PER_PERSON,
        "notice": None,
        "error": None,
        **_board_context(workshop, participant, stage),
        "principles": models.list_principles(db, workshop) if principles else [],
        **_round_context(workshop, participant, stage),
        **_drafts_context(workshop, stage),
    }
    context["mission_seen"] = _mission_seen(context)
    return context


DRAFTING_KINDS = ("mission", "routine", "agreed")  # the stages that show the mission area


def _board_context(workshop: Workshop, participant: models.Participant, stage) -> dict:
    """Your answers, and the board (to vote on, the result or the themes) with your dots."""
    db = get_db()
    mine: list[Answer] = []
    board = None
    dots_left = 0
    if stage is not None and stage.takes_answers:
        themes = models.list_themes(db, stage)
        if stage.voting != "off" or themes:
            answers = models.list_answers(db, stage)
            mine = [a for a in reversed(answers) if a.participant_id == participant.id]
            board = stage_board(
                db, workshop, stage, True, participant, themes=themes, answers=answers
            )
            dots_left = max(0, stage.vote_budget - models.dots_spent(db, stage, participant))
        else:
            mine = models.list_participant_answers(db, stage, participant)
    return {
        "mine": mine,
        "board": board,
        "dots_left": dots_left,
        "board_notice": None,
        "board_error": None,
    }


def _board_fragment(workshop: Workshop, participant: models.Participant) -> dict:
    stage = current_stage(workshop)
    context = _board_context(workshop, participant, stage)
    return {"workshop": workshop, "participant": participant, "stage": stage, **context}


def _round_fragment(workshop: Workshop, participant: models.Participant) -> dict:
    stage = current_stage(workshop)
    context = _round_context(workshop, participant, stage)
    return {"workshop": workshop, "participant": participant, "stage": stage, **context}


def _mission_fragment(workshop: Workshop, participant: models.Participant) -> dict:
    stage = current_stage(workshop)
    context = {
        "workshop": workshop,
        "participant": participant,
        "stage": stage,
        "principles": models.list_principles(get_db(), workshop),
        **_drafts_context(workshop, stage),
    }
    context["mission_seen"] = _mission_seen(context)
    return context


FRAGMENTS = {
    "phone_stage": _stage_context,
    "phone_board": _board_fragment,
    "phone_round": _round_fragment,
    "phone_mission": _mission_fragment,
}


def _fragment_context(workshop: Workshop, participant: models.Participant, block: str) -> dict:
    """One live block's own context, or the whole page's when a page was asked for."""
    if not is_partial_request():
        return _phone_context(workshop, participant)
    return FRAGMENTS[block](workshop, participant)


def _round_context(workshop: Workshop, participant: models.Participant, stage) -> dict:
    """What the round panel needs: the open round and this phone's answer, or the last result."""
    db = get_db()
    round_ = models.current_round(db, workshop)
    answer = models.my_round_answer(db, round_, participant) if round_ else None
    form = None
    if round_ is not None:
        mine = {"level": answer.level, "reason": answer.reason} if answer else {}
        form = RoundAnswerForm(formdata=None, **mine)
    return {
        "round": round_,
        "my_answer": answer,
        "round_form": form,
        "closed_round": None if round_ else closed_round_to_show(db, workshop, stage),
        "level_labels": LEVEL_LABELS,
        "reason_max": REASON_MAX,
        "round_notice": None,
        "round_error": None,
    }


def _drafts_context(workshop: Workshop, stage) -> dict:
    """The shown drafts of this stage's kind, a change form for each, and a proposal form."""
    kind = DRAFT_KIND_OF_STAGE.get(stage.kind) if stage else None
    lines = models.list_drafts(get_db(), workshop, kind, shown_only=True) if kind else []
    return {
        "draft_kind": kind,
        "drafts": lines,
        "amend_forms": {
            line.draft.id: StatementForm(
                formdata=None, prefix=f"amend-{line.draft.id}", text=line.latest.text
            )
            for line in lines
        },
        "propose_form": StatementForm(formdata=None, prefix=f"propose-{kind or 'mission'}"),
        "statement_max": STATEMENT_MAX,
        "drafts_notice": None,
        "drafts_error": None,
        "status_draft": None,  # the draft whose box shows the notice or error (None: the top)
        "kept_text": None,  # a refused text whose form is gone, shown to copy
    }


def _mission_seen(context: dict) -> str:
    """Fingerprint what the mission area shows, so a refresh that changes nothing can skip.

    Every amendment anyone sends is a ``mission-changed`` event; re-rendering the area for
    each would wipe the change someone else is typing.
    """
    workshop = context["workshop"]
    stage = context["stage"]
    shown = [
        stage.kind if stage else None,
        workshop.mission,
        workshop.mission_agreed_at,
        workshop.principles_agreed_at,
        workshop.routine,
        workshop.routine_agreed_at,
        workshop.participants_may_propose,
        [[p.name, p.line] for p in context["principles"]],
        [[line.draft.id, line.latest.id] for line in context["drafts"]],
    ]
    return hashlib.blake2s(json.dumps(shown).encode(), digest_size=8).hexdigest()


def _render_fragment(workshop: Workshop, participant: models.Participant, block: str):
    """Render one live block of the phone from its own context."""
    revalidate(workshop, f"participant:{participant.id}")
    context = _fragment_context(workshop, participant, block)
    return render("participant/phone.html", block, **context)


@bp.get("/w/<public_id>/p")
def phone(public_id: str):
    """Show the current question on a participant's phone."""
    workshop, participant = _participant(public_id)
    return _render_fragment(workshop, participant, "phone_stage")


@bp.get("/w/<public_id>/p/board")
def board(public_id: str):
    """Render the answers to vote on, the result or the themes, for a live refresh."""
    workshop, participant = _participant(public_id)
    return _render_fragment(workshop, participant, "phone_board")


@bp.get("/w/<public_id>/p/presence")
def presence(public_id: str):
    """Answer 204 while this phone still belongs to the workshop (else send it to join)."""
    _participant(public_id)
    return Response(status=204)


@bp.get("/w/<public_id>/p/mission")
def mission(public_id: str):
    """Render the drafts or the agreed mission, for a live refresh (204 if nothing changed)."""
    workshop, participant = _participant(public_id)
    revalidate(workshop, f"participant:{participant.id}")
    context = _fragment_context(workshop, participant, "phone_mission")
    if is_partial_request() and request.args.get("seen") == context["mission_seen"]:
        return Response(status=204)
    return render("participant/phone.html", "phone_mission", **context)


@bp.get("/w/<public_id>/p/round")
def round_panel(public_id: str):
    """Render the consensus round panel, for a live refresh."""
    workshop, participant = _participant(public_id)
    return _render_fragment(workshop, participant, "phone_round")


@bp.post("/w/<public_id>/rounds/<int:round_id>/answer")
def answer_round(public_id: str, round_id: int):
    """Answer the open round on the five-step scale, or change your answer."""
    workshop, participant = _participant(public_id)
    db = get_db()
    round_ = found(models.get_round(db, workshop, round_id))
    form = RoundAnswerForm()
    if not form.validate_on_submit():
        return _round_reply(workshop, participant, 422, round_form=form)
    if wait := limits.write_wait(workshop.id, participant.id):
        reply = _round_reply(
            workshop, participant, 429, round_form=form, round_error=_too_fast_message()
        )
        return _retry_after(reply, wait)
    try:
        models.answer_round(db, workshop, round_, participant, form.level.data, form.reason.data)
    except Refused as refusal:
        error = messages.for_phone(refusal.reason)
        return _round_reply(workshop, participant, 409, round_form=form, round_error=error)
    if not is_partial_request():
        target = url_for("participant.phone", public_id=public_id, _anchor="phone-round")
        return redirect(target, 303)
    return _round_reply(
        workshop, participant, 200, round_notice=gettext("Thank you: your answer is saved.")
    )


def _round_reply(workshop: Workshop, participant: models.Participant, status: int, **overrides):
    context = _phone_context(workshop, participant, **overrides)
    return render("participant/phone.html", "phone_round", status=status, **context)


@bp.post("/w/<public_id>/versions/<int:version_id>/amend")
def amend(public_id: str, version_id: int):
    """Suggest a changed wording of a draft's newest version to the facilitator."""
    workshop, participant = _participant(public_id)
    db = get_db()
    version = models.get_version(db, workshop, version_id)
    draft = models.get_draft(db, workshop, version.draft_id) if version else None
    if version is None or draft is None:
        return _draft_gone(workshop, participant)
    form = StatementForm(prefix=f"amend-{draft.id}")
    if not _valid_statement(form, draft.kind):
        return _drafts_reply(workshop, participant, 422, draft.id, form)
    if wait := limits.write_wait(workshop.id, participant.id, statement=True):
        error = _too_fast_message()
        reply = _drafts_reply(workshop, participant, 429, draft.id, form, drafts_error=error)
        return _retry_after(reply, wait)
    try:
        models.suggest_amendment(db, workshop, version, participant, form.text.data)
    except Refused as refusal:
        error = messages.for_phone(refusal.reason)
        return _drafts_reply(workshop, participant, 409, draft.id, form, drafts_error=error)
    notice = gettext("Sent to the facilitator. Thank you!")
    return _drafts_reply(workshop, participant, 200, draft.id, notice=notice)


def _draft_gone(workshop: Workshop, participant: models.Participant):
    """Answer a change to a draft the facilitator withdrew (or never was): 409, with the
    typed text shown to copy."""
    typed = next((value for key, value in request.form.items() if key.endswith("-text")), "")
    context = _phone_context(workshop, participant)
    context.update(
        drafts_error=messages.for_phone("draft-withdrawn"),
        kept_text=typed[:STATEMENT_MAX] or None,
        status_draft=None,
    )
    return render("participant/phone.html", "phone_mission", status=409, **context)


@bp.post("/w/<public_id>/drafts/<any(mission, routine):kind>")
def propose(public_id: str, kind: str):
    """Propose a whole draft of your own, when the facilitator lets phones propose."""
    workshop, participant = _participant(public_id)
    form = StatementForm(prefix=f"propose-{kind}")
    if not _valid_statement(form, kind):
        return _drafts_reply(workshop, participant, 422, None, form)
    if wait := limits.write_wait(workshop.id, participant.id, statement=True):
        error = _too_fast_message()
        reply = _drafts_reply(workshop, participant, 429, None, form, drafts_error=error)
        return _retry_after(reply, wait)
    try:
        models.propose_draft(get_db(), workshop, form.text.data, participant, kind)
    except Refused as refusal:
        error = messages.for_phone(refusal.reason)
        return _drafts_reply(workshop, participant, 409, None, form, drafts_error=error)
    notice = gettext("Sent to the facilitator. Thank you!")
    return _drafts_reply(workshop, participant, 200, None, notice=notice)


def _valid_statement(form: StatementForm, kind: str) -> bool:
    """Validate a wording; a routine needs its five steps, one per line, a mission fits
    the poster's words."""
    if not form.validate_on_submit():
        return False
    if kind == "routine":
        steps = [line for line in form.text.data.split("\n") if line]
        if len(steps) != ROUTINE_STEPS or any(len(s) > ROUTINE_STEP_MAX for s in steps):
            message = gettext(
                "Write the five steps, one per line, each at most %(max)d characters.",
                max=ROUTINE_STEP_MAX,
            )
            form.text.errors = [*form.text.errors, message]
            return False
        form.text.data = "\n".join(steps)
    elif problem := messages.mission_too_long(form.text.data):
        form.text.errors = [*form.text.errors, problem]
        return False
    return True


def _drafts_reply(
    workshop: Workshop,
    participant: models.Participant,
    status: int,
    draft_id: int | None,
    form: StatementForm | None = None,
    notice: str | None = None,
    drafts_error: str | None = None,
):
    """Answer a change or a proposal: the mission area with its message, or a redirect."""
    if status == 200 and not is_partial_request():
        flash(notice, "phone-drafts")
        target = url_for("participant.phone", public_id=workshop.public_id, _anchor="phone-mission")
        return redirect(target, 303)
    context = _phone_context(workshop, participant)
    forms = context["amend_forms"]
    if draft_id is None and context["draft_kind"] and workshop.participants_may_propose:
        target: int | str | None = "propose"
        context["propose_form"] = form or context["propose_form"]
    elif draft_id in forms:
        target = draft_id
        forms[draft_id] = form or forms[draft_id]
    else:  # the draft has left the screen, proposals have closed, or the stage moved on
        target, context["kept_text"] = None, form.text.data if form else None
    context.update(drafts_notice=notice, drafts_error=drafts_error, status_draft=target)
    return render("participant/phone.html", "phone_mission", status=status, **context)


@bp.post("/w/<public_id>/answers")
def answer(public_id: str):
    """Post an answer to the current question."""
    workshop, participant = _participant(public_id)
    form = AnswerForm()
    if wait := limits.answer_wait(workshop.id, participant.id):
        return _answering_too_fast(workshop, participant, form, wait)
    db = get_db()
    stage = models.current_stage(db, workshop)
    if not form.validate_on_submit() or stage is None:
        return _phone_reply(workshop, participant, 422, form=form)
    if form.stage.data and form.stage.data != str(stage.id):
        error = messages.for_phone("stage-moved")
        return _phone_reply(workshop, participant, 409, form=form, error=error)
    try:
        models.add_answer(
            db, workshop, stage, participant, form.body.data, form.detail.data, form.nonce.data
        )
    except Refused as refusal:
        error = messages.for_phone(refusal.reason)
        return _phone_reply(workshop, participant, 409, form=form, error=error)
    return _phone_reply(workshop, participant, 200, notice=gettext("Sent. Thank you!"))


def _answering_too_fast(
    workshop: Workshop, participant: models.Participant, form: AnswerForm, wait: int
):
    """Answer 429 with Retry-After: the message in the status box, the text still in the form."""
    message = gettext(
        "You are sending answers very fast. Wait a minute, then send again: "
        "your text is still here."
    )
    reply = _phone_reply(workshop, participant, 429, form=form, error=message)
    return _retry_after(reply, wait)


def _too_fast_message() -> str:
    return gettext(
        "You are sending very fast, or the whole room is. Wait a minute, then send again: "
        "what you chose or typed is still here."
    )


def _retry_after(reply, wait: int) -> Response:
    """Mark a phone's 429 reply with the seconds to wait."""
    response = make_response(reply)
    response.headers["Retry-After"] = str(wait)
    return response


def _phone_reply(workshop: Workshop, participant: models.Participant, status: int, **overrides):
    """Answer a phone's post: the refreshed stage for htmx, the page (or a redirect) otherwise."""
    if status == 200 and not is_partial_request():
        return redirect(url_for("participant.phone", public_id=workshop.public_id), 303)
    context = {**_fragment_context(workshop, participant, "phone_stage"), **overrides}
    return render("participant/phone.html", "phone_stage", status=status, **context)


@bp.post("/w/<public_id>/votes/<int:answer_id>")
def vote(public_id: str, answer_id: int):
    """Put one of your dots on an answer."""
    return _change_vote(public_id, answer_id, models.cast_vote)


@bp.post("/w/<public_id>/votes/<int:answer_id>/withdraw")
def withdraw_vote(public_id: str, answer_id: int):
    """Take one of your dots back from an answer."""
    return _change_vote(public_id, answer_id, models.withdraw_vote)


def _change_vote(public_id: str, answer_id: int, change: Callable[..., None]):
    """Place or take back a dot; answer with the refreshed board (or a redirect without JS)."""
    workshop, participant = _participant(public_id)
    if wait := limits.write_wait(workshop.id, participant.id):
        context = _phone_context(workshop, participant, board_error=_too_fast_message())
        return _retry_after(
            render("participant/phone.html", "phone_board", status=429, **context), wait
        )
    db = get_db()
    answer = models.get_answer(db, workshop, answer_id)
    try:
        if answer is None:
            raise Refused("not-found")
        if answer.stage_id != workshop.current_stage_id:
            raise Refused("voting-closed")
        change(db, workshop, participant, answer)
    except Refused as refusal:
        message = messages.for_phone(refusal.reason)
        context = _phone_context(workshop, participant, board_error=message)
        return render("participant/phone.html", "phone_board", status=409, **context)
    if not is_partial_request():
        anchor = f"card-{answer_id}"
        return redirect(url_for("participant.phone", public_id=public_id, _anchor=anchor), 303)
    context = _phone_context(workshop, participant, board_notice=gettext("Saved."))
    return render("participant/phone.html", "phone_board", **context)


def _own_answer(workshop: Workshop, participant, answer_id: int) -> Answer:
    answer = models.get_answer(get_db(), workshop, answer_id)
    mine = answer is not None and answer.participant_id == participant.id
    return found(answer if mine else None)


@bp.route("/w/<public_id>/answers/<int:answer_id>", methods=["GET", "POST"])
def edit_answer(public_id: str, answer_id: int):
    """Change the wording of one of your own answers."""
    workshop, participant = _participant(public_id)
    answer = _own_answer(workshop, participant, answer_id)
    form = AnswerForm(obj=answer)
    error, wait = None, 0
    if form.validate_on_submit() and not (wait := limits.write_wait(workshop.id, participant.id)):
        try:
            models.update_answer(get_db(), workshop, answer, form.body.data, form.detail.data)
            return redirect(url_for("participant.phone", public_id=public_id), 303)
        except Refused as refusal:
            error = messages.for_phone(refusal.reason)
    if wait:
        error = _too_fast_message()
    status = 429 if wait else 422 if form.errors else (409 if error else 200)
    stage = models.get_stage(get_db(), workshop, answer.stage_id)
    page = render(
        "participant/edit.html",
        workshop=workshop,
        answer=answer,
        stage=stage,
        form=form,
        error=error,
        status=status,
    )
    return _retry_after(page, wait) if wait else page


@bp.post("/w/<public_id>/answers/<int:answer_id>/delete")
def delete_answer(public_id: str, answer_id: int):
    """Delete one of your own answers."""
    workshop, participant = _participant(public_id)
    answer = _own_answer(workshop, participant, answer_id)
    if wait := limits.write_wait(workshop.id, participant.id):
        reply = _phone_reply(workshop, participant, 429, error=_too_fast_message())
        return _retry_after(reply, wait)
    try:
        models.delete_answer(get_db(), workshop, answer)
    except Refused as refusal:
        return _phone_reply(workshop, participant, 409, error=messages.for_phone(refusal.reason))
    return _phone_reply(workshop, participant, 200, notice=gettext("Deleted."))


@bp.post("/language")
def choose_language():
    """Switch this phone's own interface language; the screen and poster keep the workshop's."""
    form = ActionForm()
    language = request.form.get("language", "")
    if form.validate_on_submit() and language in LANGUAGES:
        session["phone_language"] = language
    destination = request.form.get("next", "")
    if not destination.startswith("/") or destination.startswith("//"):
        destination = url_for("participant.join")
    return redirect(destination, 303)
