"""Element 3, strategy: the draft strategy per TA, the action editor, the consortium builder
with its constraints, actor matching, funding matches and the actor registry."""

from __future__ import annotations

import datetime as dt
import os
import tempfile
from pathlib import Path
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

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
    form_float,
    form_int,
    form_text,
    redirect,
    table_builder,
)
from smartspec.web.pages.vocab import label as _term

__all__ = ["router"]

router = APIRouter()



def current_ta(ctx: PageContext, *, required: bool = False) -> Any:
    """The TA chosen with ``?ta=<code>`` (default: the first selected TA), or None."""
    from smartspec.store import services as svc

    tas = svc.list_tas(ctx.db, ctx.workspace, status="selected")
    code = (ctx.param("ta") or "").strip().upper()
    if code:
        for ta in svc.list_tas(ctx.db, ctx.workspace):
            if ta.activity == code:
                return ta
        raise HTTPException(status_code=404, detail=f"no TA {code}")
    if tas:
        return tas[0]
    if required:
        raise HTTPException(status_code=404, detail="the workspace has no selected TA")
    return None


def _actor_names(ctx: PageContext) -> dict[int, Any]:
    from smartspec.store import services as svc

    return {a.id: a for a in svc.list_actors(ctx.db, ctx.workspace)}


@table_builder("actions")
def actions_table(ctx: PageContext) -> PageTable:
    """The actions of the chosen TA (``?ta=``), in strategy order."""
    from smartspec.store import services as svc

    t = ctx.t
    ta = current_ta(ctx)
    actors = _actor_names(ctx)
    rows = []
    for a in svc.list_actions(ctx.db, ctx.workspace, ta=ta) if ta is not None else []:
        owner = actors.get(a.owner_id)
        rows.append({
            "_id": a.id, "phase": a.phase, "title": a.title,
            "type": t(_term(a.action_type)), "status": t(_term(a.status)), "_status": a.status,
            "lead": owner.name if owner else (t(_term(a.lead_actor_type))
                                              if a.lead_actor_type else None),
            "start": a.start, "end": a.end, "deadline": a.deadline,
            "budget": a.budget, "rationale": a.rationale,
        })
    return PageTable(
        key="actions", title=t("Draft strategy: actions"), rows=rows,
        export=f"{ctx.base}/export/actions", params={"ta": ta.activity} if ta else {},
        columns=[Column("phase", t("Phase"), "int"), Column("title", t("Action"), "long"),
                 Column("type", t("Type")), Column("status", t("Status")),
                 Column("lead", t("Lead")), Column("start", t("Start"), "date"),
                 Column("end", t("End"), "date"), Column("deadline", t("Deadline"), "date"),
                 Column("budget", t("Budget (EUR)"), "int"),
                 Column("rationale", t("Why"), "long")],
        empty=t("No action yet. Generate a draft strategy from the TA's diagnosis, or add "
                "actions by hand."))


@table_builder("matches")
def matches_table(ctx: PageContext) -> PageTable:
    """The workspace's actors scored against the chosen TA's needs and gaps."""
    from smartspec.store import services as svc
    from smartspec.strategy.matching import match_actors, ta_skills_needed

    t = ctx.t
    ta = current_ta(ctx)
    actors = [svc.actor_to_domain(a) for a in svc.list_actors(ctx.db, ctx.workspace)]
    rows = []
    if ta is not None and actors:
        frame = match_actors(actors, ta.activity,
                             skills_needed=ta_skills_needed(actors, ta.activity)[:10])
        for r in frame.head(25).to_dict("records"):
            rows.append({"name": r["name"], "region": r["region"],
                         "type": t(_term(r["actor_type"])), "helix": t(_term(r["helix"])),
                         "activity_fit": finite(r["activity_fit"]),
                         "skills_coverage": finite(r["skills_coverage"]),
                         "score": finite(r["score"]),
                         "closest": r["closest_activity"]})
    return PageTable(
        key="matches", title=t("Actor matching"), rows=rows,
        export=f"{ctx.base}/export/matches", params={"ta": ta.activity} if ta else {},
        columns=[Column("name", t("Actor")), Column("region", t("Region"), "code"),
                 Column("type", t("Type")), Column("helix", t("Helix")),
                 Column("activity_fit", t("Activity fit"), "bar"),
                 Column("skills_coverage", t("Skills covered"), "num"),
                 Column("score", t("Score"), "num"),
                 Column("closest", t("Closest activity"), "activity")],
        note=t("How well each actor's activities and skills cover the TA's needs: the "
               "activity fit (1 = the TA's own activity) and the share of the skills the TA "
               "needs most that the actor holds."),
        empty=t("No actor registered yet."))


