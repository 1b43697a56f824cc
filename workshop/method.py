"""The workshop method: the stages a new workshop starts with, and the optional ones.

The optional questions come from the seed method (a clinic that built patients' trust):
competences, character, leading by example, seeking feedback, winning trust back.
"""

from flask_babel import force_locale, gettext
from flask_babel import lazy_gettext as _l

TEMPLATES = {
    "mission": _l("Mission workshop: three questions, principles, mission"),
    "trust": _l("Mission and trust: the three questions plus the five trust questions"),
}


def give_question() -> str:
    """Return the title of the question "What do we give others?", in this locale (clients'
    comments become its answers when next year's workshop starts from their feedback)."""
    return gettext("What do we give others?")


def _core_questions() -> list[tuple[str, str, str]]:
    return [
        (
            "question",
            gettext("Why do we exist?"),
            gettext("What would be missing if our team did not exist?"),
        ),
        (
            "question",
            give_question(),
            gettext("What do people take with them after meeting us?"),
        ),
        (
            "question",
            gettext("Whom do we serve?"),
            gettext("Who are the people we work for, and who depends on us?"),
        ),
    ]


def _closing_stages() -> list[tuple[str, str, str]]:
    return [
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


def optional_stages() -> dict[str, tuple[str, str, str]]:
    """Return the seed method's extra questions, keyed by a short name, in this locale."""
    return {
        "competences": (
            "question",
            gettext("Which competences do we need to earn trust?"),
            gettext("What must we know and be able to do so that people trust us?"),
        ),
        "character": (
            "question",
            gettext("Which traits make people feel safe with us?"),
            gettext("Think of honesty, patience, keeping promises. What matters most here?"),
        ),
        "example": (
            "question",
            gettext("How do we set the example?"),
            gettext("How do leaders, and each of us, show colleagues the way we want to work?"),
        ),
        "feedback": (
            "question",
            gettext("How do we seek feedback?"),
            gettext("How do we learn what patients and clients really think of us?"),
        ),
        "recovery": (
            "question",
            gettext("How do we win back lost trust?"),
            gettext("Someone left upset. What do we do, step by step, so they come back?"),
        ),
        "routine": routine_stage(),
    }


def routine_steps() -> list[str]:
    """Return the seed method's five steps with an upset client, in this locale."""
    return [
        gettext("Listen without interrupting."),
        gettext("Listen to understand, not to answer."),
        gettext("See it from their side."),
        gettext("Put it right and apologise."),
        gettext("Ask whether they will come back to us."),
    ]


def routine_stage() -> tuple[str, str, str]:
    """Return the optional stage where the team words its trust-recovery routine."""
    return (
        "routine",
        gettext("Our routine for winning back trust"),
        gettext("Five steps with an upset patient or client, in our own words."),
    )


def template_stages(template: str, language: str) -> list[tuple[str, str, str]]:
    """Return a template's (kind, title, prompt) stages, worded in ``language``."""
    with force_locale(language):
        if template != "trust":
            return _core_questions() + _closing_stages()
        extra = [stage for stage in optional_stages().values() if stage[0] == "question"]
        principles, *drafting = _closing_stages()
        return _core_questions() + extra + [principles, routine_stage(), *drafting]


def default_stages(language: str) -> list[tuple[str, str, str]]:
    """Return the default template's stages, worded in ``language``."""
    return template_stages("mission", language)


# The mission builder's scaffold sentence --------------------------------------------------


def compose_statement(language: str, why: str, whom: str, how: str) -> str:
    """Fill the scaffold sentence, worded and punctuated in the workshop's language.

    The purpose ("to …", "aby …") is closed by a comma and "for …" set off by commas, so
    the parts cannot run into each other ("w kolejce dla rodzin").
    """
    with force_locale(language):
        return gettext(
            "We exist to %(why)s, for %(whom)s, by %(how)s.",
            why=_slot(why, SLOT_WORDS["why"]),
            whom=_slot(whom, SLOT_WORDS["whom"]),
            how=_slot(how, SLOT_WORDS["how"]),
        )


# The scaffold's own words before each part, dropped when a typed part repeats them.
SLOT_WORDS = {
    "why": ("to", "aby", "żeby", "by"),
    "whom": ("for", "dla"),
    "how": ("by", "poprzez", "przez"),
}


def _slot(text: str, lead: tuple[str, ...] = ()) -> str:
    """Fit a typed answer into the middle of a sentence."""
    text = text.strip().rstrip(".!?,;:").strip()
    first, _, rest = text.partition(" ")
    if rest and first.lower() in lead:
        text = rest.strip()
    if len(text) > 1 and text[0].isupper() and not text[1].isupper():
        text = text[0].lower() + text[1:]
    return text
