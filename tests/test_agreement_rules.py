"""The rules of reaching agreement (issue 4): drafts, versions, amendments, consensus rounds.

Everything here goes through ``workshop.models`` against a real SQLite file; the
concurrency tests open one connection per thread, as the server does.
"""

import json
import threading

import pytest

from workshop import models, rules
from workshop.db import connect
from workshop.models import Refused
from workshop.record import round_record, workshop_record

from .conftest import make_workshop

MISSION = "Każdego dnia z życzliwością troszczymy się o zdrowie naszych pacjentów"
BETTER = "Każdego dnia z życzliwością i rzetelnie troszczymy się o zdrowie pacjentów"
ROUTINE = "Słuchamy. Rozumiemy. Patrzymy ich oczami. Naprawiamy i przepraszamy. Zapraszamy."
REASON = "Brakuje w tym naszych pacjentów z dziećmi"


# Helpers: rows built through models, fresh objects re-read after every change ------------


def refused(reason, call, *args, **kwargs):
    with pytest.raises(Refused) as caught:
        call(*args, **kwargs)
    assert caught.value.reason == reason


def people(db, workshop, count):
    """Let ``count`` people join; return them."""
    return [models.add_participant(db, workshop)[0] for _ in range(count)]


def room(db, workshop):
    return models.get_workshop_by_id(db, workshop.id)


def draft_of(db, workshop, version):
    return models.get_draft(db, workshop, version.draft_id)


def mission_round(db, workshop, text=MISSION, **options):
    """Propose a mission draft and open a round on it; return the version and the round."""
    version = models.propose_draft(db, workshop, text)
    return version, models.open_round(db, workshop, "mission", version, **options)


def answer(db, workshop, round_, levels, reason=REASON):
    """Give one new person's answer per level (a reason where one is needed)."""
    who = people(db, workshop, len(levels))
    for person, level in zip(who, levels, strict=True):
        models.answer_round(db, workshop, round_, person, level, reason if level >= 4 else "")
    return who


def tally(db, workshop, round_):
    return models.round_tally(db, models.get_round(db, workshop, round_.id))


def set_principles(db, workshop, count):
    pairs = [(f"Zasada {n}", f"Jak to widać na co dzień, numer {n}") for n in range(count)]
    models.replace_principles(db, workshop, pairs)
    return pairs


# 1. Round rules ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("threshold", "accepting", "answered"),
    [(75, 3, 4), (75, 6, 8), (50, 2, 4), (60, 3, 5), (100, 3, 3), (58, 29, 50)],
)
def test_a_share_exactly_at_the_threshold_passes(workshop, db, threshold, accepting, answered):
    _version, round_ = mission_round(db, workshop, threshold=threshold)
    answer(db, workshop, round_, [3] * accepting + [4] * (answered - accepting))
    result = tally(db, workshop, round_)
    assert (result.answered, result.accepting, result.blocks) == (answered, accepting, 0)
    assert result.share == pytest.approx(threshold / 100)
    assert result.passes


@pytest.mark.parametrize(
    ("threshold", "accepting", "answered"),
    [(75, 2, 3), (75, 5, 7), (76, 3, 4), (51, 1, 2), (100, 9, 10), (59, 29, 50)],
)
def test_a_share_just_below_the_threshold_fails(workshop, db, threshold, accepting, answered):
    _version, round_ = mission_round(db, workshop, threshold=threshold)
    answer(db, workshop, round_, [1] * accepting + [4] * (answered - accepting))
    result = tally(db, workshop, round_)
    assert result.share * 100 < threshold
    assert not result.passes


def test_the_default_threshold_is_75_and_can_live_with_it_counts_as_accepting(workshop, db):
    _version, round_ = mission_round(db, workshop)
    assert round_.threshold == rules.DEFAULT_THRESHOLD == 75
    answer(db, workshop, round_, [1, 2, 3, 4])
    result = tally(db, workshop, round_)
    assert result.counts == {1: 1, 2: 1, 3: 1, 4: 1, 5: 0}
    assert result.accepting == 3
    assert result.passes


def test_reservations_do_not_count_as_accepting(workshop, db):
    _version, round_ = mission_round(db, workshop)
    answer(db, workshop, round_, [3, 3, 4, 4])
    result = tally(db, workshop, round_)
    assert (result.accepting, result.share) == (2, 0.5)
    assert not result.passes


@pytest.mark.parametrize("threshold", [50, 75, 100])
def test_a_single_block_fails_whatever_the_share(workshop, db, threshold):
    _version, round_ = mission_round(db, workshop, threshold=threshold)
    answer(db, workshop, round_, [1] * 19 + [5])
    result = tally(db, workshop, round_)
    assert result.blocks == 1
    assert result.share == pytest.approx(0.95)
    assert not result.passes


def test_threshold_50_passes_half_and_100_needs_everyone(workshop, db):
    _version, half = mission_round(db, workshop, threshold=50)
    answer(db, workshop, half, [2, 2, 4, 4])
    assert tally(db, workshop, half).passes
    models.cancel_round(db, workshop, half)

    version = models.list_drafts(db, workshop)[0].latest
    everyone = models.open_round(db, workshop, "mission", version, threshold=100)
    assert everyone.threshold == 100
    voters = answer(db, workshop, everyone, [1, 2, 3, 3])
    assert tally(db, workshop, everyone).passes
    models.answer_round(db, workshop, everyone, voters[0], 4)
    assert not tally(db, workshop, everyone).passes


@pytest.mark.parametrize("threshold", [49, 101, 0, -75, 1000])
def test_a_threshold_outside_50_to_100_is_refused(workshop, db, threshold):
    version = models.propose_draft(db, workshop, MISSION)
    refused("bad-threshold", models.open_round, db, workshop, "mission", version, threshold)
    assert models.current_round(db, workshop) is None


