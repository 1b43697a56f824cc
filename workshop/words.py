"""The frequent words of a stage's answers, for the word cloud and the ranked word list.

Polish- and English-aware, and deliberately simple. Words are grouped under a key that is
case-folded, stripped of Polish diacritics (phones often drop them) and cut down by a short
list of common endings, so "Pacjenci", "pacjentów" and "pacjenta" count as one word, as do
"patient" and "patients". That ending list is a light suffix stripper, not a stemmer or a
lemmatiser: it misses irregular forms and now and then groups two related words (an
adjective with its noun, say), which a word cloud can live with. Each group is shown as the
form people typed most often, with its diacritics.
"""

import re
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

MIN_LETTERS = 3
# Shorter stems stop being recognisable words, and short words are where stripping errs.
MIN_STEM = 4

LETTER = r"[^\W\d_]"
WORD = re.compile(rf"{LETTER}+(?:['-]{LETTER}+)*")
PUNCTUATION_VARIANTS = str.maketrans({"’": "'", "‘": "'", "ʼ": "'", "‐": "-", "‑": "-"})
POLISH_DIACRITICS = str.maketrans("ąćęłńóśźż", "acelnoszz")

POLISH_STOP_WORDS = """
    a aby ach acz aczkolwiek aj albo ale ależ ani aż bardziej bardzo bez bo bowiem by być był
    była było byli były bym będzie będą będziemy cała cali cały chce chcemy chcą ci cię ciebie
    co coraz coś czy czyli często dla dlaczego dlatego do dobrze dokąd dość dużo dwa dwie dziś
    dzięki gdy gdyby gdyż gdzie go i ich ile im inna inne inny innych innym innymi iż ja ją jak
    jaka jakaś jakby jaki jakie jakiś jako je jeden jedna jedno jednak jego jej jemu jest
    jestem jesteś jesteśmy jeszcze jeśli jeżeli już każda każde każdego każdej każdy każdym
    kiedy kilka kto ktoś która które którego której który których którym którzy ku lub ma mają
    mam mamy mi mieć mimo mnie mną mogą możemy może można mu my na nad nam nami nas nasi nasz
    nasza nasze naszego naszej naszych naszym naszymi naszą natomiast nawet nic nich nie niech
    niego niej niemu nigdy nim nimi niż no o obok od około on ona one oni ono oraz oto po pod
    podczas ponieważ poza przed przez przy przecież również sam sama sami samo się skąd sobie
    sobą swoi swoich swoim swoja swoje swoją swój są ta tak taka taki takie także tam te tego
    tej temu ten teraz też to tobie toteż trzeba tu tutaj ty tych tylko tym tymi tą tę u w wam
    was wasz wasza wasze we według więc więcej wiele wielu właśnie wszyscy wszystkich
    wszystkie wszystkim wszystko wszystkiego z za zawsze ze żaden żadna żadne że żeby np itd itp
"""

ENGLISH_STOP_WORDS = """
    a about above after again against all also always am among an and any are aren't as at be
    because been before being below between both but by can can't cannot could couldn't did
    didn't do does doesn't doing don't down during each even every few for from further get
    gets got had hadn't has hasn't have haven't having he he's her here hers herself him
    himself his how i i'm i've if in into is isn't it it's its itself just let's many me more
    most much must my myself no nor not now of off on once only or other others our ours
    ourselves out over own same she should shouldn't so some such than that that's the their
    theirs them themselves then there there's these they they're they've this those through
    to too under until up upon us very via was wasn't we we'd we'll we're we've were weren't
    what what's when where which while who who's whom whose why will with within without
    won't would wouldn't you you're you've your yours yourself yourselves
    dont doesnt didnt isnt arent cant couldnt wouldnt shouldnt youre theyre weve ive im
"""


def fold_diacritics(word: str) -> str:
    """Replace Polish letters with their plain Latin counterparts."""
    return word.translate(POLISH_DIACRITICS)


STOP_WORDS = frozenset(fold_diacritics(w) for w in (POLISH_STOP_WORDS + ENGLISH_STOP_WORDS).split())

# Longest first; each is (ending, replacement). Polish noun and adjective endings, a few
# verb endings common in answers ("wspieramy", "wspierać"), and soft stems: "pacjenci" →
# "pacjent" and "szacunek" → "szacunk" (the e that drops in "szacunku").
ENDINGS = (
    ("ncie", "nt"),
    ("owie", ""),
    ("nci", "nt"),
    ("owi", ""),
    ("ami", ""),
    ("ach", ""),
    ("iem", ""),
    ("ego", ""),
    ("emu", ""),
    ("ych", ""),
    ("ich", ""),
    ("ymi", ""),
    ("imi", ""),
    ("aja", ""),
    ("amy", ""),
    ("emy", ""),
    ("imy", ""),
    ("ymy", ""),
    ("ow", ""),
    ("om", ""),
    ("em", ""),
    ("ej", ""),
    ("ym", ""),
    ("im", ""),
    ("mi", ""),
    ("ie", ""),
    ("ia", ""),
    ("iu", ""),
    ("ii", ""),
    ("ac", ""),
    ("ic", ""),
    ("yc", ""),
    ("ek", "k"),
    ("a", ""),
    ("e", ""),
    ("i", ""),
    ("o", ""),
    ("u", ""),
    ("y", ""),
)
VOWELS = frozenset("aeiouy")


