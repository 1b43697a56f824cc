"""A real room's volume of data, written straight into the test server's SQLite file.

Browser tests of what the projector, the control page and the phones show need the room
a clinic actually fills: 40 people, 40 answers to a question (10 of them the full 280
characters), themes of 10 cards, a dot vote with a tie, 12 principles with their lines, a
120-word draft, long block reasons and the five-step routine. Typing all that through 40
browsers would take minutes, so these helpers write it through ``workshop.models`` (the
same functions the views call) into the running server's database; every write records
its event, so open pages refresh as if phones had sent it.

    db = open_db(server)
    workshop = get_workshop(db, made.id)
    people = add_people(db, workshop, 40)
    stage = stage_of_kind(db, workshop, "question")
    answers = fill_question(db, workshop, stage, people)
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from random import Random

from sqlite_utils import Database

from workshop import models
from workshop.db import connect
from workshop.forms import ANSWER_MAX, REASON_MAX
from workshop.models import Answer, Participant, Round, Stage, Version, Workshop
from workshop.wordfilter import needs_review

LONG_ANSWERS = 10
ROOM_SIZE = 40

# Polish clinic answers of everyday length (cycled and numbered past the end of the list).
SHORT = [
    "Żeby pacjent wychodził spokojniejszy, niż przyszedł.",
    "Bo ktoś musi mieć czas wysłuchać do końca.",
    "Dajemy poczucie bezpieczeństwa całej rodzinie.",
    "Służymy mieszkańcom dzielnicy, od niemowląt po seniorów.",
    "Rzetelna informacja zamiast pośpiechu.",
    "Życzliwość przy rejestracji, także w poniedziałek rano.",
    "Dotrzymujemy słowa: oddzwaniamy, kiedy obiecaliśmy.",
    "Opiekunowie osób przewlekle chorych, którzy są zmęczeni.",
    "Zaufanie, że nikt nie zostanie odesłany bez odpowiedzi.",
    "Cierpliwość wobec tych, którzy boją się badań.",
    "Wspólny język z pacjentem, bez żargonu.",
    "Szacunek dla czasu pacjenta i jego pracy.",
    "Jesteśmy pierwszym miejscem, do którego się dzwoni.",
    "Uśmiech i nazwisko na identyfikatorze.",
    "Dzieci, które wracają bez strachu przed szczepieniem.",
    "Troska o ciągłość leczenia po wyjściu ze szpitala.",
    "Lekarz, który pamięta, co było ostatnio.",
    "Pielęgniarki, które tłumaczą wszystko krok po kroku.",
    "Pomagamy rodzinom zrozumieć wyniki badań.",
    "Praca zespołowa: rejestracja, lekarze i pielęgniarki razem.",
    "Kultura przepraszania, gdy coś pójdzie nie tak.",
    "Otwartość na uwagi i skargi pacjentów.",
    "Pacjenci z niepełnosprawnościami i ich opiekunowie.",
    "Ludzie starsi, którzy mieszkają sami.",
    "Rodziny z małymi dziećmi z całego osiedla.",
    "Osoby, które nie mówią dobrze po polsku.",
    "Poczucie, że ktoś się naprawdę przejmuje.",
    "Współpraca ze szkołą i opieką społeczną.",
    "Porządek, czystość i spokój w poczekalni.",
    "Nadzieja w trudnej diagnozie.",
]

LONG_SENTENCES = [
    "Istniejemy po to, żeby każdy pacjent, także ten zdenerwowany i zmęczony kolejką, "
    "poczuł, że został wysłuchany do końca, zrozumiany i potraktowany poważnie, a decyzje "
    "o jego leczeniu podejmujemy razem z nim, tłumacząc spokojnie każdy krok, każde "
    "badanie i każdy lek, aż wszystko będzie jasne dla niego i dla jego rodziny w domu.",
    "Dajemy ludziom czas, którego nigdzie indziej nie dostają: rejestratorka oddzwania, "
    "gdy obiecała, pielęgniarka pokazuje, jak zmienić opatrunek, lekarz pamięta imię "
    "dziecka i pyta o babcię, a kiedy coś nam nie wyjdzie, mówimy o tym otwarcie, "
    "przepraszamy i naprawiamy błąd, zanim pacjent wyjdzie z przychodni zawiedziony.",
    "Służymy całej dzielnicy: rodzinom z niemowlętami, które przychodzą na pierwsze "
    "szczepienia, seniorom mieszkającym samotnie, opiekunom osób przewlekle chorych i "
    "ludziom, którzy nie mówią dobrze po polsku, a najbardziej tym, którzy boją się "
    "lekarzy, bo kiedyś ktoś ich zbył, zlekceważył albo nie dał im dojść do słowa.",
]

PRINCIPLES = [
    ("Słuchamy do końca", "Nie przerywamy pacjentowi, dopóki nie powie wszystkiego, co chce."),
    ("Mówimy prosto", "Tłumaczymy wyniki i zalecenia bez żargonu, aż pacjent zrozumie."),
    ("Dotrzymujemy słowa", "Oddzwaniamy wtedy, kiedy obiecaliśmy, nawet z niepełną wiadomością."),
    ("Szanujemy czas", "Przyjmujemy punktualnie albo uprzedzamy o opóźnieniu w poczekalni."),
    ("Przepraszamy", "Gdy popełnimy błąd, mówimy o nim otwarcie i naprawiamy go od razu."),
    ("Pracujemy razem", "Rejestracja, pielęgniarki i lekarze przekazują sobie sprawy bez luk."),
    ("Pamiętamy o rodzinie", "Opiekunów traktujemy jak partnerów i mówimy im, co mogą zrobić."),
    ("Dbamy o godność", "Rozmawiamy o zdrowiu za zamkniętymi drzwiami, nigdy przy kolejce."),
    ("Pytamy o zdanie", "Po każdej wizycie pytamy, jak było, i wracamy do uwag na odprawie."),
    ("Jesteśmy uprzejmi", "Witamy każdego po imieniu i z uśmiechem, także w poniedziałek rano."),
    ("Uczymy się", "Co miesiąc omawiamy jedną skargę i jedną pochwałę, żeby być lepsi."),
    ("Dajemy nadzieję", "Przy trudnej diagnozie zostajemy z pacjentem i mówimy o kolejnym kroku."),
]

# 120 words: the longest mission a round may decide (models.MISSION_WORDS).
MISSION_120 = (
    "Istniejemy, aby każdy mieszkaniec naszej dzielnicy, od niemowlęcia po seniora, "
    "wychodził z przychodni spokojniejszy, niż do niej przyszedł, i wiedział, co dalej "
    "robić ze swoim zdrowiem. Słuchamy do końca, zanim cokolwiek powiemy, tłumaczymy "
    "prostymi słowami wyniki, leki i zalecenia, a decyzje o leczeniu podejmujemy razem z "
    "pacjentem i jego rodziną. Dotrzymujemy słowa: oddzwaniamy wtedy, kiedy obiecaliśmy, "
    "przyjmujemy punktualnie albo uprzedzamy o opóźnieniu. Gdy popełnimy błąd, mówimy o "
    "nim otwarcie, przepraszamy i naprawiamy go od razu. Pracujemy jako jeden zespół, "
    "rejestracja, pielęgniarki i lekarze, żeby nikt nie zgubił się między gabinetami. Po "
    "każdej wizycie pytamy, jak było, bo uwagi naszych pacjentów wskazują nam drogę, a ich "
    "zaufanie jest dla nas najważniejszym wynikiem, jaki możemy osiągnąć razem z nimi "
    "każdego kolejnego dnia."
)

BLOCK_REASONS = [
    "Nie mogę się zgodzić na obietnicę punktualnych przyjęć, dopóki w poniedziałki i piątki "
    "mamy jednego lekarza na trzy gabinety; pacjenci wezmą to dosłownie, a potem będą "
    "rozczarowani, więc wolałabym zdanie o uprzedzaniu o opóźnieniach niż o punktualności.",
    "Brakuje mi w tym tekście osób, które nie mówią dobrze po polsku; co piąty nasz pacjent "
    "przychodzi z tłumaczem albo z dzieckiem, które tłumaczy, i chcę, żeby misja mówiła "
    "wprost, że im też tłumaczymy wszystko do końca, spokojnie i bez pośpiechu, zawsze.",
    "Zdanie o podejmowaniu decyzji razem z rodziną jest dla mnie za szerokie: dorosły "
    "pacjent ma prawo do tajemnicy, także wobec rodziny, i nie chcę, żeby ktoś z nas "
    "powołał się na plakat, mówiąc o wynikach bez zgody pacjenta, na korytarzu przy ludziach.",
]

RESERVATION_REASONS = [
    "Tekst jest długi; w poczekalni mało kto przeczyta go do końca, może warto go skrócić.",
    "Wolałbym słowo „pacjent” zastąpić słowem „człowiek”, bo nie każdy przychodzi chory.",
]


def open_db(server) -> Database:
    """Open the running test server's database (its own connection, WAL shared)."""
    return connect(str(Path(server.database)))


