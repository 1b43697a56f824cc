"""Exports: the poster page and its live preview, the staff card, the workshop's record
(PDF report, CSV, Markdown, JSON), and the history of every file kept in exports/."""

import hashlib
import json
import re
import threading
import unicodedata
from collections import OrderedDict
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from flask import Blueprint, Response, abort, current_app, redirect, request, url_for
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from sqlite_utils import Database

from . import csrf, messages, models
from .access import facilitator_workshop
from .db import get_db
from .facilitator import after_change
from .forms import ORIENTATION_NAMES, SIZE_NAMES, PosterForm
from .models import Export, PosterSettings, Workshop
from .rules import LOGO_MAX_BYTES
from .web import found, is_partial_request, refuse, render

if TYPE_CHECKING:
    from .poster import CardText, PosterOptions, PosterText

bp = Blueprint("exports", __name__)

EXPORT_KINDS = {
    "poster": _l("Poster"),
    "card": _l("Staff card"),
    "report": _l("Workshop report (PDF)"),
    "csv": _l("Answers (CSV)"),
    "markdown": _l("Record (Markdown)"),
    "json": _l("Record (JSON)"),
}
# The record's URL suffix → (kind, file name label, file ending).
RECORD_FORMATS = {
    "pdf": ("report", "record", ".pdf"),
    "csv": ("csv", "answers", ".csv"),
    "md": ("markdown", "record", ".md"),
    "json": ("json", "record", ".json"),
}
MIMETYPES = {
    ".pdf": "application/pdf",
    ".csv": "text/csv; charset=utf-8",
    ".md": "text/markdown; charset=utf-8",
    ".json": "application/json",
}
PREVIEW_WIDTH = 900
PREVIEW_CACHE_SIZE = 32
# A logo over 2 MB must still reach the form, to be refused with a clear message rather
# than the app-wide 64 KB limit's bare 413.
UPLOAD_MAX_BYTES = 4 * LOGO_MAX_BYTES


# Files kept in exports/ ------------------------------------------------------------------


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
) -> Path:
    """Write ``data`` to a new file in exports/ and add it to the workshop's history."""
    folder = exports_dir()
    folder.mkdir(parents=True, exist_ok=True)
    stem = f"{workshop.public_id}-{_slug(workshop.title)}-{label}-"
    stem += datetime.now().strftime("%Y%m%d-%H%M%S")
    for attempt in range(1, 1000):
        path = folder / f"{stem}{f'-{attempt}' if attempt > 1 else ''}{ending}"
        try:
            with path.open("xb") as stream:  # never overwrite an earlier export
                stream.write(data)
            break
        except FileExistsError:
            continue
    models.record_export(db, workshop, kind, path.name, json.dumps(options or {}))
    return path


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
    from .poster import FRAMES, THEMES

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
    elif export.kind == "card" and "routine" in options:
        parts.append(gettext("with the routine") if options["routine"] else gettext("principles"))
    return " · ".join(part for part in parts if part)


# The poster ------------------------------------------------------------------------------


def poster_settings(db: Database, workshop: Workshop) -> tuple["PosterOptions", PosterSettings]:
    """Return the poster options last chosen for this workshop (defaults at first) and the
    stored settings they came from."""
    from .poster import PosterOptions

    settings = models.get_poster_settings(db, workshop)
    try:
        saved = json.loads(settings.options)
        options = PosterOptions.from_dict({**PosterOptions().as_dict(), **saved})
    except (ValueError, TypeError):
        options = PosterOptions()
    return options, settings


