"""Building blocks shared by the page routers: the page context, tables and their exports.

Tables
------
Every table of a page is a :class:`PageTable` built by a *table builder* registered with
:func:`table_builder` under a key. The page renders the table; the export route
``/w/{slug}/export/{key}.{csv|xlsx}`` calls the same builder with the same query parameters and
writes its rows as CSV (UTF-8 with a byte-order mark, for spreadsheet programs) or Excel. Cells
that a spreadsheet would read as a formula (starting with ``=``, ``+``, ``-``, ``@``, a tab or a
carriage return) are prefixed with an apostrophe in both formats (CSV injection).

Messages
--------
A form handler that succeeds redirects (303, post/redirect/get) to the page with ``?ok=<key>``,
where ``<key>`` names one of the fixed messages of :data:`OK_MESSAGES` (never free text); a
refused form is shown again with the error and status 400/409/422.
"""

from __future__ import annotations

import datetime as dt
import functools
import io
import math
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Annotated, Any
from urllib.parse import urlencode

import pandas as pd
from fastapi import Depends, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from smartspec.web.deps import Access, get_db, require_admin, workspace_access
from smartspec.web.i18n import N_
from smartspec.web.templating import Labels, Translator, labels_for, render, request_language

__all__ = [
    "OK_MESSAGES",
    "Column",
    "PageContext",
    "PageTable",
    "export_response",
    "form_error_status",
    "redirect",
    "table_builder",
]

#: Success messages a redirect may name with ``?ok=<key>``.
OK_MESSAGES: dict[str, str] = {
    "ta_selected": N_("The transformative activity was selected and its evidence stored."),
    "ta_dropped": N_("The transformative activity was dropped."),
    "ta_reselected": N_("The transformative activity was selected again."),
    "drafted": N_("A draft strategy was generated."),
    "action_saved": N_("The action was saved."),
    "action_deleted": N_("The action was deleted."),
    "action_moved": N_("The action's status was changed."),
    "consortium_saved": N_("The consortium was built and stored."),
    "consortium_deleted": N_("The consortium was deleted."),
    "actor_saved": N_("The actor was added."),
    "actors_imported": N_("The actors were imported."),
    "workshop_opened": N_("The workshop is open."),
    "workshop_closed": N_("The workshop was closed and its minutes stored."),
    "scored": N_("Your scores were saved."),
    "decision_saved": N_("The decision was recorded."),
    "invitation_revoked": N_("The invitation was revoked."),
    "member_updated": N_("The member's role was changed."),
    "member_removed": N_("The member was removed."),
    "user_created": N_("The account was created."),
    "user_updated": N_("The account was updated."),
    "password_reset": N_("The password was reset; every session of the user has ended."),
    "joined": N_("You joined the workspace."),
    "observation_saved": N_("The observation was recorded."),
    "observations_imported": N_("The observations were imported."),
    "indicator_saved": N_("The indicator was saved."),
    "assessment_saved": N_("The self-assessment scores were saved."),
    "data_imported": N_("The data year was imported and the context indicators recomputed."),
    "context_recomputed": N_("The context indicators were recomputed."),
    "report_saved": N_("The report was saved as the reference for the next report's "
                       "changes."),
}

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


async def form_data(request: Request) -> Any:
    """The submitted form (parsed once; the CSRF check has read it already)."""
    return await request.form()


#: Dependencies of the page handlers.
DB = Annotated[Session, Depends(get_db)]
FormData = Annotated[Any, Depends(form_data)]
Viewer = Annotated[Access, Depends(workspace_access("viewer"))]
Stakeholder = Annotated[Access, Depends(workspace_access("stakeholder"))]
Analyst = Annotated[Access, Depends(workspace_access("analyst"))]
Owner = Annotated[Access, Depends(workspace_access("owner"))]
Admin = Annotated[Any, Depends(require_admin)]
_SAFE_NAME = re.compile(r"[^A-Za-z0-9_.-]+")


# ------------------------------------------------------------------------------ page context


