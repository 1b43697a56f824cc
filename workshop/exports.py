"""Exports: the poster, the staff card and the workshop's record written to exports/ and
kept in the workshop's history; the poster's preview (cached) and its image for the
projector. The poster page, the projector, the control page and the CLI all call these."""

import hashlib
import json
import os
import re
import threading
import unicodedata
from collections import OrderedDict
from collections.abc import Callable, Iterable
from datetime import date, datetime
from pathlib import Path

from flask import Flask, current_app, has_app_context, has_request_context, render_template, url_for
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from sqlite_utils import Database

from . import messages, models, poster, pulse, reach, record
from .db import PRIVATE_FILE, private_folder
from .forms import ORIENTATION_NAMES, SIZE_NAMES
from .models import Export, PosterSettings, Refused, Workshop
from .poster import (
    FRAMES,
    THEMES,
    CardText,
    FeedbackCardText,
    PosterError,
    PosterOptions,
    PosterText,
)
from .rules import FEEDBACK_CARD_PROMISE_MAX, RECORD_PDF_MAX_ANSWERS
from .zones import local_date, workshop_zone

EXPORT_KINDS = {
    "poster": _l("Poster"),
    "card": _l("Staff card"),
    "table-card": _l("Table card for reception"),
    "report": _l("Workshop report (PDF)"),
    "csv": _l("Answers (CSV)"),
    "xlsx": _l("Answers (Excel)"),
    "markdown": _l("Record (Markdown)"),
    "json": _l("Record (JSON)"),
    "pulse": _l("Monthly pulse sheet"),
}
# The record's URL suffix → (kind, file name label, file ending).
RECORD_FORMATS = {
    "pdf": ("report", "record", ".pdf"),
    "csv": ("csv", "answers", ".csv"),
    "xlsx": ("xlsx", "answers", ".xlsx"),
    "md": ("markdown", "record", ".md"),
    "json": ("json", "record", ".json"),
}
PREVIEW_WIDTH = 900
PREVIEW_CACHE_SIZE = 32

Deliver = Callable[[bytes], None]  # hands an export over (writes the -o file) before it is kept


# Files kept in exports/ ----------------------------------------------------------------------


def _slug(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text.replace("ł", "l").replace("Ł", "L"))
    ascii_text = ascii_text.encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")[:40] or "workshop"


def exports_dir() -> Path:
    """Return the folder every export is kept in."""
    return Path(current_app.config["EXPORTS_DIR"])


def keep_export(
    db: Database,
    workshop: Workshop,
    kind: str,
    data: bytes,
    label: str,
    ending: str,
    options: dict | None = None,
    deliver: "Deliver | None" = None,
) -> Path:
    """Write ``data`` to a new file in exports/ and add it to the workshop's history; when
    the newest export of the same kind and label holds the same bytes, return that file
    instead, so asking again for an unchanged record or poster keeps one copy.

    ``deliver`` (the command line's ``-o`` file) gets the data first: when it raises,
    nothing is kept and the history has no row for it.
    """
    if deliver is not None:
        deliver(data)
    folder = private_folder(exports_dir())
    if (same := _same_as_newest(db, workshop, kind, label, data)) is not None:
        return same
    stem = f"{workshop.public_id}-{_slug(workshop.title)}-{label}-"
    stem += datetime.now(workshop_zone(workshop)).strftime("%Y%m%d-%H%M%S")
    for attempt in range(1, 1000):
        path = folder / f"{stem}{f'-{attempt}' if attempt > 1 else ''}{ending}"
        try:
            # Never overwrite an earlier export; readable by the owner only, as backups are.
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE)
            with os.fdopen(fd, "wb") as stream:
                stream.write(data)
            break
        except FileExistsError:
            continue
    models.record_export(db, workshop, kind, path.name, json.dumps(options or {}))
    return path


def _same_as_newest(
    db: Database, workshop: Workshop, kind: str, label: str, data: bytes
) -> Path | None:
    """Return the newest kept file of this kind and label if it holds exactly ``data``."""
    prefix = f"{workshop.public_id}-{_slug(workshop.title)}-{label}-"
    for export in models.list_exports(db, workshop):
        if export.kind != kind or not export.filename.startswith(prefix):
            continue
        path = export_path(export)
        if path is None or path.stat().st_size != len(data):
            return None
        return path if path.read_bytes() == data else None
    return None


def export_path(export: Export) -> Path | None:
    """Return the kept file of an export, or None when it is gone or not ours to serve."""
    folder = exports_dir().resolve()
    if not export.filename or Path(export.filename).name != export.filename:
        return None
    path = (folder / export.filename).resolve()
    if not path.is_relative_to(folder) or not path.is_file():
        return None
    return path


