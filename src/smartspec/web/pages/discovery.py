"""Element 2, discovery: the candidate TAs with adjustable weights, the quadrant and robustness
views, the page of one candidate / TA, and the selection of a TA with its evidence."""

from __future__ import annotations

import math
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
    Viewer,
    finite,
    form_error_status,
    form_text,
    redirect,
    table_builder,
)
from smartspec.web.pages.vocab import label as _term

__all__ = ["router"]

router = APIRouter()

#: Rows of the candidate table unless ``?n=`` says otherwise.
DEFAULT_ROWS = 20
#: k of the robustness probability P(top k) (the API's default, so the cache is shared).
TOP_K = 15


def _weights(ctx: PageContext) -> tuple[dict[str, float] | None, list[str]]:
    return data.parse_weights(ctx.request.query_params)


def _rows(ctx: PageContext) -> int:
    raw = ctx.request.query_params.get("n", "")
    try:
        value = int(raw)
    except ValueError:
        return DEFAULT_ROWS
    return max(1, min(value, 200))



def _mode_key(mode: Any) -> str:
    return str(mode or "").replace(" ", "_")


@table_builder("candidates", cache=("selected_tas",))
def candidates_table(ctx: PageContext) -> PageTable:
    """The ranked candidates for the weights of the query (``w_<subscore>``)."""
    from smartspec.store import services as svc

    t = ctx.t
    weights, _ = _weights(ctx)
    frame = data.candidates(ctx, weights, TOP_K).sort_values("rank")
    reference = data.candidates(ctx, None, TOP_K)["rank"] if weights else None
    selected = {ta.activity: ta.status for ta in svc.list_tas(ctx.db, ctx.workspace)}
    rows = []
    for code, r in frame.head(_rows(ctx)).iterrows():
        move = None
        if reference is not None and code in reference.index:
            move = int(reference[code]) - int(r["rank"])
        rows.append({
            "_id": code, "rank": int(r["rank"]), "activity": code, "score": finite(r["score"]),
            **{k: finite(r[k]) for k in data.SUBSCORES},
            "p_top_k": finite(r.get("p_top_k")),
            "quadrant": r.get("quadrant"), "mode": t(_term(_mode_key(r.get("mode")))),
            "partners": list(r.get("partners") or []), "_move": move,
            "_status": selected.get(code), "_label": r.get("label"),
            "_class": "selected-row" if selected.get(code) == "selected" else "",
        })
    params = {f"w_{k}": f"{v:g}" for k, v in (weights or {}).items()}
    if "n" in ctx.request.query_params:
        params["n"] = str(_rows(ctx))
    return PageTable(
        key="candidates", title=t("Candidate transformative activities"), rows=rows,
        export=f"{ctx.base}/export/candidates", params=params,
        attrs={"id": "candidates-table"},
        columns=[Column("rank", t("Rank"), "int"), Column("activity", t("Activity"), "activity"),
                 Column("score", t("Score"), "num"),
                 Column("feasibility", t("Feasibility"), "num"),
                 Column("value", t("Value"), "num"), Column("advantage", t("Advantage"), "num"),
                 Column("momentum", t("Momentum"), "num"),
                 Column("transformative_potential", t("Transformative potential"), "num"),
                 Column("capability_gap", t("Capability gap"), "num"),
                 Column("p_top_k", t("P(top %(k)s)", k=TOP_K), "num"),
                 Column("mode", t("Mode")), Column("partners", t("Partner regions"), "regions")],
        note=t("Sub-scores from 0 to 1; higher is better except the capability gap (1 = the "
               "largest gap, which lowers the score). P(top k): the share of random weightings "
               "(Monte Carlo, fixed seed) in which the candidate stays among the best k."))


def _vocabulary(ctx: PageContext) -> dict[str, str]:
    from smartspec.web.pages.vocab import VOCABULARY

    return {k: ctx.t(v) for k, v in VOCABULARY.items()}


