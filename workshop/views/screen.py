"""The projector screen: read-only, big enough to read from the back of the room."""

import hashlib

from flask import (
    Blueprint,
    Response,
    abort,
    request,
)

from .. import models
from ..access import (
    is_facilitator,
    screen_workshop,
)
from ..board import AGREED_AT, DRAFT_KIND_OF_STAGE, closed_round_to_show, stage_board
from ..db import get_db
from ..exports import (
    screen_poster_key,
    screen_poster_png,
)
from ..forms import (
    LEVEL_LABELS,
)
from ..method import routine_steps
from ..models import Workshop
from ..poster import PosterError
from ..reach import external_url
from ..web import (
    current_stage,
    is_partial_request,
    keyed_image,
    qr_svg,
    render,
    revalidate,
)
from ..words import card_words

bp = Blueprint("screen", __name__)


WORD_STRIP_SIZE = 8


WORD_CLOUD_SIZE = 30


SCREEN_DRAFTS = 3  # drafts side by side


def _screen_context(workshop: Workshop) -> dict:
    """Everything the whole screen page shows: each live block's context, and the rest."""
    return {
        **_main_context(workshop),
        **_votes_context(workshop),
        **_join_context(workshop),
        **_pages_context(workshop),
        "last_event": models.latest_event_id(get_db(), workshop),
        "can_drive": is_facilitator(workshop),
    }


def _main_context(workshop: Workshop) -> dict:
    """What the stage area shows: the answers, a round, the drafts, the mission or poster."""
    db = get_db()
    stages = models.list_stages(db, workshop)
    stage = next((s for s in stages if s.id == workshop.current_stage_id), None)
    view = stage.screen_view if stage is not None else "cards"
    board = None
    if stage is not None and stage.takes_answers:
        board = stage_board(db, workshop, stage, for_room=True)
    round_ = models.current_round(db, workshop) or closed_round_to_show(db, workshop, stage)
    kind = DRAFT_KIND_OF_STAGE.get(stage.kind) if stage else None
    drafts, routine_start = [], []
    if kind and round_ is None and not getattr(workshop, AGREED_AT[kind]):
        lines = models.list_drafts(db, workshop, kind)
        drafts = [line for line in lines if line.draft.shown][:SCREEN_DRAFTS]
        if kind == "routine" and not lines:
            routine_start = routine_steps()  # no version yet: the method's wording to start from
    poster_key = None
    agreeing = stage is not None and stage.kind in ("mission", "agreed")
    if workshop.poster_on_screen and agreeing and (round_ is None or not round_.is_open):
        poster_key = screen_poster_key(db, workshop)
    return {
        "workshop": workshop,
        "stage": stage,
        "view": view,
        "stage_number": next(
            (i + 1 for i, s in enumerate(stages) if stage and s.id == stage.id), 0
        ),
        "stage_total": len(stages),
        "board": board,
        # The vote count shows with the answers, not over a round or the poster.
        "voters": _voters(stage) if round_ is None and poster_key is None else (0, 0),
        "words": card_words(
            board.cards if board else (), WORD_CLOUD_SIZE if view == "words" else WORD_STRIP_SIZE
        ),
        "principles": models.list_principles(db, workshop) if agreeing else [],
        "round": round_,
        "tally": models.round_tally(db, round_) if round_ else None,
        "level_labels": LEVEL_LABELS,
        "drafts": drafts,
        "routine_start": routine_start,
        "poster_key": poster_key,
    }


def _voters(stage: models.Stage | None) -> tuple[int, int]:
    """How many people have voted on the stage, and how many dots are placed."""
    voting = stage is not None and stage.voting != "off"
    return models.count_voters(get_db(), stage) if voting else (0, 0)


def _votes_context(workshop: Workshop) -> dict:
    """What the vote count shows."""
    stage = current_stage(workshop)
    return {"workshop": workshop, "stage": stage, "voters": _voters(stage)}


def _join_context(workshop: Workshop) -> dict:
    """What the joining panel shows: where to join, the code, how many are in."""
    return {**_people_context(workshop), "join_url": external_url("participant.join")}


def _people_context(workshop: Workshop) -> dict:
    """What the head count shows: those in, of those expected when a number is set."""
    return {
        "workshop": workshop,
        "people": models.count_participants(get_db(), workshop),
        "expected": workshop.expected_people,
    }


def _pages_context(workshop: Workshop) -> dict:
    """Whether the screen's pages are held, and how far they were stepped."""
    return {"workshop": workshop, "pages_state": models.get_screen_pages(get_db(), workshop)}


FRAGMENTS = {
    "screen_main": _main_context,
    "screen_votes": _votes_context,
    "screen_join": _join_context,
    "screen_people": _people_context,
    "screen_pages": _pages_context,
}


def _render_fragment(workshop: Workshop, block: str):
    """Render one live block from its own context; a browser asking for the page gets it all."""
    revalidate(workshop, _screen_viewer(workshop))
    if not is_partial_request():
        return render("screen/show.html", **_screen_context(workshop))
    return render("screen/show.html", block, **FRAGMENTS[block](workshop))


def _screen_viewer(workshop: Workshop) -> str:
    """Name who looks at the screen: the facilitator's own browser may also drive it."""
    return "screen:driver" if is_facilitator(workshop) else "screen"


@bp.get("/s/<token>")
def show(token: str):
    """Show the current stage on the projector."""
    workshop = screen_workshop(token)
    return render("screen/show.html", **_screen_context(workshop))


@bp.get("/s/<token>/main")
def main(token: str):
    """Render the stage area, for a live refresh."""
    workshop = screen_workshop(token)
    return _render_fragment(workshop, "screen_main")


@bp.get("/s/<token>/votes")
def votes(token: str):
    """Render how many people have voted, never the count per answer before the reveal."""
    workshop = screen_workshop(token)
    return _render_fragment(workshop, "screen_votes")


@bp.get("/s/<token>/join")
def join_panel(token: str):
    """Render the joining panel (code, QR, people count), for a live refresh."""
    workshop = screen_workshop(token)
    return _render_fragment(workshop, "screen_join")


@bp.get("/s/<token>/people")
def people(token: str):
    """Render the number of people who joined, for a live refresh."""
    workshop = screen_workshop(token)
    return _render_fragment(workshop, "screen_people")


@bp.get("/s/<token>/pages")
def pages(token: str):
    """Render whether the screen's pages are held and how far the facilitator stepped them."""
    workshop = screen_workshop(token)
    return _render_fragment(workshop, "screen_pages")


@bp.get("/s/<token>/poster.png")
def poster(token: str) -> Response:
    """Return the agreed poster as it will print (the saved options), sized for the screen."""
    workshop = screen_workshop(token)
    try:
        key, png = screen_poster_png(get_db(), workshop)
    except PosterError:
        abort(404)
    return keyed_image(png, key)


@bp.get("/s/<token>/qr.svg")
def qr(token: str) -> Response:
    """Draw the QR code that joins this workshop, as SVG."""
    workshop = screen_workshop(token)
    url = external_url("participant.join_by_token", token=workshop.join_token)
    response = Response(qr_svg(url), mimetype="image/svg+xml")
    # Asked again on every load (304 while unchanged): the address in it follows the
    # laptop from one network to another.
    response.set_etag(hashlib.blake2s(url.encode(), digest_size=12).hexdigest(), weak=True)
    response.headers["Cache-Control"] = "private, no-cache"
    return response.make_conditional(request)