def describe_export(export: Export) -> str:
    """Say in a few words what an export holds: size, orientation, frame, colours…"""
    try:
        options = json.loads(export.options)
    except ValueError:
        options = {}
    if not isinstance(options, dict):
        return ""
    parts = [str(SIZE_NAMES.get(options.get("size", ""), options.get("size", "")))]
    if export.kind == "poster":
        parts.append(str(ORIENTATION_NAMES.get(options.get("orientation", ""), "")))
        parts.append(str(FRAMES.get(options.get("frame", ""), "")))
        parts.append(str(THEMES.get(options.get("theme", ""), "")))
        parts.append(gettext("bleed and crop marks") if options.get("bleed") else "")
        parts.append(gettext("PDF/A") if options.get("archival") else "")
        parts.append(gettext("feedback QR code") if options.get("feedback_qr") else "")
    elif export.kind == "card" and "routine" in options:
        parts.append(gettext("with the routine") if options["routine"] else gettext("principles"))
    return " · ".join(part for part in parts if part)


def remove_export_files(folder: str, names: Iterable[str]) -> int:
    """Remove kept exports by name from ``folder`` (never outside it); return how many went."""
    removed = 0
    for name in names:
        if not name or Path(name).name != name:
            continue
        path = Path(folder) / name
        if path.is_file():
            path.unlink()
            removed += 1
    return removed


# The poster ----------------------------------------------------------------------------------


def poster_settings(db: Database, workshop: Workshop) -> tuple["PosterOptions", PosterSettings]:
    """Return the poster options last chosen for this workshop (defaults at first) and the
    stored settings they came from."""
    settings = models.get_poster_settings(db, workshop)
    try:
        saved = json.loads(settings.options)
        options = PosterOptions.from_dict({**PosterOptions().as_dict(), **saved})
    except (ValueError, TypeError):
        options = PosterOptions()
    return options, settings


def poster_text(db: Database, workshop: Workshop, settings: PosterSettings | None = None):
    """Gather what the poster prints."""
    settings = settings or models.get_poster_settings(db, workshop)
    agreed = workshop.mission_agreed_at or workshop.created_at
    return PosterText(
        team=workshop.title,
        mission=workshop.mission,
        principles=tuple((p.name, p.line) for p in models.list_principles(db, workshop)),
        language=workshop.language,
        date=local_date(agreed, workshop_zone(workshop)),
        city=settings.city,
        signature=settings.signature,
        logo=settings.logo,
        feedback_url=feedback_url(workshop),
    )


def poster_problems(db: Database, workshop: Workshop, agreed: bool = True) -> list[str]:
    """List what keeps the mission and principles from the poster (agreement too if asked)."""
    principle_count = len(models.list_principles(db, workshop))
    problems = messages.agreement_problems(workshop.mission, principle_count)
    if agreed and not workshop.is_agreed:
        problems.insert(
            0, gettext("The mission is not agreed yet: agree it in a consensus round first.")
        )
    return problems


def write_poster(
    db: Database,
    workshop: Workshop,
    options: "PosterOptions | None" = None,
    deliver: Deliver | None = None,
) -> tuple[bytes, Path]:
    """Render the poster (with the last chosen options unless given), keep a copy in
    exports/, and return its bytes and path.

    Raises PosterError, in the caller's language, when the mission is not agreed or the
    text does not fit.
    """
    saved, settings = poster_settings(db, workshop)
    options = options or saved
    problems = poster_problems(db, workshop)
    if problems:
        raise PosterError(" ".join(problems))
    pdf = poster.render_poster(poster_text(db, workshop, settings), options)
    kept = {
        **options.as_dict(),
        "city": settings.city,
        "signature": settings.signature,
        "logo": settings.logo is not None,
    }
    label = f"poster-{options.size}"
    path = keep_export(db, workshop, "poster", pdf, label, ".pdf", kept, deliver)
    return pdf, path


_previews: OrderedDict[str, bytes] = OrderedDict()
_previews_lock = threading.Lock()


def preview_key(text: "PosterText", options: "PosterOptions", width: int = PREVIEW_WIDTH) -> str:
    """Return a hash of everything the preview depends on: the text, options and width."""
    fields = {
        "team": text.team,
        "mission": text.mission,
        "principles": [list(pair) for pair in text.principles],
        "language": text.language,
        "date": text.date.isoformat(),
        "city": text.city,
        "signature": text.signature,
        "logo": hashlib.sha256(text.logo).hexdigest() if text.logo else None,
        "feedback_url": text.feedback_url,
        "options": options.as_dict(),
        "width": width,
    }
    return hashlib.sha256(json.dumps(fields, sort_keys=True).encode()).hexdigest()[:32]


