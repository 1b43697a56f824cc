"""The team's pulse: its counts on hand-made feedback (empty weeks, principles felt 0
times, held and hidden comments), who may see it (the facilitator, the lead's read-only
link), hiding and reviewing comments, and the monthly pulse sheet (PDF, A4)."""

import re
import subprocess
from datetime import date, datetime, timedelta

import pytest

from workshop import models, pulse

from .conftest import make_workshop

MONDAY = date(2026, 11, 2)  # a Monday; the workshop's zone is Warsaw (UTC+1 in November)


@pytest.fixture
def english(db, agreed):
    """The same workshop, held in English (its pages and sheet follow its language)."""
    db.execute("update workshops set language = 'en' where id = ?", [agreed.id])
    return models.get_workshop_by_id(db, agreed.id)


@pytest.fixture
def agreed(app, db, workshop):
    """The workshop with three agreed principles and feedback on hand-made days."""
    models.replace_principles(db, workshop, [(n, "") for n in ("Kindness", "Time", "Clarity")])
    db.execute(
        "update workshops set principles_agreed_at = ?, mission = ? where id = ?",
        [models.now(), "We care for every patient as for our own family.", workshop.id],
    )
    return models.get_workshop_by_id(db, workshop.id)


def give(db, workshop, when: datetime, rating: int, felt=(), comment="") -> models.Feedback:
    """Store feedback as the form does, then date it ``when`` (UTC)."""
    item = models.add_feedback(db, workshop, rating, list(felt), comment)
    db.execute(
        "update feedback set created_at = ? where id = ?",
        [when.isoformat(timespec="seconds") + "+00:00", item.id],
    )
    return item


def at(day: date, hour: int = 10) -> datetime:
    return datetime(day.year, day.month, day.day, hour)


def fill(db, workshop):
    """Week 1: two answers; week 2: none; week 3: three."""
    give(db, workshop, at(MONDAY), 5, ["Kindness", "Time"], "Very kind nurses, thank you")
    give(db, workshop, at(MONDAY + timedelta(days=2)), 3, ["Kindness"])
    give(db, workshop, at(MONDAY + timedelta(days=14)), 1, [], "Waited an hour, nobody said why")
    give(db, workshop, at(MONDAY + timedelta(days=15)), 2, ["Kindness"], "Rude at the desk")
    give(db, workshop, at(MONDAY + timedelta(days=16)), 4, ["Time"], "Quick and clear")


def span(workshop, weeks=3):
    return models.PulseSpan(MONDAY, MONDAY + timedelta(weeks=weeks), 60)


# The counts -------------------------------------------------------------------------------


def test_weekly_counts_and_means_include_empty_weeks(db, agreed):
    fill(db, agreed)
    periods = models.pulse_periods(db, agreed, span(agreed), "week")
    assert [(p.start, p.answers) for p in periods] == [
        (MONDAY, 2),
        (MONDAY + timedelta(weeks=1), 0),
        (MONDAY + timedelta(weeks=2), 3),
    ]
    assert periods[0].average == 4.0
    assert periods[1].average is None
    assert periods[2].average == pytest.approx(7 / 3)


def test_a_week_is_counted_in_the_workshops_local_time(db, agreed):
    give(db, agreed, datetime(2026, 11, 8, 23, 30), 5)  # Sunday in UTC, Monday in Warsaw
    periods = models.pulse_periods(db, agreed, span(agreed), "week")
    assert [p.answers for p in periods] == [0, 1, 0]


def test_months_and_ratings_are_counted(db, agreed):
    fill(db, agreed)
    give(db, agreed, datetime(2026, 10, 20, 10), 4)
    months = models.PulseSpan(date(2026, 10, 1), date(2026, 12, 1), 60)
    periods = models.pulse_periods(db, agreed, months, "month")
    assert [(p.start, p.answers) for p in periods] == [
        (date(2026, 10, 1), 1),
        (MONDAY.replace(day=1), 5),
    ]
    assert models.pulse_ratings(db, agreed, span(agreed)) == {1: 1, 2: 1, 3: 1, 4: 1, 5: 1}


def test_every_agreed_principle_is_counted_most_felt_first_even_when_never_felt(db, agreed):
    fill(db, agreed)
    assert models.pulse_principles(db, agreed, span(agreed)) == [
        ("Kindness", 3),
        ("Time", 2),
        ("Clarity", 0),
    ]


