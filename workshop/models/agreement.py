"""Agreement: the mission text, drafts with their versions and amendments, and
consensus rounds that agree the mission, the principles or the routine."""

import json
from dataclasses import dataclass

from sqlite_utils import Database

from ..db import write
from ..rules import (
    DEFAULT_MIN_ANSWERS,
    DEFAULT_THRESHOLD,
    MAX_DRAFTS,
    MAX_DRAFTS_PER_PERSON,
    MAX_PENDING_AMENDMENTS,
    MAX_PENDING_AMENDMENTS_PER_PERSON,
    MAX_PHONE_DRAFTS,
    MIN_ANSWERS_RANGE,
    MISSION_WORDS,
    PENDING_AMENDMENTS_SHOWN,
    PRINCIPLE_COUNT,
    THRESHOLD_RANGE,
    word_count,
)
from ._base import Refused, _all, _count, _last_id, _one, _owned, now
from .events import record_event
from .people import Participant, get_participant_by_id
from .principles import list_principles
from .workshops import Workshop, _is_locked, get_workshop_by_id


def save_mission(db: Database, workshop: Workshop, text: str) -> None:
    """Save the mission draft, unless it has been agreed."""
    with write(db):
        if _is_agreed(db, workshop):
            raise Refused("agreed")
        db.execute("update workshops set mission = ? where id = ?", [text, workshop.id])
        record_event(db, workshop, "mission-changed")


def _is_agreed(db: Database, workshop: Workshop) -> bool:
    fresh = get_workshop_by_id(db, workshop.id)
    return fresh is not None and fresh.is_agreed


def mark_agreed(db: Database, workshop: Workshop, agreed: bool = True) -> None:
    """Mark the mission agreed (locking it), or reopen it for drafting."""
    with write(db):
        db.execute(
            "update workshops set mission_agreed_at = ? where id = ?",
            [now() if agreed else None, workshop.id],
        )
        record_event(db, workshop, "mission-changed")


LEVELS = (1, 2, 3, 4, 5)  # fully agree · agree · can live with it · reservations · block


ACCEPTING_LEVELS = (1, 2, 3)


BLOCK = 5


RESERVATIONS = 4


DRAFT_KINDS = ("mission", "routine")


ROUND_SUBJECTS = ("mission", "routine", "principles")


@dataclass(frozen=True, slots=True)
class Draft:
    id: int
    workshop_id: int
    kind: str
    shown: int
    created_at: str


@dataclass(frozen=True, slots=True)
class Version:
    id: int
    workshop_id: int
    draft_id: int
    number: int
    text: str
    participant_id: int | None
    origin: str
    amendment_id: int | None
    created_at: str


@dataclass(frozen=True, slots=True)
class Amendment:
    id: int
    workshop_id: int
    draft_id: int
    version_id: int
    text: str
    participant_id: int | None
    status: str
    created_at: str
    decided_at: str | None
    result_version_id: int | None


@dataclass(frozen=True, slots=True)
class Round:
    id: int
    workshop_id: int
    subject: str
    version_id: int | None
    snapshot: str
    threshold: int
    min_answers: int
    status: str
    outcome: str | None
    note: str
    opened_at: str
    closed_at: str | None

    @property
    def is_open(self) -> bool:
        return self.status == "open"

    @property
    def principles(self) -> list[tuple[str, str]]:
        """The principles this round decides on, as (name, line) pairs."""
        return (
            [tuple(pair) for pair in json.loads(self.snapshot)]
            if self.subject == "principles"
            else []
        )


@dataclass(frozen=True, slots=True)
class RoundAnswer:
    id: int
    round_id: int
    participant_id: int
    level: int
    reason: str
    created_at: str
    updated_at: str


@dataclass(frozen=True, slots=True)
class Tally:
    """What a round's answers add up to; ``visible`` once enough people answered (below
    that, only ``answered`` is filled: the counts are zero and the reasons empty)."""

    counts: dict[int, int]
    answered: int
    accepting: int
    blocks: int
    reasons: tuple[tuple[int, str], ...]
    visible: bool
    share: float
    passes: bool
    present: int = 0  # the people present (not removed), who could answer


