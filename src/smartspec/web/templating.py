"""Server-side rendering of the web pages: one Jinja2 environment, autoescaped, translated.

:func:`render` is the only way a page is rendered. It injects into every template:

* ``request``, ``user`` (the signed-in :class:`~smartspec.store.models_web.UserRecord` or None)
  and ``csrf_token`` (for every state-changing form);
* ``lang`` (the user's language, :data:`smartspec.web.i18n.LANGUAGES`), ``languages`` and
  ``_`` / ``gettext`` / ``ngettext`` translating through Babel catalogues
  (:mod:`smartspec.web.i18n`);
* ``labels`` (:class:`Labels`): activity labels from the shipped NACE Rev. 2 tables in the
  user's language (:func:`smartspec.datasets.nace`) and region labels from the GISCO NUTS table
  with the country named in the user's language (Babel's CLDR territory names).

Every variable is HTML-escaped by Jinja2's autoescaping: nothing user-supplied (names,
comments, titles) can reach the page as markup. Only two kinds of value are marked safe:
chart JSON produced by :func:`smartspec.web.charts.figure_json` (with ``<``, ``>`` and ``&``
escaped as JSON unicode escapes, so it cannot close its ``<script type="application/json">``
element) and markup built by the templates' own macros.

The language of a request is, in order: the signed-in user's stored language, the
``smartspec_lang`` cookie, the ``Accept-Language`` header, English.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any

from smartspec.web import i18n

__all__ = [
    "LANG_COOKIE",
    "TEMPLATES_DIR",
    "Labels",
    "environment",
    "labels_for",
    "render",
    "request_language",
    "translator",
]

TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"
STATIC_DIR = Path(__file__).resolve().parent / "static"
#: Cookie remembering the language of a visitor who is not signed in.
LANG_COOKIE = "smartspec_lang"
#: Eurostat country codes that differ from ISO 3166 (used by CLDR).
_ISO = {"EL": "GR", "UK": "GB"}


# ------------------------------------------------------------------------------------ labels


@lru_cache(maxsize=len(i18n.LANGUAGES))
def _activity_labels(language: str) -> dict[str, str]:
    from smartspec import datasets

    table = datasets.nace(language)
    labels: dict[str, str] = {}
    for code, eurostat, label in zip(table["code"].astype(str), table["code_eurostat"].astype(str),
                                     table["label"].astype(str), strict=True):
        text = label.strip()
        if text.isupper():  # sections are published in capitals
            text = text[:1] + text[1:].lower()
        labels.setdefault(eurostat, text)
        labels.setdefault(code, text)
    return labels


@lru_cache(maxsize=1)
def _region_table() -> dict[str, tuple[str, str, str]]:
    from smartspec import datasets

    table = datasets.regions(None)
    return {str(code): (str(name), str(native), str(country))
            for code, name, native, country in zip(
                table.index, table["name"], table["native_name"], table["country"],
                strict=True)}


@lru_cache(maxsize=len(i18n.LANGUAGES))
def _countries(language: str) -> Mapping[str, str]:
    from babel import Locale

    return Locale.parse(language).territories


class Labels:
    """Activity and region labels in one language.

    Parameters
    ----------
    language : one of :data:`smartspec.web.i18n.LANGUAGES`.

    Examples
    --------
    >>> Labels("de").activity("C28")  # doctest: +SKIP
    'Maschinenbau'
    >>> Labels("fr").region("AT31")  # doctest: +SKIP
    'Oberösterreich (Autriche)'
    """

    def __init__(self, language: str) -> None:
        self.language = i18n.normalise_language(language) or i18n.DEFAULT_LANGUAGE

    def activity(self, code: object, default: str | None = None) -> str:
        """The NACE label of ``code`` (Eurostat ``"C28"`` or statistical ``"28"`` form).

        Falls back to the English label, then to ``default`` (or the code itself).
        """
        key = "" if code is None else str(code).strip()
        found = _activity_labels(self.language).get(key)
        if found is None and self.language != i18n.DEFAULT_LANGUAGE:
            found = _activity_labels(i18n.DEFAULT_LANGUAGE).get(key)
        return found if found is not None else (default if default is not None else key)

    def country(self, code: object) -> str:
        """The country's name in the language (``"EL"`` → Greece); the code if unknown."""
        key = "" if code is None else str(code).strip().upper()
        return _countries(self.language).get(_ISO.get(key, key), key)

    def region_name(self, code: object) -> str:
        """The region's own name (Latin script), or the code when it is not a NUTS 2021 code.

        Regions are named as GISCO publishes them (NUTS names are not translated); a country
        (NUTS 0) is named in the language.
        """
        key = "" if code is None else str(code).strip().upper()
        if len(key) == 2:
            return self.country(key)
        found = _region_table().get(key)
        return found[0] if found else key

    def region(self, code: object) -> str:
        """``"<name> (<country in the language>)"`` for a NUTS region, the country for NUTS 0."""
        key = "" if code is None else str(code).strip().upper()
        if len(key) == 2:
            return self.country(key)
        found = _region_table().get(key)
        if not found:
            return key
        return f"{found[0]} ({self.country(found[2])})"


@lru_cache(maxsize=len(i18n.LANGUAGES))
def labels_for(language: str) -> Labels:
    """The (shared) :class:`Labels` of ``language``."""
    return Labels(language)


# ------------------------------------------------------------------------------ formatting