@pytest.mark.parametrize("min_answers", [1, 3, 20])
def test_min_answers_inside_one_to_twenty_is_kept(workshop, db, min_answers):
    _version, round_ = mission_round(db, workshop, min_answers=min_answers)
    assert round_.min_answers == min_answers


@pytest.mark.parametrize("min_answers", [0, -1, 21, 100])
def test_min_answers_outside_one_to_twenty_is_refused(workshop, db, min_answers):
    version = models.propose_draft(db, workshop, MISSION)
    refused(
        "bad-min-answers",
        models.open_round,
        db,
        workshop,
        "mission",
        version,
        min_answers=min_answers,
    )
    assert models.list_rounds(db, workshop) == []


def test_the_tally_is_hidden_until_three_people_answered(workshop, db):
    _version, round_ = mission_round(db, workshop)
    assert round_.min_answers == rules.DEFAULT_MIN_ANSWERS == 3
    assert not tally(db, workshop, round_).visible
    answer(db, workshop, round_, [1])
    assert not tally(db, workshop, round_).visible
    answer(db, workshop, round_, [5])
    assert not tally(db, workshop, round_).visible
    answer(db, workshop, round_, [2])
    assert tally(db, workshop, round_).visible


@pytest.mark.parametrize("min_answers", [1, 5])
def test_the_tally_shows_exactly_at_a_custom_minimum(workshop, db, min_answers):
    _version, round_ = mission_round(db, workshop, min_answers=min_answers)
    answer(db, workshop, round_, [2] * (min_answers - 1))
    assert not tally(db, workshop, round_).visible
    answer(db, workshop, round_, [2])
    assert tally(db, workshop, round_).visible


def test_a_round_without_answers_does_not_pass(workshop, db):
    _version, round_ = mission_round(db, workshop)
    result = tally(db, workshop, round_)
    assert (result.answered, result.accepting, result.share) == (0, 0, 0.0)
    assert result.counts == {1: 0, 2: 0, 3: 0, 4: 0, 5: 0}
    assert not result.passes
    closed = models.close_round(db, workshop, round_)
    assert closed.outcome == "not-agreed"
    assert room(db, workshop).mission_agreed_at is None


def test_a_removed_persons_answer_stops_counting(workshop, db):
    _version, round_ = mission_round(db, workshop)
    *_agreeing, blocker = answer(db, workshop, round_, [1, 1, 1, 5])
    assert not tally(db, workshop, round_).passes
    models.remove_participant(db, workshop, blocker)
    result = tally(db, workshop, round_)
    assert (result.answered, result.blocks, result.reasons) == (3, 0, ())
    assert result.passes
    assert models.close_round(db, workshop, round_).outcome == "agreed"


def test_a_removed_person_cannot_answer(workshop, db):
    _version, round_ = mission_round(db, workshop)
    [gone] = people(db, workshop, 1)
    models.remove_participant(db, workshop, gone)
    refused("removed", models.answer_round, db, workshop, round_, gone, 1)
    assert models.my_round_answer(db, round_, gone) is None


def test_an_answer_can_be_changed_while_the_round_is_open(workshop, db):
    _version, round_ = mission_round(db, workshop, min_answers=1)  # one answer shows
    [person] = people(db, workshop, 1)
    first = models.answer_round(db, workshop, round_, person, 5, REASON)
    assert (first.level, first.reason) == (5, REASON)
    changed = models.answer_round(db, workshop, round_, person, 2, "")
    assert changed.id == first.id
    assert (changed.level, changed.reason) == (2, "")
    assert models.my_round_answer(db, round_, person) == changed
    result = tally(db, workshop, round_)
    assert result.answered == 1
    assert result.counts == {1: 0, 2: 1, 3: 0, 4: 0, 5: 0}
    assert result.reasons == ()


def test_my_round_answer_is_none_before_answering_and_per_person(workshop, db):
    _version, round_ = mission_round(db, workshop)
    me, other = people(db, workshop, 2)
    assert models.my_round_answer(db, round_, me) is None
    models.answer_round(db, workshop, round_, other, 3)
    assert models.my_round_answer(db, round_, me) is None
    assert models.my_round_answer(db, round_, other).level == 3


@pytest.mark.parametrize("level", [0, 6, -1])
def test_a_level_off_the_scale_is_refused(workshop, db, level):
    _version, round_ = mission_round(db, workshop)
    [person] = people(db, workshop, 1)
    refused("bad-level", models.answer_round, db, workshop, round_, person, level, REASON)
    assert models.my_round_answer(db, round_, person) is None


@pytest.mark.parametrize("close", ["close", "cancel", "override"])
def test_answering_a_closed_round_is_refused(workshop, db, close):
    _version, round_ = mission_round(db, workshop)
    [early] = answer(db, workshop, round_, [4])
    [late] = people(db, workshop, 1)
    if close == "close":
        models.close_round(db, workshop, round_)
    elif close == "cancel":
        models.cancel_round(db, workshop, round_)
    else:
        models.close_round(db, workshop, round_, override_note="Czas się kończy")
    refused("round-closed", models.answer_round, db, workshop, round_, late, 1)
    refused("round-closed", models.answer_round, db, workshop, round_, early, 1)
    assert models.my_round_answer(db, round_, late) is None
    assert models.my_round_answer(db, round_, early).level == 4


@pytest.mark.parametrize("reason", ["", "   ", "\n\t"])
def test_a_block_needs_a_reason(workshop, db, reason):
    _version, round_ = mission_round(db, workshop)
    [person] = people(db, workshop, 1)
    refused("reason-needed", models.answer_round, db, workshop, round_, person, 5, reason)
    assert models.my_round_answer(db, round_, person) is None


def test_a_reservation_may_come_without_a_reason(workshop, db):
    _version, round_ = mission_round(db, workshop)
    [person] = people(db, workshop, 1)
    assert models.answer_round(db, workshop, round_, person, 4).reason == ""
    assert tally(db, workshop, round_).reasons == ()


