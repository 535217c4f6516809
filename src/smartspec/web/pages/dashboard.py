"""The workspace dashboard: map, key figures, TAs with traffic lights, deadlines, activity."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from smartspec.web import charts
from smartspec.web.i18n import N_
from smartspec.web.pages import data
from smartspec.web.pages.common import DB, Column, PageContext, PageTable, Viewer, table_builder
from smartspec.web.pages.vocab import label as _term

__all__ = ["router"]

router = APIRouter()

#: How the audit log's tables are named on the page.
TABLE_NAMES = {
    "workspaces": N_("workspace"), "workspace_regions": N_("region"),
    "selected_tas": N_("transformative activity"), "actors": N_("actor"),
    "actions": N_("action"), "action_participants": N_("action participant"),
    "consortia": N_("consortium"), "consortium_members": N_("consortium member"),
    "funding_instruments": N_("funding instrument"), "good_practices": N_("good practice"),
    "monitoring_records": N_("observation"), "monitoring_indicators": N_("indicator"),
    "monitoring_plans": N_("monitoring plan"), "monitoring_data_years": N_("data year"),
    "workshops": N_("workshop"), "workshop_scores": N_("workshop score"),
    "workshop_decisions": N_("workshop decision"), "memberships": N_("membership"),
    "invitations": N_("invitation"), "users": N_("account"),
    "self_assessments": N_("self-assessment"), "self_assessment_scores": N_("self-assessment score"),
}
VERBS = {"create": N_("created"), "update": N_("updated"), "delete": N_("deleted")}


def _describe(entry: Any) -> str:
    doc = entry.after or entry.before or {}
    for key in ("title", "name", "activity", "item", "indicator_key", "username", "code"):
        value = doc.get(key) if isinstance(doc, dict) else None
        if value:
            return str(value)[:80]
    return f"#{entry.object_id}"


@table_builder("activity")
def activity_table(ctx: PageContext) -> PageTable:
    """The latest changes of the workspace (audit log)."""
    from smartspec.store import services as svc

    t = ctx.t
    rows = []
    for e in svc.audit_entries(ctx.db, ctx.workspace, limit=40):
        rows.append({"at": e.at, "who": e.who, "action": t(VERBS.get(e.action, e.action)),
                     "what": t(TABLE_NAMES.get(e.table_name, e.table_name)),
                     "object": _describe(e), "context": e.context})
    return PageTable(key="activity", title=t("Recent activity"), rows=rows,
                     export=f"{ctx.base}/export/activity",
                     columns=[Column("at", t("When"), "datetime"), Column("who", t("Who")),
                              Column("action", t("Change")), Column("what", t("Object")),
                              Column("object", t("Name"))],
                     empty=t("No changes recorded yet."))


@table_builder("deadlines", cache=("actions", "selected_tas"))
def deadlines_table(ctx: PageContext) -> PageTable:
    from smartspec.store import services as svc

    t = ctx.t
    rows = []
    for d in data.deadlines(svc.list_actions(ctx.db, ctx.workspace), limit=10):
        a = d["action"]
        rows.append({"due": d["due"], "what": t("deadline") if d["what"] == "deadline"
                     else d["what"], "action": a.title,
                     "ta": a.ta.activity if a.ta is not None else None,
                     "status": t(_term(a.status)), "days": d["days"],
                     "_class": "disagree" if d["overdue"] else ""})
    return PageTable(key="deadlines", title=t("Upcoming deadlines"), rows=rows,
                     export=f"{ctx.base}/export/deadlines",
                     columns=[Column("due", t("Due"), "date"), Column("what", t("What")),
                              Column("action", t("Action")), Column("ta", t("TA"), "code"),
                              Column("status", t("Status")),
                              Column("days", t("Days left"), "int")],
                     note=t("Deadlines and milestones of actions that are not done or "
                            "cancelled; overdue ones are highlighted."),
                     empty=t("No upcoming deadlines."))


@table_builder("tas", cache=(*data.CHECK_TABLES, "actions"))
def tas_table(ctx: PageContext) -> PageTable:
    """The workspace's selected TAs with the viability check's traffic light."""
    from smartspec.store import services as svc

    t = ctx.t
    tas = svc.list_tas(ctx.db, ctx.workspace)
    lights = data.ta_lights(ctx, [ta for ta in tas if ta.status == "selected"])
    actions = svc.list_actions(ctx.db, ctx.workspace)
    rows = []
    for ta in tas:
        light = lights.get(ta.id, {})
        mine = [a for a in actions if a.ta_id == ta.id]
        mass = (ta.evidence_snapshot or {}).get("critical_mass") or {}
        rows.append({
            "_id": ta.id, "activity": ta.activity, "label": ta.label,
            "status": t(_term(ta.status)), "_status": ta.status,
            "mode": t(_term(ta.mode)) if ta.mode else None,
            "score": data.score_of(ta.evidence_snapshot),
            "critical_mass": data.finite(mass.get("ratio")),
            "actions": f"{sum(a.status == 'done' for a in mine)}/{len(mine)}",
            "light": light.get("status"), "_reasons": light.get("reasons", []),
            "_error": light.get("error", ""),
        })
    return PageTable(key="tas", title=t("Transformative activities"), rows=rows,
                     export=f"{ctx.base}/export/tas",
                     columns=[Column("activity", t("TA"), "code"), Column("label", t("Activity")),
                              Column("status", t("Status")), Column("mode", t("Mode")),
                              Column("score", t("Score"), "num"),
                              Column("critical_mass", t("Critical mass"), "num"),
                              Column("actions", t("Actions done")),
                              Column("light", t("Check"), "light")],
                     empty=t("No transformative activity selected yet: see Discovery."))



#: The tables behind the dashboard's key figures (besides the evidence).
FIGURE_TABLES = ("selected_tas", "actions", "actors", "workshops")


def _figures(ctx: PageContext, prof: Any) -> list[tuple[str, str, str]]:
    from smartspec.store import services as svc
    from smartspec.store import web_services as wsvc

    t, num = ctx.t, _num(ctx)
    figures = [(t("Persons employed"), num(prof.total_employment),
                t("business economy, %(year)s", year=prof.year))]
    figures.append((t("Economic complexity"), f"{num(prof.eci, 2)}",
                    t("rank %(rank)s of %(n)s regions", rank=prof.eci_rank, n=prof.n_regions)))
    context = prof.context if prof.context is not None else None
    if context is not None and len(context):
        by = context.set_index("indicator")
        for key, label in (("population", t("Population")),
                           ("gdp_million_eur", t("GDP (million EUR)"))):
            if key in by.index and data.finite(by.at[key, "latest"]) is not None:
                figures.append((label, num(by.at[key, "latest"]), str(by.at[key, "year"])))
    tas = svc.list_tas(ctx.db, ctx.workspace, status="selected")
    actions = svc.list_actions(ctx.db, ctx.workspace)
    figures.append((t("Selected TAs"), str(len(tas)), ", ".join(x.activity for x in tas)))
    done = sum(a.status == "done" for a in actions)
    figures.append((t("Actions"), f"{done} / {len(actions)}", t("done / all")))
    figures.append((t("Actors"), str(len(svc.list_actors(ctx.db, ctx.workspace))),
                    t("quadruple helix")))
    open_ws = wsvc.list_workshops(ctx.db, ctx.workspace, status="open")
    figures.append((t("Open workshops"), str(len(open_ws)),
                    ", ".join(w.kind.upper() for w in open_ws)))
    return figures


def _num(ctx: PageContext) -> Any:
    from smartspec.web.templating import _number

    return lambda v, d=0: _number(v, ctx.lang, d)


def dashboard_map(ctx: PageContext, prof: Any) -> Any:
    """The workspace's map (cached per workspace, data version, language and partners)."""
    partners = tuple(r.code for r in ctx.workspace.regions if r.role == "partner")
    return data.cached(ctx, "dashboard_map", partners,
                       compute=lambda: _dashboard_map(ctx, prof, list(partners)))