@dataclass
class PageContext:
    """What a page handler works with: request, store session, access, language, labels."""

    request: Request
    db: Any
    access: Any = None
    user: Any = None
    #: Values that override the query parameters (e.g. the TA of a submitted form).
    params: dict[str, str] = field(default_factory=dict)

    def param(self, name: str, default: str = "") -> str:
        """A query parameter, unless :attr:`params` overrides it."""
        if name in self.params:
            return self.params[name]
        return self.request.query_params.get(name, default)

    @property
    def workspace(self) -> Any:
        return self.access.workspace if self.access is not None else None

    @property
    def role(self) -> str | None:
        return self.access.role if self.access is not None else None

    @property
    def lang(self) -> str:
        return request_language(self.request, self.user)

    @property
    def t(self) -> Translator:
        return Translator(self.lang)

    @property
    def labels(self) -> Labels:
        return labels_for(self.lang)

    def can(self, role: str) -> bool:
        """Whether the user holds ``role`` or a more powerful one in the workspace."""
        return self.access is not None and self.access.can(role)

    @property
    def base(self) -> str:
        """``/w/<slug>``."""
        return f"/w/{self.workspace.slug}"

    def messages(self) -> list[tuple[str, str]]:
        """The success message named by ``?ok=`` (translated), if any."""
        key = self.request.query_params.get("ok")
        if key in OK_MESSAGES:
            return [("ok", self.t(OK_MESSAGES[key]))]
        return []

    def render(self, template: str, context: Mapping[str, Any] | None = None, *,
               status_code: int = 200, nav: str | None = None,
               messages: Sequence[tuple[str, Any]] = ()) -> Response:
        values: dict[str, Any] = {"user": self.user, "messages": [*self.messages(), *messages]}
        if self.access is not None:
            values.update(workspace=self.workspace, role=self.role, base=self.base,
                          can_edit=self.can("analyst"), can_score=self.can("stakeholder"),
                          is_owner=self.can("owner"),
                          nav_current=self.base + (f"/{nav}" if nav else ""))
        values.update(context or {})
        return render(self.request, template, values, status_code=status_code)


def redirect(url: str, ok: str | None = None) -> RedirectResponse:
    """A 303 redirect (after a successful form), optionally with a success message key."""
    if ok is not None:
        if ok not in OK_MESSAGES:
            raise ValueError(f"unknown message key {ok!r}")
        url = f"{url}{'&' if '?' in url else '?'}ok={ok}"
    return RedirectResponse(url, status_code=303)


def form_error_status(exc: Exception) -> int:
    """HTTP status of a refused form: 409 for conflicts, 404 for missing objects, else 422."""
    from smartspec.store import services as svc

    if isinstance(exc, svc.ConflictError):
        return 409
    if isinstance(exc, svc.NotFoundError | svc.CrossWorkspaceError):
        return 404
    return 422


# -------------------------------------------------------------------------------------- tables


@dataclass(frozen=True)
class Column:
    """A table column: ``key`` of the row dicts, translated ``header`` and display ``kind``.

    Kinds: ``text``, ``long``, ``int``, ``num``, ``num3``, ``signed``, ``pct``, ``date``,
    ``datetime``, ``code``, ``activity``, ``region``, ``regions``, ``list``, ``bool``,
    ``light``, ``link`` (value = (text, href)), ``bar`` (0-1).
    """

    key: str
    header: str
    kind: str = "text"
    #: Shown on the page / written to the CSV and Excel downloads.
    html: bool = True
    export: bool = True

    @property
    def numeric(self) -> bool:
        return self.kind in ("int", "num", "num3", "signed", "pct", "auto")


@dataclass
class PageTable:
    """A table of a page, exportable as CSV / Excel when ``export`` names its builder."""

    key: str
    title: str
    columns: list[Column]
    rows: list[dict[str, Any]]
    export: str | None = None
    note: str = ""
    empty: str = ""
    params: dict[str, str] = field(default_factory=dict)
    attrs: dict[str, str] = field(default_factory=dict)
    #: Shared through the cache (see :func:`table_builder`): read-only, and the HTML of its
    #: rows is kept with it.
    cached: bool = False
    rows_html: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @property
    def shown(self) -> list[Column]:
        """The columns shown on the page."""
        return [c for c in self.columns if c.html]

    def export_url(self, fmt: str) -> str:
        """URL of the CSV / Excel download of this table."""
        query = f"?{urlencode(self.params)}" if self.params else ""
        return f"{self.export}.{fmt}{query}"

    def frame(self, labels: Labels | None = None) -> pd.DataFrame:
        """The table as a DataFrame of plain values (labels added for activities/regions)."""
        data: dict[str, list[Any]] = {}
        for c in self.columns:
            if not c.export:
                continue
            values = [_plain(row.get(c.key), c.kind) for row in self.rows]
            data[c.header] = values
            if labels is not None and c.kind in ("activity", "region"):
                get = labels.activity if c.kind == "activity" else labels.region
                data[f"{c.header} ({c.kind})"] = [get(v) if v else "" for v in values]
        return pd.DataFrame(data, columns=list(data))


def _plain(value: Any, kind: str) -> Any:
    if kind == "link" and isinstance(value, tuple | list):
        return value[0]
    if isinstance(value, list | tuple | set):
        return "; ".join(str(v) for v in value)
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, dt.datetime):
        return value.replace(tzinfo=None) if value.tzinfo else value
    return value


Builder = Callable[[PageContext], PageTable]
_BUILDERS: dict[str, tuple[Builder, str]] = {}