def poster_preview(
    text: "PosterText", options: "PosterOptions", width: int = PREVIEW_WIDTH
) -> tuple[str, bytes]:
    """Return the PNG preview and its key, from the cache when the same was shown before.

    Raises PosterError when the text does not fit the chosen page.
    """
    key = preview_key(text, options, width)
    with _previews_lock:
        if key in _previews:
            _previews.move_to_end(key)
            return key, _previews[key]
    png = poster.render_preview(text, options, width_px=width)
    with _previews_lock:
        _previews[key] = png
        while len(_previews) > PREVIEW_CACHE_SIZE:
            _previews.popitem(last=False)
    return key, png


def warm_up(app: Flask) -> None:
    """Prepare what is slow on first use (WeasyPrint, the fonts, its first layout, the
    preview's rasteriser), so the first poster page after a start does not wait for it.

    Started once per worker as the server starts, in a background thread (cli.py,
    ``prepare_worker``): requests are served meanwhile; a poster asked for before it ends
    waits for the renderer's lock, as it would behind another poster. A failure is logged
    and left for the first real poster to report."""
    try:
        with app.app_context():
            poster.warm_up(PREVIEW_WIDTH)
    except Exception:  # noqa: BLE001 - a warm-up must never take the worker down
        app.logger.exception("warming up the poster renderer failed")


# The poster on the projector -----------------------------------------------------------------


SCREEN_POSTER_WIDTH = {"portrait": 1400, "landscape": 1920}  # sharp on a 1080p projector


def _screen_poster_source(db: Database, workshop: Workshop):
    options, settings = poster_settings(db, workshop)
    return poster_text(db, workshop, settings), options, SCREEN_POSTER_WIDTH[options.orientation]


def screen_poster_key(db: Database, workshop: Workshop) -> str | None:
    """Return the key of the agreed poster's image for the projector (drawn now if need be,
    then kept), or None when there is none to show: the screen then shows the text."""
    if not workshop.is_agreed:
        return None
    try:
        return screen_poster_png(db, workshop)[0]
    except PosterError:
        return None


def screen_poster_png(db: Database, workshop: Workshop) -> tuple[str, bytes]:
    """Return the agreed poster as the projector shows it (the saved options), and its key.

    Raises PosterError when it cannot be printed as saved.
    """
    problems = poster_problems(db, workshop)
    if problems:
        raise PosterError(" ".join(problems))
    return poster_preview(*_screen_poster_source(db, workshop))


# The clients' feedback link in print ----------------------------------------------------------


def feedback_url(workshop: Workshop) -> str:
    """Return the address the printed feedback QR code opens, or "" when there is none.

    In a request: the base phones can open (WORKSHOP_BASE_URL when set, reach.py's rule
    otherwise); from the command line: WORKSHOP_BASE_URL, or none without it (a poster
    printed from there then has no QR code, and the table card cannot be made); none
    outside the app."""
    if not workshop.feedback_token or not has_app_context():
        return ""
    if has_request_context():
        return reach.external_url("feedback.show", token=workshop.feedback_token)
    base = (current_app.config.get("BASE_URL") or "").rstrip("/")
    if not base:
        return ""
    with current_app.test_request_context(base_url=base):
        return url_for("feedback.show", token=workshop.feedback_token, _external=True)


def promise_line(mission: str) -> str:
    """Return the mission's first line for the table card, its first sentence when the
    line is long, or "" when even that is longer than FEEDBACK_CARD_PROMISE_MAX."""
    lines = [line.strip() for line in mission.splitlines() if line.strip()]
    if not lines:
        return ""
    line = lines[0]
    if len(line) > FEEDBACK_CARD_PROMISE_MAX:
        line = re.split(r"(?<=[.!?…])\s", line, maxsplit=1)[0]
    return line if len(line) <= FEEDBACK_CARD_PROMISE_MAX else ""


def write_feedback_card(
    db: Database, workshop: Workshop, size: str = "a6", deliver: Deliver | None = None
) -> tuple[bytes, Path]:
    """Render the reception desk's table card, keep a copy in exports/, and return its
    bytes and path. Raises PosterError when there is no address to print."""
    url = feedback_url(workshop)
    if not url:
        raise PosterError(
            gettext("The table card needs the address clients' phones open: set WORKSHOP_BASE_URL.")
        )
    card = FeedbackCardText(
        team=workshop.title,
        url=url,
        promise=promise_line(workshop.mission) if workshop.is_agreed else "",
        language=workshop.language,
    )
    pdf = poster.render_feedback_card(card, size=size)
    label = f"table-card-{size}"
    return pdf, keep_export(db, workshop, "table-card", pdf, label, ".pdf", {"size": size}, deliver)


