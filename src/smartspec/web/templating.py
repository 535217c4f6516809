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
    if value is None or isinstance(value, bool):
        return "" if value is None else str(value)
    try:
        x = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return str(value)
    if not math.isfinite(x):
        return "–" if math.isnan(x) else ("∞" if x > 0 else "-∞")
    if digits is None:
        digits = 0 if abs(x) >= 100 or x == int(x) else 2
    return _format_decimal(x, language, digits)


# Babel parses the locale and the pattern on every call (~20 µs); pages show the same
# numbers again and again, so the formatted strings are memoised.
@lru_cache(maxsize=65536)
def _format_decimal(x: float, language: str, digits: int) -> str:
    from babel.numbers import format_decimal

    pattern = "#,##0" + ("." + "0" * digits if digits > 0 else "")
    return format_decimal(x, format=pattern, locale=language)


@lru_cache(maxsize=16384)
def _format_percent(x: float, language: str, digits: int) -> str:
    from babel.numbers import format_percent

    return format_percent(x, format="#,##0" + ("." + "0" * digits if digits else "") + " %",
                          locale=language)


def _percent(value: object, language: str, digits: int = 0) -> str:
    try:
        x = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return "" if value is None else str(value)
    if not math.isfinite(x):
        return "–" if math.isnan(x) else ("∞" if x > 0 else "-∞")
    return _format_percent(x, language, int(digits))


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
    if not isinstance(value, dt.datetime):
        return _date(value, language)
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return _format_datetime(value.astimezone(dt.UTC), language)


@lru_cache(maxsize=8192)
def _format_datetime(value: dt.datetime, language: str) -> str:
    """Babel's medium date and time in UTC (memoised: a table's timestamps recur on every
    rendering of it)."""
    from babel.dates import format_datetime

    return format_datetime(value, format="medium", tzinfo=dt.UTC, locale=language) + " UTC"


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
        auto_reload=False,  # the templates ship with the package: no stat() per render
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


_LIGHTS = ("green", "amber", "red")
_LONG_KINDS = frozenset({"long", "activity", "region", "item", "comments"})


class Cells:
    """The HTML of table cells in one language (the ``row_cells`` of the templates).

    Tables are the bulk of the pages; rendering their cells in Python instead of a Jinja2
    macro per cell makes a page several times cheaper. Every value is escaped here.
    """

    def __init__(self, language: str, t: Any, labels: Labels) -> None:
        self.language, self.t, self.labels = language, t, labels

    def light(self, status: object, text: object = None) -> Any:
        from markupsafe import Markup, escape

        s = str(status or "none").lower()
        if text is None:
            text = self.t.gettext(_term(s)).capitalize() if s in _LIGHTS \
                else self.t.gettext("not checked")
        return Markup(f'<span class="light light-{s if s in _LIGHTS else "none"}">'
                      f'{escape(text)}</span>')

    def _cell(self, value: Any, kind: str | None, e: Any) -> str:
        lang = self.language
        is_number = isinstance(value, int | float)  # bool included, as Jinja2's "number"
        if value is None or (is_number and value != value):
            return '<span class="muted">–</span>'
        if kind == "int":
            return e(_number(value, lang, 0))
        if kind == "num":
            return e(_number(value, lang, 2))
        if kind == "auto":
            return e(_number(value, lang))
        if kind == "num3":
            return e(_number(value, lang, 3))
        if kind == "signed":
            return e(("+" if is_number and value > 0 else "") + _number(value, lang, 2))
        if kind == "pct":
            return e(_percent(value, lang, 1))
        if kind == "date":
            return e(_date(value, lang))
        if kind == "datetime":
            return e(_datetime(value, lang))
        if kind == "code":
            return f"<code>{e(value)}</code>"
        if kind == "activity":
            return f"<code>{e(value)}</code> {e(self.labels.activity(value))}"
        if kind == "region":
            return f"<code>{e(value)}</code> {e(self.labels.region(value))}"
        if kind == "regions":
            return "".join(f'<span class="badge" title="{e(self.labels.region(r))}">{e(r)}'
                           f"</span> " for r in value)
        if kind == "list":
            return e(", ".join(str(v) for v in value))
        if kind == "bool":
            return e(self.t.gettext("yes") if value else self.t.gettext("no"))
        if kind == "light":
            return self.light(value)
        if kind == "link":
            text, href = value[0], value[1]
            return f'<a href="{e(href)}">{e(text)}</a>' if href else e(text)
        if kind == "item":
            return f"<code>{e(value[0])}</code> {e(value[1])}"
        if kind == "flags":
            return "".join(f'<span class="badge badge-amber">{e(f)}</span> ' for f in value)
        if kind == "comments":
            if not value:
                return ""
            items = "".join(f"<li><strong>{e(who)}:</strong> {e(text)}</li>"
                            for who, text in value)
            return f'<ul class="comment-list">{items}</ul>'
        if kind == "bar":
            width = round(min(max(float(value), 0.0), 1.0) * 100, 1)
            return (f'<span class="scale-bar" title="{e(_number(value, lang, 2))}">'
                    f'<span style="width: {width}%"></span></span>')
        return e(value)

    def rows(self, table: Any) -> Any:
        """The ``<tr>`` rows of a :class:`PageTable` (kept with a cached table)."""
        from markupsafe import Markup, escape

        memo = table.rows_html if getattr(table, "cached", False) else None
        if memo is not None and self.language in memo:
            return memo[self.language]
        shown = table.shown
        out = []
        for row in table.rows:
            ident = row.get("_id")
            attr = f' data-id="{escape(ident)}"' if ident is not None else ""
            out.append(f'<tr class="{escape(row.get("_class", ""))}"{attr}>\n'
                       f'{self.row(row, shown)}\n</tr>')
        html = Markup("\n".join(out))
        if memo is not None:
            memo[self.language] = html
        return html

    def row(self, row: Mapping[str, Any], columns: Any) -> Any:
        """The ``<td>`` cells of ``row`` for ``columns`` (:class:`PageTable` columns)."""
        from markupsafe import Markup, escape

        out = []
        for c in columns:
            kind = c.kind
            classes = " ".join(name for name, on in (
                ("num", c.numeric), ("long", kind in _LONG_KINDS),
                ("regions", kind == "regions"), ("nowrap", kind in ("date", "datetime")))
                if on)
            out.append(f'<td class="{classes}" data-col="{escape(c.key)}">'
                       f'{self._cell(row.get(c.key), kind, escape)}</td>')
        return Markup("\n".join(out))


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
    cells = Cells(language, t, labels)
    injected: dict[str, Any] = {
        "row_cells": cells.row, "table_rows": cells.rows, "light": cells.light,
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