@dataclass(frozen=True, slots=True)
class WordCount:
    """One frequent word: the form to show, how often it occurs, and its share of the top."""

    word: str
    count: int
    weight: float


def card_words(cards: Iterable, limit: int = 30) -> list[WordCount]:
    """Count the words of the visible answers on a board's cards, merged ones included."""
    return frequent_words(
        (
            f"{item.body}\n{item.detail}"
            for card in cards
            for item in (card.contribution, *card.merged)
            if item.is_visible
        ),
        limit=limit,
    )


def frequent_words(texts: Iterable[str], limit: int = 30) -> list[WordCount]:
    """Return the ``limit`` most frequent words of ``texts``, most frequent first."""
    forms_by_key: defaultdict[str, Counter[str]] = defaultdict(Counter)
    for text in texts:
        for form, key in counted_words(text):
            forms_by_key[key][form] += 1
    if not forms_by_key or limit <= 0:
        return []
    counted = [(display_form(forms), forms.total()) for forms in forms_by_key.values()]
    counted.sort(key=lambda pair: (-pair[1], fold_diacritics(pair[0]), pair[0]))
    top = counted[0][1]
    return [WordCount(word, count, count / top) for word, count in counted[:limit]]


@lru_cache(maxsize=8192)
def counted_words(text: str) -> tuple[tuple[str, str], ...]:
    """Return each counted word of ``text`` as typed, with the key it is counted under."""
    # Cached: the screen counts the same answers again on every live refresh.
    pairs = []
    for form in typed_words(text):
        folded = fold_diacritics(form)
        if folded not in STOP_WORDS:
            pairs.append((form, strip_endings(folded)))
    return tuple(pairs)


def typed_words(text: str) -> list[str]:
    """Split ``text`` into lower-case words of at least three letters, as they were typed."""
    text = unicodedata.normalize("NFC", text).translate(PUNCTUATION_VARIANTS)
    words = []
    for match in WORD.finditer(text):
        word = unicodedata.normalize("NFC", match.group().casefold())
        # Contractions like "don't" are stop words whole; "patient's" counts as "patient".
        if word not in STOP_WORDS and word.endswith("'s"):
            word = word[:-2]
        if sum(char.isalpha() for char in word) >= MIN_LETTERS:
            words.append(word)
    return words


def strip_endings(word: str) -> str:
    """Cut common Polish and English endings off a folded word until none applies."""
    # Repeating lets stacked endings go one at a time: "pracować" → "pracow" → "prac".
    while True:
        stripped = strip_one_ending(word)
        if stripped == word:
            return word
        word = stripped


def strip_one_ending(word: str) -> str:
    """Cut one ending off ``word`` (English ones first), or return it unchanged."""
    # The stem needs a vowel ("thing", "red") and must not end in e ("speed", "seeing").
    for ending in ("ing", "ed"):
        stem = word.removesuffix(ending)
        if stem != word and len(stem) >= 3 and VOWELS & set(stem) and not stem.endswith("e"):
            return restore_english_stem(stem)
    if word.endswith("s") and not word.endswith(("ss", "us", "is")) and len(word) > MIN_STEM:
        return word[:-1]
    for ending, replacement in ENDINGS:
        if word.endswith(ending):
            stem = word[: -len(ending)] + replacement
            if len(stem) >= MIN_STEM:
                return stem
    return word


def restore_english_stem(stem: str) -> str:
    """Undo the doubled consonant or the dropped e of an -ing/-ed form."""
    if len(stem) >= 2 and stem[-1] == stem[-2] and stem[-1] not in VOWELS | set("lsz"):
        return stem[:-1]  # planning → plan
    if len(stem) < MIN_STEM:
        return stem + "e"  # caring → care
    return stem


def display_form(forms: Counter[str]) -> str:
    """Pick the form to show: the most typed, then the shortest, then the one with diacritics."""
    # On a tie the shortest is usually the base form ("pacjent" over "pacjentów"), and the
    # spelling with diacritics is usually what a phone keyboard failed to type.
    return min(
        forms,
        key=lambda form: (-forms[form], len(form), -count_diacritics(form), form),
    )


def count_diacritics(word: str) -> int:
    """Count the letters that diacritic folding would change."""
    return sum(a != b for a, b in zip(word, fold_diacritics(word), strict=True))
