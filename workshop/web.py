"""What every page shares: page-or-fragment rendering, headers, errors, template helpers."""

import hashlib
import io
import json
import logging
import re
from collections.abc import Callable
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import NoReturn, TypeVar

import segno
from flask import (
    Flask,
    Response,
    abort,
    current_app,
    g,
    has_request_context,
    render_template,
    request,
    session,
)
from flask.sessions import SecureCookieSessionInterface, SessionMixin
from flask_babel import (
    force_locale,
    format_datetime,
    format_time,
    get_locale,
    get_timezone,
    gettext,
)
from flask_wtf.csrf import CSRFError
from jinja2_fragments.flask import render_block
from werkzeug.exceptions import HTTPException
from werkzeug.middleware.proxy_fix import ProxyFix

from . import assets, limits, models, reach, rules, zones
from .compare import word_diff
from .db import get_db
from .deadline import BodyDeadline
from .i18n import environ_language
from .models import Stage, Workshop
from .record import subject_label

T = TypeVar("T")

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
        "object-src 'none'",
        "manifest-src 'self'",
    ]
)


def is_partial_request() -> bool:
    """Tell whether htmx asked for a fragment rather than a whole page."""
    return (
        request.headers.get("HX-Request") == "true"
        and request.headers.get("HX-Boosted") != "true"
        and request.headers.get("HX-History-Restore-Request") != "true"
    )


def render(template: str, block: str | None = None, status: int = 200, **context: object):
    """Render the whole page, or only its part ``block`` when htmx asks for a fragment: a
    block of ``template``, or a template of its own (a name ending in ``.html``, as each of
    the control page's panels is)."""
    if block is not None and is_partial_request():
        if block.endswith(".html"):
            return render_template(block, **context), status
        return render_block(template, block, **context), status
    return render_template(template, **context), status


def revalidate(workshop: Workshop, viewer: str) -> None:
    """Answer 304 before any rendering when the browser already holds this live fragment.

    Call it in a fragment view right after the access check; ``viewer`` names who is
    looking (``participant:7``, ``facilitator``, ``screen``). The fragment then carries a
    weak ETag and ``Cache-Control: private, no-cache``, so the browser asks again each time.
    """
    if request.method != "GET" or not is_partial_request():
        return
    tag = fragment_etag(workshop, viewer)
    if tag is None:
        return
    g.fragment_etag = tag
    if request.if_none_match.contains_weak(tag):
        abort(Response(status=304))