@table_builder("funding")
def funding_table(ctx: PageContext) -> PageTable:
    """The best funding instruments for each action of the chosen TA, with the reasons."""
    from smartspec.store import services as svc
    from smartspec.strategy.funding import match_funding

    t = ctx.t
    ta = current_ta(ctx)
    catalogue = [svc.instrument_to_domain(r) for r in
                 svc.list_funding_instruments(ctx.db, ctx.workspace)]
    actors = _actor_names(ctx)
    rows = []
    for a in svc.list_actions(ctx.db, ctx.workspace, ta=ta) if ta is not None else []:
        if a.status == "cancelled":
            continue
        ids = set(a.participant_ids) | ({a.owner_id} if a.owner_id else set())
        members = [svc.actor_to_domain(actors[i]) for i in ids if i in actors]
        frame = match_funding(svc.action_to_domain(a), members or None,
                              region=ctx.workspace.home_region, catalogue=catalogue)
        for r in frame.head(3).to_dict("records"):
            rows.append({"action": a.title, "instrument": r["name"],
                         "programme": r["programme"], "scope": r["scope"],
                         "score": finite(r["score"]),
                         "cofunding": finite(r["cofunding_rate"]),
                         "reasons": "; ".join(r["reasons"]),
                         "caveats": "; ".join(r["caveats"])})
    return PageTable(
        key="funding", title=t("Funding matches"), rows=rows,
        export=f"{ctx.base}/export/funding", params={"ta": ta.activity} if ta else {},
        columns=[Column("action", t("Action")), Column("instrument", t("Instrument")),
                 Column("programme", t("Programme")), Column("scope", t("Scope")),
                 Column("score", t("Score"), "num"), Column("cofunding", t("Co-funding"), "pct"),
                 Column("reasons", t("Why"), "long"), Column("caveats", t("Caveats"), "long")],
        note=t("The three best instruments of the workspace's catalogue per action; eligibility "
               "is checked against the action's owner and participants and the home region."),
        empty=t("No action to fund yet."))


@table_builder("consortia")
def consortia_table(ctx: PageContext) -> PageTable:
    from smartspec.store import services as svc

    t = ctx.t
    ta = current_ta(ctx)
    actors = _actor_names(ctx)
    rows = []
    for c in svc.list_consortia(ctx.db, ctx.workspace, ta=ta) if ta is not None else []:
        for m in c.members:
            a = actors.get(m.actor_id)
            if a is None:
                continue
            from smartspec.strategy.actors import HELIX

            rows.append({"_id": c.id, "consortium": c.name, "coverage": finite(c.coverage),
                         "member": a.name, "role": t("lead") if m.role == "lead" else
                         t("member"), "type": t(_term(a.actor_type)),
                         "helix": t(_term(HELIX.get(a.actor_type, ""))), "region": a.region})
    return PageTable(
        key="consortia", title=t("Consortia"), rows=rows,
        export=f"{ctx.base}/export/consortia", params={"ta": ta.activity} if ta else {},
        columns=[Column("consortium", t("Consortium")), Column("coverage", t("Coverage"), "pct"),
                 Column("member", t("Member")), Column("role", t("Role")),
                 Column("type", t("Type")), Column("helix", t("Helix")),
                 Column("region", t("Region"), "code")],
        empty=t("No consortium for this TA yet."))


