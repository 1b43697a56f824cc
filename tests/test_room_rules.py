"""The rules of running the room (issue 3): dots, hiding, merges, themes, moderation, timers.

Everything here goes through ``workshop.models`` against a real SQLite file; the
concurrency tests open one connection per thread (or process), as the server does.
"""

import json
import multiprocessing
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import polib
import pytest
from flask_babel import force_locale

from workshop import models, rules
from workshop.board import stage_board
from workshop.db import connect
from workshop.method import optional_stages, template_stages
from workshop.models import Refused
from workshop.record import workshop_record
from workshop.wordfilter import flagged_words, needs_review

PO_PL = Path(__file__).resolve().parent.parent / "workshop/translations/pl/LC_MESSAGES/messages.po"


# Helpers: rows built through models, fresh objects re-read after every change ------------


def first_stage(db, workshop):
    """Return the workshop's first (and current) question stage, freshly read."""
    return models.list_stages(db, workshop)[0]


def fresh(db, workshop, stage):
    return models.get_stage(db, workshop, stage.id)


def person(db, workshop, name=""):
    """Let someone join; return them (fresh) and their phone's key."""
    participant, key = models.add_participant(db, workshop)
    if name:
        models.rename_participant(db, workshop, participant, name)
        participant = models.get_participant_by_id(db, workshop, participant.id)
    return participant, key


def answers(db, workshop, stage, participant, *bodies):
    return [models.add_answer(db, workshop, stage, participant, body) for body in bodies]


def voting_on(db, workshop, bodies=("Care", "Trust", "Respect", "Time"), **options):
    """Collect answers on the first stage, open voting; return stage, answers, a voter."""
    stage = first_stage(db, workshop)
    author, _key = person(db, workshop, "Ala")
    made = answers(db, workshop, stage, author, *bodies)
    models.open_voting(db, workshop, stage, **options)
    voter, _key = person(db, workshop, "Ola")
    return fresh(db, workshop, stage), made, voter


def board(db, workshop, stage, **kwargs):
    return stage_board(db, workshop, fresh(db, workshop, stage), **kwargs)


def card_votes(db, workshop, stage, for_room=False):
    return {card.id: card.votes for card in board(db, workshop, stage, for_room=for_room).cards}


def expire_timer(db, stage, seconds_ago=5):
    """Move a running timer's end into the past (no sleeping)."""
    past = datetime.now(UTC) - timedelta(seconds=seconds_ago)
    db.execute(
        "update stages set timer_ends_at = ? where id = ?",
        [past.isoformat(timespec="milliseconds"), stage.id],
    )
    db.conn.commit()


def refused(reason, call, *args, **kwargs):
    with pytest.raises(Refused) as caught:
        call(*args, **kwargs)
    assert caught.value.reason == reason


# 1. Dot voting ---------------------------------------------------------------------------------


def test_voting_budget_defaults_to_three_dots(workshop, db):
    stage, made, voter = voting_on(db, workshop)
    assert stage.is_voting
    assert stage.vote_budget == rules.DEFAULT_VOTE_BUDGET == 3
    for answer in made[:3]:
        models.cast_vote(db, workshop, voter, answer)
    refused("no-dots-left", models.cast_vote, db, workshop, voter, made[3])
    assert models.dots_spent(db, stage, voter) == 3
    assert card_votes(db, workshop, stage) == {
        made[0].id: 1,
        made[1].id: 1,
        made[2].id: 1,
        made[3].id: 0,
    }


@pytest.mark.parametrize("budget", [0, -1, 11, 100])
def test_budget_outside_one_to_ten_is_refused(workshop, db, budget):
    stage = first_stage(db, workshop)
    refused("bad-budget", models.open_voting, db, workshop, stage, budget=budget)
    assert fresh(db, workshop, stage).voting == "off"


@pytest.mark.parametrize("budget", [1, 5, 10])
def test_budget_is_enforced_at_any_allowed_size(workshop, db, budget):
    stage, made, voter = voting_on(db, workshop, bodies=("One", "Two"), budget=budget)
    assert stage.vote_budget == budget
    for tap in range(budget):
        models.cast_vote(db, workshop, voter, made[tap % 2])
    refused("no-dots-left", models.cast_vote, db, workshop, voter, made[0])
    assert models.dots_spent(db, stage, voter) == budget
    assert sum(card_votes(db, workshop, stage).values()) == budget


def test_voting_cannot_open_on_a_stage_without_answers(workshop, db):
    mission = next(s for s in models.list_stages(db, workshop) if s.kind == "mission")
    refused("bad-budget", models.open_voting, db, workshop, mission)


def test_budgets_are_per_person(workshop, db):
    stage, made, voter = voting_on(db, workshop, budget=2)
    other, _key = person(db, workshop)
    for who in (voter, other):
        models.cast_vote(db, workshop, who, made[0])
        models.cast_vote(db, workshop, who, made[1])
        refused("no-dots-left", models.cast_vote, db, workshop, who, made[2])
    assert card_votes(db, workshop, stage)[made[0].id] == 2


def test_several_dots_may_go_on_one_answer_unless_one_per_answer(workshop, db):
    stage, made, voter = voting_on(db, workshop)
    models.cast_vote(db, workshop, voter, made[0])
    models.cast_vote(db, workshop, voter, made[0])
    assert card_votes(db, workshop, stage)[made[0].id] == 2

    models.clear_votes(db, workshop, stage)
    models.open_voting(db, workshop, stage, one_dot_per_answer=True)
    stage = fresh(db, workshop, stage)
    assert stage.one_dot_per_answer
    models.cast_vote(db, workshop, voter, made[0])
    refused("one-per-answer", models.cast_vote, db, workshop, voter, made[0])
    models.cast_vote(db, workshop, voter, made[1])
    assert models.dots_spent(db, stage, voter) == 2
    assert card_votes(db, workshop, stage)[made[0].id] == 1


def test_one_dot_per_answer_counts_the_whole_merged_card(workshop, db):
    stage, made, voter = voting_on(db, workshop, one_dot_per_answer=True)
    models.cast_vote(db, workshop, voter, made[0])
    models.merge_answers(db, workshop, made[0], made[1])
    refused("one-per-answer", models.cast_vote, db, workshop, voter, made[1])
    refused("one-per-answer", models.cast_vote, db, workshop, voter, made[0])
    assert models.dots_spent(db, stage, voter) == 1


def test_a_dot_can_be_withdrawn_and_spent_again(workshop, db):
    stage, made, voter = voting_on(db, workshop)
    for answer in made[:3]:
        models.cast_vote(db, workshop, voter, answer)
    models.withdraw_vote(db, workshop, voter, made[1])
    assert models.dots_spent(db, stage, voter) == 2
    assert card_votes(db, workshop, stage)[made[1].id] == 0
    refused("no-dot-here", models.withdraw_vote, db, workshop, voter, made[1])
    refused("no-dot-here", models.withdraw_vote, db, workshop, voter, made[3])
    models.cast_vote(db, workshop, voter, made[3])
    assert models.dots_spent(db, stage, voter) == 3


def test_withdrawing_takes_only_my_own_dot(workshop, db):
    stage, made, voter = voting_on(db, workshop)
    other, _key = person(db, workshop)
    models.cast_vote(db, workshop, other, made[0])
    refused("no-dot-here", models.withdraw_vote, db, workshop, voter, made[0])
    assert models.dots_spent(db, stage, other) == 1


