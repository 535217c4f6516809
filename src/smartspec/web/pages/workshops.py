"""Entrepreneurial discovery (EDW) and action development (ADW) workshops.

An analyst or owner (the facilitator) opens a workshop on the best candidate activities (EDW)
or on a TA's actions (ADW). Stakeholders score each item's capacity and opportunity from 1 to
5 and comment. The live aggregate (polled by the page every few seconds) sits beside the
data-driven score (the candidate's composite score; actions have none), with disagreements
between the two views and contested items (participants far apart) highlighted. The
facilitator records decisions, selects TAs from an EDW (the snapshot keeps the workshop's
verdict) and closes the workshop, which stores its minutes; the minutes download as CSV or
Excel.
"""

from __future__ import annotations

import io
from typing import Any

import pandas as pd
from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import Response

from smartspec.web import charts
from smartspec.web.pages import data
from smartspec.web.pages.common import (
    DB,
    Analyst,
    Column,
    FormData,
    PageContext,
    PageTable,
    Stakeholder,
    Viewer,
    export_response,
    finite,
    form_error_status,
    form_int,
    form_text,
    redirect,
    table_builder,
)
from smartspec.web.pages.vocab import label as _term

__all__ = ["router"]

router = APIRouter()

#: Seconds between two polls of the live aggregate.
POLL_SECONDS = 5



def _workshop(ctx: PageContext, workshop_id: Any) -> Any:
    from smartspec.store import services as svc
    from smartspec.store import web_services as wsvc

    try:
        return wsvc.get_workshop(ctx.db, ctx.workspace, int(workshop_id))
    except (svc.NotFoundError, svc.CrossWorkspaceError, ValueError, TypeError):
        raise HTTPException(status_code=404, detail="workshop not found") from None


def _data_scores(ctx: PageContext, workshop: Any) -> dict[str, float]:
    if workshop.kind != "edw":
        return {}
    frame = data.candidates(ctx, None, 15)
    return {str(c): float(s) for c, s in frame["score"].items() if finite(s) is not None}


def _item_labels(ctx: PageContext, workshop: Any) -> dict[str, str]:
    from smartspec.store import web_services as wsvc

    if workshop.kind == "edw":
        return {i: ctx.labels.activity(i) for i in workshop.items or []}
    actions = wsvc.action_items(ctx.db, ctx.workspace, workshop)
    return {i: (actions[i].title if i in actions else ctx.t("deleted action"))
            for i in workshop.items or []}


#: The tables behind a workshop's live aggregate (besides the evidence's data version).
AGGREGATE_TABLES: tuple[str, ...] = ("workshops", "workshop_scores", "workshop_decisions",
                                     "selected_tas", "actions")  # actions: ADW item titles


def aggregate_rows(ctx: PageContext, workshop: Any) -> list[dict[str, Any]]:
    """The live aggregate with labels, decisions and the items already selected as TAs."""
    from smartspec.store import services as svc
    from smartspec.store import web_services as wsvc

    def compute() -> list[dict[str, Any]]:
        if workshop.status == "closed" and workshop.minutes:
            rows = [dict(r) for r in workshop.minutes.get("aggregate", [])]
            decisions = workshop.minutes.get("decisions", [])
        else:
            rows = wsvc.workshop_aggregate(ctx.db, ctx.workspace, workshop,
                                           data_scores=_data_scores(ctx, workshop))
            decisions = [{"item": d.item, "decision": d.decision}
                         for d in wsvc.list_decisions(ctx.db, ctx.workspace, workshop)]
        labels = _item_labels(ctx, workshop)
        selected = {ta.activity
                    for ta in svc.list_tas(ctx.db, ctx.workspace, status="selected")}
        for row in rows:
            item = str(row["item"])
            row["label"] = labels.get(item, item)
            score = finite(row.get("stakeholder_score"))
            row["mean_1_5"] = 1 + 4 * score if score is not None else None
            row["decisions"] = [d["decision"] for d in decisions if d["item"] == item]
            row["is_ta"] = item in selected
        return rows

    # polled by every participant's page: computed once per change of the workshop's data
    rows = data.cached_on(ctx, "workshop_aggregate", AGGREGATE_TABLES, int(workshop.id),
                          compute=compute, site_tables=("users",))
    return [dict(r) for r in rows]  # the cached rows stay as they are


