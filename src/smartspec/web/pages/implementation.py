"""Element 4, implementation: the action board (kanban by status, drag & drop with a form
fallback), the timeline, good-practice recommendations per action and a critical-mass gauge
per TA."""

from __future__ import annotations

import datetime as dt
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import JSONResponse, Response

from smartspec.web import charts
from smartspec.web.pages import data
from smartspec.web.pages.common import (
    DB,
    Analyst,
    Column,
    FormData,
    PageContext,
    PageTable,
    Viewer,
    finite,
    form_error_status,
    form_text,
    redirect,
    table_builder,
)
from smartspec.web.pages.vocab import label as _term

__all__ = ["critical_mass_report", "router"]

router = APIRouter()

#: Columns of the board, in workflow order.
BOARD = ("planned", "in_progress", "on_hold", "done", "cancelled")



#: Order of the moves offered on a card: progress first, cancellation last.
MOVE_ORDER = ("in_progress", "done", "on_hold", "planned", "cancelled")


def _in_order(statuses: Any) -> list[str]:
    return [s for s in MOVE_ORDER if s in set(statuses)]


def _ta_filter(ctx: PageContext) -> Any:
    from smartspec.store import services as svc

    code = (ctx.param("ta") or "").strip().upper()
    if not code:
        return None
    try:
        return svc.get_ta(ctx.db, ctx.workspace, code)
    except (svc.NotFoundError, svc.StoreValidationError):
        raise HTTPException(status_code=404, detail=f"no TA {code}") from None


def _actions(ctx: PageContext) -> list[Any]:
    from smartspec.store import services as svc

    return svc.list_actions(ctx.db, ctx.workspace, ta=_ta_filter(ctx))


def critical_mass_report(ctx: PageContext, ta: Any) -> Any:
    """The TA's critical mass now (:func:`smartspec.implementation.critical_mass.critical_mass`):
    local and partner-region employment, the committed actors (consortium members, action
    owners and participants) by helix and the committed budget of its actions."""
    from smartspec import datasets
    from smartspec.implementation.critical_mass import critical_mass
    from smartspec.store import services as svc

    ws = ctx.workspace
    home = ws.home_region
    actor_ids = {m.actor_id for c in svc.list_consortia(ctx.db, ws, ta=ta) for m in c.members}
    actions = svc.list_actions(ctx.db, ws, ta=ta)
    for a in actions:
        actor_ids.update(a.participant_ids)
        if a.owner_id:
            actor_ids.add(a.owner_id)
    actors = [svc.actor_to_domain(a) for a in svc.list_actors(ctx.db, ws) if a.id in actor_ids]
    candidate = (ta.evidence_snapshot or {}).get("candidate") or {}
    partners = list(dict.fromkeys([r.code for r in ws.regions if r.role == "partner"]
                                  + [str(p) for p in candidate.get("partners") or []]))
    return critical_mass(ta.activity, home, datasets.sbs_employment(), related=(),
                         actors=actors, partner_regions=[p for p in partners if p != home],
                         committed_budget=float(sum(a.committed for a in actions
                                                    if a.status != "cancelled")))


@table_builder("practices")
def practices_table(ctx: PageContext) -> PageTable:
    """Good practices recommended for each open action, with the reasons."""
    from smartspec.implementation.critical_mass import maturity_from_ratio
    from smartspec.implementation.good_practices import recommend_practices, region_types
    from smartspec.store import services as svc

    t = ctx.t
    records = svc.list_good_practices(ctx.db, ctx.workspace)
    chosen: dict[str, Any] = {}
    for r in records:  # a workspace's own entry replaces the global one of the same key
        if r.key not in chosen or r.workspace_id is not None:
            chosen[r.key] = r
    practices = [svc.practice_to_domain(r) for r in chosen.values()]
    kinds = region_types(ctx.workspace.home_region or "") or None
    rows = []
    for a in _actions(ctx):
        if a.status in ("done", "cancelled"):
            continue
        mode = maturity = None
        if a.ta is not None:
            mode = a.ta.mode
            ratio = finite(((a.ta.evidence_snapshot or {}).get("critical_mass") or {})
                           .get("ratio"))
            maturity = maturity_from_ratio(ratio) if ratio is not None and ratio >= 0 else None
        for rec in recommend_practices(svc.action_to_domain(a), ta_mode=mode, region_type=kinds,
                                       maturity=maturity, practices=practices, limit=2):
            rows.append({"action": a.title, "practice": rec.practice.title,
                         "summary": rec.practice.summary, "score": rec.score,
                         "why": "; ".join(rec.reasons)})
    return PageTable(
        key="practices", title=t("Good practices for the actions"), rows=rows,
        export=f"{ctx.base}/export/practices",
        params={"ta": ctx.param("ta")} if ctx.param("ta") else {},
        columns=[Column("action", t("Action")), Column("practice", t("Good practice")),
                 Column("summary", t("Summary"), "long"), Column("score", t("Score"), "num"),
                 Column("why", t("Why"), "long")],
        note=t("The two best practices of the library for each open action: by action type, "
               "the TA's mode of change, the cluster's maturity (from its critical mass) and "
               "the region's type."),
        empty=t("No open action."))