# The staff card ------------------------------------------------------------------------------


def card_text(db: Database, workshop: Workshop) -> "CardText":
    """Gather what the staff card prints: the principles, and the routine once agreed."""
    routine: tuple[str, ...] = ()
    if workshop.routine_agreed_at:
        routine = tuple(line.strip() for line in workshop.routine.splitlines() if line.strip())
    stamp = workshop.routine_agreed_at or workshop.principles_agreed_at
    stamp = stamp or workshop.mission_agreed_at
    return CardText(
        team=workshop.title,
        principles=tuple((p.name, p.line) for p in models.list_principles(db, workshop)),
        routine=routine,
        language=workshop.language,
        date=local_date(stamp, workshop_zone(workshop)),
    )


def card_problems(db: Database, workshop: Workshop) -> list[str]:
    """List what keeps the staff card from printing: like the poster, it prints only what
    was agreed, its principles (in their own round or with the mission) and the routine
    (left off until agreed)."""
    principle_count = len(models.list_principles(db, workshop))
    if not principle_count:
        return [gettext("The staff card needs the team's principles: add them first.")]
    problems = messages.principle_problems(principle_count)
    if not (workshop.principles_agreed_at or workshop.is_agreed):
        problems.insert(
            0,
            gettext(
                "The principles are not agreed yet: agree them, or the mission, "
                "in a consensus round first."
            ),
        )
    return problems


def write_staff_card(
    db: Database, workshop: Workshop, size: str = "a5", deliver: Deliver | None = None
) -> tuple[bytes, Path]:
    """Render the staff card, keep a copy in exports/, and return its bytes and path.

    Raises PosterError, in the caller's language, when the card is not ready to print
    (card_problems).
    """
    problems = card_problems(db, workshop)
    if problems:
        raise PosterError(" ".join(problems))
    card = card_text(db, workshop)
    pdf = poster.render_staff_card(card, size=size)
    options = {"size": size, "routine": bool(card.routine)}
    label = f"staff-card-{size}"
    return pdf, keep_export(db, workshop, "card", pdf, label, ".pdf", options, deliver)


# The workshop's record -----------------------------------------------------------------------


def workshop_json(db: Database, workshop: Workshop) -> str:
    """Return the workshop's whole record as JSON text."""
    return json.dumps(record.workshop_record(db, workshop), ensure_ascii=False, indent=2)


def record_file(
    db: Database, workshop: Workshop, fmt: str, deliver: Deliver | None = None
) -> tuple[bytes, Path]:
    """Write the workshop's record as a PDF report, CSV, Excel, Markdown or JSON into exports/."""
    kind, label, ending = RECORD_FORMATS[fmt]
    if fmt == "pdf" and models.raw_data(db, workshop).answers > RECORD_PDF_MAX_ANSWERS:
        raise Refused("record-too-large")  # its layout's time and memory grow with each answer
    data = record.workshop_record(db, workshop)
    if fmt == "pdf":
        content = record.record_as_report_pdf(data)
    elif fmt == "csv":
        content = record.answers_as_csv(data).encode("utf-8")
    elif fmt == "xlsx":
        content = record.answers_as_xlsx(data)
    elif fmt == "md":
        content = record.record_as_markdown(data).encode("utf-8")
    else:
        content = (workshop_json(db, workshop) + "\n").encode("utf-8")
    return content, keep_export(db, workshop, kind, content, label, ending, deliver=deliver)


# The monthly pulse sheet ---------------------------------------------------------------------


def pulse_sheet_stylesheet() -> Path:
    """Return the monthly pulse sheet's stylesheet."""
    return Path(current_app.static_folder or "static") / "pulse" / "sheet.css"


def pulse_sheet_pdf(db: Database, workshop: Workshop, month: date) -> bytes:
    """Render one month's pulse sheet: A4 portrait, the poster's typefaces and a light frame."""
    sheet = pulse.month_sheet(db, workshop, month)
    html = render_template("pulse/sheet.html", sheet=sheet, pulse=pulse)
    return poster.render_document(html, pulse_sheet_stylesheet())


def write_pulse_sheet(
    db: Database, workshop: Workshop, month: date, deliver: Deliver | None = None
) -> tuple[bytes, Path]:
    """Render one month's pulse sheet, keep a copy in exports/ (one per identical sheet),
    and return its bytes and path."""
    pdf = pulse_sheet_pdf(db, workshop, month)
    label = f"pulse-{month:%Y-%m}"
    options = {"size": "a4", "month": f"{month:%Y-%m}"}
    return pdf, keep_export(db, workshop, "pulse", pdf, label, ".pdf", options, deliver)
