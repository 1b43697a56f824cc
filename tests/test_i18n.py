"""Translations: complete, up to date with the source, and rendered in the workshop's language."""

import ast
import re
import subprocess
import sys
from pathlib import Path

import polib
import pytest
from flask_babel import force_locale, ngettext
from wtforms import IntegerField

from workshop import create_app, messages, models
from workshop.forms import Form
from workshop.i18n import _wtforms_catalog
from workshop.method import default_stages

ROOT = Path(__file__).resolve().parent.parent
TRANSLATIONS = ROOT / "workshop" / "translations"
NPLURALS = {"pl": 3, "en": 2}
PL_PLURAL_FORMS = (
    "nplurals=3; plural=(n==1 ? 0 : n%10>=2 && n%10<=4 && (n%100<10 || n%100>=20) ? 1 : 2);"
)
PLACEHOLDER = re.compile(r"%\(\w+\)[sdif]")
PYBABEL = [sys.executable, "-m", "babel.messages.frontend"]


def catalogue(language: str) -> polib.POFile:
    return polib.pofile(str(TRANSLATIONS / language / "LC_MESSAGES" / "messages.po"))


def live_entries(po: polib.POFile) -> list[polib.POEntry]:
    return [entry for entry in po if not entry.obsolete]


@pytest.mark.parametrize("language", sorted(NPLURALS))
def test_every_entry_is_translated_and_not_fuzzy(language):
    po = catalogue(language)
    entries = live_entries(po)
    assert len(entries) > 50
    untranslated = [entry.msgid for entry in entries if not entry.translated()]
    fuzzy = [entry.msgid for entry in entries if "fuzzy" in entry.flags]
    assert untranslated == []
    assert fuzzy == []
    assert "fuzzy" not in po.metadata_as_entry().flags


@pytest.mark.parametrize("language", sorted(NPLURALS))
def test_plural_entries_have_every_form(language):
    po = catalogue(language)
    nplurals = NPLURALS[language]
    assert f"nplurals={nplurals};" in po.metadata["Plural-Forms"]
    plurals = [entry for entry in live_entries(po) if entry.msgid_plural]
    assert plurals, "the source uses ngettext, so the catalogue must have plural entries"
    for entry in plurals:
        assert sorted(entry.msgstr_plural) == list(range(nplurals)), entry.msgid
        assert all(entry.msgstr_plural.values()), entry.msgid


def test_polish_plural_rule():
    assert catalogue("pl").metadata["Plural-Forms"] == PL_PLURAL_FORMS


@pytest.mark.parametrize("language", sorted(NPLURALS))
def test_placeholders_are_kept(language):
    for entry in live_entries(catalogue(language)):
        expected = set(PLACEHOLDER.findall(entry.msgid))
        if entry.msgid_plural:
            expected |= set(PLACEHOLDER.findall(entry.msgid_plural))
            translations = list(entry.msgstr_plural.values())
        else:
            translations = [entry.msgstr]
        for text in translations:
            assert set(PLACEHOLDER.findall(text)) == expected, (entry.msgid, text)


def test_catalogues_are_up_to_date_with_the_source(tmp_path):
    """Same extraction as scripts/update_translations.sh: a new string fails until translated."""
    pot = tmp_path / "messages.pot"
    subprocess.run(
        [*PYBABEL, "-q", "extract", "-F", "babel.cfg", "-k", "_l", "-o", str(pot), "."],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    source = {(entry.msgid, entry.msgid_plural) for entry in polib.pofile(str(pot))}
    assert len(source) > 50, "extraction found almost nothing: check babel.cfg"
    assert ("Why do we exist?", "") in source
    assert ("Your answer", "") in source  # lazy_gettext as _l in forms.py
    for language in NPLURALS:
        present = {(entry.msgid, entry.msgid_plural) for entry in live_entries(catalogue(language))}
        missing = sorted(source - present)
        assert missing == [], (
            f"{language}: run scripts/update_translations.sh and translate: {missing}"
        )


@pytest.fixture
def plain_app(tmp_path):
    return create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "x",
            "DATABASE": str(tmp_path / "t.db"),
            "WTF_CSRF_ENABLED": False,
        }
    )