@dataclass(frozen=True, slots=True)
class DraftLine:
    """A draft with its newest version, its history and its pending amendments."""

    draft: Draft
    latest: Version
    versions: tuple[Version, ...]
    pending: tuple[Amendment, ...]  # the oldest waiting, at most PENDING_AMENDMENTS_SHOWN
    number: int  # 1 for the oldest draft of its kind
    waiting: int = 0  # pending amendments in all, shown or not

    @property
    def more_waiting(self) -> int:
        """Pending amendments not shown yet: they come up as the shown ones are decided."""
        return self.waiting - len(self.pending)


def propose_draft(
    db: Database,
    workshop: Workshop,
    text: str,
    participant: Participant | None = None,
    kind: str = "mission",
) -> Version:
    """Start a new draft with its first version; phones may only when the facilitator allows."""
    if kind not in DRAFT_KINDS:
        raise ValueError(kind)
    with write(db):
        fresh = get_workshop_by_id(db, workshop.id)
        if _is_locked(db, workshop, kind):
            raise Refused("agreed")
        if participant is not None and not fresh.participants_may_propose:
            raise Refused("proposals-closed")
        count = _count(db, "select count(*) as n from drafts where workshop_id = ?", [workshop.id])
        if count >= MAX_DRAFTS:
            raise Refused("too-many-drafts")
        if participant is not None:
            _check_phone_drafts(db, workshop, participant)
        db.execute(
            "insert into drafts (workshop_id, kind, created_at) values (?, ?, ?)",
            [workshop.id, kind, now()],
        )
        draft_id = _last_id(db)
        version = _add_version(
            db,
            workshop,
            draft_id,
            text,
            participant,
            "participant" if participant else "facilitator",
        )
        record_event(db, workshop, "mission-changed")
    return version


_PHONE_DRAFTS = """select count(*) as n from versions where workshop_id = ? and number = 1
    and origin = 'participant'"""


def _check_phone_drafts(db: Database, workshop: Workshop, participant: Participant) -> None:
    """Refuse a phone's draft past its own cap, or past the phones' share of all drafts."""
    if _count(db, _PHONE_DRAFTS + " and participant_id = ?", [workshop.id, participant.id]) >= (
        MAX_DRAFTS_PER_PERSON
    ):
        raise Refused("too-many-drafts-mine")
    if _count(db, _PHONE_DRAFTS, [workshop.id]) >= MAX_PHONE_DRAFTS:
        raise Refused("too-many-drafts")


def withdraw_draft(db: Database, workshop: Workshop, draft: Draft) -> None:
    """Delete a draft with its versions and pending changes (rounds on it keep their text)."""
    with write(db):
        if _is_locked(db, workshop, draft.kind):
            raise Refused("agreed")
        open_on_it = _count(
            db,
            """select count(*) as n from rounds where workshop_id = ? and status = 'open'
               and version_id in (select id from versions where draft_id = ?)""",
            [workshop.id, draft.id],
        )
        if open_on_it:
            raise Refused("draft-in-round")
        db.execute("delete from drafts where id = ? and workshop_id = ?", [draft.id, workshop.id])
        record_event(db, workshop, "mission-changed")


def _add_version(
    db: Database,
    workshop: Workshop,
    draft_id: int,
    text: str,
    participant: Participant | None,
    origin: str,
    amendment_id: int | None = None,
) -> Version:
    number = _count(
        db, "select coalesce(max(number), 0) as n from versions where draft_id = ?", [draft_id]
    )
    db.execute(
        """insert into versions (workshop_id, draft_id, number, text, participant_id, origin,
               amendment_id, created_at)
           values (?, ?, ?, ?, ?, ?, ?, ?)""",
        [
            workshop.id,
            draft_id,
            number + 1,
            text,
            participant.id if participant else None,
            origin,
            amendment_id,
            now(),
        ],
    )
    return _one(db, Version, "select * from versions where id = ?", [_last_id(db)])


