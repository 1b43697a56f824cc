"""Languages and time zones: the workshop's language and zone govern its pages; elsewhere
the visitor's language and that language's default zone."""

from functools import cache
from zoneinfo import ZoneInfo

from babel.support import Translations
from flask import Flask, g, request, session
from flask_babel import Babel, get_locale
from werkzeug.datastructures import LanguageAccept
from werkzeug.http import parse_accept_header, parse_cookie
from wtforms.i18n import messages_path

from . import zones

LANGUAGES = {"pl": "Polski", "en": "English"}
# Pages read on people's own phones, in the language each chose: the staff's, and the
# clients' feedback page (which never sets the workshop, so it follows the phone's own).
PHONE_BLUEPRINTS = ("participant", "feedback")


def select_locale() -> str:
    """Pick the language: a phone's own choice on its pages, else the workshop's, else ours."""
    chosen = session.get("phone_language")
    if request.blueprint in PHONE_BLUEPRINTS and chosen in LANGUAGES:
        return chosen
    workshop = g.get("workshop")
    if workshop is not None:
        return workshop.language
    chosen = request.cookies.get("lang")
    if chosen in LANGUAGES:
        return chosen
    return request.accept_languages.best_match(list(LANGUAGES)) or "pl"


def environ_language(environ: dict) -> str:
    """Pick the language of a request the app never sees (deadline.py's answers): the
    visitor's chosen one, else their browser's, else ours."""
    chosen = parse_cookie(environ).get("lang")
    if chosen in LANGUAGES:
        return chosen
    accepted = parse_accept_header(environ.get("HTTP_ACCEPT_LANGUAGE"), LanguageAccept)
    return accepted.best_match(list(LANGUAGES)) or "pl"


def select_timezone() -> ZoneInfo:
    """Pick the zone dates are shown in: the workshop's, else the default for the language."""
    workshop = g.get("workshop")
    if workshop is not None:
        return zones.workshop_zone(workshop)
    return ZoneInfo(zones.default_zone(str(get_locale())))


@cache
def _wtforms_catalog(language: str) -> Translations:
    return Translations.load(messages_path(), [language], domain="wtforms")


def wtforms_translations() -> Translations:
    """WTForms' own messages ("This field is required." …) in the page's language, each
    catalog read once per process: Flask-WTF reads it again on every request (parsing the
    file was a twentieth of a room's busiest request, a phone's answer)."""
    return _wtforms_catalog(str(get_locale()))


def init_app(app: Flask, babel: Babel) -> None:
    """Bind Flask-Babel with Credo's locale and time zone rules."""
    zones.check_configured(app.config.get("TIMEZONE"))
    babel.init_app(app, locale_selector=select_locale, timezone_selector=select_timezone)
    app.jinja_env.globals["get_locale"] = get_locale
    app.jinja_env.globals["languages"] = LANGUAGES