def get_workshop(db: Database, public_id: str) -> Workshop:
    found = models.get_workshop(db, public_id)
    assert found is not None, f"no workshop {public_id}"
    return found


def fresh(db: Database, workshop: Workshop) -> Workshop:
    """Read the workshop again (its agreed dates and current stage change as we write)."""
    return get_workshop(db, workshop.public_id)


def stage_of_kind(db: Database, workshop: Workshop, kind: str, nth: int = 0) -> Stage:
    """The ``nth`` stage of ``kind`` ("question", "principles", "mission", "routine", "agreed")."""
    stages = [s for s in models.list_stages(db, workshop) if s.kind == kind]
    assert len(stages) > nth, f"the workshop has no stage #{nth} of kind {kind}"
    return stages[nth]


def move_to(db: Database, workshop: Workshop, stage: Stage) -> None:
    """Put the screen and every phone on ``stage``."""
    models.move_to_stage(db, workshop, stage)


def add_people(db: Database, workshop: Workshop, count: int = ROOM_SIZE) -> list[Participant]:
    """Let ``count`` people join (half of them named, as in a real room)."""
    people = []
    for number in range(count):
        person, _key = models.add_participant(db, workshop)
        if number % 2 == 0:
            models.rename_participant(db, workshop, person, f"Osoba {number + 1}")
        people.append(person)
    return people


