"""Translations of the web pages (Babel / GNU gettext).

Layout
------
``messages.pot``
    The template catalogue: every user-interface string of the templates
    (``smartspec/web/templates``) and of the page modules (``smartspec/web/pages``), extracted
    with Babel from calls to ``_()``, ``gettext()``, ``ngettext()`` and ``N_()``.
``<lang>/LC_MESSAGES/messages.po``
    One catalogue per language of :data:`LANGUAGES`. English is complete (every message has
    its English text); German, French, Italian and Slovenian translate the navigation and the
    most visible strings, and any message they lack falls back to English.

Loading
-------
The ``.po`` files are read with Babel **at run time** and compiled in memory (no ``.mo`` build
step, nothing to forget when editing a catalogue); each language is parsed once per process.
Untranslated or fuzzy entries fall back to the English message.

Maintenance
-----------
``python -m smartspec.web.i18n extract`` rewrites ``messages.pot`` from the sources and
``python -m smartspec.web.i18n update`` merges it into every ``.po`` (new messages appear
untranslated, obsolete ones are dropped; the English catalogue is filled with the message
itself). ``python -m smartspec.web.i18n check`` fails when the template catalogue is stale.
"""

from __future__ import annotations

import gettext as _gettext
import io
import threading
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path

__all__ = [
    "DEFAULT_LANGUAGE",
    "LANGUAGES",
    "LANGUAGE_NAMES",
    "N_",
    "catalogue_path",
    "extract_catalogue",
    "negotiate",
    "normalise_language",
    "translations",
    "update_catalogues",
]

#: Languages of the user interface and of the activity labels (NACE is published in all five).
LANGUAGES: tuple[str, ...] = ("en", "de", "fr", "it", "sl")
#: Each language named in itself (for the language switch).
LANGUAGE_NAMES: dict[str, str] = {"en": "English", "de": "Deutsch", "fr": "Français",
                                  "it": "Italiano", "sl": "Slovenščina"}
DEFAULT_LANGUAGE = "en"
DOMAIN = "messages"
HERE = Path(__file__).resolve().parent
#: Where the sources whose strings are extracted live.
_WEB = HERE.parent
_KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "N_": None}
#: Python sources also call the request's translator ``t`` (``t = ctx.t``; ``ctx.t(...)``).
_PY_KEYWORDS = {**_KEYWORDS, "t": None}
_LOCK = threading.Lock()


def N_(message: str) -> str:
    """Mark ``message`` for extraction without translating it (translated where shown)."""
    return message


def normalise_language(value: object) -> str | None:
    """The supported language code for ``value`` (``"de-AT"`` → ``"de"``), or None."""
    if not isinstance(value, str):
        return None
    code = value.strip().replace("_", "-").split("-")[0].lower()
    return code if code in LANGUAGES else None


def negotiate(accept_language: str | None) -> str:
    """The best supported language for an HTTP ``Accept-Language`` header (default English).

    Quality values are honoured (``"fr;q=0.4, de;q=0.9"`` → ``"de"``); malformed entries are
    ignored.
    """
    if not accept_language:
        return DEFAULT_LANGUAGE
    ranked: list[tuple[float, int, str]] = []
    for position, part in enumerate(accept_language.split(",")[:20]):
        bits = part.strip().split(";")
        code = normalise_language(bits[0])
        if code is None:
            continue
        quality = 1.0
        for bit in bits[1:]:
            name, _, raw = bit.strip().partition("=")
            if name.strip() == "q":
                try:
                    quality = float(raw)
                except ValueError:
                    quality = 0.0
        if quality > 0:
            ranked.append((-quality, position, code))
    return min(ranked)[2] if ranked else DEFAULT_LANGUAGE


def catalogue_path(language: str) -> Path:
    """The ``.po`` file of ``language``."""
    if language not in LANGUAGES:
        raise ValueError(f"unknown language {language!r}; languages are {', '.join(LANGUAGES)}")
    return HERE / language / "LC_MESSAGES" / f"{DOMAIN}.po"


@lru_cache(maxsize=len(LANGUAGES))
def _load(language: str) -> _gettext.NullTranslations:
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    path = catalogue_path(language)
    if not path.exists():
        return _gettext.NullTranslations()
    with path.open("rb") as fh:
        catalog = read_po(fh, locale=language, domain=DOMAIN)
    buffer = io.BytesIO()
    write_mo(buffer, catalog, use_fuzzy=False)
    buffer.seek(0)
    return _gettext.GNUTranslations(buffer)