def _dashboard_map(ctx: PageContext, prof: Any, partners: list[str]) -> Any:
    ws = ctx.workspace
    codes = [ws.home_region, *partners]
    names = data.region_names()
    t = ctx.t
    return charts.workspace_map(
        ws.home_region, partners, names=names, values=data.all_region_eci(ctx),
        value_name="ECI", title=t("The region and its partners"),
        partner_label=t("partner region"),
        caption_intro=t("Coloured by the economic complexity index (ECI) of each region; "
                        "diamonds mark the workspace's partner regions (%(codes)s).",
                        codes=", ".join(codes[1:]) or "–"),
        attribution=prof.attribution.split(";")[0] if prof.attribution else "")


@router.get("/w/{slug}")
def dashboard(request: Request, db: DB,
              access: Viewer) -> Response:
    ctx = PageContext(request, db, access, access.user)
    prof = data.profile(ctx)
    return ctx.render("dashboard.html", {
        "profile": prof,
        "figures": data.cached_on(ctx, "dashboard_figures", FIGURE_TABLES,
                                  compute=lambda: _figures(ctx, prof)), "map": dashboard_map(ctx, prof),
        "tas": tas_table(ctx), "deadlines": deadlines_table(ctx),
        "activity": activity_table(ctx), "uses_charts": True,
    })