def test_dots_are_refused_before_voting_opens_and_after_it_closes(workshop, db):
    stage = first_stage(db, workshop)
    author, _key = person(db, workshop)
    [answer] = answers(db, workshop, stage, author, "Care")
    refused("voting-closed", models.cast_vote, db, workshop, author, answer)

    models.open_voting(db, workshop, stage)
    models.cast_vote(db, workshop, author, answer)
    models.close_voting(db, workshop, fresh(db, workshop, stage))
    stage = fresh(db, workshop, stage)
    assert stage.voting == "closed"
    refused("voting-closed", models.cast_vote, db, workshop, author, answer)
    refused("voting-closed", models.withdraw_vote, db, workshop, author, answer)
    assert card_votes(db, workshop, stage) == {answer.id: 1}


def test_a_removed_participant_cannot_vote_and_their_dots_stop_counting(workshop, db):
    stage, made, voter = voting_on(db, workshop)
    models.cast_vote(db, workshop, voter, made[0])
    assert models.count_voters(db, stage) == (1, 1)
    models.remove_participant(db, workshop, voter)
    voter = models.get_participant_by_id(db, workshop, voter.id)
    assert voter.removed_at is not None
    refused("removed", models.cast_vote, db, workshop, voter, made[1])
    assert models.count_voters(db, stage) == (0, 0)
    assert card_votes(db, workshop, stage)[made[0].id] == 0


def test_flagged_and_hidden_answers_take_no_dots(workshop, db):
    stage = first_stage(db, workshop)
    author, _key = person(db, workshop)
    clean, rude, hidden = answers(db, workshop, stage, author, "Care", "this is shit", "Time")
    models.moderate(db, workshop, hidden, "hidden")
    models.open_voting(db, workshop, stage)
    refused("not-found", models.cast_vote, db, workshop, author, rude)
    refused("not-found", models.cast_vote, db, workshop, author, hidden)
    models.cast_vote(db, workshop, author, clean)
    assert models.dots_spent(db, fresh(db, workshop, stage), author) == 1


def test_dots_on_an_answer_of_another_stage_are_refused(workshop, db):
    stage, made, voter = voting_on(db, workshop)
    other_stage = models.list_stages(db, workshop)[1]
    [elsewhere] = [
        models.add_answer(
            db, workshop, other_stage, voter, "Elsewhere", entered_by="facilitator"
        )
    ]
    refused("voting-closed", models.cast_vote, db, workshop, voter, elsewhere)
    assert models.dots_spent(db, stage, voter) == 0


def test_votes_on_a_merged_answer_count_for_its_card(workshop, db):
    stage, made, voter = voting_on(db, workshop, budget=5)
    other, _key = person(db, workshop)
    models.cast_vote(db, workshop, voter, made[0])
    models.cast_vote(db, workshop, other, made[1])
    models.merge_answers(db, workshop, made[0], made[1])
    # A phone still showing the old card taps it: the dot lands on the merged card.
    models.cast_vote(db, workshop, voter, made[0])
    votes = card_votes(db, workshop, stage)
    assert made[0].id not in votes
    assert votes[made[1].id] == 3
    assert models.dots_spent(db, stage, voter) == 2


# 1b. The budget under concurrent taps (threads and processes on one SQLite file) ------------