@table_builder("actors")
def actors_table(ctx: PageContext) -> PageTable:
    from smartspec.store import services as svc
    from smartspec.strategy.actors import HELIX

    t = ctx.t
    rows = [{"_id": a.id, "name": a.name, "type": t(_term(a.actor_type)),
             "helix": t(_term(HELIX.get(a.actor_type, ""))), "region": a.region,
             "activities": list(a.activities or []), "size": a.size,
             "technologies": list(a.technologies or []), "fictional": a.fictional}
            for a in svc.list_actors(ctx.db, ctx.workspace)]
    return PageTable(
        key="actors", title=t("Actors (quadruple helix)"), rows=rows,
        export=f"{ctx.base}/export/actors",
        columns=[Column("name", t("Name")), Column("type", t("Type")),
                 Column("helix", t("Helix")), Column("region", t("Region"), "code"),
                 Column("activities", t("Activities"), "list"),
                 Column("technologies", t("Technologies"), "list"),
                 Column("size", t("Employees"), "int"),
                 Column("fictional", t("Fictional example"), "bool")],
        empty=t("No actor registered yet."))


# ---------------------------------------------------------------------------------- page


def _page(ctx: PageContext, *, status_code: int = 200,
          messages: list[tuple[str, Any]] | None = None,
          consortium_result: dict[str, Any] | None = None,
          values: dict[str, Any] | None = None) -> Response:
    from smartspec.store import services as svc
    from smartspec.strategy.actions import ACTION_TYPES
    from smartspec.strategy.actors import ACTOR_TYPES, HELIX_TYPES

    ta = current_ta(ctx)
    tas = svc.list_tas(ctx.db, ctx.workspace, status="selected")
    actions = svc.list_actions(ctx.db, ctx.workspace, ta=ta) if ta is not None else []
    can_redraft = bool(actions) and all(a.status == "planned" for a in actions)
    return ctx.render("strategy.html", {
        "ta": ta, "tas": tas, "actions": actions_table(ctx), "matches": matches_table(ctx),
        "funding": funding_table(ctx), "consortia": consortia_table(ctx),
        "actors": actors_table(ctx), "action_types": ACTION_TYPES, "actor_types": ACTOR_TYPES,
        "helix_types": HELIX_TYPES, "can_redraft": can_redraft, "has_actions": bool(actions),
        "result": consortium_result, "values": values or {},
        "actor_list": svc.list_actors(ctx.db, ctx.workspace),
    }, nav="strategy", status_code=status_code, messages=messages or [])


@router.get("/w/{slug}/strategy")
def strategy(request: Request, db: DB,
             access: Viewer) -> Response:
    return _page(PageContext(request, db, access, access.user))


def _ta_url(ctx: PageContext, ta: Any) -> str:
    return f"{ctx.base}/strategy?ta={ta.activity}"


@router.post("/w/{slug}/strategy/draft")
def draft(request: Request, form: FormData, db: DB,
          access: Analyst) -> Response:
    """Draft the TA's strategy from its evidence snapshot (or redraft while all planned)."""
    from smartspec.store import planning
    from smartspec.store import services as svc

    ctx = PageContext(request, db, access, access.user)
    ta = _ta_of_form(ctx, form)
    try:
        planning.draft_and_store(db, ctx.workspace, ta, replace=form_text(form, "replace") == "1")
    except (svc.StoreError, ValueError) as exc:
        return _page(ctx, status_code=form_error_status(exc), messages=[("error", str(exc))])
    return redirect(_ta_url(ctx, ta), ok="drafted")


def _ta_of_form(ctx: PageContext, form: Any) -> Any:
    from smartspec.store import services as svc

    code = form_text(form, "ta").upper()
    ctx.params["ta"] = code
    try:
        return svc.get_ta(ctx.db, ctx.workspace, code)
    except (svc.NotFoundError, svc.CrossWorkspaceError, svc.StoreValidationError):
        raise HTTPException(status_code=404, detail=f"no TA {code!r}") from None


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