@router.get("/w/{slug}/discovery")
def discovery(request: Request, db: DB,
              access: Viewer) -> Response:
    from smartspec.reports import charts as rc

    ctx = PageContext(request, db, access, access.user)
    t = ctx.t
    weights, problems = _weights(ctx)
    messages = [("error", t("Weights ignored: %(why)s", why="; ".join(problems)))] \
        if problems else []
    try:
        frame = data.candidates(ctx, weights, TOP_K)
    except ValueError as exc:
        messages.append(("error", str(exc)))
        weights, frame = None, data.candidates(ctx, None, TOP_K)
    prof = data.profile(ctx)
    key = tuple(sorted((weights or {}).items()))

    def build() -> list[Any]:
        shown = frame.assign(label=[ctx.labels.activity(c, str(lab)) for c, lab in
                                    zip(frame.index, frame["label"], strict=True)])
        shown.attrs = dict(frame.attrs)
        quadrant = charts.page_chart(rc.quadrant_chart(shown, prof, top=40))
        subscores = charts.page_chart(rc.subscore_chart(shown, prof, top=15))
        robustness = charts.robustness_chart(
            shown, top=20, title=t("Robustness of the ranking"),
            caption=t("Probability that each of the best-ranked candidates stays in the top "
                      "%(k)s when the weights are drawn at random around the chosen ones "
                      "(%(n)s Monte Carlo draws, seed %(seed)s). Dark bars: 0.5 or more.",
                      k=TOP_K, n=frame.attrs.get("n_draws", "?"),
                      seed=frame.attrs.get("seed", 0)))
        return [quadrant, subscores, robustness]

    page_charts = data.cached(ctx, "discovery_charts", key, compute=build)
    current = {**data.default_weights(), **(weights or {})}

    def reference_view() -> tuple[dict[str, int], dict[str, str]]:
        reference = data.candidates(ctx, None, TOP_K)
        labels = dict(zip(reference.index, reference["label"], strict=True))
        return ({str(c): int(r) for c, r in reference["rank"].items()},
                {str(c): ctx.labels.activity(c, str(labels[c])) for c in reference.index})

    default_ranks, activity_labels = data.cached(ctx, "discovery_reference",
                                                 compute=reference_view)
    from smartspec.store import services as svc

    selected = [ta.activity for ta in svc.list_tas(db, ctx.workspace, status="selected")]
    names = {"feasibility": t("Feasibility"), "value": t("Value"), "advantage": t("Advantage"),
             "momentum": t("Momentum"), "transformative_potential": t("Transformative potential"),
             "capability_gap": t("Capability gap")}
    return ctx.render("discovery.html", {
        "candidates": candidates_table(ctx), "weights": current,
        "defaults": data.default_weights(), "subscores": data.SUBSCORES,
        "rows": _rows(ctx), "charts": page_charts,
        "year": frame.attrs.get("year"), "excluded": frame.attrs.get("excluded") or [],
        "vocabulary": _vocabulary(ctx), "top_k": TOP_K, "uses_charts": True,
        "subscore_names": names, "selected_codes": selected,
        "default_ranks": default_ranks, "activity_labels": activity_labels,
        "api": f"/api/v1/workspaces/{ctx.workspace.slug}/candidates",
    }, nav="discovery", messages=messages)


# ------------------------------------------------------------------------------ one candidate


def _candidate(ctx: PageContext, code: str) -> pd.Series | None:
    frame = data.candidates(ctx, None, TOP_K)
    return frame.loc[code] if code in frame.index else None


@table_builder("related", cache=())
def related_table(ctx: PageContext) -> PageTable:
    """Activities linked to the TA in the activity space: present ones and the gaps."""
    t = ctx.t
    code = _code_param(ctx)
    prof = data.profile(ctx)
    space = prof.activity_space
    edges = space.edges
    nodes = space.nodes
    links = edges[(edges["source"] == code) | (edges["target"] == code)]
    rows = []
    for _, e in links.iterrows():
        other = e["target"] if e["source"] == code else e["source"]
        present = bool(nodes.at[other, "present"]) if other in nodes.index else False
        rows.append({"activity": other, "proximity": finite(e["proximity"]),
                     "rca": finite(nodes.at[other, "rca"]) if other in nodes.index else None,
                     "present": present, "_class": "" if present else "highlight"})
    rows.sort(key=lambda r: -(r["proximity"] or 0))
    return PageTable(
        key="related", title=t("Related activities"), rows=rows,
        export=f"{ctx.base}/export/related", params={"code": code},
        columns=[Column("activity", t("Activity"), "activity"),
                 Column("proximity", t("Proximity"), "num"),
                 Column("rca", t("RCA of the region"), "num"),
                 Column("present", t("Specialised"), "bool")],
        note=t("Links of the activity in the activity space (proximity: how often two "
               "activities are co-specialised across regions). Highlighted: related "
               "activities the region is not specialised in, i.e. capabilities to build or "
               "to borrow from partner regions."),
        empty=t("The activity has no drawn link in the activity space."))