def revise_draft(db: Database, workshop: Workshop, draft: Draft, text: str) -> Version:
    """Save the facilitator's new wording of a draft as its next version."""
    with write(db):
        if _is_locked(db, workshop, draft.kind):
            raise Refused("agreed")
        if text == latest_version(db, draft).text:
            raise Refused("unchanged")
        version = _add_version(db, workshop, draft.id, text, None, "facilitator")
        record_event(db, workshop, "mission-changed")
    return version


def get_draft(db: Database, workshop: Workshop, draft_id: int) -> Draft | None:
    """Return one of this workshop's drafts."""
    return _owned(db, Draft, "drafts", draft_id, workshop)


def get_version(db: Database, workshop: Workshop, version_id: int) -> Version | None:
    """Return one of this workshop's versions."""
    return _owned(db, Version, "versions", version_id, workshop)


def list_versions(db: Database, draft: Draft) -> list[Version]:
    """Return every version of a draft, oldest first."""
    return _all(
        db, Version, "select * from versions where draft_id = ? order by number", [draft.id]
    )


def latest_version(db: Database, draft: Draft) -> Version:
    """Return a draft's newest version."""
    return _one(
        db,
        Version,
        "select * from versions where draft_id = ? order by number desc limit 1",
        [draft.id],
    )


def list_drafts(
    db: Database, workshop: Workshop, kind: str = "mission", shown_only: bool = False
) -> list[DraftLine]:
    """Return the workshop's drafts of one kind, newest first, each with its history.

    Three queries however many drafts there are: the drafts, then every version and every
    pending amendment of that kind at once."""
    drafts = _all(
        db,
        Draft,
        "select * from drafts where workshop_id = ? and kind = ? order by id desc",
        [workshop.id, kind],
    )
    if not any(draft.shown or not shown_only for draft in drafts):
        return []
    versions: dict[int, list[Version]] = {}
    for version in _all(
        db,
        Version,
        """select * from versions where draft_id in
           (select id from drafts where workshop_id = ? and kind = ?) order by number""",
        [workshop.id, kind],
    ):
        versions.setdefault(version.draft_id, []).append(version)
    pending: dict[int, list[Amendment]] = {}
    waiting: dict[int, int] = {}
    for row in db.query(
        """select * from (select *, row_number() over (partition by draft_id order by id)
               as place, count(*) over (partition by draft_id) as waiting
           from amendments where workshop_id = ? and status = 'pending' and draft_id in
           (select id from drafts where workshop_id = ? and kind = ?))
           where place <= ? order by id""",
        [workshop.id, workshop.id, kind, PENDING_AMENDMENTS_SHOWN],
    ):
        waiting[row["draft_id"]] = row.pop("waiting")
        del row["place"]
        pending.setdefault(row["draft_id"], []).append(Amendment(**row))
    lines = []
    for index, draft in enumerate(drafts):
        if shown_only and not draft.shown:
            continue
        history = tuple(versions[draft.id])
        shown = tuple(pending.get(draft.id, ()))
        number = len(drafts) - index
        lines.append(
            DraftLine(draft, history[-1], history, shown, number, waiting.get(draft.id, 0))
        )
    return lines


def set_draft_shown(db: Database, workshop: Workshop, draft: Draft, shown: bool) -> None:
    """Put a draft on the screen (side by side with up to two others) or take it off."""
    with write(db):
        db.execute("update drafts set shown = ? where id = ?", [int(shown), draft.id])
        record_event(db, workshop, "mission-changed")


def set_proposals_open(db: Database, workshop: Workshop, open_: bool) -> None:
    """Let phones propose their own drafts, or not."""
    with write(db):
        db.execute(
            "update workshops set participants_may_propose = ? where id = ?",
            [int(open_), workshop.id],
        )
        record_event(db, workshop, "mission-changed")


