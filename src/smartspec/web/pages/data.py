"""The evidence behind the pages, through the application's cache (per workspace and data
version), and the helpers that turn domain results into page values."""

from __future__ import annotations

import datetime as dt
import functools
import math
from collections.abc import Mapping
from typing import Any

import pandas as pd

from smartspec.web.pages.common import PageContext, finite

__all__ = [
    "SUBSCORES",
    "all_region_eci",
    "candidates",
    "parse_weights",
    "profile",
    "region_names",
    "ta_lights",
    "cached_on",
    "check_results",
]

#: The sub-scores of the candidates with weights, in display order.
SUBSCORES: tuple[str, ...] = ("feasibility", "value", "advantage", "momentum",
                              "transformative_potential", "capability_gap")


def _cache(ctx: PageContext) -> Any:
    from smartspec.web.cache import get_cache

    return get_cache(ctx.request)


def profile(ctx: PageContext) -> Any:
    """The evidence profile of the workspace's home region (cached)."""
    return _cache(ctx).profile(ctx.workspace)


def default_weights() -> dict[str, float]:
    """The documented default weights of the composite score."""
    from smartspec.discovery.scoring import DEFAULT_WEIGHTS

    return {k: float(DEFAULT_WEIGHTS[k]) for k in SUBSCORES if k in DEFAULT_WEIGHTS}


def parse_weights(params: Mapping[str, str]) -> tuple[dict[str, float] | None, list[str]]:
    """Weights from query parameters ``w_<subscore>`` (None when none is given) and problems.

    Each weight must be a finite number from 0 to 10; all zero is refused.
    """
    weights: dict[str, float] = {}
    problems: list[str] = []
    for key in SUBSCORES:
        raw = params.get(f"w_{key}")
        if raw is None or str(raw).strip() == "":
            continue
        try:
            value = float(str(raw).replace(",", "."))
        except ValueError:
            problems.append(f"{key}: {raw!r} is not a number")
            continue
        if not math.isfinite(value) or not 0 <= value <= 10:
            problems.append(f"{key}: {raw!r} must be between 0 and 10")
            continue
        weights[key] = value
    if not weights:
        return None, problems
    merged = {**default_weights(), **weights}
    if not any(v > 0 for v in merged.values()):
        problems.append("at least one weight must be above zero")
        return None, problems
    return merged, problems


def candidates(ctx: PageContext, weights: Mapping[str, float] | None = None,
               top_k: int = 15) -> pd.DataFrame:
    """Candidate TAs of the home region for ``weights`` (cached; treat as read-only)."""
    return _cache(ctx).candidates(ctx.workspace, dict(weights) if weights else None, top_k)


def all_region_eci(ctx: PageContext) -> pd.Series:
    """ECI of every region of the shipped panel (cached per workspace and data version)."""
    from smartspec import datasets
    from smartspec.reports.html import all_region_eci as _eci

    ws = ctx.workspace
    key = (ws.id, ws.data_version or "", "eci_all")
    return _cache(ctx).get_or_compute(key, lambda: _eci(datasets.sbs_employment()))


def cached(ctx: PageContext, kind: str, *parts: Any, compute: Any) -> Any:
    """A value cached per workspace, data version and language (read-only afterwards)."""
    ws = ctx.workspace
    key = (ws.id, ws.data_version or "", kind, ctx.lang, *parts)
    return _cache(ctx).get_or_compute(key, compute)


def cached_on(ctx: PageContext, kind: str, tables: tuple[str, ...], *parts: Any,
              compute: Any, site_tables: tuple[str, ...] = ()) -> Any:
    """Like :func:`cached`, and also keyed by the latest change of each of ``tables`` in the
    workspace (:func:`smartspec.store.services.change_marks`): a stored change to any of
    them computes the value afresh, changes elsewhere (workshop scores, say) keep it.
    ``site_tables`` are site-wide tables the value also reads (``users``: display names)."""
    from smartspec.store import services as svc

    if ctx.request.method not in ("GET", "HEAD"):
        # a request that changes data may read its own uncommitted changes, which could still
        # roll back (and SQLite may then reuse the audit ids): computed, never cached
        return compute()
    marks = svc.change_marks(ctx.db, ctx.workspace.id, tables)
    if site_tables:
        marks += svc.change_marks(ctx.db, None, site_tables)
    return cached(ctx, kind, tables, marks, *parts, compute=compute)


