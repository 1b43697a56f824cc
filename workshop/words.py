"""The frequent words of a stage's answers, for the word cloud and the ranked word list.

Polish- and English-aware. Each word is counted under its dictionary form, looked up in
simplemma's Polish and English dictionaries, so "dzieci", "dziecka" and "dziećmi" count as
one word, as do "patients" and "patient" or "caring" and "cared". Phones often drop Polish
letters: a word neither dictionary knows is looked up again with them put back ("sluchamy"
→ "słuchamy"), and every key is folded to plain letters, so both spellings count together.
Stop words are dropped: stopwords-iso's Polish list and a short English one as typed, and
every form of a pronoun or a light verb (być, mieć, czuć, znać, dawać…; be, have, feel,
know…) by its dictionary form (workshop/stopwords.py). Each group is shown as the form
people typed most often, with its diacritics. tests/word_labels.tsv measures all this.

The dictionaries take about 3 s of CPU and 50 MB to load, so they load once per process,
in a background thread that the first count starts: the control page and the projector
count as soon as they open, long before answers come. A count that needs them before the
load has finished waits for it.
"""

import itertools
import re
import threading
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache

from . import offload, stopwords

MIN_LETTERS = 3
LANGUAGES = ("pl", "en")  # looked up in this order: a word both know is taken as Polish
# A word typed without Polish letters is looked up with up to this many put back, trying
# at most MAX_SPELLINGS spellings (about 0.5 ms; "zyczliwosc" finds "życzliwość" at the 82nd).
MAX_RESTORED = 3
MAX_SPELLINGS = 100

LETTER = r"[^\W\d_]"
WORD = re.compile(rf"{LETTER}+(?:['-]{LETTER}+)*")
PUNCTUATION_VARIANTS = str.maketrans({"’": "'", "‘": "'", "ʼ": "'", "‐": "-", "‑": "-"})
POLISH_DIACRITICS = str.maketrans("ąćęłńóśźż", "acelnoszz")
# Each plain letter with the Polish letters a phone may have typed it for.
POLISH_LETTERS = {"a": "ą", "c": "ć", "e": "ę", "l": "ł", "n": "ń", "o": "ó", "s": "ś", "z": "żź"}


def fold_diacritics(word: str) -> str:
    """Replace Polish letters with their plain Latin counterparts."""
    return word.translate(POLISH_DIACRITICS)


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
            for item in (card.answer, *card.merged)
            if item.is_visible
        ),
        limit=limit,
    )


def frequent_words(texts: Iterable[str], limit: int = 30) -> list[WordCount]:
    """Return the ``limit`` most frequent words of ``texts``, most frequent first."""
    load_in_background()
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
        key = word_key(form)
        if key is not None:
            pairs.append((form, key))
    return tuple(pairs)


def typed_words(text: str) -> list[str]:
    """Split ``text`` into lower-case words of at least three letters, as they were typed."""
    text = unicodedata.normalize("NFC", text).translate(PUNCTUATION_VARIANTS)
    words = []
    for match in WORD.finditer(text):
        # "patient's" counts as "patient"; "that's" becomes "that", a stop word.
        word = unicodedata.normalize("NFC", match.group().casefold()).removesuffix("'s")
        if sum(char.isalpha() for char in word) >= MIN_LETTERS:
            words.append(word)
    return words


@lru_cache(maxsize=65536)
def word_key(word: str) -> str | None:
    """Return the key a typed word counts under, its folded lemma; None for a stop word."""
    lexicon = loaded_lexicon()
    if fold_diacritics(word) in lexicon.stop_forms:
        return None
    key = fold_diacritics(lexicon.lemma(word).casefold())
    return None if key in lexicon.stop_lemmas else key


class Lexicon:
    """The dictionaries and stop words that counting needs."""

    def __init__(self) -> None:
        # Imported here: the app starts without them (see the module's docstring).
        import stopwordsiso  # noqa: PLC0415 - lazy: loaded off the start-up path
        from simplemma.strategies import DictionaryLookupStrategy  # noqa: PLC0415 - lazy
        from simplemma.strategies.dictionaries import (  # noqa: PLC0415 - lazy
            LOW_MEMORY_DICTIONARY_FACTORY,
        )

        # Low-memory dictionaries: 50 MB where the default ones take 400 MB and load slower;
        # a lookup takes about 8 µs, and each word is looked up once (word_key's cache).
        self._lookup = DictionaryLookupStrategy(LOW_MEMORY_DICTIONARY_FACTORY)
        for language in LANGUAGES:
            LOW_MEMORY_DICTIONARY_FACTORY.get_dictionary(language)
        typed = stopwordsiso.stopwords("pl") | set(stopwords.ENGLISH.split())
        self.stop_forms = frozenset(fold_diacritics(word) for word in typed)
        self.stop_lemmas = frozenset(fold_diacritics(word) for word in stopwords.LEMMAS.split())

    def lemma(self, word: str) -> str:
        """Return the dictionary form of ``word``, or ``word`` itself if no dictionary has it."""
        lemma = self.look_up(word)
        if lemma is None:
            return word
        # A dictionary form may itself be filed as a form of another word ("badań" →
        # "badanie" → "badan"): one more step puts every form of it in one group.
        return self.look_up_as_typed(lemma) or lemma

    def look_up(self, word: str) -> str | None:
        """Return the dictionary form of ``word``, Polish letters put back if need be."""
        # As typed first: the dictionaries' capitalised entries are names ("kinder" → "Kinder").
        if (lemma := self.look_up_as_typed(word)) is not None:
            return lemma
        for language in LANGUAGES:
            if (lemma := self._lookup.get_lemma(word, language)) is not None:
                return lemma
        if word == fold_diacritics(word):
            for spelling in itertools.islice(with_polish_letters(word), MAX_SPELLINGS):
                if (lemma := self._lookup.exact_lemma(spelling, "pl")) is not None:
                    return lemma
        return None

    def look_up_as_typed(self, word: str) -> str | None:
        """Return the dictionary form of ``word`` exactly as it is spelt, if one is known."""
        for language in LANGUAGES:
            if (lemma := self._lookup.exact_lemma(word, language)) is not None:
                return lemma
        return None


def with_polish_letters(word: str) -> Iterator[str]:
    """Yield ``word`` with one, then two, up to MAX_RESTORED of its letters made Polish."""
    spots = [index for index, char in enumerate(word) if char in POLISH_LETTERS]
    for count in range(1, MAX_RESTORED + 1):
        for chosen in itertools.combinations(spots, count):
            for letters in itertools.product(*(POLISH_LETTERS[word[i]] for i in chosen)):
                spelling = list(word)
                for index, letter in zip(chosen, letters, strict=True):
                    spelling[index] = letter
                yield "".join(spelling)


_lexicon: Lexicon | None = None
_loading = threading.Lock()  # held while the lexicon loads
_starting = threading.Lock()  # held while the background load starts
_loader: threading.Thread | None = None


def loaded_lexicon() -> Lexicon:
    """Return the lexicon, waiting for its load (or loading it here) if need be."""
    global _lexicon
    if _lexicon is None:
        with _loading:
            if _lexicon is None:
                _lexicon = offload.run(Lexicon)  # seconds of work: off a gevent worker's loop
    return _lexicon


def load_in_background() -> None:
    """Start loading the lexicon in a background thread, once per process."""
    global _loader
    if _lexicon is None and _loader is None:
        with _starting:
            if _loader is None:
                _loader = threading.Thread(target=loaded_lexicon, name="lexicon", daemon=True)
                _loader.start()


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