def suggest_amendment(
    db: Database, workshop: Workshop, version: Version, participant: Participant | None, text: str
) -> Amendment:
    """Suggest a changed wording of a draft's newest version."""
    with write(db):
        draft = get_draft(db, workshop, version.draft_id)
        if draft is None or _is_locked(db, workshop, draft.kind):
            raise Refused("agreed")
        if latest_version(db, draft).id != version.id:
            raise Refused("outdated")
        if text == version.text:
            raise Refused("unchanged")
        if participant is not None:
            _check_pending(db, workshop, participant)
        db.execute(
            """insert into amendments (workshop_id, draft_id, version_id, text, participant_id,
                   created_at)
               values (?, ?, ?, ?, ?, ?)""",
            [
                workshop.id,
                draft.id,
                version.id,
                text,
                participant.id if participant else None,
                now(),
            ],
        )
        amendment_id = _last_id(db)
        record_event(db, workshop, "mission-changed")
    return get_amendment(db, workshop, amendment_id)


def _check_pending(db: Database, workshop: Workshop, participant: Participant) -> None:
    """Refuse a phone's change while too many of its own, or of everyone's, wait."""
    pending = "select count(*) as n from amendments where workshop_id = ? and status = 'pending'"
    if _count(db, pending + " and participant_id = ?", [workshop.id, participant.id]) >= (
        MAX_PENDING_AMENDMENTS_PER_PERSON
    ):
        raise Refused("too-many-amendments-mine")
    if _count(db, pending, [workshop.id]) >= MAX_PENDING_AMENDMENTS:
        raise Refused("too-many-amendments")


def get_amendment(db: Database, workshop: Workshop, amendment_id: int) -> Amendment | None:
    """Return one of this workshop's amendments."""
    return _owned(db, Amendment, "amendments", amendment_id, workshop)


def list_amendments(db: Database, workshop: Workshop) -> list[Amendment]:
    """Return every amendment, oldest first."""
    return _all(
        db, Amendment, "select * from amendments where workshop_id = ? order by id", [workshop.id]
    )


def decide_amendment(
    db: Database, workshop: Workshop, amendment: Amendment, accept: bool
) -> Version | None:
    """Accept an amendment into the draft's next version, or decline it."""
    with write(db):
        fresh = get_amendment(db, workshop, amendment.id)
        if fresh is None or fresh.status != "pending":
            raise Refused("decided")
        draft = get_draft(db, workshop, fresh.draft_id)
        if _is_locked(db, workshop, draft.kind):
            raise Refused("agreed")
        if accept and latest_version(db, draft).id != fresh.version_id:
            raise Refused("outdated")
        version = None
        if accept:
            author = (
                get_participant_by_id(db, workshop, fresh.participant_id)
                if fresh.participant_id
                else None
            )
            version = _add_version(
                db, workshop, draft.id, fresh.text, author, "amendment", fresh.id
            )
        db.execute(
            """update amendments set status = ?, decided_at = ?, result_version_id = ?
               where id = ?""",
            [
                "accepted" if accept else "declined",
                now(),
                version.id if version else None,
                fresh.id,
            ],
        )
        record_event(db, workshop, "mission-changed")
    return version