@pytest.mark.parametrize(
    ("n", "expected"),
    [
        (0, "Dołączyło 0 osób"),
        (1, "Dołączyła 1 osoba"),
        (2, "Dołączyły 2 osoby"),
        (4, "Dołączyły 4 osoby"),
        (5, "Dołączyło 5 osób"),
        (12, "Dołączyło 12 osób"),
        (22, "Dołączyły 22 osoby"),
        (112, "Dołączyło 112 osób"),
    ],
)
def test_polish_plurals_render(plain_app, n, expected):
    with plain_app.test_request_context(), force_locale("pl"):
        text = ngettext("%(num)d person has joined", "%(num)d people have joined", n)
    assert text == expected


def test_english_plurals_render(plain_app):
    with plain_app.test_request_context(), force_locale("en"):
        one = ngettext("%(num)d person has joined", "%(num)d people have joined", 1)
        many = ngettext("%(num)d person has joined", "%(num)d people have joined", 22)
    assert (one, many) == ("1 person has joined", "22 people have joined")


def test_polish_workshop_screen_is_polish(client, workshop):
    response = client.get(f"/s/{workshop.screen_token}")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert '<html lang="pl"' in page
    assert "Po co jesteśmy?" in page
    assert "Kod dołączenia" in page
    assert "Why do we exist?" not in page


def test_english_workshop_screen_is_english(app, client, db):
    with app.app_context():
        made, _token = models.create_workshop(db, "Clinic", "en", default_stages("en"))
    response = client.get(f"/s/{made.screen_token}")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert '<html lang="en"' in page
    assert "Why do we exist?" in page
    assert "Join code" in page
    assert "Po co jesteśmy?" not in page


# ── Refusals: every reason the code gives has words, for every audience ─────────────────

SAYERS = {"Refused", "for_phone", "for_facilitator", "refusal"}  # calls naming a reason


def reasons_in_the_source() -> set[str]:
    """Every reason literal in workshop/: ``Refused("…")`` and the words asked for by name."""
    reasons = set()
    for path in (ROOT / "workshop").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if not isinstance(node, ast.Call) or not node.args:
                continue
            name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
            first = node.args[0]
            if name in SAYERS and isinstance(first, ast.Constant):
                reasons.add(first.value)
    return reasons


def test_the_source_is_read_for_every_reason():
    reasons = reasons_in_the_source()
    assert {"joining-locked", "mission-length", "stage-moved", "no-dot-here"} <= reasons
    assert len(reasons) >= 35


def test_every_reason_has_words_and_every_word_has_a_reason():
    assert sorted(reasons_in_the_source()) == sorted(messages.REFUSALS)


@pytest.mark.parametrize("audience", messages.AUDIENCES)
def test_every_refusal_reason_has_words_in_polish_and_english(plain_app, audience):
    said = {}
    for language in ("pl", "en"):
        with plain_app.test_request_context(), force_locale(language):
            generic = messages.refusal("no-such-reason", audience)
            said[language] = {r: messages.refusal(r, audience) for r in reasons_in_the_source()}
        for reason, words in said[language].items():
            assert words and words != generic, (language, reason)
            assert "%(" not in words and "%%" not in words, (language, reason, words)
    untranslated = [r for r in said["pl"] if said["pl"][r] == said["en"][r]]
    assert untranslated == []


def test_a_reason_without_words_gets_a_generic_sentence_not_an_error(
    client, workshop, monkeypatch
):
    def refuse(*args, **kwargs):
        raise models.Refused("a-rule-added-tomorrow")

    monkeypatch.setattr(models, "add_answer", refuse)
    client.get(f"/j/{workshop.join_token}")
    response = client.post(
        f"/w/{workshop.public_id}/answers", data={"body": "Dla pacjentów", "nonce": "n1"}
    )
    assert response.status_code == 409
    page = response.get_data(as_text=True)
    assert "Dla pacjentów" in page  # the text is kept
    assert "Teraz nie jest to możliwe." in page


def test_wtforms_own_messages_follow_the_page_and_their_catalog_is_read_once(app):
    class Count(Form):
        number = IntegerField()

    _wtforms_catalog.cache_clear()
    seen = []
    for language in ("pl", "en", "pl", "en"):
        with app.test_request_context("/", method="POST", data={"number": "dużo"}):
            with force_locale(language):
                form = Count(meta={"csrf": False})
                form.validate()
                seen.append(form.errors["number"][0])
    assert seen == ["Nieprawidłowa liczba całkowita", "Not a valid integer value."] * 2
    assert _wtforms_catalog.cache_info().misses == 2