def poster_text(db: Database, workshop: Workshop, settings: PosterSettings | None = None):
    """Gather what the poster prints."""
    from .poster import PosterText

    settings = settings or models.get_poster_settings(db, workshop)
    agreed = workshop.mission_agreed_at or workshop.created_at
    return PosterText(
        team=workshop.title,
        mission=workshop.mission,
        principles=tuple((p.name, p.line) for p in models.list_principles(db, workshop)),
        language=workshop.language,
        date=datetime.fromisoformat(agreed).date() if agreed else date.today(),
        city=settings.city,
        logo=settings.logo,
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
    db: Database, workshop: Workshop, options: "PosterOptions | None" = None
) -> tuple[bytes, Path]:
    """Render the poster (with the last chosen options unless given), keep a copy in
    exports/, and return its bytes and path.

    Raises PosterError, in the caller's language, when the mission is not agreed or the
    text does not fit.
    """
    from .poster import PosterError, render_poster

    saved, settings = poster_settings(db, workshop)
    options = options or saved
    problems = poster_problems(db, workshop)
    if problems:
        raise PosterError(" ".join(problems))
    pdf = render_poster(poster_text(db, workshop, settings), options)
    kept = {**options.as_dict(), "city": settings.city, "logo": settings.logo is not None}
    path = keep_export(db, workshop, "poster", pdf, f"poster-{options.size}", ".pdf", kept)
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
        "logo": hashlib.sha256(text.logo).hexdigest() if text.logo else None,
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
    from .poster import render_preview

    key = preview_key(text, options, width)
    with _previews_lock:
        if key in _previews:
            _previews.move_to_end(key)
            return key, _previews[key]
    png = render_preview(text, options, width_px=width)
    with _previews_lock:
        _previews[key] = png
        while len(_previews) > PREVIEW_CACHE_SIZE:
            _previews.popitem(last=False)
    return key, png


def _choose_frames_and_themes(form: PosterForm) -> PosterForm:
    from .poster import FRAMES, THEMES

    form.frame.choices = [(key, str(label)) for key, label in FRAMES.items()]
    form.theme.choices = [(key, str(label)) for key, label in THEMES.items()]
    return form


def _poster_form(options: "PosterOptions", settings: PosterSettings) -> PosterForm:
    """Return the form showing the saved choices."""
    form = PosterForm(formdata=None, data={**options.as_dict(), "city": settings.city})
    return _choose_frames_and_themes(form)


def _options_from(form: PosterForm) -> "PosterOptions":
    from .poster import PosterOptions

    return PosterOptions.from_dict(
        {
            "size": form.size.data,
            "orientation": form.orientation.data,
            "frame": form.frame.data,
            "theme": form.theme.data,
            "bleed": bool(form.bleed.data),
            "archival": bool(form.archival.data),
        }
    )


def _options_from_query(saved: "PosterOptions") -> "PosterOptions":
    """Return the options named in the query string, the saved ones where none is named."""
    from .poster import PosterOptions

    data: dict[str, Any] = saved.as_dict()
    for name in ("size", "orientation", "frame", "theme"):
        if name in request.args:
            data[name] = request.args[name]
    for name in ("bleed", "archival"):
        if name in request.args:
            data[name] = request.args[name] in ("1", "true", "on", "yes")
    try:
        return PosterOptions.from_dict(data)
    except (ValueError, TypeError):
        abort(404)


def option_query(options: "PosterOptions") -> dict[str, str]:
    """Return the options as query-string values (the form of _options_from_query)."""
    data = options.as_dict()
    return {
        **{name: str(data[name]) for name in ("size", "orientation", "frame", "theme")},
        "bleed": "1" if data["bleed"] else "0",
        "archival": "1" if data["archival"] else "0",
    }


def _studio(
    workshop: Workshop, form: PosterForm, options: "PosterOptions", status: int = 200
) -> Any:
    """Render the poster page, or its form-and-preview block for htmx."""
    from .poster import PosterError

    db = get_db()
    _saved, settings = poster_settings(db, workshop)
    problems = poster_problems(db, workshop, agreed=False)
    key, warning = None, None
    if not problems:
        try:
            key, _png = poster_preview(poster_text(db, workshop, settings), options)
        except PosterError as error:
            warning = str(error)
            status = 422 if request.method == "POST" else status
    return render(
        "facilitator/poster.html",
        "poster_studio",
        status=status,
        form=form,
        options=options,
        query=option_query(options),
        has_logo=settings.logo is not None,
        problems=problems,
        agreed=workshop.is_agreed,
        preview_key=key,
        warning=warning,
        has_routine=bool(workshop.routine_agreed_at and workshop.routine.strip()),
        **_history(db, workshop),
    )


def _history(db: Database, workshop: Workshop) -> dict[str, Any]:
    exports = models.list_exports(db, workshop)
    return {
        "workshop": workshop,
        "exports": [(export, describe_export(export), export_path(export)) for export in exports],
        "export_kinds": EXPORT_KINDS,
    }