def test_feedback_outside_the_span_is_not_counted(db, agreed):
    fill(db, agreed)
    give(db, agreed, at(MONDAY - timedelta(days=1)), 1, ["Clarity"])
    assert models.pulse_principles(db, agreed, span(agreed))[-1] == ("Clarity", 0)
    assert sum(p.answers for p in models.pulse_periods(db, agreed, span(agreed), "week")) == 5


def test_the_word_filter_holds_a_comment_for_review(db, agreed):
    held = models.add_feedback(db, agreed, 1, [], "Ta recepcjonistka to kretynka")
    kept = models.add_feedback(db, agreed, 5, [], "Dziękuję, bardzo miło")
    assert held.held and not held.shown
    assert not kept.held and kept.shown
    assert models.list_comments(db, agreed, "shown") == [kept]
    assert models.list_comments(db, agreed, "held") == [held]
    assert models.count_held(db, agreed) == 1


def test_hidden_comments_leave_the_shown_list_and_come_back_on_undo(db, agreed):
    item = models.add_feedback(db, agreed, 2, [], "Too long a wait")
    hidden = models.hide_comment(db, agreed, item.id, True)
    assert hidden.hidden_at and models.list_comments(db, agreed, "shown") == []
    assert models.list_comments(db, agreed, "reviewed") == [hidden]
    models.hide_comment(db, agreed, item.id, False)
    assert [c.id for c in models.list_comments(db, agreed, "shown")] == [item.id]


def test_comments_page_newest_first(db, agreed):
    for n in range(5):
        models.add_feedback(db, agreed, 4, [], f"comment {n}")
    first = models.list_comments(db, agreed, "shown", limit=2)
    second = models.list_comments(db, agreed, "shown", limit=2, offset=2)
    assert [c.comment for c in first + second] == [f"comment {n}" for n in (4, 3, 2, 1)]


def test_a_comment_of_another_workshop_cannot_be_hidden(app, db, agreed):
    with app.app_context():
        other, _ = make_workshop(db)
    item = models.add_feedback(db, other, 2, [], "theirs")
    with pytest.raises(models.Refused):
        models.hide_comment(db, agreed, item.id, True)


def test_the_sheet_chooses_a_good_a_bad_and_the_newest_other_comment(app, db, agreed):
    fill(db, agreed)
    give(db, agreed, at(MONDAY + timedelta(days=17)), 5, [], "Great doctor")
    held = give(db, agreed, at(MONDAY + timedelta(days=18)), 1, [], "idiots")
    with app.test_request_context():
        sheet = pulse.month_sheet(db, agreed, MONDAY)
    chosen = [c.comment for c in sheet.comments]
    assert held.comment not in chosen
    assert chosen == ["Great doctor", "Quick and clear", "Rude at the desk"]
    assert sheet.most_felt == ("Kindness", 3)
    assert sheet.least_felt == ("Clarity", 0)
    assert sheet.answers == 7  # a held comment is still an answer: only its words wait


# Who sees it ------------------------------------------------------------------------------


def test_the_facilitator_sees_the_pulse_with_held_comments(facilitator, db, english):
    fill(db, english)
    models.add_feedback(db, english, 1, [], "You are all idiots")
    page = facilitator.get(f"/w/{english.public_id}/pulse")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Held for review" in html and "You are all idiots" in html
    assert 'role="img"' in html and "<title" in html
    assert "Kindness" in html and "Clarity" in html


def test_others_may_not_open_the_facilitators_pulse(client, phone, agreed):
    assert client.get(f"/w/{agreed.public_id}/pulse").status_code == 403
    assert phone.get(f"/w/{agreed.public_id}/pulse").status_code == 403
    assert client.get("/w/nope/pulse").status_code == 404
    assert client.get("/t/not-a-token").status_code == 404