def action_values(ctx: PageContext, form: Any, *, new: bool) -> dict[str, Any]:
    """The action fields of a submitted action form (validated by the store service)."""
    values: dict[str, Any] = {
        "title": form_text(form, "title"), "action_type": form_text(form, "action_type"),
        "description": form_text(form, "description"), "notes": form_text(form, "notes"),
        "rationale": form_text(form, "rationale"),
        "start": form_text(form, "start") or None, "end": form_text(form, "end") or None,
        "deadline": form_text(form, "deadline") or None,
        "regions": [r.strip().upper() for r in form_text(form, "regions").replace(";", ",")
                    .split(",") if r.strip()],
        "indicators": _lines(form_text(form, "indicators")),
    }
    t = ctx.t
    for key, label in (("budget", t("budget")), ("committed", t("committed")),
                       ("spent", t("spent"))):
        values[key] = form_float(form, key, default=0.0, low=0.0, what=label)
    owner = form_text(form, "owner")
    values["owner"] = int(owner) if owner.isdigit() else None
    values["participants"] = [int(p) for p in form.getlist("participants")
                              if isinstance(p, str) and p.isdigit()]
    milestones = []
    for line in _lines(form_text(form, "milestones")):
        head, _, rest = line.partition(" ")
        try:
            dt.date.fromisoformat(head)
            milestones.append({"title": rest.strip() or head, "due": head})
        except ValueError:
            milestones.append({"title": line, "due": None})
    values["milestones"] = milestones
    phase = form_int(form, "phase", low=0, high=9, what=t("phase"))
    if phase is not None:
        values["phase"] = phase
    status = form_text(form, "status")
    if status and not new:
        values["status"] = status
    return values


@router.post("/w/{slug}/actions")
def action_create(request: Request, form: FormData,
                  db: DB,
                  access: Analyst) -> Response:
    from smartspec.store import services as svc

    ctx = PageContext(request, db, access, access.user)
    ta = _ta_of_form(ctx, form)
    try:
        values = action_values(ctx, form, new=True)
        values["position"] = len(svc.list_actions(db, ctx.workspace, ta=ta))
        svc.add_action(db, ctx.workspace, values, ta=ta)
    except (svc.StoreError, ValueError) as exc:
        return _page(ctx, status_code=form_error_status(exc), messages=[("error", str(exc))],
                     values={k: form_text(form, k) for k in ("title", "action_type",
                                                             "description", "start", "end",
                                                             "deadline", "budget")})
    return redirect(_ta_url(ctx, ta), ok="action_saved")


def _action(ctx: PageContext, action_id: int) -> Any:
    from smartspec.store import services as svc

    try:
        return svc.get_action(ctx.db, ctx.workspace, action_id)
    except (svc.NotFoundError, svc.CrossWorkspaceError):
        raise HTTPException(status_code=404, detail="action not found") from None


def _edit_page(ctx: PageContext, action: Any, *, status_code: int = 200,
               messages: list[tuple[str, Any]] | None = None) -> Response:
    from smartspec.store import services as svc
    from smartspec.strategy.actions import ACTION_TYPES, ALLOWED_TRANSITIONS
    from smartspec.web.pages.implementation import _in_order

    statuses = [action.status, *_in_order(ALLOWED_TRANSITIONS.get(action.status, ()))]
    return ctx.render("action_edit.html", {
        "a": action, "action_types": ACTION_TYPES, "statuses": statuses,
        "actor_list": svc.list_actors(ctx.db, ctx.workspace),
        "milestones": "\n".join(f"{m.get('due') or ''} {m.get('title', '')}".strip()
                                for m in action.milestones or []),
    }, nav="strategy", status_code=status_code, messages=messages or [])


@router.get("/w/{slug}/actions/{action_id}")
def action_edit(action_id: int, request: Request, db: DB,
                access: Viewer) -> Response:
    ctx = PageContext(request, db, access, access.user)
    return _edit_page(ctx, _action(ctx, action_id))