@bp.get("/w/<public_id>/poster")
def poster_page(public_id: str):
    """Show the poster's options, its preview, the other downloads and the history."""
    workshop = facilitator_workshop(public_id)
    options, settings = poster_settings(get_db(), workshop)
    return _studio(workshop, _poster_form(options, settings), options)


@bp.post("/w/<public_id>/poster")
@csrf.exempt  # checked below, once the larger upload limit applies
def save_poster(public_id: str):
    """Remember the chosen options, city and logo; answer with the new preview, or with the
    PDF when "Download PDF" sent the form."""
    request.max_content_length = UPLOAD_MAX_BYTES
    if current_app.config.get("WTF_CSRF_ENABLED", True):
        csrf.protect()
    workshop = facilitator_workshop(public_id)
    db = get_db()
    form = _choose_frames_and_themes(PosterForm())
    saved, _settings = poster_settings(db, workshop)
    if not form.validate_on_submit():
        return _studio(workshop, form, saved, status=422)
    options = _options_from(form)
    models.save_poster_settings(db, workshop, json.dumps(options.as_dict()), form.city.data)
    if not _save_logo(db, workshop, form):
        return _studio(workshop, form, options, status=422)
    if "download" in request.form:  # "Download PDF": exactly what the form showed
        return poster(public_id)
    if not is_partial_request():
        return redirect(url_for("exports.poster_page", public_id=public_id), 303)
    return _studio(
        workshop, _poster_form(options, models.get_poster_settings(db, workshop)), options
    )


def _save_logo(db: Database, workshop: Workshop, form: PosterForm) -> bool:
    """Store an uploaded logo (checked and scaled down), or remove it; False if refused."""
    from .poster import PosterError, prepare_logo

    upload = form.logo.data
    if "remove_logo" in request.form:
        models.set_poster_logo(db, workshop, None)
    elif upload is not None and upload.filename:
        try:
            models.set_poster_logo(db, workshop, prepare_logo(upload.read()))
        except PosterError as error:
            form.logo.errors = [str(error)]
            return False
    return True


@bp.get("/w/<public_id>/poster/preview.png")
def poster_preview_png(public_id: str) -> Response:
    """Return the preview image of the poster with the options in the query string."""
    from .poster import PosterError

    workshop = facilitator_workshop(public_id)
    db = get_db()
    saved, settings = poster_settings(db, workshop)
    options = _options_from_query(saved)
    problems = poster_problems(db, workshop, agreed=False)
    if problems:
        refuse(422, " ".join(problems))
    try:
        key, png = poster_preview(poster_text(db, workshop, settings), options)
    except PosterError as error:
        refuse(422, str(error))
    response = Response(png, mimetype="image/png")
    response.set_etag(key)
    # The page names each preview by its key: such a URL never changes its image.
    fixed = request.args.get("v") == key
    response.headers["Cache-Control"] = "private, max-age=86400" if fixed else "private, no-cache"
    return response.make_conditional(request)


@bp.get("/w/<public_id>/poster.pdf")
def poster(public_id: str) -> Response:
    """Download the framed poster of the agreed mission, with the chosen options."""
    from .poster import PosterError

    workshop = facilitator_workshop(public_id)
    db = get_db()
    options = _options_from_query(poster_settings(db, workshop)[0])
    try:
        pdf, path = write_poster(db, workshop, options)
    except PosterError as error:
        refuse(422, str(error))
    return _attachment(pdf, path)


# The poster on the projector ---------------------------------------------------------------

SCREEN_POSTER_WIDTH = {"portrait": 1400, "landscape": 1920}  # sharp on a 1080p projector


def _screen_poster_source(db: Database, workshop: Workshop):
    options, settings = poster_settings(db, workshop)
    return poster_text(db, workshop, settings), options, SCREEN_POSTER_WIDTH[options.orientation]


def screen_poster_key(db: Database, workshop: Workshop) -> str | None:
    """Return the key of the agreed poster's image for the projector (drawn now if need be,
    then kept), or None when there is none to show: the screen then shows the text."""
    from .poster import PosterError

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
    from .poster import PosterError

    problems = poster_problems(db, workshop)
    if problems:
        raise PosterError(" ".join(problems))
    return poster_preview(*_screen_poster_source(db, workshop))


