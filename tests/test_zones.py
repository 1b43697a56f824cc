"""One time zone: every date a person reads, on screen, on paper and in the terminal, is in
the workshop's zone (Europe/Warsaw for a Polish workshop unless chosen otherwise)."""

import json
import re

import pytest
from bs4 import BeautifulSoup
from click.testing import CliRunner

from workshop import create_app, models, zones
from workshop.cli import main
from workshop.db import connect

from .conftest import HX, make_workshop
from .test_exports import agree, agree_routine, pdf_text
from .test_retention import travel_to

# 23:42 in London and UTC on 5 December is 00:42 on 6 December in Warsaw (CET, UTC+1).
LATE = "2026-12-05T23:42:00+00:00"


def agree_late(db, workshop, monkeypatch):
    """Agree the mission, principles and routine at LATE."""
    with monkeypatch.context() as patch:
        travel_to(patch, LATE)
        agree(db, workshop)
        agree_routine(db, workshop)
    return models.get_workshop_by_id(db, workshop.id)


def facilitator_of(app, db, workshop):
    client = app.test_client()
    with client.session_transaction() as session:
        session["facilitator"] = {
            workshop.public_id: models.start_facilitator_session(db, workshop)
        }
    return client


def printed(client, workshop, tmp_path, name: str) -> str:
    response = client.get(f"/w/{workshop.public_id}/{name}")
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    path = tmp_path / name
    path.write_bytes(response.data)
    return " ".join(pdf_text(path).replace("\u00a0", " ").split())


def page_text(response) -> str:
    text = BeautifulSoup(response.get_data(as_text=True), "html.parser").get_text(" ")
    return " ".join(text.replace("\u00a0", " ").split())


# The default zone ---------------------------------------------------------------------------


def test_a_polish_workshop_is_in_warsaw_and_an_english_one_in_the_servers_zone(
    app, db, monkeypatch
):
    monkeypatch.setenv("TZ", "America/Chicago")
    with app.app_context():
        polish, _ = make_workshop(db)
        english, _ = make_workshop(db, language="en")
        assert zones.zone_name(polish) == "Europe/Warsaw"
        assert zones.zone_name(english) == "America/Chicago"
        app.config["TIMEZONE"] = "Asia/Tokyo"  # WORKSHOP_TIMEZONE: the default for both
        assert zones.zone_name(polish) == zones.zone_name(english) == "Asia/Tokyo"
        chosen, _ = models.create_workshop(db, "X", "pl", [], time_zone="Europe/Lisbon")
        assert zones.zone_name(chosen) == "Europe/Lisbon"  # a workshop's own choice wins


def test_an_unknown_zone_is_refused_everywhere(app, db, workshop, monkeypatch):
    for name in ("Mars/Olympus", "../etc/passwd", "europe/warsaw ", " UTC"):
        assert not zones.is_zone(name)
        with pytest.raises(models.Refused, match="bad-time-zone"):
            models.set_time_zone(db, workshop, name)
    with pytest.raises(models.Refused, match="bad-time-zone"):
        models.create_workshop(db, "X", "pl", [], time_zone="Mars/Olympus")
    with pytest.raises(ValueError, match="WORKSHOP_TIMEZONE"):
        create_app({"TESTING": True, "SECRET_KEY": "x", "TIMEZONE": "Warsaw"})
    monkeypatch.setenv("WORKSHOP_TIMEZONE", "Mars/Olympus")
    with pytest.raises(ValueError, match="Mars/Olympus"):
        create_app()


def test_the_servers_zone_comes_from_tz_or_etc_localtime(monkeypatch, tmp_path):
    monkeypatch.setenv("TZ", ":Europe/Berlin")
    assert zones.server_zone() == "Europe/Berlin"
    monkeypatch.delenv("TZ")
    link = tmp_path / "localtime"
    link.symlink_to("/usr/share/zoneinfo/America/New_York")
    monkeypatch.setattr(zones, "LOCALTIME", link)
    assert zones.server_zone() == "America/New_York"
    utc = tmp_path / "utc"
    utc.symlink_to("/usr/share/zoneinfo/Etc/UTC")
    monkeypatch.setattr(zones, "LOCALTIME", utc)
    assert zones.server_zone() == "UTC"  # said the short way
    monkeypatch.setattr(zones, "LOCALTIME", tmp_path / "missing")
    assert zones.server_zone() == "UTC"


# Paper: the poster, the staff card, the report -----------------------------------------------


