"""Below a round's anonymity minimum its counts and reasons stay hidden everywhere, for good
(issue 16, item 7): on the control page, the screen, the phone and in every record format,
while the round is open and after the facilitator closes it."""

import json
import subprocess

import pytest

from workshop import models

from .conftest import HX

MISSION = "Każdego dnia z życzliwością troszczymy się o zdrowie naszych pacjentów"
REASON = "Nie zgadzam się z tym zdaniem wcale"


def lone_block(db, workshop, close=True):
    """A round with a minimum of 3 that one person answers with a block and a reason."""
    version = models.propose_draft(db, workshop, MISSION)
    round_ = models.open_round(db, workshop, "mission", version, min_answers=3)
    person, _key = models.add_participant(db, workshop)
    models.answer_round(db, workshop, round_, person, 5, REASON)
    models.add_participant(db, workshop)  # present, but did not answer
    if close:
        round_ = models.close_round(db, workshop, round_)
    return round_


def test_a_closed_round_below_the_minimum_keeps_its_tally_hidden(db, workshop):
    round_ = lone_block(db, workshop)
    assert round_.outcome == "not-agreed"
    tally = models.round_tally(db, round_)
    assert (tally.answered, tally.visible, tally.blocks, tally.reasons) == (1, False, 0, ())
    assert set(tally.counts.values()) == {0}


@pytest.mark.parametrize("close", [False, True])
def test_the_control_page_never_shows_a_lone_reason(facilitator, db, workshop, close):
    lone_block(db, workshop, close)
    for path in ("control", "control/round"):
        page = facilitator.get(f"/w/{workshop.public_id}/{path}", headers=HX).get_data(True)
        assert REASON not in page
        assert 'class="tally"' not in page
        assert "blocked" not in page


def test_the_record_keeps_a_closed_rounds_counts_and_reasons_hidden(facilitator, db, workshop):
    lone_block(db, workshop)
    base = f"/w/{workshop.public_id}/record"
    record = json.loads(facilitator.get(f"{base}.json").data)
    (round_,) = record["rounds"]
    assert round_["answered"] == 1
    assert not round_["shown"]
    assert round_["answers"] == [] and round_["reasons"] == []
    assert REASON not in json.dumps(record, ensure_ascii=False)
    markdown = facilitator.get(f"{base}.md").get_data(True)
    assert REASON not in markdown
    assert "stay hidden" in markdown or "pozostają ukryte" in markdown
    assert REASON not in facilitator.get(f"{base}.csv").get_data(True)


def test_the_pdf_record_keeps_a_closed_rounds_reason_hidden(facilitator, db, workshop, tmp_path):
    lone_block(db, workshop)
    pdf = tmp_path / "record.pdf"
    pdf.write_bytes(facilitator.get(f"/w/{workshop.public_id}/record.pdf").data)
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True).stdout
    assert "Nie zgadzam" not in text
    assert "ukryte" in text


def test_the_screen_keeps_a_closed_rounds_reason_hidden(client, db, workshop):
    round_ = lone_block(db, workshop, close=False)
    models.move_to_stage(db, workshop, _mission_stage(db, workshop))
    models.close_round(db, workshop, round_)
    page = client.get(f"/s/{workshop.screen_token}").get_data(True)
    assert REASON not in page
    assert "blok" not in page.split("round-layout", 1)[-1].lower().split("</section>", 1)[0]


def _mission_stage(db, workshop):
    return next(s for s in models.list_stages(db, workshop) if s.kind == "mission")


def test_a_round_at_the_minimum_shows_its_reasons(db, workshop):
    version = models.propose_draft(db, workshop, MISSION)
    round_ = models.open_round(db, workshop, "mission", version, min_answers=3)
    for level in (5, 2, 2):
        person, _key = models.add_participant(db, workshop)
        models.answer_round(db, workshop, round_, person, level, REASON if level == 5 else "")
    closed = models.close_round(db, workshop, round_)
    tally = models.round_tally(db, closed)
    assert tally.visible and tally.blocks == 1 and tally.reasons == ((5, REASON),)