@table_builder("workshops")
def workshops_table(ctx: PageContext) -> PageTable:
    from smartspec.store import web_services as wsvc

    t = ctx.t
    rows = []
    for w in wsvc.list_workshops(ctx.db, ctx.workspace):
        rows.append({"_id": w.id, "title": (w.title, f"{ctx.base}/workshops/{w.id}"),
                     "kind": t(_term(w.kind)), "status": t(_term(w.status)),
                     "items": len(w.items or []), "opened_at": w.opened_at,
                     "closed_at": w.closed_at})
    return PageTable(key="workshops", title=t("Workshops"), rows=rows,
                     export=f"{ctx.base}/export/workshops",
                     columns=[Column("title", t("Title"), "link"), Column("kind", t("Kind")),
                              Column("status", t("Status")), Column("items", t("Items"), "int"),
                              Column("opened_at", t("Opened"), "datetime"),
                              Column("closed_at", t("Closed"), "datetime")],
                     empty=t("No workshop yet."))


def _workshop_param(ctx: PageContext) -> Any:
    raw = ctx.request.path_params.get("workshop_id") or ctx.request.query_params.get("workshop")
    return _workshop(ctx, raw)


@table_builder("workshop-aggregate", cache=AGGREGATE_TABLES, site_tables=("users",))
def aggregate_table(ctx: PageContext) -> PageTable:
    t = ctx.t
    workshop = _workshop_param(ctx)
    rows = []
    for r in aggregate_rows(ctx, workshop):
        flags = [t("disagrees with the data")] if r.get("disagreement") else []
        if r.get("contested"):
            flags.append(t("contested"))
        cap, opp = finite(r.get("capacity_mean")), finite(r.get("opportunity_mean"))
        cap_sd, opp_sd = finite(r.get("capacity_sd")), finite(r.get("opportunity_sd"))
        rows.append({
            "_id": r["item"], "item": r["item"], "label": r["label"],
            "item_label": (r["item"], r["label"]),
            "data_score": finite(r.get("data_score")), "n": r.get("n", 0),
            "capacity_mean": cap, "capacity_sd": cap_sd,
            "opportunity_mean": opp, "opportunity_sd": opp_sd,
            "capacity_txt": _mean_sd(ctx, cap, cap_sd),
            "opportunity_txt": _mean_sd(ctx, opp, opp_sd),
            "stakeholder_score": finite(r.get("stakeholder_score")),
            "difference": finite(r.get("difference")), "flags": ", ".join(flags),
            "flag_list": flags,
            "comments": " | ".join(f"{c.get('display_name') or c.get('user')}: {c['comment']}"
                                   for c in r.get("comments", [])),
            "comment_list": [(c.get("display_name") or c.get("user"), c["comment"])
                             for c in r.get("comments", [])],
            "decisions": " | ".join(r["decisions"]),
            "_comments": r.get("comments", []), "_is_ta": r["is_ta"],
            "_class": "disagree" if (r.get("disagreement") or r.get("contested")) else "",
        })
    return PageTable(
        key="workshop-aggregate", title=t("Live aggregate"), rows=rows,
        export=f"{ctx.base}/export/workshop-aggregate", params={"workshop": str(workshop.id)},
        attrs={"id": "aggregate-table"},
        columns=[Column("item_label", t("Item"), "item", export=False),
                 Column("item", t("Item"), "code", html=False),
                 Column("label", t("Label"), html=False),
                 Column("data_score", t("Data score"), "num"), Column("n", t("Scores"), "int"),
                 Column("capacity_txt", t("Capacity"), export=False),
                 Column("opportunity_txt", t("Opportunity"), export=False),
                 Column("capacity_mean", t("Capacity"), "num", html=False),
                 Column("capacity_sd", t("Capacity, standard deviation"), "num", html=False),
                 Column("opportunity_mean", t("Opportunity"), "num", html=False),
                 Column("opportunity_sd", t("Opportunity, standard deviation"), "num",
                        html=False),
                 Column("stakeholder_score", t("Stakeholder score"), "num"),
                 Column("difference", t("Difference"), "signed"),
                 Column("flag_list", t("Flags"), "flags", export=False),
                 Column("flags", t("Flags"), html=False),
                 Column("comment_list", t("Comments"), "comments", export=False),
                 Column("comments", t("Comments"), html=False),
                 Column("decisions", t("Decisions"), "long")],
        note=t("Capacity and opportunity: mean of the participants' scores (1-5). Stakeholder "
               "score: ((capacity + opportunity)/2 − 1)/4, from 0 to 1 like the data-driven "
               "score. Highlighted: the two views differ by more than 0.25, or the "
               "participants disagree (a standard deviation of 1 point or more)."))


