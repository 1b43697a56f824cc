"""Every refusal in words, once, for each audience: the staff phone and the facilitator.

The models refuse a change with ``Refused("<reason>")``; the views turn the reason into
words here, with ``for_phone(reason)`` or ``for_facilitator(reason)``. A reason with no
words of its own for a phone uses the facilitator's; a reason unknown here still gets a
generic sentence, never an error page. ``tests/test_i18n.py`` checks that every reason
raised in ``workshop/`` has words in Polish and English.
"""

from dataclasses import dataclass

from flask_babel import gettext, ngettext
from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString

from .rules import (
    EXPECTED_PEOPLE_RANGE,
    MAX_ANSWERS_PER_PERSON,
    MAX_DRAFTS,
    MAX_DRAFTS_PER_PERSON,
    MAX_ON_BEHALF_PER_STAGE,
    MAX_PENDING_AMENDMENTS,
    MAX_PENDING_AMENDMENTS_PER_PERSON,
    MAX_STAGES,
    MAX_THEMES_PER_STAGE,
    MAX_WAITING,
    MIN_ANSWERS_RANGE,
    MISSION_WORDS,
    PRINCIPLE_COUNT,
    RECORD_PDF_MAX_ANSWERS,
    THRESHOLD_RANGE,
    TIMER_MINUTES_RANGE,
    VOTE_BUDGET_RANGE,
    word_count,
)

PHONE = "phone"
FACILITATOR = "facilitator"
AUDIENCES = (PHONE, FACILITATOR)


@dataclass(frozen=True)
class Words:
    """What each audience reads for one reason; ``phone`` None: the facilitator's words."""

    facilitator: LazyString  # made into text in the request's language
    phone: LazyString | None = None