def _number(value: object, language: str, digits: int | None = None) -> str:
    from babel.numbers import format_decimal

    if value is None or isinstance(value, bool):
        return "" if value is None else str(value)
    try:
        x = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return str(value)
    if math.isnan(x):
        return "–"
    if digits is None:
        digits = 0 if abs(x) >= 100 or x == int(x) else 2
    pattern = "#,##0" + ("." + "0" * digits if digits > 0 else "")
    return format_decimal(x, format=pattern, locale=language)


def _percent(value: object, language: str, digits: int = 0) -> str:
    from babel.numbers import format_percent

    try:
        x = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return "" if value is None else str(value)
    if math.isnan(x):
        return "–"
    return format_percent(x, format="#,##0" + ("." + "0" * digits if digits else "") + " %",
                          locale=language)


def _date(value: object, language: str) -> str:
    from babel.dates import format_date

    if value is None or value == "":
        return ""
    if isinstance(value, str):
        try:
            value = dt.date.fromisoformat(value[:10])
        except ValueError:
            return value
    if isinstance(value, dt.datetime):
        value = value.date()
    if isinstance(value, dt.date):
        return format_date(value, format="medium", locale=language)
    return str(value)


def _datetime(value: object, language: str) -> str:
    from babel.dates import format_datetime

    if not isinstance(value, dt.datetime):
        return _date(value, language)
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return format_datetime(value.astimezone(dt.UTC), format="medium", tzinfo=dt.UTC,
                           locale=language) + " UTC"


# ----------------------------------------------------------------------------- environment


def _static_url(path: str) -> str:
    """URL of a static asset with a cache-busting version (its modification time)."""
    clean = path.lstrip("/")
    target = STATIC_DIR / clean
    try:
        stamp = int(target.stat().st_mtime)
    except OSError:
        stamp = 0
    return f"/static/{clean}?v={stamp}"


@lru_cache(maxsize=1)
def environment() -> Any:
    """The Jinja2 environment of the pages (autoescaping on for every template)."""
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES_DIR)),
        autoescape=True,  # every template, whatever its name
        undefined=jinja2.StrictUndefined,
        trim_blocks=True, lstrip_blocks=True,
    )
    env.globals["static_url"] = _static_url
    env.globals["LANGUAGE_NAMES"] = i18n.LANGUAGE_NAMES
    return env


def request_language(request: Any, user: Any = None) -> str:
    """The language of the request (see the module docstring)."""
    stored = i18n.normalise_language(getattr(user, "language", None)) if user else None
    if stored:
        return stored
    cookie = i18n.normalise_language(request.cookies.get(LANG_COOKIE))
    if cookie:
        return cookie
    return i18n.negotiate(request.headers.get("accept-language"))


class Translator:
    """``_()`` of one language: ``_("Hello %(name)s", name=...)`` formats after translating."""

    def __init__(self, language: str) -> None:
        self.language = language
        self._t = i18n.translations(language)

    def gettext(self, message: str, **values: Any) -> str:
        text = self._t.gettext(message)
        return text % values if values else text

    def ngettext(self, singular: str, plural: str, n: int, **values: Any) -> str:
        text = self._t.ngettext(singular, plural, n)
        return text % {"num": n, **values}

    __call__ = gettext


def translator(request: Any) -> Translator:
    """The :class:`Translator` of the request's language (for messages built in Python)."""
    user = _user_of(request)
    return Translator(request_language(request, user))


def _user_of(request: Any) -> Any:
    state = getattr(request, "state", None)
    if state is not None and hasattr(state, "user"):
        return state.user
    try:
        from smartspec.web.deps import current_user
    except ImportError:  # pragma: no cover - web-core not installed
        return None
    try:
        return current_user(request)
    except Exception:
        return None


def _csrf_of(request: Any) -> str:
    try:
        from smartspec.web.deps import csrf_token
    except ImportError:  # pragma: no cover
        return ""
    try:
        return str(csrf_token(request) or "")
    except Exception:
        return ""


def _term(value: object) -> str:
    from smartspec.web.pages.vocab import label

    return label(value)


def render(request: Any, template: str, context: Mapping[str, Any] | None = None,
           status_code: int = 200, *, headers: Mapping[str, str] | None = None) -> Any:
    """Render ``template`` as an HTML response.

    Parameters
    ----------
    request : the Starlette / FastAPI request.
    template : template name under ``smartspec/web/templates``.
    context : template variables (override the injected ones of the same name).
    status_code : HTTP status.
    headers : extra response headers.
    """
    from fastapi.responses import HTMLResponse

    values = dict(context or {})
    user = values.get("user", _user_of(request))
    language = values.get("lang") or request_language(request, user)
    t = Translator(language)
    labels = labels_for(language)
    injected: dict[str, Any] = {
        "request": request, "user": user, "csrf_token": _csrf_of(request), "lang": language,
        "languages": i18n.LANGUAGES, "_": t.gettext, "gettext": t.gettext,
        "ngettext": t.ngettext, "labels": labels, "term": lambda v: t.gettext(_term(v)),
        "num": lambda v, d=None: _number(v, language, d),
        "pct": lambda v, d=0: _percent(v, language, d),
        "fmt_date": lambda v: _date(v, language),
        "fmt_datetime": lambda v: _datetime(v, language),
        "path": request.url.path,
    }
    injected.update(values)
    html = environment().get_template(template).render(injected)
    response = HTMLResponse(html, status_code=status_code)
    response.headers["Content-Language"] = language
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response