#: The tables behind the viability check (:func:`ta_lights`).
CHECK_TABLES: tuple[str, ...] = (
    "workspaces", "selected_tas", "monitoring_indicators", "monitoring_records",
    "monitoring_plans", "monitoring_data_years", "consortia", "consortium_members", "actors")


def region_names(codes: list[str] | None = None) -> dict[str, str]:
    """NUTS code → region name (GISCO, Latin script)."""
    names = _region_names()
    return dict(names) if codes is None else {c: names.get(c, c) for c in codes}


@functools.lru_cache(maxsize=1)
def _region_names() -> dict[str, str]:
    from smartspec import datasets

    table = datasets.regions(None)
    return dict(zip(table.index.astype(str), table["name"].astype(str), strict=True))


# ---------------------------------------------------------------------------------- monitoring


def monitoring_services() -> Any:
    """:mod:`smartspec.store.monitoring_services`, or None while it is not installed."""
    try:
        from smartspec.store import monitoring_services
    except ImportError:
        return None
    return monitoring_services


def check_results(ctx: PageContext) -> dict[str, Any]:
    """:func:`smartspec.monitoring.check` of every selected TA, by activity code (cached: it
    reads only the :data:`CHECK_TABLES` and today's date, for the deadlines)."""
    from smartspec.store import monitoring_services as mon

    return cached_on(ctx, "ta_check", CHECK_TABLES, today().isoformat(),
                     compute=lambda: mon.check_workspace(ctx.db, ctx.workspace))


def ta_lights(ctx: PageContext, tas: list[Any]) -> dict[int, dict[str, Any]]:
    """TA id → ``{"status": green/amber/red/None, "reasons": [(status, text)], "error": str}``.

    The verdict of :func:`smartspec.monitoring.check` on the workspace's stored data; ``status``
    None when the check could not run (the reason is in ``error``).
    """
    out: dict[int, dict[str, Any]] = {t.id: {"status": None, "reasons": [], "error": ""}
                                      for t in tas}
    if not tas:
        return out
    mon = monitoring_services()
    if mon is None or not hasattr(mon, "check_workspace"):
        for entry in out.values():
            entry["error"] = ctx.t("The viability check is not available in this installation.")
        return out
    try:
        results = check_results(ctx)
    except Exception as exc:
        for entry in out.values():
            entry["error"] = str(exc)
        return out
    by_code = {getattr(r, "ta", None): r for r in (results.values() if isinstance(results, Mapping)
                                                  else results)}
    for ta in tas:
        result = by_code.get(ta.activity)
        if result is None:
            continue
        reasons = [(getattr(r, "status", ""), getattr(r, "message", str(r)))
                   for r in getattr(result, "reasons", [])]
        out[ta.id] = {"status": getattr(result, "status", None), "reasons": reasons,
                      "error": "", "result": result}
    return out


# --------------------------------------------------------------------------------- actions


def today() -> dt.date:
    return dt.date.today()


def deadlines(actions: list[Any], *, horizon_days: int = 365, limit: int = 12,
              on: dt.date | None = None) -> list[dict[str, Any]]:
    """Upcoming (and overdue) deadlines and milestones of actions that are not final."""
    day = on or today()
    rows: list[dict[str, Any]] = []
    for a in actions:
        if a.status in ("done", "cancelled"):
            continue
        dates: list[tuple[dt.date, str]] = []
        if a.deadline:
            dates.append((a.deadline, "deadline"))
        for m in a.milestones or []:
            due = m.get("due")
            if due:
                try:
                    dates.append((dt.date.fromisoformat(str(due)[:10]), str(m.get("title", ""))))
                except ValueError:
                    continue
        for due, what in dates:
            if (due - day).days <= horizon_days:
                rows.append({"due": due, "what": what, "action": a,
                             "overdue": due < day, "days": (due - day).days})
    rows.sort(key=lambda r: r["due"])
    return rows[:limit]


def score_of(snapshot: Mapping[str, Any] | None) -> float | None:
    """The composite score stored in a TA's evidence snapshot."""
    cand = (snapshot or {}).get("candidate") or {}
    return finite(cand.get("score"))