REFUSALS: dict[str, Words] = {
    # Joining
    "joining-locked": Words(
        _l("Joining is closed: new phones cannot join this workshop."),
        phone=_l("The facilitator has closed joining for this workshop."),
    ),
    "removed": Words(
        _l("This person was removed from the workshop."),
        phone=_l("Your session in this workshop has ended."),
    ),
    "waiting-full": Words(
        _l(
            "%(max)d phones are already waiting for your approval; refuse them to make room.",
            max=MAX_WAITING,
        ),
        phone=_l(
            "Many phones are already waiting to join. Please ask the facilitator, "
            "then scan the code again."
        ),
    ),
    "join-decided": Words(_l("This phone was already let in or turned away.")),
    "bad-expected": Words(
        _l(
            "Choose between %(min)d and %(max)d people, or leave it empty.",
            min=EXPECTED_PEOPLE_RANGE[0],
            max=EXPECTED_PEOPLE_RANGE[1],
        )
    ),
    # Stages and answers
    "too-many-stages": Words(_l("A workshop can have at most %(max)d stages.", max=MAX_STAGES)),
    "no-neighbour": Words(_l("That stage cannot move further.")),
    "fixed-stage": Words(_l("The mission and agreement stages belong to every workshop.")),
    "current-stage": Words(_l("Move everyone to another stage before removing this one.")),
    "stage-closed": Words(
        _l("This question is not taking answers."),
        phone=_l(
            "This question has closed. Your text is still here: copy it if you want to keep it."
        ),
    ),
    "time-up": Words(
        _l("Time is up for this question."),
        phone=_l(
            "Time is up for this question. Your text is still here: copy it if you want to keep it."
        ),
    ),
    "stage-moved": Words(  # not from the models: the phone showed another question
        _l("The question changed in the meantime."),
        phone=_l(
            "The question changed while you were writing, so this was not sent. Your text is "
            "still here: check it fits the new question and send it again."
        ),
    ),
    "too-many-mine": Words(
        _l(
            "This person has sent the most answers allowed for this question (%(max)d).",
            max=MAX_ANSWERS_PER_PERSON,
        ),
        phone=_l(
            "You have sent the most answers allowed for this question (%(max)d).",
            max=MAX_ANSWERS_PER_PERSON,
        ),
    ),
    "too-many-stage": Words(_l("This question has all the answers it can take.")),
    "too-many-on-behalf": Words(
        _l(
            "You have entered the most answers allowed for others on this question (%(max)d).",
            max=MAX_ON_BEHALF_PER_STAGE,
        )
    ),
    "same-card": Words(_l("An answer cannot be merged into itself.")),
    "not-found": Words(
        _l("That answer or theme is no longer there."),
        phone=_l("This answer is no longer on the board."),
    ),
    "too-many-themes": Words(
        _l("A question can have at most %(max)d themes.", max=MAX_THEMES_PER_STAGE)
    ),
    "bad-timer": Words(
        _l(
            "Choose between %(min)d and %(max)d minutes.",
            min=TIMER_MINUTES_RANGE[0],
            max=TIMER_MINUTES_RANGE[1],
        )
    ),
    "no-timer": Words(_l("No timer is running.")),
    "bad-time-zone": Words(_l("Choose a time zone from the list, such as Europe/Warsaw.")),
    # Dot voting
    "bad-budget": Words(
        _l(
            "Choose between %(min)d and %(max)d dots.",
            min=VOTE_BUDGET_RANGE[0],
            max=VOTE_BUDGET_RANGE[1],
        )
    ),
    "voting-closed": Words(
        _l("Voting is not open on this question."),
        phone=_l("Voting has closed: this dot was not counted."),
    ),
    "no-dots-left": Words(
        _l("No dots left: take one back first."),
        phone=_l(
            "You have used all your dots. To move one, take it back from another answer first."
        ),
    ),
    "one-per-answer": Words(
        _l("One dot per answer in this vote."),
        phone=_l("In this vote each answer can have only one of your dots."),
    ),
    "no-dot-here": Words(
        _l("There is no dot of theirs on this answer."),
        phone=_l("You have no dot on this answer to take back."),
    ),
    # Drafts, versions and amendments
    "agreed": Words(
        _l("This is agreed and locked. Reopen it to change it."),
        phone=_l(
            "This text has been agreed and is locked. Your text is still here: "
            "copy it if you want to keep it."
        ),
    ),
    "unchanged": Words(
        _l("The wording is the same as the current version."),
        phone=_l("This is the same as the current wording. Change something first."),
    ),
    "outdated": Words(
        _l("There is a newer version of this draft: change that one."),
        phone=_l(
            "A newer version arrived while you were writing. Your text is still here: "
            "check it against the new version and send it again."
        ),
    ),
    "decided": Words(_l("This suggestion has already been decided.")),
    "proposals-closed": Words(
        _l("Phones are not taking drafts right now."),
        phone=_l(
            "The facilitator is not taking drafts from phones right now. Your text is still "
            "here: copy it if you want to keep it."
        ),
    ),
    "too-many-drafts": Words(
        _l("There can be at most %(max)d drafts.", max=MAX_DRAFTS),
        phone=_l(
            "The workshop has as many drafts as it can take. "
            "Suggest a change to one of them instead."
        ),
    ),
    "too-many-drafts-mine": Words(
        _l(
            "This person has proposed the most drafts allowed (%(max)d).", max=MAX_DRAFTS_PER_PERSON
        ),
        phone=_l(
            "You have proposed the most drafts allowed (%(max)d). "
            "Suggest a change to one of them instead: your text is still here.",
            max=MAX_DRAFTS_PER_PERSON,
        ),
    ),
    "too-many-amendments-mine": Words(
        _l(
            "This person has the most suggested changes waiting (%(max)d).",
            max=MAX_PENDING_AMENDMENTS_PER_PERSON,
        ),
        phone=_l(
            "%(max)d of your suggested changes are waiting for the facilitator. Send this one "
            "when some have been decided: your text is still here.",
            max=MAX_PENDING_AMENDMENTS_PER_PERSON,
        ),
    ),
    "too-many-amendments": Words(
        _l(
            "%(max)d suggested changes are waiting: accept or decline some first.",
            max=MAX_PENDING_AMENDMENTS,
        ),
        phone=_l(
            "Many suggested changes are waiting for the facilitator. Send yours when some "
            "have been decided: your text is still here."
        ),
    ),
    "record-too-large": Words(
        _l(
            "This workshop has more than %(max)d answers: too many for one PDF report. "
            "Download the record as CSV, Markdown or JSON instead.",
            max=RECORD_PDF_MAX_ANSWERS,
        )
    ),
    "draft-withdrawn": Words(
        _l("This draft has been withdrawn."),
        phone=_l(
            "The facilitator has withdrawn this draft. Your text is still here: "
            "copy it if you want to keep it."
        ),
    ),
    "draft-in-round": Words(_l("A round is open on this draft: close or cancel it first.")),
    # Consensus rounds
    "round-open": Words(_l("Close the open round first: one round at a time.")),
    "round-closed": Words(
        _l("This round is closed."),
        phone=_l(
            "This round has closed, so your answer was not counted. "
            "If a new round is open, answer it here."
        ),
    ),
    "bad-level": Words(_l("Choose one of the five answers.")),
    "reason-needed": Words(_l("A block needs a reason: what would have to change?")),
    "bad-threshold": Words(
        _l(
            "Choose between %(min)d and %(max)d %%.",
            min=THRESHOLD_RANGE[0],
            max=THRESHOLD_RANGE[1],
        )
    ),
    "bad-min-answers": Words(
        _l(
            "Choose between %(min)d and %(max)d.",
            min=MIN_ANSWERS_RANGE[0],
            max=MIN_ANSWERS_RANGE[1],
        )
    ),
    "mission-length": Words(
        _l(
            "A mission for the poster has %(min)d to %(max)d words.",
            min=MISSION_WORDS[0],
            max=MISSION_WORDS[1],
        )
    ),
    "principle-count": Words(
        _l(
            "Agree on %(min)d to %(max)d principles.",
            min=PRINCIPLE_COUNT[0],
            max=PRINCIPLE_COUNT[1],
        )
    ),
    # Clients' feedback (the phone's words are the client's)
    "bad-rating": Words(_l("Choose how it went today: tap one of the five faces.")),
    "feedback-too-quick": Words(
        _l("That was very quick. Please check your answers, then tap Send again.")
    ),
    "feedback-too-many": Words(
        _l("Many answers came from here in the last hour. Please try again later.")
    ),
    "feedback-refused": Words(
        _l("This form could not be sent. Please reload the page and try again.")
    ),
    # Cases: a way back when trust is lost (only the team sees them)
    "bad-step": Words(_l("There is no such step in the routine.")),
    "case-closed": Words(_l("This case is closed: its steps can no longer change.")),
    "case-no-outcome": Words(
        _l("Answer the last step first: does the client keep coming to us?")
    ),
    # The team's pulse
    "no-such-feedback": Words(_l("That comment is not in this workshop's feedback.")),
}