def open_round(
    db: Database,
    workshop: Workshop,
    subject: str,
    version: Version | None = None,
    threshold: int = DEFAULT_THRESHOLD,
    min_answers: int = DEFAULT_MIN_ANSWERS,
) -> Round:
    """Ask the room to answer on one version (or on the principles); one round at a time."""
    if subject not in ROUND_SUBJECTS:
        raise ValueError(subject)
    if not THRESHOLD_RANGE[0] <= threshold <= THRESHOLD_RANGE[1]:
        raise Refused("bad-threshold")
    if not MIN_ANSWERS_RANGE[0] <= min_answers <= MIN_ANSWERS_RANGE[1]:
        raise Refused("bad-min-answers")
    with write(db):
        if current_round(db, workshop) is not None:
            raise Refused("round-open")
        fresh = get_workshop_by_id(db, workshop.id)
        if subject == "principles":
            if fresh.principles_agreed_at:
                raise Refused("agreed")
            pairs = [[p.name, p.line] for p in list_principles(db, workshop)]
            low, high = PRINCIPLE_COUNT
            if not low <= len(pairs) <= high:
                raise Refused("principle-count")
            snapshot, version_id = json.dumps(pairs, ensure_ascii=False), None
        else:
            if version is None:
                raise Refused("not-found")
            draft = get_draft(db, workshop, version.draft_id)
            if draft is None or draft.kind != subject:
                raise Refused("not-found")
            if _is_locked(db, workshop, subject):
                raise Refused("agreed")
            low, high = MISSION_WORDS
            if subject == "mission" and not low <= word_count(version.text) <= high:
                raise Refused("mission-length")
            snapshot, version_id = version.text, version.id
        db.execute(
            """insert into rounds (workshop_id, subject, version_id, snapshot, threshold,
                   min_answers, opened_at)
               values (?, ?, ?, ?, ?, ?, ?)""",
            [workshop.id, subject, version_id, snapshot, threshold, min_answers, now()],
        )
        round_id = _last_id(db)
        record_event(db, workshop, "round-changed")
    return get_round(db, workshop, round_id)


def get_round(db: Database, workshop: Workshop, round_id: int) -> Round | None:
    """Return one of this workshop's rounds."""
    return _owned(db, Round, "rounds", round_id, workshop)


def current_round(db: Database, workshop: Workshop) -> Round | None:
    """Return the round the room is answering now, if any."""
    return _one(
        db,
        Round,
        "select * from rounds where workshop_id = ? and status = 'open'",
        [workshop.id],
    )


def list_rounds(db: Database, workshop: Workshop) -> list[Round]:
    """Return every round, newest first."""
    return _all(
        db, Round, "select * from rounds where workshop_id = ? order by id desc", [workshop.id]
    )


def answer_round(
    db: Database,
    workshop: Workshop,
    round_: Round,
    participant: Participant,
    level: int,
    reason: str = "",
) -> RoundAnswer:
    """Record (or change) a person's answer while the round is open; a block needs a reason."""
    reason = reason.strip()
    if level not in LEVELS:
        raise Refused("bad-level")
    if level == BLOCK and not reason.strip():
        raise Refused("reason-needed")
    if level < RESERVATIONS:
        reason = ""
    with write(db):
        fresh = get_round(db, workshop, round_.id)
        if fresh is None or not fresh.is_open:
            raise Refused("round-closed")
        person = get_participant_by_id(db, workshop, participant.id)
        if person is None or person.removed_at is not None:
            raise Refused("removed")
        stamp = now()
        db.execute(
            """insert into round_answers (round_id, participant_id, level, reason, created_at,
                   updated_at)
               values (?, ?, ?, ?, ?, ?)
               on conflict (round_id, participant_id)
               do update set level = excluded.level, reason = excluded.reason,
                   updated_at = excluded.updated_at""",
            [fresh.id, participant.id, level, reason, stamp, stamp],
        )
        record_event(db, workshop, "round-answered")
    return my_round_answer(db, round_, participant)


def my_round_answer(db: Database, round_: Round, participant: Participant) -> RoundAnswer | None:
    """Return this person's answer to a round, if they gave one."""
    return _one(
        db,
        RoundAnswer,
        "select * from round_answers where round_id = ? and participant_id = ?",
        [round_.id, participant.id],
    )


