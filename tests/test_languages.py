"""Each phone may read Credo in its own language; the screen keeps the workshop's."""

from bs4 import BeautifulSoup

from .conftest import HX


def page_language(response) -> str:
    return BeautifulSoup(response.get_data(as_text=True), "html.parser").html["lang"]


def test_a_phone_switches_its_own_language_and_no_one_elses(app, phone, client, workshop):
    other = app.test_client()
    other.get(f"/j/{workshop.join_token}")
    phone_url = f"/w/{workshop.public_id}/p"
    assert page_language(phone.get(phone_url)) == "pl"
    switched = phone.post("/language", data={"language": "en", "next": phone_url})
    assert switched.status_code == 303 and switched.headers["Location"] == phone_url
    page = phone.get(phone_url)
    assert page_language(page) == "en"
    assert "Send" in page.get_data(as_text=True)
    fragment = phone.get(phone_url, headers=HX).get_data(as_text=True)
    assert "Send" in fragment and "Wyślij" not in fragment
    assert page_language(other.get(phone_url)) == "pl"
    assert page_language(phone.get(f"/s/{workshop.screen_token}")) == "pl"


def test_switching_back_and_unknown_languages(phone, workshop):
    phone_url = f"/w/{workshop.public_id}/p"
    phone.post("/language", data={"language": "en", "next": phone_url})
    phone.post("/language", data={"language": "xx", "next": phone_url})
    assert page_language(phone.get(phone_url)) == "en"
    phone.post("/language", data={"language": "pl", "next": phone_url})
    assert page_language(phone.get(phone_url)) == "pl"


def test_the_switch_never_redirects_off_site(phone):
    for target in ("https://evil.example/", "//evil.example/x", "javascript:alert(1)"):
        response = phone.post("/language", data={"language": "en", "next": target})
        assert response.headers["Location"] == "/join"


def test_the_join_page_offers_the_other_language(client):
    page = BeautifulSoup(client.get("/join").get_data(as_text=True), "html.parser")
    buttons = page.select("form.language-switch button[name=language]")
    assert len(buttons) == 1
    assert buttons[0]["value"] != page.html["lang"]


def test_times_are_shown_in_local_time_the_locales_way(app, monkeypatch):
    from flask_babel import force_locale

    from workshop.web import format_moment

    with app.test_request_context(), force_locale("pl"):
        assert format_moment("2026-01-05T10:00:00+00:00") == "5.01.2026, 11:00"  # Warsaw, CET
    monkeypatch.setenv("TZ", "Europe/Warsaw")  # English, no workshop: the server's zone
    with app.test_request_context(), force_locale("en"):
        assert format_moment("2026-07-05T10:00:00+00:00") == "7/5/26, 12:00\u202fPM"
    assert format_moment(None) == ""


def test_polish_plurals_on_the_screen(app):
    from flask_babel import force_locale, ngettext

    with app.test_request_context(), force_locale("pl"):
        counts = {
            n: ngettext("%(num)d person has joined", "%(num)d people have joined", n)
            for n in (1, 2, 5, 22, 112)
        }
    assert "1 osoba" in counts[1]
    assert "2 osoby" in counts[2]
    assert "5 osób" in counts[5]
    assert "22 osoby" in counts[22]
    assert "112 osób" in counts[112]