@pytest.mark.parametrize("level", [1, 2, 3])
def test_a_reason_given_with_agreement_is_dropped(workshop, db, level):
    _version, round_ = mission_round(db, workshop)
    [person] = people(db, workshop, 1)
    stored = models.answer_round(db, workshop, round_, person, level, "Ktoś mnie rozpozna")
    assert stored.reason == ""
    assert tally(db, workshop, round_).reasons == ()
    assert "Ktoś mnie rozpozna" not in json.dumps(round_record(db, round_))


def test_reasons_for_reservations_and_blocks_are_kept_without_names(workshop, db):
    _version, round_ = mission_round(db, workshop)
    a, b, c, d = people(db, workshop, 4)
    models.answer_round(db, workshop, round_, a, 4, "Za długie")
    models.answer_round(db, workshop, round_, b, 5, "Nie o nas")
    models.answer_round(db, workshop, round_, c, 1, "Super")
    models.answer_round(db, workshop, round_, d, 4)
    result = tally(db, workshop, round_)
    assert sorted(result.reasons) == [(4, "Za długie"), (5, "Nie o nas")]
    for entry in result.reasons:
        assert len(entry) == 2  # level and text only: no participant, no time
    record = round_record(db, round_)
    assert sorted(record["reasons"], key=lambda r: r["level"]) == [
        {"level": 4, "reason": "Za długie"},
        {"level": 5, "reason": "Nie o nas"},
    ]


def test_reasons_come_in_an_order_that_does_not_follow_who_answered_first(workshop, db):
    _version, round_ = mission_round(db, workshop)
    a, b, c = people(db, workshop, 3)
    models.answer_round(db, workshop, round_, a, 5, "Zzz ostatnie")
    models.answer_round(db, workshop, round_, b, 4, "Bbb")
    models.answer_round(db, workshop, round_, c, 4, "Aaa")
    assert tally(db, workshop, round_).reasons == ((4, "Aaa"), (4, "Bbb"), (5, "Zzz ostatnie"))


def test_only_one_round_is_open_at_a_time(workshop, db):
    version, first = mission_round(db, workshop)
    refused("round-open", models.open_round, db, workshop, "mission", version)
    other = models.propose_draft(db, workshop, BETTER)
    refused("round-open", models.open_round, db, workshop, "mission", other)
    routine = models.propose_draft(db, workshop, ROUTINE, kind="routine")
    refused("round-open", models.open_round, db, workshop, "routine", routine)
    set_principles(db, workshop, 3)
    refused("round-open", models.open_round, db, workshop, "principles")
    assert models.current_round(db, workshop) == first
    assert models.list_rounds(db, workshop) == [first]


def test_rounds_of_different_workshops_are_independent(app, workshop, db):
    with app.app_context():
        other, _token = make_workshop(db, "Gabinet Pod Dębem")
    _version, mine = mission_round(db, workshop)
    _version, theirs = mission_round(db, other)
    assert models.current_round(db, workshop) == mine
    assert models.current_round(db, other) == theirs
    assert models.get_round(db, workshop, theirs.id) is None
    [stranger] = people(db, other, 1)
    refused("removed", models.answer_round, db, workshop, mine, stranger, 1)


def test_cancelling_a_round_withdraws_it_and_frees_the_room(workshop, db):
    version, round_ = mission_round(db, workshop)
    answer(db, workshop, round_, [1, 1, 1])
    models.cancel_round(db, workshop, round_)
    cancelled = models.get_round(db, workshop, round_.id)
    assert (cancelled.status, cancelled.outcome) == ("closed", "withdrawn")
    assert cancelled.closed_at is not None
    assert models.current_round(db, workshop) is None
    assert room(db, workshop).mission_agreed_at is None
    refused("round-closed", models.close_round, db, workshop, cancelled)
    refused("round-closed", models.close_round, db, workshop, cancelled, "Jednak tak")
    again = models.open_round(db, workshop, "mission", version)
    assert models.current_round(db, workshop) == again


def test_cancelling_a_closed_round_changes_nothing(workshop, db):
    _version, round_ = mission_round(db, workshop)
    answer(db, workshop, round_, [1, 1, 1])
    agreed = models.close_round(db, workshop, round_)
    models.cancel_round(db, workshop, agreed)
    assert models.get_round(db, workshop, round_.id) == agreed


# 2. Closing, locking, overriding, history -------------------------------------------------


def test_closing_a_passing_round_agrees_and_locks_the_mission(workshop, db):
    version, round_ = mission_round(db, workshop)
    answer(db, workshop, round_, [1, 2, 3, 4])
    closed = models.close_round(db, workshop, round_)
    assert (closed.status, closed.outcome, closed.note) == ("closed", "agreed", "")
    assert closed.closed_at is not None
    assert models.current_round(db, workshop) is None
    agreed = room(db, workshop)
    assert agreed.mission == version.text == MISSION
    assert agreed.mission_agreed_at is not None
    assert agreed.is_agreed


def test_an_agreed_mission_is_locked_against_every_drafting_move(workshop, db):
    version, round_ = mission_round(db, workshop)
    [author] = people(db, workshop, 1)
    models.set_proposals_open(db, workshop, True)
    pending = models.suggest_amendment(db, workshop, version, author, BETTER)
    answer(db, workshop, round_, [1, 1, 1])
    models.close_round(db, workshop, round_)

    draft = draft_of(db, workshop, version)
    refused("agreed", models.propose_draft, db, workshop, BETTER)
    refused("agreed", models.propose_draft, db, workshop, BETTER, author)
    refused("agreed", models.revise_draft, db, workshop, draft, BETTER)
    refused("agreed", models.suggest_amendment, db, workshop, version, author, BETTER)
    refused("agreed", models.decide_amendment, db, workshop, pending, True)
    refused("agreed", models.decide_amendment, db, workshop, pending, False)
    refused("agreed", models.open_round, db, workshop, "mission", version)
    refused("agreed", models.save_mission, db, workshop, BETTER)
    assert [v.number for v in models.list_versions(db, draft)] == [1]
    assert models.get_amendment(db, workshop, pending.id).status == "pending"
    assert room(db, workshop).mission == MISSION