def _tap_in_parallel(path, workshop, taps):
    """Run ``(participant, answer)`` taps at once, one connection per thread."""
    barrier = threading.Barrier(len(taps))
    outcomes = [None] * len(taps)

    def tap(index, participant, answer):
        database = connect(path)
        try:
            barrier.wait(timeout=10)
            models.cast_vote(database, workshop, participant, answer)
            outcomes[index] = "ok"
        except Refused as refusal:
            outcomes[index] = refusal.reason
        except Exception as error:  # noqa: BLE001 - any other failure is the finding
            outcomes[index] = repr(error)
        finally:
            database.close()

    threads = [
        threading.Thread(target=tap, args=(index, participant, answer))
        for index, (participant, answer) in enumerate(taps)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not any(thread.is_alive() for thread in threads)
    return outcomes


def test_eight_simultaneous_taps_never_spend_more_than_the_budget(app, workshop, db):
    stage, made, voter = voting_on(db, workshop)
    taps = [(voter, made[index % len(made)]) for index in range(8)]
    outcomes = _tap_in_parallel(app.config["DATABASE"], workshop, taps)
    assert sorted(outcomes) == ["no-dots-left"] * 5 + ["ok"] * 3
    assert models.dots_spent(db, stage, voter) == 3
    assert sum(card_votes(db, workshop, stage).values()) == 3


def test_simultaneous_taps_on_one_card_with_one_dot_per_answer_store_one(app, workshop, db):
    stage, made, voter = voting_on(db, workshop, one_dot_per_answer=True)
    outcomes = _tap_in_parallel(app.config["DATABASE"], workshop, [(voter, made[0])] * 6)
    assert sorted(outcomes) == ["ok"] + ["one-per-answer"] * 5
    assert card_votes(db, workshop, stage)[made[0].id] == 1


def test_many_people_tapping_at_once_each_keep_their_own_budget(app, workshop, db):
    stage, made, _voter = voting_on(db, workshop)
    people = [person(db, workshop)[0] for _ in range(5)]
    taps = [(who, made[tap % len(made)]) for who in people for tap in range(6)]
    outcomes = _tap_in_parallel(app.config["DATABASE"], workshop, taps)
    assert outcomes.count("ok") == 15
    assert outcomes.count("no-dots-left") == 15
    assert [models.dots_spent(db, stage, who) for who in people] == [3] * 5
    assert models.count_voters(db, stage) == (5, 15)


def _tap_from_process(path, workshop_id, participant_id, answer_id, barrier, results):
    database = connect(path)
    try:
        workshop = models.get_workshop_by_id(database, workshop_id)
        participant = models.get_participant_by_id(database, workshop, participant_id)
        answer = models.get_answer(database, workshop, answer_id)
        barrier.wait(timeout=30)
        models.cast_vote(database, workshop, participant, answer)
        results.put("ok")
    except Refused as refusal:
        results.put(refusal.reason)
    except Exception as error:  # noqa: BLE001 - any other failure is the finding
        results.put(repr(error))
    finally:
        database.close()


def test_taps_from_separate_server_processes_never_overspend(app, workshop, db):
    """Two gunicorn workers share no lock in memory: only BEGIN IMMEDIATE keeps the budget."""
    stage, made, voter = voting_on(db, workshop)
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(5)
    results = context.Queue()
    processes = [
        context.Process(
            target=_tap_from_process,
            args=(app.config["DATABASE"], workshop.id, voter.id, made[i % 4].id, barrier, results),
        )
        for i in range(5)
    ]
    for process in processes:
        process.start()
    outcomes = sorted(results.get(timeout=60) for _ in processes)
    for process in processes:
        process.join(timeout=30)
    assert outcomes == ["no-dots-left"] * 2 + ["ok"] * 3
    assert models.dots_spent(db, stage, voter) == 3


# 2. Hidden until revealed ------------------------------------------------------------------


def test_answers_collected_hidden_show_only_a_count_until_revealed(workshop, db):
    stage = first_stage(db, workshop)
    models.set_answers_hidden(db, workshop, stage, True)
    author, _key = person(db, workshop)
    made = answers(db, workshop, stage, author, "Care", "Trust", "Respect")

    room = board(db, workshop, stage)
    assert room.cards == ()
    assert room.columns == ()
    assert room.total == 3
    facilitator = board(db, workshop, stage, for_room=False)
    assert [card.id for card in facilitator.cards] == [c.id for c in made]

    models.set_answers_hidden(db, workshop, stage, False)
    room = board(db, workshop, stage)
    assert [card.body for card in room.cards] == ["Care", "Trust", "Respect"]
    assert room.total == 3


def test_hidden_answers_stay_out_of_a_phones_own_view_of_the_board(workshop, db):
    stage = first_stage(db, workshop)
    models.set_answers_hidden(db, workshop, stage, True)
    author, _key = person(db, workshop)
    answers(db, workshop, stage, author, "Mine")
    assert board(db, workshop, stage, viewer=author).cards == ()


def test_vote_counts_stay_zero_for_the_room_until_results_are_revealed(workshop, db):
    stage, made, voter = voting_on(db, workshop)
    other, _key = person(db, workshop)
    models.cast_vote(db, workshop, voter, made[2])
    models.cast_vote(db, workshop, voter, made[2])
    models.cast_vote(db, workshop, other, made[2])
    models.cast_vote(db, workshop, other, made[1])

    room = board(db, workshop, stage, viewer=voter)
    assert [card.votes for card in room.cards] == [0, 0, 0, 0]
    assert room.max_votes == 0
    assert [card.id for card in room.cards] == [c.id for c in made]  # not ranked yet
    assert {card.id: card.my_votes for card in room.cards}[made[2].id] == 2
    assert card_votes(db, workshop, stage) == {
        made[0].id: 0,
        made[1].id: 1,
        made[2].id: 3,
        made[3].id: 0,
    }

    models.close_voting(db, workshop, stage)
    assert [card.votes for card in board(db, workshop, stage).cards] == [0, 0, 0, 0]

    models.reveal_results(db, workshop, fresh(db, workshop, stage))
    room = board(db, workshop, stage)
    assert [(card.body, card.votes) for card in room.cards] == [
        ("Respect", 3),
        ("Trust", 1),
        ("Care", 0),
        ("Time", 0),
    ]
    assert room.max_votes == 3

    models.reveal_results(db, workshop, fresh(db, workshop, stage), revealed=False)
    assert [card.votes for card in board(db, workshop, stage).cards] == [0, 0, 0, 0]


def test_revealing_while_voting_is_still_open_ranks_the_room_board(workshop, db):
    stage, made, voter = voting_on(db, workshop)
    models.cast_vote(db, workshop, voter, made[3])
    models.reveal_results(db, workshop, stage)
    room = board(db, workshop, stage)
    assert room.cards[0].id == made[3].id
    assert room.cards[0].votes == 1


def test_clearing_votes_forgets_every_dot(workshop, db):
    stage, made, voter = voting_on(db, workshop)
    models.cast_vote(db, workshop, voter, made[0])
    models.reveal_results(db, workshop, stage)
    models.clear_votes(db, workshop, stage)
    stage = fresh(db, workshop, stage)
    assert stage.voting == "off"
    assert not stage.results_revealed
    assert models.dots_spent(db, stage, voter) == 0


@pytest.mark.parametrize("body", ["Kurwa, co za dzień", "this is shit"])
def test_flagged_answers_wait_for_approval_out_of_the_rooms_sight(workshop, db, body):
    stage = first_stage(db, workshop)
    author, _key = person(db, workshop)
    clean, rude = answers(db, workshop, stage, author, "Care", body)
    assert clean.moderation == "visible"
    assert rude.moderation == "flagged"
    assert not rude.is_visible

    room = board(db, workshop, stage)
    assert [card.id for card in room.cards] == [clean.id]
    assert room.total == 1
    assert rude.id in [card.id for card in board(db, workshop, stage, for_room=False).cards]

    models.moderate(db, workshop, rude, "visible")
    assert [card.id for card in board(db, workshop, stage).cards] == [clean.id, rude.id]


def test_flagged_words_in_the_detail_line_are_caught_too(workshop, db):
    stage = first_stage(db, workshop)
    author, _key = person(db, workshop)
    rude = models.add_answer(db, workshop, stage, author, "Honesty", "no bullshit")
    assert rude.moderation == "flagged"
    assert board(db, workshop, stage).cards == ()


def test_an_edit_that_adds_a_rude_word_is_held_for_review(workshop, db):
    stage = first_stage(db, workshop)
    author, _key = person(db, workshop)
    [answer] = answers(db, workshop, stage, author, "Care")
    edited = models.update_answer(db, workshop, answer, "kurwa care")
    assert edited.moderation == "flagged"
    assert board(db, workshop, stage).cards == ()


def test_hidden_answers_never_reach_the_room_even_merged_into_a_card(workshop, db):
    stage = first_stage(db, workshop)
    author, _key = person(db, workshop)
    shown, hidden, rude = answers(db, workshop, stage, author, "Care", "Secret", "shit care")
    models.moderate(db, workshop, hidden, "hidden")
    models.merge_answers(db, workshop, hidden, shown)
    models.merge_answers(db, workshop, rude, shown)
    [card] = board(db, workshop, stage).cards
    assert card.id == shown.id
    assert card.merged == ()
    [card] = board(db, workshop, stage, for_room=False).cards
    assert {m.id for m in card.merged} == {hidden.id, rude.id}


# 3. Merge and undo -----------------------------------------------------------------------------


def test_merging_makes_one_card_with_votes_and_authors_combined(workshop, db):
    stage = first_stage(db, workshop)
    ala, _key = person(db, workshop, "Ala")
    ola, _key = person(db, workshop, "Ola")
    [a] = answers(db, workshop, stage, ala, "Kindness")
    [b] = answers(db, workshop, stage, ola, "Being kind")
    [c] = answers(db, workshop, stage, ola, "Time")
    models.open_voting(db, workshop, stage)
    models.cast_vote(db, workshop, ala, a)
    models.cast_vote(db, workshop, ala, a)
    models.cast_vote(db, workshop, ola, b)
    models.cast_vote(db, workshop, ola, c)

    models.merge_answers(db, workshop, a, b)
    merged_a = models.get_answer(db, workshop, a.id)
    assert merged_a.merged_into == b.id
    facilitator = board(db, workshop, stage, for_room=False)
    assert [card.id for card in facilitator.cards] == [b.id, c.id]
    [card] = [card for card in facilitator.cards if card.id == b.id]
    assert card.votes == 3
    assert [m.id for m in card.merged] == [a.id]
    assert set(card.authors) == {"Ala", "Ola"}
    assert facilitator.total == 2

    models.reveal_results(db, workshop, fresh(db, workshop, stage))
    room = board(db, workshop, stage)
    assert [(card.id, card.votes) for card in room.cards] == [(b.id, 3), (c.id, 1)]
    assert room.total == 2


def test_merge_chains_resolve_to_the_last_card(workshop, db):
    stage, made, voter = voting_on(db, workshop, budget=4)
    a, b, c, d = made
    models.cast_vote(db, workshop, voter, a)
    models.cast_vote(db, workshop, voter, b)
    models.cast_vote(db, workshop, voter, c)
    models.merge_answers(db, workshop, a, b)
    models.merge_answers(db, workshop, models.get_answer(db, workshop, b.id), c)

    facilitator = board(db, workshop, stage, for_room=False)
    assert [card.id for card in facilitator.cards] == [c.id, d.id]
    [card_c] = [card for card in facilitator.cards if card.id == c.id]
    assert {m.id for m in card_c.merged} == {a.id, b.id}
    assert card_c.votes == 3
    # A dot on the oldest answer of the chain lands on the card at its end.
    models.cast_vote(db, workshop, voter, a)
    assert card_votes(db, workshop, stage) == {c.id: 4, d.id: 0}


def test_merging_a_card_into_an_answer_already_merged_goes_to_its_card(workshop, db):
    stage, made, _voter = voting_on(db, workshop)
    a, b, c, _d = made
    models.merge_answers(db, workshop, a, b)
    models.merge_answers(db, workshop, c, models.get_answer(db, workshop, a.id))
    assert models.get_answer(db, workshop, c.id).merged_into == b.id
    [card] = [card for card in board(db, workshop, stage, for_room=False).cards if card.id == b.id]
    assert {m.id for m in card.merged} == {a.id, c.id}


def test_unmerging_restores_the_card_with_its_own_votes(workshop, db):
    stage, made, voter = voting_on(db, workshop)
    a, b, _c, _d = made
    models.cast_vote(db, workshop, voter, a)
    models.cast_vote(db, workshop, voter, a)
    models.cast_vote(db, workshop, voter, b)
    models.merge_answers(db, workshop, a, b)
    assert card_votes(db, workshop, stage)[b.id] == 3

    models.unmerge_answer(db, workshop, models.get_answer(db, workshop, a.id))
    assert models.get_answer(db, workshop, a.id).merged_into is None
    votes = card_votes(db, workshop, stage)
    assert votes[a.id] == 2
    assert votes[b.id] == 1
    [card_b] = [card for card in board(db, workshop, stage).cards if card.id == b.id]
    assert card_b.merged == ()


def test_unmerging_the_middle_of_a_chain_takes_its_own_merges_along(workshop, db):
    stage, made, _voter = voting_on(db, workshop)
    a, b, c, _d = made
    models.merge_answers(db, workshop, a, b)
    models.merge_answers(db, workshop, models.get_answer(db, workshop, b.id), c)
    models.unmerge_answer(db, workshop, models.get_answer(db, workshop, b.id))
    cards = {card.id: card for card in board(db, workshop, stage, for_room=False).cards}
    assert [m.id for m in cards[b.id].merged] == [a.id]
    assert cards[c.id].merged == ()


def test_merging_into_itself_or_its_own_card_is_refused(workshop, db):
    stage, made, _voter = voting_on(db, workshop)
    a, b, _c, _d = made
    refused("same-card", models.merge_answers, db, workshop, a, a)
    models.merge_answers(db, workshop, a, b)
    a = models.get_answer(db, workshop, a.id)
    refused("same-card", models.merge_answers, db, workshop, a, b)
    refused("same-card", models.merge_answers, db, workshop, b, a)
    assert models.get_answer(db, workshop, b.id).merged_into is None
    assert len(board(db, workshop, stage, for_room=False).cards) == 3


def test_merging_answers_of_different_stages_is_refused(workshop, db):
    stage, made, voter = voting_on(db, workshop)
    other_stage = models.list_stages(db, workshop)[1]
    elsewhere = models.add_answer(
        db, workshop, other_stage, voter, "Elsewhere", entered_by="facilitator"
    )
    refused("not-found", models.merge_answers, db, workshop, made[0], elsewhere)
    refused("not-found", models.merge_answers, db, workshop, elsewhere, made[0])


def test_a_merged_answer_leaves_its_theme(workshop, db):
    stage = first_stage(db, workshop)
    author, _key = person(db, workshop)
    a, b = answers(db, workshop, stage, author, "Care", "Caring")
    theme = models.add_theme(db, workshop, stage, "People")
    models.set_theme(db, workshop, a, theme)
    models.merge_answers(db, workshop, models.get_answer(db, workshop, a.id), b)
    assert models.get_answer(db, workshop, a.id).theme_id is None


# 4. Themes ------------------------------------------------------------------------------------


def test_themes_become_columns_in_order_with_an_ungrouped_pile_last(workshop, db):
    stage = first_stage(db, workshop)
    author, _key = person(db, workshop)
    made = answers(db, workshop, stage, author, "Care", "Time", "Trust", "Tea")
    assert board(db, workshop, stage).columns == ()
    assert not board(db, workshop, stage).is_grouped

    people = models.add_theme(db, workshop, stage, "People")
    time = models.add_theme(db, workshop, stage, "Time")
    models.set_theme(db, workshop, made[0], people)
    models.set_theme(db, workshop, made[2], people)
    models.set_theme(db, workshop, made[1], time)

    room = board(db, workshop, stage)
    assert room.is_grouped
    assert [t.name for t in room.themes] == ["People", "Time"]
    assert [
        (col.theme.name if col.theme else None, [c.body for c in col.cards]) for col in room.columns
    ] == [
        ("People", ["Care", "Trust"]),
        ("Time", ["Time"]),
        (None, ["Tea"]),
    ]

    models.set_theme(db, workshop, made[3], time)
    assert [col.theme.name for col in board(db, workshop, stage).columns] == ["People", "Time"]

    models.set_theme(db, workshop, made[1], None)
    columns = board(db, workshop, stage).columns
    assert columns[-1].theme is None
    assert [c.body for c in columns[-1].cards] == ["Time"]


def test_deleting_a_theme_returns_its_cards_to_the_ungrouped_pile(workshop, db):
    stage = first_stage(db, workshop)
    author, _key = person(db, workshop)
    made = answers(db, workshop, stage, author, "Care", "Time")
    people = models.add_theme(db, workshop, stage, "People")
    models.add_theme(db, workshop, stage, "Empty")
    models.set_theme(db, workshop, made[0], people)
    models.set_theme(db, workshop, made[1], people)

    models.delete_theme(db, workshop, people)
    assert models.get_theme(db, workshop, people.id) is None
    assert models.get_answer(db, workshop, made[0].id).theme_id is None
    room = board(db, workshop, stage)
    assert [t.name for t in room.themes] == ["Empty"]
    assert [
        (col.theme.name if col.theme else None, [c.body for c in col.cards]) for col in room.columns
    ] == [("Empty", []), (None, ["Care", "Time"])]


def test_renaming_a_theme_renames_its_column(workshop, db):
    stage = first_stage(db, workshop)
    theme = models.add_theme(db, workshop, stage, "Peple")
    models.rename_theme(db, workshop, theme, "People")
    assert [t.name for t in models.list_themes(db, stage)] == ["People"]


def test_a_stage_holds_at_most_twelve_themes(workshop, db):
    stage = first_stage(db, workshop)
    for index in range(rules.MAX_THEMES_PER_STAGE):
        models.add_theme(db, workshop, stage, f"Theme {index}")
    refused("too-many-themes", models.add_theme, db, workshop, stage, "One too many")
    assert len(models.list_themes(db, stage)) == 12 == rules.MAX_THEMES_PER_STAGE
    # The cap is per stage.
    models.add_theme(db, workshop, models.list_stages(db, workshop)[1], "Elsewhere")


def test_themes_order_stays_the_order_of_creation_after_a_delete(workshop, db):
    stage = first_stage(db, workshop)
    first, _second, _third = (models.add_theme(db, workshop, stage, n) for n in "ABC")
    models.delete_theme(db, workshop, first)
    models.add_theme(db, workshop, stage, "D")
    assert [t.name for t in models.list_themes(db, stage)] == ["B", "C", "D"]


def test_an_answer_cannot_go_into_another_stages_theme(workshop, db):
    stage = first_stage(db, workshop)
    author, _key = person(db, workshop)
    [answer] = answers(db, workshop, stage, author, "Care")
    foreign = models.add_theme(db, workshop, models.list_stages(db, workshop)[1], "Elsewhere")
    refused("not-found", models.set_theme, db, workshop, answer, foreign)
    assert models.get_answer(db, workshop, answer.id).theme_id is None


# 5. Moderation -------------------------------------------------------------------------------


def test_facilitator_edit_keeps_the_first_wording(workshop, db):
    stage = first_stage(db, workshop)
    author, _key = person(db, workshop)
    answer = models.add_answer(db, workshop, stage, author, "Kindnes", "typo")
    once = models.edit_as_facilitator(db, workshop, answer, "Kindness", "fixed")
    twice = models.edit_as_facilitator(db, workshop, once, "Kindness first", "again")
    assert (twice.body, twice.detail) == ("Kindness first", "again")
    assert (twice.original_body, twice.original_detail) == ("Kindnes", "typo")
    assert [card.body for card in board(db, workshop, stage).cards] == ["Kindness first"]


def test_an_unedited_answer_has_no_original(workshop, db):
    stage = first_stage(db, workshop)
    author, _key = person(db, workshop)
    [answer] = answers(db, workshop, stage, author, "Care")
    assert answer.original_body is None


def test_hide_and_unhide_an_answer(workshop, db):
    stage = first_stage(db, workshop)
    author, _key = person(db, workshop)
    kept, hidden = answers(db, workshop, stage, author, "Care", "Secret")
    models.moderate(db, workshop, hidden, "hidden")
    assert models.get_answer(db, workshop, hidden.id).moderation == "hidden"
    room = board(db, workshop, stage)
    assert [card.id for card in room.cards] == [kept.id]
    assert room.total == 1
    assert len(board(db, workshop, stage, for_room=False).cards) == 2

    models.moderate(db, workshop, hidden, "visible")
    assert [card.id for card in board(db, workshop, stage).cards] == [kept.id, hidden.id]


def test_an_unknown_moderation_mark_is_an_error(workshop, db):
    stage = first_stage(db, workshop)
    author, _key = person(db, workshop)
    [answer] = answers(db, workshop, stage, author, "Care")
    with pytest.raises(ValueError):
        models.moderate(db, workshop, answer, "deleted")
    assert models.get_answer(db, workshop, answer.id).moderation == "visible"


def test_a_participant_edit_keeps_a_hidden_answer_hidden(workshop, db):
    stage = first_stage(db, workshop)
    author, _key = person(db, workshop)
    [answer] = answers(db, workshop, stage, author, "Secret")
    models.moderate(db, workshop, answer, "hidden")
    answer = models.get_answer(db, workshop, answer.id)
    edited = models.update_answer(db, workshop, answer, "Care")
    assert edited.moderation == "hidden"


def test_facilitator_delete_removes_the_answer_and_its_dots(workshop, db):
    stage, made, voter = voting_on(db, workshop)
    models.cast_vote(db, workshop, voter, made[0])
    models.cast_vote(db, workshop, voter, made[0])
    models.cast_vote(db, workshop, voter, made[1])
    models.delete_as_facilitator(db, workshop, made[0])
    assert models.get_answer(db, workshop, made[0].id) is None
    assert models.dots_spent(db, stage, voter) == 1
    assert models.count_voters(db, stage) == (1, 1)
    # The dots come back to the voter's budget.
    models.cast_vote(db, workshop, voter, made[2])
    models.cast_vote(db, workshop, voter, made[2])
    assert models.dots_spent(db, stage, voter) == 3


def test_deleting_a_card_brings_back_the_answers_merged_into_it(workshop, db):
    stage, made, _voter = voting_on(db, workshop)
    models.merge_answers(db, workshop, made[0], made[1])
    models.delete_as_facilitator(db, workshop, made[1])
    assert models.get_answer(db, workshop, made[0].id).merged_into is None
    assert made[0].id in [card.id for card in board(db, workshop, stage).cards]


def test_removing_a_participant_ends_their_session_and_hides_their_answers(workshop, db):
    stage = first_stage(db, workshop)
    stays, _key = person(db, workshop)
    leaves, key = person(db, workshop)
    assert models.get_participant(db, workshop, key).id == leaves.id
    [kept] = answers(db, workshop, stage, stays, "Care")
    gone = answers(db, workshop, stage, leaves, "Trolling", "More trolling")
    assert models.count_participants(db, workshop) == 2

    models.remove_participant(db, workshop, leaves)
    assert models.get_participant(db, workshop, key) is None
    assert models.count_participants(db, workshop) == 1
    assert all(models.get_answer(db, workshop, c.id).moderation == "hidden" for c in gone)
    assert [card.id for card in board(db, workshop, stage).cards] == [kept.id]
    # Still listed for the record, marked removed.
    removed = models.get_participant_by_id(db, workshop, leaves.id)
    assert removed.removed_at is not None
    assert leaves.id in [p.id for p in models.list_participants(db, workshop)]


def test_removing_a_participant_keeps_other_peoples_answers_merged_into_theirs(workshop, db):
    """Only the removed person's answers are hidden, even when theirs is the merged card."""
    stage = first_stage(db, workshop)
    stays, _key = person(db, workshop, "Ola")
    leaves, _key = person(db, workshop, "Troll")
    [theirs] = answers(db, workshop, stage, leaves, "Kindness")
    [mine] = answers(db, workshop, stage, stays, "Being kind")
    models.merge_answers(db, workshop, mine, theirs)
    assert [card.id for card in board(db, workshop, stage).cards] == [theirs.id]

    models.remove_participant(db, workshop, leaves)
    room = board(db, workshop, stage)
    shown = [c.body for card in room.cards for c in (card.answer, *card.merged)]
    assert "Kindness" not in shown
    assert shown == ["Being kind"]
    assert room.total == 1


# 6. Timers ------------------------------------------------------------------------------------


@pytest.mark.parametrize("seconds", [0, 9, 3601, -5])
def test_a_timer_outside_ten_seconds_to_an_hour_is_refused(workshop, db, seconds):
    stage = first_stage(db, workshop)
    refused("bad-timer", models.start_timer, db, workshop, stage, seconds, False)
    assert fresh(db, workshop, stage).timer_ends_at is None


@pytest.mark.parametrize("seconds", [10, 90, 3600])
def test_a_timer_counts_down_from_its_length(workshop, db, seconds):
    stage = first_stage(db, workshop)
    models.start_timer(db, workshop, stage, seconds, True)
    stage = fresh(db, workshop, stage)
    assert stage.timer_seconds == seconds
    assert stage.close_on_expiry
    assert seconds - 2 <= stage.seconds_left() <= seconds
    assert not stage.time_is_up()
    ends = datetime.fromisoformat(stage.timer_ends_at)
    assert stage.seconds_left(ends - timedelta(seconds=7)) == 7
    assert stage.seconds_left(ends - timedelta(seconds=6.5)) == 7  # rounds up
    assert stage.seconds_left(ends + timedelta(seconds=3)) == 0
    assert stage.time_is_up(ends + timedelta(seconds=3))


def test_a_stage_without_a_timer_has_no_time_left_and_is_never_up(workshop, db):
    stage = first_stage(db, workshop)
    assert stage.seconds_left() is None
    assert not stage.time_is_up()
    assert stage.accepts_answers()


def test_input_closes_when_time_is_up_if_the_facilitator_chose_so(workshop, db):
    stage = first_stage(db, workshop)
    author, _key = person(db, workshop)
    [early] = answers(db, workshop, stage, author, "Early")
    models.start_timer(db, workshop, stage, 60, close_on_expiry=True)
    answers(db, workshop, fresh(db, workshop, stage), author, "In time")

    expire_timer(db, stage)
    stage = fresh(db, workshop, stage)
    assert stage.time_is_up()
    assert not stage.accepts_answers()
    refused("time-up", models.add_answer, db, workshop, stage, author, "Too late")
    refused("time-up", models.update_answer, db, workshop, early, "Changed")
    # The facilitator can still type in what someone said in the room.
    late = models.add_answer(
        db, workshop, stage, author, "Said aloud", entered_by="facilitator"
    )
    assert late.entered_by == "facilitator"
    assert [c.body for c in models.list_answers(db, stage)] == [
        "Early",
        "In time",
        "Said aloud",
    ]


def test_input_stays_open_after_the_timer_without_close_on_expiry(workshop, db):
    stage = first_stage(db, workshop)
    author, _key = person(db, workshop)
    models.start_timer(db, workshop, stage, 60, close_on_expiry=False)
    expire_timer(db, stage)
    stage = fresh(db, workshop, stage)
    assert stage.time_is_up()
    assert stage.accepts_answers()
    late = models.add_answer(db, workshop, stage, author, "Late but welcome")
    assert late.entered_by == "participant"


def test_extending_a_running_timer_adds_to_its_end(workshop, db):
    stage = first_stage(db, workshop)
    models.start_timer(db, workshop, stage, 60, True)
    before = datetime.fromisoformat(fresh(db, workshop, stage).timer_ends_at)
    models.extend_timer(db, workshop, stage, 30)
    after = datetime.fromisoformat(fresh(db, workshop, stage).timer_ends_at)
    assert after - before == timedelta(seconds=30)
    assert 88 <= fresh(db, workshop, stage).seconds_left() <= 90


def test_extending_an_ended_timer_reopens_input_from_now(workshop, db):
    stage = first_stage(db, workshop)
    author, _key = person(db, workshop)
    models.start_timer(db, workshop, stage, 60, True)
    expire_timer(db, stage, seconds_ago=600)
    models.extend_timer(db, workshop, stage, 45)
    stage = fresh(db, workshop, stage)
    assert 43 <= stage.seconds_left() <= 45
    assert models.add_answer(db, workshop, stage, author, "Back in").body == "Back in"


def test_extending_or_stopping_without_a_timer(workshop, db):
    stage = first_stage(db, workshop)
    refused("no-timer", models.extend_timer, db, workshop, stage, 30)
    models.start_timer(db, workshop, stage, 60, True)
    expire_timer(db, stage)
    models.stop_timer(db, workshop, stage)
    stage = fresh(db, workshop, stage)
    assert stage.timer_ends_at is None
    assert stage.seconds_left() is None
    assert not stage.time_is_up()
    assert stage.accepts_answers()
    author, _key = person(db, workshop)
    assert models.add_answer(db, workshop, stage, author, "After stop").id
    refused("no-timer", models.extend_timer, db, workshop, stage, 30)


# 7. Input lock -------------------------------------------------------------------------------


def test_a_locked_stage_refuses_phones_but_takes_facilitator_entries(workshop, db):
    stage = first_stage(db, workshop)
    author, _key = person(db, workshop)
    [mine] = answers(db, workshop, stage, author, "Mine")
    models.set_stage_input(db, workshop, stage, False)
    stage = fresh(db, workshop, stage)
    assert not stage.input_open
    assert not stage.accepts_answers()
    refused("stage-closed", models.add_answer, db, workshop, stage, author, "Locked out")
    refused("stage-closed", models.update_answer, db, workshop, mine, "Changed")
    refused("stage-closed", models.delete_answer, db, workshop, mine)
    entered = models.add_answer(
        db, workshop, stage, None, "From the flipchart", entered_by="facilitator"
    )
    assert entered.entered_by == "facilitator"

    models.set_stage_input(db, workshop, stage, True)
    assert models.add_answer(db, workshop, fresh(db, workshop, stage), author, "Back").id


def test_opening_voting_pauses_input(workshop, db):
    stage, _made, voter = voting_on(db, workshop)
    assert not stage.input_open
    assert not stage.accepts_answers()
    refused("stage-closed", models.add_answer, db, workshop, stage, voter, "Late idea")


def test_opening_voting_shows_answers_collected_hidden(workshop, db):
    stage = first_stage(db, workshop)
    models.set_answers_hidden(db, workshop, stage, True)
    author, _key = person(db, workshop)
    answers(db, workshop, stage, author, "Care")
    models.open_voting(db, workshop, stage)
    assert [card.body for card in board(db, workshop, stage).cards] == ["Care"]


def test_phones_answer_only_the_current_stage(workshop, db):
    later = models.list_stages(db, workshop)[1]
    author, _key = person(db, workshop)
    refused("stage-closed", models.add_answer, db, workshop, later, author, "Too soon")
    entered = models.add_answer(
        db, workshop, later, None, "Prepared", entered_by="facilitator"
    )
    assert entered.stage_id == later.id


def test_nobody_answers_a_drafting_stage(workshop, db):
    mission = next(s for s in models.list_stages(db, workshop) if s.kind == "mission")
    refused(
        "stage-closed",
        models.add_answer,
        db,
        workshop,
        mission,
        None,
        "x",
        entered_by="facilitator",
    )


# 8. People without a phone ----------------------------------------------------------------------


def test_the_facilitator_answers_and_votes_for_someone_without_a_phone(workshop, db):
    stage = first_stage(db, workshop)
    nurse = models.add_person_without_phone(db, workshop, "Pani Basia")
    assert nurse.added_by_facilitator
    assert nurse.display_name == "Pani Basia"
    assert nurse.removed_at is None
    assert nurse.id in [p.id for p in models.list_participants(db, workshop)]

    said = models.add_answer(db, workshop, stage, nurse, "Patience", entered_by="facilitator")
    assert said.entered_by == "facilitator"
    assert said.participant_id == nurse.id
    [card] = board(db, workshop, stage).cards
    assert card.authors == ("Pani Basia",)

    other, _key = person(db, workshop)
    [theirs] = answers(db, workshop, stage, other, "Time")
    assert theirs.entered_by == "participant"

    models.open_voting(db, workshop, stage)
    for _ in range(3):
        models.cast_vote(db, workshop, nurse, theirs, entered_by="facilitator")
    refused("no-dots-left", models.cast_vote, db, workshop, nurse, said, entered_by="facilitator")
    assert models.dots_spent(db, fresh(db, workshop, stage), nurse) == 3
    record = workshop_record(db, workshop)
    votes = record["stages"][0]["votes"]
    assert {v["entered_by"] for v in votes} == {"facilitator"}
    assert len(votes) == 3


def test_facilitator_entries_for_someone_without_a_phone_work_while_input_is_locked(workshop, db):
    stage = first_stage(db, workshop)
    nurse = models.add_person_without_phone(db, workshop, "Pan Józef")
    models.set_stage_input(db, workshop, stage, False)
    said = models.add_answer(db, workshop, stage, nurse, "Calm", entered_by="facilitator")
    assert said.entered_by == "facilitator"
    assert said.moderation == "visible"


def test_a_facilitator_entry_with_a_rude_word_is_still_flagged(workshop, db):
    stage = first_stage(db, workshop)
    nurse = models.add_person_without_phone(db, workshop, "Pan Józef")
    said = models.add_answer(
        db, workshop, stage, nurse, "kurwa mać", entered_by="facilitator"
    )
    assert said.moderation == "flagged"


def test_someone_without_a_phone_can_answer_only_ten_times_too(workshop, db):
    stage = first_stage(db, workshop)
    nurse = models.add_person_without_phone(db, workshop, "Pani Basia")
    for index in range(rules.MAX_ANSWERS_PER_PERSON):
        models.add_answer(
            db, workshop, stage, nurse, f"Idea {index}", entered_by="facilitator"
        )
    refused(
        "too-many-mine",
        models.add_answer,
        db,
        workshop,
        stage,
        nurse,
        "One more",
        entered_by="facilitator",
    )


# 9. Templates and stages ------------------------------------------------------------------


def _pl_translation(msgid):
    """Return the Polish catalogue's wording of ``msgid`` (the msgid while untranslated)."""
    entry = polib.pofile(str(PO_PL)).find(msgid)
    return entry.msgstr if entry is not None and entry.translated() else msgid


def test_mission_template_has_three_questions_principles_mission_agreed(app):
    with app.app_context():
        stages = template_stages("mission", "en")
    assert [kind for kind, _title, _prompt in stages] == [
        "question",
        "question",
        "question",
        "principles",
        "mission",
        "agreed",
    ]
    assert [title for _kind, title, _prompt in stages[:3]] == [
        "Why do we exist?",
        "What do we give others?",
        "Whom do we serve?",
    ]
    assert all(title and prompt for _kind, title, prompt in stages)


def test_trust_template_adds_the_five_seed_questions(app):
    with app.app_context(), force_locale("en"):
        mission = template_stages("mission", "en")
        trust = template_stages("trust", "en")
        extra = optional_stages()
    assert len(trust) == 12
    assert trust[:3] == mission[:3]
    assert trust[8] == mission[3]  # principles
    assert trust[9] == extra["routine"] and trust[9][0] == "routine"
    assert trust[-2:] == mission[-2:]
    assert trust[3:8] == [stage for key, stage in extra.items() if key != "routine"]
    assert list(extra) == [
        "competences",
        "character",
        "example",
        "feedback",
        "recovery",
        "routine",
    ]
    assert [title for _kind, title, _prompt in trust[3:8]] == [
        "Which competences do we need to earn trust?",
        "Which traits make people feel safe with us?",
        "How do we set the example?",
        "How do we seek feedback?",
        "How do we win back lost trust?",
    ]
    assert {kind for kind, _title, _prompt in trust[3:8]} == {"question"}


def test_trust_template_is_worded_in_polish(app):
    with app.app_context():
        english = template_stages("trust", "en")
        polish = template_stages("trust", "pl")
    assert len(polish) == 12
    assert [kind for kind, *_ in polish] == [kind for kind, *_ in english]
    assert polish[0][1] == "Po co jesteśmy?"
    assert polish[-1][1] == "Uzgodnione"
    # The seed questions follow the Polish catalogue: Polish wording where it has one
    # (the English msgid until the translators get to them).
    for (_kind, title, prompt), (_k, en_title, en_prompt) in zip(
        polish[3:8], english[3:8], strict=True
    ):
        assert title == _pl_translation(en_title)
        assert prompt == _pl_translation(en_prompt)


def test_a_workshop_made_from_the_trust_template_has_all_its_stages(app, db):
    with app.app_context():
        stages = template_stages("trust", "pl")
    workshop, _token = models.create_workshop(db, "Przychodnia", "pl", stages)
    made = models.list_stages(db, workshop)
    assert [(s.kind, s.title, s.prompt) for s in made] == stages
    assert [s.position for s in made] == list(range(12))


def test_an_added_question_goes_after_the_questions_before_principles_and_mission(
    workshop, db
):
    added = models.add_stage(db, workshop, "question", "How do we rest?", "Breaks, shifts.")
    kinds = [(s.kind, s.title) for s in models.list_stages(db, workshop)]
    assert kinds[2:] == [
        ("question", kinds[2][1]),
        ("question", "How do we rest?"),
        ("principles", kinds[4][1]),
        ("mission", kinds[5][1]),
        ("agreed", kinds[6][1]),
    ]
    assert added.position == 3
    assert [s.position for s in models.list_stages(db, workshop)] == list(range(7))
    assert added.takes_answers


def test_stages_are_capped(workshop, db):
    for index in range(rules.MAX_STAGES - len(models.list_stages(db, workshop))):
        models.add_stage(db, workshop, "question", f"Q{index}", "")
    refused("too-many-stages", models.add_stage, db, workshop, "question", "One more", "")
    assert len(models.list_stages(db, workshop)) == rules.MAX_STAGES


def test_a_stage_can_be_reworded(workshop, db):
    stage = first_stage(db, workshop)
    models.update_stage(db, workshop, stage, "Why are we here?", "Think of Monday morning.")
    stage = fresh(db, workshop, stage)
    assert (stage.title, stage.prompt) == ("Why are we here?", "Think of Monday morning.")


def test_moving_a_stage_swaps_it_with_its_neighbour(workshop, db):
    before = models.list_stages(db, workshop)
    models.move_stage(db, workshop, before[1], +1)
    after = models.list_stages(db, workshop)
    assert [s.id for s in after] == [
        before[0].id,
        before[2].id,
        before[1].id,
        *[s.id for s in before[3:]],
    ]
    models.move_stage(db, workshop, after[2], -1)
    assert [s.id for s in models.list_stages(db, workshop)] == [s.id for s in before]
    assert [s.position for s in models.list_stages(db, workshop)] == list(range(len(before)))


def test_moving_a_stage_past_either_end_is_refused(workshop, db):
    stages = models.list_stages(db, workshop)
    refused("no-neighbour", models.move_stage, db, workshop, stages[0], -1)
    refused("no-neighbour", models.move_stage, db, workshop, stages[-1], +1)
    assert [s.id for s in models.list_stages(db, workshop)] == [s.id for s in stages]


def test_removing_the_current_or_a_drafting_stage_is_refused(workshop, db):
    stages = models.list_stages(db, workshop)
    refused("current-stage", models.remove_stage, db, workshop, stages[0])
    for stage in stages:
        if stage.kind in ("mission", "agreed"):
            refused("fixed-stage", models.remove_stage, db, workshop, stage)
    assert len(models.list_stages(db, workshop)) == len(stages)


def test_removing_a_stage_deletes_its_answers_and_closes_the_gap(workshop, db):
    stages = models.list_stages(db, workshop)
    doomed = stages[1]
    author, _key = person(db, workshop)
    made = models.add_answer(db, workshop, doomed, author, "Gone", entered_by="facilitator")
    theme = models.add_theme(db, workshop, doomed, "Gone too")
    models.remove_stage(db, workshop, doomed)
    left = models.list_stages(db, workshop)
    assert doomed.id not in [s.id for s in left]
    assert models.get_stage(db, workshop, doomed.id) is None
    assert models.get_answer(db, workshop, made.id) is None
    assert models.get_theme(db, workshop, theme.id) is None
    assert models.count_answers(db, doomed) == 0
    assert [s.position for s in left] == list(range(len(stages) - 1))


def test_a_cloned_workshop_starts_from_the_old_stages_mission_and_principles(workshop, db):
    models.add_stage(db, workshop, "question", "How do we rest?", "Breaks.")
    stage = first_stage(db, workshop)
    author, _key = person(db, workshop)
    answers(db, workshop, stage, author, "Care")
    models.save_mission(db, workshop, "We care for every patient.")
    models.replace_principles(db, workshop, [("Kindness", "We greet."), ("Truth", "We say.")])
    models.mark_agreed(db, workshop)
    original = models.get_workshop_by_id(db, workshop.id)

    clone, admin_token = models.clone_workshop(db, original, "Przychodnia 2026")
    assert clone.id != original.id
    assert clone.title == "Przychodnia 2026"
    assert clone.language == original.language
    assert clone.cloned_from == original.public_id
    assert clone.mission == "We care for every patient."
    assert not clone.is_agreed
    assert clone.mission_agreed_at is None
    assert [(p.name, p.line) for p in models.list_principles(db, clone)] == [
        ("Kindness", "We greet."),
        ("Truth", "We say."),
    ]
    old_stages = models.list_stages(db, original)
    new_stages = models.list_stages(db, clone)
    assert [(s.kind, s.title, s.prompt) for s in new_stages] == [
        (s.kind, s.title, s.prompt) for s in old_stages
    ]
    assert not {s.id for s in new_stages} & {s.id for s in old_stages}
    assert clone.current_stage_id == new_stages[0].id
    assert all(models.count_answers(db, s) == 0 for s in new_stages)
    assert models.count_participants(db, clone) == 0
    for secret in ("public_id", "join_token", "screen_token", "admin_token_hash"):
        assert getattr(clone, secret) != getattr(original, secret)
    assert models.get_workshop_by_admin_token(db, admin_token).id == clone.id
    assert clone.status == "open"
    assert not clone.joining_locked


# 10. Lock joining ------------------------------------------------------------------------------


def test_a_locked_workshop_lets_nobody_new_join(workshop, db):
    _inside, key = person(db, workshop)
    models.set_joining_locked(db, workshop, True)
    assert models.get_workshop_by_id(db, workshop.id).joining_locked
    refused("joining-locked", models.add_participant, db, workshop)
    assert models.count_participants(db, workshop) == 1
    # Those already inside stay in.
    assert models.get_participant(db, workshop, key) is not None

    models.set_joining_locked(db, workshop, False)
    newcomer, new_key = models.add_participant(db, workshop)
    assert models.get_participant(db, workshop, new_key).id == newcomer.id
    assert models.count_participants(db, workshop) == 2


def test_a_stale_workshop_object_cannot_slip_past_the_lock(workshop, db):
    stale = workshop
    models.set_joining_locked(db, workshop, True)
    assert not stale.joining_locked
    refused("joining-locked", models.add_participant, db, stale)


# 11. JSON record ------------------------------------------------------------------------------


def test_the_json_record_carries_everything_the_room_did_and_no_secrets(app, workshop, db):
    session_id = models.start_facilitator_session(db, workshop)
    stage = first_stage(db, workshop)
    ala, ala_key = person(db, workshop, "Ala")
    ola, ola_key = person(db, workshop)
    troll, troll_key = person(db, workshop, "Troll")
    nurse = models.add_person_without_phone(db, workshop, "Pani Basia")
    care, caring, rude, typo = answers(db, workshop, stage, ala, "Care", "Caring", "shit", "Tme")
    [time] = answers(db, workshop, stage, ola, "Time")
    said = models.add_answer(db, workshop, stage, nurse, "Calm", entered_by="facilitator")
    answers(db, workshop, stage, troll, "Trolling")
    models.merge_answers(db, workshop, caring, care)
    theme = models.add_theme(db, workshop, stage, "People")
    models.set_theme(db, workshop, care, theme)
    models.edit_as_facilitator(db, workshop, typo, "Time off")
    models.moderate(db, workshop, time, "hidden")
    models.remove_participant(db, workshop, troll)
    models.start_timer(db, workshop, stage, 120, True)
    models.open_voting(db, workshop, stage, budget=2, one_dot_per_answer=True)
    models.cast_vote(db, workshop, ola, care)
    models.cast_vote(db, workshop, nurse, said, entered_by="facilitator")
    models.close_voting(db, workshop, stage)
    models.reveal_results(db, workshop, stage)
    models.set_joining_locked(db, workshop, True)
    models.add_stage(db, workshop, "question", "How do we rest?", "Breaks.")

    record = workshop_record(db, workshop)
    assert record["joining_locked"] is True
    assert record["participants"] == 3
    assert record["people"] == [
        {"number": 1, "name": "Ala", "added_by_facilitator": False, "removed": False},
        {"number": 2, "name": "", "added_by_facilitator": False, "removed": False},
        {"number": 3, "name": "Troll", "added_by_facilitator": False, "removed": True},
        {"number": 4, "name": "Pani Basia", "added_by_facilitator": True, "removed": False},
    ]
    assert [(s["position"], s["kind"]) for s in record["stages"]] == [
        (0, "question"),
        (1, "question"),
        (2, "question"),
        (3, "question"),
        (4, "principles"),
        (5, "mission"),
        (6, "agreed"),
    ]
    assert record["stages"][3]["title"] == "How do we rest?"

    first = record["stages"][0]
    assert first["voting"] == {
        "state": "closed",
        "budget": 2,
        "one_dot_per_answer": True,
        "results_revealed": True,
    }
    assert first["input_open"] is False
    assert first["answers_hidden"] is False
    assert first["timer"]["seconds"] == 120
    assert first["timer"]["close_on_expiry"] is True
    assert first["timer"]["ends_at"] == fresh(db, workshop, stage).timer_ends_at
    assert first["themes"] == [{"id": theme.id, "name": "People", "position": 0}]

    by_id = {c["id"]: c for c in first["answers"]}
    assert by_id[caring.id]["merged_into"] == care.id
    assert by_id[care.id]["merged_into"] is None
    assert by_id[care.id]["theme"] == "People"
    assert by_id[care.id]["author"] == 1
    assert by_id[time.id]["author"] == 2
    assert by_id[time.id]["moderation"] == "hidden"
    assert by_id[rude.id]["moderation"] == "flagged"
    assert by_id[typo.id]["body"] == "Time off"
    assert by_id[typo.id]["original_body"] == "Tme"
    assert by_id[said.id]["entered_by"] == "facilitator"
    assert by_id[said.id]["author"] == 4
    assert [c["moderation"] for c in first["answers"] if c["author"] == 3] == ["hidden"]
    assert [(v["answer"], v["voter"], v["entered_by"]) for v in first["votes"]] == [
        (care.id, 2, "participant"),
        (said.id, 4, "facilitator"),
    ]

    text = json.dumps(record, ensure_ascii=False)
    fresh_workshop = models.get_workshop_by_id(db, workshop.id)
    secrets = [
        fresh_workshop.join_token,
        fresh_workshop.screen_token,
        fresh_workshop.admin_token_hash,
        fresh_workshop.join_code,
        session_id,
        *(key for key in (ala_key, ola_key, troll_key)),
        *(p.key_hash for p in models.list_participants(db, workshop)),
    ]
    for secret in secrets:
        assert secret not in text
    for field in ("key_hash", "token", "participant_id", "admin"):
        assert field not in text


def test_the_json_record_of_a_fresh_workshop_shows_voting_off_and_no_timer(workshop, db):
    record = workshop_record(db, workshop)
    first = record["stages"][0]
    assert first["voting"]["state"] == "off"
    assert first["voting"]["budget"] == 3
    assert first["timer"] == {"seconds": None, "ends_at": None, "close_on_expiry": False}
    assert first["votes"] == []
    assert record["cloned_from"] is None
    assert record["joining_locked"] is False
    json.dumps(record)  # plain data all the way down


# 12. Word filter ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "Kurwa, co za dzień",
        "KURWA",
        "kurwy",
        "kurwie",
        "kurwą",
        "skurwysyn",
        "Ty chuju",
        "chujowy grafik",
        "pierdolę to",
        "pierdole to",  # typed without diacritics
        "spierdalaj",
        "zajebiste",
        "jebać to",
        "jebac to",
        "pojebany system",
        "pizda",
        "gówno",
        "GÓWNO",
        "gowno",
        "gówna",
        "zasrany grafik",
        "debilu",
        "idiotka",
        "szmato",
        "this is shit",
        "Bullshit",
        "fucking hell",
        "FUCK",
        "motherfucker",
        "what an asshole",
        "stupid rules",
        "Go\u0301wno",  # ó typed as o + combining acute (NFD)
    ],
)
def test_word_filter_flags_abuse_in_polish_and_english(text):
    assert needs_review(text)
    assert flagged_words(text)


