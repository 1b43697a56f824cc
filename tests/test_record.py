"""The workshop's record as people read it: the PDF report, the spreadsheet and Markdown."""

import csv
import io
import re
import subprocess

import pytest
from bs4 import BeautifulSoup
from flask_babel import force_locale

from workshop import models, record
from workshop.record import workshop_record

from .browser import volume
from .test_exports import MISSION, agree, agree_routine, fill_room
from .test_retention import travel_to


@pytest.fixture
def filled(app, db, workshop):
    """A workshop with answers, dots, a theme, a merge, moderation, a draft and rounds."""
    with app.app_context():
        answers = fill_room(db, workshop)
        stage = models.current_stage(db, workshop)
        theme = models.add_theme(db, workshop, stage, "Pacjenci")
        models.set_theme(db, workshop, answers["-2"], theme)
        models.merge_answers(db, workshop, answers["@SUM(A1:A2)"], answers["-2"])
        models.moderate(db, workshop, answers["*Zdrowie* [a](b)"], "hidden")
        models.edit_as_facilitator(db, workshop, answers["+1"], "+1 (poprawione)", "")
        agree_routine(db, workshop)
        return workshop_record(db, workshop)


@pytest.fixture
def english(app):
    with app.test_request_context(), force_locale("en"):
        yield


@pytest.mark.parametrize(
    "cell",
    ['=HYPERLINK("http://evil","x")', "+1", "-2", "@SUM(A1:A2)", "\t=1", "\r=1", "=1+1"],
)
def test_cells_a_spreadsheet_would_run_are_neutralised(cell):
    assert record.neutralise_cell(cell) == "'" + cell


@pytest.mark.parametrize("cell", ["Zdrowie", "", "1-2", " =not at the start", 3, None])
def test_other_cells_are_kept(cell):
    assert record.neutralise_cell(cell) == cell


@pytest.mark.parametrize(
    "text, escaped",
    [
        ("*bold* and _it_", r"\*bold\* and \_it\_"),
        ("[click](http://evil)", r"\[click\](http://evil)"),
        ("<script>alert(1)</script>", r"\<script\>alert(1)\</script\>"),
        ("# not a heading", r"\# not a heading"),
        ("- not a list", r"\- not a list"),
        ("+ not a list", r"\+ not a list"),
        ("1. not a numbered list", r"1\. not a numbered list"),
        ("> not a quote", r"\> not a quote"),
        ("a | b ~~c~~ `d` &amp; !", r"a \| b \~\~c\~\~ \`d\` \&amp; \!"),
        ("back\\slash", r"back\\slash"),
        ("line one\n- line two", "line one\n\\- line two"),
        ("Zażółć gęślą jaźń 2–3 m.", "Zażółć gęślą jaźń 2–3 m."),
    ],
)
def test_markdown_escapes_what_would_format(text, escaped):
    assert record.escape_markdown(text) == escaped


def test_csv_has_one_clean_row_per_answer(filled, english):
    text = record.answers_as_csv(filled)
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text[1:])))
    header, body = rows[0], rows[1:]
    assert header == [
        "Stage",
        "Answer no.",
        "Answer",
        "How it shows in daily work",
        "Dots",
        "Theme",
        "Merged into answer no.",
        "Moderation",
        "First wording",
        "Entered by",
        "Created",
    ]
    assert len(body) == 5 and all(len(row) == len(header) for row in body)
    by_answer = {row[2]: dict(zip(header, row, strict=True)) for row in body}
    edited = by_answer["'+1 (poprawione)"]
    assert edited["Dots"] == "2" and edited["First wording"] == "'+1"
    assert by_answer["'-2"]["Theme"] == "Pacjenci"
    assert by_answer["'@SUM(A1:A2)"]["Merged into answer no."] == by_answer["'-2"]["Answer no."]
    assert by_answer["*Zdrowie* [a](b)"]["Moderation"] == "hidden by the facilitator"
    assert by_answer['\'=HYPERLINK("http://evil","x")']["Stage"].startswith("1. ")
    assert by_answer["'-2"]["Created"][:2] == "20"


def test_markdown_has_a_heading_per_stage_and_escapes_user_text(filled, english, db, workshop):
    text = record.record_as_markdown(filled)
    assert text.startswith("# Przychodnia Pod Lipami\n")
    for number, stage in enumerate(models.list_stages(db, workshop), start=1):
        assert f"\n### {number}. {record.escape_markdown(stage.title)}\n" in text
    assert r"\*Zdrowie\* \[a\](b)" in text and "*Zdrowie*" not in text
    assert "2 dots" in text and "theme: Pacjenci" in text and "hidden by the facilitator" in text
    assert "## What the team agreed" in text and record.escape_markdown(MISSION) in text
    assert "**Życzliwość** — każdego witamy z uśmiechem" in text
    assert "### Trust-recovery routine" in text and "1. Wysłuchaj do końca" in text
    assert "## Consensus rounds" in text and "Round 1: the mission — not agreed" in text
    assert "Block: Za ogólnie, brak pacjentów" in text
    assert "## Drafts and versions" in text and "Pomagamy ludziom — każdego dnia." in text