def test_an_agreed_mission_leaves_the_routine_open(workshop, db):
    _version, round_ = mission_round(db, workshop)
    answer(db, workshop, round_, [1, 1, 1])
    models.close_round(db, workshop, round_)
    routine = models.propose_draft(db, workshop, ROUTINE, kind="routine")
    assert models.open_round(db, workshop, "routine", routine).subject == "routine"


def test_closing_a_failing_round_changes_nothing(workshop, db):
    models.save_mission(db, workshop, "Roboczy tekst misji")
    version, round_ = mission_round(db, workshop)
    answer(db, workshop, round_, [1, 1, 1, 5])
    before = room(db, workshop)
    closed = models.close_round(db, workshop, round_)
    assert (closed.status, closed.outcome, closed.note) == ("closed", "not-agreed", "")
    after = room(db, workshop)
    assert after.mission == before.mission == "Roboczy tekst misji"
    assert after.mission_agreed_at is None
    # Drafting goes on.
    assert models.revise_draft(db, workshop, draft_of(db, workshop, version), BETTER).number == 2


def test_overriding_an_open_failing_round_adopts_the_text_with_the_note(workshop, db):
    version, round_ = mission_round(db, workshop)
    answer(db, workshop, round_, [1, 4, 5])
    closed = models.close_round(db, workshop, round_, override_note="Zarząd zdecydował")
    assert (closed.status, closed.outcome) == ("closed", "overridden")
    assert closed.note == "Zarząd zdecydował"
    agreed = room(db, workshop)
    assert agreed.mission == version.text
    assert agreed.mission_agreed_at is not None
    assert round_record(db, closed)["note"] == "Zarząd zdecydował"


def test_overriding_an_open_round_without_any_answers_still_adopts(workshop, db):
    version, round_ = mission_round(db, workshop)
    closed = models.close_round(db, workshop, round_, override_note="Ustalone mailowo")
    assert closed.outcome == "overridden"
    assert room(db, workshop).mission == version.text


def test_a_note_on_a_passing_round_keeps_it_agreed(workshop, db):
    _version, round_ = mission_round(db, workshop)
    answer(db, workshop, round_, [1, 1, 1])
    closed = models.close_round(db, workshop, round_, override_note="Dziękujemy")
    assert closed.outcome == "agreed"
    assert closed.note == "Dziękujemy"


def test_overriding_a_not_agreed_round_after_closing_adopts_it(workshop, db):
    version, round_ = mission_round(db, workshop)
    answer(db, workshop, round_, [1, 5, 5], reason="Za ogólnikowe")
    failed = models.close_round(db, workshop, round_)
    assert failed.outcome == "not-agreed"
    assert room(db, workshop).mission_agreed_at is None

    overridden = models.close_round(db, workshop, failed, override_note="Decyzja zespołu")
    assert (overridden.outcome, overridden.note) == ("overridden", "Decyzja zespołu")
    assert overridden.closed_at == failed.closed_at
    assert room(db, workshop).mission == version.text
    assert room(db, workshop).mission_agreed_at is not None
    # The answers that failed it stay on the record.
    assert tally(db, workshop, overridden).blocks == 2


def test_closing_twice_is_refused(workshop, db):
    _version, round_ = mission_round(db, workshop)
    answer(db, workshop, round_, [1, 1, 1])
    agreed = models.close_round(db, workshop, round_)
    refused("round-closed", models.close_round, db, workshop, agreed)
    refused("round-closed", models.close_round, db, workshop, agreed, "Jeszcze raz")
    assert models.get_round(db, workshop, round_.id) == agreed


def test_a_not_agreed_round_cannot_be_closed_again_without_a_note(workshop, db):
    _version, round_ = mission_round(db, workshop)
    failed = models.close_round(db, workshop, round_)
    refused("round-closed", models.close_round, db, workshop, failed)
    overridden = models.close_round(db, workshop, failed, "Zgoda")
    refused("round-closed", models.close_round, db, workshop, overridden, "Znowu")
    assert models.get_round(db, workshop, round_.id) == overridden


def test_overriding_an_old_round_cannot_replace_an_agreed_mission(workshop, db):
    """Once a later round agreed the mission, an earlier failed round can't be forced in."""
    first, old = mission_round(db, workshop)
    answer(db, workshop, old, [5, 5, 5])
    old = models.close_round(db, workshop, old)
    second = models.revise_draft(db, workshop, draft_of(db, workshop, first), BETTER)
    newer = models.open_round(db, workshop, "mission", second)
    answer(db, workshop, newer, [1, 1, 1])
    models.close_round(db, workshop, newer)
    assert room(db, workshop).mission == BETTER

    refused("agreed", models.close_round, db, workshop, old, "Jednak pierwsza wersja")
    assert room(db, workshop).mission == BETTER
    assert models.get_round(db, workshop, old.id).outcome == "not-agreed"


def test_a_new_version_gets_a_new_round_and_history_keeps_them_all(workshop, db):
    first, blocked = mission_round(db, workshop)
    answer(db, workshop, blocked, [1, 1, 5])
    models.close_round(db, workshop, blocked)
    draft = draft_of(db, workshop, first)
    second = models.revise_draft(db, workshop, draft, BETTER)
    withdrawn = models.open_round(db, workshop, "mission", second)
    models.cancel_round(db, workshop, withdrawn)
    passing = models.open_round(db, workshop, "mission", second)
    answer(db, workshop, passing, [1, 2, 3])
    models.close_round(db, workshop, passing)

    history = models.list_rounds(db, workshop)
    assert [r.id for r in history] == [passing.id, withdrawn.id, blocked.id]
    assert [r.outcome for r in history] == ["agreed", "withdrawn", "not-agreed"]
    assert [r.version_id for r in history] == [second.id, second.id, first.id]
    assert [r.snapshot for r in history] == [BETTER, BETTER, MISSION]
    assert all(not r.is_open for r in history)
    assert tally(db, workshop, blocked).blocks == 1
    assert room(db, workshop).mission == BETTER


