"""Languages of the pages: Babel catalogues (English complete, the others falling back),
the language switch, and activity / region labels in the user's language."""

from __future__ import annotations

import re

import pytest
from babel.messages.pofile import read_po
from pages_support import PageClient
from web_support import DEMO

from smartspec.store import db
from smartspec.store import web_services as wsvc
from smartspec.web import i18n
from smartspec.web.templating import Labels, Translator

_PLACEHOLDER = re.compile(r"%\((\w+)\)s")


def _catalogue(language: str):
    with i18n.catalogue_path(language).open("rb") as fh:
        return read_po(fh, locale=language)


def test_the_template_catalogue_is_up_to_date():
    assert i18n.stale_messages() == []


def test_english_is_complete_and_others_keep_the_placeholders():
    with (i18n.HERE / "messages.pot").open("rb") as fh:
        template = {m.id for m in read_po(fh) if m.id}
    assert len(template) > 300
    english = _catalogue("en")
    assert {m.id for m in english if m.id} == template
    assert all(m.string == m.id for m in english if m.id)
    for language in ("de", "fr", "it", "sl"):
        catalogue = _catalogue(language)
        assert {m.id for m in catalogue if m.id} == template, language
        translated = [m for m in catalogue if m.id and m.string]
        assert len(translated) >= 100, language  # navigation, headings, buttons, vocabulary
        for m in translated:
            assert set(_PLACEHOLDER.findall(m.id)) == set(_PLACEHOLDER.findall(m.string)), \
                (language, m.id)


def test_translations_fall_back_to_english():
    de = Translator("de")
    assert de("Dashboard") == "Übersicht"
    untranslated = next(m.id for m in _catalogue("de") if m.id and not m.string)
    assert de(untranslated) == untranslated
    assert de("Evidence: %(region)s", region="X") == "Evidenz: X"
    assert Translator("xx")("Dashboard") == "Dashboard"


@pytest.mark.parametrize(("header", "expected"), [
    (None, "en"), ("de-AT,de;q=0.9,en;q=0.8", "de"), ("fr;q=0.4, it;q=0.9", "it"),
    ("ja, zh;q=0.8", "en"), ("sl", "sl"), ("en;q=0, de;q=0", "en"), ("de;q=abc, fr", "fr"),
])
def test_accept_language_negotiation(header, expected):
    assert i18n.negotiate(header) == expected


def test_labels_in_the_users_language():
    assert Labels("de").activity("C28") == Labels("de").activity("28")
    assert Labels("de").activity("C28") != Labels("en").activity("C28")
    assert "Maschinen" in Labels("de").activity("C28")
    assert Labels("fr").activity("C") == "Industrie manufacturière"
    assert Labels("it").region("AT31") == "Oberösterreich (Austria)"
    assert Labels("sl").region("ITC4") == "Lombardia (Italija)"
    assert Labels("en").country("EL") == "Greece"
    assert Labels("en").activity("ZZ9") == "ZZ9"


def test_switching_the_language_changes_the_pages(web_app, web_url):
    sam = PageClient(web_app, "sam")
    before = sam.get(f"/w/{DEMO}/discovery").text
    assert '<html lang="en"' in before and ">Dashboard<" in before
    r = sam.post("/language", {"language": "de", "next": f"/w/{DEMO}/discovery"})
    assert r.status_code == 303 and r.headers["location"] == f"/w/{DEMO}/discovery"
    page = sam.get(f"/w/{DEMO}/discovery")
    assert page.headers["content-language"] == "de"
    assert '<html lang="de"' in page.text and ">Übersicht<" in page.text
    assert Labels("de").activity("C25") in page.text  # activity labels in German
    assert "Oberösterreich (Österreich)" in page.text
    with db.session_scope(web_url) as s:
        assert wsvc.get_user(s, "sam").language == "de"
    # the stored language follows the user to a new session
    again = PageClient(web_app, "sam")
    assert '<html lang="de"' in again.get(f"/w/{DEMO}").text
    # an unknown language falls back to English; an unsafe "next" goes home
    r = sam.post("/language", {"language": "xx", "next": "https://evil.example/"})
    assert r.headers["location"] == "/"
    assert '<html lang="en"' in sam.get("/").text
    sam.close()
    again.close()


def test_visitors_get_their_browser_language_and_a_cookie(web_app):
    visitor = PageClient(web_app)
    page = visitor.get("/login", headers={"Accept-Language": "fr-CH, fr;q=0.9"})
    assert '<html lang="fr"' in page.text and "Se connecter" in page.text
    from pages_support import csrf_of

    visitor.token = csrf_of(page.text)
    r = visitor.post("/language", {"language": "it", "next": "/login"})
    assert r.status_code == 303 and "smartspec_lang=it" in r.headers["set-cookie"]
    assert "Accedi" in visitor.get("/login").text
    visitor.close()