def translations(language: str | None) -> _gettext.NullTranslations:
    """The translations of ``language`` (English for an unknown or missing code).

    A message missing from the language's catalogue, or left untranslated there, comes back
    as the English message.
    """
    code = normalise_language(language) or DEFAULT_LANGUAGE
    with _LOCK:
        return _load(code)


# --------------------------------------------------------------------------- maintenance


def _sources() -> Iterable[tuple[Path, str]]:
    for path in sorted((_WEB / "templates").rglob("*.html")):
        yield path, "jinja2"
    for folder in ("pages",):
        for path in sorted((_WEB / folder).rglob("*.py")):
            yield path, "python"
    for name in ("templating.py", "charts.py"):
        path = _WEB / name
        if path.exists():
            yield path, "python"


def extract_catalogue() -> object:
    """A Babel :class:`~babel.messages.catalog.Catalog` of every message in the sources."""
    from babel.messages.catalog import Catalog
    from babel.messages.extract import extract

    catalog = Catalog(project="smartspec", domain=DOMAIN, charset="utf-8",
                      msgid_bugs_address="", copyright_holder="smartspec contributors")
    for path, method in _sources():
        options = {"extensions": "jinja2.ext.i18n"} if method == "jinja2" else {}
        func = "jinja2.ext:babel_extract" if method == "jinja2" else "python"
        with path.open("rb") as fh:
            keywords = _KEYWORDS if method == "jinja2" else _PY_KEYWORDS
            for lineno, message, comments, context in extract(
                    func, fh, keywords=keywords, options=options):
                catalog.add(message, None, [(str(path.relative_to(_WEB)), lineno)],
                            auto_comments=comments, context=context)
    return catalog


def _write(catalog: object, path: Path, *, template: bool) -> None:
    from babel.messages.pofile import write_po

    path.parent.mkdir(parents=True, exist_ok=True)
    buffer = io.BytesIO()
    write_po(buffer, catalog, width=100, sort_output=True, omit_header=False,
             ignore_obsolete=True, include_previous=False, no_location=False)
    text = buffer.getvalue().decode("utf-8")
    # keep the files stable between runs: drop the volatile creation/revision dates
    lines = [ln for ln in text.splitlines(keepends=True)
             if not ln.startswith(('"POT-Creation-Date:', '"PO-Revision-Date:'))]
    path.write_text("".join(lines), encoding="utf-8")


def update_catalogues() -> dict[str, int]:
    """Rewrite ``messages.pot`` and merge it into every language; returns untranslated counts.

    The English catalogue gets every message as its own translation (complete by
    construction); the other catalogues keep their translations and list new messages empty.
    """
    import copy

    from babel.messages.pofile import read_po

    template = extract_catalogue()
    _write(template, HERE / f"{DOMAIN}.pot", template=True)
    missing: dict[str, int] = {}
    for language in LANGUAGES:
        fresh = copy.deepcopy(template)  # update() may adopt the template's message objects
        path = catalogue_path(language)
        if path.exists():
            with path.open("rb") as fh:
                catalog = read_po(fh, locale=language, domain=DOMAIN)
        else:
            from babel.messages.catalog import Catalog

            catalog = Catalog(locale=language, domain=DOMAIN, project="smartspec")
        catalog.update(fresh, no_fuzzy_matching=True)
        if language == DEFAULT_LANGUAGE:
            for message in catalog:
                if not message.id:
                    continue
                message.string = message.id
                message.flags.discard("fuzzy")
        missing[language] = sum(1 for m in catalog if m.id and not m.string)
        _write(catalog, path, template=False)
    _load.cache_clear()
    return missing


def stale_messages() -> list[str]:
    """Messages of the sources missing from ``messages.pot`` (empty when it is up to date)."""
    from babel.messages.pofile import read_po

    current = extract_catalogue()
    path = HERE / f"{DOMAIN}.pot"
    if not path.exists():
        return [str(m.id) for m in current if m.id]
    with path.open("rb") as fh:
        stored = read_po(fh, domain=DOMAIN)
    return sorted(str(m.id) for m in current if m.id and m.id not in stored)