def test_reopening_the_agreement_unlocks_drafting_and_keeps_the_text(workshop, db):
    version, round_ = mission_round(db, workshop)
    answer(db, workshop, round_, [1, 1, 1])
    models.close_round(db, workshop, round_)
    models.reopen_agreement(db, workshop, "mission")
    reopened = room(db, workshop)
    assert reopened.mission_agreed_at is None
    assert reopened.mission == MISSION

    draft = draft_of(db, workshop, version)
    second = models.revise_draft(db, workshop, draft, BETTER)
    assert second.number == 2
    [person] = people(db, workshop, 1)
    models.suggest_amendment(db, workshop, second, person, BETTER + " codziennie")
    models.propose_draft(db, workshop, "Zupełnie nowa propozycja naszej wspólnej misji")
    again = models.open_round(db, workshop, "mission", second)
    answer(db, workshop, again, [2, 2, 2])
    assert models.close_round(db, workshop, again).outcome == "agreed"
    assert room(db, workshop).mission == BETTER
    assert len(models.list_rounds(db, workshop)) == 2


# 3. Mission length -------------------------------------------------------------------------


@pytest.mark.parametrize("words", [0, 1, 4, 121, 200])
def test_a_mission_round_on_too_short_or_too_long_a_version_is_refused(workshop, db, words):
    text = " ".join(f"słowo{n}" for n in range(words)) or "   "
    version = models.propose_draft(db, workshop, text)
    refused("mission-length", models.open_round, db, workshop, "mission", version)
    assert models.current_round(db, workshop) is None


@pytest.mark.parametrize("words", [5, 60, 120])
def test_a_mission_round_accepts_five_to_120_words(workshop, db, words):
    assert rules.MISSION_WORDS == (5, 120)
    text = "  ".join(f"słowo{n}" for n in range(words))
    version = models.propose_draft(db, workshop, text)
    assert models.open_round(db, workshop, "mission", version).snapshot == text


# 4. Drafts and versions -----------------------------------------------------------------------


def test_versions_are_numbered_per_draft(workshop, db):
    first = models.propose_draft(db, workshop, MISSION)
    other = models.propose_draft(db, workshop, BETTER)
    one = draft_of(db, workshop, first)
    two = draft_of(db, workshop, other)
    models.revise_draft(db, workshop, one, MISSION + " zawsze")
    models.revise_draft(db, workshop, two, BETTER + " zawsze")
    models.revise_draft(db, workshop, one, MISSION + " każdego dnia")
    assert [v.number for v in models.list_versions(db, one)] == [1, 2, 3]
    assert [v.number for v in models.list_versions(db, two)] == [1, 2]
    assert models.latest_version(db, one).text == MISSION + " każdego dnia"
    assert [v.text for v in models.list_versions(db, one)] == [
        MISSION,
        MISSION + " zawsze",
        MISSION + " każdego dnia",
    ]


def test_revising_with_unchanged_text_is_refused(workshop, db):
    version = models.propose_draft(db, workshop, MISSION)
    draft = draft_of(db, workshop, version)
    refused("unchanged", models.revise_draft, db, workshop, draft, MISSION)
    models.revise_draft(db, workshop, draft, BETTER)
    refused("unchanged", models.revise_draft, db, workshop, draft, BETTER)
    # Going back to an older wording is a change.
    assert models.revise_draft(db, workshop, draft, MISSION).number == 3


def test_who_proposed_each_version_is_kept(workshop, db):
    [author] = people(db, workshop, 1)
    by_facilitator = models.propose_draft(db, workshop, MISSION)
    assert (by_facilitator.participant_id, by_facilitator.origin) == (None, "facilitator")
    models.set_proposals_open(db, workshop, True)
    by_phone = models.propose_draft(db, workshop, BETTER, author)
    assert (by_phone.participant_id, by_phone.origin) == (author.id, "participant")
    revised = models.revise_draft(db, workshop, draft_of(db, workshop, by_phone), MISSION)
    assert (revised.participant_id, revised.origin) == (None, "facilitator")
    assert revised.created_at >= by_phone.created_at
    kept = models.list_versions(db, draft_of(db, workshop, by_phone))
    assert [(v.origin, v.participant_id) for v in kept] == [
        ("participant", author.id),
        ("facilitator", None),
    ]


def test_phones_may_propose_only_when_the_facilitator_allows(workshop, db):
    [author] = people(db, workshop, 1)
    assert not room(db, workshop).participants_may_propose
    refused("proposals-closed", models.propose_draft, db, workshop, MISSION, author)
    models.set_proposals_open(db, workshop, True)
    assert room(db, workshop).participants_may_propose
    assert models.propose_draft(db, workshop, MISSION, author).origin == "participant"
    models.set_proposals_open(db, workshop, False)
    refused("proposals-closed", models.propose_draft, db, workshop, BETTER, author)
    assert len(models.list_drafts(db, workshop)) == 1
    # The facilitator always may.
    assert models.propose_draft(db, workshop, BETTER).origin == "facilitator"


def test_drafts_are_capped_across_kinds(workshop, db):
    for n in range(rules.MAX_DRAFTS - 1):
        models.propose_draft(db, workshop, f"{MISSION} {n}")
    models.propose_draft(db, workshop, ROUTINE, kind="routine")
    refused("too-many-drafts", models.propose_draft, db, workshop, BETTER)
    refused("too-many-drafts", models.propose_draft, db, workshop, ROUTINE, kind="routine")
    assert len(models.list_drafts(db, workshop)) == rules.MAX_DRAFTS - 1
    assert len(models.list_drafts(db, workshop, "routine")) == 1