def test_the_lead_link_is_read_only_and_shows_no_held_or_hidden_comment(client, db, english):
    fill(db, english)
    models.add_feedback(db, english, 1, [], "You are all idiots")
    models.hide_comment(db, english, models.list_comments(db, english, "shown")[0].id, True)
    page = client.get(f"/t/{english.lead_token}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "nothing here can be changed" in html
    assert "idiots" not in html and "Quick and clear" not in html
    assert "Rude at the desk" in html
    assert 'method="post"' not in html
    assert page.headers["Referrer-Policy"] == "no-referrer"


def test_the_lead_link_cannot_hide_a_comment(client, db, agreed):
    item = models.add_feedback(db, agreed, 2, [], "slow")
    url = f"/w/{agreed.public_id}/pulse/comments/{item.id}/hidden"
    assert client.post(url, data={"hidden": "1"}).status_code in (400, 403)
    assert models.list_comments(db, agreed, "shown") == [item]


def test_a_new_lead_link_replaces_the_old_one(facilitator, client, db, agreed):
    old = agreed.lead_token
    response = facilitator.post(f"/w/{agreed.public_id}/pulse/lead-link")
    assert response.status_code == 303
    new = models.get_workshop_by_id(db, agreed.id).lead_token
    assert new != old
    assert client.get(f"/t/{old}").status_code == 404
    assert client.get(f"/t/{new}").status_code == 200
    control = facilitator.get(f"/w/{agreed.public_id}/control").get_data(as_text=True)
    assert f"/t/{new}" in control
    lead_link = control[control.index('id="lead-link"') :]
    assert "alert-ok" in lead_link[: lead_link.index("</section>")]  # said once, in its place


def test_hide_and_undo_swap_the_comment_with_htmx(facilitator, db, agreed):
    item = models.add_feedback(db, agreed, 2, [], "slow")
    url = f"/w/{agreed.public_id}/pulse/comments/{item.id}/hidden"
    swap = facilitator.post(url, data={"hidden": "1"}, headers={"HX-Request": "true"})
    assert swap.status_code == 200
    assert swap.get_data(as_text=True).lstrip().startswith(f'<li id="comment-{item.id}"')
    assert "is-hidden" in swap.get_data(as_text=True)
    assert models.list_comments(db, agreed, "shown") == []
    undo = facilitator.post(url, data={"hidden": "0"})  # without JavaScript: back to the page
    assert undo.status_code == 303 and undo.headers["Location"].endswith(f"#comment-{item.id}")
    assert [c.id for c in models.list_comments(db, agreed, "shown")] == [item.id]


def test_showing_a_held_comment_can_be_undone(facilitator, db, agreed):
    item = models.add_feedback(db, agreed, 1, [], "shit service")
    url = f"/w/{agreed.public_id}/pulse/comments/{item.id}/held"
    shown = facilitator.post(url, data={"held": "0"}, headers={"HX-Request": "true"})
    assert "Undo" in shown.get_data(as_text=True) or "Cofnij" in shown.get_data(as_text=True)
    assert [c.id for c in models.list_comments(db, agreed, "shown")] == [item.id]
    facilitator.post(url, data={"held": "1"})
    assert models.list_comments(db, agreed, "shown") == []


def test_an_unknown_comment_is_404(facilitator, agreed):
    url = f"/w/{agreed.public_id}/pulse/comments/999/hidden"
    assert facilitator.post(url, data={"hidden": "1"}).status_code == 404


def test_the_range_selector_counts_by_month(facilitator, db, english):
    page = facilitator.get(f"/w/{english.public_id}/pulse?range=12m")
    assert "Answers per month" in page.get_data(as_text=True)


# The monthly sheet -------------------------------------------------------------------------


def pdf_text(tmp_path, pdf: bytes, name="sheet.pdf") -> tuple[str, str]:
    path = tmp_path / name
    path.write_bytes(pdf)
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True).stdout
    text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True).stdout
    return info, " ".join(text.split())


def test_the_monthly_sheet_is_an_a4_page_with_the_months_numbers(
    facilitator, db, english, tmp_path
):
    fill(db, english)
    give(db, english, datetime(2026, 10, 20, 10), 4)
    models.add_feedback(db, english, 1, [], "You are all idiots")  # held: never on the sheet
    response = facilitator.get(f"/w/{english.public_id}/pulse/sheet.pdf?month=2026-11")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    info, text = pdf_text(tmp_path, response.data)
    assert re.search(r"Page size:\s+595\.\d+ x 841\.\d+ pts \(A4\)", info)
    assert re.search(r"Pages:\s+1\n", info)
    assert "November 2026" in text
    assert "We care for every patient" in text
    assert "5 3.0 answers mean rating of 5" in text  # the figures side by side, then labels
    assert "the month before: 1 the month before: 4.0" in text
    assert "Kindness" in text and "Clarity" in text
    assert "Quick and clear" in text and "Rude at the desk" in text
    assert "Waited an hour" in text
    assert "Very kind nurses" not in text  # a fourth comment
    assert "idiots" not in text
    kept = [e for e in models.list_exports(db, english) if e.kind == "pulse"]
    assert len(kept) == 1
    facilitator.get(f"/w/{english.public_id}/pulse/sheet.pdf?month=2026-11")
    assert len([e for e in models.list_exports(db, english) if e.kind == "pulse"]) == 1