def fragment_etag(workshop: Workshop, viewer: str) -> str | None:
    """Tag everything a live fragment depends on, or None when it must be drawn afresh.

    The revision covers every change the room sees (models.record_event). Beside it: who
    asks, in which language, the exact URL, this browser's CSRF secret (forms embed tokens
    from it), the hour (so embedded tokens stay young), the workshop's zone and its day (so
    times follow a change of zone and "today" stays true), the code that draws it and the
    base of its links. A running timer is drawn at render time:
    no tag while one runs.
    """
    if session.get("_flashes"):  # a pending message shows (and is used up) in the next page
        return None
    stage = models.current_stage(get_db(), workshop)
    g.tagged_stage = (_stage_key(workshop), stage)
    seconds_left = stage.seconds_left() if stage is not None else None
    if seconds_left:
        return None
    moment = datetime.now(UTC)
    zone = get_timezone()
    parts = [
        workshop.id,
        workshop.revision,
        viewer,
        str(get_locale()),
        request.full_path,
        session.get(current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token"), ""),
        seconds_left,
        moment.strftime("%Y-%m-%dT%H"),
        f"{zone}:{moment.astimezone(zone).date().isoformat()}",  # the zone's day
        code_version(current_app.root_path, current_app.template_folder),
        reach.current(),  # the base of the join links the screen shows, and its warning
    ]
    digest = hashlib.blake2s(json.dumps(parts, default=str).encode(), digest_size=12)
    return digest.hexdigest()


def current_stage(workshop: Workshop) -> Stage | None:
    """Return the workshop's current stage; a live fragment reuses the one its ETag read.

    Only a GET of a fragment reads it for the ETag (``revalidate``), before any view could
    write, so the stage held is this request's own read of this workshop at this revision.
    """
    held = g.get("tagged_stage")
    if held is not None and held[0] == _stage_key(workshop):
        return held[1]
    return models.current_stage(get_db(), workshop)


def _stage_key(workshop: Workshop) -> tuple[int, int | None, int]:
    return workshop.id, workshop.current_stage_id, workshop.revision


@cache
def code_version(*folders: object) -> str:
    """Hash the code, templates and catalogues in ``folders``, once per process."""
    digest = hashlib.blake2s(digest_size=12)
    for folder in map(Path, map(str, folders)):
        for path in sorted(folder.rglob("*")):
            if path.suffix in (".py", ".html", ".mo") and path.is_file():
                digest.update(str(path.relative_to(folder)).encode() + path.read_bytes())
    return digest.hexdigest()


def found(value: T | None) -> T:
    """Return ``value``, or answer 404 when there is none."""
    if value is None:
        abort(404)
    return value


def keyed_image(png: bytes, key: str) -> Response:
    """Answer a PNG drawn from ``key`` (its ETag); a URL naming the key (``?v=``) never
    changes its image, so the browser may keep it for a day."""
    response = Response(png, mimetype="image/png")
    response.set_etag(key)
    fixed = request.args.get("v") == key
    response.headers["Cache-Control"] = "private, max-age=86400" if fixed else "private, no-cache"
    return response.make_conditional(request)


def refuse(status: int, message: str) -> NoReturn:
    """Stop with a readable error page (or fragment) carrying ``message``."""
    abort(Response(render_error(status, message), status))


def render_error(status: int, message: str, **context: object) -> str:
    """Render the error page, or just its message for htmx."""
    template = "error.html"
    if is_partial_request():
        return render_block(template, "error_message", status=status, message=message)
    return render_template(template, status=status, message=message, **context)


def too_many_requests(wait: int, message: str, **context: object) -> Response:
    """Answer 429 with Retry-After and a readable page (``context`` can keep what was typed)."""
    response = Response(render_error(429, message, **context), 429)
    response.headers["Retry-After"] = str(wait)
    return response


def format_moment(stamp: str | None, full: bool = False) -> str:
    """Show a stored UTC timestamp in the workshop's zone: the time alone if it is today
    (unless ``full``), else the date and time."""
    if not stamp:
        return ""
    zone = get_timezone()
    moment = zones.local(stamp, zone)
    if not full and moment.date() == datetime.now(zone).date():
        return format_time(moment, "short", rebase=False)
    return format_datetime(moment, "short", rebase=False)


def format_join_code(code: str) -> str:
    """Show a join code in two easy-to-read groups: K7M-2P9."""
    return f"{code[:3]}-{code[3:]}" if len(code) == 6 else code


def _set_headers(response: Response) -> Response:
    response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = _referrer_policy()
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["Cross-Origin-Opener-Policy"] = "same-origin"
    response.headers["X-Robots-Tag"] = "noindex, nofollow"
    response.headers["Permissions-Policy"] = "camera=(), microphone=(), geolocation=()"
    if request.is_secure:
        response.headers["Strict-Transport-Security"] = "max-age=31536000"
    response.vary.add("HX-Request")
    fragment_tag = g.get("fragment_etag")
    if fragment_tag is not None and response.status_code in (200, 304):
        response.set_etag(fragment_tag, weak=True)
        response.headers["Cache-Control"] = "private, no-cache"
    if request.endpoint != "static":
        response.headers.setdefault("Cache-Control", "no-store")
    workshop = g.get("workshop")
    if workshop is not None:
        response.headers["Content-Language"] = workshop.language
    return response  # packed afterwards by Flask-Compress (assets.init_app)


def _referrer_policy() -> str:
    """Keep the facilitator link, the team lead's pulse link (and any URL we do not know)
    out of every Referer header.

    Everywhere else "same-origin": Flask-WTF refuses an HTTPS form post without a Referer.
    """
    if request.endpoint in (None, "facilitator.claim", "pulse_page.lead", "pulse_page.lead_sheet"):
        return "no-referrer"
    return "same-origin"


def _handle_csrf(error: CSRFError):
    message = gettext(
        "Your session has expired or the form was incomplete. "
        "Nothing was saved: go back, reload the page and send it again."
    )
    return render_error(400, message), 400


def _too_slow_text() -> str:
    return gettext("That took too long to arrive. Please send it again.")


def _too_slow_words(app: Flask) -> Callable[[dict], bytes]:
    """Return the words of a 408 for a request's environ, in its visitor's language,
    translated once for each language (deadline.py answers without the app)."""

    @cache
    def translated(language: str) -> bytes:
        with app.app_context(), force_locale(language):
            return _too_slow_text().encode()

    return lambda environ: translated(environ_language(environ))


def _handle_http(error: HTTPException):
    messages = {
        400: gettext("The request could not be understood."),
        403: gettext("This page is only for the workshop's facilitator."),
        404: gettext("There is nothing here. Check the link or the join code."),
        405: gettext("That action is not available here."),
        408: _too_slow_text(),
        413: gettext("That was too much text to send at once."),
        429: gettext("Too many attempts. Please wait a minute and try again."),
    }
    status = error.code or 500
    message = messages.get(status, gettext("Something went wrong on our side."))
    headers = {}
    if status == 429:  # abort(429) or werkzeug's TooManyRequests(retry_after=seconds)
        retry_after = getattr(error, "retry_after", None)
        headers["Retry-After"] = str(retry_after if isinstance(retry_after, int) else 60)
    return render_error(status, message), status, headers


class SessionInterface(SecureCookieSessionInterface):
    """Flask's signed-cookie session, marked Secure on every request that came over HTTPS."""

    def get_cookie_secure(self, app: Flask) -> bool:
        """Mark the cookie Secure when configured to, or when this request is HTTPS."""
        forced = bool(app.config["SESSION_COOKIE_SECURE"])
        return forced or (has_request_context() and request.is_secure)

    def save_session(self, app: Flask, session: SessionMixin, response: Response) -> None:
        """Save the session, except on static files: cached for a year, never personal."""
        if has_request_context() and request.endpoint == "static":
            return
        super().save_session(app, session, response)


SECRET_PATH = re.compile(r"/f/[^\s?#\"'/]+")


def redact(text: str) -> str:
    """Replace the secret in any facilitator link inside ``text``."""
    return SECRET_PATH.sub("/f/[redacted]", text)


class RedactSecrets(logging.Filter):
    """Keep facilitator links out of log lines (Werkzeug's, gunicorn's access log, ours)."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Rewrite the record's message and arguments; never drop the record."""
        if isinstance(record.msg, str):
            record.msg = redact(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(redact(a) if isinstance(a, str) else a for a in record.args)
        elif isinstance(record.args, dict):
            record.args = {
                k: redact(v) if isinstance(v, str) else v for k, v in record.args.items()
            }
        return True


REDACT_SECRETS = RedactSecrets()
REDACTED_LOGGERS = ("werkzeug", "gunicorn.access", "gunicorn.error")


def _install_security(app: Flask) -> None:
    """Secure cookies on HTTPS, the proxy's view of the client when trusted, clean logs, and
    a deadline for each request's body."""
    app.session_interface = SessionInterface()
    app.wsgi_app = BodyDeadline(
        app.wsgi_app, app.config["MAX_CONTENT_LENGTH"], _too_slow_words(app)
    )
    hops = int(app.config.get("PROXY_FIX") or 0)
    if hops > 0:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)
    for logger in (app.logger, *map(logging.getLogger, REDACTED_LOGGERS)):
        if REDACT_SECRETS not in logger.filters:
            logger.addFilter(REDACT_SECRETS)
    limits.init_app(app)


def init_app(app: Flask) -> None:
    """Install headers, error pages, security settings and template helpers."""
    _install_security(app)
    assets.init_app(app)
    app.after_request(_set_headers)
    app.register_error_handler(CSRFError, _handle_csrf)
    app.register_error_handler(HTTPException, _handle_http)
    app.add_template_filter(format_join_code, "join_code")
    app.add_template_filter(format_moment, "moment")
    app.add_template_global(rules, "rules")  # the limits, for hints: rules.ANSWER_MAX
    app.add_template_global(reach.current, "phone_reach")
    app.add_template_global(word_diff)
    app.add_template_global(subject_label)


def qr_svg(url: str) -> bytes:
    """Draw a QR code for ``url`` as SVG, the same way wherever Credo shows one."""
    buffer = io.BytesIO()
    segno.make(url, error="m").save(buffer, kind="svg", scale=10, border=4, xmldecl=False)
    return buffer.getvalue()