def test_an_unknown_draft_kind_is_an_error(workshop, db):
    with pytest.raises(ValueError):
        models.propose_draft(db, workshop, MISSION, kind="principles")
    assert models.list_drafts(db, workshop) == []


def test_list_drafts_gives_newest_first_with_history_and_shown_filter(workshop, db):
    first = models.propose_draft(db, workshop, MISSION)
    second = models.propose_draft(db, workshop, BETTER)
    models.propose_draft(db, workshop, ROUTINE, kind="routine")
    models.revise_draft(db, workshop, draft_of(db, workshop, first), MISSION + " zawsze")
    lines = models.list_drafts(db, workshop)
    assert [line.draft.id for line in lines] == [second.draft_id, first.draft_id]
    assert lines[1].latest.number == 2
    assert [v.number for v in lines[1].versions] == [1, 2]
    assert all(line.draft.kind == "mission" for line in lines)

    # A new draft goes on the screen; the facilitator takes drafts off and back on.
    assert len(models.list_drafts(db, workshop, shown_only=True)) == 2
    models.set_draft_shown(db, workshop, draft_of(db, workshop, second), False)
    [shown] = models.list_drafts(db, workshop, shown_only=True)
    assert shown.draft.id == first.draft_id
    assert len(models.list_drafts(db, workshop)) == 2
    models.set_draft_shown(db, workshop, shown.draft, False)
    assert models.list_drafts(db, workshop, shown_only=True) == []
    models.set_draft_shown(db, workshop, draft_of(db, workshop, second), True)
    [shown] = models.list_drafts(db, workshop, shown_only=True)
    assert shown.draft.id == second.draft_id


# 5. Amendments ---------------------------------------------------------------------------------


def test_an_amendment_goes_on_the_newest_version_only(workshop, db):
    [author] = people(db, workshop, 1)
    first = models.propose_draft(db, workshop, MISSION)
    second = models.revise_draft(db, workshop, draft_of(db, workshop, first), BETTER)
    refused("outdated", models.suggest_amendment, db, workshop, first, author, "Inaczej")
    amendment = models.suggest_amendment(db, workshop, second, author, BETTER + " zawsze")
    assert amendment.version_id == second.id
    assert amendment.draft_id == second.draft_id
    assert (amendment.status, amendment.participant_id) == ("pending", author.id)
    assert amendment.decided_at is None and amendment.result_version_id is None


def test_an_amendment_that_changes_nothing_is_refused(workshop, db):
    [author] = people(db, workshop, 1)
    version = models.propose_draft(db, workshop, MISSION)
    refused("unchanged", models.suggest_amendment, db, workshop, version, author, MISSION)
    assert models.list_amendments(db, workshop) == []


def test_accepting_an_amendment_makes_the_next_version_by_its_author(workshop, db):
    [author] = people(db, workshop, 1)
    version = models.propose_draft(db, workshop, MISSION)
    amendment = models.suggest_amendment(db, workshop, version, author, BETTER)
    [line] = models.list_drafts(db, workshop)
    assert line.pending == (amendment,)

    made = models.decide_amendment(db, workshop, amendment, accept=True)
    assert made.number == 2
    assert (made.text, made.origin) == (BETTER, "amendment")
    assert (made.participant_id, made.amendment_id) == (author.id, amendment.id)
    decided = models.get_amendment(db, workshop, amendment.id)
    assert (decided.status, decided.result_version_id) == ("accepted", made.id)
    assert decided.decided_at is not None
    [line] = models.list_drafts(db, workshop)
    assert line.latest == made
    assert line.pending == ()


def test_the_facilitators_own_amendment_is_accepted_without_an_author(workshop, db):
    version = models.propose_draft(db, workshop, MISSION)
    amendment = models.suggest_amendment(db, workshop, version, None, BETTER)
    made = models.decide_amendment(db, workshop, amendment, accept=True)
    assert (made.participant_id, made.origin) == (None, "amendment")


def test_declining_an_amendment_makes_no_version(workshop, db):
    [author] = people(db, workshop, 1)
    version = models.propose_draft(db, workshop, MISSION)
    amendment = models.suggest_amendment(db, workshop, version, author, BETTER)
    assert models.decide_amendment(db, workshop, amendment, accept=False) is None
    decided = models.get_amendment(db, workshop, amendment.id)
    assert (decided.status, decided.result_version_id) == ("declined", None)
    assert decided.decided_at is not None
    [line] = models.list_drafts(db, workshop)
    assert [v.number for v in line.versions] == [1]
    assert line.pending == ()


@pytest.mark.parametrize(("first", "second"), [(True, True), (True, False), (False, True)])
def test_an_amendment_is_decided_only_once(workshop, db, first, second):
    [author] = people(db, workshop, 1)
    version = models.propose_draft(db, workshop, MISSION)
    amendment = models.suggest_amendment(db, workshop, version, author, BETTER)
    models.decide_amendment(db, workshop, amendment, accept=first)
    refused("decided", models.decide_amendment, db, workshop, amendment, second)
    assert models.get_amendment(db, workshop, amendment.id).status == (
        "accepted" if first else "declined"
    )
    assert len(models.list_versions(db, draft_of(db, workshop, version))) == (2 if first else 1)


def test_after_an_accepted_amendment_the_old_version_is_outdated(workshop, db):
    [author] = people(db, workshop, 1)
    version = models.propose_draft(db, workshop, MISSION)
    amendment = models.suggest_amendment(db, workshop, version, author, BETTER)
    made = models.decide_amendment(db, workshop, amendment, accept=True)
    refused("outdated", models.suggest_amendment, db, workshop, version, author, "Inaczej")
    assert models.suggest_amendment(db, workshop, made, author, "Inaczej").version_id == made.id