def _code_param(ctx: PageContext) -> str:
    code = ctx.request.path_params.get("code") or ctx.request.query_params.get("code", "")
    code = str(code).strip().upper()
    if not code or len(code) > 20 or not code.replace(".", "").replace("-", "").isalnum():
        raise HTTPException(status_code=404, detail="unknown activity")
    return code


@table_builder("partners", cache=("workspace_regions",))
def partners_table(ctx: PageContext) -> PageTable:
    t = ctx.t
    code = _code_param(ctx)
    row = _candidate(ctx, code)
    partners = list(row.get("partners") or []) if row is not None else []
    ws_partners = {r.code for r in ctx.workspace.regions if r.role == "partner"}
    eci = data.all_region_eci(ctx)
    rows = [{"region": p, "eci": finite(eci.get(p)), "order": i + 1,
             "in_workspace": p in ws_partners} for i, p in enumerate(partners)]
    return PageTable(
        key="partners", title=t("Partner regions"), rows=rows,
        export=f"{ctx.base}/export/partners", params={"code": code},
        columns=[Column("order", t("Order"), "int"), Column("region", t("Region"), "region"),
                 Column("eci", t("ECI"), "num"),
                 Column("in_workspace", t("Partner of the workspace"), "bool")],
        note=t("Neighbouring or Alpine Space regions specialised in the missing related "
               "activities, best first: ranked by how much pooling their capabilities raises "
               "the candidate's relatedness density."),
        empty=t("No partner region holds the missing capabilities."))


def _subscore_chart(ctx: PageContext, row: pd.Series, code: str) -> Any:
    import plotly.graph_objects as go

    t = ctx.t
    names = [t(n) for n in ("Feasibility", "Value", "Advantage", "Momentum",
                            "Transformative potential", "Capability gap")]
    values = [finite(row.get(k)) or 0.0 for k in data.SUBSCORES]
    colours = [charts.PRIMARY] * 5 + [charts.ACCENT]
    fig = go.Figure(go.Bar(x=values, y=names, orientation="h", marker_color=colours,
                           hovertemplate="%{y}: %{x:.2f}<extra></extra>"))
    fig.update_layout(template=None, height=280,  # plotly_white: added by figure_json
                      margin=dict(l=10, r=10, t=10, b=30),
                      xaxis=dict(range=[0, 1]), yaxis=dict(autorange="reversed"))
    return charts.page_chart(fig, key=f"subscores-{code}", title=t("Sub-scores"),
                             caption=t("The capability gap (red) lowers the score; every "
                                       "other sub-score raises it."))