@router.post("/w/{slug}/actions/{action_id}")
def action_update(action_id: int, request: Request, form: FormData,
                  db: DB,
                  access: Analyst) -> Response:
    from smartspec.store import services as svc
    from smartspec.strategy.actions import InvalidTransition

    ctx = PageContext(request, db, access, access.user)
    action = _action(ctx, action_id)
    try:
        svc.update_action(db, ctx.workspace, action, **action_values(ctx, form, new=False))
    except (svc.StoreError, InvalidTransition, ValueError) as exc:
        db.rollback()
        return _edit_page(ctx, _action(ctx, action_id), status_code=form_error_status(exc),
                          messages=[("error", str(exc))])
    target = f"{ctx.base}/strategy?ta={action.ta.activity}" if action.ta else \
        f"{ctx.base}/implementation"
    return redirect(target, ok="action_saved")


@router.post("/w/{slug}/actions/{action_id}/delete")
def action_delete(action_id: int, request: Request, db: DB,
                  access: Analyst) -> Response:
    from smartspec.store import services as svc

    ctx = PageContext(request, db, access, access.user)
    action = _action(ctx, action_id)
    target = f"{ctx.base}/strategy?ta={action.ta.activity}" if action.ta else \
        f"{ctx.base}/strategy"
    svc.delete_action(db, ctx.workspace, action)
    return redirect(target, ok="action_deleted")


# -------------------------------------------------------------------------------- consortia


@router.post("/w/{slug}/consortia")
def consortium_build(request: Request, form: FormData,
                     db: DB,
                     access: Analyst) -> Response:
    """Build a consortium under the constraints of the form; store it unless ``preview``.

    An infeasible problem is shown with the constraint(s) responsible."""
    from smartspec.store import planning
    from smartspec.store import services as svc
    from smartspec.strategy.actors import HELIX, HELIX_TYPES
    from smartspec.strategy.consortium import ConsortiumInfeasible

    ctx = PageContext(request, db, access, access.user)
    t = ctx.t
    ta = _ta_of_form(ctx, form)
    values = {k: form_text(form, k) for k in ("size_min", "size_max", "max_external",
                                              "min_capacity", "name", "n_skills")}
    values["helix"] = [h for h in form.getlist("helix") if h in HELIX_TYPES]
    values["preview"] = form_text(form, "preview") == "1"
    try:
        size_min = form_int(form, "size_min", default=3, low=1, high=50,
                            what=t("minimum size"))
        size_max = form_int(form, "size_max", default=6, low=1, high=50,
                            what=t("maximum size"))
        if size_min > size_max:
            raise ValueError(t("The minimum size must not exceed the maximum size."))
        max_external = form_int(form, "max_external", low=0, high=50,
                                what=t("external members"))
        n_skills = form_int(form, "n_skills", default=8, low=0, high=30,
                            what=t("skills required"))
        min_capacity = form_float(form, "min_capacity", low=0.0, what=t("minimum capacity"))
        actors = svc.list_actors(db, ctx.workspace)
        kwargs: dict[str, Any] = {"required_helix": tuple(values["helix"]), "time_limit": 10.0}
        if min_capacity is not None:
            kwargs["min_capacity"] = min_capacity
            kwargs["capacity"] = {a.name: float(a.size or 0) for a in actors}
        with db.begin_nested() as savepoint:
            record = planning.build_and_record_consortium(
                db, ctx.workspace, ta, size=(size_min, size_max), max_external=max_external,
                n_skills=n_skills, name=values["name"] or None, **kwargs)
            names = {a.id: a for a in actors}
            params = record.parameters or {}
            result = {
                "feasible": True, "coverage": finite(record.coverage),
                "members": [{"name": names[m.actor_id].name, "role": m.role,
                             "type": names[m.actor_id].actor_type,
                             "helix": HELIX.get(names[m.actor_id].actor_type, ""),
                             "region": names[m.actor_id].region}
                            for m in record.members if m.actor_id in names],
                "covered": params.get("covered") or {}, "stored": not values["preview"],
            }
            if values["preview"]:
                savepoint.rollback()
    except ConsortiumInfeasible as exc:
        result = {"feasible": False, "reasons": list(exc.reasons),
                  "constraints": list(exc.constraints)}
        return _page(ctx, consortium_result=result, values=values, status_code=200)
    except (svc.StoreError, ValueError) as exc:
        return _page(ctx, status_code=form_error_status(exc), messages=[("error", str(exc))],
                     values=values)
    if result["stored"]:
        return redirect(_ta_url(ctx, ta) + "#consortium", ok="consortium_saved")
    return _page(ctx, consortium_result=result, values=values)