# 6. Principles approval --------------------------------------------------------------------------


@pytest.mark.parametrize("count", [0, 1, 2, 13])
def test_a_principles_round_needs_three_to_twelve(workshop, db, count):
    set_principles(db, workshop, count)
    refused("principle-count", models.open_round, db, workshop, "principles")
    assert models.current_round(db, workshop) is None


@pytest.mark.parametrize("count", [3, 7, 12])
def test_a_principles_round_opens_on_three_to_twelve(workshop, db, count):
    pairs = set_principles(db, workshop, count)
    round_ = models.open_round(db, workshop, "principles")
    assert (round_.subject, round_.version_id) == ("principles", None)
    assert round_.principles == pairs


def test_the_round_decides_on_the_principles_as_they_were_when_it_opened(workshop, db):
    opened_with = set_principles(db, workshop, 4)
    round_ = models.open_round(db, workshop, "principles")
    changed = set_principles(db, workshop, 5)
    assert models.get_round(db, workshop, round_.id).principles == opened_with
    answer(db, workshop, round_, [1, 2, 3])
    closed = models.close_round(db, workshop, round_)
    assert closed.outcome == "agreed"
    agreed = [(p.name, p.line) for p in models.list_principles(db, workshop)]
    assert agreed == opened_with != changed
    assert round_record(db, closed)["principles"] == [list(p) for p in opened_with]


def test_agreed_principles_are_locked_until_reopened(workshop, db):
    pairs = set_principles(db, workshop, 3)
    round_ = models.open_round(db, workshop, "principles")
    answer(db, workshop, round_, [1, 1, 1])
    models.close_round(db, workshop, round_)
    assert room(db, workshop).principles_agreed_at is not None
    assert room(db, workshop).mission_agreed_at is None
    refused("agreed", models.replace_principles, db, workshop, [("A", "a")] * 3)
    refused("agreed", models.open_round, db, workshop, "principles")
    assert [(p.name, p.line) for p in models.list_principles(db, workshop)] == pairs
    # The mission is a separate agreement.
    version = models.propose_draft(db, workshop, MISSION)
    models.open_round(db, workshop, "mission", version)

    models.reopen_agreement(db, workshop, "principles")
    assert room(db, workshop).principles_agreed_at is None
    models.replace_principles(db, workshop, [("A", "a")] * 3)
    assert len(models.list_principles(db, workshop)) == 3


def test_failing_principles_round_keeps_them_editable(workshop, db):
    set_principles(db, workshop, 3)
    round_ = models.open_round(db, workshop, "principles")
    answer(db, workshop, round_, [1, 1, 5])
    assert models.close_round(db, workshop, round_).outcome == "not-agreed"
    assert room(db, workshop).principles_agreed_at is None
    set_principles(db, workshop, 4)
    assert len(models.list_principles(db, workshop)) == 4


# 7. The trust-recovery routine --------------------------------------------------------------------


def test_a_routine_round_agrees_the_routine_only(workshop, db):
    version = models.propose_draft(db, workshop, ROUTINE, kind="routine")
    assert draft_of(db, workshop, version).kind == "routine"
    assert models.list_drafts(db, workshop) == []
    [line] = models.list_drafts(db, workshop, "routine")
    assert line.latest == version
    round_ = models.open_round(db, workshop, "routine", version)
    answer(db, workshop, round_, [1, 2, 3])
    assert models.close_round(db, workshop, round_).outcome == "agreed"
    agreed = room(db, workshop)
    assert agreed.routine == ROUTINE
    assert agreed.routine_agreed_at is not None
    assert agreed.mission_agreed_at is None
    # The routine is locked; the mission is not.
    refused("agreed", models.propose_draft, db, workshop, ROUTINE + "!", kind="routine")
    refused("agreed", models.revise_draft, db, workshop, draft_of(db, workshop, version), "x")
    refused("agreed", models.open_round, db, workshop, "routine", version)
    models.propose_draft(db, workshop, MISSION)
    models.reopen_agreement(db, workshop, "routine")
    assert room(db, workshop).routine_agreed_at is None
    assert models.propose_draft(db, workshop, BETTER, kind="routine").number == 1


def test_a_mission_round_cannot_open_on_a_routine_version_nor_the_reverse(workshop, db):
    routine = models.propose_draft(db, workshop, ROUTINE, kind="routine")
    mission = models.propose_draft(db, workshop, MISSION)
    refused("not-found", models.open_round, db, workshop, "mission", routine)
    refused("not-found", models.open_round, db, workshop, "routine", mission)
    refused("not-found", models.open_round, db, workshop, "mission")
    assert models.list_rounds(db, workshop) == []


def test_a_round_cannot_open_on_another_workshops_version(app, workshop, db):
    with app.app_context():
        other, _token = make_workshop(db, "Gabinet Pod Dębem")
    theirs = models.propose_draft(db, other, MISSION)
    refused("not-found", models.open_round, db, workshop, "mission", theirs)


# 8. The JSON record -------------------------------------------------------------------------------


