"""The word filter: answers with abusive words are held for the facilitator's review.

Flagged answers are never deleted silently: they wait, out of the room's sight, until
the facilitator approves or hides them. Matching folds case and Polish diacritics and
looks at word beginnings, so inflected forms ("kurwa", "kurwy") and phone typing
without diacritics ("chuj", "ch*j" is left to the human) are both caught.
"""

import re
import unicodedata

from .words import fold_diacritics

# Word beginnings, already folded (lower case, no diacritics). Kept short on purpose:
# a false alarm costs the facilitator one tap, a missed slur costs the room more.
_STEMS_PL = (
    "kurw",
    "wkurw",
    "popierdol",
    "rozpierdol",
    "odpierdol",
    "napierdal",
    "zapierdal",
    "przejeb",
    "skurw",
    "chuj",
    "huj",
    "pierdol",
    "pierdziel",
    "spierdal",
    "wypierdal",
    "zajeb",
    "pojeb",
    "wyjeb",
    "jeban",
    "jebac",
    "jebie",
    "jebany",
    "pizd",
    "cip",
    "dupek",
    "debil",
    "kretyn",
    "idiot",
    "frajer",
    "szmat",
    "dziwk",
    "ciota",
    "cioty",
    "spierdol",
    "gowno",
    "gowna",
    "gownem",
    "gownu",
    "gowien",
    "gowni",
    "zasran",
    "sukinsyn",
)
_STEMS_EN = (
    "fuck",
    "motherfuck",
    "shit",
    "bullshit",
    "cunt",
    "bitch",
    "asshole",
    "arsehole",
    "bastard",
    "dickhead",
    "wanker",
    "twat",
    "slut",
    "whore",
    "retard",
    "faggot",
    "moron",
    "idiot",
    "stupid",
)
_STEMS = _STEMS_PL + _STEMS_EN
_WORD = re.compile(r"[^\W\d_]+")


def fold(text: str) -> str:
    """Lower-case ``text`` and drop Polish diacritics, as the word counts do."""
    return fold_diacritics(unicodedata.normalize("NFC", text).casefold())


def flagged_words(text: str) -> list[str]:
    """Return the words of ``text`` that the filter flags, as typed."""
    return [
        match.group()
        for match in _WORD.finditer(unicodedata.normalize("NFC", text))
        if fold(match.group()).startswith(_STEMS)
    ]


def needs_review(text: str) -> bool:
    """Tell whether an answer should wait for the facilitator before the room sees it."""
    return bool(flagged_words(text))
