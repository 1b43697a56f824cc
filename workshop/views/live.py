"""The live stream: Server-Sent Events of what changes in a workshop, for its screen,
phones and facilitator. Events say only *what changed*; each page then fetches its own
fresh fragment. The per-process hub that feeds the streams is in hub.py."""

import math

from flask import Blueprint, Response, current_app, request
from flask_babel import gettext

from .. import models, offload
from ..access import current_participant, facilitator_session_id, is_facilitator, load_workshop
from ..db import get_db
from ..hub import DirectStream, event_stream, get_gate, get_hub
from ..models import Workshop
from ..rules import (
    EVENT_ID_MAX_DIGITS,
    LIVE_PACE_SECONDS,
    LIVE_STREAMS_PER_HOLDER,
    LIVE_STREAMS_ROOM_MARGIN,
    live_streams_max,
)
from ..web import found, too_many_requests

bp = Blueprint("live", __name__)


@bp.get("/w/<public_id>/live")
def stream(public_id: str) -> Response:
    """Stream what changes in a workshop to its screen, phones and facilitator."""
    workshop = load_workshop(public_id)
    holder = _holder(workshop)
    found(workshop if holder else None)
    limits = _limits(workshop, holder)
    gate = get_gate()
    if gate.admit(limits) is not None:
        wait = math.ceil(current_app.config["LIVE_HEARTBEAT_SECONDS"])
        return too_many_requests(
            wait,
            gettext(
                "Too many live connections are open. Close a "
                "tab or two; this page tries again by itself."
            ),
        )
    try:
        after = _resume_point(request.headers.get("Last-Event-ID") or request.args.get("after"))
        if after is None:
            after = models.latest_event_id(get_db(), workshop)
        generator = event_stream(
            current_app.config["DATABASE"],
            get_hub(),
            workshop.id,
            after,
            current_app.config["LIVE_HEARTBEAT_SECONDS"],
            LIVE_PACE_SECONDS[holder[0]],
            _direct(LIVE_PACE_SECONDS[holder[0]]),
        )
        response = Response(
            generator,
            mimetype="text/event-stream",
            headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
        )
    except BaseException:
        gate.release(limits)
        raise
    response.call_on_close(lambda: gate.release(limits))  # also when never iterated
    return response


def _direct(pace: float) -> DirectStream | None:
    """A stream the hub may write into itself: an unpaced one, under gunicorn's gevent
    worker, which lends the connection's socket (any other server: None)."""
    sock = request.environ.get("gunicorn.socket")
    if pace or sock is None or not offload.cooperative():
        return None
    return DirectStream(sock, chunked=request.environ.get("SERVER_PROTOCOL") != "HTTP/1.0")


def _holder(workshop: Workshop) -> tuple | None:
    """Who opens the stream: the screen link, a facilitator session or a phone; None: no one."""
    screen_token = request.args.get("k", "")
    if screen_token and screen_token == workshop.screen_token:
        return ("screen", workshop.id)
    if is_facilitator(workshop):
        return ("facilitator", facilitator_session_id(workshop))
    participant = current_participant(workshop)
    return ("participant", participant.id) if participant is not None else None


def _limits(workshop: Workshop, holder: tuple) -> dict[tuple, int]:
    """The counts a new stream joins, each with its limit (all per worker process)."""
    config = current_app.config
    room = models.count_participants(get_db(), workshop) + LIVE_STREAMS_ROOM_MARGIN
    return {
        ("holder", *holder): LIVE_STREAMS_PER_HOLDER,
        ("workshop", workshop.id): room,
        ("address", request.remote_addr or "unknown"): int(config["LIVE_STREAMS_PER_ADDRESS"]),
        ("process",): live_streams_max(int(config["THREADS"])),
    }


def _resume_point(value: str | None) -> int | None:
    """Return the event id a reconnecting stream resumes after; None if it is not one.

    Only ASCII digits count, at most EVENT_ID_MAX_DIGITS of them: anything else (a
    5,000-digit number, '²', a sign or a space) is ignored and the stream starts from now.
    """
    if not value or len(value) > EVENT_ID_MAX_DIGITS or not (value.isascii() and value.isdigit()):
        return None
    return int(value)
