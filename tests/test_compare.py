"""Word-by-word comparison of two versions of a statement (issue 4)."""

import pytest

from workshop.compare import Piece, word_diff

MISSION = "Każdego dnia z życzliwością troszczymy się o zdrowie naszych pacjentów"


def rebuilt(pieces, side):
    """Join the pieces one version is made of: ``new`` skips removals, ``old`` additions."""
    skip = "removed" if side == "new" else "added"
    return "".join(piece.text for piece in pieces if piece.change != skip)


def changes(pieces):
    return [(piece.change, piece.text) for piece in pieces]


def test_identical_texts_are_one_same_piece():
    assert word_diff(MISSION, MISSION) == [Piece("same", MISSION)]


def test_an_inserted_word_is_added():
    pieces = word_diff("We care for patients", "We gently care for patients")
    assert [p.change for p in pieces] == ["same", "added", "same"]
    assert pieces[1].text.strip() == "gently"
    assert pieces[0].text.strip() == "We"
    assert pieces[2].text.strip() == "care for patients"


def test_a_word_added_at_the_end_keeps_its_space():
    pieces = word_diff("We care", "We care daily")
    assert changes(pieces) == [("same", "We care"), ("added", " daily")]


def test_a_deleted_word_is_removed():
    pieces = word_diff("We really care for patients", "We care for patients")
    assert [p.change for p in pieces] == ["same", "removed", "same"]
    assert pieces[1].text.strip() == "really"
    assert "".join(p.text for p in pieces if p.change == "same") == "We care for patients"


def test_a_replaced_word_is_removed_then_added():
    pieces = word_diff("We care for patients", "We care for clients")
    assert changes(pieces) == [
        ("same", "We care for "),
        ("removed", "patients"),
        ("added", "clients"),
    ]


def test_replaced_words_in_the_middle_are_removed_and_added_word_by_word():
    pieces = word_diff("We exist to heal people kindly", "We exist to help every person kindly")
    assert pieces[0] == Piece("same", "We exist to ")
    assert pieces[-1] == Piece("same", " kindly")
    removed = " ".join(p.text for p in pieces if p.change == "removed").split()
    added = " ".join(p.text for p in pieces if p.change == "added").split()
    assert (removed, added) == (["heal", "people"], ["help", "every", "person"])


def test_polish_diacritics_are_whole_words():
    old = "Służymy pacjentom z troską i szacunkiem"
    new = "Służymy pacjentom z życzliwością i szacunkiem"
    assert changes(word_diff(old, new)) == [
        ("same", "Służymy pacjentom z "),
        ("removed", "troską"),
        ("added", "życzliwością"),
        ("same", " i szacunkiem"),
    ]


def test_a_diacritic_alone_is_a_change():
    pieces = word_diff("Dbamy o zdrowie", "Dbamy o zdrówie")
    assert changes(pieces) == [("same", "Dbamy o "), ("removed", "zdrowie"), ("added", "zdrówie")]


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("we care for patients", "We Care For Patients"),
        ("ŻYCZLIWOŚĆ I ZAUFANIE", "życzliwość i zaufanie"),
        ("Łódź", "łÓDŹ"),
    ],
)
def test_a_change_of_case_only_is_the_same(old, new):
    assert word_diff(old, new) == [Piece("same", new)]


def test_a_change_of_case_next_to_a_real_change_is_not_marked():
    pieces = word_diff("we care for patients", "We care for clients")
    assert changes(pieces) == [
        ("same", "We care for "),
        ("removed", "patients"),
        ("added", "clients"),
    ]


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("We care  for\npatients", "We care for patients"),
        ("We care for patients", "We care\nfor  patients"),
        ("We\tcare for patients", "We care\n\nfor patients"),
    ],
)
def test_whitespace_alone_is_not_a_change_and_the_new_spacing_is_shown(old, new):
    assert word_diff(old, new) == [Piece("same", new)]


def test_punctuation_is_compared_apart_from_its_word():
    pieces = word_diff("We care, always.", "We care always.")
    assert changes(pieces) == [("same", "We care"), ("removed", ","), ("same", " always.")]


EXAMPLES = [
    ("", ""),
    ("", MISSION),
    (MISSION, ""),
    (MISSION, MISSION),
    ("We care for patients", "We gently care for our patients every day"),
    ("  leading and trailing  ", "leading and trailing"),
    ("Line one\nline two\n\nline three", "Line one\nline 2\n\nline three and four"),
    (
        "Istniejemy, aby leczyć dla mieszkańców poprzez troskę",
        "Istniejemy, aby pomagać i leczyć dla całej gminy poprzez troskę i wiedzę",
    ),
    ("a b c d e f", "f e d c b a"),
    ("one two three", "four five six"),
    ("tab\tseparated words", "tab\tseparated words here"),
    (MISSION, "Każdego dnia troszczymy się o naszych pacjentów — „razem”."),
]


@pytest.mark.parametrize(("old", "new"), EXAMPLES)
def test_same_and_added_pieces_rebuild_the_new_text_exactly(old, new):
    assert rebuilt(word_diff(old, new), "new") == new


@pytest.mark.parametrize(("old", "new"), EXAMPLES)
def test_same_and_removed_pieces_rebuild_the_old_text(old, new):
    """Exactly, wherever the shared words keep their case and spacing (as in these)."""
    assert rebuilt(word_diff(old, new), "old") == old


# Shared words whose case or spacing changed are "same" and shown as the new text has them.
RESPACED_OR_RECASED = [
    ("  leading and trailing  ", "leading and  trailing"),
    ("tab\tseparated words", "tab\tseparated\twords here"),
    ("We care\nfor patients", "we care for our Patients"),
    ("Dbamy  o ZDROWIE", "dbamy o zdrowie wszystkich"),
]


@pytest.mark.parametrize(("old", "new"), RESPACED_OR_RECASED)
def test_respaced_or_recased_words_rebuild_new_exactly_and_old_up_to_case_and_spacing(old, new):
    pieces = word_diff(old, new)
    assert rebuilt(pieces, "new") == new
    assert rebuilt(pieces, "old").casefold().split() == old.casefold().split()


@pytest.mark.parametrize(("old", "new"), EXAMPLES + RESPACED_OR_RECASED)
def test_pieces_are_never_empty_and_neighbours_differ(old, new):
    pieces = word_diff(old, new)
    assert all(piece.text for piece in pieces)
    assert all(piece.change in ("same", "removed", "added") for piece in pieces)
    assert all(a.change != b.change for a, b in zip(pieces, pieces[1:], strict=False))


def test_empty_texts_give_no_pieces():
    assert word_diff("", "") == []


def test_from_nothing_everything_is_added_and_to_nothing_everything_is_removed():
    assert word_diff("", MISSION) == [Piece("added", MISSION)]
    assert word_diff(MISSION, "") == [Piece("removed", MISSION)]


def test_pieces_are_frozen():
    [piece] = word_diff("a", "a")
    with pytest.raises(AttributeError):
        piece.text = "b"