def _mean_sd(ctx: PageContext, mean: float | None, sd: float | None) -> str | None:
    from smartspec.web.templating import _number

    if mean is None:
        return None
    text = _number(mean, ctx.lang, 2)
    return f"{text} ± {_number(sd, ctx.lang, 2)}" if sd is not None else text


@table_builder("workshop-scores", cache=AGGREGATE_TABLES, site_tables=("users",))
def scores_table(ctx: PageContext) -> PageTable:
    from smartspec.store import web_services as wsvc

    t = ctx.t
    workshop = _workshop_param(ctx)
    labels = _item_labels(ctx, workshop)
    if workshop.status == "closed" and workshop.minutes:
        source = workshop.minutes.get("scores", [])
    else:
        source = [{**s, "at": s["updated_at"]}
                  for s in wsvc.score_rows(ctx.db, ctx.workspace, workshop)]
    rows = [{"item": s["item"], "label": labels.get(str(s["item"]), ""),
             "username": s["username"], "capacity": s["capacity"],
             "opportunity": s["opportunity"], "comment": s.get("comment", ""),
             "at": s.get("at")} for s in source]
    return PageTable(key="workshop-scores", title=t("Scores and comments"), rows=rows,
                     export=f"{ctx.base}/export/workshop-scores",
                     params={"workshop": str(workshop.id)},
                     columns=[Column("item", t("Item"), "code"), Column("label", t("Label")),
                              Column("username", t("Participant")),
                              Column("capacity", t("Capacity"), "int"),
                              Column("opportunity", t("Opportunity"), "int"),
                              Column("comment", t("Comment"), "long"),
                              Column("at", t("When"), "datetime")],
                     empty=t("No scores yet."))


# ----------------------------------------------------------------------------------- pages


def _list_page(ctx: PageContext, *, status_code: int = 200,
               messages: list[tuple[str, Any]] | None = None,
               values: dict[str, str] | None = None) -> Response:
    from smartspec.store import services as svc

    return ctx.render("workshops.html", {
        "workshops": workshops_table(ctx), "values": values or {},
        "tas": svc.list_tas(ctx.db, ctx.workspace, status="selected"),
    }, nav="workshops", status_code=status_code, messages=messages or [])


@router.get("/w/{slug}/workshops")
def workshops(request: Request, db: DB,
              access: Viewer) -> Response:
    return _list_page(PageContext(request, db, access, access.user))


@router.post("/w/{slug}/workshops")
def open_workshop(request: Request, form: FormData,
                  db: DB,
                  access: Analyst) -> Response:
    """Open an EDW on the best candidates (or given codes) or an ADW on a TA's actions."""
    from smartspec.store import services as svc
    from smartspec.store import web_services as wsvc

    ctx = PageContext(request, db, access, access.user)
    kind = form_text(form, "kind")
    values = {k: form_text(form, k) for k in ("kind", "title", "n_items", "items", "ta")}
    try:
        items: list[str] | None = None
        ta = values["ta"] or None
        if kind == "edw":
            codes = [c.strip().upper() for c in values["items"].replace(";", ",").split(",")
                     if c.strip()]
            if codes:
                items = codes
            else:
                n = form_int(form, "n_items", default=10, low=1, high=50,
                             what=ctx.t("number of candidates"))
                frame = data.candidates(ctx, None, 15).sort_values("rank")
                items = [str(c) for c in frame.index[:n]]
            ta = None
        workshop = wsvc.open_workshop(db, ctx.workspace, kind, title=values["title"],
                                      by=access.user, items=items, ta=ta)
    except (svc.StoreError, ValueError) as exc:
        return _list_page(ctx, status_code=form_error_status(exc),
                          messages=[("error", str(exc))], values=values)
    db.flush()
    return redirect(f"{ctx.base}/workshops/{workshop.id}", ok="workshop_opened")