def table_builder(key: str, min_role: str = "viewer", *,
                  cache: tuple[str, ...] | None = None,
                  site_tables: tuple[str, ...] = ()) -> Callable[[Builder], Builder]:
    """Register a table builder under ``key`` (exported at ``/w/{slug}/export/{key}.csv``).

    ``cache`` names the store tables the builder reads besides the evidence data (``()``:
    none), ``site_tables`` the site-wide ones (``users``: names). With ``cache``, the table is
    built once per workspace, data version, language, query and path parameters, day and
    change of those tables (:func:`smartspec.web.pages.data.cached_on`);
    the HTML of its rows is then rendered once too. The builder must then depend on nothing
    else of the request (not on the user's role, say).
    """

    def decorate(func: Builder) -> Builder:
        if cache is None:
            built = func
        else:
            tables = ("workspaces", *cache)

            @functools.wraps(func)
            def built(ctx: PageContext) -> PageTable:
                from smartspec.web.pages import data

                def compute() -> PageTable:
                    table = func(ctx)
                    table.cached = True
                    return table

                request = ctx.request
                query = tuple(sorted(request.query_params.multi_items()))
                path = tuple(sorted((k, str(v)) for k, v in request.path_params.items()))
                return data.cached_on(ctx, f"table:{key}", tables, query, path,
                                      dt.date.today().isoformat(), compute=compute,
                                      site_tables=site_tables)

        if key in _BUILDERS and _BUILDERS[key][0] is not built:
            raise ValueError(f"table {key!r} is registered twice")
        _BUILDERS[key] = (built, min_role)
        return built

    return decorate


def builder_of(key: str) -> tuple[Builder, str]:
    """The builder and minimum role of table ``key`` (404 when unknown)."""
    try:
        return _BUILDERS[key]
    except KeyError:
        raise HTTPException(status_code=404, detail=f"no table {key!r}") from None


def _defuse(value: Any) -> Any:
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def export_response(table: PageTable, fmt: str, *, labels: Labels, filename: str) -> Response:
    """The table as a CSV or Excel download."""
    frame = table.frame(labels)
    frame = frame.apply(lambda col: col.map(_defuse) if col.dtype == object or
                        pd.api.types.is_string_dtype(col) else col)
    name = _SAFE_NAME.sub("-", filename).strip("-") or "table"
    if fmt == "csv":
        body = "\ufeff" + frame.to_csv(index=False, lineterminator="\r\n")
        return Response(body.encode("utf-8"), media_type="text/csv; charset=utf-8",
                        headers={"Content-Disposition": f'attachment; filename="{name}.csv"'})
    if fmt == "xlsx":
        buffer = io.BytesIO()
        sheet = (table.title or table.key)[:31]
        sheet = re.sub(r"[\[\]:*?/\\]", " ", sheet) or "table"
        with pd.ExcelWriter(buffer, engine="openpyxl") as writer:
            frame.to_excel(writer, index=False, sheet_name=sheet)
            ws = writer.sheets[sheet]
            for i, column in enumerate(frame.columns, start=1):
                width = max([len(str(column))] + [len(str(v)) for v in frame[column].head(200)])
                ws.column_dimensions[ws.cell(row=1, column=i).column_letter].width = \
                    min(60, max(8, width + 2))
        return Response(buffer.getvalue(),
                        media_type="application/vnd.openxmlformats-officedocument."
                                   "spreadsheetml.sheet",
                        headers={"Content-Disposition": f'attachment; filename="{name}.xlsx"'})
    raise HTTPException(status_code=404, detail=f"unknown export format {fmt!r}")


# -------------------------------------------------------------------------------------- misc


def finite(value: Any) -> float | None:
    """``value`` as a finite float, else None."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def clean_list(values: Iterable[Any]) -> list[str]:
    """Strings of a list field (a pandas cell, a JSON list ...), empty entries dropped."""
    if values is None or isinstance(values, float):
        return []
    if isinstance(values, str):
        return [v.strip() for v in re.split(r"[;,\n]", values) if v.strip()]
    return [str(v) for v in values if v is not None and str(v).strip()]


def form_text(form: Any, name: str, default: str = "") -> str:
    """A text field of a submitted form (not a file), stripped."""
    value = form.get(name, default)
    return value.strip() if isinstance(value, str) else default


def form_int(form: Any, name: str, *, default: int | None = None, low: int | None = None,
             high: int | None = None, what: str | None = None) -> int | None:
    """An optional whole number of a form, validated (``ValueError`` names the field)."""
    raw = form_text(form, name)
    if raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ValueError(f"{what or name} must be a whole number, got {raw!r}") from None
    if (low is not None and value < low) or (high is not None and value > high):
        raise ValueError(f"{what or name} must be between {low} and {high}, got {value}")
    return value


def form_float(form: Any, name: str, *, default: float | None = None, low: float | None = None,
               what: str | None = None) -> float | None:
    """An optional number of a form (decimal comma accepted), validated."""
    raw = form_text(form, name).replace(",", ".").replace(" ", "")
    if raw == "":
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ValueError(f"{what or name} must be a number, got {raw!r}") from None
    if not math.isfinite(value) or (low is not None and value < low):
        raise ValueError(f"{what or name} must be a number of at least {low}, got {raw!r}")
    return value