@router.post("/w/{slug}/consortia/{consortium_id}/delete")
def consortium_delete(consortium_id: int, request: Request, db: DB,
                      access: Analyst) -> Response:
    from smartspec.store import services as svc

    ctx = PageContext(request, db, access, access.user)
    try:
        svc.delete_consortium(db, ctx.workspace, consortium_id)
    except (svc.NotFoundError, svc.CrossWorkspaceError):
        raise HTTPException(status_code=404, detail="consortium not found") from None
    return redirect(f"{ctx.base}/strategy", ok="consortium_deleted")


# ----------------------------------------------------------------------------------- actors


@router.post("/w/{slug}/actors")
def actor_create(request: Request, form: FormData,
                 db: DB,
                 access: Analyst) -> Response:
    from smartspec.store import services as svc

    ctx = PageContext(request, db, access, access.user)

    def split(name: str) -> list[str]:
        return [v.strip() for v in form_text(form, name).replace(";", ",").split(",")
                if v.strip()]

    values = {"name": form_text(form, "name"), "actor_type": form_text(form, "actor_type"),
              "region": form_text(form, "region").upper(), "activities": split("activities"),
              "technologies": split("technologies"), "skills": split("skills"),
              "contact_role": form_text(form, "contact_role")}
    try:
        size = form_int(form, "size", low=0, high=10_000_000, what=ctx.t("employees"))
        svc.add_actor(db, ctx.workspace, {**values, "size": size})
    except (svc.StoreError, ValueError) as exc:
        return _page(ctx, status_code=form_error_status(exc), messages=[("error", str(exc))],
                     values={f"actor_{k}": v for k, v in values.items()})
    return redirect(f"{ctx.base}/strategy#actors", ok="actor_saved")


@router.post("/w/{slug}/actors/import")
async def actors_import(request: Request, form: FormData,
                        db: DB,
                        access: Analyst) -> Response:
    """Import actors from CSV / Excel: all rows or none, every problem listed."""
    from starlette.concurrency import run_in_threadpool

    upload = form.get("file")
    name = Path(str(getattr(upload, "filename", "") or "actors.csv")).name
    content = await upload.read() if hasattr(upload, "read") else b""
    return await run_in_threadpool(_actors_import_sync, request, db, access, name, content)


def _actors_import_sync(request: Request, db: Session, access: Any, name: str,
                        content: bytes) -> Response:
    from smartspec.store import services as svc

    ctx = PageContext(request, db, access, access.user)
    suffix = Path(name).suffix.lower()
    if not content or suffix not in (".csv", ".xlsx", ".tsv", ".txt"):
        return _page(ctx, status_code=422, messages=[("error", ctx.t(
            "Choose a CSV or Excel (.xlsx) file of actors."))])
    with tempfile.TemporaryDirectory(prefix="smartspec-actors-") as folder:
        path = os.path.join(folder, name)
        with open(path, "wb") as fh:
            fh.write(content)
        try:
            added = svc.import_actors(db, ctx.workspace, path)
        except (svc.StoreError, ValueError) as exc:
            problems = [str(p) for p in getattr(exc, "problems", [])] or [str(exc)]
            problems = [p.replace(path, name).replace(folder, "") for p in problems]
            return _page(ctx, status_code=422, messages=[(
                "error", (ctx.t("The file %(name)s was refused; nothing was imported:",
                                name=name), problems[:50]))])
    return _page(ctx, messages=[("ok", ctx.t("%(n)s actors imported.", n=len(added)))])