def refusal(reason: str, audience: str = FACILITATOR) -> str:
    """Say in the user's language why the workshop's rules refused an action."""
    words = REFUSALS.get(reason)
    if words is None:
        return gettext("That is not possible right now.")
    if audience == PHONE and words.phone is not None:
        return str(words.phone)
    return str(words.facilitator)


def for_phone(reason: str) -> str:
    """Words for a staff phone."""
    return refusal(reason, PHONE)


def for_facilitator(reason: str) -> str:
    """Words for the facilitator's control page."""
    return refusal(reason, FACILITATOR)


def mission_too_long(text: str) -> str | None:
    """Say why a mission draft is refused when it is saved: too many words for the poster."""
    words, high = word_count(text), MISSION_WORDS[1]
    if words <= high:
        return None
    return gettext(
        "The mission fits the poster at up to %(max)d words; it has %(num)d.", max=high, num=words
    )


def agreement_problems(mission: str, principle_count: int) -> list[str]:
    """List what keeps this mission and these principles from going on the poster."""
    problems = []
    words = word_count(mission)
    low, high = MISSION_WORDS
    if words < low:
        problems.append(
            ngettext(
                "The mission needs at least %(min)d words; it has %(num)d word.",
                "The mission needs at least %(min)d words; it has %(num)d words.",
                words,
                min=low,
            )
        )
    elif words > high:
        problems.append(
            gettext(
                "The mission fits the poster at up to %(max)d words; it has %(num)d.",
                max=high,
                num=words,
            )
        )
    return problems + principle_problems(principle_count)


def principle_problems(principle_count: int) -> list[str]:
    """List what keeps this many principles from the poster and the staff card."""
    low, high = PRINCIPLE_COUNT
    if low <= principle_count <= high:
        return []
    return [
        gettext(
            "Agree on %(min)d to %(max)d principles; there are %(num)d.",
            min=low,
            max=high,
            num=principle_count,
        )
    ]