@table_builder("board")
def board_table(ctx: PageContext) -> PageTable:
    """The board as a table (one row per action)."""
    from smartspec.store import services as svc

    t = ctx.t
    actors = {a.id: a.name for a in svc.list_actors(ctx.db, ctx.workspace)}
    rows = [{"_id": a.id, "title": a.title, "ta": a.ta.activity if a.ta else None,
             "status": t(_term(a.status)), "type": t(_term(a.action_type)),
             "owner": actors.get(a.owner_id), "start": a.start, "end": a.end,
             "deadline": a.deadline, "budget": a.budget, "committed": a.committed,
             "spent": a.spent} for a in _actions(ctx)]
    return PageTable(
        key="board", title=t("Actions"), rows=rows, export=f"{ctx.base}/export/board",
        params={"ta": ctx.param("ta")} if ctx.param("ta") else {},
        columns=[Column("title", t("Action")), Column("ta", t("TA"), "code"),
                 Column("status", t("Status")), Column("type", t("Type")),
                 Column("owner", t("Lead")), Column("start", t("Start"), "date"),
                 Column("end", t("End"), "date"), Column("deadline", t("Deadline"), "date"),
                 Column("budget", t("Budget"), "int"), Column("committed", t("Committed"), "int"),
                 Column("spent", t("Spent"), "int")])


def _page(ctx: PageContext, *, status_code: int = 200,
          messages: list[tuple[str, Any]] | None = None) -> Response:
    from smartspec.implementation.timeline import timeline_figure
    from smartspec.implementation.tracking import progress
    from smartspec.store import services as svc
    from smartspec.strategy.actions import ALLOWED_TRANSITIONS

    t = ctx.t
    actions = _actions(ctx)
    actors = {a.id: a.name for a in svc.list_actors(ctx.db, ctx.workspace)}
    today = dt.date.today()
    columns = {s: [] for s in BOARD}
    for a in actions:
        due = a.deadline or a.end
        columns.setdefault(a.status, []).append({
            "a": a, "owner": actors.get(a.owner_id),
            "allowed": _in_order(ALLOWED_TRANSITIONS.get(a.status, ())),
            "overdue": a.status not in ("done", "cancelled") and due is not None and due < today,
        })
    domain = [svc.action_to_domain(a) for a in actions]
    figure = timeline_figure(domain, title=t("Timeline of actions"))
    figure.update_layout(title=None, template=None,  # plotly_white: added by figure_json
                         margin=dict(l=10, r=10, t=20, b=10))
    timeline = charts.page_chart(figure,
                                 key="timeline", title=t("Timeline"), caption=t(
                                     "Bars from start to end (estimated ends from the typical "
                                     "duration), coloured by status; diamonds: deadlines; "
                                     "triangles: milestones."))
    gauges = []
    for ta in svc.list_tas(ctx.db, ctx.workspace, status="selected"):
        try:
            report = critical_mass_report(ctx, ta)
        except (KeyError, ValueError) as exc:
            gauges.append({"ta": ta, "error": str(exc)})
            continue
        ratio = finite(report.ratio)
        chart = data.cached(ctx, "mass_gauge", ta.activity, report.missing,
                            None if ratio is None else round(ratio, 4),
                            compute=lambda r=ratio, m=report.missing, a=ta.activity:
                            charts.critical_mass_gauge(
                                r, key=f"mass-{a}", title="",
                                caption=m or t("Critical mass reached."),
                                label=t("capacity / threshold")))
        gauges.append({"ta": ta, "report": report, "chart": chart})
    summary = progress(domain, as_of=today)
    return ctx.render("implementation.html", {
        "columns": columns, "board": BOARD, "timeline": timeline, "gauges": gauges,
        "practices": practices_table(ctx), "board_table": board_table(ctx), "summary": summary,
        "tas": svc.list_tas(ctx.db, ctx.workspace), "ta_filter": ctx.param("ta"),
        "transitions": {k: sorted(v) for k, v in ALLOWED_TRANSITIONS.items()},
        "uses_charts": True,
    }, nav="implementation", status_code=status_code, messages=messages or [])


@router.get("/w/{slug}/implementation")
def implementation(request: Request, db: DB,
                   access: Viewer) -> Response:
    return _page(PageContext(request, db, access, access.user))


def _wants_json(request: Request) -> bool:
    return "application/json" in request.headers.get("accept", "")


@router.post("/w/{slug}/actions/{action_id}/status")
def move_action(action_id: int, request: Request, form: FormData,
                db: DB,
                access: Analyst) -> Response:
    """Move an action on the board (a status change checked by the workflow). Answers JSON
    to the board's script, a redirect to the form."""
    from smartspec.store import services as svc
    from smartspec.strategy.actions import InvalidTransition

    ctx = PageContext(request, db, access, access.user)
    status = form_text(form, "status")
    try:
        action = svc.get_action(db, ctx.workspace, action_id)
    except (svc.NotFoundError, svc.CrossWorkspaceError):
        raise HTTPException(status_code=404, detail="action not found") from None
    try:
        svc.update_action(db, ctx.workspace, action, status=status)
    except (svc.StoreError, InvalidTransition, ValueError) as exc:
        db.rollback()
        if _wants_json(request):
            return JSONResponse({"detail": str(exc)}, status_code=form_error_status(exc))
        return _page(ctx, status_code=form_error_status(exc), messages=[("error", str(exc))])
    if _wants_json(request):
        return JSONResponse({"id": action.id, "status": action.status,
                             "start": action.start.isoformat() if action.start else None,
                             "end": action.end.isoformat() if action.end else None})
    back = form_text(form, "ta")
    return redirect(f"{ctx.base}/implementation" + (f"?ta={back}" if back.isalnum() else ""),
                    ok="action_moved")
