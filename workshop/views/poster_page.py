"""The poster page: the poster's options and live preview, the logo, the downloads
(poster, staff card, the workshop's record) and the history of every file kept in
exports/."""

import json
from pathlib import Path
from typing import Any

from flask import Blueprint, Response, abort, current_app, redirect, request, url_for
from flask_babel import format_decimal
from flask_wtf.csrf import CSRFError, validate_csrf
from sqlite_utils import Database
from wtforms import ValidationError

from .. import messages, models
from ..access import facilitator_workshop
from ..db import get_db
from ..exports import (
    EXPORT_KINDS,
    card_problems,
    describe_export,
    export_path,
    poster_preview,
    poster_problems,
    poster_settings,
    poster_text,
    record_file,
    write_feedback_card,
    write_poster,
    write_staff_card,
)
from ..extensions import csrf
from ..forms import SIZE_NAMES, PosterForm
from ..models import PosterSettings, Refused, Workshop
from ..poster import (
    CARD_SIZES,
    FEEDBACK_CARD_SIZES,
    FRAMES,
    THEMES,
    PosterError,
    PosterOptions,
    logo_too_large,
    prepare_logo,
    reading_distances,
    recommended_size,
)
from ..rules import DEFAULT_READING_DISTANCE_M, LOGO_MAX_BYTES, READING_DISTANCES_M
from ..web import found, is_partial_request, keyed_image, refuse, render

bp = Blueprint("poster_page", __name__)


MIMETYPES = {
    ".pdf": "application/pdf",
    ".csv": "text/csv; charset=utf-8",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".md": "text/markdown; charset=utf-8",
    ".json": "application/json",
}


# A logo over 2 MB must still reach the form, to be refused with a clear message rather
# than the app-wide 64 KB limit's bare 413.
UPLOAD_MAX_BYTES = 4 * LOGO_MAX_BYTES


# The poster's form and preview ---------------------------------------------------------------


def _choose_frames_and_themes(form: PosterForm) -> PosterForm:
    form.frame.choices = [(key, str(label)) for key, label in FRAMES.items()]
    form.theme.choices = [(key, str(label)) for key, label in THEMES.items()]
    form.reading_distance.choices = [
        (f"{metres:g}", f"{format_decimal(metres)} m") for metres in READING_DISTANCES_M
    ]
    return form


def _poster_form(
    options: "PosterOptions",
    settings: PosterSettings,
    distance: float = DEFAULT_READING_DISTANCE_M,
) -> PosterForm:
    """Return the form showing the saved choices (and the distance it is read from)."""
    data = {**options.as_dict(), "city": settings.city, "signature": settings.signature}
    form = PosterForm(formdata=None, data={**data, "reading_distance": f"{distance:g}"})
    return _choose_frames_and_themes(form)


def _distance(value: str | None) -> float:
    """Return the reading distance asked for, or the default when none (or no valid) is."""
    try:
        metres = float(value or "")
    except ValueError:
        return DEFAULT_READING_DISTANCE_M
    return metres if metres in READING_DISTANCES_M else DEFAULT_READING_DISTANCE_M


def _options_from(form: PosterForm) -> "PosterOptions":
    return PosterOptions.from_dict(
        {
            "size": form.size.data,
            "orientation": form.orientation.data,
            "frame": form.frame.data,
            "theme": form.theme.data,
            "bleed": bool(form.bleed.data),
            "archival": bool(form.archival.data),
            "feedback_qr": bool(form.feedback_qr.data),
        }
    )


def _options_from_query(saved: "PosterOptions") -> "PosterOptions":
    """Return the options named in the query string, the saved ones where none is named."""
    data: dict[str, Any] = saved.as_dict()
    for name in ("size", "orientation", "frame", "theme"):
        if name in request.args:
            data[name] = request.args[name]
    for name in ("bleed", "archival", "feedback_qr"):
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
        "feedback_qr": "1" if data["feedback_qr"] else "0",
    }


