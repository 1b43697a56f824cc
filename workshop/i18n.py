"""Languages: the workshop's language governs its pages; elsewhere the visitor's choice."""

from flask import Flask, g, request, session
from flask_babel import Babel, get_locale

LANGUAGES = {"pl": "Polski", "en": "English"}


def select_locale() -> str:
    """Pick the language: a phone's own choice on its pages, else the workshop's, else ours."""
    chosen = session.get("phone_language")
    if request.blueprint == "participant" and chosen in LANGUAGES:
        return chosen
    workshop = g.get("workshop")
    if workshop is not None:
        return workshop.language
    chosen = request.cookies.get("lang")
    if chosen in LANGUAGES:
        return chosen
    return request.accept_languages.best_match(list(LANGUAGES)) or "pl"


def init_app(app: Flask, babel: Babel) -> None:
    """Bind Flask-Babel with Credo's locale rule."""
    babel.init_app(app, locale_selector=select_locale)
    app.jinja_env.globals["get_locale"] = get_locale
    app.jinja_env.globals["languages"] = LANGUAGES
