"""Frequent words for the word cloud: folding, stop words, endings, ranking."""

import dataclasses

import pytest

from workshop.words import WordCount, frequent_words


def counts(texts: list[str], limit: int = 30) -> dict[str, int]:
    return {found.word: found.count for found in frequent_words(texts, limit)}


def test_empty_input_gives_no_words():
    assert frequent_words([]) == []
    assert frequent_words(["", "   ", "!!!"]) == []


def test_case_is_folded_into_one_word():
    assert counts(["Zaufanie", "ZAUFANIE", "zaufanie"]) == {"zaufanie": 3}


def test_missing_polish_diacritics_group_with_the_typed_ones():
    assert counts(["Różnorodność", "roznorodnosc", "różnorodność"]) == {"różnorodność": 3}


def test_diacritic_typos_group_and_the_most_typed_spelling_is_shown():
    assert counts(["zdrowie", "zdrówie", "Zdrowie"]) == {"zdrowie": 3}


def test_display_form_is_the_most_typed_inflection():
    texts = ["Pacjenci", "pacjentów", "pacjenta", "pacjenta", "Pacjent"]
    assert counts(texts) == {"pacjenta": 5}


def test_display_form_on_a_tie_prefers_the_shorter_form_then_diacritics():
    assert counts(["pacjentami", "pacjent"]) == {"pacjent": 2}
    assert counts(["pacjentów", "pacjent"]) == {"pacjent": 2}
    assert counts(["wartosc", "wartość"]) == {"wartość": 2}
    assert counts(["Pacjentow", "pacjentów", "pacjentami"]) == {"pacjentów": 3}


def test_decomposed_input_is_normalised_to_composed_letters():
    decomposed = "zdrowie i pomoc dla ludzi, zaufanie, wspo\u0301łpraca"
    assert "współpraca" in counts([decomposed])


def test_polish_stop_words_are_dropped_with_or_without_diacritics():
    text = (
        "Jesteśmy zespołem, który się troszczy i dba o to, że nasi pacjenci są dla nas "
        "najważniejsi oraz sie czuja bezpiecznie, bo to jest nasze zadanie."
    )
    words = counts([text])
    for stop_word in ("jesteśmy", "który", "się", "sie", "że", "nasi", "są", "dla", "nas"):
        assert stop_word not in words
    for stop_word in ("oraz", "jest", "nasze", "bo", "to"):
        assert stop_word not in words
    assert {"zespołem", "pacjenci", "zadanie"} <= words.keys()


def test_english_stop_words_and_contractions_are_dropped():
    text = "We are the team who cares for our patients, and we don't stop: that's what we do."
    assert counts([text]) == {"team": 1, "cares": 1, "patients": 1, "stop": 1}


def test_curly_apostrophes_and_possessives_are_handled():
    assert counts(["We don’t forget the patient’s family", "patient"]) == {
        "patient": 2,
        "forget": 1,
        "family": 1,
    }


def test_hyphenated_words_stay_whole():
    assert counts(["well-being", "Well-being matters"]) == {"well-being": 2, "matters": 1}


@pytest.mark.parametrize(
    "forms",
    [
        "pacjent pacjenci pacjentów pacjentom pacjentami pacjenta pacjentem pacjentach",
        "zaufanie zaufania zaufaniem zaufaniu",
        "szacunek szacunku szacunkiem",
        "wartość wartości wartościami",
        "misja misji misją misję",
        "patient patients",
        "care caring cared cares",
        "help helping helped helps",
    ],
)
def test_inflected_forms_count_as_one_word(forms):
    assert [found.count for found in frequent_words([forms])] == [len(forms.split())]


def test_different_words_are_not_merged_by_stripping():
    assert len(frequent_words(["pacjent zaufanie szacunek zdrowie opieka rodzina car care"])) == 8


def test_short_tokens_numbers_punctuation_and_emoji_are_ignored():
    text = "ok, 24/7 🙂 👍🏽 1000 zł!!! ... – ja ty on AI ≥ 3 no go ❤️ #"
    assert frequent_words([text]) == []


def test_words_with_digits_keep_only_their_letters():
    assert counts(["covid19", "COVID-19"]) == {"covid": 2}


def test_counts_across_answers_and_weights_relative_to_the_top_word():
    words = frequent_words(["Zaufanie i szacunek.", "zaufanie, zaufania", "opieka szacunku"])
    assert words == [
        WordCount("zaufanie", 3, 1.0),
        WordCount("szacunek", 2, pytest.approx(2 / 3)),
        WordCount("opieka", 1, pytest.approx(1 / 3)),
    ]


def test_ties_are_ordered_alphabetically_with_polish_letters_in_place():
    words = [found.word for found in frequent_words(["zespół ćwiczenia bezpieczeństwo dobro"])]
    assert words == ["bezpieczeństwo", "ćwiczenia", "dobro", "zespół"]


def test_limit_keeps_only_the_most_frequent_words():
    texts = ["alfa " * 5 + "beta " * 4 + "gamma " * 3 + "delta " * 2 + "omega"]
    assert [found.word for found in frequent_words(texts, limit=3)] == ["alfa", "beta", "gamma"]
    assert frequent_words(texts, limit=0) == []


def test_default_limit_is_thirty():
    distinct = [f"kot{first}{second}" for first in "bcdfgh" for second in "klmnprt"]
    assert len(frequent_words([" ".join(distinct)])) == 30


def test_word_count_is_frozen():
    found = frequent_words(["zaufanie"])[0]
    with pytest.raises(dataclasses.FrozenInstanceError):
        found.count = 2  # type: ignore[misc]