@router.get("/w/{slug}/ta/{code}")
def ta_page(code: str, request: Request, db: DB,
            access: Viewer) -> Response:
    from smartspec.store import planning
    from smartspec.store import services as svc

    ctx = PageContext(request, db, access, access.user)
    t = ctx.t
    code = _code_param(ctx)
    row = _candidate(ctx, code)
    try:
        ta = svc.get_ta(db, ctx.workspace, code)
    except svc.NotFoundError:
        ta = None
    if row is None and ta is None:
        raise HTTPException(status_code=404, detail=f"{code} is not a candidate activity")
    snapshot = (ta.evidence_snapshot or {}) if ta is not None else {}
    if row is None:
        row = pd.Series(snapshot.get("candidate") or {})
    diagnosis: dict[str, Any] = {}
    if snapshot:
        diagnosis = {"critical_mass": snapshot.get("critical_mass") or {},
                     "skill_gap": snapshot.get("skill_gap") or []}
    else:
        try:
            diagnosis = planning.diagnose(db, ctx.workspace, code, candidate=row)
        except (svc.StoreError, ValueError) as exc:
            diagnosis = {"error": str(exc)}
    mass = diagnosis.get("critical_mass") or {}
    ratio = finite(mass.get("ratio"))
    gauge = data.cached(ctx, "gauge", code, None if ratio is None else round(ratio, 4),
                        compute=lambda: charts.critical_mass_gauge(
        ratio, key=f"mass-{code}", title=t("Critical mass"),
        caption=t("Capacity (local employment in the activity plus partner regions' "
                  "employment) over the size-star threshold (90th percentile of the "
                  "specialised regions)."), label=t("capacity / threshold")))
    scores = tuple(finite(row.get(k)) for k in data.SUBSCORES)
    subscores = data.cached(ctx, "subscores", code, scores,
                            compute=lambda: _subscore_chart(ctx, row, code))
    partners = list(row.get("partners") or [])
    names = data.region_names()
    partner_map = data.cached(ctx, "partner_map", code, tuple(partners),
                              compute=lambda: charts.workspace_map(
        ctx.workspace.home_region, partners, names=names, values=data.all_region_eci(ctx),
        title=t("Partner regions"), partner_label=t("partner region"),
        caption_intro=t("Diamonds: the partner regions proposed for %(code)s.", code=code)))
    skill_labels = []
    if diagnosis.get("skill_gap"):
        from smartspec.strategy.matching import skill_label

        skill_labels = [skill_label(s) for s in diagnosis["skill_gap"]]
    return ctx.render("ta.html", {
        "code": code, "row": row, "ta": ta, "snapshot": snapshot, "mass": mass,
        "diagnosis": diagnosis, "skill_gap": skill_labels,
        "charts": [subscores, gauge], "partner_map": partner_map,
        "related": related_table(ctx), "partners": partners_table(ctx),
        "mode": _mode_key(row.get("mode")), "uses_charts": True,
        "nan": lambda v: v is None or (isinstance(v, float) and math.isnan(v)),
    }, nav="discovery")


@router.post("/w/{slug}/ta/{code}/select")
def ta_select(code: str, request: Request, form: FormData,
              db: DB,
              access: Analyst) -> Response:
    """Select a candidate as TA, storing the candidate row on screen (with the weights)."""
    from smartspec.store import services as svc
    from smartspec.store import web_services as wsvc

    ctx = PageContext(request, db, access, access.user)
    code = _code_param(ctx)
    weights, _ = data.parse_weights(form)
    frame = data.candidates(ctx, weights, TOP_K)
    if code not in frame.index:
        raise HTTPException(status_code=404, detail=f"{code} is not a candidate activity")
    row = frame.loc[code]
    discovery_info = {"weights": frame.attrs.get("weights"), "year": frame.attrs.get("year"),
                      "rank": int(row["rank"]), "n_candidates": len(frame),
                      "top_k": TOP_K, "sources": frame.attrs.get("sources")}
    try:
        wsvc.select_ta_with_evidence(db, ctx.workspace, code, candidate=row,
                                     discovery=discovery_info)
    except (svc.StoreError, ValueError) as exc:
        raise HTTPException(status_code=form_error_status(exc), detail=str(exc)) from None
    return redirect(f"{ctx.base}/ta/{code}", ok="ta_selected")


@router.post("/w/{slug}/ta/{code}/status")
def ta_status(code: str, request: Request, form: FormData,
              db: DB,
              access: Analyst) -> Response:
    """Drop a TA or select a dropped one again."""
    from smartspec.store import services as svc

    ctx = PageContext(request, db, access, access.user)
    code = _code_param(ctx)
    status = form_text(form, "status")
    if status not in ("selected", "dropped"):
        raise HTTPException(status_code=422, detail="status must be selected or dropped")
    try:
        svc.set_ta_status(db, ctx.workspace, code, status)
    except svc.StoreError as exc:
        raise HTTPException(status_code=form_error_status(exc), detail=str(exc)) from None
    return redirect(f"{ctx.base}/ta/{code}",
                    ok="ta_dropped" if status == "dropped" else "ta_reselected")