@bp.post("/w/<public_id>/poster/screen/<any(show, hide):switch>")
def poster_on_screen(public_id: str, switch: str):
    """Show the framed poster itself on the projector, as it will print, or take it off."""
    from .poster import PosterError

    workshop = facilitator_workshop(public_id)
    db = get_db()
    if switch == "show":
        try:
            screen_poster_png(db, workshop)  # drawn now, so the projector has it at once
        except PosterError as error:
            return after_change(workshop, agree_errors=[str(error)])
    models.set_poster_on_screen(db, workshop, switch == "show")
    return after_change(workshop)


# The staff card --------------------------------------------------------------------------


def card_text(db: Database, workshop: Workshop) -> "CardText":
    """Gather what the staff card prints: the principles, and the routine once agreed."""
    from .poster import CardText

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
        date=datetime.fromisoformat(stamp).date() if stamp else date.today(),
    )


def write_staff_card(db: Database, workshop: Workshop, size: str = "a5") -> tuple[bytes, Path]:
    """Render the staff card, keep a copy in exports/, and return its bytes and path.

    Raises PosterError when there are no principles to print.
    """
    from .poster import PosterError, render_staff_card

    card = card_text(db, workshop)
    if not card.principles:
        raise PosterError(gettext("The staff card needs the team's principles: add them first."))
    pdf = render_staff_card(card, size=size)
    options = {"size": size, "routine": bool(card.routine)}
    return pdf, keep_export(db, workshop, "card", pdf, f"staff-card-{size}", ".pdf", options)


@bp.get("/w/<public_id>/card.pdf")
def staff_card(public_id: str) -> Response:
    """Download the staff card: the trust-recovery routine and the principles."""
    from .poster import CARD_SIZES, PosterError

    workshop = facilitator_workshop(public_id)
    size = request.args.get("size", "a5")
    if size not in CARD_SIZES:
        abort(404)
    try:
        pdf, path = write_staff_card(get_db(), workshop, size)
    except PosterError as error:
        refuse(422, str(error))
    return _attachment(pdf, path)


# The workshop's record -------------------------------------------------------------------


def workshop_json(db: Database, workshop: Workshop) -> str:
    """Return the workshop's whole record as JSON text."""
    return json.dumps(models.workshop_record(db, workshop), ensure_ascii=False, indent=2)


def record_file(db: Database, workshop: Workshop, fmt: str) -> tuple[bytes, Path]:
    """Write the workshop's record as a PDF report, CSV, Markdown or JSON into exports/."""
    from . import record

    kind, label, ending = RECORD_FORMATS[fmt]
    data = models.workshop_record(db, workshop)
    if fmt == "pdf":
        content = record.record_as_report_pdf(data)
    elif fmt == "csv":
        content = record.answers_as_csv(data).encode("utf-8")
    elif fmt == "md":
        content = record.record_as_markdown(data).encode("utf-8")
    else:
        content = (workshop_json(db, workshop) + "\n").encode("utf-8")
    return content, keep_export(db, workshop, kind, content, label, ending)


@bp.get("/w/<public_id>/record.<any(pdf, csv, md, json):fmt>")
def workshop_record(public_id: str, fmt: str) -> Response:
    """Download the whole workshop as a PDF report, a spreadsheet, Markdown or JSON."""
    workshop = facilitator_workshop(public_id)
    content, path = record_file(get_db(), workshop, fmt)
    return _attachment(content, path)


# History ---------------------------------------------------------------------------------


def _attachment(content: bytes, path: Path) -> Response:
    return Response(
        content,
        mimetype=MIMETYPES.get(path.suffix, "application/octet-stream"),
        headers={"Content-Disposition": f'attachment; filename="{path.name}"'},
    )


@bp.get("/w/<public_id>/exports")
def export_history(public_id: str):
    """Render the list of earlier exports, for a refresh after a download."""
    workshop = facilitator_workshop(public_id)
    if not is_partial_request():
        return redirect(
            url_for("exports.poster_page", public_id=public_id, _anchor="export-history")
        )
    return render("facilitator/poster.html", "export_history", **_history(get_db(), workshop))


@bp.get("/w/<public_id>/exports/<int:export_id>")
def download_export(public_id: str, export_id: int) -> Response:
    """Download a file kept in exports/ again."""
    workshop = facilitator_workshop(public_id)
    export = found(models.get_export(get_db(), workshop, export_id))
    path = found(export_path(export))
    return _attachment(path.read_bytes(), path)