def test_a_late_agreement_prints_the_warsaw_date_on_poster_and_card(
    app, db, workshop, monkeypatch, tmp_path
):
    workshop = agree_late(db, workshop, monkeypatch)
    assert workshop.mission_agreed_at == LATE  # stored in UTC
    client = facilitator_of(app, db, workshop)
    poster = printed(client, workshop, tmp_path, "poster.pdf")
    assert "Zespół · 2026" in poster  # the poster is signed with the year alone
    card = printed(client, workshop, tmp_path, "card.pdf")
    assert "6 grudnia 2026" in card and "5 grudnia" not in card


def test_an_agreement_on_new_years_eve_night_signs_the_poster_with_warsaws_new_year(
    app, db, workshop, monkeypatch, tmp_path
):
    with monkeypatch.context() as patch:
        travel_to(patch, "2026-12-31T23:30:00+00:00")  # 00:30 on 1 January in Warsaw
        agree(db, workshop)
        agree_routine(db, workshop)
    workshop = models.get_workshop_by_id(db, workshop.id)
    poster = printed(facilitator_of(app, db, workshop), workshop, tmp_path, "poster.pdf")
    assert "Zespół · 2027" in poster and "2026" not in poster


def test_with_workshop_timezone_utc_an_english_workshop_prints_5_december(
    app, db, monkeypatch, tmp_path
):
    app.config["TIMEZONE"] = "UTC"
    with app.app_context():
        english, _ = make_workshop(db, "Riverside Clinic", language="en")
    english = agree_late(db, english, monkeypatch)
    client = facilitator_of(app, db, english)
    poster = printed(client, english, tmp_path, "poster.pdf")
    assert "The team · 2026" in poster
    card = printed(client, english, tmp_path, "card.pdf")
    assert "December 5, 2026" in card and "December 6" not in card
    markdown = client.get(f"/w/{english.public_id}/record.md").get_data(as_text=True)
    assert "(agreed 12/5/26, 11:42\u202fPM)" in markdown
    assert "Times are in the UTC time zone." in markdown


def test_the_record_shows_the_same_local_date_and_time(app, db, workshop, monkeypatch, tmp_path):
    workshop = agree_late(db, workshop, monkeypatch)
    stage = models.current_stage(db, workshop)
    person, _key = models.add_participant(db, workshop)
    with monkeypatch.context() as patch:
        travel_to(patch, LATE)
        models.add_answer(db, workshop, stage, person, "Życzliwość na co dzień")
    client = facilitator_of(app, db, workshop)
    markdown = client.get(f"/w/{workshop.public_id}/record.md").get_data(as_text=True)
    assert "Misja (uzgodniona 6.12.2026, 00:42)" in markdown
    assert "Europe/Warsaw" in markdown and "23:42" not in markdown
    report = printed(client, workshop, tmp_path, "record.pdf")
    assert "Misja, uzgodniona 6.12.2026, 00:42" in report and "23:42" not in report
    rows = client.get(f"/w/{workshop.public_id}/record.csv").get_data(as_text=True)
    assert rows.splitlines()[1].endswith(",2026-12-06 00:42")
    data = json.loads(client.get(f"/w/{workshop.public_id}/record.json").get_data(as_text=True))
    assert data["time_zone"] == "Europe/Warsaw"  # timestamps stay UTC, with their offset
    assert data["mission"]["agreed_at"] == LATE and data["routine"]["agreed_at"] == LATE


# Screens: the control page and the settings page ---------------------------------------------


def mission_stage(db, workshop):
    stage = next(s for s in models.list_stages(db, workshop) if s.kind == "mission")
    models.move_to_stage(db, workshop, stage)


def test_the_control_page_shows_when_it_was_agreed_in_the_workshops_zone(
    app, db, workshop, monkeypatch
):
    workshop = agree_late(db, workshop, monkeypatch)
    mission_stage(db, workshop)
    client = facilitator_of(app, db, workshop)
    text = page_text(client.get(f"/w/{workshop.public_id}/control"))
    assert "Uzgodniono 6.12.2026, 00:42" in text and "23:42" not in text
    models.set_time_zone(db, workshop, "America/New_York")
    text = page_text(client.get(f"/w/{workshop.public_id}/control"))
    assert "Uzgodniono 5.12.2026, 18:42" in text