def test_the_monthly_sheet_in_polish(facilitator, db, agreed, tmp_path):
    fill(db, agreed)
    response = facilitator.get(
        f"/w/{agreed.public_id}/pulse/sheet.pdf?month=2026-11", headers={"Accept-Language": "pl"}
    )
    _, text = pdf_text(tmp_path, response.data)
    assert "listopad 2026" in text.lower()
    assert "3,0" in text


def test_the_lead_downloads_the_sheet_and_nothing_is_kept(client, db, agreed):
    fill(db, agreed)
    response = client.get(f"/t/{agreed.lead_token}/sheet.pdf?month=2026-11")
    assert response.status_code == 200 and response.data.startswith(b"%PDF")
    assert [e for e in models.list_exports(db, agreed) if e.kind == "pulse"] == []


def test_a_bad_month_is_404(facilitator, agreed):
    assert (
        facilitator.get(f"/w/{agreed.public_id}/pulse/sheet.pdf?month=2026-13").status_code == 404
    )
    assert facilitator.get(f"/w/{agreed.public_id}/pulse/sheet.pdf").status_code == 404


def test_the_hourly_counts_follow_every_insert_change_and_delete(db, agreed):
    """Triggers keep the pulse's counts; they must always equal a count of the rows."""
    fill(db, agreed)
    moved = give(db, agreed, at(MONDAY), 2, ["Clarity"])
    db.execute("update feedback set rating = 4, principles = '[\"Time\"]' where id = ?", [moved.id])
    gone = give(db, agreed, at(MONDAY), 1, ["Kindness"])
    db.execute("delete from feedback where id = ?", [gone.id])
    models.redact_feedback(db, 0)  # retention clears the words and keeps the counts
    rows = list(db.query("select rating, principles from feedback"))
    by_rating = {r: sum(1 for row in rows if row["rating"] == r) for r in range(1, 6)}
    assert models.pulse_ratings(db, agreed, span(agreed)) == by_rating
    felt = {name: sum(name in row["principles"] for row in rows) for name in ("Kindness", "Time")}
    counted = dict(models.pulse_principles(db, agreed, span(agreed)))
    assert counted == {**felt, "Clarity": 0}


def test_retention_drops_the_kept_sheets_with_the_records(facilitator, db, agreed):
    fill(db, agreed)
    facilitator.get(f"/w/{agreed.public_id}/pulse/sheet.pdf?month=2026-11")
    kept = [e.filename for e in models.list_exports(db, agreed) if e.kind == "pulse"]
    assert kept and models.drop_record_exports(db, agreed) == kept  # they quote comments


def test_comments_are_paged_ten_at_a_time_newest_first(facilitator, db, english):
    for n in range(12):
        models.add_feedback(db, english, 4, [], f"comment number {n:02d}")
    first = facilitator.get(f"/w/{english.public_id}/pulse").get_data(as_text=True)
    assert "comment number 11" in first and "comment number 02" in first
    assert "comment number 01" not in first and "page=2" in first
    second = facilitator.get(f"/w/{english.public_id}/pulse?page=2").get_data(as_text=True)
    assert "comment number 01" in second and "comment number 00" in second
    assert "comment number 02" not in second


def test_the_pulse_shows_open_cases_their_age_and_who_came_back(facilitator, client, db, english):
    models.add_feedback(db, english, 4, [], "Fine")  # opens no case
    first = models.add_feedback(db, english, 2, [], "Nobody explained the bill")
    models.add_feedback(db, english, 5, [], "", contact="+48 600 100 200")
    case = models.get_case_for_feedback(db, first.id)
    db.execute(
        "update cases set opened_at = ? where id = ?",
        [(datetime.now() - timedelta(days=9)).isoformat(timespec="seconds") + "+00:00", case.id],
    )
    html = facilitator.get(f"/w/{english.public_id}/pulse").get_data(as_text=True)
    assert "<strong>2</strong> open cases" in html
    assert "The oldest has been open 9 days." in html
    assert f"/w/{english.public_id}/cases" in html

    case = models.get_case_for_feedback(db, first.id)
    for position in range(1, 6):
        models.do_step(db, english, case, position, "", "Anna", "yes" if position == 5 else None)
    models.close_case(db, english, models.get_case_for_feedback(db, first.id))
    lead = client.get(f"/t/{english.lead_token}").get_data(as_text=True)
    assert "<strong>1</strong> open case" in lead
    assert "Closed: 1 came back, 0 did not, 0 not known yet." in lead
    assert "/cases" not in lead  # the cases are the team's: the lead's link only counts them