def long_answer(number: int) -> str:
    """An answer of 270–280 characters (the limit is 280), cut at a word."""
    text = LONG_SENTENCES[number % len(LONG_SENTENCES)]
    text = f"({number + 1}) {text}"
    if len(text) > ANSWER_MAX:
        text = text[: ANSWER_MAX - 1].rsplit(" ", 1)[0].rstrip(",:;") + "."
    assert 260 <= len(text) <= ANSWER_MAX, len(text)
    return text


def answer_texts(count: int = ROOM_SIZE, long: int = LONG_ANSWERS) -> list[str]:
    """``count`` different answers, ``long`` of them near 280 characters, spread through."""
    every = max(1, count // long) if long else count + 1
    texts = []
    for number in range(count):
        if long and number % every == every - 1 and sum(len(t) > 200 for t in texts) < long:
            texts.append(long_answer(number))
        else:
            base = SHORT[number % len(SHORT)]
            texts.append(base if number < len(SHORT) else f"{base} ({number + 1})")
    return texts


def fill_question(
    db: Database,
    workshop: Workshop,
    stage: Stage,
    people: list[Participant],
    count: int = ROOM_SIZE,
    long: int = LONG_ANSWERS,
) -> list[Answer]:
    """Give ``stage`` ``count`` answers, one per person (cycling), ``long`` of 270–280 chars.

    Phones answer only the current stage, so the room moves there while they answer and
    back to where it was afterwards.
    """
    was = fresh(db, workshop).current_stage_id
    move_to(db, workshop, stage)
    answers = [
        models.add_answer(db, workshop, stage, people[i % len(people)], text)
        for i, text in enumerate(answer_texts(count, long))
    ]
    back = models.get_stage(db, workshop, was) if was else None
    if back is not None and back.id != stage.id:
        move_to(db, workshop, back)
    return answers


def group_into_themes(
    db: Database,
    workshop: Workshop,
    stage: Stage,
    answers: list[Answer],
    names: tuple[str, ...] = ("Bezpieczeństwo", "Czas i uwaga", "Rodzina"),
    per_theme: int = 10,
) -> None:
    """Put ``per_theme`` answers into each named theme; the rest stay ungrouped."""
    for index, name in enumerate(names):
        theme = models.add_theme(db, workshop, stage, name)
        for answer in answers[index * per_theme : (index + 1) * per_theme]:
            models.set_theme(db, workshop, answer, theme)


def vote_with_tie(
    db: Database,
    workshop: Workshop,
    stage: Stage,
    people: list[Participant],
    answers: list[Answer],
) -> dict[int, int]:
    """Run a dot vote on ``stage`` whose 3rd place is a tie; reveal the result.

    Answers 0..4 get 9, 7, 5, 5, 3 dots; every other answer gets one or none. Returns the
    dots per answer id. Moves the room to ``stage`` (phones vote only on the current one).
    """
    move_to(db, workshop, stage)
    models.open_voting(db, workshop, stage, budget=3)
    wanted = [9, 7, 5, 5, 3]
    plan: list[Answer] = []
    for answer, dots in zip(answers, wanted, strict=False):
        plan += [answer] * dots
    plan += answers[len(wanted) : len(wanted) + 12]
    counts: dict[int, int] = {}
    # Three dots a person; a person's dots go to different answers where possible.
    for i, answer in enumerate(plan):
        person = people[i // 3 % len(people)]
        models.cast_vote(db, workshop, person, answer)
        counts[answer.id] = counts.get(answer.id, 0) + 1
    models.close_voting(db, workshop, fresh_stage(db, workshop, stage))
    models.reveal_results(db, workshop, fresh_stage(db, workshop, stage))
    return counts


def fresh_stage(db: Database, workshop: Workshop, stage: Stage) -> Stage:
    found = models.get_stage(db, workshop, stage.id)
    assert found is not None
    return found


def set_principles(db: Database, workshop: Workshop, count: int = 12) -> None:
    """The room's principles: ``count`` names with their lines."""
    models.replace_principles(db, workshop, PRINCIPLES[:count])


def long_draft(db: Database, workshop: Workshop, text: str = MISSION_120) -> Version:
    """A facilitator's mission draft of 120 words, shown on the screen."""
    return models.propose_draft(db, workshop, text)


def routine_draft(db: Database, workshop: Workshop, steps: list[str] | None = None) -> Version:
    """The team's wording of the five-step trust routine, as a routine draft."""
    steps = steps or [
        "Słuchamy bez przerywania, aż pacjent powie wszystko, co go boli i niepokoi.",
        "Słuchamy, żeby zrozumieć, a nie żeby odpowiedzieć; dopytujemy spokojnie o szczegóły.",
        "Staramy się poczuć to, co czuje pacjent, i zobaczyć sprawę z jego strony.",
        "Jeśli był błąd, naprawiamy go od razu i przepraszamy wprost, bez wymówek.",
        "Pytamy, czy pacjent będzie do nas dalej przychodził: to sprawdzian zaufania.",
    ]
    return models.propose_draft(db, workshop, "\n".join(steps), kind="routine")


def answer_round(
    db: Database,
    workshop: Workshop,
    round_: Round,
    people: list[Participant],
    blocks: int = 3,
    reservations: int = 2,
) -> None:
    """Everyone answers ``round_``: ``blocks`` long blocks, reservations with reasons, the
    rest agree in various degrees."""
    for i, person in enumerate(people):
        if i < blocks:
            reason = BLOCK_REASONS[i % len(BLOCK_REASONS)][:REASON_MAX]
            models.answer_round(db, workshop, round_, person, models.BLOCK, reason)
        elif i < blocks + reservations:
            reason = RESERVATION_REASONS[(i - blocks) % len(RESERVATION_REASONS)]
            models.answer_round(db, workshop, round_, person, models.RESERVATIONS, reason)
        else:
            models.answer_round(db, workshop, round_, person, 1 + i % 3)


def mission_round(
    db: Database, workshop: Workshop, people: list[Participant], blocks: int = 3
) -> Round:
    """Open a round on a 120-word draft and let the room answer it (with long blocks)."""
    version = long_draft(db, workshop)
    round_ = models.open_round(db, workshop, "mission", version)
    answer_round(db, workshop, round_, people, blocks=blocks)
    return round_


def principles_round(
    db: Database, workshop: Workshop, people: list[Participant], blocks: int = 0
) -> Round:
    """Open a round on 12 principles with their lines and let the room answer it."""
    set_principles(db, workshop)
    round_ = models.open_round(db, workshop, "principles")
    answer_round(db, workshop, round_, people, blocks=blocks)
    return round_


def routine_round(
    db: Database, workshop: Workshop, people: list[Participant], blocks: int = 0
) -> Round:
    """Open a round on the five-step routine and let the room answer it."""
    version = routine_draft(db, workshop)
    round_ = models.open_round(db, workshop, "routine", version)
    answer_round(db, workshop, round_, people, blocks=blocks)
    return round_


def agree(db: Database, workshop: Workshop, round_: Round) -> Round:
    """Close ``round_``; agree it with a note if the room did not."""
    closed = models.close_round(db, workshop, round_)
    if closed.outcome != "agreed":
        closed = models.close_round(db, workshop, round_, "Uzgodnione po rozmowie.")
    return closed


def fill_room(db: Database, workshop: Workshop, people_count: int = ROOM_SIZE) -> dict:
    """People, and 40 answers (10 long) on each of the three core questions.

    Returns ``{"people": [...], "answers": {stage_id: [...]}}``; rounds, votes and themes
    are left to the test (one open round at a time).
    """
    people = add_people(db, workshop, people_count)
    answers = {}
    for stage in [s for s in models.list_stages(db, workshop) if s.kind == "question"][:3]:
        answers[stage.id] = fill_question(db, workshop, stage, people)
    return {"people": people, "answers": answers}


def fill_answered_room(db: Database, workshop: Workshop, people_count: int = ROOM_SIZE) -> dict:
    """A room in the middle of its drafting: ``people_count`` people; four answered stages
    (the three core questions and the principles, ``people_count`` answers each), the first
    grouped into themes, the second voted on and revealed; two mission drafts on the screen,
    one with a suggested change; a routine draft; and an open round on the mission that
    everyone has answered. Returns ``{"people": [...], "round": Round}``.
    """
    people = add_people(db, workshop, people_count)
    answered = [s for s in models.list_stages(db, workshop) if s.takes_answers][:4]
    answers = {
        stage.id: fill_question(db, workshop, stage, people, people_count, people_count // 4)
        for stage in answered
    }
    first, second = answered[0], answered[1]
    group_into_themes(db, workshop, first, answers[first.id], per_theme=people_count // 4)
    vote_with_tie(db, workshop, second, people, answers[second.id])
    long_draft(db, workshop, MISSION_120.split(". ")[0] + ".")
    version = long_draft(db, workshop)
    for line in models.list_drafts(db, workshop, "mission"):
        models.set_draft_shown(db, workshop, line.draft, True)
    models.suggest_amendment(db, workshop, version, people[1], version.text + " Zawsze.")
    routine_draft(db, workshop)
    round_ = models.open_round(db, workshop, "mission", version)
    answer_round(db, workshop, round_, people)
    return {"people": people, "round": round_}


# Clients' feedback: a year of a busy clinic -------------------------------------------------

FEEDBACK_COMMENTS = [
    "Pani w rejestracji była bardzo miła i wszystko wytłumaczyła.",
    "Czekałem ponad godzinę, nikt nie powiedział dlaczego.",
    "Doktor wysłuchał mnie do końca, pierwszy raz od lat.",
    "Za długo w kolejce, a w poczekalni za mało krzeseł.",
    "Wyniki wytłumaczone prosto, dziękuję.",
    "Nikt nie oddzwonił, choć obiecano.",
    "Pielęgniarka zadbała o mnie jak o rodzinę.",
    "Bardzo sprawnie i punktualnie.",
    "Nie wiedziałam, do którego gabinetu iść.",
    "Thank you, the doctor took her time and explained everything.",
    "The wait was long but the staff kept us informed.",
    "Recepcja niegrzeczna, a lekarz w pośpiechu.",
    "Dziękuję za cierpliwość z moją mamą.",
    "Proszę o więcej terminów popołudniowych.",
]
HELD_COMMENT = "Co za kretyni, trzy razy zgubili moje skierowanie."  # the word filter holds it
FEEDBACK_RATING_WEIGHTS = (5, 8, 12, 30, 45)  # 1 … 5: most visits go well


def fill_feedback(
    db: Database,
    workshop: Workshop,
    count: int,
    days: int = 365,
    principles: int = 8,
    seed: int = 18,
    until: datetime | None = None,
) -> None:
    """Agree ``principles`` principles and write ``count`` clients' answers spread over the
    last ``days`` days (fewer at weekends): ratings mostly 4–5, 0–3 principles felt (the
    first ones more often; the last hardly ever), a comment on about one in three (one in
    a hundred of those held by the word filter). One bulk insert: the form's own path is
    tested elsewhere, and a year of a busy clinic is 50,000 answers."""
    random = Random(seed)
    set_principles(db, workshop, principles)
    db.execute(
        "update workshops set principles_agreed_at = ? where id = ?", [models.now(), workshop.id]
    )
    names = [name for name, _line in PRINCIPLES[:principles]]
    weights = [principles - index for index in range(principles)]
    weights[-1] = 0.2  # one principle hardly anyone notices
    end = until or datetime.now(UTC)
    rows = []
    for number in range(count):
        at = end - timedelta(seconds=random.random() * days * 86400)
        if at.weekday() >= 5 and random.random() < 0.7:
            at -= timedelta(days=2)  # the clinic is quieter at weekends
        rating = random.choices((1, 2, 3, 4, 5), FEEDBACK_RATING_WEIGHTS)[0]
        felt = sorted(set(random.choices(names, weights, k=random.choice((0, 1, 1, 2, 3)))))
        comment = random.choice(FEEDBACK_COMMENTS) if random.random() < 0.33 else ""
        comment = HELD_COMMENT if comment and random.random() < 0.01 else comment
        rows.append(
            {
                "workshop_id": workshop.id,
                "rating": rating,
                "principles": json.dumps(felt, ensure_ascii=False),
                "comment": comment,
                "call_back": 0,
                "contact": "",
                "kiosk": int(random.random() < 0.4),
                "client_nonce": f"volume-{seed}-{number}",
                "created_at": at.isoformat(timespec="seconds"),
                "held": int(needs_review(comment)),
            }
        )
    rows.sort(key=lambda row: row["created_at"])  # stored as they came: ids follow time
    with db.conn:
        db["feedback"].insert_all(rows, batch_size=2000)