@pytest.mark.parametrize(
    "text",
    [
        # Inflected forms of listed words (instrumental, locative, dative, accusative,
        # plural), with and without diacritics.
        "gównem",
        "gownem",
        "w gównie",
        "gównu",
        "cipę",
        "cioty",
    ],
)
def test_word_filter_flags_inflected_forms(text):
    assert needs_review(text)


@pytest.mark.parametrize(
    "text",
    [
        "Dbamy o zdrowie pacjentów",
        "kurczak",
        "Szacunek dla każdego",
        "Kurs pierwszej pomocy",
        "Skurcze i ból pleców",
        "Dziwny dzień, ale dobry",
        "Słuchamy uważnie i z cierpliwością",
        "Pomagamy, gdy ktoś się boi",
        "Huśtawka nastrojów",
        "Pizza w piątek",
        "Scunthorpe hospital",
        "Shiitake soup",
        "Assessment of the patient",
        "We keep our promises",
        "",
    ],
)
def test_word_filter_leaves_innocent_text_alone(text):
    assert not needs_review(text)
    assert flagged_words(text) == []


def test_flagged_words_are_returned_as_typed():
    assert flagged_words("Kurwa, co za dzień i GÓWNO") == ["Kurwa", "GÓWNO"]
    assert flagged_words("this is shit, no bullshit") == ["shit", "bullshit"]