def _detail(ctx: PageContext, workshop: Any, *, status_code: int = 200,
            messages: list[tuple[str, Any]] | None = None) -> Response:
    from smartspec.store import web_services as wsvc

    t = ctx.t
    aggregate = aggregate_table(ctx)
    mine = {}
    if ctx.user is not None:
        mine = {s["item"]: s for s in wsvc.score_rows(ctx.db, ctx.workspace, workshop,
                                                       user=ctx.user)}
    chart_rows = [{"item": r["item"], "label": r["label"], "data_score": r["data_score"],
                   "mean": 1 + 4 * r["stakeholder_score"]
                   if r["stakeholder_score"] is not None else None,
                   "disagreement": bool(r["_class"])} for r in aggregate.rows]
    chart = None
    if workshop.kind == "edw" and any(r["mean"] is not None for r in chart_rows):
        chart = charts.workshop_chart(
            chart_rows, title=t("Stakeholders and data side by side"),
            caption=t("Each item's mean stakeholder score (capacity and opportunity, 1-5) "
                      "against its data-driven score (0-1). On the dashed line both views "
                      "agree; red items disagree or are contested."),
            x_label=t("data-driven score (0-1)"), y_label=t("stakeholders' mean (1-5)"))
    opener = wsvc.get_user(ctx.db, workshop.opened_by) if workshop.opened_by else None
    return ctx.render("workshop.html", {
        "w": workshop, "aggregate": aggregate, "scores": scores_table(ctx),
        "mine": mine, "items": [(r["item"], r["label"]) for r in aggregate.rows],
        "side_chart": chart, "opener": opener, "poll": POLL_SECONDS,
        "uses_charts": chart is not None,
    }, nav="workshops", status_code=status_code, messages=messages or [])


@router.get("/w/{slug}/workshops/{workshop_id}")
def workshop_page(workshop_id: int, request: Request, db: DB,
                  access: Viewer) -> Response:
    ctx = PageContext(request, db, access, access.user)
    return _detail(ctx, _workshop(ctx, workshop_id))


@router.get("/w/{slug}/workshops/{workshop_id}/aggregate")
def workshop_aggregate_fragment(workshop_id: int, request: Request,
                                db: DB,
                                access: Viewer) -> Response:
    """The live aggregate as an HTML fragment (polled by ``static/js/workshop.js``)."""
    ctx = PageContext(request, db, access, access.user)
    workshop = _workshop(ctx, workshop_id)
    response = ctx.render("_aggregate.html", {"aggregate": aggregate_table(ctx), "w": workshop})
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Workshop-Status"] = workshop.status
    return response


@router.post("/w/{slug}/workshops/{workshop_id}/scores")
def workshop_score(workshop_id: int, request: Request, form: FormData,
                   db: DB,
                   access: Stakeholder) -> Response:
    """Save the participant's scores: ``capacity_<item>``, ``opportunity_<item>``,
    ``comment_<item>`` for every item that has both scores."""
    from smartspec.store import services as svc
    from smartspec.store import web_services as wsvc

    ctx = PageContext(request, db, access, access.user)
    workshop = _workshop(ctx, workshop_id)
    saved = 0
    try:
        for item in workshop.items or []:
            capacity = form_text(form, f"capacity_{item}")
            opportunity = form_text(form, f"opportunity_{item}")
            comment = form_text(form, f"comment_{item}")
            if not capacity and not opportunity:
                if comment:
                    raise svc.StoreValidationError(ctx.t(
                        "%(item)s: give the capacity and opportunity scores with the comment.",
                        item=item))
                continue
            wsvc.score_item(db, ctx.workspace, workshop, access.user, item,
                            capacity=capacity, opportunity=opportunity, comment=comment)
            saved += 1
    except svc.StoreError as exc:
        db.rollback()
        return _detail(ctx, _workshop(ctx, workshop_id), status_code=form_error_status(exc),
                       messages=[("error", str(exc))])
    if not saved:
        return _detail(ctx, workshop, status_code=422, messages=[("error", ctx.t(
            "Nothing was saved: score the capacity and opportunity of at least one item."))])
    return redirect(f"{ctx.base}/workshops/{workshop.id}#aggregate", ok="scored")


@router.post("/w/{slug}/workshops/{workshop_id}/decisions")
def workshop_decision(workshop_id: int, request: Request, form: FormData,
                      db: DB,
                      access: Analyst) -> Response:
    from smartspec.store import services as svc
    from smartspec.store import web_services as wsvc

    ctx = PageContext(request, db, access, access.user)
    workshop = _workshop(ctx, workshop_id)
    try:
        wsvc.record_decision(db, ctx.workspace, workshop, form_text(form, "item"),
                             form_text(form, "decision"), by=access.user)
    except svc.StoreError as exc:
        return _detail(ctx, workshop, status_code=form_error_status(exc),
                       messages=[("error", str(exc))])
    return redirect(f"{ctx.base}/workshops/{workshop.id}", ok="decision_saved")


