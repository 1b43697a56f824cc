"""The live stream: Server-Sent Events of what changes in a workshop, for its screen,
phones and facilitator. Events say only *what changed*; each page then fetches its own
fresh fragment. The per-process hub that feeds the streams is in hub.py."""

from flask import Blueprint, Response, current_app, request

from .. import models
from ..access import current_participant, is_facilitator, load_workshop
from ..db import get_db
from ..hub import event_stream, get_hub
from ..web import found

bp = Blueprint("live", __name__)


@bp.get("/w/<public_id>/live")
def stream(public_id: str) -> Response:
    """Stream what changes in a workshop to its screen, phones and facilitator."""
    workshop = load_workshop(public_id)
    screen_token = request.args.get("k", "")
    allowed = (
        (screen_token and screen_token == workshop.screen_token)
        or is_facilitator(workshop)
        or current_participant(workshop) is not None
    )
    found(workshop if allowed else None)
    after = _resume_point(request.headers.get("Last-Event-ID") or request.args.get("after"))
    if after is None:
        after = models.latest_event_id(get_db(), workshop)
    generator = event_stream(
        current_app.config["DATABASE"],
        get_hub(),
        workshop.id,
        after,
        current_app.config["LIVE_HEARTBEAT_SECONDS"],
    )
    return Response(
        generator,
        mimetype="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )


def _resume_point(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() else None