def test_report_html_escapes_user_text(app, db, workshop, english):
    stage = models.current_stage(db, workshop)
    person, _key = models.add_participant(db, workshop)
    models.add_answer(db, workshop, stage, person, "<img src=x onerror=alert(1)> {{7*7}}")
    html = record.record_as_report_html(workshop_record(db, workshop))
    assert "&lt;img src=x onerror=alert(1)&gt; {{7*7}}" in html and "<img" not in html
    assert '<html lang="pl">' in html and "<title>Workshop record: Przychodnia" in html


def test_report_pdf_holds_answers_votes_rounds_and_the_outcome(filled, english, tmp_path):
    pdf = tmp_path / "report.pdf"
    pdf.write_bytes(record.record_as_report_pdf(filled))
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True).stdout
    assert "Tagged:          yes" in info and "Przychodnia Pod Lipami" in info
    text = " ".join(
        subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True).stdout.split()
    )
    assert "What the team agreed" in text and MISSION[:40] in text
    assert '=HYPERLINK("http://evil","x")' in text and "*Zdrowie* [a](b)" in text
    assert "hidden by the facilitator" in text and "Pacjenci" in text
    assert "first wording: +1" in text
    assert "Round 1: the mission — not agreed" in text and "Za ogólnie, brak pacjentów" in text
    assert "Pomagamy ludziom — każdego dnia." in text
    assert "Wysłuchaj do końca, nie przerywaj" in text


def test_an_empty_workshop_still_has_a_record(app, db, workshop, english):
    data = workshop_record(db, workshop)
    assert record.answers_as_csv(data).count("\n") == 1
    assert "Mission (not agreed yet)" in record.record_as_markdown(data)
    assert record.record_as_report_pdf(data).startswith(b"%PDF")
    agree(db, workshop)
    assert "Mission (agreed" in record.record_as_markdown(workshop_record(db, workshop))


# What introduces the text after it: headings, a stage's question and counts, a version's
# number and author, a section's note.
LABELS = "h1, h2, h3, h4, .version-head, .facts, .prompt, .hint"


def big_record(db, workshop) -> dict:
    """A room of 30: 37 answers on each question, two mission drafts of five versions each
    (suggested changes and the facilitator's), a round on each with long blocks, the routine."""
    people = volume.add_people(db, workshop, 30)
    for stage in [s for s in models.list_stages(db, workshop) if s.kind == "question"][:3]:
        volume.fill_question(db, workshop, stage, people, count=37)
    for words in (100, 40):
        version = volume.long_draft(
            db, workshop, " ".join(volume.MISSION_120.split()[:words]).rstrip(",") + "."
        )
        draft = models.get_draft(db, workshop, version.draft_id)
        for n in range(4):
            if n % 2 == 0:
                change = version.text.replace("Istniejemy", f"Istniejemy ({n})", 1)
                amendment = models.suggest_amendment(
                    db, workshop, version, people[n], change if n else version.text + " Zawsze."
                )
                version = models.decide_amendment(db, workshop, amendment, True)
            else:
                text = f"{version.text[:-10]} wersja {n}."
                version = models.revise_draft(db, workshop, draft, text)
        round_ = models.open_round(db, workshop, "mission", version)
        volume.answer_round(db, workshop, round_, people, blocks=3)
        models.close_round(db, workshop, round_)
    volume.routine_round(db, workshop, people)
    return workshop_record(db, workshop)


def test_no_page_of_a_big_report_ends_with_a_heading(app, db, workshop, tmp_path, monkeypatch):
    """Headings and labels keep with what follows ("Wersja 2 · propozycja zmiany…", the
    rounds' note were left at the foot of pages 7 and 9 of this room's report)."""
    travel_to(monkeypatch, "2026-12-05T23:42:00+00:00")  # same layout every run
    pdf = tmp_path / "report.pdf"
    with app.test_request_context():
        data = big_record(db, workshop)
        html = record.record_as_report_html(data)
        pdf.write_bytes(record.record_as_report_pdf(data))
    labels = {
        " ".join(label.get_text(" ").split())
        for label in BeautifulSoup(html, "html.parser").select(LABELS)
    }
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True).stdout
    pages = int(re.search(r"^Pages:\s+(\d+)", info, re.M).group(1))
    assert pages >= 10
    stranded = []
    for page in range(1, pages + 1):
        text = subprocess.run(
            ["pdftotext", "-layout", "-f", str(page), "-l", str(page), str(pdf), "-"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        lines = [line.strip() for line in text.splitlines() if line.strip()]
        assert lines[-1] == f"{page} / {pages}"  # the footer
        end = " ".join(" ".join(lines[-7:-1]).split())
        stranded += [(page, label) for label in labels if end.endswith(label)]
    assert not stranded, stranded