def test_the_record_carries_drafts_amendments_and_rounds_without_ids_or_secrets(app, db):
    with app.app_context():
        earlier, _token = make_workshop(db, "Wcześniejszy warsztat")
        workshop, admin_token = make_workshop(db)
    people(db, earlier, 3)  # so participant ids and numbers differ
    keys = [models.add_participant(db, workshop) for _ in range(4)]
    author, blocker, *_ = (p for p, _key in keys)
    session_id = models.start_facilitator_session(db, workshop)

    models.set_proposals_open(db, workshop, True)
    first = models.propose_draft(db, workshop, MISSION, author)
    accepted = models.suggest_amendment(db, workshop, first, author, BETTER)
    second = models.decide_amendment(db, workshop, accepted, accept=True)
    declined = models.suggest_amendment(db, workshop, second, blocker, BETTER + " zawsze")
    models.decide_amendment(db, workshop, declined, accept=False)
    routine = models.propose_draft(db, workshop, ROUTINE, kind="routine")

    failed = models.open_round(db, workshop, "mission", first)
    for (person, _key), level in zip(keys, [1, 5, 4, 1], strict=True):
        models.answer_round(db, workshop, failed, person, level, f"Powód {level}")
    models.close_round(db, workshop, failed)
    forced = models.open_round(db, workshop, "mission", second, threshold=90, min_answers=4)
    models.answer_round(db, workshop, forced, author, 2)
    models.answer_round(db, workshop, forced, blocker, 4)
    models.close_round(db, workshop, forced, override_note="Zespół się zgodził")

    record = workshop_record(db, workshop)
    [mission_draft, routine_draft] = record["drafts"]
    assert (mission_draft["id"], mission_draft["kind"]) == (first.draft_id, "mission")
    assert [v["number"] for v in mission_draft["versions"]] == [1, 2]
    assert [v["text"] for v in mission_draft["versions"]] == [MISSION, BETTER]
    assert [v["origin"] for v in mission_draft["versions"]] == ["participant", "amendment"]
    assert [v["proposed_by"] for v in mission_draft["versions"]] == [1, 1]
    assert mission_draft["versions"][1]["amendment"] == accepted.id
    assert routine_draft["kind"] == "routine"
    assert routine_draft["versions"][0]["proposed_by"] == "facilitator"
    assert routine_draft["versions"][0]["text"] == routine.text

    assert [(a["id"], a["status"]) for a in record["amendments"]] == [
        (accepted.id, "accepted"),
        (declined.id, "declined"),
    ]
    assert record["amendments"][0]["result_version"] == second.id
    assert [a["suggested_by"] for a in record["amendments"]] == [1, 2]

    old, new = record["rounds"]
    assert (old["id"], old["outcome"], old["note"]) == (failed.id, "not-agreed", "")
    assert (new["id"], new["outcome"]) == (forced.id, "overridden")
    assert new["note"] == "Zespół się zgodził"
    assert (new["threshold"], new["min_answers"]) == (90, 4)
    assert old["text"] == MISSION and new["text"] == BETTER
    assert old["answers"] == [
        {"level": 1, "count": 2},
        {"level": 2, "count": 0},
        {"level": 3, "count": 0},
        {"level": 4, "count": 1},
        {"level": 5, "count": 1},
    ]
    assert sorted(old["reasons"], key=lambda r: r["level"]) == [
        {"level": 4, "reason": "Powód 4"},
        {"level": 5, "reason": "Powód 5"},
    ]
    for round_ in record["rounds"]:
        for entry in round_["answers"]:
            assert set(entry) == {"level", "count"}
        for entry in round_["reasons"]:
            assert set(entry) == {"level", "reason"}
    assert record["mission"]["text"] == BETTER
    assert record["mission"]["agreed_at"] is not None

    dumped = json.dumps(record, ensure_ascii=False)
    assert "Powód 1" not in dumped  # dropped at level 1
    fresh = room(db, workshop)
    secrets = [admin_token, fresh.admin_token_hash, fresh.join_token, fresh.screen_token]
    secrets += [session_id, models.token_hash(session_id)]
    for person, key in keys:
        secrets += [key, person.key_hash, models.token_hash(key)]
    for secret in secrets:
        assert secret not in dumped
    assert "participant_id" not in dumped


# 9. Concurrency -----------------------------------------------------------------------------------


def _in_parallel(calls):
    """Run each ``call(database)`` at once from its own thread and connection."""
    barrier = threading.Barrier(len(calls))
    outcomes = [None] * len(calls)

    def run(index, path, call):
        database = connect(path)
        try:
            barrier.wait(timeout=10)
            call(database)
            outcomes[index] = "ok"
        except Refused as refusal:
            outcomes[index] = refusal.reason
        except Exception as error:  # noqa: BLE001 - any other failure is the finding
            outcomes[index] = repr(error)
        finally:
            database.close()

    threads = [
        threading.Thread(target=run, args=(index, *call)) for index, call in enumerate(calls)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not any(thread.is_alive() for thread in threads)
    return outcomes


def test_many_phones_answering_at_once_store_one_answer_each(app, workshop, db):
    path = app.config["DATABASE"]
    _version, round_ = mission_round(db, workshop)
    room_people = people(db, workshop, 12)

    def answering(person, level):
        return lambda database: models.answer_round(
            database, workshop, round_, person, level, REASON
        )

    # Everyone taps three times (changing their mind), all at once.
    calls = [(path, answering(person, level)) for level in (5, 4, 2) for person in room_people]
    outcomes = _in_parallel(calls)
    assert outcomes == ["ok"] * len(calls)
    result = tally(db, workshop, round_)
    assert result.answered == 12
    assert sum(result.counts.values()) == 12
    rows = list(
        db.query("select participant_id from round_answers where round_id = ?", [round_.id])
    )
    assert sorted(row["participant_id"] for row in rows) == sorted(p.id for p in room_people)
    for person in room_people:
        assert models.my_round_answer(db, round_, person).level in (2, 4, 5)


def test_rounds_opened_at_once_leave_exactly_one_open(app, workshop, db):
    path = app.config["DATABASE"]
    versions = [models.propose_draft(db, workshop, f"{MISSION} {n}") for n in range(6)]

    def opening(version):
        return lambda database: models.open_round(database, workshop, "mission", version)

    outcomes = _in_parallel([(path, opening(version)) for version in versions])
    assert sorted(outcomes) == ["ok"] + ["round-open"] * 5
    assert len(models.list_rounds(db, workshop)) == 1
    assert models.current_round(db, workshop) is not None
