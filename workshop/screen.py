"""The projector screen: read-only, big enough to read from the back of the room."""

import io

import segno
from flask import Blueprint, Response

from . import models
from .access import screen_workshop
from .db import get_db
from .models import Workshop
from .web import external_url, render

bp = Blueprint("screen", __name__)


def _screen_context(workshop: Workshop) -> dict:
    db = get_db()
    stage = models.current_stage(db, workshop)
    stages = models.list_stages(db, workshop)
    return {
        "workshop": workshop,
        "stage": stage,
        "stage_number": next(
            (i + 1 for i, s in enumerate(stages) if stage and s.id == stage.id), 0
        ),
        "stage_total": len(stages),
        "contributions": models.list_contributions(db, stage)
        if stage is not None and stage.takes_answers
        else [],
        "principles": models.list_principles(db, workshop),
        "people": models.count_participants(db, workshop),
        "join_url": external_url("participant.join"),
        "last_event": models.latest_event_id(db, workshop),
    }


@bp.get("/s/<token>")
def show(token: str):
    """Show the current stage on the projector."""
    workshop = screen_workshop(token)
    return render("screen/show.html", **_screen_context(workshop))


@bp.get("/s/<token>/main")
def main(token: str):
    """Render the stage area, for a live refresh."""
    workshop = screen_workshop(token)
    return render("screen/show.html", "screen_main", **_screen_context(workshop))


@bp.get("/s/<token>/people")
def people(token: str):
    """Render the number of people who joined, for a live refresh."""
    workshop = screen_workshop(token)
    return render("screen/show.html", "screen_people", **_screen_context(workshop))


@bp.get("/s/<token>/qr.svg")
def qr(token: str) -> Response:
    """Draw the QR code that joins this workshop, as SVG."""
    workshop = screen_workshop(token)
    url = external_url("participant.join_by_token", token=workshop.join_token)
    buffer = io.BytesIO()
    segno.make(url, error="m").save(buffer, kind="svg", scale=10, border=4, xmldecl=False)
    return Response(
        buffer.getvalue(),
        mimetype="image/svg+xml",
        headers={"Cache-Control": "private, max-age=3600"},
    )
