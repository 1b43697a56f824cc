"""The workshop method: the stages a new workshop starts with."""

from flask_babel import force_locale, gettext


def default_stages(language: str) -> list[tuple[str, str, str]]:
    """Return the default (kind, title, prompt) stages, worded in ``language``."""
    with force_locale(language):
        return [
            (
                "question",
                gettext("Why do we exist?"),
                gettext("What would be missing if our team did not exist?"),
            ),
            (
                "question",
                gettext("What do we give others?"),
                gettext("What do people take with them after meeting us?"),
            ),
            (
                "question",
                gettext("Whom do we serve?"),
                gettext("Who are the people we work for, and who depends on us?"),
            ),
            (
                "principles",
                gettext("Our principles"),
                gettext("Name a value, and one line on how it shows in our daily work."),
            ),
            (
                "mission",
                gettext("Our mission"),
                gettext("Together we put our answers into one statement."),
            ),
            ("agreed", gettext("Agreed"), gettext("This is what we stand for.")),
        ]
