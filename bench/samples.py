"""Poster texts the benchmark renders: a typical clinic poster and the longest allowed."""

import datetime

from workshop.poster import PosterText

DATE = datetime.date(2026, 11, 23)

TYPICAL = PosterText(
    team="Przychodnia Rodzinna „Pod Lipami”",
    mission=(
        "Jesteśmy po to, by każdy pacjent wychodził od nas spokojniejszy niż przyszedł. "
        "Słuchamy uważnie, tłumaczymy prostym językiem i leczymy zgodnie z aktualną wiedzą."
    ),
    principles=(
        ("Uważność", "najpierw słuchamy, potem radzimy"),
        ("Jasność", "mówimy prosto i sprawdzamy, czy zostaliśmy zrozumiani"),
        ("Rzetelność", "leczymy zgodnie z aktualną wiedzą medyczną"),
        ("Punktualność", "szanujemy czas pacjentów i uprzedzamy o opóźnieniach"),
        ("Dyskrecja", "chronimy dane i tajemnicę lekarską w każdej rozmowie"),
        ("Zespół", "wspieramy się nawzajem i wspólnie uczymy się na błędach"),
    ),
    language="pl",
    date=DATE,
    city="Łódź",
)

_WORDS = (
    "Każdego dnia z życzliwością i szacunkiem troszczymy się o zdrowie mieszkańców naszej "
    "dzielnicy, łącząc rzetelną wiedzę medyczną z uważną rozmową i cierpliwością"
).split()

LONG = PosterText(
    team="Przychodnia Rodzinna „Pod Lipami”",
    mission=" ".join((_WORDS * 10)[:120]) + ".",
    principles=tuple(
        (f"Zasada {n}", "wspieramy się nawzajem i uczymy się razem na błędach")
        for n in range(1, 13)
    ),
    language="pl",
    date=DATE,
    city="Łódź",
)