def round_tally(db: Database, round_: Round) -> Tally:
    """Add up a round's answers; reasons come without names, in a stable order."""
    # Everyone present, with their answer if they gave one: the answers and, in the same
    # read, how many could have answered.
    everyone = list(
        db.query(
            """select a.level, a.reason from participants p
               left join round_answers a on a.participant_id = p.id and a.round_id = ?
               where p.workshop_id = ? and p.removed_at is null
               order by a.level, a.reason""",
            [round_.id, round_.workshop_id],
        )
    )
    rows = [row for row in everyone if row["level"] is not None]
    present = len(everyone)
    counts = {level: 0 for level in LEVELS}
    for row in rows:
        counts[row["level"]] += 1
    answered = len(rows)
    if answered < round_.min_answers:
        # Below the anonymity minimum nothing but the count leaves here, open or closed:
        # a tally of two or a lone reason names its author. Such a round cannot pass.
        return Tally(
            counts={level: 0 for level in LEVELS},
            answered=answered,
            accepting=0,
            blocks=0,
            reasons=(),
            visible=False,
            share=0.0,
            passes=False,
            present=present,
        )
    accepting = sum(counts[level] for level in ACCEPTING_LEVELS)
    share = accepting / answered if answered else 0.0
    return Tally(
        counts=counts,
        answered=answered,
        accepting=accepting,
        blocks=counts[BLOCK],
        reasons=tuple((row["level"], row["reason"]) for row in rows if row["reason"]),
        visible=True,
        share=share,
        passes=answered >= 1
        and counts[BLOCK] == 0
        and accepting * 100 >= round_.threshold * answered,
        present=present,
    )


def close_round(db: Database, workshop: Workshop, round_: Round, override_note: str = "") -> Round:
    """Close a round: it agrees the text when no one blocks and enough can live with it.

    With ``override_note`` the facilitator agrees it whatever the result, and the note
    is kept with the round.
    """
    with write(db):
        fresh = get_round(db, workshop, round_.id)
        if fresh is None:
            raise Refused("not-found")
        if fresh.is_open:
            passes = round_tally(db, fresh).passes
        elif fresh.outcome == "not-agreed" and override_note:
            if current_round(db, workshop) is not None:
                raise Refused("round-open")
            passes = False
        else:
            raise Refused("round-closed")
        if passes:
            outcome = "agreed"
        elif override_note:
            outcome = "overridden"
        else:
            outcome = "not-agreed"
        db.execute(
            """update rounds set status = 'closed', outcome = ?, note = ?,
                   closed_at = coalesce(closed_at, ?)
               where id = ?""",
            [outcome, override_note, now(), fresh.id],
        )
        if outcome != "not-agreed":
            if _is_locked(db, workshop, fresh.subject):
                raise Refused("agreed")
            _adopt(db, workshop, fresh)
        record_event(db, workshop, "round-changed")
        record_event(db, workshop, "mission-changed")
    return get_round(db, workshop, round_.id)


def _adopt(db: Database, workshop: Workshop, round_: Round) -> None:
    """Make what a round agreed the workshop's own, locked for the poster."""
    stamp = now()
    if round_.subject == "mission":
        db.execute(
            "update workshops set mission = ?, mission_agreed_at = ? where id = ?",
            [round_.snapshot, stamp, workshop.id],
        )
    elif round_.subject == "routine":
        db.execute(
            "update workshops set routine = ?, routine_agreed_at = ? where id = ?",
            [round_.snapshot, stamp, workshop.id],
        )
    else:
        db.execute("delete from principles where workshop_id = ?", [workshop.id])
        for position, (name, line) in enumerate(round_.principles):
            db.execute(
                """insert into principles (workshop_id, position, name, line)
                   values (?, ?, ?, ?)""",
                [workshop.id, position, name, line],
            )
        db.execute(
            "update workshops set principles_agreed_at = ? where id = ?", [stamp, workshop.id]
        )


def cancel_round(db: Database, workshop: Workshop, round_: Round) -> None:
    """Withdraw an open round without a result (a new version is coming)."""
    with write(db):
        db.execute(
            """update rounds set status = 'closed', outcome = 'withdrawn', closed_at = ?
               where id = ? and status = 'open'""",
            [now(), round_.id],
        )
        record_event(db, workshop, "round-changed")


def reopen_agreement(db: Database, workshop: Workshop, subject: str) -> None:
    """Unlock an agreed mission, principles or routine for more drafting."""
    column = {
        "mission": "mission_agreed_at",
        "principles": "principles_agreed_at",
        "routine": "routine_agreed_at",
    }[subject]
    with write(db):
        db.execute(f"update workshops set {column} = null where id = ?", [workshop.id])
        record_event(db, workshop, "mission-changed")