def _studio(
    workshop: Workshop,
    form: PosterForm,
    options: "PosterOptions",
    status: int = 200,
    readings: tuple | None = None,
    block: str = "poster_studio",
) -> Any:
    """Render the poster page, or its form-and-preview block (or ``block``) for htmx.

    The reading distances fit the text on every size, so they come in their own request
    (``readings`` None: the block asks for them once it is on the page)."""
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
    distance = _distance(form.reading_distance.data)
    return render(
        "facilitator/poster.html",
        block,
        status=status,
        distance=distance,
        readings=readings,
        recommended=recommended_size(readings, distance) if readings else None,
        farthest=max(readings, key=lambda r: r.reach_m) if readings else None,
        size_names=SIZE_NAMES,
        reading_query={
            "orientation": options.orientation,
            "frame": options.frame,
            "feedback_qr": "1" if options.feedback_qr else "0",
            "distance": f"{distance:g}",
        },
        form=form,
        options=options,
        query=option_query(options),
        has_logo=settings.logo is not None,
        problems=problems,
        agreed=workshop.is_agreed,
        preview_key=key,
        warning=warning,
        has_routine=bool(workshop.routine_agreed_at and workshop.routine.strip()),
        card_problems=card_problems(db, workshop),
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
@csrf.exempt  # checked below: the login first, then the token, then the larger upload limit
def save_poster(public_id: str):
    """Remember the chosen options, city and logo; answer with the new preview, or with the
    PDF when "Download PDF" sent the form."""
    workshop = facilitator_workshop(public_id)  # reads the cookie only, never the body
    _allow_an_upload()
    if (request.content_length or 0) > UPLOAD_MAX_BYTES:  # the body is never read
        return _logo_too_large(public_id)
    if current_app.config.get("WTF_CSRF_ENABLED", True):
        csrf.protect()
    db = get_db()
    form = _choose_frames_and_themes(PosterForm())
    saved, _settings = poster_settings(db, workshop)
    if not form.validate_on_submit():
        return _studio(workshop, form, saved, status=422)
    try:
        logo = _uploaded_logo(form)
    except PosterError as error:  # nothing is saved; the form keeps what was chosen and typed
        form.logo.errors = [str(error)]
        return _studio(workshop, form, saved, status=422)
    options = _options_from(form)
    models.save_poster_settings(
        db, workshop, json.dumps(options.as_dict()), form.city.data, form.signature.data
    )
    if "remove_logo" in request.form or logo is not None:
        models.set_poster_logo(db, workshop, logo)
    if "download" in request.form:  # "Download PDF": exactly what the form showed
        return poster(public_id)
    if not is_partial_request():
        return redirect(url_for("poster_page.poster_page", public_id=public_id), 303)
    settings = models.get_poster_settings(db, workshop)
    distance = _distance(form.reading_distance.data)
    return _studio(workshop, _poster_form(options, settings, distance), options)


@bp.get("/w/<public_id>/poster/reading")
def poster_reading(public_id: str):
    """Show how far the text reads from on each paper size, and the size that reaches
    the distance asked for."""
    workshop = facilitator_workshop(public_id)
    db = get_db()
    saved, settings = poster_settings(db, workshop)
    options = _options_from_query(saved)
    form = _poster_form(options, settings, _distance(request.args.get("distance")))
    readings: tuple = ()
    if not poster_problems(db, workshop, agreed=False):
        text = poster_text(db, workshop, settings)
        try:
            readings = reading_distances(
                text, options.orientation, options.frame, options.feedback_qr
            )
        except PosterError:
            readings = ()  # the preview says why
    return _studio(workshop, form, options, readings=readings, block="poster_reading")


def _allow_an_upload() -> None:
    """Raise the body limit from 64 KiB to UPLOAD_MAX_BYTES for the signed-in facilitator,
    checking the CSRF token first when it came in a header (htmx) and not in the body.

    Everyone else (no facilitator session: a stranger, a phone, a cross-site page, which
    SameSite=Lax keeps from sending the cookie) has been refused before any of the body is
    read. A form sent without JavaScript carries its token in the body, which is then read
    under the larger limit and checked by ``csrf.protect()``.
    """
    token = request.headers.get("X-CSRFToken")
    if token and current_app.config.get("WTF_CSRF_ENABLED", True):
        try:
            validate_csrf(token)
        except ValidationError as error:
            raise CSRFError(error.args[0]) from error
    request.max_content_length = UPLOAD_MAX_BYTES


def _uploaded_logo(form: PosterForm) -> bytes | None:
    """Return the uploaded logo checked and scaled down, or None without one (or when it
    is being removed). Raises PosterError when it is refused."""
    upload = form.logo.data
    if "remove_logo" in request.form or upload is None or not upload.filename:
        return None
    return prepare_logo(upload.read())


def _logo_too_large(public_id: str) -> Any:
    """Answer an upload far over the logo's limit, whose form was never read: the page as
    saved, the limit named next to the logo field (the page checks a file's size before
    sending it, so this meets only a browser without JavaScript)."""
    workshop = facilitator_workshop(public_id)
    options, settings = poster_settings(get_db(), workshop)
    form = _poster_form(options, settings)
    form.logo.errors = [logo_too_large()]
    return _studio(workshop, form, options, status=413)


@bp.get("/w/<public_id>/poster/preview.png")
def poster_preview_png(public_id: str) -> Response:
    """Return the preview image of the poster with the options in the query string."""
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
    return keyed_image(png, key)


@bp.get("/w/<public_id>/poster.pdf")
def poster(public_id: str) -> Response:
    """Download the framed poster of the agreed mission, with the chosen options."""
    workshop = facilitator_workshop(public_id)
    db = get_db()
    options = _options_from_query(poster_settings(db, workshop)[0])
    try:
        pdf, path = write_poster(db, workshop, options)
    except PosterError as error:
        refuse(422, str(error))
    return _attachment(pdf, path)


# The staff card and the workshop's record ----------------------------------------------------


@bp.get("/w/<public_id>/card.pdf")
def staff_card(public_id: str) -> Response:
    """Download the staff card: the trust-recovery routine and the principles."""
    workshop = facilitator_workshop(public_id)
    size = request.args.get("size", "a5")
    if size not in CARD_SIZES:
        abort(404)
    try:
        pdf, path = write_staff_card(get_db(), workshop, size)
    except PosterError as error:
        refuse(422, str(error))
    return _attachment(pdf, path)


@bp.get("/w/<public_id>/table-card/<size>.pdf")
def table_card(public_id: str, size: str) -> Response:
    """Download the reception desk's table card with the clients' feedback QR code."""
    workshop = facilitator_workshop(public_id)
    if size not in FEEDBACK_CARD_SIZES:
        abort(404)
    try:
        pdf, path = write_feedback_card(get_db(), workshop, size)
    except PosterError as error:
        refuse(422, str(error))
    return _attachment(pdf, path)


@bp.get("/w/<public_id>/record.<any(pdf, csv, xlsx, md, json):fmt>")
def workshop_record(public_id: str, fmt: str) -> Response:
    """Download the whole workshop as a PDF report, a spreadsheet, Markdown or JSON."""
    workshop = facilitator_workshop(public_id)
    try:
        content, path = record_file(get_db(), workshop, fmt)
    except Refused as refusal:
        refuse(409, messages.for_facilitator(refusal.reason))
    return _attachment(content, path)


# History -------------------------------------------------------------------------------------


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
            url_for("poster_page.poster_page", public_id=public_id, _anchor="export-history")
        )
    return render("facilitator/poster.html", "export_history", **_history(get_db(), workshop))


@bp.get("/w/<public_id>/exports/<int:export_id>")
def download_export(public_id: str, export_id: int) -> Response:
    """Download a file kept in exports/ again."""
    workshop = facilitator_workshop(public_id)
    export = found(models.get_export(get_db(), workshop, export_id))
    path = found(export_path(export))
    return _attachment(path.read_bytes(), path)
