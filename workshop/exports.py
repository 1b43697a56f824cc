"""Exports: the framed poster PDF and the workshop's record as JSON."""

import json
import re
from datetime import date, datetime
from pathlib import Path

from flask import Blueprint, Response, current_app
from sqlite_utils import Database

from . import models
from .access import facilitator_workshop
from .db import get_db
from .facilitator import agreement_problems
from .models import Workshop
from .web import refuse

bp = Blueprint("exports", __name__)


def poster_text(db: Database, workshop: Workshop):
    """Gather what the poster prints."""
    from .poster import PosterText

    agreed = workshop.mission_agreed_at or workshop.created_at
    return PosterText(
        team=workshop.title,
        mission=workshop.mission,
        principles=tuple((p.name, p.line) for p in models.list_principles(db, workshop)),
        language=workshop.language,
        date=datetime.fromisoformat(agreed).date() if agreed else date.today(),
    )


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:40] or "workshop"


def write_poster(db: Database, workshop: Workshop, exports_dir: str) -> tuple[bytes, Path]:
    """Render the poster, keep a copy in exports/, and return its bytes and path.

    Raises PosterError, in the caller's language, when the mission or principles
    are not ready to print.
    """
    from .poster import PosterError, render_poster

    problems = agreement_problems(workshop.mission, len(models.list_principles(db, workshop)))
    if problems:
        raise PosterError(" ".join(problems))
    pdf = render_poster(poster_text(db, workshop))
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    path = Path(exports_dir) / f"{workshop.public_id}-{_slug(workshop.title)}-poster-{stamp}.pdf"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(pdf)
    models.record_export(db, workshop, "poster", path.name, json.dumps({"size": "a3"}))
    return pdf, path


def workshop_json(db: Database, workshop: Workshop) -> str:
    """Return the workshop's whole record as JSON text."""
    return json.dumps(models.workshop_record(db, workshop), ensure_ascii=False, indent=2)


@bp.get("/w/<public_id>/poster.pdf")
def poster(public_id: str) -> Response:
    """Download the framed poster of the agreed mission."""
    from .poster import PosterError

    workshop = facilitator_workshop(public_id)
    try:
        pdf, path = write_poster(get_db(), workshop, current_app.config["EXPORTS_DIR"])
    except PosterError as error:
        refuse(422, str(error))
    return Response(
        pdf,
        mimetype="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="{path.name}"'},
    )