@router.post("/w/{slug}/workshops/{workshop_id}/select")
def workshop_select_ta(workshop_id: int, request: Request, form: FormData,
                       db: DB,
                       access: Analyst) -> Response:
    """Select an EDW item as TA; its snapshot stores the evidence and the workshop verdict."""
    from smartspec.store import services as svc
    from smartspec.store import web_services as wsvc

    ctx = PageContext(request, db, access, access.user)
    workshop = _workshop(ctx, workshop_id)
    item = form_text(form, "item").upper()
    frame = data.candidates(ctx, None, 15)
    try:
        wsvc.select_ta_from_workshop(
            db, ctx.workspace, workshop, item,
            candidate=frame.loc[item] if item in frame.index else None,
            data_scores=_data_scores(ctx, workshop),
            discovery={"weights": frame.attrs.get("weights"), "year": frame.attrs.get("year"),
                       "rank": int(frame.at[item, "rank"]) if item in frame.index else None})
    except (svc.StoreError, ValueError) as exc:
        return _detail(ctx, workshop, status_code=form_error_status(exc),
                       messages=[("error", str(exc))])
    return redirect(f"{ctx.base}/workshops/{workshop.id}", ok="ta_selected")


@router.post("/w/{slug}/workshops/{workshop_id}/close")
def workshop_close(workshop_id: int, request: Request, db: DB,
                   access: Analyst) -> Response:
    from smartspec.store import services as svc
    from smartspec.store import web_services as wsvc

    ctx = PageContext(request, db, access, access.user)
    workshop = _workshop(ctx, workshop_id)
    try:
        wsvc.close_workshop(db, ctx.workspace, workshop,
                            data_scores=_data_scores(ctx, workshop))
    except svc.StoreError as exc:
        return _detail(ctx, workshop, status_code=form_error_status(exc),
                       messages=[("error", str(exc))])
    return redirect(f"{ctx.base}/workshops/{workshop.id}", ok="workshop_closed")


@router.get("/w/{slug}/workshops/{workshop_id}/minutes.{fmt}")
def workshop_minutes(workshop_id: int, fmt: str, request: Request,
                     db: DB,
                     access: Viewer) -> Response:
    """The minutes: Excel with one sheet each for the workshop, the aggregate, the scores and
    the decisions; CSV as one table with a ``section`` column."""
    from smartspec.store import web_services as wsvc

    ctx = PageContext(request, db, access, access.user)
    workshop = _workshop(ctx, workshop_id)
    minutes = wsvc.workshop_minutes(db, ctx.workspace, workshop,
                                    data_scores=_data_scores(ctx, workshop))
    labels = _item_labels(ctx, workshop)
    info = minutes["workshop"]
    meta = pd.DataFrame([{"field": k, "value": ", ".join(map(str, v)) if isinstance(v, list)
                          else v} for k, v in info.items()]
                        + [{"field": "participants", "value": ", ".join(
                            p["username"] for p in minutes.get("participants", []))}])
    aggregate = pd.DataFrame([{**{k: v for k, v in r.items() if k != "comments"},
                               "label": labels.get(str(r["item"]), ""),
                               "comments": " | ".join(c["comment"] for c in r.get("comments", []))}
                              for r in minutes["aggregate"]])
    scores = pd.DataFrame([{**s, "label": labels.get(str(s["item"]), "")}
                           for s in minutes["scores"]],
                          columns=["item", "label", "username", "capacity", "opportunity",
                                   "comment", "at"])
    decisions = pd.DataFrame(minutes["decisions"], columns=["item", "decision", "by", "at"])
    name = f"{ctx.workspace.slug}-workshop-{workshop.id}-minutes"
    if fmt == "xlsx":
        from smartspec.web.pages.common import _defuse

        buffer = io.BytesIO()
        with pd.ExcelWriter(buffer, engine="openpyxl") as writer:
            for sheet, frame in (("workshop", meta), ("aggregate", aggregate),
                                 ("scores", scores), ("decisions", decisions)):
                frame.map(_defuse).to_excel(writer, sheet_name=sheet, index=False)
        return Response(buffer.getvalue(),
                        media_type="application/vnd.openxmlformats-officedocument."
                                   "spreadsheetml.sheet",
                        headers={"Content-Disposition": f'attachment; filename="{name}.xlsx"'})
    if fmt == "csv":
        parts = [scores.assign(section="score"),
                 decisions.rename(columns={"by": "username"}).assign(section="decision")]
        flat = pd.concat(parts, ignore_index=True)
        table = PageTable(key="minutes", title="minutes", rows=flat.to_dict("records"),
                          columns=[Column(c, c) for c in ["section", "item", "label", "username",
                                                          "capacity", "opportunity", "comment",
                                                          "decision", "at"]])
        return export_response(table, "csv", labels=ctx.labels, filename=name)
    raise HTTPException(status_code=404, detail=f"unknown format {fmt!r}")