def test_a_new_workshop_takes_a_chosen_zone_or_its_languages_default(client, db, monkeypatch):
    monkeypatch.setenv("TZ", "Europe/Dublin")
    page = BeautifulSoup(client.get("/").get_data(as_text=True), "html.parser")
    select = page.find("select", attrs={"name": "time_zone"})
    options = [option["value"] for option in select.find_all("option")]
    assert options[0] == "" and "Europe/Warsaw" in options and "Europe/Dublin" in options
    assert "Europe/Warsaw" in select.find("option").get_text()  # the empty choice says it

    made = {}
    for language, chosen in (("pl", ""), ("en", ""), ("pl", "Asia/Tokyo")):
        form = {"title": "Klinika", "language": language, "template": "mission"}
        response = client.post("/", data={**form, "time_zone": chosen})
        assert response.status_code == 303
        public_id = response.headers["Location"].split("/")[2]
        made[language, chosen] = models.get_workshop(db, public_id).time_zone
    assert made == {
        ("pl", ""): "Europe/Warsaw",
        ("en", ""): "Europe/Dublin",
        ("pl", "Asia/Tokyo"): "Asia/Tokyo",
    }
    refused = client.post(
        "/", data={"title": "K", "language": "pl", "template": "mission", "time_zone": "Mars/X"}
    )
    assert refused.status_code == 422
    errors = BeautifulSoup(refused.get_data(as_text=True), "html.parser")
    assert "Europe/Warsaw" in errors.find(id="time_zone-errors").get_text()


@pytest.mark.parametrize("headers", [{}, HX], ids=["form", "htmx"])
def test_the_settings_page_changes_the_zone(app, db, workshop, headers):
    client = facilitator_of(app, db, workshop)
    page = BeautifulSoup(client.get(f"/w/{workshop.public_id}/stages").text, "html.parser")
    assert page.find("option", selected=True, value="Europe/Warsaw") is not None
    url = f"/w/{workshop.public_id}/time-zone"
    response = client.post(url, data={"zone-time_zone": "America/Los_Angeles"}, headers=headers)
    assert response.status_code in (200, 303)
    assert models.get_workshop_by_id(db, workshop.id).time_zone == "America/Los_Angeles"
    if response.status_code == 303:
        response = client.get(response.headers["Location"])
    page = BeautifulSoup(response.get_data(as_text=True), "html.parser")
    assert "America/Los_Angeles" in page.find(id="time-zone").find(role="status").get_text()
    assert page.find("option", selected=True, value="America/Los_Angeles") is not None

    wrong = client.post(url, data={"zone-time_zone": "Atlantis"}, headers=headers)
    assert wrong.status_code == 422
    section = BeautifulSoup(wrong.get_data(as_text=True), "html.parser").find(id="time-zone")
    assert "Europe/Warsaw" in section.find(class_="errors").get_text()
    assert models.get_workshop_by_id(db, workshop.id).time_zone == "America/Los_Angeles"


def test_a_clone_keeps_the_zone(app, db, workshop):
    workshop = models.set_time_zone(db, workshop, "Europe/Vilnius")
    with app.app_context():
        copy, _ = models.clone_workshop(db, workshop, "Next year")
    assert copy.time_zone == "Europe/Vilnius"


# The command line ---------------------------------------------------------------------------


@pytest.fixture
def env(tmp_path, monkeypatch):
    monkeypatch.setenv("WORKSHOP_DATABASE", str(tmp_path / "cli.db"))
    monkeypatch.setenv("WORKSHOP_EXPORTS_DIR", str(tmp_path / "exports"))
    return tmp_path


def test_the_command_line_prints_the_same_local_times(env, monkeypatch):
    runner = CliRunner()
    made = runner.invoke(main, ["create", "--title", "Klinika", "--lang", "pl"])
    assert made.exit_code == 0, made.output
    assert "time zone: Europe/Warsaw" in made.output
    public_id = re.search(r"^id: (\S+)$", made.output, re.MULTILINE)[1]
    db = connect(str(env / "cli.db"))
    workshop = agree_late(db, models.get_workshop(db, public_id), monkeypatch)
    markdown = runner.invoke(main, ["export", public_id, "--format", "md", "-o", "-"])
    assert "Misja (uzgodniona 6.12.2026, 00:42)" in markdown.stdout
    with monkeypatch.context() as patch:
        travel_to(patch, "2025-12-05T23:42:00+00:00")
        models.close_workshop(db, workshop)
    db.close()
    listed = runner.invoke(main, ["purge", "--dry-run"])
    assert f"Would purge {public_id}  'Klinika', closed 2025-12-06:" in listed.output


def test_create_takes_a_zone_and_refuses_an_unknown_one(env):
    runner = CliRunner()
    made = runner.invoke(
        main, ["create", "--title", "Clinic", "--lang", "en", "--timezone", "Europe/London"]
    )
    assert made.exit_code == 0 and "time zone: Europe/London" in made.output
    refused = runner.invoke(
        main, ["create", "--title", "Clinic", "--lang", "en", "--timezone", "London"]
    )
    assert refused.exit_code != 0 and "not a time zone name" in refused.output
